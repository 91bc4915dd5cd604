/*
 * embmap.h - map token-embedding tables and look rows and tokens up.
 *
 * An embmap file holds a V x C matrix (V rows of C elements), the vocabulary
 * that names its rows, an on-disk token index and XXH3 checksums; SPEC.md
 * describes every byte. This library maps such a file read-only and serves
 * lookups straight from the mapping, and writes new files.
 *
 * Conventions
 *   - Every function that can fail returns 0 (or a count) on success and a
 *     negative EMBMAP_E* code on failure. embmap_strerror() names a code;
 *     embmap_errmsg() gives the precise detail of the calling thread's last
 *     failure (which field, which value, which limit).
 *   - The handle comes first, outputs last.
 *   - The library never prints, never exits and never raises a signal on a
 *     bad file. It does not install signal handlers: a file truncated by
 *     another process while mapped raises SIGBUS on access, as with any
 *     mapping; open with EMBMAP_PRIVATE to be safe from that.
 *
 * Threads
 *   An embmap handle is immutable once embmap_open() returns: any number of
 *   threads may call the lookup and verify functions on one handle at once
 *   without locks. embmap_close() must not race with any other call on the
 *   same handle. A writer belongs to one thread at a time. The error detail
 *   is kept per thread.
 *
 * Byte order
 *   Files are little-endian. Not yet: big-endian hosts; the library refuses
 *   to build on them rather than misread a file.
 */
#ifndef EMBMAP_H
#define EMBMAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMBMAP_VERSION_MAJOR 0
#define EMBMAP_VERSION_MINOR 1
#define EMBMAP_VERSION_PATCH 0
#define EMBMAP_VERSION_STRING "0.1.0"

/* The library version as a string, for checking the runtime library. */
const char *embmap_version(void);

/*
 * Error codes. Values are stable and only ever appended to.
 */
enum {
	EMBMAP_OK = 0,
	EMBMAP_EIO = -1,    /* a system call failed; errmsg has errno's text */
	EMBMAP_ENOMEM = -2, /* an allocation failed */
	EMBMAP_EINVAL = -3, /* the caller passed an invalid argument */
	EMBMAP_EMAGIC = -4, /* not an embmap file (magic or byte order) */
	EMBMAP_EVERSION = -5, /* a major version or required feature unknown */
	EMBMAP_ETRUNCATED = -6,	 /* the file is shorter than its header says */
	EMBMAP_ECORRUPT = -7,	 /* a field is out of bounds or inconsistent */
	EMBMAP_ECHECKSUM = -8,	 /* a checksum does not match the bytes */
	EMBMAP_ERANGE = -9,	 /* a row or token id is out of range */
	EMBMAP_EDUPLICATE = -10, /* a token was added twice to a writer */
	EMBMAP_EDTYPE = -11, /* a dtype is unknown or a value does not fit */
	EMBMAP_ESTATE = -12  /* a writer call out of order */
};

/*
 * A short fixed description of an error code ("checksum mismatch"). Never
 * NULL; unknown codes give "unknown error". The string is static.
 */
const char *embmap_strerror(int code);

/*
 * The detail of the calling thread's most recent failure, such as
 * "section 3 (token-index): length 4096 is not 16 x count 512". Valid until
 * the next embmap call on this thread. Empty when nothing has failed yet.
 */
const char *embmap_errmsg(void);

/* Stored element types (the same codes as the file's dtype field). */
enum {
	EMBMAP_DTYPE_F32 = 1,  /* IEEE 754 binary32 */
	EMBMAP_DTYPE_F16 = 2,  /* IEEE 754 binary16 */
	EMBMAP_DTYPE_BF16 = 3, /* bfloat16: the top half of a binary32 */
	EMBMAP_DTYPE_I8 = 4    /* int8 times a float32 scale per row */
};

/* "f32", "f16", "bf16", "i8"; NULL for an unknown code. */
const char *embmap_dtype_name(int dtype);

/* Bytes per element of a dtype; 0 for an unknown code. */
size_t embmap_dtype_size(int dtype);

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct embmap embmap;

