#!/usr/bin/env python3
"""Issue #26's gate for a short walk: within 2 points of the default walk's suite, every case and split.

Usage: walk_gate.py BASELINE.json[,BASELINE.json] VARIANT.json [VARIANT.json ...] [--rule summed|one|all]
[--margin 0.02]

BASELINE: `ebm eval --suite --json-out` files of the default walks (one per split, or one of
`--split both`); VARIANT: the same of a short walk (its name is the file's stem). The seeds must be
the same (checked: seed, label_seed, n_per_label, place), so the samples differ only by the walk.
For each case the baseline ran on its default walk of the chosen rule (`walks` in the file: "summed"
cases walk the 400-step ladder, "one prior" ones the quick walk), and each split: the variant's
"all rows met" and "objects found" against the baseline's; a case passes when neither is more than
the margin below. Prints a table (points, variant − baseline) and, last, each variant's verdict.
Exits 0 when every variant given was read, 1 otherwise.
"""
import json
import os
import sys

RULES = {"summed": "summed", "one": "one prior"}


def splits_of(doc):
    """{split: {case: table}} of an eval file (one split, or `--split both`'s "splits")."""
    if "splits" in doc:
        return {s: {t["case"]: t for t in v["tables"]} for s, v in doc["splits"].items()}
    return {doc["split"]: {t["case"]: t for t in doc["tables"]}}


def run_of(doc, split):
    """The fields of one split's run: the file's own, and for `--split both` that split's over them."""
    return {**doc, **doc.get("splits", {}).get(split, {})}


def seed_mismatch(a, b):
    """{field: (a's, b's)} of the sampling seeds where two runs differ (empty: the same samples)."""
    keys = ("seed", "label_seed", "n_per_label", "place")
    return {k: (a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)}


def main(argv):
    args, rule, margin = [], "summed", 0.02
    it = iter(argv)
    for a in it:
        if a == "--rule":
            rule = next(it)
        elif a == "--margin":
            margin = float(next(it))
        else:
            args.append(a)
    if len(args) < 2 or (rule != "all" and rule not in RULES):
        sys.exit(__doc__)
    base_docs = [json.load(open(p)) for p in args[0].split(",")]
    base, meta, walks = {}, {}, {}
    for d in base_docs:
        for split, tables in splits_of(d).items():
            base[split], meta[split] = tables, run_of(d, split)
            walks.update(meta[split].get("walks", {}))
    ok = True
    verdicts = []
    print(f"baseline: {args[0]} (splits {', '.join(sorted(base))}); margin {100 * margin:.1f} points; rule {rule}")
    for path in args[1:]:
        name = os.path.splitext(os.path.basename(path))[0]
        try:
            doc = json.load(open(path))
        except (OSError, ValueError) as e:
            print(f"{name}: unreadable ({e})")
            ok = False
            continue
        var = splits_of(doc)
        other = next(((s, d) for s in var if s in meta for d in [seed_mismatch(meta[s], run_of(doc, s))] if d), None)
        if other:
            print(f"{name}: other seeds than the baseline's ({other[0]}: {other[1]}) — not compared")
            ok = False
            continue
        print(f"\n{name} ({'complete' if doc.get('complete', True) else 'INCOMPLETE'})")
        print(f"{'case':28} {'split':8} {'walk':6} {'all met':>15} {'found':>15}  pass")
        worst, failed, compared = 0.0, [], 0
        for split in sorted(var, key=lambda s: s != "tune"):
            for case, t in var[split].items():
                b = base.get(split, {}).get(case)
                w = walks.get(case, {})
                if b is None or (rule != "all" and w.get("prior") != RULES[rule]):
                    continue
                compared += 1
                d_met = t["all_met"] - b["all_met"]
                d_found = t["objects_found"] - b["objects_found"]
                good = d_met >= -margin - 1e-9 and d_found >= -margin - 1e-9
                worst = min(worst, d_met, d_found)
                if not good:
                    failed.append(f"{case} [{split}]")
                print(f"{case:28} {split:8} {w.get('walk', '?'):6} "
                      f"{100 * t['all_met']:5.1f} {100 * b['all_met']:5.1f} {100 * d_met:+4.1f} "
                      f"{100 * t['objects_found']:5.1f} {100 * b['objects_found']:5.1f} {100 * d_found:+4.1f}  "
                      f"{'yes' if good else 'NO'}")
        expected = [f"{c} [{sp}]" for sp in base for c in base[sp]
                    if rule == "all" or walks.get(c, {}).get("prior") == RULES[rule]]
        seen = {f"{c} [{sp}]" for sp in var for c in var[sp]}
        missing = [k for k in expected if k not in seen]
        verdict = (f"{name}: {compared} of the baseline's {len(expected)} case-splits compared"
                   + (f" (not run: {', '.join(missing)})" if missing else "") + ", "
                   + ("all within the margin" if not failed else f"{len(failed)} outside: {', '.join(failed)}")
                   + f" (worst {100 * worst:+.1f} points)")
        verdicts.append(verdict)
    print("\n" + "\n".join(verdicts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
