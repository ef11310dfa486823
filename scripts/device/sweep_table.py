#!/usr/bin/env python3
"""One table of an eval sweep: a row per (case, concept, metric), a column per variant.

Usage: sweep_table.py OUTDIR [NAME ...]
Reads OUTDIR/NAME.json as `ebm eval --suite --json-out` writes it; the names default to
OUTDIR/variants.txt (eval_sweep.sh writes it when the sweep starts). A variant still running, or cut
short, has "complete": false in its file: its column holds the cases it finished and its name is
marked with '*'. A run of both splits (`--split both`: the file holds "splits") gives one table per
split, tune first. Exits 1 when a variant left no file at all.
"""
import json
import os
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out, names = sys.argv[1], sys.argv[2:]
    if not names:
        with open(os.path.join(out, "variants.txt")) as f:
            names = [line.strip() for line in f if line.strip()]
    rows, missing, unfinished = {}, 0, []
    for n in names:
        p = os.path.join(out, n + ".json")
        try:
            doc = json.load(open(p))
            splits = doc["splits"] if "splits" in doc else {"": doc}
            tables = [(split, t) for split in sorted(splits, key=lambda s: s != "tune")
                      for t in splits[split]["tables"]]
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"{n}: no result ({e}); see {n}.err")
            missing += 1
            continue
        if doc.get("complete") is False:
            unfinished.append(n)
        for split, t in tables:
            case = t["case"] + (f" [{split}]" if split else "")
            for r in t["rows"]:
                key = (case, r["concept"] + (" (not)" if r["negated"] else ""), r["metric"])
                rows.setdefault(key, {})[n] = r["value"]
            for field, label in (("objects_found", "objects found"), ("multiple_objects", "two or more"),
                                 ("seconds", "seconds"), ("acceptance", "acceptance"), ("all_met", "all rows met")):
                if field in t:
                    rows.setdefault((case, "", label), {})[n] = t[field]
    heads = [n + ("*" if n in unfinished else "") for n in names]
    print(f"{'case':36} {'concept':14} {'metric':18} " + " ".join(f"{h:>9}" for h in heads))
    for (case, concept, metric), v in rows.items():
        cells = " ".join(f"{v[n]:9.3f}" if n in v else f"{'-':>9}" for n in names)
        print(f"{case:36} {concept:14} {metric:18} {cells}")
    if unfinished:
        print("* unfinished (still running or cut short): the cases it had finished")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
