"""Reads a safetensors file with the standard library and NumPy (8-byte header length, JSON
header, raw little-endian data), so the `safetensors` package is not needed.

    tensors, meta = read_safetensors("runs/stsb-glove/kernel.safetensors", "projection_head.")
returns {name without the prefix: float32 array} and the __metadata__ dict.
"""
import json
import struct

import numpy as np


def read_safetensors(path, prefix=""):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[8 + n + a:8 + n + b], dtype="<f4").reshape(info["shape"])
        out[name[len(prefix):] if name.startswith(prefix) else name] = arr.copy()
    return out, meta
