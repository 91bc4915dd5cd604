/*
 * embmap_format.h - the on-disk structures of an embmap file, version 1.
 *
 * This header is normative: SPEC.md describes the same bytes in prose and
 * the two must agree. Reader and writer both include it, so a field can only
 * move in one place. It depends on nothing but <stdint.h>.
 *
 * Every integer is little-endian and every structure is packed by
 * construction (fields are ordered so that no padding is ever inserted);
 * the static assertions at the end pin each size and offset.
 */
#ifndef EMBMAP_FORMAT_H
#define EMBMAP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The magic: a non-ASCII first byte so the file is never taken for text,
 * then "EMB", then CR LF, SUB and LF, which a text-mode transfer or a
 * newline conversion would damage in a way the reader sees at once.
 */
#define EMBMAP_MAGIC                                                           \
	"\x89"                                                                 \
	"EMB\r\n\x1a\n"
#define EMBMAP_MAGIC_SIZE 8

/* Stored little-endian; a big-endian writer would produce 01 02 03 04. */
#define EMBMAP_BYTE_ORDER_MARK 0x01020304u

#define EMBMAP_FORMAT_MAJOR 1
#define EMBMAP_FORMAT_MINOR 0

/* The matrix alignment, a power of two chosen at pack time. */
#define EMBMAP_ALIGN_MIN 4096u
#define EMBMAP_ALIGN_MAX (2u * 1024 * 1024)
#define EMBMAP_ALIGN_DEFAULT EMBMAP_ALIGN_MIN

/* Sections after the matrix start on this boundary (one cache line). */
#define EMBMAP_SECTION_ALIGN 64u

/* Limits a reader enforces before it trusts any count. */
#define EMBMAP_MAX_SECTIONS 64u
#define EMBMAP_MAX_DIM (1u << 24)
#define EMBMAP_MAX_ROWS (UINT64_C(1) << 40)
#define EMBMAP_MAX_BLOCK_ROWS (1u << 30)
#define EMBMAP_MAX_META_KEY 255u
#define EMBMAP_MAX_META_VALUE 65535u

/* A writer aims for checksum blocks of about this many bytes. */
#define EMBMAP_BLOCK_BYTES_TARGET 65536u

/* Stored element types. Codes are stable; 0 is never valid. */
enum embmap_format_dtype {
	EMBMAP_FMT_F32 = 1,  /* IEEE 754 binary32 */
	EMBMAP_FMT_F16 = 2,  /* IEEE 754 binary16 */
	EMBMAP_FMT_BF16 = 3, /* the upper 16 bits of a binary32 */
	EMBMAP_FMT_I8 = 4 /* int8 q, value = scale[row] * q, q in -127..127 */
};

/*
 * Section kinds. A reader skips kinds it does not know (after checking their
 * bounds), so new optional sections need no version change.
 */
enum embmap_format_kind {
	EMBMAP_SEC_MATRIX = 1, /* rows x row_stride bytes */
	EMBMAP_SEC_BLOCK_SUMS =
		2,	       /* u64 XXH3-64 per block of block_rows rows */
	EMBMAP_SEC_SCALES = 3, /* f32 per row; present iff dtype is i8 */
	EMBMAP_SEC_NORMS = 4,  /* reserved: f32 L2 norm per row */
	EMBMAP_SEC_META = 5,   /* sorted key/value strings */
	EMBMAP_SEC_TOKEN_OFFSETS = 6, /* u64 x (tokens + 1) */
	EMBMAP_SEC_TOKEN_BYTES = 7,   /* each token's bytes, then a NUL */
	EMBMAP_SEC_TOKEN_INDEX = 8    /* open-addressing table of slots */
};

/* Section flags. Version 1.0 writers set none; readers refuse unknown bits. */
#define EMBMAP_SECF_ZSTD 0x1u /* reserved: stored as zstd frames */

/* Required features: a reader refuses a file with a bit it does not know. */
#define EMBMAP_FEAT_REQUIRED_KNOWN UINT64_C(0)
/* Optional features: a reader may ignore bits it does not know. */
#define EMBMAP_FEAT_OPTIONAL_KNOWN UINT64_C(0)

