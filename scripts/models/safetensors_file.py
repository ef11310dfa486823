"""Reading and atomically writing safetensors files with the standard library alone, for the
scripts beside this one (to_fp16.py, set_guidance.py). The layout: an 8-byte little-endian header
length, a JSON header of {name: {dtype, shape, data_offsets}} plus "__metadata__", then the raw
little-endian tensor data."""
import json
import os
import struct
import tempfile


def read(path):
    """Returns (header dict, data bytes). Raises ValueError naming the file when it is malformed."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(blob[8:8 + n])
    except ValueError as e:
        raise ValueError(f"{path}: the header is not JSON ({e})")
    return header, blob[8 + n:]


def write(dst, header, chunks, prefix):
    """Writes header and data chunks to dst through a temporary file beside it and a rename, so an
    interrupted run leaves no half-written file; the file gets the usual permissions (umask)."""
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)  # the data starts 8-byte aligned
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=os.path.dirname(os.path.abspath(dst)))
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
