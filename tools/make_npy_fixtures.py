#!/usr/bin/python3
"""Makes the tiny .npy fixtures of tests/test_npy.c with NumPy (run with /usr/bin/python3).

    /usr/bin/python3 tools/make_npy_fixtures.py [OUT_DIR]     # default tests/data/npy

Every value is exactly representable, so the C test can assert it with ==. The two
np_save_*.npy files are written by np.save itself: prle_npy_save must reproduce them byte
for byte, which proves NumPy reads our files without NumPy at test time. The values they hold
are recomputed in the test: element i is (i - 5) * 0.25 (2-D) or i * 0.125 - 1 (1-D).
"""
import os
import sys

import numpy as np
from numpy.lib import format as npf

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "data", "npy")
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


def write_version(name, arr, version):
    with open(path(name), "wb") as f:
        npf.write_array(f, arr, version=version)


# (3, 4) float32: element (i, j) = i * 4 + j - 5.5
f4 = (np.arange(12, dtype=np.float32) - np.float32(5.5)).reshape(3, 4)
np.save(path("f4_2d.npy"), f4)
# (2, 3) float64 with values float32 holds exactly: (i*3+j) * 0.5 - 1
np.save(path("f8_2d.npy"), (np.arange(6, dtype=np.float64) * 0.5 - 1.0).reshape(2, 3))
# (5,) float32 1-D: 0.25 * i
np.save(path("f4_1d.npy"), np.arange(5, dtype=np.float32) * np.float32(0.25))
# (4,) int64 ids, one beyond 32 bits and one negative
np.save(path("i8_1d.npy"), np.array([0, 7, -3, 5_000_000_000], dtype=np.int64))
# (2, 2) int32
np.save(path("i4_2d.npy"), np.array([[1, -2], [2147483647, -2147483648]], dtype=np.int32))
# format versions 2.0 and 3.0 of the same (3, 4) float32 array
write_version("v2_f4.npy", f4, (2, 0))
write_version("v3_f4.npy", f4, (3, 0))
# rejected: Fortran order, big-endian
np.save(path("fortran_f4.npy"), np.asfortranarray(f4))
np.save(path("bigendian_f4.npy"), f4.astype(">f4"))
# np.save reference files for the byte-identity tests
np.save(path("np_save_2d.npy"), ((np.arange(15, dtype=np.float32) - 5) * np.float32(0.25)).reshape(5, 3))
np.save(path("np_save_1d.npy"), np.arange(7, dtype=np.float32) * np.float32(0.125) - np.float32(1))

for name in sorted(os.listdir(out)):
    if name.endswith(".npy"):
        a = np.load(path(name))
        print(f"{name}: {a.dtype.str} {a.shape} fortran={np.isfortran(a)}")
