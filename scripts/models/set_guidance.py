#!/usr/bin/env python3
"""Set the classifier-free guidance a denoising model file recommends (the "guidance" field of its
"denoising" metadata, which `ebm sample`, `ebm eval` and the studio use for its terms unless a recipe
or --guidance says otherwise). Tensors and every other byte of metadata stay as they are.

    python3 scripts/models/set_guidance.py MODEL.safetensors G [OUT.safetensors]

Without OUT the file is rewritten in place (through a temporary file beside it and a rename, so an
interrupted run leaves the old file whole). The SHA-256 of the file changes: recipes that pin it
(assets/models/MODEL_CARD.md's recipes) need the new hash. Standard library only.
"""
import json
import sys

import safetensors_file


def set_guidance(src, guidance, dst):
    header, data = safetensors_file.read(src)
    meta = header.get("__metadata__", {})
    if "denoising" not in meta:
        raise ValueError(f"{src}: no 'denoising' metadata: guidance applies to denoising models (ebm train --objective dsm)")
    denoising = json.loads(meta["denoising"])
    old = denoising.get("guidance")
    denoising["guidance"] = guidance
    meta["denoising"] = json.dumps(denoising, separators=(",", ":"), sort_keys=True)
    header["__metadata__"] = meta
    safetensors_file.write(dst, header, [data], ".guidance-")
    return old


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    try:
        g = float(argv[2])
    except ValueError:
        sys.exit(f"set_guidance: guidance must be a number, got {argv[2]!r}")
    if not 0.0 <= g <= 100.0:
        sys.exit(f"set_guidance: guidance must be in [0, 100], got {g}")
    dst = argv[3] if len(argv) == 4 else argv[1]
    try:
        old = set_guidance(argv[1], g, dst)
    except (OSError, ValueError) as e:
        sys.exit(f"set_guidance: {e}")
    print(f"{dst}: guidance {old} -> {g}")


if __name__ == "__main__":
    main(sys.argv)
