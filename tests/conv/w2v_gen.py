#!/usr/bin/env python3
"""Write one deterministic table in the word2vec family of formats.

usage: w2v_gen.py DIR ROWS DIM SEED

The values are float32 bit patterns chosen here (random ones and the
awkward ones: -0, the smallest subnormal, the largest finite value, values
that need all nine digits), so the files are an independent statement of
what embmap must read and write:

  t.bin    word2vec binary, every record ended by "\\n"
  t.txt    word2vec text, values as %.9g (what embmap export prints)
  t.vec    the same as fastText writes it: a space before each newline
  t.glove  GloVe: no header
  t.f32    the matrix alone, raw little-endian float32
  t.words  the tokens, one a line (none needs escaping)
"""
import os
import random
import struct
import sys

SPECIAL = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF,
           0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0xBF800000,
           0x3DCCCCCD, 0x3EAAAAAB, 0x4B7FFFFF, 0x33D6BF95]


def values(rng, n):
    out = []
    for i in range(n):
        if i < len(SPECIAL) and rng.random() < 0.5:
            bits = SPECIAL[i]
        else:
            while True:
                bits = rng.getrandbits(32)
                if (bits >> 23) & 0xFF != 0xFF:
                    break
        out.append(bits)
    return out


def token(i):
    # ASCII, UTF-8 and punctuation; no spaces, tabs or newlines.
    return ["w%d" % i, "caf\u00e9%d" % i, "\u65e5\u672c%d" % i,
            "x\\y%d" % i, "<%d>" % i][i % 5].encode("utf-8")


def main():
    out, rows, dim, seed = sys.argv[1], *map(int, sys.argv[2:5])
    rng = random.Random(seed)
    toks = [token(i) for i in range(rows)]
    mat = [values(rng, dim) for _ in range(rows)]

    def text(r):
        return b" ".join(b"%s" % ("%.9g" % struct.unpack("<f", struct.pack(
            "<I", b))[0]).encode() for b in mat[r])

    head = b"%d %d\n" % (rows, dim)
    with open(os.path.join(out, "t.bin"), "wb") as f:
        f.write(head)
        for t, row in zip(toks, mat):
            f.write(t + b" " + struct.pack("<%dI" % dim, *row) + b"\n")
    with open(os.path.join(out, "t.txt"), "wb") as f:
        f.write(head)
        for r, t in enumerate(toks):
            f.write(t + b" " + text(r) + b"\n")
    with open(os.path.join(out, "t.vec"), "wb") as f:
        f.write(head)
        for r, t in enumerate(toks):
            f.write(t + b" " + text(r) + b" \n")
    with open(os.path.join(out, "t.glove"), "wb") as f:
        for r, t in enumerate(toks):
            f.write(t + b" " + text(r) + b"\n")
    with open(os.path.join(out, "t.f32"), "wb") as f:
        for row in mat:
            f.write(struct.pack("<%dI" % dim, *row))
    with open(os.path.join(out, "t.words"), "wb") as f:
        f.write(b"".join(t + b"\n" for t in toks))


main()
