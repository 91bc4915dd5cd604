/*
 * internal.h - what the library's source files share and nothing outside
 * src/ may use.
 */
#ifndef EMBMAP_INTERNAL_H
#define EMBMAP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "embmap.h"
#include "embmap_format.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "not yet: embmap reads its little-endian files only on little-endian hosts"
#endif

#if defined(__GNUC__)
#define EMB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define EMB_HIDDEN __attribute__((visibility("hidden")))
#define EMB_LIKELY(x) __builtin_expect(!!(x), 1)
#define EMB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define EMB_PRINTF(f, a)
#define EMB_HIDDEN
#define EMB_LIKELY(x) (x)
#define EMB_UNLIKELY(x) (x)
#endif

/* Where the bytes of an open table live. */
enum emb_backing { EMB_MAPPED, EMB_HEAP, EMB_BORROWED };

/* The directory entry of each known kind, NULL when absent. */
struct emb_sections {
	const struct embmap_format_section *matrix;
	const struct embmap_format_section *block_sums;
	const struct embmap_format_section *scales;
	const struct embmap_format_section *meta;
	const struct embmap_format_section *tok_offsets;
	const struct embmap_format_section *tok_bytes;
	const struct embmap_format_section *tok_index;
};

/*
 * An open table. Every pointer below points into base[0..size) and every
 * length was checked against size at open, so lookups need no further
 * bounds checks on the section extents, only on values read from within.
 */
struct embmap {
	const uint8_t *base;
	size_t size;
	enum emb_backing backing;

	struct embmap_format_header
		hdr; /* copied: the file may not be aligned */
	const struct embmap_format_section *dir;
	struct emb_sections sec;

	const uint8_t *matrix;
	const uint8_t *scales;	    /* f32 per row, i8 only */
	const uint8_t *tok_offsets; /* u64 x (tokens + 1) */
	const uint8_t *tok_bytes;
	uint64_t tok_bytes_len;
	const uint8_t *tok_slots;
	uint64_t slot_mask; /* buckets - 1 */
	size_t elem_size;
};

/* Record a failure detail for this thread and return code. */
EMB_HIDDEN int emb_fail(int code, const char *fmt, ...) EMB_PRINTF(2, 3);

/* Hashes with the fastest implementation the CPU has. */
EMB_HIDDEN uint64_t emb_hash64(const void *p, size_t n);
EMB_HIDDEN void emb_hash128(const void *p, size_t n, uint8_t out[16]);

/* Unaligned little-endian loads from file bytes. */
static inline uint64_t emb_load64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, sizeof v);
	return v;
}

static inline uint32_t emb_load32(const uint8_t *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, sizeof v);
	return v;
}

/* Overflow-checked arithmetic: return 1 when the result does not fit. */
static inline int emb_mul_overflow(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_mul_overflow(a, b, r);
}

static inline int emb_add_overflow(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_add_overflow(a, b, r);
}

static inline uint64_t emb_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * The canonical rows per checksum block for a row size: the largest power
 * of two whose block stays within EMBMAP_BLOCK_BYTES_TARGET, at least 1.
 */
EMB_HIDDEN uint32_t emb_default_block_rows(uint64_t stride);

/* Convert count elements of dtype at src to float32. */
EMB_HIDDEN void emb_to_f32(int dtype, const void *src, float scale,
			   size_t count, float *out);

/* The writer's element type and row length, for the converters. */
EMB_HIDDEN int emb_writer_dtype(const embmap_writer *w);
EMB_HIDDEN uint32_t emb_writer_dim(const embmap_writer *w);

/*
 * Validate a table held in base[0..size): everything embmap_open checks.
 * Fills t on success.
 */
EMB_HIDDEN int emb_parse(struct embmap *t, const uint8_t *base, size_t size);

#endif /* EMBMAP_INTERNAL_H */
