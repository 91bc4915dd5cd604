#!/usr/bin/python3
"""Write the conv-a test fixtures: safetensors, GGUF and llm.c files and
tokenizer.json, encoder.json and llm.c tokenizer vocabularies, each built
by hand from its published layout, good ones and damaged ones.

usage: conv_a_fix.py OUTDIR
       conv_a_fix.py --table N FILE   (an N x 2 float32 safetensors table)

OUTDIR/manifest.json lists every case for the unit test (test_conv_a.c):
  kind    "in" (an input_format) or "vocab" (a vocab_format)
  name    the case, also its file's stem
  format  the format's name in formats.c
  file    the fixture, relative to OUTDIR
  tensor  --tensor NAME or null
  expect  "ok" or "data" (the reader must fail with SRC_EDATA)
  err     for "data": a piece of text the message must contain
  rows, dim, elem, token_rows, salt   for good tables
  tokens  for good inputs and vocabularies: the tokens file (see below)
  meta    for good tables: {key: value} entries that must be recorded

Values of a table with salt k: v(r, c) = ((7r + 3c + k) mod 64) / 4 - 8,
exact in every float type. A tokens file is, per token, a little-endian
u32 length and the bytes.
"""
import json
import os
import struct
import sys

OUT = sys.argv[1]
CASES = []



def val(r, c, salt):
    return ((7 * r + 3 * c + salt) % 64) / 4.0 - 8.0


def pack_vals(rows, dim, elem, salt):
    out = bytearray()
    for r in range(rows):
        for c in range(dim):
            v = val(r, c, salt)
            if elem == "f32":
                out += struct.pack("<f", v)
            elif elem == "f64":
                out += struct.pack("<d", v)
            elif elem == "f16":
                out += struct.pack("<e", v)
            elif elem == "bf16":
                out += struct.pack("<f", v)[2:]
            else:
                raise ValueError(elem)
    return bytes(out)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    return name


def write_tokens(name, tokens):
    out = bytearray()
    for t in tokens:
        b = t.encode("utf-8") if isinstance(t, str) else t
        out += struct.pack("<I", len(b)) + b
    return write(name + ".tokens", bytes(out))


def good(kind, name, fmt, file, rows=None, dim=None, elem=None, salt=0,
         token_rows=0, tokens=None, tensor=None, meta=None):
    case = {"kind": kind, "name": name, "format": fmt, "file": file,
            "tensor": tensor, "expect": "ok", "salt": salt,
            "token_rows": token_rows, "meta": meta or {}}
    if rows is not None:
        case.update(rows=rows, dim=dim, elem=elem)
    case["tokens"] = write_tokens(name, tokens) if tokens is not None else None
    CASES.append(case)


def bad(kind, name, fmt, file, err, tensor=None):
    CASES.append({"kind": kind, "name": name, "format": fmt, "file": file,
                  "tensor": tensor, "expect": "data", "err": err})


# ---------------------------------------------------------------- safetensors

ST_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I8": 1, "U8": 1}
ELEM = {"F32": "f32", "F16": "f16", "BF16": "bf16", "F64": "f64"}


def st_header(obj, pad=True):
    h = json.dumps(obj, separators=(",", ":")).encode()
    if pad:  # the reference writer pads the header with spaces to 8 bytes
        h += b" " * ((8 - len(h) % 8) % 8)
    return h


def st_raw(header_bytes, buf):
    return struct.pack("<Q", len(header_bytes)) + header_bytes + buf


