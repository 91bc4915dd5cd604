/*
 * zstd.c - the zstd transport form: compress, unpack, verify and open.
 *
 * A transport file is the plain file's header and directory kept verbatim
 * (so the plain file is rebuilt byte for byte and its own checksums and
 * content hash prove the result), then a frame table, then every section's
 * bytes as independent zstd frames. Frames being independent, threads
 * (de)compress them in any order; the converters hand them out through a
 * ring of slots so the output is written in order with a few frames in
 * memory per thread, and embmap_open() decompresses each straight into its
 * place in the plain image.
 *
 * Trust: nothing read from the file is used before the checksum that covers
 * it held, and every size is checked against the file's own size before
 * anything is allocated; the only allocation that grows with the file is
 * the plain image at open, whose size is bounded by EMBMAP_ZSTD_MAX_RATIO
 * times the compressed bytes (zstd cannot do better) plus the padding.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#endif
#include <zstd.h>
#include <zstd_errors.h>

#include "internal.h"

#define ZHEAD_OFFSET (EMBMAP_HEADER_SIZE + EMBMAP_ZSTD_INFO_SIZE)
/* What a writer chooses: about 1 MiB of plain bytes per frame. */
#define ZFRAME_TARGET (1u << 20)
#define ZTHREADS_DEFAULT 2u
#define ZTHREADS_MAX 64u

/* One plain section and the frames that hold it. */
struct zsec {
	uint32_t kind, index;
	uint64_t offset, length; /* in the plain file */
	uint64_t frame_size;	 /* plain bytes per frame, the last shorter */
	uint64_t first_frame, frames;
	unsigned elem; /* shuffle element size */
};

/* A transport file (or, while compressing, the plan for one). */
struct zfile {
	const uint8_t *base;
	size_t size;
	struct embmap_format_header hdr; /* the transport header */
	struct embmap_format_zstd zi;
	struct embmap plain; /* hdr, dir and sec of the plain head */
	const uint8_t *head;
	const uint8_t *table;
	struct zsec secs[EMBMAP_MAX_SECTIONS];
	uint32_t nsecs;
	uint64_t frames;
	uint64_t max_frame; /* the largest plain frame */
	uint64_t payload;   /* plain bytes in all frames */
};

/* Where frame f's bytes go in the plain file. */
struct zpart {
	const struct zsec *sec;
	uint64_t offset;
	size_t length;
};

/* ------------------------------------------------------------------------ */
/* Plan and parse                                                           */
/* ------------------------------------------------------------------------ */

/* Bytes of equal significance are those of one element of this size. */
static unsigned shuffle_elem(uint32_t kind, size_t dtype_size)
{
	switch (kind) {
	case EMBMAP_SEC_MATRIX: return (unsigned)dtype_size;
	case EMBMAP_SEC_BLOCK_SUMS:
	case EMBMAP_SEC_TOKEN_OFFSETS:
	case EMBMAP_SEC_TOKEN_INDEX: return 8;
	case EMBMAP_SEC_SCALES:
	case EMBMAP_SEC_NORMS: return 4;
	default: return 1;
	}
}

/*
 * Split the plain directory into frames. The header and directory were
 * checked (emb_parse_head), so lengths fit the plain size and do not
 * overflow when summed.
 */
static int plan_frames(struct zfile *z)
{
	const struct embmap_format_header *h = &z->plain.hdr;
	size_t esize = embmap_dtype_size((int)h->dtype);
	uint64_t mframe, largest;

	if (emb_mul_overflow(z->zi.frame_rows, h->row_stride, &mframe) ||
	    mframe > EMBMAP_ZSTD_MAX_FRAME)
		return emb_fail(EMBMAP_ECORRUPT,
				"frame_rows %u x row_stride %llu exceeds the "
				"frame limit of %u bytes",
				z->zi.frame_rows,
				(unsigned long long)h->row_stride,
				EMBMAP_ZSTD_MAX_FRAME);
	z->nsecs = h->section_count;
	z->frames = 0;
	z->max_frame = 0;
	z->payload = 0;
	for (uint32_t i = 0; i < z->nsecs; i++) {
		const struct embmap_format_section *s = &z->plain.dir[i];
		struct zsec *zs = &z->secs[i];

		zs->kind = s->kind;
		zs->index = i;
		zs->offset = s->offset;
		zs->length = s->length;
		zs->frame_size = s->kind == EMBMAP_SEC_MATRIX
					 ? mframe
					 : z->zi.aux_frame_size;
		zs->frames = s->length / zs->frame_size +
			     (s->length % zs->frame_size != 0);
		zs->first_frame = z->frames;
		zs->elem = shuffle_elem(s->kind, esize);
		z->frames += zs->frames;
		z->payload += s->length;
		largest =
			s->length < zs->frame_size ? s->length : zs->frame_size;
		if (largest > z->max_frame)
			z->max_frame = largest;
	}
	return 0;
}

static void frame_part(const struct zfile *z, uint64_t f, struct zpart *p)
{
	const struct zsec *s = &z->secs[0];
	uint64_t k, left;

	for (uint32_t i = 1; i < z->nsecs && z->secs[i].first_frame <= f; i++)
		s = &z->secs[i];
	k = f - s->first_frame;
	left = s->length - k * s->frame_size;
	p->sec = s;
	p->offset = s->offset + k * s->frame_size;
	p->length = (size_t)(left < s->frame_size ? left : s->frame_size);
}

/* "frame 7 (matrix rows 1792..2047)", for messages. */
static void frame_name(const struct zfile *z, uint64_t f, char *buf, size_t cap)
{
	const uint64_t stride = z->plain.hdr.row_stride;
	struct zpart p;

	frame_part(z, f, &p);
	if (p.sec->kind == EMBMAP_SEC_MATRIX) {
		uint64_t r = (p.offset - p.sec->offset) / stride;

		snprintf(buf, cap, "frame %llu (matrix rows %llu..%llu)",
			 (unsigned long long)f, (unsigned long long)r,
			 (unsigned long long)(r + p.length / stride - 1));
	} else {
		snprintf(buf, cap, "frame %llu (%s, plain bytes %llu..%llu)",
			 (unsigned long long)f,
			 embmap_section_name(p.sec->kind),
			 (unsigned long long)p.offset,
			 (unsigned long long)(p.offset + p.length - 1));
	}
}

static struct embmap_format_zframe frame_entry(const struct zfile *z,
					       uint64_t f)
{
	struct embmap_format_zframe e;

	memcpy(&e, z->table + f * EMBMAP_ZFRAME_SIZE, sizeof e);
	return e;
}

/* The magic, byte order and feature bit are enough: zparse says the rest. */
int emb_zstd_detect(const uint8_t *base, size_t size)
{
	return size >= offsetof(struct embmap_format_header,
				optional_features) &&
	       memcmp(base, EMBMAP_MAGIC, EMBMAP_MAGIC_SIZE) == 0 &&
	       emb_load32(base +
			  offsetof(struct embmap_format_header, byte_order)) ==
		       EMBMAP_BYTE_ORDER_MARK &&
	       (emb_load64(base + offsetof(struct embmap_format_header,
					   required_features)) &
		EMBMAP_FEAT_ZSTD) != 0;
}

