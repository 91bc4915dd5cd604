/*
 * fixup.c - recompute an embmap file's checksums in place, as a writer
 * would, wherever the fields say where they are and that is in bounds.
 */
#include <stdlib.h>
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

/* XXH3-64 of each of n rows, little-endian, into out (SPEC.md 10.3). */
static void row_hashes(const uint8_t *rows, uint64_t n, uint64_t stride,
		       uint8_t *out)
{
	for (uint64_t r = 0; r < n; r++) {
		uint64_t h = XXH3_64bits(rows + r * stride, (size_t)stride);

		memcpy(out + 8 * r, &h, 8);
	}
}

/*
 * The matrix's row hashes, when its entry and the header agree on a size
 * that fits the file; NULL otherwise (or when there are too many rows to
 * be worth it for a fuzz input).
 */
static uint8_t *matrix_row_hashes(const uint8_t *buf, size_t n,
				  const struct embmap_format_header *h,
				  const struct embmap_format_section *m)
{
	uint64_t len;
	uint8_t *rh;

	if (!h->row_stride || !h->rows || h->rows > (1u << 20) ||
	    __builtin_mul_overflow(h->rows, h->row_stride, &len) ||
	    len > m->length || !in_bounds(m->offset, m->length, n))
		return NULL;
	rh = malloc((size_t)h->rows * 8);
	if (rh)
		row_hashes(buf + m->offset, h->rows, h->row_stride, rh);
	return rh;
}

static void fix_blocks(uint8_t *buf, size_t n,
		       const struct embmap_format_header *h,
		       const struct embmap_format_section *bsp,
		       const uint8_t *rh)
{
	/* A copy: the sums written below may land on the directory itself. */
	const struct embmap_format_section bs = *bsp;
	uint64_t count = bs.length / 8;

	if (!h->block_rows || !in_bounds(bs.offset, bs.length, n))
		return;
	for (uint64_t b = 0; b < count; b++) {
		uint64_t first, rows, sum;

		if (__builtin_mul_overflow(b, (uint64_t)h->block_rows,
					   &first) ||
		    first >= h->rows)
			break;
		rows = h->rows - first < h->block_rows ? h->rows - first
						       : h->block_rows;
		sum = XXH3_64bits(rh + 8 * first, (size_t)(8 * rows));
		memcpy(buf + bs.offset + 8 * b, &sum, 8);
	}
}

static void fix_content(uint8_t *buf, size_t n, struct embmap_format_header *h,
			uint32_t sc, const uint8_t *rh)
{
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
	XXH3_128bits_update(st, rh, (size_t)(8 * h->rows));
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
		uint8_t *rh = m ? matrix_row_hashes(buf, n, &h, m) : NULL;

		if (rh && bs)
			fix_blocks(buf, n, &h, bs, rh);
		for (uint32_t i = 0; i < sc; i++) {
			struct embmap_format_section *s =
				(void *)(buf + EMBMAP_HEADER_SIZE +
					 i * EMBMAP_SECTION_SIZE);

			if (s->kind != 1 && in_bounds(s->offset, s->length, n))
				s->checksum =
					XXH3_64bits(buf + s->offset, s->length);
		}
		if (rh)
			fix_content(buf, n, &h, sc, rh);
		free(rh);
		h.directory_checksum =
			XXH3_64bits(buf + EMBMAP_HEADER_SIZE,
				    (size_t)sc * EMBMAP_SECTION_SIZE);
	}
	h.header_checksum = XXH3_64bits(&h, EMBMAP_HEADER_HASHED);
	memcpy(buf, &h, sizeof h);
}