/* Flags for embmap_open(). */
#define EMBMAP_VERIFY 0x1u   /* hash every section before returning */
#define EMBMAP_POPULATE 0x2u /* prefault the whole mapping */
#define EMBMAP_HUGEPAGE 0x4u /* advise transparent huge pages */
#define EMBMAP_MLOCK 0x8u    /* lock the mapping in memory */
#define EMBMAP_PRIVATE 0x10u /* read the file into private memory */

/*
 * Map the file at path read-only and check its structure: magic, byte order,
 * version and required features, header and directory checksums, every
 * section's offset, length and count against the file size and each other,
 * the canonical order and padding positions, and the exact file length.
 *
 * Cost: O(1) in the table's size. Open allocates one small fixed-size handle
 * and touches only the header, the directory and a few words of the token
 * offsets, unless a flag asks for more:
 *   EMBMAP_VERIFY    also run embmap_verify() (reads the whole file) and
 *                    fail with EMBMAP_ECHECKSUM on any damage;
 *   EMBMAP_POPULATE  prefault every page (MAP_POPULATE);
 *   EMBMAP_HUGEPAGE  madvise(MADV_HUGEPAGE) the mapping; files packed with
 *                    --align 2097152 put the matrix on a huge-page boundary;
 *   EMBMAP_MLOCK     mlock() the mapping; fails with EMBMAP_EIO when the
 *                    RLIMIT_MEMLOCK is too small;
 *   EMBMAP_PRIVATE   read the whole file into anonymous memory instead of
 *                    mapping it, so that a later truncation or rewrite of the
 *                    file by another process cannot affect the handle. O(file
 *                    size) time and memory.
 *
 * A file in the zstd transport form (see "The zstd transport form" below)
 * is instead decompressed into anonymous memory on two threads, each
 * frame's length and checksum checked, and the plain bytes then checked as
 * above: O(plain size) time and memory, and embmap_is_mapped() is 0.
 *
 * On success *out owns the mapping until embmap_close(). On failure *out is
 * NULL and embmap_errmsg() says what was wrong.
 */
int embmap_open(const char *path, unsigned flags, embmap **out);

/*
 * Like embmap_open(), over bytes already in memory. The caller keeps buf
 * alive and unchanged until embmap_close(); rows are returned as pointers
 * into it, so for aligned rows buf should be page-aligned; any address
 * works, the library never reads it through aligned loads. The flags
 * EMBMAP_POPULATE, EMBMAP_HUGEPAGE and EMBMAP_PRIVATE are ignored. Bytes
 * in the zstd transport form are decompressed into the handle's own memory
 * as embmap_open() does; buf may then be freed once this returns.
 */
int embmap_open_buffer(const void *buf, size_t size, unsigned flags,
		       embmap **out);

/* Unmap and free. NULL is accepted. Every pointer obtained from t dies. */
void embmap_close(embmap *t);

/* The shape and layout, all O(1). */
uint64_t embmap_rows(const embmap *t);	     /* V */
uint32_t embmap_dim(const embmap *t);	     /* C */
int embmap_dtype(const embmap *t);	     /* EMBMAP_DTYPE_* */
size_t embmap_stride(const embmap *t);	     /* bytes between rows */
uint64_t embmap_tokens(const embmap *t);     /* tokens, 0..rows */
uint32_t embmap_alignment(const embmap *t);  /* matrix alignment in bytes */
uint32_t embmap_block_rows(const embmap *t); /* rows per checksum block */
uint64_t embmap_file_size(const embmap *t);

/* The format version of the file (major 1). */
void embmap_format_version(const embmap *t, unsigned *major, unsigned *minor);

/*
 * The table's 128-bit content hash: a digest of the matrix, the per-row
 * scales, the vocabulary and the shape, independent of alignment and
 * metadata. Two files with the same hash hold the same table. Stored in
 * canonical (big-endian) byte order, the order embmap info prints.
 */
void embmap_content_hash(const embmap *t, uint8_t out[16]);

/*
 * A pointer to row id in the stored dtype, straight into the mapping: no
 * copy, no check of the bytes. NULL when id >= embmap_rows(). The pointer is
 * read-only and valid until embmap_close(t). O(1).
 */
const void *embmap_row(const embmap *t, uint64_t id);

