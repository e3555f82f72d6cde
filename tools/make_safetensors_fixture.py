#!/usr/bin/env python3
"""Writes the safetensors fixtures of tests/test_safetensors.c from the format description
alone (huggingface/safetensors README, "Format"), with json + struct: no safetensors package,
no numpy, and none of our C code.

    python3 tools/make_safetensors_fixture.py [OUT_DIR]     # default tests/data/safetensors

Layout, as the reference writer does it (safetensors/src/tensor.rs, `prepare` and
`Metadata::serialize`): u64 little-endian header length N; N bytes of JSON, compact separators
(',', ':'), raw UTF-8, `__metadata__` first (its keys sorted here: the reference's map has no
fixed order), then the tensors in data order, each {"dtype", "shape", "data_offsets"} in that
order; the JSON padded with spaces so N is a multiple of 8; then the tensors' little-endian
data, packed. Data order: descending position in the reference's `Dtype` enum (increasing
alignment: ... F16, BF16, I32, U32, F32, C64, F64, I64, U64), then name. prle_st_writer_save
must reproduce reference.safetensors byte for byte.
"""
import json
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "data", "safetensors")
os.makedirs(out, exist_ok=True)

FORMATS = {"F32": "<f", "F64": "<d", "I64": "<q", "I32": "<i", "F16": "<e"}
# position in the reference's Dtype enum (only the relative order matters)
RANK = {"F16": 13, "I32": 15, "F32": 17, "F64": 19, "I64": 20}


def build(tensors, metadata):
    """tensors: {name: (dtype, shape, flat values)}; returns the file's bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    data = b""
    for name in sorted(tensors, key=lambda n: (-RANK[tensors[n][0]], n)):
        dtype, shape, values = tensors[name]
        count = 1
        for d in shape:
            count *= d
        assert count == len(values), name
        blob = struct.pack("<%d%s" % (count, FORMATS[dtype][1]), *values)
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write(name, blob):
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)
    print(f"{name}: {len(blob)} bytes")


# The C test builds the same tensors in another order with prle_st_writer.
write("reference.safetensors", build(
    {
        "a.weight": ("F32", (2, 3), [(k - 2) * 0.5 for k in range(6)]),
        "a.bias": ("F32", (3,), [0.25, -1.0, 3.0]),
        "ids": ("I64", (4,), [0, -1, 5_000_000_000, 42]),
        "scale": ("F64", (2, 2), [0.1, 1e-3, -2.5, 12345.678]),
        "empty": ("F32", (0, 3), []),
        "scalar": ("F32", (), [7.5]),
    },
    {"format": "prle", "version": "1", "seed": "42", "note": "h\u00e9llo \"q\"\n"},
))

# Dtypes we list but do not write: F16 stays unread, I32 reads as int64. No metadata.
write("other_dtypes.safetensors", build(
    {
        "half": ("F16", (2,), [1.0, -2.0]),
        "small_ids": ("I32", (3,), [1, -7, 2147483647]),
    },
    {},
))
