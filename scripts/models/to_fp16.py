#!/usr/bin/env python3
"""Write a model file with its float32 tensors stored as float16 (half the size; the loader widens
them back to float32). Metadata, tensor names and order, and non-float32 tensors are kept as they are.

    python3 scripts/models/to_fp16.py IN.safetensors OUT.safetensors

Standard library only (the safetensors layout: 8-byte little-endian header length, a JSON header of
{name: {dtype, shape, data_offsets}} plus "__metadata__", then the raw little-endian data). OUT is
written to a temporary file beside it and renamed, so an interrupted run leaves no half-written model.
The shipped concept models are stored this way (assets/models/MODEL_CARD.md says which).
"""
import array
import json
import os
import struct
import sys
import tempfile


def convert(src, dst):
    with open(src, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{src}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{src}: header length {n} runs past the end of the file")
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out, chunks, offset = {}, [], 0
    for name, entry in header.items():
        if name == "__metadata__":
            out[name] = entry
            continue
        begin, end = entry["data_offsets"]
        raw = data[begin:end]
        dtype = entry["dtype"]
        if dtype == "F32":
            values = array.array("f")
            values.frombytes(raw)
            if sys.byteorder != "little":
                values.byteswap()
            raw = struct.pack("<%de" % len(values), *values)  # IEEE half, round to nearest even
            dtype = "F16"
        out[name] = {"dtype": dtype, "shape": entry["shape"], "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(out, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)  # the data starts 8-byte aligned
    fd, tmp = tempfile.mkstemp(prefix=".fp16-", dir=os.path.dirname(os.path.abspath(dst)))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(head)) + head)
            for c in chunks:
                f.write(c)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a model file is as readable as any other
        os.replace(tmp, dst)
    except BaseException:
        os.unlink(tmp)
        raise


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        convert(sys.argv[1], sys.argv[2])
    except (OSError, ValueError, KeyError, OverflowError) as e:
        sys.exit(f"to_fp16: {e}")
