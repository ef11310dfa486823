#!/usr/bin/env python3
"""One table of graded recipes: each `ebm eval --recipe … --json-out DIR/NAME.json` in DIR, a line per
target (metric, value, share meeting it) and the recipe's all-met, objects found, two or more and
whether it passes. A recipe still running (no JSON yet) is listed as such.

    python3 scripts/device/recipe_table.py DIR
"""
import glob
import json
import os
import sys


def main(folder):
    names = sorted({os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(folder, '*.txt'))
                    if not p.endswith('recipes.txt')} |
                   {os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(folder, '*.json'))})
    print(f"{'recipe':28s} {'target':18s} {'metric':18s} {'value':>8s} {'met':>6s}")
    for name in names:
        path = os.path.join(folder, name + '.json')
        if not os.path.exists(path):
            print(f"{name:28s} (no result: still running, or failed — see {name}.txt)")
            continue
        for t in json.load(open(path))['tables']:
            for r in t['rows']:
                print(f"{name:28s} {r['target'][:18]:18s} {r['metric'][:18]:18s} {r['value']:8.3f} {r['met']:6.3f}")
            verdict = 'PASS' if t['pass'] else 'fail'
            print(f"{name:28s} {'':18s} {'all · found · 2+':18s} {t['all_met']:.3f} · {t['objects_found']:.3f} · "
                  f"{t['multiple_objects']:.3f}  n {t['n']}  {verdict}")


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