/*
 * The per-row scale of an i8 table (value = scale * q); 1.0 for other
 * dtypes and NaN when id is out of range. O(1).
 */
float embmap_row_scale(const embmap *t, uint64_t id);

/*
 * Copy row id into out[0..dim-1] as float32, converting from the stored
 * dtype: exact for f16 and bf16, scale * q for i8. EMBMAP_ERANGE when id is
 * out of range (out untouched). O(C).
 */
int embmap_row_f32(const embmap *t, uint64_t id, float *out);

/*
 * Copy n rows, ids[0..n-1], into out[n * dim] as float32, row after row.
 * Every id is checked before anything is written: on EMBMAP_ERANGE out is
 * untouched and errmsg names the first bad position. O(n * C).
 */
int embmap_gather_f32(const embmap *t, const uint32_t *ids, size_t n,
		      float *out);

/*
 * The id of the token whose bytes are token[0..len-1], through the on-disk
 * index; -1 when absent or when the table has no vocabulary. Expected O(len)
 * (one hash and, almost always, one or two slots). Memory-safe on any file,
 * even one whose index is damaged and was never verified: every id and
 * offset read from the file is checked, and the probe is bounded.
 */
int64_t embmap_find(const embmap *t, const char *token, size_t len);

/*
 * Token id's bytes, with *len set to their count (when len is not NULL).
 * The bytes are followed by a NUL, so the pointer is a C string for tokens
 * without embedded NULs. NULL when id >= embmap_tokens() or when the file's
 * token offsets are inconsistent there. Valid until embmap_close(t). O(1).
 */
const char *embmap_token(const embmap *t, uint64_t id, size_t *len);

/*
 * The metadata value for key, as a NUL-terminated string valid until
 * embmap_close(t); NULL when absent. O(size of the metadata section).
 */
const char *embmap_meta(const embmap *t, const char *key);

/*
 * Iterate over metadata in key order. Set *cursor to 0 first; each call
 * returns 1 and sets *key and *value, 0 at the end, or EMBMAP_ECORRUPT when
 * the section is malformed (only possible on a file not verified).
 */
int embmap_meta_next(const embmap *t, size_t *cursor, const char **key,
		     const char **value);

/* A section as the directory describes it. */
struct embmap_section_info {
	uint32_t kind; /* EMBMAP_SECTION_* */
	uint32_t flags;
	uint64_t offset;
	uint64_t length;
	uint64_t checksum;
	uint64_t count;
};

/* Section kinds, as in the file. */
enum {
	EMBMAP_SECTION_MATRIX = 1,
	EMBMAP_SECTION_BLOCK_SUMS = 2,
	EMBMAP_SECTION_SCALES = 3,
	EMBMAP_SECTION_NORMS = 4,
	EMBMAP_SECTION_META = 5,
	EMBMAP_SECTION_TOKEN_OFFSETS = 6,
	EMBMAP_SECTION_TOKEN_BYTES = 7,
	EMBMAP_SECTION_TOKEN_INDEX = 8
};

/* The name of a section kind ("matrix", "token-index"); "unknown" else. */
const char *embmap_section_name(uint32_t kind);

/* The number of sections, and section i (0-based, in file order). */
uint32_t embmap_section_count(const embmap *t);
int embmap_section_at(const embmap *t, uint32_t i,
		      struct embmap_section_info *out);

/*
 * One damaged thing found by embmap_verify(): a whole section (kind
 * EMBMAP_SECTION_*, row_count 0); a run of matrix rows whose block
 * checksums failed (kind EMBMAP_SECTION_MATRIX, row_count > 0; adjacent
 * damaged blocks make one run); padding that is not zero
 * (EMBMAP_DAMAGE_PADDING); or a content hash that does not match although
 * nothing else was found damaged (EMBMAP_DAMAGE_CONTENT).
 *
 * code is EMBMAP_ECHECKSUM when bytes differ from their checksum, or
 * EMBMAP_ECORRUPT when the checksums hold but what they cover breaks a rule
 * of the format (a faulty writer, or a forgery). detail says precisely what,
 * as embmap_errmsg() would; it is valid only during the call.
 */
