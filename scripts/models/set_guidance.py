#!/usr/bin/env python3
"""Set the classifier-free guidance a denoising model file recommends (the "guidance" field of its
"denoising" metadata, which `ebm sample`, `ebm eval` and the studio use for its terms unless a recipe
or --guidance says otherwise), and optionally the noise levels where it applies ("guidance_interval",
[lo, hi] with hi null for no upper end; outside it a term is its plain conditional energy).
Tensors and every other byte of metadata stay as they are.

    python3 scripts/models/set_guidance.py MODEL.safetensors G [OUT.safetensors] [--interval LO,HI]

HI may be "inf"; --interval 0,inf (the default when absent from a file) removes the field.
Without OUT the file is rewritten in place (through a temporary file beside it and a rename, so an
interrupted run leaves the old file whole). The SHA-256 of the file changes: recipes that pin it
(assets/models/MODEL_CARD.md's recipes) need the new hash. Standard library only.
"""
import argparse
import json
import math
import sys

import safetensors_file


def parse_interval(text):
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"--interval {text!r}: write LO,HI (two noise levels, e.g. 0.3,inf)")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"--interval {text!r}: LO and HI must be numbers (HI may be inf)")
    if not (math.isfinite(lo) and lo >= 0 and hi >= lo):
        raise ValueError(f"--interval {text!r}: need 0 <= LO <= HI, LO finite")
    return lo, hi


def set_guidance(src, guidance, dst, interval=None):
    header, data = safetensors_file.read(src)
    meta = header.get("__metadata__", {})
    if "denoising" not in meta:
        raise ValueError(f"{src}: no 'denoising' metadata: guidance applies to denoising models (ebm train --objective dsm)")
    denoising = json.loads(meta["denoising"])
    old = (denoising.get("guidance"), denoising.get("guidance_interval"))
    denoising["guidance"] = guidance
    if interval is not None:
        lo, hi = interval
        if lo <= 0 and math.isinf(hi):
            denoising.pop("guidance_interval", None)
        else:
            denoising["guidance_interval"] = [lo, None if math.isinf(hi) else hi]
    meta["denoising"] = json.dumps(denoising, separators=(",", ":"), sort_keys=True)
    header["__metadata__"] = meta
    safetensors_file.write(dst, header, [data], ".guidance-")
    return old, (denoising["guidance"], denoising.get("guidance_interval"))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("guidance", type=float)
    ap.add_argument("out", nargs="?")
    ap.add_argument("--interval", help="LO,HI: the noise levels where the guidance applies (HI may be inf)")
    a = ap.parse_args(argv[1:])
    if not 0.0 <= a.guidance <= 100.0:
        sys.exit(f"set_guidance: guidance must be in [0, 100], got {a.guidance}")
    try:
        interval = parse_interval(a.interval) if a.interval is not None else None
        old, new = set_guidance(a.model, a.guidance, a.out or a.model, interval)
    except (OSError, ValueError) as e:
        sys.exit(f"set_guidance: {e}")
    print(f"{a.out or a.model}: guidance {old[0]} -> {new[0]}, interval {old[1]} -> {new[1]}")


if __name__ == "__main__":
    main(sys.argv)