static int check_theader(const struct embmap_format_header *h, size_t size)
{
	int rc = emb_check_header(
		h, size, EMBMAP_FEAT_ZSTD | EMBMAP_FEAT_REQUIRED_KNOWN);

	if (rc == 0 &&
	    (h->section_count < 2 || h->section_count > EMBMAP_MAX_SECTIONS))
		rc = emb_fail(EMBMAP_ECORRUPT, "section_count %u outside 2..%u",
			      h->section_count, EMBMAP_MAX_SECTIONS);
	return rc;
}

static int check_descriptor(const struct zfile *z)
{
	const struct embmap_format_zstd *zi = &z->zi;

	if (zi->reserved0 != 0 || zi->reserved != 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"zstd descriptor: reserved fields must be 0");
	if (zi->filter > EMBMAP_ZFILTER_SHUFFLE)
		return emb_fail(EMBMAP_EVERSION,
				"zstd descriptor: filter %u unknown to this "
				"library",
				zi->filter);
	if (zi->frame_rows == 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"zstd descriptor: frame_rows is 0");
	if (zi->aux_frame_size == 0 ||
	    zi->aux_frame_size > EMBMAP_ZSTD_MAX_FRAME)
		return emb_fail(EMBMAP_ECORRUPT,
				"zstd descriptor: aux_frame_size %u outside "
				"1..%u",
				zi->aux_frame_size, EMBMAP_ZSTD_MAX_FRAME);
	if ((uint64_t)zi->plain_size > SIZE_MAX)
		return emb_fail(EMBMAP_ECORRUPT,
				"plain_size %llu does not fit in memory",
				(unsigned long long)zi->plain_size);
	return 0;
}

/* The plain head must be the transport header's twin. */
static int check_twin(const struct zfile *z)
{
	const struct embmap_format_header *t = &z->hdr, *p = &z->plain.hdr;

	if (p->required_features != (t->required_features & ~EMBMAP_FEAT_ZSTD))
		return emb_fail(EMBMAP_ECORRUPT,
				"plain head: required_features 0x%llx, the "
				"transport header's without zstd is 0x%llx",
				(unsigned long long)p->required_features,
				(unsigned long long)(t->required_features &
						     ~EMBMAP_FEAT_ZSTD));
	if (p->version_minor != t->version_minor ||
	    p->section_count != t->section_count ||
	    p->optional_features != t->optional_features ||
	    p->rows != t->rows || p->dim != t->dim || p->dtype != t->dtype ||
	    p->row_stride != t->row_stride ||
	    p->token_count != t->token_count || p->alignment != t->alignment ||
	    p->block_rows != t->block_rows ||
	    memcmp(p->content_hash, t->content_hash, 16) != 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"plain head: shape, layout or content hash "
				"differ from the transport header's");
	return 0;
}

static int check_table(const struct zfile *z)
{
	uint64_t pos = z->zi.table_offset + z->frames * EMBMAP_ZFRAME_SIZE;
	char name[96];

	for (uint64_t f = 0; f < z->frames; f++) {
		struct embmap_format_zframe e = frame_entry(z, f);
		struct zpart p;

		frame_part(z, f, &p);
		if (e.offset == pos && e.size != 0 && e.size <= z->size - pos &&
		    e.plain_size == p.length &&
		    (uint64_t)e.plain_size <=
			    (uint64_t)e.size * EMBMAP_ZSTD_MAX_RATIO) {
			pos += e.size;
			continue;
		}
		frame_name(z, f, name, sizeof name);
		if (e.offset != pos)
			return emb_fail(EMBMAP_ECORRUPT,
					"%s: offset %llu, frames are back to "
					"back so it is %llu",
					name, (unsigned long long)e.offset,
					(unsigned long long)pos);
		if (e.size == 0 || e.size > z->size - pos)
			return emb_fail(
				EMBMAP_ETRUNCATED,
				"%s: %u bytes at %llu do not fit in the "
				"file (%zu bytes)",
				name, e.size, (unsigned long long)pos, z->size);
		if (e.plain_size != p.length)
			return emb_fail(EMBMAP_ECORRUPT,
					"%s: plain_size %u, the layout says "
					"%zu",
					name, e.plain_size, p.length);
		return emb_fail(EMBMAP_ECORRUPT,
				"%s: %u plain bytes from %u compressed "
				"exceeds the ratio limit %u",
				name, e.plain_size, e.size,
				EMBMAP_ZSTD_MAX_RATIO);
	}
	if (pos != z->size)
		return emb_fail(EMBMAP_ECORRUPT,
				"the last frame ends at %llu, the file at %zu",
				(unsigned long long)pos, z->size);
	return 0;
}

/* Everything but the frames' contents, O(frames); see SPEC.md. */
static int zparse(struct zfile *z, const uint8_t *base, size_t size)
{
	uint64_t head_size, table_len, table_end;
	char detail[512];
	int rc;

	memset(z, 0, sizeof *z);
	z->base = base;
	z->size = size;
	if (size < ZHEAD_OFFSET)
		return emb_fail(EMBMAP_ETRUNCATED,
				"file is %zu bytes, shorter than the %u-byte "
				"transport header and descriptor",
				size, ZHEAD_OFFSET);
	memcpy(&z->hdr, base, sizeof z->hdr);
	if ((rc = check_theader(&z->hdr, size)) != 0)
		return rc;

	/* The header's section_count, under its checksum, sizes the head. */
	head_size = EMBMAP_HEADER_SIZE +
		    (uint64_t)z->hdr.section_count * EMBMAP_SECTION_SIZE;
	if (ZHEAD_OFFSET + head_size > size)
		return emb_fail(EMBMAP_ETRUNCATED,
				"plain head ends at %llu, past the end of the "
				"file (%zu bytes)",
				(unsigned long long)(ZHEAD_OFFSET + head_size),
				size);
	if (emb_hash64(base + EMBMAP_HEADER_SIZE,
		       EMBMAP_ZSTD_INFO_SIZE + head_size) !=
	    z->hdr.directory_checksum)
		return emb_fail(EMBMAP_ECHECKSUM,
				"transport directory checksum 0x%016llx does "
				"not match the zstd descriptor and plain head",
				(unsigned long long)z->hdr.directory_checksum);
	memcpy(&z->zi, base + EMBMAP_HEADER_SIZE, sizeof z->zi);
	if (z->zi.head_size != head_size ||
	    z->zi.table_offset != ZHEAD_OFFSET + head_size)
		return emb_fail(EMBMAP_ECORRUPT,
				"zstd descriptor: head_size %u and "
				"table_offset %llu, expected %llu and %llu",
				z->zi.head_size,
				(unsigned long long)z->zi.table_offset,
				(unsigned long long)head_size,
				(unsigned long long)(ZHEAD_OFFSET + head_size));
	if ((rc = check_descriptor(z)) != 0)
		return rc;

	/* A copy, as the plain reader keeps: read in place it could be
	 * misaligned in a caller's buffer. */
	memcpy(z->plain.head, base + ZHEAD_OFFSET, head_size);
	z->plain.head_len = head_size;
	z->head = z->plain.head;
	if ((rc = emb_parse_head(&z->plain, z->head, (size_t)head_size,
				 z->zi.plain_size)) != 0) {
		snprintf(detail, sizeof detail, "%s", embmap_errmsg());
		return emb_fail(rc, "plain head: %s", detail);
	}
	if ((rc = check_twin(z)) != 0 || (rc = plan_frames(z)) != 0)
		return rc;

	if (z->zi.frame_count != z->frames)
		return emb_fail(EMBMAP_ECORRUPT,
				"frame_count %llu, the plain head's sections "
				"make %llu frames",
				(unsigned long long)z->zi.frame_count,
				(unsigned long long)z->frames);
	if (z->frames > (size - z->zi.table_offset) / EMBMAP_ZFRAME_SIZE)
		return emb_fail(EMBMAP_ETRUNCATED,
				"frame table of %llu entries runs past the end "
				"of the file (%zu bytes)",
				(unsigned long long)z->frames, size);
	table_len = z->frames * EMBMAP_ZFRAME_SIZE;
	table_end = z->zi.table_offset + table_len;
	z->table = base + z->zi.table_offset;
	if (emb_hash64(z->table, (size_t)table_len) != z->zi.table_checksum)
		return emb_fail(EMBMAP_ECHECKSUM,
				"frame table checksum 0x%016llx does not match "
				"its %llu entries (at %llu..%llu)",
				(unsigned long long)z->zi.table_checksum,
				(unsigned long long)z->frames,
				(unsigned long long)z->zi.table_offset,
				(unsigned long long)(table_end - 1));
	return check_table(z);
}

