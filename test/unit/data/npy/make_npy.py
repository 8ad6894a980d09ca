#!/usr/bin/python3
"""Makes the .npy files RuntimeIOTest reads (numpy's own writer).

Run with Debian's numpy from this directory:
    cd test/unit/data/npy && /usr/bin/python3 make_npy.py
The tests pin the values written here; change both together.
"""
import numpy as np
from numpy.lib import format as npformat


def write(name, array, version=None):
    with open(name, "wb") as f:
        if version is None:
            np.save(f, array)
        else:
            npformat.write_array(f, array, version=version)


# float32 (2, 3): 0.5 * [0..5], version 1.0 (np.save's default).
write("f32_2x3.npy", (np.arange(6, dtype="<f4") * 0.5).reshape(2, 3))
# int64 (5, 4): row r, column c = 100 * r + c - 7, version 2.0.
write("i64_5x4_v2.npy",
      (100 * np.arange(5)[:, None] + np.arange(4)[None, :] - 7).astype("<i8"),
      version=(2, 0))
# uint8 (3,): [7, 255, 0], version 3.0.
write("u8_3_v3.npy", np.array([7, 255, 0], dtype="|u1"), version=(3, 0))
# bool (4,): [True, False, False, True].
write("bool_4.npy", np.array([True, False, False, True]))
# float16 (2, 2): [[1, -2], [0.5, 65504]].
write("f16_2x2.npy", np.array([[1, -2], [0.5, 65504]], dtype="<f2"))
# float64 0-d: 2.5.
write("f64_scalar.npy", np.float64(2.5))
# Rejected: Fortran order, big-endian.
write("f32_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
write("f4_bigendian.npy", np.arange(3, dtype=">f4"))