def st_file(tensors, metadata=None):
    """tensors: (name, dtype, shape, salt) in buffer order."""
    hdr, buf = {}, bytearray()
    if metadata is not None:
        hdr["__metadata__"] = metadata
    for name, dt, shape, salt in tensors:
        if dt in ELEM and len(shape) == 2:
            data = pack_vals(shape[0], shape[1], ELEM[dt], salt)
        else:
            n = 1
            for d in shape:
                n *= d
            data = bytes((salt + i) % 251 for i in range(n * ST_SIZE[dt]))
        hdr[name] = {"dtype": dt, "shape": shape,
                     "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    return st_raw(st_header(hdr), bytes(buf))


def st_cases():
    f = write("st_f32.safetensors", st_file([
        ("transformer.wte.weight", "F32", [12, 5], 0),
        ("transformer.wpe.weight", "F32", [4, 5], 9),
        ("transformer.h.0.ln_1.weight", "F32", [5], 3),
    ], {"format": "pt", "note": "tiny"}))
    good("in", "st_f32", "safetensors", f, 12, 5, "f32", salt=0,
         meta={"safetensors.format": "pt", "safetensors.note": "tiny",
               "source.tensor": "transformer.wte.weight"})
    f = write("st_f16.safetensors", st_file([
        ("model.norm.weight", "F16", [4], 1),
        ("model.embed_tokens.weight", "F16", [7, 4], 2),
    ]))
    good("in", "st_f16", "safetensors", f, 7, 4, "f16", salt=2)
    f = write("st_bf16.safetensors", st_file([
        ("embeddings", "BF16", [9, 3], 5)]))
    good("in", "st_bf16", "safetensors", f, 9, 3, "bf16", salt=5)
    f = write("st_f64.safetensors", st_file([("wte.weight", "F64", [6, 2], 7)]))
    good("in", "st_f64", "safetensors", f, 6, 2, "f64", salt=7)
    f = write("st_choose.safetensors", st_file([
        ("fc1.weight", "F32", [4, 3], 11), ("fc2.weight", "F32", [5, 2], 4)]))
    good("in", "st_tensor_option", "safetensors", f, 5, 2, "f32", salt=4,
         tensor="fc2.weight", meta={"source.tensor": "fc2.weight"})
    bad("in", "st_tensor_not_found", "safetensors", f,
        'no tensor "missing" (--tensor); 2-D tensors: "fc1.weight" [4, 3] '
        'F32, "fc2.weight" [5, 2] F32', tensor="missing")
    bad("in", "st_no_known_name", "safetensors", f,
        'no tensor has a well-known embedding name; choose one with '
        '--tensor NAME (2-D tensors: "fc1.weight" [4, 3] F32, '
        '"fc2.weight" [5, 2] F32)')

    # Offsets listed out of key order, an empty tensor, an unknown dtype
    # elsewhere in the file: all legal.
    emb = pack_vals(3, 2, "f32", 6)
    hdr = {"z": {"dtype": "U8", "shape": [8], "data_offsets": [24, 32]},
           "empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [24, 24]},
           "later": {"dtype": "X7", "shape": [2], "data_offsets": [32, 36]},
           "tok_embeddings.weight": {"dtype": "F32", "shape": [3, 2],
                                     "data_offsets": [0, 24]}}
    f = write("st_unordered.safetensors",
              st_raw(st_header(hdr), emb + bytes(12)))
    good("in", "st_unordered_offsets", "safetensors", f, 3, 2, "f32", salt=6)

    f = write("st_short.safetensors", b"\x05\0\0\0\0")
    bad("in", "st_short", "safetensors", f,
        "the file is 5 bytes, too short for the 8-byte header length")
    h = st_header({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})
    f = write("st_hlen_past.safetensors",
              struct.pack("<Q", 4000) + h + bytes(4))
    bad("in", "st_header_length_past_end", "safetensors", f,
        "header length 4000 runs past the end of the file (%d bytes follow "
        "the length)" % (len(h) + 4))
    f = write("st_hlen_huge.safetensors",
              struct.pack("<Q", 1 << 63) + h + bytes(4))
    bad("in", "st_header_length_limit", "safetensors", f,
        "header length 9223372036854775808 exceeds the limit of 100000000 "
        "bytes")
    f = write("st_not_json.safetensors", st_raw(b"{\"a\": [1, ", b""))
    bad("in", "st_header_not_json", "safetensors", f, "header JSON, line 1")
    f = write("st_array.safetensors", st_raw(b"[1, 2]  ", b""))
    bad("in", "st_header_not_object", "safetensors", f,
        "the header is not a JSON object")
    f = write("st_dupkey.safetensors", st_raw(
        b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
        b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)))
    bad("in", "st_duplicate_tensor_name", "safetensors", f,
        "duplicate object key")

    def st_bad(name, hdr, bufsize, err, tensor=None):
        f = write(name + ".safetensors", st_raw(st_header(hdr),
                                                bytes(bufsize)))
        bad("in", name, "safetensors", f, err, tensor)

    def e(dt, shape, b, en):
        return {"dtype": dt, "shape": shape, "data_offsets": [b, en]}

    st_bad("st_entry_not_object", {"x": 5}, 0,
           'header: tensor "x": entry is not a JSON object')
    st_bad("st_no_dtype", {"x": {"shape": [1], "data_offsets": [0, 4]}}, 4,
           'header: tensor "x": "dtype" is missing or not a string')
    st_bad("st_shape_negative", {"x": e("F32", [2, -1], 0, 4)}, 4,
           'header: tensor "x": shape[1] is not a non-negative integer')
    st_bad("st_offsets_one", {"x": {"dtype": "F32", "shape": [1],
                                    "data_offsets": [0]}}, 4,
           'header: tensor "x": "data_offsets" is missing or not an array '
           '[begin, end]')
    st_bad("st_offsets_reversed", {"x": e("F32", [1], 8, 4)}, 8,
           'header: tensor "x": data_offsets [8, 4] end before they begin')
    st_bad("st_offsets_past_buffer", {"x": e("F32", [16], 0, 64)}, 40,
           'header: tensor "x": data_offsets [0, 64] run past the end of the '
           '40-byte buffer')
    st_bad("st_shape_size_mismatch", {"wte.weight": e("F32", [3, 4], 0, 40)},
           40, 'header: tensor "wte.weight": data_offsets [0, 40] hold 40 '
           'bytes but shape [3, 4] of F32 needs 48')
    st_bad("st_overlap", {"a": e("F32", [6], 0, 24),
                          "b": e("F32", [6], 16, 40)}, 40,
           'header: tensor "b" [16, 40) overlaps tensor "a" [0, 24)')
    st_bad("st_gap", {"a": e("F32", [6], 0, 24), "b": e("F32", [6], 32, 56)},
           56, 'header: tensor "b" begins at buffer offset 32 but tensor '
           '"a" ends at 24: the offsets are not contiguous')
    st_bad("st_first_not_zero", {"a": e("F32", [6], 8, 32)}, 32,
           'header: the first tensor, "a", begins at buffer offset 8, not 0')
    st_bad("st_buffer_tail", {"a": e("F32", [6], 0, 24)}, 32,
           'header: the tensors end at buffer offset 24 but the buffer '
           'holds 32 bytes')
    st_bad("st_shape_overflow", {"a": e("F32", [1 << 62, 1 << 62], 0, 4)}, 4,
           'header: tensor "a": shape has more than 2^64 elements')
    st_bad("st_bytes_overflow", {"a": e("F64", [1 << 61], 0, 8)}, 8,
           'header: tensor "a": shape [2305843009213693952] of F64 '
           'overflows a 64-bit byte count')
    st_bad("st_sub_byte", {"a": e("F4", [3], 0, 2)}, 2,
           'header: tensor "a": shape [3] of F4 does not fill whole bytes')
    st_bad("st_dtype_i8", {"wte.weight": e("I8", [4, 2], 0, 8)}, 8,
           'tensor "wte.weight" has dtype I8; embmap reads F32, F16, BF16 '
           'and F64')
    st_bad("st_dtype_unknown", {"wte.weight": e("Q9", [4, 2], 0, 8)}, 8,
           'tensor "wte.weight" has dtype Q9; embmap reads')
    st_bad("st_three_dims", {"wte.weight": e("F32", [2, 3, 4], 0, 96)}, 96,
           'tensor "wte.weight" has shape [2, 3, 4] (3 dimensions); a table '
           'is 2-D [rows, dim]')
    st_bad("st_no_rows", {"wte.weight": e("F32", [0, 4], 0, 0)}, 0,
           'tensor "wte.weight" has shape [0, 4]: the table is empty')
    st_bad("st_two_known", {"wte.weight": e("F32", [2, 2], 0, 16),
                            "shared.weight": e("F32", [2, 2], 16, 32)}, 32,
           'both "wte.weight" and "shared.weight" look like token '
           'embeddings; choose one with --tensor NAME')
    st_bad("st_meta_not_string", {"__metadata__": {"a": 1},
                                  "wte.weight": e("F32", [1, 1], 0, 4)}, 4,
           'header: __metadata__ "a": the value is not a string')
    st_bad("st_meta_not_object", {"__metadata__": ["a"],
                                  "wte.weight": e("F32", [1, 1], 0, 4)}, 4,
           'header: __metadata__ is not a JSON object')

    # The good f32 file cut short at several points.
    full = open(os.path.join(OUT, "st_f32.safetensors"), "rb").read()
    hl = struct.unpack("<Q", full[:8])[0]
    assert hl == 288
    for cut, err in ((4, "the file is 4 bytes, too short for the 8-byte "
                      "header length"),
                     (40, "header length 288 runs past the end of the file "
                      "(32 bytes follow the length)"),
                     (396, 'header: tensor "transformer.wte.weight": '
                      'data_offsets [0, 240] run past the end of the '
                      '100-byte buffer')):
        f = write("st_cut%d.safetensors" % cut, full[:cut])
        bad("in", "st_truncated_at_%d" % cut, "safetensors", f, err)