/*
 * The file header, at offset 0. header_checksum is XXH3-64 (seed 0) of the
 * 120 bytes before it; directory_checksum is XXH3-64 of the directory.
 */
struct embmap_format_header {
	uint8_t magic[8];	/*   0: EMBMAP_MAGIC */
	uint32_t byte_order;	/*   8: EMBMAP_BYTE_ORDER_MARK */
	uint16_t version_major; /*  12: EMBMAP_FORMAT_MAJOR */
	uint16_t version_minor; /*  14: any; a reader accepts newer minors */
	uint32_t header_size;	/*  16: sizeof(struct embmap_format_header) */
	uint32_t section_count; /*  20: 2..EMBMAP_MAX_SECTIONS */
	uint64_t required_features; /*  24 */
	uint64_t optional_features; /*  32 */
	uint64_t file_size;	    /*  40: exact length of the file */
	uint64_t rows;		    /*  48: V, 1..EMBMAP_MAX_ROWS */
	uint32_t dim;		    /*  56: C, 1..EMBMAP_MAX_DIM */
	uint32_t dtype;		    /*  60: enum embmap_format_dtype */
	uint64_t row_stride;	  /*  64: bytes per row, = dim * element size */
	uint64_t token_count;	  /*  72: 0..rows */
	uint32_t alignment;	  /*  80: power of two, ALIGN_MIN..ALIGN_MAX */
	uint32_t block_rows;	  /*  84: rows per checksum block */
	uint8_t content_hash[16]; /*  88: XXH3-128, canonical (big-endian) */
	uint64_t directory_checksum; /* 104 */
	uint64_t reserved;	     /* 112: zero */
	uint64_t header_checksum;    /* 120 */
};

/* The directory follows the header: section_count entries, by offset. */
struct embmap_format_section {
	uint32_t kind;	   /*  0: enum embmap_format_kind */
	uint32_t flags;	   /*  4: EMBMAP_SECF_* */
	uint64_t offset;   /*  8: from the start of the file */
	uint64_t length;   /* 16: bytes stored */
	uint64_t checksum; /* 24: XXH3-64 of the stored bytes; 0 for MATRIX */
	uint64_t count;	   /* 32: number of items, by kind (see SPEC.md) */
	uint64_t reserved; /* 40: zero */
};

/* One slot of the token index. An empty slot has id EMBMAP_SLOT_EMPTY. */
struct embmap_format_slot {
	uint64_t hash; /* 0: XXH3-64 (seed 0) of the token bytes */
	uint64_t id;   /* 8: the token's row */
};

#define EMBMAP_SLOT_EMPTY UINT64_MAX

/* The trailer that closes the content hash input (see SPEC.md). */
struct embmap_format_content_trailer {
	uint64_t rows;	      /*  0 */
	uint32_t dim;	      /*  8 */
	uint32_t dtype;	      /* 12 */
	uint64_t token_count; /* 16 */
};

#define EMBMAP_HEADER_SIZE 128u
#define EMBMAP_SECTION_SIZE 48u
#define EMBMAP_HEADER_HASHED 120u

/*
 * ---- The zstd transport form (SPEC.md, "Transport form (zstd)") ----
 *
 * The same table for shipping: every section of the plain file stored as
 * independent zstd frames. The file starts with a header laid out as the
 * plain one with EMBMAP_FEAT_ZSTD in required_features, so a reader that
 * knows only the plain form refuses it instead of misreading it. Then, at
 * offset 128, struct embmap_format_zstd; then the plain file's header and
 * directory verbatim (the "plain head"); then the frame table; then the
 * frames, back to back, to the end of the file.
 */
#define EMBMAP_FEAT_ZSTD UINT64_C(0x1)

/* What is done to a frame's plain bytes before zstd. Codes are stable. */
enum embmap_format_zfilter {
	EMBMAP_ZFILTER_NONE = 0,
	EMBMAP_ZFILTER_SHUFFLE = 1 /* bytes of equal significance grouped */
};