/* ------------------------------------------------------------------------ */
/* The filter                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Byte j of every element, for j = 0..e-1, one plane after the other;
 * bytes past the last whole element stay as they are, at the end. SSE2
 * (every x86-64) does 16 elements a step for the sizes the format uses;
 * the scalar loops do the rest and other machines.
 */
#if defined(__SSE2__)
#include <emmintrin.h>

static __m128i load16(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static void store16(uint8_t *p, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)p, v);
}

/* Interleave the planes back, 16 elements a step; returns elements done. */
static size_t unshuffle_sse2(uint8_t *dst, const uint8_t *src, size_t n,
			     unsigned e)
{
	size_t i = 0;

	if (e == 2)
		for (; i + 16 <= n; i += 16) {
			__m128i a = load16(src + i), b = load16(src + n + i);

			store16(dst + 2 * i, _mm_unpacklo_epi8(a, b));
			store16(dst + 2 * i + 16, _mm_unpackhi_epi8(a, b));
		}
	else if (e == 4)
		for (; i + 16 <= n; i += 16) {
			__m128i a = load16(src + i), b = load16(src + n + i);
			__m128i c = load16(src + 2 * n + i);
			__m128i d = load16(src + 3 * n + i);
			__m128i abl = _mm_unpacklo_epi8(a, b);
			__m128i abh = _mm_unpackhi_epi8(a, b);
			__m128i cdl = _mm_unpacklo_epi8(c, d);
			__m128i cdh = _mm_unpackhi_epi8(c, d);
			uint8_t *o = dst + 4 * i;

			store16(o, _mm_unpacklo_epi16(abl, cdl));
			store16(o + 16, _mm_unpackhi_epi16(abl, cdl));
			store16(o + 32, _mm_unpacklo_epi16(abh, cdh));
			store16(o + 48, _mm_unpackhi_epi16(abh, cdh));
		}
	else if (e == 8)
		for (; i + 16 <= n; i += 16) {
			__m128i p[8], q[8], r[8];
			uint8_t *o = dst + 8 * i;

			for (size_t j = 0; j < 8; j++)
				p[j] = load16(src + j * n + i);
			for (size_t j = 0; j < 4; j++) {
				q[2 * j] = _mm_unpacklo_epi8(p[2 * j],
							     p[2 * j + 1]);
				q[2 * j + 1] = _mm_unpackhi_epi8(p[2 * j],
								 p[2 * j + 1]);
			}
			/* r[0..3]: bytes 0-3 of elements 0-3, 4-7, 8-11,
			 * 12-15; r[4..7]: their bytes 4-7. */
			for (size_t h = 0; h < 2; h++) {
				r[4 * h] = _mm_unpacklo_epi16(q[4 * h],
							      q[4 * h + 2]);
				r[4 * h + 1] = _mm_unpackhi_epi16(q[4 * h],
								  q[4 * h + 2]);
				r[4 * h + 2] = _mm_unpacklo_epi16(q[4 * h + 1],
								  q[4 * h + 3]);
				r[4 * h + 3] = _mm_unpackhi_epi16(q[4 * h + 1],
								  q[4 * h + 3]);
			}
			for (size_t k = 0; k < 4; k++) {
				store16(o + 32 * k,
					_mm_unpacklo_epi32(r[k], r[4 + k]));
				store16(o + 32 * k + 16,
					_mm_unpackhi_epi32(r[k], r[4 + k]));
			}
		}
	return i;
}

/* Even and odd bytes of 32 bytes, each into 16. */
static void split_even_odd(__m128i v0, __m128i v1, __m128i *even, __m128i *odd)
{
	const __m128i lo = _mm_set1_epi16(0x00FF);

	*even = _mm_packus_epi16(_mm_and_si128(v0, lo), _mm_and_si128(v1, lo));
	*odd = _mm_packus_epi16(_mm_srli_epi16(v0, 8), _mm_srli_epi16(v1, 8));
}

static size_t shuffle_sse2(uint8_t *dst, const uint8_t *src, size_t n,
			   unsigned e)
{
	size_t i = 0;

	if (e == 2)
		for (; i + 16 <= n; i += 16) {
			__m128i a, b;

			split_even_odd(load16(src + 2 * i),
				       load16(src + 2 * i + 16), &a, &b);
			store16(dst + i, a);
			store16(dst + n + i, b);
		}
	else if (e == 4)
		for (; i + 16 <= n; i += 16) {
			const uint8_t *s = src + 4 * i;
			__m128i e0, o0, e1, o1, b0, b2, b1, b3;

			/* Bytes 0 and 2, then 1 and 3, of each element. */
			split_even_odd(load16(s), load16(s + 16), &e0, &o0);
			split_even_odd(load16(s + 32), load16(s + 48), &e1,
				       &o1);
			split_even_odd(e0, e1, &b0, &b2);
			split_even_odd(o0, o1, &b1, &b3);
			store16(dst + i, b0);
			store16(dst + n + i, b1);
			store16(dst + 2 * n + i, b2);
			store16(dst + 3 * n + i, b3);
		}
	return i;
}
#endif

static void shuffle(uint8_t *restrict dst, const uint8_t *restrict src,
		    size_t len, unsigned e)
{
	size_t n = len / e, from = 0;

#if defined(__SSE2__)
	from = shuffle_sse2(dst, src, n, e);
#endif
	for (unsigned j = 0; j < e; j++) {
		uint8_t *d = dst + j * n;
		const uint8_t *s = src + j;

		for (size_t i = from; i < n; i++)
			d[i] = s[i * e];
	}
	memcpy(dst + n * e, src + n * e, len - n * e);
}

static void unshuffle(uint8_t *restrict dst, const uint8_t *restrict src,
		      size_t len, unsigned e)
{
	size_t n = len / e, from = 0;

#if defined(__SSE2__)
	from = unshuffle_sse2(dst, src, n, e);
#endif
	for (unsigned j = 0; j < e; j++) {
		const uint8_t *s = src + j * n;
		uint8_t *d = dst + j;

		for (size_t i = from; i < n; i++)
			d[i * e] = s[i];
	}
	memcpy(dst + n * e, src + n * e, len - n * e);
}

