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
import os
import struct
import sys
import tempfile


def set_guidance(src, guidance, dst):
    with open(src, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{src}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{src}: header length {n} runs past the end of the file")
    header = json.loads(blob[8:8 + n])
    meta = header.get("__metadata__", {})
    if "denoising" not in meta:
        raise ValueError(f"{src}: no 'denoising' metadata: guidance applies to denoising models (ebm train --objective dsm)")
    denoising = json.loads(meta["denoising"])
    old = denoising.get("guidance")
    denoising["guidance"] = guidance
    meta["denoising"] = json.dumps(denoising, separators=(",", ":"), sort_keys=True)
    header["__metadata__"] = meta
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)  # the data starts 8-byte aligned
    fd, tmp = tempfile.mkstemp(prefix=".guidance-", dir=os.path.dirname(os.path.abspath(dst)))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            f.write(blob[8 + n:])
        os.replace(tmp, dst)
    except BaseException:
        os.unlink(tmp)
        raise
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
