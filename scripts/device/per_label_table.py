#!/usr/bin/env python3
"""Per-label rows of an eval sweep: for each case, one row per value of one concept's target (a colour
name, a shape), a column per variant — all-met · found, in %, over every sample whose target had that
value. Shows which label values a variant helps or hurts, where the suite's row averages them away
(issue #28: the colour model's empty floors gather on a few colours).

Usage: per_label_table.py OUTDIR CONCEPT [NAME ...]
Reads OUTDIR/NAME.json as `ebm eval --suite --json-out` writes it (its "per_label" list); the names
default to OUTDIR/variants.txt. CONCEPT: the term whose target groups the rows (e.g. color).
"""
import json
import os
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, concept, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not names:
        with open(os.path.join(out, "variants.txt")) as f:
            names = [line.strip() for line in f if line.strip()]
    # (case, value) -> variant -> [samples, all-met samples, found samples]
    cells, cases = {}, []
    for name in names:
        try:
            doc = json.load(open(os.path.join(out, name + ".json")))
        except (OSError, ValueError) as e:
            print(f"{name}: no result ({e})")
            continue
        for entry in doc.get("per_label", []):
            value = next((r["target"] for r in entry["rows"] if r["term"] == concept and not r["negated"]), None)
            if value is None:
                continue
            key = (entry["case"], value)
            if entry["case"] not in cases:
                cases.append(entry["case"])
            n = entry["n"]
            acc = cells.setdefault(key, {}).setdefault(name, [0, 0.0, 0.0])
            acc[0] += n
            acc[1] += entry["all_met"] * n
            acc[2] += entry["objects_found"] * n
    if not cells:
        sys.exit(f"no per-label rows with a {concept!r} term in {out}")
    width = max(len(n) for n in names) + 8
    for case in cases:
        print(f"\n{case}: all-met · found (%), samples per value in brackets")
        print(f"{'':12s}" + "".join(f"{n:>{width}s}" for n in names))
        for (c, value), per in sorted(cells.items()):
            if c != case:
                continue
            row = f"{value:12s}"
            for n in names:
                if n in per:
                    s, met, found = per[n]
                    row += f"{f'{100 * met / s:.0f} · {100 * found / s:.0f} [{s}]':>{width}s}"
                else:
                    row += f"{'—':>{width}s}"
            print(row)


if __name__ == "__main__":
    main()
