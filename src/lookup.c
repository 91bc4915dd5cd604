/*
 * lookup.c - rows, tokens, metadata and the section directory of an open
 * table. Everything here is O(1) or O(what is asked for).
 *
 * The structure was checked at open (see reader.c); what is read from
 * inside sections here, token offsets and index slots, was not, so each
 * such value is checked before it is used as an offset or an id.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

uint64_t embmap_rows(const embmap *t)
{
	return t->hdr.rows;
}
uint32_t embmap_dim(const embmap *t)
{
	return t->hdr.dim;
}
int embmap_dtype(const embmap *t)
{
	return (int)t->hdr.dtype;
}
size_t embmap_stride(const embmap *t)
{
	return (size_t)t->hdr.row_stride;
}
uint64_t embmap_tokens(const embmap *t)
{
	return t->hdr.token_count;
}
uint32_t embmap_alignment(const embmap *t)
{
	return t->hdr.alignment;
}
uint32_t embmap_block_rows(const embmap *t)
{
	return t->hdr.block_rows;
}
uint64_t embmap_file_size(const embmap *t)
{
	return t->hdr.file_size;
}

void embmap_format_version(const embmap *t, unsigned *major, unsigned *minor)
{
	if (major)
		*major = t->hdr.version_major;
	if (minor)
		*minor = t->hdr.version_minor;
}

void embmap_content_hash(const embmap *t, uint8_t out[16])
{
	memcpy(out, t->hdr.content_hash, 16);
}

const void *embmap_row(const embmap *t, uint64_t id)
{
	if (EMB_UNLIKELY(id >= t->hdr.rows))
		return NULL;
	return t->matrix + id * t->hdr.row_stride;
}

float embmap_row_scale(const embmap *t, uint64_t id)
{
	float s;

	if (id >= t->hdr.rows)
		return NAN;
	if (!t->scales)
		return 1.0f;
	memcpy(&s, t->scales + 4 * id, 4);
	return s;
}

int embmap_row_f32(const embmap *t, uint64_t id, float *out)
{
	if (id >= t->hdr.rows)
		return emb_fail(EMBMAP_ERANGE, "row %llu, the table has %llu",
				(unsigned long long)id,
				(unsigned long long)t->hdr.rows);
	emb_to_f32((int)t->hdr.dtype, t->matrix + id * t->hdr.row_stride,
		   embmap_row_scale(t, id), t->hdr.dim, out);
	return 0;
}

int embmap_gather_f32(const embmap *t, const uint32_t *ids, size_t n,
		      float *out)
{
	const uint32_t dim = t->hdr.dim;
	const uint64_t stride = t->hdr.row_stride;

	for (size_t i = 0; i < n; i++)
		if (EMB_UNLIKELY(ids[i] >= t->hdr.rows))
			return emb_fail(
				EMBMAP_ERANGE,
				"ids[%zu] = %u, the table has %llu rows", i,
				ids[i], (unsigned long long)t->hdr.rows);
	if (t->hdr.dtype == EMBMAP_FMT_F32) {
		for (size_t i = 0; i < n; i++)
			memcpy(out + i * dim, t->matrix + ids[i] * stride,
			       stride);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		emb_to_f32((int)t->hdr.dtype, t->matrix + ids[i] * stride,
			   embmap_row_scale(t, ids[i]), dim, out + i * dim);
	return 0;
}

const char *embmap_token(const embmap *t, uint64_t id, size_t *len)
{
	uint64_t a, b;

	if (id >= t->hdr.token_count)
		return NULL;
	a = emb_load64(t->tok_offsets + 8 * id);
	b = emb_load64(t->tok_offsets + 8 * id + 8);
	/* b - 1 is the token's NUL, which must be inside the section. */
	if (a >= b || b > t->tok_bytes_len || t->tok_bytes[b - 1] != 0)
		return NULL;
	if (len)
		*len = (size_t)(b - a - 1);
	return (const char *)t->tok_bytes + a;
}