#define EMBMAP_DAMAGE_PADDING 0u
#define EMBMAP_DAMAGE_CONTENT 0xffffffffu

struct embmap_damage {
	uint32_t kind;
	int code;
	uint64_t first_row;
	uint64_t row_count;
	const char *detail;
};

typedef void (*embmap_damage_fn)(void *ctx, const struct embmap_damage *d);

/*
 * Hash every section and every matrix block and compare with the stored
 * checksums; check that padding is zero and the content hash matches.
 * Reports each damage to fn (which may be NULL) and returns 0 when the file
 * is intact, EMBMAP_ECHECKSUM when anything was damaged (errmsg describes the
 * first), or EMBMAP_ECORRUPT for a structural fault found on the way. Reads
 * the whole file once: O(file size). Thread-safe on a shared handle.
 */
int embmap_verify(const embmap *t, embmap_damage_fn fn, void *ctx);

/*
 * Verify only the matrix blocks that cover rows first..first+count-1, and
 * the block checksum table itself. O(count * C). EMBMAP_ERANGE when the range
 * leaves the table, EMBMAP_ECHECKSUM when a block is damaged (errmsg names
 * its rows).
 */
int embmap_verify_rows(const embmap *t, uint64_t first, uint64_t count);

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct embmap_writer embmap_writer;

/* Flags for struct embmap_writer_options. */
#define EMBMAP_WRITE_SHADOW_DUPLICATES 0x1u /* keep the first, count others */
#define EMBMAP_WRITE_NO_SYNC 0x2u /* skip fsync (tests, scratch files) */

struct embmap_writer_options {
	uint32_t alignment;  /* matrix alignment; 0 for 4096 */
	uint32_t block_rows; /* rows per checksum block; 0 to choose */
	unsigned flags;	     /* EMBMAP_WRITE_* */
};

/*
 * Start a file at path for rows of dim elements of dtype. The rows go to a
 * temporary file in the same directory; embmap_writer_finish() renames it
 * into place, so path is never seen half-written. opts may be NULL.
 *
 * Memory: the writer keeps the vocabulary, its index, the metadata, one
 * checksum per block and (for i8) one scale per row; never the matrix.
 * On success *out owns the temporary file until finish or abort.
 */
int embmap_writer_open(const char *path, uint32_t dim, int dtype,
		       const struct embmap_writer_options *opts,
		       embmap_writer **out);

/*
 * Append n rows, each dim elements of the writer's dtype in little-endian
 * order, from data (n * dim * element size bytes). For i8 use
 * embmap_writer_add_rows_i8(). O(n * C).
 */
int embmap_writer_add_rows(embmap_writer *w, const void *data, uint64_t n);

/* Append n i8 rows with their n float32 scales (finite, >= 0). */
int embmap_writer_add_rows_i8(embmap_writer *w, const int8_t *q,
			      const float *scales, uint64_t n);

/* Flags for embmap_writer_add_rows_f32(). */
#define EMBMAP_CONVERT_SATURATE 0x1u /* clamp values that do not fit */

/*
 * Append n rows of dim float32 values, converted to the writer's dtype:
 * copied for f32; rounded to nearest, ties to even, for f16 and bf16; for
 * i8 each row gets scale = max|x| / 127 and q = round(x / scale) (SPEC.md
 * gives the exact rules). A value that does not fit - a finite value that
 * would round to infinity in f16 or bf16, a NaN or an infinity in an i8
 * row - fails with EMBMAP_EDTYPE naming its row, column and value, and no
 * row of the call is written. With EMBMAP_CONVERT_SATURATE such values are
 * clamped to the largest finite value of the dtype instead (NaN becomes 0
 * in i8). O(n * C).
 */
int embmap_writer_add_rows_f32(embmap_writer *w, const float *rows, uint64_t n,
			       unsigned flags);

/*
 * Add the next token: the k-th call names row k. Any bytes are allowed,
 * embedded NULs included. A token equal to an earlier one fails with
 * EMBMAP_EDUPLICATE naming both ids, unless the writer was opened with
 * EMBMAP_WRITE_SHADOW_DUPLICATES: then the token is stored, stays reachable
 * by id, and find() returns the first id. Expected O(len).
 */