# ----------------------------------------------------------------------- GGUF

GV = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6,
      "bool": 7, "str": 8, "arr": 9, "u64": 10, "i64": 11, "f64": 12}
GV_FMT = {"u8": "<B", "i8": "<b", "u16": "<H", "i16": "<h", "u32": "<I",
          "i32": "<i", "f32": "<f", "bool": "<B", "u64": "<Q", "i64": "<q",
          "f64": "<d"}
GGML = {"F32": 0, "F16": 1, "Q8_0": 8, "BF16": 30}


def g_str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def g_val(t, v):
    if t == "str":
        return g_str(v)
    return struct.pack(GV_FMT[t], v)


def g_arr(t, items):
    out = struct.pack("<IQ", GV[t], len(items))
    return out + b"".join(g_val(t, x) for x in items)


def g_kv(key, t, v):
    """v is a Python value for scalars, raw bytes for "arr"."""
    body = v if t == "arr" else g_val(t, v)
    return g_str(key) + struct.pack("<I", GV[t]) + body


def g_align(n, a):
    return n + (a - n % a) % a


def gguf(kvs, tensors, version=3, alignment=32):
    """tensors: (name, ne list innermost first, ggml type, data bytes)."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    out += b"".join(kvs)
    data = bytearray()
    for name, ne, typ, blob in tensors:
        data += bytes(g_align(len(data), alignment) - len(data))
        out += g_str(name) + struct.pack("<I", len(ne))
        out += b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", typ, len(data))
        data += blob
    out += bytes(g_align(len(out), alignment) - len(out))
    return out + bytes(data)


def gg_cases():
    toks = ["<unk>", "Ġthe", "hello", "\u00e9t\u00e9", "a b", "x\ty", "\u2581w",
            "end"]
    every = [g_kv("t.u8", "u8", 200), g_kv("t.i8", "i8", -5),
             g_kv("t.u16", "u16", 60000), g_kv("t.i16", "i16", -300),
             g_kv("t.u32", "u32", 7), g_kv("t.i32", "i32", -7),
             g_kv("t.f32", "f32", 0.5), g_kv("t.bool", "bool", 1),
             g_kv("t.u64", "u64", 1 << 40), g_kv("t.i64", "i64", -(1 << 40)),
             g_kv("t.f64", "f64", 2.25),
             g_kv("t.nested", "arr", struct.pack("<IQ", GV["arr"], 2)
                  + g_arr("u32", [1, 2, 3]) + g_arr("str", ["p", "q"])),
             g_kv("t.bools", "arr", g_arr("bool", [0, 1, 1]))]
    base = [g_kv("general.architecture", "str", "llama"),
            g_kv("general.name", "str", "tiny test"),
            g_kv("tokenizer.ggml.model", "str", "gpt2"),
            g_kv("tokenizer.ggml.tokens", "arr", g_arr("str", toks)),
            g_kv("tokenizer.ggml.scores", "arr",
                 g_arr("f32", [float(-i) for i in range(len(toks))]))]
    V, C = len(toks), 6
    f = write("gg_f32.gguf", gguf(base + every, [
        ("output_norm.weight", [C], GGML["F32"], bytes(4 * C)),
        ("token_embd.weight", [C, V], GGML["F32"], pack_vals(V, C, "f32", 3)),
        ("blk.0.attn_q.weight", [32, 2], GGML["Q8_0"], bytes(68)),
    ]))
    good("in", "gg_f32_v3", "gguf", f, V, C, "f32", salt=3, tokens=toks,
         meta={"gguf.general.name": "tiny test",
               "gguf.general.architecture": "llama",
               "gguf.tokenizer.ggml.model": "gpt2",
               "source.tensor": "token_embd.weight"})
    good("vocab", "gg_f32_as_vocab", "gguf", f, tokens=toks)

    al = [g_kv("general.alignment", "u32", 64)]
    f = write("gg_f16_v2.gguf", gguf(al + base, [
        ("token_embd.weight", [C, V], GGML["F16"], pack_vals(V, C, "f16", 8)),
        ("output.weight", [C, V], GGML["F32"], pack_vals(V, C, "f32", 1)),
    ], version=2, alignment=64))
    good("in", "gg_f16_v2_align64", "gguf", f, V, C, "f16", salt=8,
         tokens=toks)
    good("in", "gg_tensor_option", "gguf", f, V, C, "f32", salt=1, tokens=toks,
         tensor="output.weight", meta={"source.tensor": "output.weight"})
    f = write("gg_bf16.gguf", gguf(base, [
        ("token_embd.weight", [C, V], GGML["BF16"],
         pack_vals(V, C, "bf16", 12))]))
    good("in", "gg_bf16", "gguf", f, V, C, "bf16", salt=12, tokens=toks)
    f = write("gg_notok.gguf", gguf([], [
        ("token_embd.weight", [3, 4], GGML["F32"], pack_vals(4, 3, "f32", 2))]))
    good("in", "gg_without_tokens", "gguf", f, 4, 3, "f32", salt=2, tokens=[])
    f = write("gg_padded.gguf", gguf(base, [
        ("token_embd.weight", [C, V + 4], GGML["F32"],
         pack_vals(V + 4, C, "f32", 6))]))
    good("in", "gg_rows_past_tokens", "gguf", f, V + 4, C, "f32", salt=6,
         tokens=toks, token_rows=V)
    f = write("gg_vocab.gguf", gguf(base, []))
    good("vocab", "gg_vocab_only", "gguf", f, tokens=toks)
    bad("in", "gg_vocab_only_as_table", "gguf", f,
        'no tensor "token_embd.weight": the file holds 0 tensors and no 2-D '
        'one; as a vocabulary of 8 tokens use it with --vocab')
    f = write("gg_notokens.gguf", gguf([g_kv("general.name", "str", "x")], []))
    bad("vocab", "gg_vocab_without_tokens", "gguf", f,
        "no tokenizer.ggml.tokens among the 1 metadata keys")

    emb = ("token_embd.weight", [C, V], GGML["F32"], pack_vals(V, C, "f32", 3))

    def gg_bad(name, data, err, tensor=None, kind="in"):
        f = write(name + ".gguf", data)
        bad(kind, name, "gguf", f, err, tensor)

    good_file = gguf(base, [emb])
    gg_bad("gg_magic", b"GGUX" + good_file[4:], 'magic is not "GGUF"')
    gg_bad("gg_version_1", b"GGUF" + struct.pack("<I", 1) + good_file[8:],
           "version 1 unsupported: embmap reads GGUF versions 2 and 3")
    gg_bad("gg_version_4", b"GGUF" + struct.pack("<I", 4) + good_file[8:],
           "version 4 unsupported")
    gg_bad("gg_big_endian", b"GGUF" + struct.pack(">I", 3) + good_file[8:],
           "version 50331648 (0x03000000): a big-endian file?")
    gg_bad("gg_kv_count_lie", b"GGUF" + struct.pack("<IQQ", 3, 1, 1 << 40)
           + good_file[24:], "header metadata_kv_count 1099511627776 cannot "
           "fit in the")
    gg_bad("gg_tensor_count_lie", b"GGUF" + struct.pack("<IQQ", 3, 1 << 50,
                                                         len(base))
           + good_file[24:], "header tensor_count 1125899906842624 cannot "
           "fit in the")
    gg_bad("gg_key_length_huge", b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
           + struct.pack("<Q", (1 << 64) - 1) + b"general.name" + bytes(40),
           "metadata 0 key: string length 18446744073709551615 at offset 24 "
           "runs past the end of the file (52 bytes left)")
    huge_tok = (struct.pack("<IQ", GV["str"], 3) + g_str("a") + g_str("b")
                + struct.pack("<Q", (1 << 64) - 5) + b"zz")
    gg_bad("gg_token_length_huge", gguf(
        [g_kv("tokenizer.ggml.tokens", "arr", huge_tok)], []),
        'metadata 0 ("tokenizer.ggml.tokens"): string length '
        '18446744073709551611 at offset')
    gg_bad("gg_token_length_huge_vocab", gguf(
        [g_kv("tokenizer.ggml.tokens", "arr", huge_tok)], []),
        "(array element 2)", kind="vocab")
    gg_bad("gg_array_count_lie", gguf([g_kv(
        "t.big", "arr", struct.pack("<IQ", GV["u32"], 1 << 61) + bytes(8))],
        []), 'metadata 0 ("t.big"): array of 2305843009213693952 uint32 '
        'needs at least 4 bytes per element but 11 bytes are left')
    gg_bad("gg_value_type", gguf([g_str("t.x") + struct.pack("<I", 13)
                                  + bytes(8)], []),
           'metadata 0 ("t.x"): unknown value type 13 (0..12 are defined)')
    gg_bad("gg_bool_value", gguf([g_kv("t.b", "u8", 2)[:-5]
                                  + struct.pack("<IB", GV["bool"], 2)], []),
           'metadata 0 ("t.b"): bool value 2 is neither 0 nor 1')
    deep = struct.pack("<IQ", GV["arr"], 1) * 9 + struct.pack("<IQ", 0, 0)
    gg_bad("gg_nested_too_deep", gguf([g_kv("t.deep", "arr", deep)], []),
           'metadata 0 ("t.deep"): arrays nested deeper than 8')
    gg_bad("gg_alignment_not_pow2", gguf(
        [g_kv("general.alignment", "u32", 48)], [emb], alignment=48),
        'metadata 0 ("general.alignment"): 48 is not a power of two')
    gg_bad("gg_alignment_type", gguf(
        [g_kv("general.alignment", "u64", 64)], [emb]),
        'metadata 0 ("general.alignment"): type uint64, expected uint32')
    gg_bad("gg_tokens_not_strings", gguf(
        [g_kv("tokenizer.ggml.tokens", "arr", g_arr("i32", [1, 2]))], [emb]),
        'metadata 0 ("tokenizer.ggml.tokens"): array of int32, expected '
        'strings')
    gg_bad("gg_more_tokens_than_rows", gguf(
        [g_kv("tokenizer.ggml.tokens", "arr", g_arr("str", toks + ["z"]))],
        [emb]), 'tokenizer.ggml.tokens has 9 tokens but tensor '
        '"token_embd.weight" has 8 rows')

    def info(name, ne, typ, off):
        return (g_str(name) + struct.pack("<I", len(ne))
                + b"".join(struct.pack("<Q", d) for d in ne)
                + struct.pack("<IQ", typ, off))

    def raw_gguf(infos, data, kvs=()):
        out = b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(kvs))
        out += b"".join(kvs) + b"".join(infos)
        out += bytes(g_align(len(out), 32) - len(out))
        return out + data

    blob = pack_vals(V, C, "f32", 3)
    gg_bad("gg_n_dims_5", raw_gguf([info("token_embd.weight",
                                         [C, V, 1, 1, 1], 0, 0)], blob),
           'tensor info 0 ("token_embd.weight"): n_dims 5 outside 1..4')
    gg_bad("gg_misaligned_offset", raw_gguf(
        [info("a", [4], 0, 0), info("token_embd.weight", [C, V], 0, 16)],
        bytes(16) + blob), 'tensor info 1 ("token_embd.weight"): data offset '
        '16 is not a multiple of the alignment 32')
    gg_bad("gg_name_too_long", raw_gguf([info("n" * 65, [4], 0, 0)], bytes(16)),
           "name length 65 exceeds the limit 64")
    gg_bad("gg_quantized", raw_gguf([info("token_embd.weight", [32, 4], 8, 0)],
                                    bytes(136)),
           'tensor "token_embd.weight" has ggml type Q8_0; embmap reads F32, '
           'F16 and BF16')
    gg_bad("gg_type_unknown", raw_gguf(
        [info("token_embd.weight", [2, 2], 200, 0)], bytes(16)),
        'tensor "token_embd.weight" has ggml type 200')
    gg_bad("gg_table_3d", raw_gguf([info("token_embd.weight", [2, 2, 2], 0, 0)],
                                   bytes(32)),
           'tensor "token_embd.weight" has 3 dimensions; a table is 2-D')
    gg_bad("gg_table_empty", raw_gguf(
        [info("token_embd.weight", [4, 0], 0, 0)], b""),
        'tensor "token_embd.weight" has ne [4, 0]: the table is empty')
    gg_bad("gg_table_not_found", raw_gguf(
        [info("a", [3, 4], 0, 0), info("b", [5], 1, 64)], bytes(74)),
        'no tensor "token_embd.weight"; choose one with --tensor NAME (2-D '
        'tensors: "a" [4, 3] F32)')
    gg_bad("gg_tensor_option_missing", raw_gguf(
        [info("token_embd.weight", [C, V], 0, 0)], blob),
        'no tensor "nope"; choose one with --tensor NAME (2-D tensors: '
        '"token_embd.weight" [8, 6] F32)', tensor="nope")
    gg_bad("gg_data_past_end", raw_gguf(
        [info("token_embd.weight", [C, V], 0, 0)], blob[:-4]),
        'tensor info 0 ("token_embd.weight"): 48 elements of F32 at data '
        'offset 0 run past the end of the file (the data section at offset '
        '96 holds 188 bytes)')
    gg_bad("gg_data_offset_past_end", raw_gguf(
        [info("token_embd.weight", [C, V], 0, 1 << 40)], blob),
        'tensor info 0 ("token_embd.weight"): data offset 1099511627776 is '
        'past the end of the file (the data section at offset 96 holds 192 '
        'bytes)')
    gg_bad("gg_duplicate_tensor", raw_gguf(
        [info("token_embd.weight", [2, 2], 0, 0),
         info("token_embd.weight", [2, 2], 0, 32)], bytes(48)),
        'tensor info 1 ("token_embd.weight"): a second tensor of that name')

    # The good file cut short at several points.
    full = open(os.path.join(OUT, "gg_f32.gguf"), "rb").read()
    assert len(full) == 1188
    for cut, err in (
            (3, 'magic is not "GGUF"'),
            (10, "header tensor_count: 8 bytes at offset 8 run past the end "
             "of the file (10 bytes)"),
            (20, "header metadata_kv_count: 8 bytes at offset 16 run past "
             "the end of the file (20 bytes)"),
            (60, "header metadata_kv_count 18 cannot fit in the 36 bytes "
             "that follow"),
            (300, "metadata 4 key: 8 bytes at offset 296 run past the end of "
             "the file (300 bytes)"),
            (788, "tensor info 1 name: string length 17 at offset 772 runs "
             "past the end of the file (8 bytes left)"),
            (1184, 'tensor info 2 ("blk.0.attn_q.weight"): 64 elements of '
             'Q8_0 at data offset 224 run past the end of the file (the data '
             'section at offset 896 holds 288 bytes)')):
        f = write("gg_cut%d.gguf" % cut, full[:cut])
        bad("in", "gg_truncated_at_%d" % cut, "gguf", f, err)


# ---------------------------------------------------------------------- llm.c

def llmc(V=10, Vp=16, C=8, maxT=4, L=1, NH=2, version=3, magic=20240326,
         salt=0):
    hdr = [magic, version, maxT, V, L, NH, C, Vp] + [0] * 248
    elem = "f32" if version == 3 else "bf16"
    es = 4 if version == 3 else 2
    total = Vp * C + maxT * C + L * (12 * C * C + 13 * C) + 2 * C
    wte = pack_vals(Vp, C, elem, salt)
    return struct.pack("<256i", *hdr) + wte + bytes((total - Vp * C) * es)


def llmc_cases():
    f = write("llmc_f32.bin", llmc(salt=13))
    good("in", "llmc_f32_v3", "llmc", f, 16, 8, "f32", salt=13, token_rows=10,
         meta={"llmc.vocab_size": "10", "llmc.padded_vocab_size": "16",
               "llmc.num_layers": "1"})
    f = write("llmc_bf16.bin", llmc(version=5, V=13, Vp=16, C=4, salt=21))
    good("in", "llmc_bf16_v5", "llmc", f, 16, 4, "bf16", salt=21,
         token_rows=13)
    full = open(os.path.join(OUT, "llmc_f32.bin"), "rb").read()
    cases = [
        ("llmc_magic", llmc(magic=20240327),
         "header magic 20240327, expected 20240326"),
        ("llmc_version", llmc(version=4),
         "header version 4 unsupported: 3 (float32) and 5 (bfloat16)"),
        ("llmc_short", full[:100],
         "the file is 100 bytes, shorter than the 1024-byte llm.c header"),
        ("llmc_vocab_over_padded", llmc(V=20, Vp=16),
         "header vocab_size 20 exceeds padded_vocab_size 16"),
        ("llmc_zero_channels", llmc(C=0),
         "header channels is 0, must be positive"),
        ("llmc_truncated_in_wte", full[:1024 + 100],
         "truncated: wte (16 x 8 x 4 bytes) needs 512 bytes after the "
         "header, the file has 100: 412 bytes missing"),
        ("llmc_truncated_after_wte", full[:1024 + 600],
         "the file has 600 bytes of parameters but GPT-2 with "
         "padded_vocab_size 16, channels 8, max_seq_len 4 and num_layers 1 "
         "has 4192 (truncated)"),
        ("llmc_truncated_by_4", full[:-4], "(truncated)"),
        ("llmc_extra_bytes", full + bytes(8), "(extra bytes at the end)"),
    ]
    for name, data, err in cases:
        bad("in", name, "llmc", write(name + ".bin", data), err)


# --------------------------------------------------------------- vocabularies

def jwrite(name, obj):
    return write(name, json.dumps(obj, ensure_ascii=False, indent=1).encode())


def added(i, content):
    return {"id": i, "content": content, "single_word": False,
            "lstrip": False, "rstrip": False, "normalized": False,
            "special": True}


def vocab_cases():
    bpe = {"!": 0, "\u0120the": 1, "hello": 2, "\u0120\u00e9t\u00e9": 3,
           "<|endoftext|>": 4}
    tok = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": [added(4, "<|endoftext|>")],
           "normalizer": None, "pre_tokenizer": {"type": "ByteLevel"},
           "model": {"type": "BPE", "vocab": bpe, "merges": ["\u0120 t"]}}
    f = jwrite("tok_bpe.json", tok)
    good("vocab", "tokjson_bpe", "tokenizer-json", f,
         tokens=["!", "\u0120the", "hello", "\u0120\u00e9t\u00e9",
                 "<|endoftext|>"])
    wp = {"[PAD]": 0, "[UNK]": 1, "hello": 2, "##lo": 3}
    tok = {"version": "1.0", "added_tokens": [added(0, "[PAD]"),
                                              added(4, "<extra>")],
           "model": {"type": "WordPiece", "vocab": wp}}
    f = jwrite("tok_wordpiece.json", tok)
    good("vocab", "tokjson_wordpiece_added_beyond", "tokenizer-json", f,
         tokens=["[PAD]", "[UNK]", "hello", "##lo", "<extra>"])
    tok = {"added_tokens": [added(3, "<mask>")],
           "model": {"type": "Unigram", "unk_id": 0,
                     "vocab": [["<unk>", 0.0], ["\u2581hello", -1.5],
                               ["a", -2]]}}
    f = jwrite("tok_unigram.json", tok)
    good("vocab", "tokjson_unigram", "tokenizer-json", f,
         tokens=["<unk>", "\u2581hello", "a", "<mask>"])
    f = write("tok_nul.json", b'{"model": {"vocab": [["\\u0001", 0], '
              b'["a\\u0000b", -1]]}}')
    good("vocab", "tokjson_nul_bytes", "tokenizer-json", f,
         tokens=[b"\x01", b"a\x00b"])

    f = write("tok_nul_key.json", b'{"model": {"vocab": {"a\\u0000b": 0}}}')
    bad("vocab", "tokjson_nul_in_key", "tokenizer-json", f,
        "NUL byte in object key not supported")

    enc = {"!": 0, "\"": 1, "\u0120the": 2, "\u00c4\u00a3": 3, "end": 4}
    f = jwrite("enc_model_first.json", {"model": 0, "version": 1, "x": 2})
    good("vocab", "encjson_first_key_model", "encoder-json", f,
         tokens=["model", "version", "x"])
    f = jwrite("encoder.json", enc)
    good("vocab", "encjson_gpt2", "encoder-json", f,
         tokens=["!", "\"", "\u0120the", "\u00c4\u00a3", "end"])

    def tj_bad(name, obj, err, fmt="tokenizer-json"):
        f = jwrite(name + ".json", obj) if not isinstance(obj, bytes) \
            else write(name + ".json", obj)
        bad("vocab", name, fmt, f, err)

    tj_bad("tokjson_gap", {"model": {"vocab": {"a": 0, "b": 2}}},
           'id 1 is missing (ids must cover 0..1 for 2 tokens; token "b" has '
           'id 2)')
    tj_bad("tokjson_gap_inside", {"added_tokens": [added(0, "a")],
                                  "model": {"vocab": {"a": 0, "b": 2}}},
           "id 1 is missing (ids must cover 0..2)")
    tj_bad("tokjson_shared_id", {"model": {"vocab": {"a": 0, "b": 1, "c": 1}}},
           'model.vocab: tokens "b" and "c" share id 1')
    tj_bad("tokjson_added_conflict", {"added_tokens": [added(1, "<x>")],
                                      "model": {"vocab": {"a": 0, "b": 1}}},
           'added_tokens[0]: tokens "b" and "<x>" share id 1')
    tj_bad("tokjson_negative_id", {"model": {"vocab": {"a": 0, "b": -1}}},
           'model.vocab: token "b" has negative id -1')
    tj_bad("tokjson_id_not_integer", {"model": {"vocab": {"a": "0"}}},
           'model.vocab: token "a": the id is not an integer')
    tj_bad("tokjson_no_model", {"version": "1.0"},
           'no "model" object: not a Hugging Face tokenizer.json')
    tj_bad("tokjson_no_vocab", {"model": {"type": "BPE"}},
           "model.vocab is missing or neither an object nor a list "
           "(model.type BPE)")
    tj_bad("tokjson_bad_pair", {"model": {"vocab": [["a", 0.0], ["b"]]}},
           "model.vocab[1] is not a [token, score] pair")
    tj_bad("tokjson_added_malformed", {"added_tokens": [{"id": "x"}],
                                       "model": {"vocab": {"a": 0}}},
           'added_tokens[0]: needs an integer "id" and a string "content"')
    tj_bad("tokjson_truncated", b'{"model": {"vocab": {"a": 0, "b',
           "JSON, line 1 column")
    tj_bad("tokjson_duplicate_key", b'{"model": {"vocab": {"a": 0, "a": 1}}}',
           "duplicate object key")
    tj_bad("encjson_not_object", [1, 2],
           "the top level is not an object of token -> id", "encoder-json")
    tj_bad("encjson_gap", {"a": 0, "b": 1, "c": 5},
           'id 2 is missing (ids must cover 0..2 for 3 tokens; token "c" has '
           'id 5)', "encoder-json")
    tj_bad("encjson_empty", {}, "the vocabulary is empty", "encoder-json")

    # llm.c tokenizer files
    def llmc_tok(tokens, version=2, magic=20240328, n=None, eot=None):
        hdr = [magic, version, len(tokens) if n is None else n,
               (len(tokens) - 1 if eot is None else eot) if version == 2
               else 0] + [0] * 252
        out = struct.pack("<256I", *hdr)
        for t in tokens:
            b = t.encode() if isinstance(t, str) else t
            out += struct.pack("<B", len(b)) + b
        return out

    lt = [b"!", b" the", b"\xff\xfe", b"hello", b"<|endoftext|>"]
    f = write("llmc_tok_v2.bin", llmc_tok(lt))
    good("vocab", "llmctok_v2", "llmc", f, tokens=lt)
    f = write("llmc_tok_v1.bin", llmc_tok(lt[:3], version=1))
    good("vocab", "llmctok_v1", "llmc", f, tokens=lt[:3])
    full = llmc_tok(lt)
    for name, data, err in [
        ("llmctok_magic", llmc_tok(lt, magic=20240326),
         "header magic 20240326, expected 20240328"),
        ("llmctok_version", llmc_tok(lt, version=3),
         "header version 3 unsupported: 1 and 2 are known"),
        ("llmctok_short", full[:512],
         "the file is 512 bytes, shorter than the 1024-byte llm.c tokenizer "
         "header"),
        ("llmctok_zero_count", llmc_tok([], n=0, eot=0),
         "header vocab size is 0"),
        ("llmctok_count_lie", llmc_tok(lt, n=1 << 30),
         "header vocab size 1073741824 cannot fit in the 30 bytes after the "
         "header"),
        ("llmctok_eot", llmc_tok(lt, eot=5),
         "header eot token 5 is not below the vocab size 5"),
        ("llmctok_truncated_in_token", full[:1045],
         "truncated: token 4 at offset 1040 has length 13 but 4 bytes are "
         "left"),
        ("llmctok_truncated_between", full[:1040],
         "truncated: the file ends at token 4 of 5"),
        ("llmctok_empty_token", llmc_tok([b"abc", b"", b"cde"]),
         "token 1 at offset 1028 has length 0"),
        ("llmctok_trailing", full + b"xyz",
         "3 bytes follow the last of the 5 tokens (at offset 1054)"),
    ]:
        bad("vocab", name, "llmc", write(name + ".bin", data), err)

    # For the command tests: duplicate tokens, and vocabularies naming the
    # rows of the tables above.
    write("llmc_tok_dup.bin", llmc_tok([b"a", b"b", b"a", b"c"]))
    write("llmc_tok_10.bin", llmc_tok(["t%d" % i for i in range(10)]))
    write_tokens("llmc_tok_10", ["t%d" % i for i in range(10)])
    jwrite("tok_12.json", {"model": {"type": "WordLevel", "vocab": {
        "w%d" % i: i for i in range(12)}}})
    write_tokens("tok_12", ["w%d" % i for i in range(12)])
    enc8 = {t: i for i, t in enumerate(["<unk>", "Ġthe", "hello", "été",
                                        "a b", "x\ty", "\u2581w", "end"])}
    jwrite("enc_8.json", enc8)


if len(sys.argv) == 4 and sys.argv[1] == "--table":
    # A table of N rows x 2 float32 values, salt 0, named "embeddings", to
    # pair with a vocabulary of N tokens.
    n = int(sys.argv[2])
    with open(sys.argv[3], "wb") as tf:
        tf.write(st_file([("embeddings", "F32", [n, 2], 0)]))
    sys.exit(0)

os.makedirs(OUT, exist_ok=True)
st_cases()
gg_cases()
llmc_cases()
vocab_cases()
with open(os.path.join(OUT, "manifest.json"), "w") as mf:
    json.dump(CASES, mf, indent=1)
print("conv_a_fix: %d cases in %s" % (len(CASES), OUT))