/* ------------------------------------------------------------------------ */
/* One frame                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Decode frame f into out (its plain length), through scratch when the
 * frame is shuffled; check that it is one zstd frame, that it decodes to
 * exactly its length and that the bytes match its checksum.
 */
static int decode_frame(const struct zfile *z, uint64_t f, ZSTD_DCtx *dctx,
			uint8_t *scratch, uint8_t *out)
{
	struct embmap_format_zframe e = frame_entry(z, f);
	const uint8_t *src = z->base + e.offset;
	unsigned long long fcs = ZSTD_getFrameContentSize(src, e.size);
	struct zpart p;
	uint8_t *dst;
	size_t got;
	char name[96];

	frame_part(z, f, &p);
	dst = z->zi.filter == EMBMAP_ZFILTER_SHUFFLE && p.sec->elem > 1
		      ? scratch
		      : out;
	if (fcs == ZSTD_CONTENTSIZE_ERROR) {
		frame_name(z, f, name, sizeof name);
		return emb_fail(EMBMAP_ECORRUPT, "%s: not a zstd frame", name);
	}
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != e.plain_size) {
		frame_name(z, f, name, sizeof name);
		return emb_fail(EMBMAP_ECORRUPT,
				"%s: the zstd frame header declares %llu "
				"bytes, the frame table %u",
				name, fcs, e.plain_size);
	}
	got = ZSTD_findFrameCompressedSize(src, e.size);
	if (!ZSTD_isError(got) && got != e.size) {
		frame_name(z, f, name, sizeof name);
		return emb_fail(EMBMAP_ECORRUPT,
				"%s: a zstd frame of %zu bytes then %zu more, "
				"expected one frame of %u",
				name, got, e.size - got, e.size);
	}
	got = ZSTD_decompressDCtx(dctx, dst, e.plain_size, src, e.size);
	if (ZSTD_isError(got)) {
		frame_name(z, f, name, sizeof name);
		if (ZSTD_getErrorCode(got) == ZSTD_error_dstSize_tooSmall)
			return emb_fail(EMBMAP_ECORRUPT,
					"%s: decodes to more than %u bytes",
					name, e.plain_size);
		return emb_fail(EMBMAP_ECORRUPT, "%s: zstd: %s", name,
				ZSTD_getErrorName(got));
	}
	if (got != e.plain_size) {
		frame_name(z, f, name, sizeof name);
		return emb_fail(EMBMAP_ECORRUPT,
				"%s: decodes to %zu bytes, expected %u", name,
				got, e.plain_size);
	}
	if (dst != out)
		unshuffle(out, dst, got, p.sec->elem);
	if (emb_hash64(out, got) != e.checksum) {
		frame_name(z, f, name, sizeof name);
		return emb_fail(EMBMAP_ECHECKSUM,
				"%s: checksum 0x%016llx does not match the "
				"decompressed bytes (0x%016llx)",
				name, (unsigned long long)e.checksum,
				(unsigned long long)emb_hash64(out, got));
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Frames on threads                                                        */
/* ------------------------------------------------------------------------ */

struct zslot {
	uint8_t *buf;
	size_t len;   /* compressed bytes, when compressing */
	uint64_t sum; /* plain checksum, when compressing */
	int rc, done;
	char msg[512];
};

struct zworker {
	struct zpool *pool;
	pthread_t tid;
	int started;
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	uint8_t *scratch;
};

/*
 * Frames 0..n-1 handed to workers in order. Ordered (nslots > 0): frame f
 * is done into slots[f % nslots] and the calling thread takes results in
 * order; a worker waits while nslots frames are pending. Unordered: each
 * frame is done in place and the first failure stops the rest.
 */
struct zpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t n, next, emitted;
	unsigned nslots;
	struct zslot *slots;
	int stop;
	int (*work)(struct zpool *p, struct zworker *w, uint64_t f,
		    struct zslot *s);
	const struct zfile *z;
	void *ctx;
	int rc; /* unordered: the failure of the lowest frame seen */
	uint64_t bad;
	char msg[512];
};