int embmap_writer_add_token(embmap_writer *w, const char *token, size_t len);

/* The number of tokens shadowed by an earlier equal token so far. */
uint64_t embmap_writer_shadowed(const embmap_writer *w);

/* The number of rows and tokens added so far. */
uint64_t embmap_writer_rows(const embmap_writer *w);
uint64_t embmap_writer_tokens(const embmap_writer *w);

/*
 * Set metadata key to value, replacing an earlier value. key is 1..255
 * bytes, value 0..65535 bytes, neither containing NUL.
 */
int embmap_writer_set_meta(embmap_writer *w, const char *key,
			   const char *value);

/*
 * Write the trailing sections, checksums and header, fsync, and rename the
 * temporary file to the path given at open, then fsync the directory.
 * Fails (removing the temporary file) when no row was added or there are
 * more tokens than rows. Frees w whatever the result.
 */
int embmap_writer_finish(embmap_writer *w);

/* Remove the temporary file and free w. NULL is accepted. */
void embmap_writer_abort(embmap_writer *w);

/* ------------------------------------------------------------------------ */
/* The zstd transport form                                                  */
/* ------------------------------------------------------------------------ */

/*
 * A table for shipping and archiving: every section of the plain file
 * stored as independent zstd frames (the matrix a fixed number of rows per
 * frame), each with the XXH3-64 of the bytes it stands for, after the plain
 * file's own header and directory. It keeps random access and locates
 * damage to a frame; unpacking gives back the plain file byte for byte.
 * embmap_open() reads it too, by decompressing it into memory (not
 * zero-copy: see embmap_is_mapped()). SPEC.md describes the bytes.
 */

/*
 * 1 when t's rows point into the bytes embmap_open() mapped or the buffer
 * given to embmap_open_buffer() (zero-copy), 0 when the library holds its
 * own copy: EMBMAP_PRIVATE, or a file in the transport form. O(1).
 */
int embmap_is_mapped(const embmap *t);

/*
 * The size of the transport file t was decompressed from, 0 when t was
 * opened from a plain file. embmap_file_size() gives the plain size. O(1).
 */
uint64_t embmap_compressed_size(const embmap *t);

/*
 * Called now and then with the plain bytes done so far out of total, from
 * the thread that called the converting function.
 */