int64_t embmap_find(const embmap *t, const char *token, size_t len)
{
	uint64_t h, i;

	if (t->hdr.token_count == 0 || (!token && len))
		return -1;
	if (!token)
		token = ""; /* memcmp must not see NULL, even for 0 bytes */
	h = emb_hash64(token, len);
	i = h & t->slot_mask;

	/*
	 * Linear probing ends at an empty slot. A damaged index may have
	 * none, so the walk is bounded by the table size.
	 */
	for (uint64_t step = 0; step <= t->slot_mask; step++) {
		const uint8_t *slot = t->tok_slots + 16 * i;
		uint64_t id = emb_load64(slot + 8);
		const char *tok;
		size_t tlen;

		if (id == EMBMAP_SLOT_EMPTY)
			return -1;
		if (emb_load64(slot) == h) {
			tok = embmap_token(t, id, &tlen);
			if (tok && tlen == len && memcmp(tok, token, len) == 0)
				return (int64_t)id;
		}
		i = (i + 1) & t->slot_mask;
	}
	return -1;
}

/*
 * Parse the metadata entry at *pos: u32 key length, u32 value length, key,
 * NUL, value, NUL. Returns 1 with the entry, 0 at the end, or
 * EMBMAP_ECORRUPT when the entry leaves the section.
 */
static int meta_entry(const embmap *t, size_t *pos, const char **key,
		      const char **value)
{
	const uint8_t *p;
	uint64_t len, klen, vlen, need;

	if (!t->sec.meta)
		return 0;
	p = t->base + t->sec.meta->offset;
	len = t->sec.meta->length;
	if (*pos >= len)
		return 0;
	if (len - *pos < 8)
		return emb_fail(EMBMAP_ECORRUPT,
				"metadata entry at %zu: "
				"header runs past the section",
				*pos);
	klen = emb_load32(p + *pos);
	vlen = emb_load32(p + *pos + 4);
	need = 8 + klen + 1 + vlen + 1;
	if (len - *pos < need || p[*pos + 8 + klen] != 0 ||
	    p[*pos + need - 1] != 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"metadata entry at %zu: key "
				"%llu + value %llu bytes do not fit the section"
				" or lack their NULs",
				*pos, (unsigned long long)klen,
				(unsigned long long)vlen);
	if (klen == 0 || klen > EMBMAP_MAX_META_KEY ||
	    vlen > EMBMAP_MAX_META_VALUE || memchr(p + *pos + 8, 0, klen) ||
	    memchr(p + *pos + 8 + klen + 1, 0, vlen))
		return emb_fail(EMBMAP_ECORRUPT,
				"metadata entry at %zu: key of %llu bytes "
				"(1..%u) or value of %llu (0..%u) out of "
				"range or holding a NUL",
				*pos, (unsigned long long)klen,
				EMBMAP_MAX_META_KEY, (unsigned long long)vlen,
				EMBMAP_MAX_META_VALUE);
	*key = (const char *)p + *pos + 8;
	*value = (const char *)p + *pos + 8 + klen + 1;
	*pos += (size_t)need;
	return 1;
}

int embmap_meta_next(const embmap *t, size_t *cursor, const char **key,
		     const char **value)
{
	return meta_entry(t, cursor, key, value);
}

const char *embmap_meta(const embmap *t, const char *key)
{
	const char *k = NULL, *v = NULL;
	size_t pos = 0;

	if (!key)
		return NULL;
	while (meta_entry(t, &pos, &k, &v) == 1)
		if (k && strcmp(k, key) == 0)
			return v;
	return NULL;
}

const char *embmap_section_name(uint32_t kind)
{
	switch (kind) {
	case EMBMAP_SEC_MATRIX: return "matrix";
	case EMBMAP_SEC_BLOCK_SUMS: return "block-sums";
	case EMBMAP_SEC_SCALES: return "scales";
	case EMBMAP_SEC_NORMS: return "norms";
	case EMBMAP_SEC_META: return "meta";
	case EMBMAP_SEC_TOKEN_OFFSETS: return "token-offsets";
	case EMBMAP_SEC_TOKEN_BYTES: return "token-bytes";
	case EMBMAP_SEC_TOKEN_INDEX: return "token-index";
	default: return "unknown";
	}
}

uint32_t embmap_section_count(const embmap *t)
{
	return t->hdr.section_count;
}

int embmap_section_at(const embmap *t, uint32_t i,
		      struct embmap_section_info *out)
{
	const struct embmap_format_section *s;

	if (i >= t->hdr.section_count)
		return emb_fail(EMBMAP_ERANGE, "section %u, the file has %u", i,
				t->hdr.section_count);
	s = &t->dir[i];
	out->kind = s->kind;
	out->flags = s->flags;
	out->offset = s->offset;
	out->length = s->length;
	out->checksum = s->checksum;
	out->count = s->count;
	return 0;
}