/* Plain bytes in one frame: at least one row, at most this. */
#define EMBMAP_ZSTD_MAX_FRAME (UINT32_C(1) << 26)
/* No zstd frame decodes to more than this many times its own size. */
#define EMBMAP_ZSTD_MAX_RATIO 32768u

/* At offset 128 of a transport file. */
struct embmap_format_zstd {
	uint64_t plain_size;	 /*  0: the plain file's exact length */
	uint64_t table_offset;	 /*  8: = 192 + head_size */
	uint64_t frame_count;	 /* 16: entries in the frame table */
	uint64_t table_checksum; /* 24: XXH3-64 of the frame table */
	uint32_t head_size;	 /* 32: = 128 + 48 x section_count */
	uint32_t frame_rows;	 /* 36: matrix rows per frame */
	uint32_t aux_frame_size; /* 40: plain bytes per frame elsewhere */
	uint32_t filter;	 /* 44: enum embmap_format_zfilter */
	int32_t level;		 /* 48: zstd level used; informative */
	uint32_t reserved0;	 /* 52: zero */
	uint64_t reserved;	 /* 56: zero */
};

/* One entry of the frame table, frames in plain-file order. */
struct embmap_format_zframe {
	uint64_t offset;     /*  0: from the start of the file */
	uint32_t size;	     /*  8: compressed bytes */
	uint32_t plain_size; /* 12: bytes the frame stands for */
	uint64_t checksum;   /* 16: XXH3-64 of those plain bytes */
};

#define EMBMAP_ZSTD_INFO_SIZE 64u
#define EMBMAP_ZFRAME_SIZE 24u
/* ---- end of the zstd transport form ---- */

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define EMBMAP_FMT_ASSERT(c, m) _Static_assert(c, #m)
#else
#define EMBMAP_FMT_ASSERT(c, m) typedef char embmap_fmt_assert_##m[(c) ? 1 : -1]
#endif

EMBMAP_FMT_ASSERT(sizeof(struct embmap_format_header) == EMBMAP_HEADER_SIZE,
		  header_size);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, byte_order) == 8, bom);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, header_size) == 16,
		  hsize);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, file_size) == 40,
		  fsize);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, rows) == 48, rows);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, row_stride) == 64,
		  stride);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, alignment) == 80,
		  align);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, content_hash) == 88,
		  chash);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, directory_checksum) ==
			  104,
		  dsum);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_header, header_checksum) ==
			  EMBMAP_HEADER_HASHED,
		  hsum);
EMBMAP_FMT_ASSERT(sizeof(struct embmap_format_section) == EMBMAP_SECTION_SIZE,
		  section_size);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_section, count) == 32, count);
EMBMAP_FMT_ASSERT(sizeof(struct embmap_format_slot) == 16, slot_size);
EMBMAP_FMT_ASSERT(sizeof(struct embmap_format_content_trailer) == 24,
		  trailer_size);
/* The largest directory always fits in the first page, before the matrix. */
EMBMAP_FMT_ASSERT(EMBMAP_HEADER_SIZE +
				  EMBMAP_MAX_SECTIONS * EMBMAP_SECTION_SIZE <=
			  EMBMAP_ALIGN_MIN,
		  directory_fits);
/* The zstd transport form. */
EMBMAP_FMT_ASSERT(sizeof(struct embmap_format_zstd) == EMBMAP_ZSTD_INFO_SIZE,
		  zstd_info_size);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_zstd, head_size) == 32,
		  zstd_head_size);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_zstd, level) == 48, zstd_level);
EMBMAP_FMT_ASSERT(sizeof(struct embmap_format_zframe) == EMBMAP_ZFRAME_SIZE,
		  zframe_size);
EMBMAP_FMT_ASSERT(offsetof(struct embmap_format_zframe, checksum) == 16,
		  zframe_checksum);

#endif /* EMBMAP_FORMAT_H */
