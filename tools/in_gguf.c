/*
 * in_gguf.c - read a table, or only a vocabulary, from a GGUF file.
 *
 * GGUF (ggml's model format, versions 2 and 3) is little-endian: the magic
 * "GGUF", a u32 version, u64 tensor and key/value counts, the key/values
 * (a string key, a u32 value type, the value; arrays carry their element
 * type and a u64 count and may nest), the tensor infos (name, u32 n_dims,
 * n_dims u64 dimensions innermost first, u32 ggml type, u64 offset), then,
 * at the next multiple of general.alignment (32 unless given), the tensor
 * data, each tensor at its offset from there.
 *
 * Every count and length is checked against the bytes left in the file
 * before it is used, so no length, however near 2^64, can wrap or make the
 * reader allocate or loop beyond the file's size. The table is
 * token_embd.weight (or --tensor NAME) of type F32, F16 or BF16, with
 * ne[0] = dim and ne[1] = rows; its vocabulary is tokenizer.ggml.tokens.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define GG_MAGIC "GGUF"
#define GG_DEFAULT_ALIGN 32
#define GG_MAX_DIMS 4
#define GG_MAX_NAME 64	 /* the spec's limit on a tensor name */
#define GG_MAX_KEY 65535 /* the spec's limit on a key */
#define GG_MAX_DEPTH 8	 /* arrays nested deeper are refused */
#define GG_TABLE "token_embd.weight"

/* Metadata value types. */
enum {
	GV_U8,
	GV_I8,
	GV_U16,
	GV_I16,
	GV_U32,
	GV_I32,
	GV_F32,
	GV_BOOL,
	GV_STRING,
	GV_ARRAY,
	GV_U64,
	GV_I64,
	GV_F64,
	GV_COUNT
};

static const char *const gv_names[GV_COUNT] = {
	"uint8", "int8",   "uint16", "int16",  "uint32", "int32",   "float32",
	"bool",	 "string", "array",  "uint64", "int64",	 "float64",
};

/* Bytes of a value of a fixed-size type; 0 for string and array. */
static const uint8_t gv_size[GV_COUNT] = {1, 1, 2, 2, 4, 4, 4,
					  1, 0, 0, 8, 8, 8};

/*
 * ggml tensor types by id: the name, and for the types whose layout is
 * plain the elements and bytes of a block, to bound every tensor's bytes.
 * Types with 0 here are still named, and only their offsets are checked.
 */
static const struct ggml_type {
	const char *name;
	uint16_t block, bytes;
} ggml_types[] = {
	{"F32", 1, 4},	      {"F16", 1, 2},	    {"Q4_0", 32, 18},
	{"Q4_1", 32, 20},     {"Q4_2", 0, 0},	    {"Q4_3", 0, 0},
	{"Q5_0", 32, 22},     {"Q5_1", 32, 24},	    {"Q8_0", 32, 34},
	{"Q8_1", 32, 36},     {"Q2_K", 256, 84},    {"Q3_K", 256, 110},
	{"Q4_K", 256, 144},   {"Q5_K", 256, 176},   {"Q6_K", 256, 210},
	{"Q8_K", 256, 292},   {"IQ2_XXS", 0, 0},    {"IQ2_XS", 0, 0},
	{"IQ3_XXS", 0, 0},    {"IQ1_S", 0, 0},	    {"IQ4_NL", 0, 0},
	{"IQ3_S", 0, 0},      {"IQ2_S", 0, 0},	    {"IQ4_XS", 0, 0},
	{"I8", 1, 1},	      {"I16", 1, 2},	    {"I32", 1, 4},
	{"I64", 1, 8},	      {"F64", 1, 8},	    {"IQ1_M", 0, 0},
	{"BF16", 1, 2},	      {"Q4_0_4_4", 0, 0},   {"Q4_0_4_8", 0, 0},
	{"Q4_0_8_8", 0, 0},   {"TQ1_0", 0, 0},	    {"TQ2_0", 0, 0},
	{"IQ4_NL_4_4", 0, 0}, {"IQ4_NL_4_8", 0, 0}, {"IQ4_NL_8_8", 0, 0},
	{"MXFP4", 0, 0},
};

