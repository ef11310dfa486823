#!/usr/bin/env python3
"""How well `ebm infer` reads fresh renders (issue #29's targets): renders N scenes with known labels
into a folder (`ebm render --folder`), reads them with the concept models (`ebm infer --json`), and
prints position error (mean Euclidean), size error (mean absolute), shape and colour accuracy as JSON.

    python3 scripts/models/infer_accuracy.py --n 256 --device cuda [--models assets/models] [--ebm build/app/ebm]
        [--out result.json] [-- extra ebm infer flags]
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--seed", type=int, default=2029)  # a seed no training pool uses
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--models", default="assets/models")
    ap.add_argument("--ebm", default="build/app/ebm")
    ap.add_argument("--out", default="")
    ap.add_argument("extra", nargs="*", help="flags passed on to ebm infer (after --)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([a.ebm, "render", "--n", str(a.n), "--seed", str(a.seed), "--folder", d], check=True,
                       stdout=subprocess.DEVNULL)
        rows = list(csv.DictReader(open(os.path.join(d, "labels.csv"))))
        images = [os.path.join(d, r["file"]) for r in rows]
        res = subprocess.run([a.ebm, "infer", "--models", a.models, "--device", a.device, "--json", *a.extra, *images],
                             check=True, capture_output=True, text=True)
    readings = json.loads(res.stdout)
    sums, counts = {}, {}
    for truth, img in zip(rows, readings):
        for r in img["readings"]:
            c, lab = r["concept"], r["label"]
            if c == "position":
                v = math.hypot(lab[0] - float(truth["x"]), lab[1] - float(truth["y"]))
            elif c == "size":
                v = abs(lab[0] - float(truth["size"]))
            elif c in ("shape", "color"):
                v = 1.0 if max(range(len(lab)), key=lambda k: lab[k]) == int(truth[c]) else 0.0
            else:
                continue
            sums[c] = sums.get(c, 0.0) + v
            counts[c] = counts.get(c, 0) + 1
    out = {"n": a.n, "seed": a.seed, "device": a.device, "models": a.models, "flags": a.extra,
           "position_error": None, "size_error": None, "shape_accuracy": None, "color_accuracy": None}
    for c, key in (("position", "position_error"), ("size", "size_error"), ("shape", "shape_accuracy"),
                   ("color", "color_accuracy")):
        if counts.get(c):
            out[key] = sums[c] / counts[c]
    text = json.dumps(out, indent=1)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
