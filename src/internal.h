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

	struct embmap_format_header hdr; /* copied from head */
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
	uint64_t zstd_size; /* zstd.c: the transport file's size, else 0 */

	/*
	 * The first page of the file, copied: the header and the directory are
	 * read from here, so that open touches no page of the mapping (each
	 * first touch is a page fault, the largest cost of an open).
	 */
	size_t head_len;
	_Alignas(8) uint8_t head[EMBMAP_ALIGN_MIN];
};

/* Record a failure detail for this thread and return code. */
EMB_HIDDEN int emb_fail(int code, const char *fmt, ...) EMB_PRINTF(2, 3);

/* Hashes with the fastest implementation the CPU has. */
EMB_HIDDEN uint64_t emb_hash64(const void *p, size_t n);
EMB_HIDDEN void emb_hash128(const void *p, size_t n, uint8_t out[16]);

/*
 * Hash n rows of stride bytes at p, one XXH3-64 per row, and feed those
 * row hashes (u64, little-endian) to the block state and to the content
 * state, either of which may be NULL. Block sums and the content hash are
 * digests of row hashes (SPEC.md), so one pass over the matrix serves both.
 */
struct XXH3_state_s;
EMB_HIDDEN void emb_hash_rows(const uint8_t *p, uint64_t n, uint64_t stride,
			      struct XXH3_state_s *block,
			      struct XXH3_state_s *content);

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

/* The token index size for n tokens: a power of two >= max(8, 2n). */
static inline uint64_t emb_index_buckets(uint64_t n)
{
	uint64_t b = 8;

	while (b / 2 < n)
		b *= 2;
	return b;
}

/*
 * The canonical rows per checksum block for a row size: the largest power
 * of two whose block stays within EMBMAP_BLOCK_BYTES_TARGET, at least 1.
 */
EMB_HIDDEN uint32_t emb_default_block_rows(uint64_t stride);

/* Convert count elements of dtype at src to float32. */
EMB_HIDDEN void emb_to_f32(int dtype, const void *src, float scale,
			   size_t count, float *out);

/*
 * The conversion paths behind emb_to_f32, which give identical bits: the
 * portable scalar code, and on x86-64 AVX2 with F16C, used when the CPU has
 * them. Tests and benchmarks name a path; emb_to_f32_with() returns -1
 * (out untouched) when the CPU lacks it. emb_cvt_use() switches what
 * emb_to_f32 uses, for every thread; a test hook, not for lookups in
 * flight.
 */
enum { EMB_CVT_SCALAR = 0, EMB_CVT_X86 = 1 };
EMB_HIDDEN int emb_to_f32_with(int path, int dtype, const void *src,
			       float scale, size_t count, float *out);
EMB_HIDDEN int emb_cvt_available(int path);
EMB_HIDDEN int emb_cvt_use(int path);
EMB_HIDDEN int emb_cvt_current(void);

#if defined(__x86_64__) && defined(__GNUC__)
#define EMB_HAVE_X86 1
/* dtype_x86.c; call only when emb_x86_usable() says so. */
EMB_HIDDEN int emb_x86_usable(void);
EMB_HIDDEN void emb_x86_f16(const uint8_t *src, size_t n, float *out);
EMB_HIDDEN void emb_x86_bf16(const uint8_t *src, size_t n, float *out);
EMB_HIDDEN void emb_x86_i8(const uint8_t *src, float scale, size_t n,
			   float *out);
#else
#define EMB_HAVE_X86 0
#endif

/* The writer's element type and row length, for the converters. */
EMB_HIDDEN int emb_writer_dtype(const embmap_writer *w);
EMB_HIDDEN uint32_t emb_writer_dim(const embmap_writer *w);

/*
 * The header checks every reader makes (magic, byte order, version, header
 * checksum, required features against known_required, sizes, reserved);
 * size is the whole input's. Shared by the plain and transport readers.
 */
EMB_HIDDEN int emb_check_header(const struct embmap_format_header *h,
				size_t size, uint64_t known_required);

/*
 * Validate a table held in base[0..size): everything embmap_open checks.
 * Fills t on success.
 */
EMB_HIDDEN int emb_parse(struct embmap *t, const uint8_t *base, size_t size);

/*
 * The part of emb_parse() that needs only the header and directory, which
 * base[0..avail) holds, for a file of size bytes: fills t->hdr, t->dir and
 * t->sec. zstd.c checks the plain head of a transport file with it.
 */
EMB_HIDDEN int emb_parse_head(struct embmap *t, const uint8_t *base,
			      size_t avail, uint64_t size);

/*
 * Map a regular file read-only (EMBMAP_PRIVATE: read it into memory), at an
 * address aligned as its header asks. When head is not NULL, the first
 * EMBMAP_ALIGN_MIN bytes (or fewer) are also read into it, *head_len set.
 */
EMB_HIDDEN int emb_map_file(const char *path, unsigned flags, void **out,
			    size_t *len, uint8_t *head, size_t *head_len);

/*
 * A new file that appears at its path only whole (writer.c): created
 * unnamed or under a temporary name in dir, published by rename.
 */
EMB_HIDDEN char *emb_dir_of(const char *path);
EMB_HIDDEN int emb_temp_create(const char *path, const char *dir, int *fd,
			       char **tmp_path);
EMB_HIDDEN int emb_temp_publish(const char *path, int fd, char **tmp_path);
EMB_HIDDEN int emb_sync_dir(const char *dir);
EMB_HIDDEN int emb_pwrite_all(int fd, const void *p, size_t n, uint64_t at,
			      const char *path);

/*
 * zstd.c: whether base[0..size) is a file in the zstd transport form (by
 * its first 32 bytes; it may still be truncated or damaged), and
 * its decompression into anonymous memory for embmap_open(). On success
 * *base and *size describe the plain bytes, the transport bytes are
 * released (unless borrowed), t->backing is EMB_HEAP and t->zstd_size set;
 * on failure nothing changes.
 */
EMB_HIDDEN int emb_zstd_detect(const uint8_t *base, size_t size);
EMB_HIDDEN int emb_zstd_inflate(struct embmap *t, void **base, size_t *size);

#endif /* EMBMAP_INTERNAL_H */
