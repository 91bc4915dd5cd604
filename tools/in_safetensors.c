/*
 * in_safetensors.c - read a table from a Hugging Face safetensors file.
 *
 * The file is a little-endian u64 N, N bytes of JSON, then the byte buffer.
 * The JSON object maps each tensor's name to {dtype, shape, data_offsets},
 * the offsets [begin, end) counting from the buffer's first byte; an
 * optional "__metadata__" object maps strings to strings. Every rule of the
 * format is checked before a byte of the buffer is used: the tensors tile
 * the buffer exactly, without gap or overlap, and each byte range holds
 * exactly its shape's elements. The rows are then copied straight from the
 * mapping, so memory stays bounded whatever the file's size.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* The reference implementation refuses larger headers; so do we. */
#define ST_MAX_HEADER 100000000ull

/* The longest shape text kept for messages. */
#define ST_SHAPE_TEXT 48

struct st_dtype {
	const char *name;
	unsigned bits;
	int elem; /* enum src_elem; 0 when embmap cannot read it */
};

static const struct st_dtype st_dtypes[] = {
	{"F32", 32, SRC_F32}, {"F16", 16, SRC_F16}, {"BF16", 16, SRC_BF16},
	{"F64", 64, SRC_F64}, {"BOOL", 8, 0},	    {"U8", 8, 0},
	{"I8", 8, 0},	      {"F8_E5M2", 8, 0},    {"F8_E4M3", 8, 0},
	{"F8_E8M0", 8, 0},    {"I16", 16, 0},	    {"U16", 16, 0},
	{"I32", 32, 0},	      {"U32", 32, 0},	    {"I64", 64, 0},
	{"U64", 64, 0},	      {"C64", 64, 0},	    {"F4", 4, 0},
	{"F6_E2M3", 6, 0},    {"F6_E3M2", 6, 0},
};

/*
 * Names under which well-known models store their token embeddings. Exactly
 * one of them present picks the table when --tensor is not given.
 */
static const char *const st_known[] = {
	"wte.weight",
	"transformer.wte.weight",
	"model.embed_tokens.weight",
	"embed_tokens.weight",
	"model.decoder.embed_tokens.weight",
	"model.language_model.embed_tokens.weight",
	"embeddings.word_embeddings.weight",
	"bert.embeddings.word_embeddings.weight",
	"roberta.embeddings.word_embeddings.weight",
	"word_embeddings.weight",
	"transformer.word_embeddings.weight",
	"gpt_neox.embed_in.weight",
	"shared.weight",
	"tok_embeddings.weight",
	"token_embd.weight",
	"emb.weight",
	"embeddings",
};