#define GGML_NTYPES (sizeof ggml_types / sizeof ggml_types[0])

enum { GGML_F32 = 0, GGML_F16 = 1, GGML_BF16 = 30 };

/* A reader over the mapped file; every step is bounded by size. */
struct gg {
	const uint8_t *p;
	size_t size;
	size_t pos;
	char *err;
	size_t errsize;
	int rc;
};

/* What a scan of the file found. */
struct gg_scan {
	uint32_t version;
	uint64_t n_tensors, n_kv;
	uint64_t alignment;
	uint64_t data_start;
	/* tokenizer.ggml.tokens: the first element's position, the count */
	int have_tokens;
	size_t tokens_pos;
	uint64_t n_tokens;
	/* string values recorded for the table's metadata */
	const char *name, *model, *arch;
	size_t name_len, model_len, arch_len;
	/* the wanted tensor */
	int found;
	uint32_t type, ndim;
	uint64_t ne[GG_MAX_DIMS];
	uint64_t offset;
	char candidates[300];
	size_t shown, total2d;
};

/* Record the first failure only: it names the place that went wrong. */
CLI_PRINTF(2, 3)
static int gg_fail(struct gg *g, const char *fmt, ...)
{
	va_list ap;

	if (g->rc)
		return SRC_EDATA;
	va_start(ap, fmt);
	vsnprintf(g->err, g->errsize, fmt, ap);
	va_end(ap);
	g->rc = SRC_EDATA;
	return SRC_EDATA;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Take n bytes at the cursor, or fail naming what was being read. */
static const uint8_t *gg_take(struct gg *g, uint64_t n, const char *what)
{
	const uint8_t *at;

	if (n > g->size - g->pos) {
		gg_fail(g,
			"%s: %" PRIu64 " bytes at offset %zu run past the end "
			"of the file (%zu bytes)",
			what, n, g->pos, g->size);
		return NULL;
	}
	at = g->p + g->pos;
	g->pos += (size_t)n;
	return at;
}

static int gg_u32(struct gg *g, uint32_t *v, const char *what)
{
	const uint8_t *b = gg_take(g, 4, what);

	if (!b)
		return SRC_EDATA;
	*v = (uint32_t)le(b, 4);
	return 0;
}

static int gg_u64(struct gg *g, uint64_t *v, const char *what)
{
	const uint8_t *b = gg_take(g, 8, what);

	if (!b)
		return SRC_EDATA;
	*v = le(b, 8);
	return 0;
}

/* A string: u64 length then the bytes, the length checked first. */
static int gg_str(struct gg *g, const char **s, uint64_t *len, const char *what)
{
	char w[200];

	if (gg_u64(g, len, what))
		return SRC_EDATA;
	if (*len > g->size - g->pos) {
		snprintf(w, sizeof w, "%s: string length %" PRIu64, what, *len);
		return gg_fail(g,
			       "%s at offset %zu runs past the end of the "
			       "file (%zu bytes left)",
			       w, g->pos - 8, g->size - g->pos);
	}
	*s = (const char *)gg_take(g, *len, what);
	return *s ? 0 : SRC_EDATA;
}

/*
 * Skip a value of type t. Counts are checked against the bytes left before
 * any loop runs: every element takes at least one byte (a string or array
 * at least 8 or 12), so no count can make this loop past the file.
 */
static int gg_skip(struct gg *g, uint32_t t, int depth, const char *what)
{
	uint32_t et;
	uint64_t count, len, min;
	const char *str;
	const uint8_t *b;

	if (t >= GV_COUNT)
		return gg_fail(g,
			       "%s: unknown value type %" PRIu32
			       " (0..12 are defined)",
			       what, t);
	if (gv_size[t]) {
		b = gg_take(g, gv_size[t], what);
		if (!b)
			return SRC_EDATA;
		if (t == GV_BOOL && b[0] > 1)
			return gg_fail(g,
				       "%s: bool value %u is neither 0 nor 1",
				       what, b[0]);
		return 0;
	}
	if (t == GV_STRING)
		return gg_str(g, &str, &len, what);
	if (depth >= GG_MAX_DEPTH)
		return gg_fail(g, "%s: arrays nested deeper than %d", what,
			       GG_MAX_DEPTH);
	if (gg_u32(g, &et, what) || gg_u64(g, &count, what))
		return SRC_EDATA;
	if (et >= GV_COUNT)
		return gg_fail(g,
			       "%s: array of unknown type %" PRIu32
			       " (0..12 are defined)",
			       what, et);
	min = et == GV_STRING ? 8 : et == GV_ARRAY ? 12 : gv_size[et];
	if (count > (g->size - g->pos) / min)
		return gg_fail(g,
			       "%s: array of %" PRIu64 " %s needs at least "
			       "%" PRIu64 " bytes per element but %zu bytes "
			       "are left",
			       what, count, gv_names[et], min,
			       g->size - g->pos);
	if (gv_size[et] && et != GV_BOOL) {
		g->pos += (size_t)(count * min);
		return 0;
	}
	for (uint64_t i = 0; i < count; i++) {
		if (gg_skip(g, et, depth + 1, what)) {
			size_t o = strlen(g->err);

			snprintf(g->err + o, g->errsize - o,
				 " (array element %" PRIu64 ")", i);
			return SRC_EDATA;
		}
	}
	return 0;
}

static int key_is(const char *k, uint64_t len, const char *name)
{
	return len == strlen(name) && memcmp(k, name, (size_t)len) == 0;
}

/* Keep a string value for the metadata; other types are ignored. */
static int gg_keep_string(struct gg *g, uint32_t t, const char **s, size_t *len,
			  const char *what)
{
	uint64_t l;

	if (t != GV_STRING)
		return gg_skip(g, t, 0, what);
	if (gg_str(g, s, &l, what))
		return SRC_EDATA;
	*len = (size_t)l;
	return 0;
}

static int gg_kv(struct gg *g, struct gg_scan *sc, uint64_t i)
{
	char what[160], q[80];
	const char *key = "";
	uint64_t klen = 0, count, v;
	uint32_t t, et;

	snprintf(what, sizeof what, "metadata %" PRIu64 " key", i);
	if (gg_str(g, &key, &klen, what))
		return SRC_EDATA;
	if (klen == 0 || klen > GG_MAX_KEY)
		return gg_fail(g, "%s: length %" PRIu64 " outside 1..%d", what,
			       klen, GG_MAX_KEY);
	snprintf(what, sizeof what, "metadata %" PRIu64 " (%s)", i,
		 quote_bytes(q, sizeof q, key, (size_t)klen));
	if (gg_u32(g, &t, what))
		return SRC_EDATA;

	if (key_is(key, klen, "general.alignment")) {
		if (t != GV_U32)
			return gg_fail(g, "%s: type %s, expected uint32", what,
				       t < GV_COUNT ? gv_names[t] : "unknown");
		if (gg_u32(g, &et, what))
			return SRC_EDATA;
		v = et;
		if (v == 0 || (v & (v - 1)))
			return gg_fail(g,
				       "%s: %" PRIu64 " is not a power of two",
				       what, v);
		sc->alignment = v;
		return 0;
	}
	if (key_is(key, klen, "tokenizer.ggml.tokens")) {
		if (sc->have_tokens)
			return gg_fail(g, "%s: the key appears twice", what);
		if (t != GV_ARRAY)
			return gg_fail(g,
				       "%s: type %s, expected an array of "
				       "strings",
				       what,
				       t < GV_COUNT ? gv_names[t] : "unknown");
		if (gg_u32(g, &et, what) || gg_u64(g, &count, what))
			return SRC_EDATA;
		if (et != GV_STRING)
			return gg_fail(
				g, "%s: array of %s, expected strings", what,
				et < GV_COUNT ? gv_names[et] : "unknown");
		sc->have_tokens = 1;
		sc->tokens_pos = g->pos;
		sc->n_tokens = count;
		g->pos -= 12; /* walk the array once more to bound it */
		return gg_skip(g, GV_ARRAY, 0, what);
	}
	if (key_is(key, klen, "general.name"))
		return gg_keep_string(g, t, &sc->name, &sc->name_len, what);
	if (key_is(key, klen, "general.architecture"))
		return gg_keep_string(g, t, &sc->arch, &sc->arch_len, what);
	if (key_is(key, klen, "tokenizer.ggml.model"))
		return gg_keep_string(g, t, &sc->model, &sc->model_len, what);
	return gg_skip(g, t, 0, what);
}

static const char *ggml_name(uint32_t type)
{
	return type < GGML_NTYPES ? ggml_types[type].name : NULL;
}

/* Add a 2-D tensor to the list shown when the wanted one is missing. */
static void gg_candidate(struct gg_scan *sc, const char *name, uint64_t len,
			 const uint64_t *ne, uint32_t type)
{
	char item[160], q[80], tn[24];
	size_t o = strlen(sc->candidates);
	const char *n = ggml_name(type);
	int l;

	sc->total2d++;
	if (!n) {
		snprintf(tn, sizeof tn, "type %" PRIu32, type);
		n = tn;
	}
	l = snprintf(item, sizeof item, "%s %s [%" PRIu64 ", %" PRIu64 "] %s",
		     sc->shown ? "," : "",
		     quote_bytes(q, sizeof q, name, (size_t)len), ne[1], ne[0],
		     n);
	if (l > 0 && o + (size_t)l + 24 < sizeof sc->candidates) {
		memcpy(sc->candidates + o, item, (size_t)l + 1);
		sc->shown++;
	}
}

static int gg_tensor_info(struct gg *g, struct gg_scan *sc, uint64_t i,
			  const char *want)
{
	char what[160], q[80];
	const char *name = "";
	uint64_t nlen = 0, ne[GG_MAX_DIMS] = {1, 1, 1, 1}, offset;
	uint32_t ndim, type;

	snprintf(what, sizeof what, "tensor info %" PRIu64 " name", i);
	if (gg_str(g, &name, &nlen, what))
		return SRC_EDATA;
	snprintf(what, sizeof what, "tensor info %" PRIu64 " (%s)", i,
		 quote_bytes(q, sizeof q, name, (size_t)nlen));
	if (nlen > GG_MAX_NAME)
		return gg_fail(
			g, "%s: name length %" PRIu64 " exceeds the limit %d",
			what, nlen, GG_MAX_NAME);
	if (gg_u32(g, &ndim, what))
		return SRC_EDATA;
	if (ndim == 0 || ndim > GG_MAX_DIMS)
		return gg_fail(g, "%s: n_dims %" PRIu32 " outside 1..%d", what,
			       ndim, GG_MAX_DIMS);
	for (uint32_t d = 0; d < ndim; d++)
		if (gg_u64(g, &ne[d], what))
			return SRC_EDATA;
	if (gg_u32(g, &type, what) || gg_u64(g, &offset, what))
		return SRC_EDATA;
	if (offset % sc->alignment)
		return gg_fail(g,
			       "%s: data offset %" PRIu64 " is not a multiple "
			       "of the alignment %" PRIu64,
			       what, offset, sc->alignment);
	if (ndim == 2)
		gg_candidate(sc, name, nlen, ne, type);
	if (!want || !key_is(name, nlen, want))
		return 0;
	if (sc->found)
		return gg_fail(g, "%s: a second tensor of that name", what);
	sc->found = 1;
	sc->type = type;
	sc->ndim = ndim;
	memcpy(sc->ne, ne, sizeof ne);
	sc->offset = offset;
	return 0;
}

/*
 * The second walk over a tensor info, once the data section is known: its
 * bytes must lie inside it. The first walk bounded every read here.
 */
static int gg_tensor_range(struct gg *g, const struct gg_scan *sc, uint64_t i)
{
	const uint64_t avail = g->size - sc->data_start;
	const struct ggml_type *t;
	const char *name = "";
	uint64_t nlen = 0, ne = 0, ne0 = 0, n = 1, offset = 0, blocks;
	uint32_t ndim = 0, type = 0;
	int overflow = 0;
	char q[80];

	if (gg_str(g, &name, &nlen, "name") || gg_u32(g, &ndim, "n_dims"))
		return SRC_EDATA;
	for (uint32_t d = 0; d < ndim; d++) {
		if (gg_u64(g, &ne, "dims"))
			return SRC_EDATA;
		if (d == 0)
			ne0 = ne;
		if (ne && n > UINT64_MAX / ne)
			overflow = 1;
		n *= ne;
	}
	if (gg_u32(g, &type, "type") || gg_u64(g, &offset, "offset"))
		return SRC_EDATA;
	quote_bytes(q, sizeof q, name, (size_t)nlen);
	if (offset > avail)
		return gg_fail(g,
			       "tensor info %" PRIu64 " (%s): data offset "
			       "%" PRIu64 " is past the end of the file (the "
			       "data section at offset %" PRIu64
			       " holds %" PRIu64 " bytes)",
			       i, q, offset, sc->data_start, avail);
	if (type >= GGML_NTYPES || !ggml_types[type].block)
		return 0;
	t = &ggml_types[type];
	if (overflow)
		return gg_fail(g,
			       "tensor info %" PRIu64 " (%s): the dimensions "
			       "overflow a 64-bit element count",
			       i, q);
	if (ne0 % t->block)
		return gg_fail(g,
			       "tensor info %" PRIu64 " (%s): ne[0] %" PRIu64
			       " is not a multiple of the %s block of %u",
			       i, q, ne0, t->name, t->block);
	blocks = n / t->block;
	if (blocks > (avail - offset) / t->bytes)
		return gg_fail(g,
			       "tensor info %" PRIu64 " (%s): %" PRIu64
			       " elements of %s at data offset %" PRIu64
			       " run past the end of the file (the data "
			       "section at offset %" PRIu64 " holds %" PRIu64
			       " bytes)",
			       i, q, n, t->name, offset, sc->data_start, avail);
	return 0;
}

/*
 * Walk the whole header: key/values, then tensor infos, looking for the
 * tensor named want (NULL for none). Fills sc; on failure err says where.
 */
static int gg_scan_file(const struct mapped *m, const char *want,
			struct gg_scan *sc, char *err, size_t errsize)
{
	struct gg g = {m->data, m->size, 0, err, errsize, 0};
	uint64_t end;
	size_t infos;

	memset(sc, 0, sizeof *sc);
	sc->alignment = GG_DEFAULT_ALIGN;
	if (m->size < 4 || memcmp(m->data, GG_MAGIC, 4) != 0)
		return gg_fail(&g, "magic is not %s: not a GGUF file",
			       "\"GGUF\"");
	g.pos = 4;
	if (gg_u32(&g, &sc->version, "header version"))
		return SRC_EDATA;
	if (sc->version != 2 && sc->version != 3) {
		if (sc->version > 0xffff && (sc->version & 0xffff) == 0)
			return gg_fail(&g,
				       "version %" PRIu32 " (0x%08" PRIx32
				       "): a big-endian file? embmap reads "
				       "little-endian GGUF versions 2 and 3",
				       sc->version, sc->version);
		return gg_fail(&g,
			       "version %" PRIu32 " unsupported: embmap "
			       "reads GGUF versions 2 and 3",
			       sc->version);
	}
	if (gg_u64(&g, &sc->n_tensors, "header tensor_count") ||
	    gg_u64(&g, &sc->n_kv, "header metadata_kv_count"))
		return SRC_EDATA;
	/* A key/value takes at least 13 bytes and a tensor info 28. */
	if (sc->n_kv > (m->size - g.pos) / 13)
		return gg_fail(&g,
			       "header metadata_kv_count %" PRIu64
			       " cannot fit in the %zu bytes that follow",
			       sc->n_kv, m->size - g.pos);
	if (sc->n_tensors > (m->size - g.pos) / 28)
		return gg_fail(&g,
			       "header tensor_count %" PRIu64
			       " cannot fit in the %zu bytes that follow",
			       sc->n_tensors, m->size - g.pos);
	for (uint64_t i = 0; i < sc->n_kv; i++)
		if (gg_kv(&g, sc, i))
			return SRC_EDATA;
	infos = g.pos;
	for (uint64_t i = 0; i < sc->n_tensors; i++)
		if (gg_tensor_info(&g, sc, i, want))
			return SRC_EDATA;
	end = g.pos + (sc->alignment - g.pos % sc->alignment) % sc->alignment;
	if (sc->n_tensors && end > m->size)
		return gg_fail(&g,
			       "tensor data would start at offset %" PRIu64
			       " (aligned to %" PRIu64 "), past the end of "
			       "the %zu-byte file",
			       end, sc->alignment, m->size);
	sc->data_start = end;
	g.pos = infos;
	for (uint64_t i = 0; i < sc->n_tensors; i++)
		if (gg_tensor_range(&g, sc, i))
			return SRC_EDATA;
	return 0;
}

/* Load tokenizer.ggml.tokens (already bounded by the scan) into v. */
static int gg_tokens(const struct mapped *m, const struct gg_scan *sc,
		     struct vocab *v, char *err, size_t errsize)
{
	size_t pos = sc->tokens_pos;

	for (uint64_t i = 0; i < sc->n_tokens; i++) {
		uint64_t len = le(m->data + pos, 8);

		if (vocab_add(v, (const char *)m->data + pos + 8,
			      (size_t)len)) {
			snprintf(err, errsize, "out of memory");
			return SRC_ENOMEM;
		}
		pos += 8 + (size_t)len;
	}
	return 0;
}

static int gg_check_table(struct source *s, const struct gg_scan *sc,
			  const char *want, size_t fsize, size_t *esize)
{
	char q[80], tn[24];
	const char *n = ggml_name(sc->type);
	uint64_t need;

	quote_bytes(q, sizeof q, want, strlen(want));
	if (!n) {
		snprintf(tn, sizeof tn, "%" PRIu32, sc->type);
		n = tn;
	}
	if (sc->type == GGML_F32)
		*esize = 4;
	else if (sc->type == GGML_F16 || sc->type == GGML_BF16)
		*esize = 2;
	else
		return src_fail(s, SRC_EDATA,
				"tensor %s has ggml type %s; embmap reads "
				"F32, F16 and BF16",
				q, n);
	if (sc->ndim != 2)
		return src_fail(s, SRC_EDATA,
				"tensor %s has %" PRIu32 " dimensions; a "
				"table is 2-D (ne[0] = dim, ne[1] = rows)",
				q, sc->ndim);
	if (sc->ne[0] == 0 || sc->ne[1] == 0)
		return src_fail(s, SRC_EDATA,
				"tensor %s has ne [%" PRIu64 ", %" PRIu64
				"]: the table is empty",
				q, sc->ne[0], sc->ne[1]);
	if (sc->ne[0] > UINT32_MAX)
		return src_fail(s, SRC_EDATA,
				"tensor %s: dim ne[0] %" PRIu64
				" exceeds the limit %" PRIu32,
				q, sc->ne[0], UINT32_MAX);
	if (sc->ne[1] > UINT64_MAX / sc->ne[0] / *esize)
		return src_fail(s, SRC_EDATA,
				"tensor %s: ne [%" PRIu64 ", %" PRIu64
				"] overflows a 64-bit byte count",
				q, sc->ne[0], sc->ne[1]);
	need = sc->ne[0] * sc->ne[1] * *esize;
	if (sc->offset > fsize - sc->data_start ||
	    need > fsize - sc->data_start - sc->offset)
		return src_fail(s, SRC_EDATA,
				"tensor %s: %" PRIu64 " bytes at offset "
				"%" PRIu64 " (data section at %" PRIu64
				") run past the end of the %zu-byte file",
				q, need, sc->offset, sc->data_start, fsize);
	return 0;
}

static int gg_meta(struct source *s, const char *key, const char *val,
		   size_t len)
{
	char buf[1024];

	if (!val || len >= sizeof buf || memchr(val, 0, len))
		return 0;
	memcpy(buf, val, len);
	buf[len] = '\0';
	return src_meta(s, key, buf);
}

static int gg_open(struct source *s, const char *path,
		   const struct pack_options *o)
{
	struct mapped_rows *p = calloc(1, sizeof *p);
	const char *want = o && o->tensor ? o->tensor : GG_TABLE;
	struct gg_scan sc;
	size_t esize = 0;
	char q[80];
	int rc;

	if (!p)
		return src_fail(s, SRC_ENOMEM, "out of memory");
	s->priv = p;
	s->close = mapped_rows_close;
	s->read = mapped_rows_read;
	if (map_input(path, &p->m) != EXIT_OK)
		return SRC_EIO; /* map_input printed why */

	rc = gg_scan_file(&p->m, want, &sc, s->err, sizeof s->err);
	if (rc)
		return rc;
	if (!sc.found) {
		quote_bytes(q, sizeof q, want, strlen(want));
		if (sc.total2d == 0 && sc.have_tokens)
			return src_fail(s, SRC_EDATA,
					"no tensor %s: the file holds %" PRIu64
					" tensors and no 2-D one; as a "
					"vocabulary of %" PRIu64
					" tokens use it with --vocab",
					q, sc.n_tensors, sc.n_tokens);
		if (sc.total2d == 0)
			return src_fail(s, SRC_EDATA,
					"no tensor %s and no 2-D tensor among "
					"the %" PRIu64 " in the file",
					q, sc.n_tensors);
		return src_fail(s, SRC_EDATA,
				"no tensor %s; choose one with --tensor "
				"NAME (2-D tensors:%s%s)",
				q, sc.candidates,
				sc.shown < sc.total2d ? " and more" : "");
	}
	rc = gg_check_table(s, &sc, want, p->m.size, &esize);
	if (rc)
		return rc;
	if (sc.have_tokens && sc.n_tokens > sc.ne[1])
		return src_fail(s, SRC_EDATA,
				"tokenizer.ggml.tokens has %" PRIu64
				" tokens but tensor %s has %" PRIu64 " rows",
				sc.n_tokens,
				quote_bytes(q, sizeof q, want, strlen(want)),
				sc.ne[1]);

	s->rows = sc.ne[1];
	s->dim = (uint32_t)sc.ne[0];
	s->elem = sc.type == GGML_F32	? SRC_F32
		  : sc.type == GGML_F16 ? SRC_F16
					: SRC_BF16;
	p->row_bytes = (size_t)sc.ne[0] * esize;
	p->rows = p->m.data + sc.data_start + sc.offset;
	if (sc.have_tokens) {
		rc = gg_tokens(&p->m, &sc, &s->vocab, s->err, sizeof s->err);
		if (rc)
			return rc;
		/* Rows past the tokens pad the table, as llm.c's do. */
		if (sc.n_tokens && sc.n_tokens < s->rows)
			s->token_rows = sc.n_tokens;
	}
	rc = src_meta(s, "source.tensor", want);
	if (!rc)
		rc = gg_meta(s, "gguf.general.name", sc.name, sc.name_len);
	if (!rc)
		rc = gg_meta(s, "gguf.general.architecture", sc.arch,
			     sc.arch_len);
	if (!rc)
		rc = gg_meta(s, "gguf.tokenizer.ggml.model", sc.model,
			     sc.model_len);
	return rc;
}

/* A GGUF file's tokenizer.ggml.tokens as a vocabulary (--vocab x.gguf). */
static int gg_vocab_load(const char *path, struct vocab *v, char *err,
			 size_t errsize)
{
	struct mapped m;
	struct gg_scan sc;
	int rc;

	if (map_input(path, &m) != EXIT_OK) {
		err[0] = '\0'; /* map_input printed why */
		return SRC_EIO;
	}
	rc = gg_scan_file(&m, NULL, &sc, err, errsize);
	if (!rc && !sc.have_tokens) {
		snprintf(err, errsize,
			 "no tokenizer.ggml.tokens among the %" PRIu64
			 " metadata keys: the file has no vocabulary",
			 sc.n_kv);
		rc = SRC_EDATA;
	}
	if (!rc)
		rc = gg_tokens(&m, &sc, v, err, errsize);
	unmap_input(&m);
	return rc;
}

static int gg_probe(const char *path, const uint8_t *head, size_t n)
{
	if (n >= 4 && memcmp(head, GG_MAGIC, 4) == 0)
		return 2;
	if (path_has_ext(path, ".gguf"))
		return 1;
	return 0;
}

const struct input_format fmt_gguf = {
	.name = "gguf",
	.what = "GGUF v2/v3 (ggml, llama.cpp): token_embd.weight, F32/F16/BF16",
	.probe = gg_probe,
	.open = gg_open,
};

const struct vocab_format vocab_gguf = {
	.name = "gguf",
	.what = "GGUF v2/v3 tokenizer.ggml.tokens (e.g. llama.cpp vocab files)",
	.probe = gg_probe,
	.load = gg_vocab_load,
};
