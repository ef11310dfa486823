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
import struct
import sys

import safetensors_file


def convert(src, dst):
    header, data = safetensors_file.read(src)
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
    safetensors_file.write(dst, out, chunks, ".fp16-")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        convert(sys.argv[1], sys.argv[2])
    except (OSError, ValueError, KeyError, OverflowError) as e:
        sys.exit(f"to_fp16: {e}")
