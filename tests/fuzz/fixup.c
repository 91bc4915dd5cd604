/*
 * fixup.c - recompute an embmap file's checksums in place, as a writer
 * would, wherever the fields say where they are and that is in bounds.
 */
#include <string.h>
#include <xxhash.h>

#include "embmap_format.h"
#include "fixup.h"

static int in_bounds(uint64_t off, uint64_t len, size_t n)
{
	return off <= n && len <= n - off;
}

static const struct embmap_format_section *find(const uint8_t *buf, uint32_t sc,
						uint32_t kind)
{
	for (uint32_t i = 0; i < sc; i++) {
		const struct embmap_format_section *s =
			(const void *)(buf + EMBMAP_HEADER_SIZE +
				       i * EMBMAP_SECTION_SIZE);
		if (s->kind == kind)
			return s;
	}
	return NULL;
}

static void fix_blocks(uint8_t *buf, size_t n,
		       const struct embmap_format_header *h,
		       const struct embmap_format_section *mp,
		       const struct embmap_format_section *bsp)
{
	/* Copies: the sums written below may land on the directory itself. */
	const struct embmap_format_section m_ = *mp, bs_ = *bsp;
	const struct embmap_format_section *m = &m_, *bs = &bs_;
	uint64_t count = bs->length / 8, stride = h->row_stride;

	if (!h->block_rows || !stride || !in_bounds(m->offset, m->length, n) ||
	    !in_bounds(bs->offset, bs->length, n))
		return;
	for (uint64_t b = 0; b < count; b++) {
		uint64_t first, rows, at, len, sum;

		if (__builtin_mul_overflow(b, (uint64_t)h->block_rows,
					   &first) ||
		    first >= h->rows)
			break;
		rows = h->rows - first < h->block_rows ? h->rows - first
						       : h->block_rows;
		if (__builtin_mul_overflow(first, stride, &at) ||
		    __builtin_mul_overflow(rows, stride, &len) ||
		    !in_bounds(at, len, (size_t)m->length))
			break;
		sum = XXH3_64bits(buf + m->offset + at, (size_t)len);
		memcpy(buf + bs->offset + 8 * b, &sum, 8);
	}
}

static void fix_content(uint8_t *buf, size_t n, struct embmap_format_header *h,
			uint32_t sc)
{
	const struct embmap_format_section *m = find(buf, sc, 1);
	const struct embmap_format_section *sc_ = find(buf, sc, 3);
	const struct embmap_format_section *to = find(buf, sc, 6);
	const struct embmap_format_section *tb = find(buf, sc, 7);
	struct embmap_format_content_trailer tr = {h->rows, h->dim, h->dtype,
						   h->token_count};
	XXH3_state_t *st = XXH3_createState();
	XXH128_canonical_t c;

	if (!st)
		return;
	XXH3_128bits_reset(st);
	if (m && in_bounds(m->offset, m->length, n))
		XXH3_128bits_update(st, buf + m->offset, m->length);
	if (sc_ && in_bounds(sc_->offset, sc_->length, n))
		XXH3_128bits_update(st, buf + sc_->offset, sc_->length);
	if (h->token_count && to && tb &&
	    in_bounds(to->offset, to->length, n) &&
	    in_bounds(tb->offset, tb->length, n)) {
		XXH3_128bits_update(st, buf + to->offset, to->length);
		XXH3_128bits_update(st, buf + tb->offset, tb->length);
	}
	XXH3_128bits_update(st, &tr, sizeof tr);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	memcpy(h->content_hash, c.digest, 16);
	XXH3_freeState(st);
}

void fuzz_fixup(uint8_t *buf, size_t n)
{
	struct embmap_format_header h;
	uint32_t sc;

	if (n < EMBMAP_HEADER_SIZE)
		return;
	memcpy(&h, buf, sizeof h);
	sc = h.section_count;
	if (sc <= EMBMAP_MAX_SECTIONS &&
	    EMBMAP_HEADER_SIZE + (size_t)sc * EMBMAP_SECTION_SIZE <= n) {
		const struct embmap_format_section *m = find(buf, sc, 1);
		const struct embmap_format_section *bs = find(buf, sc, 2);

		if (m && bs)
			fix_blocks(buf, n, &h, m, bs);
		for (uint32_t i = 0; i < sc; i++) {
			struct embmap_format_section *s =
				(void *)(buf + EMBMAP_HEADER_SIZE +
					 i * EMBMAP_SECTION_SIZE);

			if (s->kind != 1 && in_bounds(s->offset, s->length, n))
				s->checksum =
					XXH3_64bits(buf + s->offset, s->length);
		}
		fix_content(buf, n, &h, sc);
		h.directory_checksum =
			XXH3_64bits(buf + EMBMAP_HEADER_SIZE,
				    (size_t)sc * EMBMAP_SECTION_SIZE);
	}
	h.header_checksum = XXH3_64bits(&h, EMBMAP_HEADER_HASHED);
	memcpy(buf, &h, sizeof h);
}
