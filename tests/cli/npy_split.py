"""A split of an encoder_type npy data set for the CLI tests, in the current folder:
emb/{split}_embeds.npy (float32 rows, NumPy's format 1.0, written with the standard library)
and, given labels, {split}.csv (text,label: "row I" and the label to 6 decimals)."""
import struct


def write(split, rows, labels=None):
    d = len(rows[0]) if rows else 0
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), d)
    hdr += " " * (118 - len(hdr)) + "\n"
    with open(f"emb/{split}_embeds.npy", "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        for r in rows:
            f.write(struct.pack(f"<{d}f", *r))
    if labels is not None:
        with open(f"{split}.csv", "w") as f:
            f.write("text,label\n")
            for i, y in enumerate(labels):
                f.write(f"row {i},{y:.6f}\n")