static void *worker_main(void *arg)
{
	struct zworker *w = arg;
	struct zpool *p = w->pool;

	pthread_mutex_lock(&p->mu);
	while (!p->stop && p->next < p->n) {
		struct zslot *s = NULL;
		uint64_t f;
		int rc;

		if (p->nslots && p->next >= p->emitted + p->nslots) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		f = p->next++;
		if (p->nslots)
			s = &p->slots[f % p->nslots];
		pthread_mutex_unlock(&p->mu);
		rc = p->work(p, w, f, s);
		pthread_mutex_lock(&p->mu);
		if (s) {
			s->rc = rc;
			if (rc)
				snprintf(s->msg, sizeof s->msg, "%s",
					 embmap_errmsg());
			s->done = 1;
			pthread_cond_broadcast(&p->cv);
		} else if (rc && (p->rc == 0 || f < p->bad)) {
			p->rc = rc;
			p->bad = f;
			snprintf(p->msg, sizeof p->msg, "%s", embmap_errmsg());
			p->stop = 1;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void workers_free(struct zworker *ws, unsigned n)
{
	for (unsigned i = 0; ws && i < n; i++) {
		ZSTD_freeCCtx(ws[i].cctx);
		ZSTD_freeDCtx(ws[i].dctx);
		free(ws[i].scratch);
	}
	free(ws);
}

/* Workers with a scratch buffer of scratch bytes and a zstd context. */
static struct zworker *workers_new(struct zpool *p, unsigned n, int level,
				   size_t scratch)
{
	struct zworker *ws = calloc(n, sizeof *ws);

	if (!ws)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		struct zworker *w = &ws[i];

		w->pool = p;
		w->scratch = malloc(scratch ? scratch : 1);
		if (level) {
			w->cctx = ZSTD_createCCtx();
			if (w->cctx &&
			    (ZSTD_isError(ZSTD_CCtx_setParameter(
				     w->cctx, ZSTD_c_compressionLevel,
				     level)) ||
			     ZSTD_isError(ZSTD_CCtx_setParameter(
				     w->cctx, ZSTD_c_contentSizeFlag, 1)) ||
			     ZSTD_isError(ZSTD_CCtx_setParameter(
				     w->cctx, ZSTD_c_checksumFlag, 0)))) {
				ZSTD_freeCCtx(w->cctx);
				w->cctx = NULL;
			}
		} else {
			w->dctx = ZSTD_createDCtx();
		}
		if (!w->scratch || !(level ? (void *)w->cctx : w->dctx)) {
			workers_free(ws, n);
			return NULL;
		}
	}
	return ws;
}

static int slots_new(struct zpool *p, unsigned n, size_t cap)
{
	p->slots = calloc(n, sizeof *p->slots);
	if (!p->slots)
		return emb_fail(EMBMAP_ENOMEM, "zstd: %u slots", n);
	p->nslots = n;
	for (unsigned i = 0; i < n; i++)
		if (!(p->slots[i].buf = malloc(cap ? cap : 1)))
			return emb_fail(EMBMAP_ENOMEM,
					"zstd: %u buffers of %zu bytes", n,
					cap);
	return 0;
}

static void slots_free(struct zpool *p)
{
	for (unsigned i = 0; p->slots && i < p->nslots; i++)
		free(p->slots[i].buf);
	free(p->slots);
	p->slots = NULL;
}

typedef int (*zemit_fn)(struct zpool *p, uint64_t f, struct zslot *s);

/*
 * Run the pool on nw workers; ordered pools pass each finished frame to
 * emit in frame order on this thread, and stop at its first failure.
 */
static int pool_run(struct zpool *p, struct zworker *ws, unsigned nw,
		    zemit_fn emit)
{
	unsigned started = 0;
	int rc = 0;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (unsigned i = 0; i < nw; i++) {
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0)
			break;
		ws[i].started = 1;
		started++;
	}
	if (started == 0) {
		rc = emb_fail(EMBMAP_ENOMEM, "zstd: cannot start a thread: %s",
			      strerror(errno));
		p->stop = 1;
	}
	for (uint64_t f = 0; rc == 0 && p->nslots && f < p->n; f++) {
		struct zslot *s = &p->slots[f % p->nslots];

		pthread_mutex_lock(&p->mu);
		while (!s->done)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		rc = emit(p, f, s);
		pthread_mutex_lock(&p->mu);
		s->done = 0;
		p->emitted++;
		if (rc)
			p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	for (unsigned i = 0; i < nw; i++)
		if (ws[i].started)
			pthread_join(ws[i].tid, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	if (rc == 0 && !p->nslots && p->rc)
		rc = emb_fail(p->rc, "%s", p->msg);
	return rc;
}

static int check_threads(const struct embmap_zstd_options *o, unsigned *n)
{
	*n = o && o->threads ? o->threads : ZTHREADS_DEFAULT;
	if (*n > ZTHREADS_MAX)
		return emb_fail(EMBMAP_EINVAL, "threads %u above %u", *n,
				ZTHREADS_MAX);
	return 0;
}

static void progress(const struct embmap_zstd_options *o, uint64_t done,
		     uint64_t total)
{
	if (o && o->progress)
		o->progress(o->progress_ctx, done, total);
}

/* ------------------------------------------------------------------------ */
/* Open: decompress into memory                                             */
/* ------------------------------------------------------------------------ */

struct inflate_job {
	const struct zfile *z;
	uint8_t *image;
};

static int inflate_work(struct zpool *p, struct zworker *w, uint64_t f,
			struct zslot *s)
{
	const struct inflate_job *j = p->ctx;
	struct zpart part;

	(void)s;
	frame_part(j->z, f, &part);
	return decode_frame(j->z, f, w->dctx, w->scratch,
			    j->image + part.offset);
}

int emb_zstd_inflate(struct embmap *t, void **base, size_t *size)
{
	struct zfile *z = malloc(sizeof *z);
	struct zpool pool = {0};
	struct inflate_job job;
	struct zworker *ws = NULL;
	uint8_t *image;
	size_t plain;
	int rc;

	if (!z)
		return emb_fail(EMBMAP_ENOMEM, "zstd: parser");
	if ((rc = zparse(z, *base, *size)) != 0) {
		free(z);
		return rc;
	}
	plain = (size_t)z->zi.plain_size;
	image = mmap(NULL, plain, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (image == MAP_FAILED) {
		free(z);
		return emb_fail(EMBMAP_ENOMEM,
				"cannot allocate %zu bytes to decompress the "
				"table into",
				plain);
	}
	memcpy(image, (const uint8_t *)*base + ZHEAD_OFFSET, z->zi.head_size);
	job.z = z;
	job.image = image;
	pool.n = z->frames;
	pool.work = inflate_work;
	pool.ctx = &job;
	ws = workers_new(&pool, ZTHREADS_DEFAULT, 0, (size_t)z->max_frame);
	rc = ws ? pool_run(&pool, ws, ZTHREADS_DEFAULT, NULL)
		: emb_fail(EMBMAP_ENOMEM, "zstd: decompression contexts");
	workers_free(ws, ZTHREADS_DEFAULT);
	free(z);
	if (rc) {
		munmap(image, plain);
		return rc;
	}
	mprotect(image, plain, PROT_READ);
	if (t->backing != EMB_BORROWED)
		munmap(*base, *size);
	t->backing = EMB_HEAP;
	t->zstd_size = *size;
	*base = image;
	*size = plain;
	return 0;
}

int embmap_is_mapped(const embmap *t)
{
	return t->backing != EMB_HEAP;
}

uint64_t embmap_compressed_size(const embmap *t)
{
	return t->zstd_size;
}

/* ------------------------------------------------------------------------ */
/* Opening a transport file for the converters                              */
/* ------------------------------------------------------------------------ */

struct zsource {
	struct zfile z;
	void *map;
	size_t size;
};

static void zsource_close(struct zsource *s)
{
	if (s->map)
		munmap(s->map, s->size);
	s->map = NULL;
}

/* Map path and check it; 1 when not in the transport form. */
static int zsource_open(struct zsource *s, const char *path)
{
	int rc;

	memset(s, 0, sizeof *s);
	if (!path)
		return emb_fail(EMBMAP_EINVAL, "path is NULL");
	if ((rc = emb_map_file(path, 0, &s->map, &s->size, NULL, NULL)) != 0)
		return rc;
	madvise(s->map, s->size, MADV_SEQUENTIAL);
	if (!emb_zstd_detect(s->map, s->size)) {
		zsource_close(s);
		return 1;
	}
	if ((rc = zparse(&s->z, s->map, s->size)) != 0) {
		zsource_close(s);
		return rc;
	}
	return 0;
}

static int zsource_need(struct zsource *s, const char *path)
{
	int rc = zsource_open(s, path);

	if (rc == 1)
		return emb_fail(EMBMAP_EINVAL,
				"%s is not in the zstd transport form", path);
	return rc;
}

int embmap_zstd_probe(const char *path, struct embmap_zstd_info *out)
{
	struct zsource *s = malloc(sizeof *s);
	int rc;

	if (!s)
		return emb_fail(EMBMAP_ENOMEM, "zstd: parser");
	rc = zsource_open(s, path);
	if (rc == 0 && out) {
		out->plain_size = s->z.zi.plain_size;
		out->compressed_size = s->size;
		out->frame_count = s->z.frames;
		out->frame_rows = s->z.zi.frame_rows;
		out->aux_frame_size = s->z.zi.aux_frame_size;
		out->filter = (int)s->z.zi.filter;
		out->level = s->z.zi.level;
	}
	zsource_close(s);
	free(s);
	return rc == 0 ? 1 : rc == 1 ? 0 : rc;
}

/* ------------------------------------------------------------------------ */
/* Unpack                                                                   */
/* ------------------------------------------------------------------------ */

struct unpack_job {
	const struct zfile *z;
	const char *path;
	int fd;
	const struct embmap_zstd_options *opts;
	uint64_t done;
};

static int decode_work(struct zpool *p, struct zworker *w, uint64_t f,
		       struct zslot *s)
{
	return decode_frame(p->z, f, w->dctx, w->scratch, s->buf);
}

static int unpack_emit(struct zpool *p, uint64_t f, struct zslot *s)
{
	struct unpack_job *j = p->ctx;
	struct zpart part;

	if (s->rc)
		return emb_fail(s->rc, "%s", s->msg);
	frame_part(j->z, f, &part);
	j->done += part.length;
	progress(j->opts, j->done, j->z->payload);
	return emb_pwrite_all(j->fd, s->buf, part.length, part.offset, j->path);
}

/* The rebuilt file must parse as the plain form (it always should). */
static int check_result(int fd, size_t size)
{
	struct embmap *t = calloc(1, sizeof *t);
	void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	char detail[512];
	int rc;

	if (!t || p == MAP_FAILED) {
		free(t);
		if (p != MAP_FAILED)
			munmap(p, size);
		return emb_fail(EMBMAP_ENOMEM, "unpack: cannot map the result");
	}
	rc = emb_parse(t, p, size);
	if (rc) {
		snprintf(detail, sizeof detail, "%s", embmap_errmsg());
		rc = emb_fail(rc, "the unpacked file does not parse: %s",
			      detail);
	}
	munmap(p, size);
	free(t);
	return rc;
}

/* The file being written, its temporary name and directory. */
struct zout {
	const char *path;
	char *dir, *tmp;
	int fd;
};

static int zout_open(struct zout *o, const char *path)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->path = path;
	if (!path || !*path)
		return emb_fail(EMBMAP_EINVAL, "output path is NULL or empty");
	if (!(o->dir = emb_dir_of(path)))
		return emb_fail(EMBMAP_ENOMEM, "zstd: path");
	return emb_temp_create(path, o->dir, &o->fd, &o->tmp);
}

static int zout_finish(struct zout *o, unsigned flags)
{
	int rc;

	if (!(flags & EMBMAP_WRITE_NO_SYNC) && fsync(o->fd) != 0)
		return emb_fail(EMBMAP_EIO, "fsync %s: %s", o->path,
				strerror(errno));
	if ((rc = emb_temp_publish(o->path, o->fd, &o->tmp)) != 0)
		return rc;
	if (!(flags & EMBMAP_WRITE_NO_SYNC))
		return emb_sync_dir(o->dir);
	return 0;
}

static void zout_close(struct zout *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->dir);
	o->fd = -1;
	o->tmp = NULL;
	o->dir = NULL;
}

/* Slots for an ordered pool: enough that no worker waits for the writer. */
static unsigned slot_count(unsigned threads)
{
	return 2 * threads + 2;
}

int embmap_unpack(const char *in_path, const char *out_path,
		  const struct embmap_zstd_options *opts)
{
	struct zsource *src = malloc(sizeof *src);
	struct unpack_job job = {0};
	struct zpool pool = {0};
	struct zworker *ws = NULL;
	struct zout out;
	unsigned nt;
	int rc;

	if (!src)
		return emb_fail(EMBMAP_ENOMEM, "zstd: parser");
	memset(&out, 0, sizeof out);
	out.fd = -1;
	if ((rc = check_threads(opts, &nt)) != 0 ||
	    (rc = zsource_need(src, in_path)) != 0) {
		free(src);
		return rc;
	}
	job.z = &src->z;
	job.path = out_path;
	job.opts = opts;
	pool.n = src->z.frames;
	pool.z = &src->z;
	pool.work = decode_work;
	pool.ctx = &job;
	if ((rc = zout_open(&out, out_path)) != 0 ||
	    (rc = slots_new(&pool, slot_count(nt), (size_t)src->z.max_frame)))
		goto done;
	job.fd = out.fd;
	if (!(ws = workers_new(&pool, nt, 0, (size_t)src->z.max_frame))) {
		rc = emb_fail(EMBMAP_ENOMEM, "zstd: decompression contexts");
		goto done;
	}
	if ((rc = emb_pwrite_all(out.fd, src->z.head, src->z.zi.head_size, 0,
				 out_path)) != 0 ||
	    (rc = pool_run(&pool, ws, nt, unpack_emit)) != 0)
		goto done;
	/* Padding is not stored: the holes read as the zeros it must be. */
	if (ftruncate(out.fd, (off_t)src->z.zi.plain_size) != 0) {
		rc = emb_fail(EMBMAP_EIO, "truncate %s: %s", out_path,
			      strerror(errno));
		goto done;
	}
	if ((rc = check_result(out.fd, (size_t)src->z.zi.plain_size)) == 0)
		rc = zout_finish(&out, opts ? opts->flags : 0);
done:
	workers_free(ws, nt);
	slots_free(&pool);
	zout_close(&out);
	zsource_close(src);
	free(src);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Verify                                                                   */
/* ------------------------------------------------------------------------ */

struct verify_job {
	const struct zfile *z;
	const struct embmap_zstd_options *opts;
	embmap_zstd_damage_fn fn;
	void *ctx;
	int rc; /* the first damage */
	char first[512];
	int damaged_sec; /* the current section has a bad frame */
	XXH3_state_t *sec_sum, *content;
	uint64_t done;
};

static void report(struct verify_job *j, uint64_t f, const struct zsec *sec,
		   uint64_t offset, uint64_t length, int code,
		   const char *detail)
{
	struct embmap_zstd_damage d = {
		.frame = f,
		.kind = sec ? sec->kind : 0,
		.plain_offset = offset,
		.plain_length = length,
		.code = code,
		.detail = detail,
	};

	if (sec && sec->kind == EMBMAP_SEC_MATRIX) {
		d.first_row =
			(offset - sec->offset) / j->z->plain.hdr.row_stride;
		d.row_count = length / j->z->plain.hdr.row_stride;
	}
	if (j->rc == 0) {
		j->rc = code;
		snprintf(j->first, sizeof j->first, "%s", detail);
	}
	if (j->fn)
		j->fn(j->ctx, &d);
}

/* The sections the content hash takes as they are (10.4). */
static int in_content(uint32_t kind)
{
	return kind == EMBMAP_SEC_SCALES || kind == EMBMAP_SEC_TOKEN_OFFSETS ||
	       kind == EMBMAP_SEC_TOKEN_BYTES;
}

static int verify_emit(struct zpool *p, uint64_t f, struct zslot *s)
{
	struct verify_job *j = p->ctx;
	const struct zfile *z = j->z;
	const uint64_t stride = z->plain.hdr.row_stride;
	struct zpart part;
	const struct zsec *sec;
	char msg[512];

	frame_part(z, f, &part);
	sec = part.sec;
	if (f == sec->first_frame) {
		XXH3_64bits_reset(j->sec_sum);
		j->damaged_sec = 0;
	}
	if (s->rc) {
		report(j, f, sec, part.offset, part.length, s->rc, s->msg);
		j->damaged_sec = 1;
	} else if (j->rc == 0) {
		XXH3_64bits_update(j->sec_sum, s->buf, part.length);
		/* Frames hold whole rows; the content hash takes row hashes. */
		if (sec->kind == EMBMAP_SEC_MATRIX)
			emb_hash_rows(s->buf, part.length / stride, stride,
				      NULL, j->content);
		else if (in_content(sec->kind))
			XXH3_128bits_update(j->content, s->buf, part.length);
	}
	if (f + 1 == sec->first_frame + sec->frames && !j->damaged_sec &&
	    j->rc == 0 && sec->kind != EMBMAP_SEC_MATRIX &&
	    XXH3_64bits_digest(j->sec_sum) !=
		    z->plain.dir[sec->index].checksum) {
		snprintf(msg, sizeof msg,
			 "section %u (%s): checksum of the decompressed "
			 "section does not match the plain directory",
			 sec->index, embmap_section_name(sec->kind));
		report(j, UINT64_MAX, sec, sec->offset, sec->length,
		       EMBMAP_ECHECKSUM, msg);
	}
	j->done += part.length;
	progress(j->opts, j->done, z->payload);
	return 0;
}

static void verify_content(struct verify_job *j)
{
	const struct embmap_format_header *h = &j->z->plain.hdr;
	struct embmap_format_content_trailer tr = {
		.rows = h->rows,
		.dim = h->dim,
		.dtype = h->dtype,
		.token_count = h->token_count,
	};
	XXH128_canonical_t c;

	XXH3_128bits_update(j->content, &tr, sizeof tr);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(j->content));
	if (memcmp(c.digest, h->content_hash, 16) != 0)
		report(j, UINT64_MAX, NULL, 0, j->z->zi.plain_size,
		       EMBMAP_ECHECKSUM,
		       "content hash of the decompressed table does not "
		       "match the header's");
}

int embmap_zstd_verify(const char *path, embmap_zstd_damage_fn fn, void *ctx,
		       const struct embmap_zstd_options *opts)
{
	struct zsource *src = malloc(sizeof *src);
	struct verify_job job = {0};
	struct zpool pool = {0};
	struct zworker *ws = NULL;
	unsigned nt;
	int rc;

	if (!src)
		return emb_fail(EMBMAP_ENOMEM, "zstd: parser");
	if ((rc = check_threads(opts, &nt)) != 0 ||
	    (rc = zsource_need(src, path)) != 0) {
		free(src);
		return rc;
	}
	job.z = &src->z;
	job.opts = opts;
	job.fn = fn;
	job.ctx = ctx;
	job.sec_sum = XXH3_createState();
	job.content = XXH3_createState();
	pool.n = src->z.frames;
	pool.z = &src->z;
	pool.work = decode_work;
	pool.ctx = &job;
	if (!job.sec_sum || !job.content ||
	    (rc = slots_new(&pool, slot_count(nt), (size_t)src->z.max_frame)) ||
	    !(ws = workers_new(&pool, nt, 0, (size_t)src->z.max_frame))) {
		rc = rc ? rc : emb_fail(EMBMAP_ENOMEM, "zstd: verify buffers");
		goto done;
	}
	XXH3_128bits_reset(job.content);
	if ((rc = pool_run(&pool, ws, nt, verify_emit)) != 0)
		goto done;
	if (job.rc == 0)
		verify_content(&job);
	if (job.rc)
		rc = emb_fail(job.rc, "%s", job.first);
done:
	workers_free(ws, nt);
	slots_free(&pool);
	XXH3_freeState(job.sec_sum);
	XXH3_freeState(job.content);
	zsource_close(src);
	free(src);
	return rc;
}

int embmap_zstd_read_rows(const char *path, uint64_t first, uint64_t count,
			  void *out, size_t out_size)
{
	struct zsource *src = malloc(sizeof *src);
	ZSTD_DCtx *dctx = NULL;
	uint8_t *frame = NULL, *scratch = NULL;
	const struct embmap_format_header *h;
	uint64_t need, fr, end;
	int rc;

	if (!src)
		return emb_fail(EMBMAP_ENOMEM, "zstd: parser");
	if ((rc = zsource_need(src, path)) != 0) {
		free(src);
		return rc;
	}
	h = &src->z.plain.hdr;
	fr = src->z.zi.frame_rows;
	if (first > h->rows || count > h->rows - first) {
		rc = emb_fail(EMBMAP_ERANGE,
			      "rows %llu + %llu exceed the table's %llu rows",
			      (unsigned long long)first,
			      (unsigned long long)count,
			      (unsigned long long)h->rows);
		goto done;
	}
	need = count * h->row_stride;
	if (count && (!out || need > out_size)) {
		rc = emb_fail(EMBMAP_EINVAL,
			      "%llu rows need %llu bytes, out has %zu",
			      (unsigned long long)count,
			      (unsigned long long)need, out ? out_size : 0);
		goto done;
	}
	dctx = ZSTD_createDCtx();
	frame = malloc((size_t)src->z.max_frame + 1);
	scratch = malloc((size_t)src->z.max_frame + 1);
	if (!dctx || !frame || !scratch) {
		rc = emb_fail(EMBMAP_ENOMEM, "zstd: buffers");
		goto done;
	}
	end = first + count;
	for (uint64_t r = first; r < end && rc == 0;) {
		uint64_t f = r / fr, lo = f * fr;
		uint64_t hi = lo + fr < end ? lo + fr : end;

		/* Matrix frames come first, fr rows each. */
		rc = decode_frame(&src->z, f, dctx, scratch, frame);
		if (rc == 0)
			memcpy((uint8_t *)out + (r - first) * h->row_stride,
			       frame + (r - lo) * h->row_stride,
			       (size_t)((hi - r) * h->row_stride));
		r = hi;
	}
done:
	ZSTD_freeDCtx(dctx);
	free(frame);
	free(scratch);
	zsource_close(src);
	free(src);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Compress                                                                 */
/* ------------------------------------------------------------------------ */

struct compress_job {
	const struct zfile *z; /* the plan, over the plain file's bytes */
	const uint8_t *plain;
	int shuffle;
	int fd;
	const char *path;
	const struct embmap_zstd_options *opts;
	uint8_t *table; /* frames x EMBMAP_ZFRAME_SIZE */
	uint64_t pos, done;
};

static int compress_work(struct zpool *p, struct zworker *w, uint64_t f,
			 struct zslot *s)
{
	const struct compress_job *j = p->ctx;
	struct zpart part;
	const uint8_t *src;
	size_t n;

	frame_part(j->z, f, &part);
	src = j->plain + part.offset;
	s->sum = emb_hash64(src, part.length);
	if (j->shuffle && part.sec->elem > 1) {
		shuffle(w->scratch, src, part.length, part.sec->elem);
		src = w->scratch;
	}
	n = ZSTD_compress2(w->cctx, s->buf, ZSTD_compressBound(j->z->max_frame),
			   src, part.length);
	if (ZSTD_isError(n))
		return emb_fail(EMBMAP_ENOMEM, "zstd: frame %llu: %s",
				(unsigned long long)f, ZSTD_getErrorName(n));
	s->len = n;
	return 0;
}

static int compress_emit(struct zpool *p, uint64_t f, struct zslot *s)
{
	struct compress_job *j = p->ctx;
	struct embmap_format_zframe e = {0};
	struct zpart part;

	if (s->rc)
		return emb_fail(s->rc, "%s", s->msg);
	frame_part(j->z, f, &part);
	e.offset = j->pos;
	e.size = (uint32_t)s->len;
	e.plain_size = (uint32_t)part.length;
	e.checksum = s->sum;
	memcpy(j->table + f * EMBMAP_ZFRAME_SIZE, &e, sizeof e);
	j->pos += s->len;
	j->done += part.length;
	progress(j->opts, j->done, j->z->payload);
	return emb_pwrite_all(j->fd, s->buf, s->len, e.offset, j->path);
}

/* The largest power of two of rows whose frame fits ZFRAME_TARGET. */
static uint32_t default_frame_rows(uint64_t stride)
{
	uint32_t r = 1;

	while ((uint64_t)r * 2 * stride <= ZFRAME_TARGET)
		r *= 2;
	return r;
}

static int check_compress_options(const struct embmap_zstd_options *o,
				  int *level, unsigned *nt)
{
	int rc = check_threads(o, nt);

	*level = o && o->level ? o->level : EMBMAP_ZSTD_LEVEL_DEFAULT;
	if (rc)
		return rc;
	if (*level < 1 || *level > ZSTD_maxCLevel())
		return emb_fail(EMBMAP_EINVAL, "zstd level %d outside 1..%d",
				*level, ZSTD_maxCLevel());
	if (o && (o->flags & ~(EMBMAP_ZSTD_NO_SHUFFLE | EMBMAP_WRITE_NO_SYNC)))
		return emb_fail(EMBMAP_EINVAL, "unknown zstd flags 0x%x",
				o->flags);
	return 0;
}

/* Header, descriptor, plain head and frame table, at offset 0. */
static int write_front(struct compress_job *j, const struct zfile *z,
		       const embmap *t)
{
	size_t table_len = (size_t)(z->frames * EMBMAP_ZFRAME_SIZE);
	size_t front = ZHEAD_OFFSET + z->zi.head_size + table_len;
	struct embmap_format_header h = t->hdr;
	struct embmap_format_zstd zi = z->zi;
	uint8_t *buf = malloc(front);
	int rc;

	if (!buf)
		return emb_fail(EMBMAP_ENOMEM, "zstd: frame table");
	zi.table_checksum = emb_hash64(j->table, table_len);
	memcpy(buf + EMBMAP_HEADER_SIZE, &zi, sizeof zi);
	memcpy(buf + ZHEAD_OFFSET, t->base, zi.head_size);
	memcpy(buf + ZHEAD_OFFSET + zi.head_size, j->table, table_len);
	h.required_features |= EMBMAP_FEAT_ZSTD;
	h.file_size = j->pos;
	h.directory_checksum = emb_hash64(buf + EMBMAP_HEADER_SIZE,
					  EMBMAP_ZSTD_INFO_SIZE + zi.head_size);
	h.header_checksum = emb_hash64(&h, EMBMAP_HEADER_HASHED);
	memcpy(buf, &h, sizeof h);
	rc = emb_pwrite_all(j->fd, buf, front, 0, j->path);
	free(buf);
	return rc;
}

/* The plan of a transport file for the open plain table t. */
static int plan_from(struct zfile *z, const embmap *t, uint32_t frame_rows,
		     int level, int shuffle)
{
	uint64_t bytes;

	memset(z, 0, sizeof *z);
	z->plain.hdr = t->hdr;
	z->plain.dir = t->dir;
	z->zi.plain_size = t->size;
	z->zi.head_size =
		EMBMAP_HEADER_SIZE + t->hdr.section_count * EMBMAP_SECTION_SIZE;
	z->zi.table_offset = ZHEAD_OFFSET + z->zi.head_size;
	z->zi.frame_rows =
		frame_rows ? frame_rows : default_frame_rows(t->hdr.row_stride);
	z->zi.aux_frame_size = ZFRAME_TARGET;
	z->zi.filter = shuffle ? EMBMAP_ZFILTER_SHUFFLE : EMBMAP_ZFILTER_NONE;
	z->zi.level = level;
	if (emb_mul_overflow(z->zi.frame_rows, t->hdr.row_stride, &bytes) ||
	    bytes > EMBMAP_ZSTD_MAX_FRAME)
		return emb_fail(EMBMAP_EINVAL,
				"%u rows of %llu bytes exceed the frame limit "
				"of %u bytes",
				z->zi.frame_rows,
				(unsigned long long)t->hdr.row_stride,
				EMBMAP_ZSTD_MAX_FRAME);
	if (plan_frames(z) != 0)
		return EMBMAP_EINVAL;
	z->zi.frame_count = z->frames;
	if (z->frames > SIZE_MAX / EMBMAP_ZFRAME_SIZE)
		return emb_fail(EMBMAP_ENOMEM, "zstd: %llu frames",
				(unsigned long long)z->frames);
	return 0;
}

static int compress_open(const char *path, embmap **t)
{
	char detail[512];
	int rc = embmap_open(path, 0, t);

	if (rc)
		return rc;
	if ((*t)->zstd_size) {
		embmap_close(*t);
		*t = NULL;
		emb_fail(EMBMAP_EINVAL,
			 "%s is already in the zstd transport form", path);
		return EMBMAP_EINVAL;
	}
	madvise((void *)(uintptr_t)(*t)->base, (*t)->size, MADV_SEQUENTIAL);
	if ((rc = embmap_verify(*t, NULL, NULL)) != 0) {
		snprintf(detail, sizeof detail, "%s", embmap_errmsg());
		embmap_close(*t);
		*t = NULL;
		emb_fail(rc, "%s (a damaged table is not compressed)", detail);
		return rc;
	}
	return 0;
}

int embmap_compress(const char *plain_path, const char *out_path,
		    const struct embmap_zstd_options *opts)
{
	struct zfile *z = malloc(sizeof *z);
	struct compress_job job = {0};
	struct zpool pool = {0};
	struct zworker *ws = NULL;
	embmap *t = NULL;
	struct zout out;
	unsigned nt = 0;
	int level, rc;

	memset(&out, 0, sizeof out);
	out.fd = -1;
	if (!z)
		return emb_fail(EMBMAP_ENOMEM, "zstd: plan");
	if ((rc = check_compress_options(opts, &level, &nt)) != 0 ||
	    (rc = compress_open(plain_path, &t)) != 0 ||
	    (rc = plan_from(z, t, opts ? opts->frame_rows : 0, level,
			    !(opts && (opts->flags & EMBMAP_ZSTD_NO_SHUFFLE)))))
		goto done;
	job.z = z;
	job.plain = t->base;
	job.shuffle = z->zi.filter == EMBMAP_ZFILTER_SHUFFLE;
	job.path = out_path;
	job.opts = opts;
	job.pos = z->zi.table_offset + z->frames * EMBMAP_ZFRAME_SIZE;
	pool.n = z->frames;
	pool.work = compress_work;
	pool.ctx = &job;
	if (!(job.table = calloc((size_t)z->frames + 1, EMBMAP_ZFRAME_SIZE)) ||
	    !(ws = workers_new(&pool, nt, level, (size_t)z->max_frame))) {
		rc = emb_fail(EMBMAP_ENOMEM, "zstd: compression contexts");
		goto done;
	}
	if ((rc = slots_new(&pool, slot_count(nt),
			    ZSTD_compressBound((size_t)z->max_frame))) != 0 ||
	    (rc = zout_open(&out, out_path)) != 0)
		goto done;
	job.fd = out.fd;
	if ((rc = pool_run(&pool, ws, nt, compress_emit)) != 0 ||
	    (rc = write_front(&job, z, t)) != 0)
		goto done;
	rc = zout_finish(&out, opts ? opts->flags : 0);
done:
	workers_free(ws, nt);
	slots_free(&pool);
	zout_close(&out);
	free(job.table);
	embmap_close(t);
	free(z);
	return rc;
}
