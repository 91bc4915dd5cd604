/*
 * tables.h - what the unit tests share: building small tables with known
 * contents, scratch directories, whole-file I/O, and re-sealing forged
 * bytes so that a test reaches the check it means to reach.
 *
 * The values and tokens are functions of (spec, row, column) and (id), so
 * a test can say what any row or token must be without storing it.
 */
#ifndef EMBMAP_TEST_TABLES_H
#define EMBMAP_TEST_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "embmap.h"

struct tt_spec {
	uint64_t rows;
	uint32_t dim;
	int dtype;		 /* 0 means f32 */
	uint32_t alignment;	 /* 0: the writer's default */
	uint32_t block_rows;	 /* 0: the writer's choice */
	unsigned flags;		 /* EMBMAP_WRITE_*; NO_SYNC is always added */
	uint64_t tokens;	 /* generated tokens, tt_token(0..tokens-1) */
	const char *const *meta; /* nmeta key/value pairs */
	size_t nmeta;
	uint32_t seed; /* varies the values between otherwise equal specs */
};

/*
 * The value at (row, col): a multiple of 1/8 in -6..6, exact in every
 * float dtype (f32, f16, bf16), different in most neighbouring cells.
 */
float tt_value(const struct tt_spec *s, uint64_t row, uint32_t col);

/*
 * Generated token id: its decimal digits, then 0..10 letters, so lengths
 * vary and no two ids share a token. Writes at most 32 bytes (no NUL) and
 * returns the length.
 */
size_t tt_token(uint64_t id, char *buf);

/* Assert that a library call succeeds; on failure print its errmsg. */
#define TT_OK(call)                                                            \
	do {                                                                   \
		int tt_rc_ = (call);                                           \
		if (tt_rc_ != 0)                                               \
			fail_msg("%s: %d (%s)", #call, tt_rc_,                 \
				 embmap_errmsg());                             \
	} while (0)

/* Write the table of s to path; returns the library's code. */
int tt_build(const char *path, const struct tt_spec *s);

/* A fresh directory under $TMPDIR (or /tmp); aborts the test on failure. */
char *tt_tempdir(void);

/* dir/name in a new allocation. */
char *tt_join(const char *dir, const char *name);

/* Remove every file in dir, then dir. */
void tt_remove_dir(const char *dir);

/* Empty dir of its files, keeping dir. */
void tt_clear_dir(const char *dir);

/* The number of entries in dir other than . and .. */
size_t tt_dir_entries(const char *dir);

/* The whole file in a new allocation of exactly its size (at least 1). */
uint8_t *tt_slurp(const char *path, size_t *size);

/* 1 when the two files hold the same bytes. */
int tt_same_file(const char *a, const char *b);

/* Create or replace path with n bytes. */
void tt_spit(const char *path, const void *p, size_t n);

/* Little-endian field access at a byte offset of a file image. */
uint64_t tt_get64(const uint8_t *p, size_t off);
uint32_t tt_get32(const uint8_t *p, size_t off);
void tt_put64(uint8_t *p, size_t off, uint64_t v);
void tt_put32(uint8_t *p, size_t off, uint32_t v);

/* Byte offset of directory entry i, and of a field inside the entry. */
size_t tt_entry(uint32_t i);
#define TT_SEC_KIND 0
#define TT_SEC_FLAGS 4
#define TT_SEC_OFFSET 8
#define TT_SEC_LENGTH 16
#define TT_SEC_CHECKSUM 24
#define TT_SEC_COUNT 32
#define TT_SEC_RESERVED 40

/* The index of the first directory entry of kind, or -1. */
int tt_find_section(const uint8_t *buf, uint32_t kind);

/*
 * Recompute what a forger would: section i's checksum over its stored
 * bytes (tt_reseal_section), then the directory checksum and the header
 * checksum (tt_reseal). The header's section_count decides the directory
 * length, capped at the most that fits in the first page.
 */
void tt_reseal_section(uint8_t *buf, uint32_t i);
void tt_reseal(uint8_t *buf);

/* Open a copy of image (exact-size heap buffer, so overreads are caught). */
int tt_open_copy(const uint8_t *image, size_t size, unsigned flags,
		 embmap **out, uint8_t **copy);

#endif /* EMBMAP_TEST_TABLES_H */