struct st_entry {
	const char *name; /* owned by the JSON tree */
	const char *dtype;
	const struct st_dtype *dt; /* NULL for a dtype unknown here */
	uint64_t begin, end;
	int ndim;
	uint64_t dim[2]; /* the first two dimensions */
	char shape[ST_SHAPE_TEXT];
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static const struct st_dtype *st_find_dtype(const char *name)
{
	for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
		if (!strcmp(st_dtypes[i].name, name))
			return &st_dtypes[i];
	return NULL;
}

/* A non-negative JSON integer; 0 when it is one. */
static int st_uint(const json_t *j, uint64_t *out)
{
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(j);
	return 0;
}

static int st_entry_parse(struct source *s, const char *name, json_t *val,
			  uint64_t bufsize, struct st_entry *e)
{
	json_t *dtype = json_object_get(val, "dtype");
	json_t *shape = json_object_get(val, "shape");
	json_t *offs = json_object_get(val, "data_offsets");
	char q[80];
	uint64_t nelem = 1, bits, need;
	size_t i, o = 0;

	e->name = name;
	quote_bytes(q, sizeof q, name, strlen(name));
	if (!json_is_object(val))
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: entry is not a JSON object",
				q);
	if (!json_is_string(dtype))
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: \"dtype\" is missing or "
				"not a string",
				q);
	if (!json_is_array(shape))
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: \"shape\" is missing or "
				"not an array",
				q);
	if (!json_is_array(offs) || json_array_size(offs) != 2)
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: \"data_offsets\" is "
				"missing or not an array [begin, end]",
				q);
	e->dtype = json_string_value(dtype);
	e->dt = st_find_dtype(e->dtype);
	e->ndim = (int)json_array_size(shape);
	e->shape[o++] = '[';
	for (i = 0; i < json_array_size(shape); i++) {
		uint64_t d;

		if (st_uint(json_array_get(shape, i), &d) != 0)
			return src_fail(s, SRC_EDATA,
					"header: tensor %s: shape[%zu] is "
					"not a non-negative integer",
					q, i);
		if (i < 2)
			e->dim[i] = d;
		if (d != 0 && nelem > UINT64_MAX / d)
			return src_fail(s, SRC_EDATA,
					"header: tensor %s: shape has more "
					"than 2^64 elements",
					q);
		nelem *= d;
		if (o < sizeof e->shape - 28)
			o += (size_t)snprintf(e->shape + o, sizeof e->shape - o,
					      "%s%" PRIu64, i ? ", " : "", d);
		else if (o < sizeof e->shape - 5)
			o += (size_t)snprintf(e->shape + o, sizeof e->shape - o,
					      ", ...");
	}
	snprintf(e->shape + o, sizeof e->shape - o, "]");

	if (st_uint(json_array_get(offs, 0), &e->begin) != 0 ||
	    st_uint(json_array_get(offs, 1), &e->end) != 0)
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: data_offsets must be "
				"non-negative integers",
				q);
	if (e->end < e->begin)
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: data_offsets [%" PRIu64
				", %" PRIu64 "] end before they begin",
				q, e->begin, e->end);
	if (e->end > bufsize)
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: data_offsets [%" PRIu64
				", %" PRIu64 "] run past the end of the "
				"%" PRIu64 "-byte buffer",
				q, e->begin, e->end, bufsize);

	/* A dtype unknown here cannot be sized; the tiling still binds it. */
	if (!e->dt)
		return 0;
	if (nelem > UINT64_MAX / e->dt->bits)
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: shape %s of %s overflows "
				"a 64-bit byte count",
				q, e->shape, e->dtype);
	bits = nelem * e->dt->bits;
	if (bits % 8)
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: shape %s of %s does not "
				"fill whole bytes",
				q, e->shape, e->dtype);
	need = bits / 8;
	if (need != e->end - e->begin)
		return src_fail(s, SRC_EDATA,
				"header: tensor %s: data_offsets [%" PRIu64
				", %" PRIu64 "] hold %" PRIu64
				" bytes but shape %s of %s needs %" PRIu64,
				q, e->begin, e->end, e->end - e->begin,
				e->shape, e->dtype, need);
	return 0;
}