typedef void (*embmap_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* The zstd level embmap_compress() uses when asked for level 0. */
#define EMBMAP_ZSTD_LEVEL_DEFAULT 1

/* Flags for struct embmap_zstd_options (EMBMAP_WRITE_NO_SYNC also works). */
#define EMBMAP_ZSTD_NO_SHUFFLE 0x100u /* store bytes unfiltered */

/* Filters, as recorded in a transport file. */
enum { EMBMAP_ZSTD_FILTER_NONE = 0, EMBMAP_ZSTD_FILTER_SHUFFLE = 1 };

struct embmap_zstd_options {
	int level;	     /* zstd level 1..19; 0 for the default */
	uint32_t frame_rows; /* matrix rows per frame; 0 to choose */
	unsigned flags;	     /* EMBMAP_ZSTD_NO_SHUFFLE, EMBMAP_WRITE_NO_SYNC */
	unsigned threads;    /* worker threads, 1..64; 0 for 2 */
	embmap_progress_fn progress; /* may be NULL */
	void *progress_ctx;
};

/*
 * Write the plain table at plain_path in the transport form to out_path.
 * The input is opened and fully verified first (a damaged table is refused
 * with EMBMAP_ECHECKSUM, so a transport file never packages damage); frames
 * are compressed by opts->threads threads and written in order to a
 * temporary file beside out_path that is fsync'd and renamed into place,
 * as embmap_writer_finish() does. By default the matrix frames hold the
 * largest power of two of rows within 1 MiB and bytes are shuffled by
 * element size before zstd (EMBMAP_ZSTD_NO_SHUFFLE turns that off). opts
 * may be NULL. out_path may equal plain_path.
 *
 * Memory: a few frames per thread, never the table (the input is mapped).
 * Time: O(plain size), the input read twice (verify, then compress).
 * Errors: EMBMAP_EINVAL for bad options or an input already in the
 * transport form, the input's open and verify errors, EMBMAP_EIO.
 */
int embmap_compress(const char *plain_path, const char *out_path,
		    const struct embmap_zstd_options *opts);

/*
 * Write the plain file that the transport file at in_path was made from to
 * out_path, byte-identical to it, with bounded memory (a few frames per
 * thread): each frame's length and checksum are checked as it is
 * decompressed, the result's structure is checked before it is renamed into
 * place (temporary file, fsync, rename). Of opts only threads, flags
 * (EMBMAP_WRITE_NO_SYNC) and progress count; it may be NULL. Errors: those
 * of embmap_zstd_probe(), EMBMAP_ECHECKSUM naming the first damaged frame,
 * EMBMAP_ECORRUPT for a frame that decodes to the wrong length or is not a
 * single zstd frame, EMBMAP_EIO. O(plain size).
 */
int embmap_unpack(const char *in_path, const char *out_path,
		  const struct embmap_zstd_options *opts);

/* What a transport file's header says. */
struct embmap_zstd_info {
	uint64_t plain_size;	  /* bytes of the plain file it unpacks to */
	uint64_t compressed_size; /* bytes of the transport file */
	uint64_t frame_count;
	uint32_t frame_rows;	 /* matrix rows per frame */
	uint32_t aux_frame_size; /* plain bytes per frame of other sections */
	int filter;		 /* EMBMAP_ZSTD_FILTER_* */
	int level;		 /* as recorded by the writer */
};

/*
 * 1 when path is in the transport form, with *out filled (out may be
 * NULL), after checking its header, the plain head inside it and the frame
 * table with its checksum (O(frames), no frame decompressed); 0 when path
 * is not in the transport form (a plain file or another file: nothing else
 * is checked); a negative code when it is but is damaged or cannot be read.
 */
int embmap_zstd_probe(const char *path, struct embmap_zstd_info *out);

/*
 * One damaged frame, as embmap_zstd_verify() reports it. frame is
 * UINT64_MAX for damage no single frame shows: a section whose decoded
 * bytes miss its plain checksum (kind set), or the content hash (kind 0).
 */
struct embmap_zstd_damage {
	uint64_t frame;	       /* index in the frame table */
	uint32_t kind;	       /* EMBMAP_SECTION_* the frame belongs to */
	uint64_t first_row;    /* matrix frames: the rows it holds; */
	uint64_t row_count;    /* 0 and 0 for other sections */
	uint64_t plain_offset; /* the plain-file bytes it stands for */
	uint64_t plain_length;
	int code;	    /* EMBMAP_ECHECKSUM or EMBMAP_ECORRUPT */
	const char *detail; /* what is wrong; valid during the call */
};

typedef void (*embmap_zstd_damage_fn)(void *ctx,
				      const struct embmap_zstd_damage *d);

/*
 * Check a transport file frame by frame without writing anything and
 * without holding more than a few frames per thread: the header, the plain
 * head and the frame table (their checksums), then each frame's zstd
 * structure, decoded length and checksum, then, over the frames in order,
 * each plain section's checksum and the 128-bit content hash. Each damaged
 * frame is reported to fn (may be NULL) from the calling thread, in frame
 * order. Returns 0 when intact, EMBMAP_ECHECKSUM or EMBMAP_ECORRUPT when
 * damaged (errmsg describes the first damage), other codes as
 * embmap_zstd_probe(). Of opts only threads and progress count; it may be
 * NULL. O(plain size) time.
 */
int embmap_zstd_verify(const char *path, embmap_zstd_damage_fn fn, void *ctx,
		       const struct embmap_zstd_options *opts);

/*
 * Copy rows first..first+count-1 of the transport file at path, in the
 * stored dtype (count x embmap_stride() bytes), into out, decompressing
 * only the frames that hold them and checking each one's checksum. out_size
 * is the room in out. EMBMAP_ERANGE when the rows leave the table,
 * EMBMAP_EINVAL when out is too small, others as embmap_unpack(). Opens and
 * checks the file's frame table on each call: O(frames + rows asked).
 */
int embmap_zstd_read_rows(const char *path, uint64_t first, uint64_t count,
			  void *out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif /* EMBMAP_H */
