"""numpy's half-precision conversions, for tests/unit/test_dtype.c.

usage: test_dtype_numpy.py IN OUT16 OUT32

IN holds little-endian float32 values; OUT16 gets their astype(np.float16)
bit patterns (uint16), OUT32 the astype(np.float32) bit patterns (uint32) of
all 65,536 float16 patterns in order. Exit status 3 when numpy is missing,
so the C test can skip with a message instead of failing.
"""
import sys

try:
    import numpy as np
except ImportError:
    sys.stderr.write("numpy is not installed for %s\n" % sys.executable)
    sys.exit(3)


def main():
    src, out16, out32 = sys.argv[1:4]
    x = np.fromfile(src, dtype="<f4")
    with np.errstate(all="ignore"):  # overflow to inf is what we compare
        h = x.astype(np.float16).view("<u2")
        every = np.arange(65536, dtype="<u2").view(np.float16)
        f = every.astype(np.float32).view("<u4")
    h.tofile(out16)
    f.tofile(out32)


main()