static int st_cmp(const void *a, const void *b)
{
	const struct st_entry *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/* The ranges, sorted, must follow each other from 0 to the buffer's end. */
static int st_check_tiling(struct source *s, struct st_entry *e, size_t n,
			   uint64_t bufsize)
{
	uint64_t at = 0;
	char q[80], r[80];

	qsort(e, n, sizeof *e, st_cmp);
	for (size_t i = 0; i < n; i++) {
		quote_bytes(q, sizeof q, e[i].name, strlen(e[i].name));
		if (e[i].begin < at)
			return src_fail(s, SRC_EDATA,
					"header: tensor %s [%" PRIu64
					", %" PRIu64 ") overlaps tensor %s "
					"[%" PRIu64 ", %" PRIu64 ")",
					q, e[i].begin, e[i].end,
					quote_bytes(r, sizeof r, e[i - 1].name,
						    strlen(e[i - 1].name)),
					e[i - 1].begin, e[i - 1].end);
		if (e[i].begin > at && i == 0)
			return src_fail(s, SRC_EDATA,
					"header: the first tensor, %s, begins "
					"at buffer offset %" PRIu64
					", not 0: the bytes before it belong "
					"to no tensor",
					q, e[i].begin);
		if (e[i].begin > at)
			return src_fail(s, SRC_EDATA,
					"header: tensor %s begins at buffer "
					"offset %" PRIu64 " but tensor %s "
					"ends at %" PRIu64
					": the offsets are not contiguous",
					q, e[i].begin,
					quote_bytes(r, sizeof r, e[i - 1].name,
						    strlen(e[i - 1].name)),
					at);
		at = e[i].end;
	}
	if (at != bufsize)
		return src_fail(s, SRC_EDATA,
				"header: the tensors end at buffer offset "
				"%" PRIu64 " but the buffer holds %" PRIu64
				" bytes",
				at, bufsize);
	return 0;
}

/* "2-D tensors: a [3, 4] F32, b [5, 6] F16" for a failure message. */
static void st_candidates(const struct st_entry *e, size_t n, char *out,
			  size_t cap)
{
	size_t o = 0, shown = 0, total = 0;
	char q[80];

	for (size_t i = 0; i < n; i++)
		total += e[i].ndim == 2;
	if (total == 0) {
		snprintf(out, cap, "the file has no 2-D tensor among its %zu",
			 n);
		return;
	}
	o = (size_t)snprintf(out, cap, "2-D tensors:");
	for (size_t i = 0; i < n && o < cap; i++) {
		char item[160];
		int len;

		if (e[i].ndim != 2)
			continue;
		len = snprintf(
			item, sizeof item, "%s %s %s %s", shown ? "," : "",
			quote_bytes(q, sizeof q, e[i].name, strlen(e[i].name)),
			e[i].shape, e[i].dtype);
		if (o + (size_t)len + 24 >= cap)
			break;
		memcpy(out + o, item, (size_t)len + 1);
		o += (size_t)len;
		shown++;
	}
	if (shown < total && o < cap)
		snprintf(out + o, cap - o, " and %zu more", total - shown);
}

static const struct st_entry *st_by_name(const struct st_entry *e, size_t n,
					 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return &e[i];
	return NULL;
}

static const struct st_entry *st_choose(struct source *s,
					const struct st_entry *e, size_t n,
					const char *want)
{
	const struct st_entry *pick = NULL, *other = NULL;
	char cand[300], q[80], r[80];

	if (want) {
		pick = st_by_name(e, n, want);
		if (!pick) {
			st_candidates(e, n, cand, sizeof cand);
			src_fail(s, SRC_EDATA, "no tensor %s (--tensor); %s",
				 quote_bytes(q, sizeof q, want, strlen(want)),
				 cand);
		}
		return pick;
	}
	for (size_t k = 0; k < sizeof st_known / sizeof st_known[0]; k++) {
		const struct st_entry *f = st_by_name(e, n, st_known[k]);

		if (f && !pick)
			pick = f;
		else if (f && !other)
			other = f;
	}
	if (pick && !other)
		return pick;
	st_candidates(e, n, cand, sizeof cand);
	if (other)
		src_fail(s, SRC_EDATA,
			 "both %s and %s look like token embeddings; choose "
			 "one with --tensor NAME (%s)",
			 quote_bytes(q, sizeof q, pick->name,
				     strlen(pick->name)),
			 quote_bytes(r, sizeof r, other->name,
				     strlen(other->name)),
			 cand);
	else
		src_fail(s, SRC_EDATA,
			 "no tensor has a well-known embedding name; choose "
			 "one with --tensor NAME (%s)",
			 cand);
	return NULL;
}

/* The table's checks: a 2-D tensor of a dtype embmap reads. */
static int st_check_table(struct source *s, const struct st_entry *t)
{
	char q[80];

	quote_bytes(q, sizeof q, t->name, strlen(t->name));
	if (!t->dt || !t->dt->elem)
		return src_fail(s, SRC_EDATA,
				"tensor %s has dtype %s; embmap reads F32, "
				"F16, BF16 and F64",
				q, t->dtype);
	if (t->ndim != 2)
		return src_fail(s, SRC_EDATA,
				"tensor %s has shape %s (%d dimensions); a "
				"table is 2-D [rows, dim]",
				q, t->shape, t->ndim);
	if (t->dim[0] == 0 || t->dim[1] == 0)
		return src_fail(s, SRC_EDATA,
				"tensor %s has shape %s: the table is empty", q,
				t->shape);
	if (t->dim[1] > UINT32_MAX)
		return src_fail(s, SRC_EDATA,
				"tensor %s has shape %s: dim %" PRIu64
				" exceeds the limit %" PRIu32,
				q, t->shape, t->dim[1], UINT32_MAX);
	return 0;
}

/*
 * __metadata__ must map strings to strings. Its entries go into the table's
 * metadata as "safetensors.KEY"; not yet: more entries than the source has
 * room for, or keys and values past the writer's limits, are left out and
 * counted under safetensors.metadata-omitted.
 */
static int st_meta(struct source *s, json_t *meta, int record)
{
	const char *key;
	json_t *val;
	char k[300], q[80], n[32];
	size_t omitted = 0;
	int rc;

	if (!json_is_object(meta))
		return src_fail(s, SRC_EDATA,
				"header: __metadata__ is not a JSON object");
	json_object_foreach(meta, key, val)
	{
		if (!json_is_string(val))
			return src_fail(
				s, SRC_EDATA,
				"header: __metadata__ %s: the value is "
				"not a string",
				quote_bytes(q, sizeof q, key, strlen(key)));
		if (!record)
			continue;
		if (s->nmeta >= SRC_MAX_META - 4 || strlen(key) > 200 ||
		    json_string_length(val) > 65535) {
			omitted++;
			continue;
		}
		snprintf(k, sizeof k, "safetensors.%s", key);
		rc = src_meta(s, k, json_string_value(val));
		if (rc)
			return rc;
	}
	if (record && omitted) {
		snprintf(n, sizeof n, "%zu", omitted);
		return src_meta(s, "safetensors.metadata-omitted", n);
	}
	return 0;
}

static int st_open(struct source *s, const char *path,
		   const struct pack_options *o)
{
	struct mapped_rows *p = calloc(1, sizeof *p);
	struct st_entry *ents = NULL;
	const struct st_entry *t;
	json_t *root = NULL, *val, *meta = NULL;
	json_error_t je;
	const char *key;
	uint64_t hlen, bufsize;
	size_t n = 0;
	int rc = 0;

	if (!p)
		return src_fail(s, SRC_ENOMEM, "out of memory");
	s->priv = p;
	s->close = mapped_rows_close;
	s->read = mapped_rows_read;
	if (map_input(path, &p->m) != EXIT_OK)
		return SRC_EIO; /* map_input printed why */

	if (p->m.size < 8)
		return src_fail(s, SRC_EDATA,
				"the file is %zu bytes, too short for the "
				"8-byte header length",
				p->m.size);
	hlen = le64(p->m.data);
	if (hlen > ST_MAX_HEADER)
		return src_fail(s, SRC_EDATA,
				"header length %" PRIu64 " exceeds the limit "
				"of %llu bytes",
				hlen, ST_MAX_HEADER);
	if (hlen > p->m.size - 8)
		return src_fail(s, SRC_EDATA,
				"header length %" PRIu64 " runs past the end "
				"of the file (%zu bytes follow the length)",
				hlen, p->m.size - 8);
	bufsize = p->m.size - 8 - hlen;

	root = json_loadb((const char *)p->m.data + 8, (size_t)hlen,
			  JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return src_fail(s, SRC_EDATA,
				"header JSON, line %d column %d: %s", je.line,
				je.column, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return src_fail(s, SRC_EDATA,
				"the header is not a JSON object");
	}
	ents = calloc(json_object_size(root) + 1, sizeof *ents);
	if (!ents) {
		json_decref(root);
		return src_fail(s, SRC_ENOMEM, "out of memory");
	}
	json_object_foreach(root, key, val)
	{
		if (!strcmp(key, "__metadata__")) {
			meta = val;
			rc = st_meta(s, meta, 0);
		} else {
			rc = st_entry_parse(s, key, val, bufsize, &ents[n++]);
		}
		if (rc)
			goto out;
	}
	rc = st_check_tiling(s, ents, n, bufsize);
	if (rc)
		goto out;

	t = st_choose(s, ents, n, o ? o->tensor : NULL);
	if (!t) {
		rc = SRC_EDATA;
		goto out;
	}
	rc = st_check_table(s, t);
	if (rc)
		goto out;
	s->rows = t->dim[0];
	s->dim = (uint32_t)t->dim[1];
	s->elem = (enum src_elem)t->dt->elem;
	p->row_bytes = (size_t)(t->dim[1] * (t->dt->bits / 8));
	p->rows = p->m.data + 8 + hlen + t->begin;
	rc = src_meta(s, "source.tensor", t->name);
	if (!rc && meta)
		rc = st_meta(s, meta, 1);
out:
	free(ents);
	json_decref(root);
	return rc;
}

static int st_probe(const char *path, const uint8_t *head, size_t n)
{
	if (n >= 9 && head[8] == '{' && le64(head) >= 2 &&
	    le64(head) <= ST_MAX_HEADER)
		return 2;
	if (path_has_ext(path, ".safetensors"))
		return 1;
	return 0;
}

const struct input_format fmt_safetensors = {
	.name = "safetensors",
	.what = "Hugging Face safetensors (F32, F16, BF16, F64 tensors)",
	.probe = st_probe,
	.open = st_open,
};
