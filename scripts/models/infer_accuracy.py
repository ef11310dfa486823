#!/usr/bin/env python3
"""How well `ebm infer` reads fresh renders (issue #29's targets): renders N scenes with known labels
into a folder (`ebm render --folder`), reads them with the concept models (`ebm infer --json`), and
prints position error (mean Euclidean), size error (mean absolute), shape and colour accuracy as JSON.

    python3 scripts/models/infer_accuracy.py --n 256 --device cuda [--models assets/models] [--ebm build/app/ebm]
        [--out result.json] [--per-call 64] [--time-limit S] [-- extra ebm infer flags]

The renders are read --per-call images per `ebm infer` run, and after each run the figures so far are
printed and --out is rewritten (atomically, "complete": false until the last), so a run cut short — a
device call's time limit, --time-limit (no new run starts past it) — keeps what it read. "seconds"
is the reading time of the images read (renders excluded).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time


def score(truth, reading):
    """(concept, value) of one reading against the render's labels, or None for other concepts."""
    c, lab = reading["concept"], reading["label"]
    if c == "position":
        return c, math.hypot(lab[0] - float(truth["x"]), lab[1] - float(truth["y"]))
    if c == "size":
        return c, abs(lab[0] - float(truth["size"]))
    if c in ("shape", "color"):
        return c, 1.0 if max(range(len(lab)), key=lambda k: lab[k]) == int(truth[c]) else 0.0
    return None


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--seed", type=int, default=2029)  # a seed no training pool uses
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--models", default="assets/models")
    ap.add_argument("--ebm", default="build/app/ebm")
    ap.add_argument("--out", default="")
    ap.add_argument("--per-call", type=int, default=64, help="images per ebm infer run")
    ap.add_argument("--time-limit", type=float, default=0, help="seconds after which no new run starts (0: none)")
    ap.add_argument("extra", nargs="*", help="flags passed on to ebm infer (after --)")
    a = ap.parse_args()
    if a.n < 1 or a.per_call < 1:
        ap.error("--n and --per-call must be at least 1")
    sums, counts = {}, {}
    read, seconds = 0, 0.0
    out = {}

    def report(complete):
        out.clear()
        out.update({"n": a.n, "n_read": read, "complete": complete, "seed": a.seed, "device": a.device,
                    "models": a.models, "flags": a.extra, "per_call": a.per_call, "seconds": round(seconds, 1),
                    "position_error": None, "size_error": None, "shape_accuracy": None, "color_accuracy": None})
        for c, key in (("position", "position_error"), ("size", "size_error"), ("shape", "shape_accuracy"),
                       ("color", "color_accuracy")):
            if counts.get(c):
                out[key] = sums[c] / counts[c]
        text = json.dumps(out, indent=1)
        if a.out:
            write_atomic(a.out, text + "\n")
        return text

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([a.ebm, "render", "--n", str(a.n), "--seed", str(a.seed), "--folder", d], check=True,
                       stdout=subprocess.DEVNULL)
        rows = list(csv.DictReader(open(os.path.join(d, "labels.csv"))))
        for start in range(0, len(rows), a.per_call):
            if a.time_limit > 0 and seconds >= a.time_limit:
                print(f"time limit: {read} of {a.n} renders read", file=sys.stderr)
                break
            part = rows[start:start + a.per_call]
            images = [os.path.join(d, r["file"]) for r in part]
            t0 = time.monotonic()
            res = subprocess.run([a.ebm, "infer", "--models", a.models, "--device", a.device, "--json", *a.extra,
                                  *images], check=True, capture_output=True, text=True)
            seconds += time.monotonic() - t0
            for truth, img in zip(part, json.loads(res.stdout)):
                for r in img["readings"]:
                    s = score(truth, r)
                    if s:
                        sums[s[0]] = sums.get(s[0], 0.0) + s[1]
                        counts[s[0]] = counts.get(s[0], 0) + 1
            read += len(part)
            report(False)
            print(f"{read} of {a.n} read in {seconds:.1f} s", file=sys.stderr, flush=True)
    print(report(read == a.n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
