#!/usr/bin/env python3
"""Two `ebm train --objective cd` runs side by side (cd_precision.sh): the mean of the loss, e_pos and
e_neg over windows of iterations common to both runs, and the sample grids' quick grades at the iterations
both reached. Usage: cd_curves.py RUN_A RUN_B [WINDOW]"""
import json
import os
import sys


def read(run):
    rows = [json.loads(line) for line in open(os.path.join(run, "log.jsonl"))]
    return [r for r in rows if "loss" in r], [r for r in rows if "sample_found" in r]


def main():
    a, b = sys.argv[1], sys.argv[2]
    window = int(sys.argv[3]) if len(sys.argv) > 3 else 250
    (la, ga), (lb, gb) = read(a), read(b)
    end = min(la[-1]["iter"], lb[-1]["iter"])
    names = [os.path.basename(a.rstrip("/")), os.path.basename(b.rstrip("/"))]
    print(f"iterations {names[0]} {la[-1]['iter']}, {names[1]} {lb[-1]['iter']}; windows of {window} up to {end}")
    print(f"{'iters':>12} " + " ".join(f"{n + ' ' + k:>24}" for k in ("loss", "e_pos", "e_neg") for n in names))
    for lo in range(0, end, window):
        hi = min(lo + window, end)
        cells = []
        for k in ("loss", "e_pos", "e_neg"):
            for rows in (la, lb):
                w = [r[k] for r in rows if lo < r["iter"] <= hi]
                cells.append(f"{sum(w) / len(w):24.5f}" if w else f"{'-':>24}")
        print(f"{lo:>5}-{hi:<6} " + " ".join(cells))
    grades = {}
    for name, rows in zip(names, (ga, gb)):
        for r in rows:
            grades.setdefault(r["iter"], {})[name] = r
    print("sample grids (found, position error):")
    for it in sorted(grades):
        if len(grades[it]) == 2:
            print(f"  iter {it}: " + ", ".join(
                f"{n} {grades[it][n]['sample_found']:.3f} / {grades[it][n].get('sample_position_error', float('nan')):.3f}"
                for n in names))
    rate = lambda rows: sum(r["it_per_s"] for r in rows[1:]) / max(1, len(rows) - 1)
    print(f"it/s side by side (not a timing): {names[0]} {rate(la):.2f}, {names[1]} {rate(lb):.2f}")


if __name__ == "__main__":
    sys.exit(main())
