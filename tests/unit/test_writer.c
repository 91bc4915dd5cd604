/*
 * test_writer.c - embmap_writer_* (src/writer.c): arguments, limits and
 * states, publishing by rename, layout, checksum blocks, the canonical
 * token index, determinism and the content hash.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmocka.h>

#include "embmap.h"
#include "embmap_format.h"
#include "tables.h"

static char *tmp;

static const struct embmap_writer_options nosync = {
	.flags = EMBMAP_WRITE_NO_SYNC};

static int setup(void **state)
{
	(void)state;
	tmp = tt_tempdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_remove_dir(tmp);
	free(tmp);
	return 0;
}

/* Each test starts from an empty scratch directory. */
static int clear(void **state)
{
	(void)state;
	tt_clear_dir(tmp);
	return 0;
}

static char *path_of(const char *name)
{
	return tt_join(tmp, name);
}

static void hash_of(const char *path, uint8_t out[16])
{
	embmap *t;

	TT_OK(embmap_open(path, EMBMAP_VERIFY, &t));
	embmap_content_hash(t, out);
	embmap_close(t);
}

static void expect_open_fails(const char *path, uint32_t dim, int dtype,
			      const struct embmap_writer_options *o, int code,
			      const char *words)
{
	embmap_writer *w = (embmap_writer *)(uintptr_t)1;

	assert_int_equal(embmap_writer_open(path, dim, dtype, o, &w), code);
	assert_null(w);
	assert_non_null(strstr(embmap_errmsg(), words));
	assert_int_equal(tt_dir_entries(tmp), 0);
}

static void test_writer_open_null_arguments(void **state)
{
	char *p = path_of("t.embmap");
	embmap_writer *w;

	(void)state;
	assert_int_equal(embmap_writer_open(NULL, 4, 1, NULL, &w),
			 EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_open("", 4, 1, NULL, &w), EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_open(p, 4, 1, NULL, NULL),
			 EMBMAP_EINVAL);
	assert_int_equal(tt_dir_entries(tmp), 0);
	/* NULL options are the defaults. */
	TT_OK(embmap_writer_open(p, 4, 1, NULL, &w));
	embmap_writer_abort(w);
	assert_int_equal(embmap_writer_finish(NULL), EMBMAP_EINVAL);
	embmap_writer_abort(NULL);
	free(p);
}

static void test_writer_open_bad_dim_and_dtype(void **state)
{
	char *p = path_of("t.embmap");

	(void)state;
	expect_open_fails(p, 0, EMBMAP_DTYPE_F32, NULL, EMBMAP_EINVAL, "dim 0");
	expect_open_fails(p, EMBMAP_MAX_DIM + 1, EMBMAP_DTYPE_F32, NULL,
			  EMBMAP_EINVAL, "dim 16777217");
	expect_open_fails(p, 4, 0, NULL, EMBMAP_EDTYPE, "dtype 0");
	expect_open_fails(p, 4, 5, NULL, EMBMAP_EDTYPE, "dtype 5");
	expect_open_fails(p, 4, -1, NULL, EMBMAP_EDTYPE, "dtype -1");
	free(p);
}

static void test_writer_open_bad_alignment(void **state)
{
	static const uint32_t bad[] = {1,    3,	   64,	  2048,	    4095,
				       4097, 6144, 12288, 4u << 20, 1u << 31};
	static const uint32_t ok[] = {4096, 8192, 65536, 2u << 20};
	char *p = path_of("t.embmap");
	embmap_writer *w;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct embmap_writer_options o = {.alignment = bad[i]};
		char words[32];

		snprintf(words, sizeof words, "alignment %u", bad[i]);
		expect_open_fails(p, 4, 1, &o, EMBMAP_EINVAL, words);
	}
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct embmap_writer_options o = {.alignment = ok[i]};

		TT_OK(embmap_writer_open(p, 4, 1, &o, &w));
		embmap_writer_abort(w);
	}
	assert_int_equal(tt_dir_entries(tmp), 0);
	free(p);
}

static void test_writer_open_bad_options(void **state)
{
	struct embmap_writer_options big = {.block_rows =
						    EMBMAP_MAX_BLOCK_ROWS + 1};
	struct embmap_writer_options flags = {.flags = 0x100};
	char *p = path_of("t.embmap");
	char *nodir = path_of("missing/t.embmap");
	embmap_writer *w;

	(void)state;
	expect_open_fails(p, 4, 1, &big, EMBMAP_EINVAL, "block_rows");
	expect_open_fails(p, 4, 1, &flags, EMBMAP_EINVAL, "flags 0x100");
	assert_int_equal(embmap_writer_open(nodir, 4, 1, NULL, &w), EMBMAP_EIO);
	assert_non_null(strstr(embmap_errmsg(), "missing"));
	assert_int_equal(tt_dir_entries(tmp), 0);
	free(p);
	free(nodir);
}

static void test_writer_finish_without_rows(void **state)
{
	char *p = path_of("t.embmap");
	embmap_writer *w;

	(void)state;
	TT_OK(embmap_writer_open(p, 4, 1, &nosync, &w));
	assert_int_equal(embmap_writer_finish(w), EMBMAP_ESTATE);
	assert_non_null(strstr(embmap_errmsg(), "no rows"));
	assert_int_equal(tt_dir_entries(tmp), 0);

	/* Tokens and metadata without rows are no table either. */
	TT_OK(embmap_writer_open(p, 4, 1, &nosync, &w));
	TT_OK(embmap_writer_add_token(w, "a", 1));
	TT_OK(embmap_writer_set_meta(w, "k", "v"));
	assert_int_equal(embmap_writer_finish(w), EMBMAP_ESTATE);
	assert_int_equal(tt_dir_entries(tmp), 0);
	free(p);
}

static void test_writer_more_tokens_than_rows(void **state)
{
	char *p = path_of("t.embmap");
	float rows[2 * 3] = {0};
	embmap_writer *w;

	(void)state;
	TT_OK(embmap_writer_open(p, 3, 1, &nosync, &w));
	TT_OK(embmap_writer_add_rows(w, rows, 2));
	TT_OK(embmap_writer_add_token(w, "a", 1));
	TT_OK(embmap_writer_add_token(w, "b", 1));
	TT_OK(embmap_writer_add_token(w, "c", 1));
	assert_int_equal(embmap_writer_rows(w), 2);
	assert_int_equal(embmap_writer_tokens(w), 3);
	assert_int_equal(embmap_writer_finish(w), EMBMAP_ESTATE);
	assert_non_null(strstr(embmap_errmsg(), "3 tokens for 2 rows"));
	assert_int_equal(tt_dir_entries(tmp), 0);
	free(p);
}

static void test_writer_duplicate_token(void **state)
{
	char *p = path_of("t.embmap");
	float rows[4] = {1, 2, 3, 4};
	embmap_writer *w;
	embmap *t;
	size_t len;

	(void)state;
	TT_OK(embmap_writer_open(p, 1, 1, &nosync, &w));
	TT_OK(embmap_writer_add_rows(w, rows, 4));
	TT_OK(embmap_writer_add_token(w, "x", 1));
	TT_OK(embmap_writer_add_token(w, "y", 1));
	assert_int_equal(embmap_writer_add_token(w, "x", 1), EMBMAP_EDUPLICATE);
	assert_non_null(strstr(embmap_errmsg(), "token 2 \"x\""));
	assert_non_null(strstr(embmap_errmsg(), "duplicates token 0"));
	assert_int_equal(embmap_writer_tokens(w), 2);
	assert_int_equal(embmap_writer_shadowed(w), 0);

	/* Raw bytes are shown escaped. */
	TT_OK(embmap_writer_add_token(w, "a\0\xff", 3));
	assert_int_equal(embmap_writer_add_token(w, "a\0\xff", 3),
			 EMBMAP_EDUPLICATE);
	assert_non_null(strstr(embmap_errmsg(), "token 3 \"a\\x00\\xff\""));
	assert_non_null(strstr(embmap_errmsg(), "duplicates token 2"));

	/* The refused token left nothing behind: the next one is id 3. */
	TT_OK(embmap_writer_add_token(w, "z", 1));
	TT_OK(embmap_writer_finish(w));
	TT_OK(embmap_open(p, EMBMAP_VERIFY, &t));
	assert_int_equal(embmap_tokens(t), 4);
	assert_memory_equal(embmap_token(t, 2, &len), "a\0\xff", 3);
	assert_int_equal(len, 3);
	assert_string_equal(embmap_token(t, 3, NULL), "z");
	assert_int_equal(embmap_find(t, "x", 1), 0);
	assert_int_equal(embmap_find(t, "z", 1), 3);
	embmap_close(t);
	free(p);
}

static void test_writer_shadow_duplicates(void **state)
{
	struct embmap_writer_options o = {
		.flags = EMBMAP_WRITE_SHADOW_DUPLICATES | EMBMAP_WRITE_NO_SYNC};
	const char *toks[] = {"x", "y", "x", "y", "x", "w"};
	char *p = path_of("t.embmap");
	float rows[6] = {0};
	embmap_writer *w;
	embmap *t;
	size_t len;

	(void)state;
	TT_OK(embmap_writer_open(p, 1, 1, &o, &w));
	TT_OK(embmap_writer_add_rows(w, rows, 6));
	for (int i = 0; i < 6; i++)
		TT_OK(embmap_writer_add_token(w, toks[i], 1));
	assert_int_equal(embmap_writer_shadowed(w), 3);
	assert_int_equal(embmap_writer_tokens(w), 6);
	TT_OK(embmap_writer_finish(w));

	TT_OK(embmap_open(p, EMBMAP_VERIFY, &t));
	assert_int_equal(embmap_tokens(t), 6);
	assert_int_equal(embmap_find(t, "x", 1), 0);
	assert_int_equal(embmap_find(t, "y", 1), 1);
	assert_int_equal(embmap_find(t, "w", 1), 5);
	for (uint64_t i = 0; i < 6; i++) {
		assert_string_equal(embmap_token(t, i, &len), toks[i]);
		assert_int_equal(len, 1);
	}
	embmap_close(t);
	free(p);
}

static void test_writer_set_meta(void **state)
{
	char *p = path_of("t.embmap");
	char *key = malloc(EMBMAP_MAX_META_KEY + 2);
	char *value = malloc(EMBMAP_MAX_META_VALUE + 2);
	float row = 1;
	embmap_writer *w;
	embmap *t;
	const char *k, *v;
	size_t cursor = 0;
	int n = 0;

	(void)state;
	assert_non_null(key);
	assert_non_null(value);
	TT_OK(embmap_writer_open(p, 1, 1, &nosync, &w));
	TT_OK(embmap_writer_add_rows(w, &row, 1));
	TT_OK(embmap_writer_set_meta(w, "k", "first"));
	TT_OK(embmap_writer_set_meta(w, "k", "second"));
	TT_OK(embmap_writer_set_meta(w, "empty", ""));

	memset(key, 'K', EMBMAP_MAX_META_KEY + 1);
	key[EMBMAP_MAX_META_KEY + 1] = 0;
	assert_int_equal(embmap_writer_set_meta(w, key, "v"), EMBMAP_EINVAL);
	assert_non_null(strstr(embmap_errmsg(), "256 bytes"));
	key[EMBMAP_MAX_META_KEY] = 0;
	TT_OK(embmap_writer_set_meta(w, key, "longest key"));

	memset(value, 'V', EMBMAP_MAX_META_VALUE + 1);
	value[EMBMAP_MAX_META_VALUE + 1] = 0;
	assert_int_equal(embmap_writer_set_meta(w, "big", value),
			 EMBMAP_EINVAL);
	assert_non_null(strstr(embmap_errmsg(), "65536 bytes"));
	value[EMBMAP_MAX_META_VALUE] = 0;
	TT_OK(embmap_writer_set_meta(w, "big", value));

	assert_int_equal(embmap_writer_set_meta(w, "", "v"), EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_set_meta(w, NULL, "v"), EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_set_meta(w, "k", NULL), EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_set_meta(NULL, "k", "v"), EMBMAP_EINVAL);
	TT_OK(embmap_writer_finish(w));

	TT_OK(embmap_open(p, EMBMAP_VERIFY, &t));
	assert_string_equal(embmap_meta(t, "k"), "second");
	assert_string_equal(embmap_meta(t, "empty"), "");
	assert_string_equal(embmap_meta(t, key), "longest key");
	assert_int_equal(strlen(embmap_meta(t, "big")), EMBMAP_MAX_META_VALUE);
	while (embmap_meta_next(t, &cursor, &k, &v) == 1)
		n++;
	assert_int_equal(n, 4); /* "k" once, refused values absent */
	embmap_close(t);
	free(key);
	free(value);
	free(p);
}

static void test_writer_row_calls_by_dtype(void **state)
{
	char *p = path_of("t.embmap");
	const int8_t q[3] = {1, 2, 3};
	const int8_t bad_q[6] = {1, 2, 3, 4, -128, 6};
	const float scale[2] = {0.5f, 1.0f};
	float row[3] = {1, 2, 3};
	const float bad_scales[] = {-1.0f, NAN, INFINITY, -INFINITY};
	embmap_writer *w;

	(void)state;
	TT_OK(embmap_writer_open(p, 3, EMBMAP_DTYPE_I8, &nosync, &w));
	assert_int_equal(embmap_writer_add_rows(w, row, 1), EMBMAP_ESTATE);
	assert_non_null(strstr(embmap_errmsg(), "add_rows_i8"));
	TT_OK(embmap_writer_add_rows_i8(w, q, scale, 1));
	assert_int_equal(embmap_writer_add_rows_i8(w, bad_q, scale, 2),
			 EMBMAP_EDTYPE);
	assert_non_null(strstr(embmap_errmsg(), "row 2: q = -128"));
	for (size_t i = 0; i < sizeof bad_scales / sizeof *bad_scales; i++) {
		assert_int_equal(
			embmap_writer_add_rows_i8(w, q, &bad_scales[i], 1),
			EMBMAP_EDTYPE);
		assert_non_null(strstr(embmap_errmsg(), "row 1: scale"));
	}
	assert_int_equal(embmap_writer_add_rows_i8(w, NULL, scale, 1),
			 EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_add_rows_i8(w, q, NULL, 1),
			 EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_add_rows_i8(NULL, q, scale, 1),
			 EMBMAP_EINVAL);
	/* Refused calls wrote nothing. */
	assert_int_equal(embmap_writer_rows(w), 1);
	embmap_writer_abort(w);

	TT_OK(embmap_writer_open(p, 3, EMBMAP_DTYPE_F32, &nosync, &w));
	assert_int_equal(embmap_writer_add_rows_i8(w, q, scale, 1),
			 EMBMAP_ESTATE);
	assert_int_equal(embmap_writer_add_rows(w, NULL, 1), EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_add_rows(NULL, row, 1), EMBMAP_EINVAL);
	TT_OK(embmap_writer_add_rows(w, NULL, 0));
	assert_int_equal(embmap_writer_add_token(w, NULL, 2), EMBMAP_EINVAL);
	assert_int_equal(embmap_writer_add_token(NULL, "a", 1), EMBMAP_EINVAL);
	/* NULL with length 0 is the empty token. */
	TT_OK(embmap_writer_add_token(w, NULL, 0));
	assert_int_equal(embmap_writer_rows(w), 0);
	assert_int_equal(embmap_writer_tokens(w), 1);
	embmap_writer_abort(w);
	assert_int_equal(tt_dir_entries(tmp), 0);
	free(p);
}

static void test_writer_abort_leaves_nothing(void **state)
{
	struct tt_spec s = {.rows = 100, .dim = 8, .tokens = 50};
	char *p = path_of("t.embmap");
	float row[8] = {0};
	char tok[32];
	embmap_writer *w;

	(void)state;
	TT_OK(embmap_writer_open(p, 8, 1, &nosync, &w));
	for (uint64_t r = 0; r < s.rows; r++)
		TT_OK(embmap_writer_add_rows(w, row, 1));
	for (uint64_t i = 0; i < s.tokens; i++)
		TT_OK(embmap_writer_add_token(w, tok, tt_token(i, tok)));
	TT_OK(embmap_writer_set_meta(w, "k", "v"));
	embmap_writer_abort(w);
	assert_int_equal(tt_dir_entries(tmp), 0);

	/* Abort before anything was added. */
	TT_OK(embmap_writer_open(p, 8, 1, NULL, &w));
	embmap_writer_abort(w);
	assert_int_equal(tt_dir_entries(tmp), 0);
	free(p);
}

/* Writing over a file replaces it whole; a handle on the old one lives. */
static void test_writer_replaces_existing_file(void **state)
{
	struct tt_spec big = {.rows = 3000, .dim = 16, .tokens = 3000};
	struct tt_spec small = {.rows = 3, .dim = 2, .tokens = 2, .seed = 9};
	char *p = path_of("t.embmap");
	char *junk = malloc(100000);
	struct stat st;
	embmap *old, *t;
	float row[16];

	(void)state;
	assert_non_null(junk);
	memset(junk, 'x', 100000);
	tt_spit(p, junk, 100000);
	TT_OK(tt_build(p, &big));
	assert_int_equal(stat(p, &st), 0);
	TT_OK(embmap_open(p, EMBMAP_VERIFY, &old));
	assert_int_equal(embmap_file_size(old), (uint64_t)st.st_size);

	TT_OK(tt_build(p, &small));
	assert_int_equal(stat(p, &st), 0);
	TT_OK(embmap_open(p, EMBMAP_VERIFY, &t));
	assert_int_equal(embmap_file_size(t), (uint64_t)st.st_size);
	assert_int_equal(embmap_rows(t), 3);
	assert_int_equal(tt_dir_entries(tmp), 1);

	/* The old mapping still holds the old table. */
	assert_int_equal(embmap_rows(old), 3000);
	TT_OK(embmap_row_f32(old, 2999, row));
	assert_true(row[15] == tt_value(&big, 2999, 15));
	TT_OK(embmap_verify(old, NULL, NULL));
	embmap_close(old);
	embmap_close(t);
	free(junk);
	free(p);
}

static void check_alignment(uint32_t align)
{
	struct tt_spec s = {
		.rows = 9, .dim = 3, .tokens = 4, .alignment = align};
	char *p = path_of("t.embmap");
	struct embmap_section_info m, last;
	size_t size;
	uint8_t *img;
	void *buf;
	embmap *t;

	TT_OK(tt_build(p, &s));
	TT_OK(embmap_open(p, EMBMAP_VERIFY, &t));
	assert_int_equal(embmap_alignment(t), align);
	TT_OK(embmap_section_at(t, 0, &m));
	assert_int_equal(m.kind, EMBMAP_SECTION_MATRIX);
	assert_int_equal(m.offset, align);
	assert_int_equal(m.length, 9 * 12);
	TT_OK(embmap_section_at(t, embmap_section_count(t) - 1, &last));
	assert_int_equal(embmap_file_size(t), last.offset + last.length);
	/* The library places the mapping so the matrix is aligned as asked. */
	assert_int_equal((uintptr_t)embmap_row(t, 0) % align, 0);
	embmap_close(t);
	TT_OK(embmap_open(p, EMBMAP_PRIVATE, &t));
	assert_int_equal((uintptr_t)embmap_row(t, 0) % align, 0);
	embmap_close(t);

	/* In a buffer aligned as the file asks, row 0 is that aligned. */
	img = tt_slurp(p, &size);
	for (size_t i = tt_entry(tt_get32(img, 20)); i < align; i++)
		if (img[i] != 0)
			fail_msg("byte %zu before the matrix is 0x%02x", i,
				 img[i]);
	assert_int_equal(posix_memalign(&buf, align, size), 0);
	memcpy(buf, img, size);
	TT_OK(embmap_open_buffer(buf, size, EMBMAP_VERIFY, &t));
	assert_int_equal((uintptr_t)embmap_row(t, 0) % align, 0);
	assert_int_equal((uintptr_t)embmap_row(t, 1) % align, 12);
	embmap_close(t);
	free(buf);
	free(img);
	free(p);
}

static void test_writer_alignments(void **state)
{
	(void)state;
	check_alignment(4096);
	check_alignment(65536);
	check_alignment(2u << 20);
}

/*
 * Row r's hash, XXH3-64 of its bytes; and XXH3-64 of the little-endian
 * row hashes of n rows from first: a block sum, computed independently.
 */
static uint64_t row_hashes_sum(const uint8_t *matrix, uint64_t first,
			       uint64_t n, uint64_t stride)
{
	uint64_t *r = malloc(n * sizeof *r), sum;

	assert_non_null(r);
	for (uint64_t i = 0; i < n; i++)
		r[i] = XXH3_64bits(matrix + (first + i) * stride, stride);
	sum = XXH3_64bits(r, n * sizeof *r);
	free(r);
	return sum;
}

/*
 * Every block sum is XXH3-64 of its rows' hashes; the last block may be
 * short.
 */
static void check_blocks(uint32_t rows, uint32_t dim, uint32_t block_rows,
			 uint32_t expect_block_rows)
{
	struct tt_spec s = {.rows = rows, .dim = dim, .block_rows = block_rows};
	char *p = path_of("t.embmap");
	struct embmap_section_info bs;
	uint64_t nblocks, stride = (uint64_t)dim * 4;
	size_t size;
	uint8_t *img;
	embmap *t;

	TT_OK(tt_build(p, &s));
	TT_OK(embmap_open(p, EMBMAP_VERIFY, &t));
	assert_int_equal(embmap_block_rows(t), expect_block_rows);
	nblocks = (rows + expect_block_rows - 1) / expect_block_rows;
	TT_OK(embmap_section_at(t, 1, &bs));
	assert_int_equal(bs.kind, EMBMAP_SECTION_BLOCK_SUMS);
	assert_int_equal(bs.count, nblocks);
	assert_int_equal(bs.length, 8 * nblocks);
	img = tt_slurp(p, &size);
	for (uint64_t b = 0; b < nblocks; b++) {
		uint64_t first = b * expect_block_rows;
		uint64_t n = rows - first < expect_block_rows
				     ? rows - first
				     : expect_block_rows;

		assert_int_equal(tt_get64(img, bs.offset + 8 * b),
				 row_hashes_sum(img + 4096, first, n, stride));
	}
	for (uint64_t first = 0; first < rows; first += 3)
		TT_OK(embmap_verify_rows(t, first, rows - first));
	embmap_close(t);
	free(img);
	free(p);
}

static void test_writer_block_rows(void **state)
{
	(void)state;
	check_blocks(37, 5, 1, 1);
	check_blocks(37, 5, 3, 3); /* 13 blocks, the last of one row */
	check_blocks(37, 5, 4, 4);
	check_blocks(37, 5, 37, 37);
	check_blocks(37, 5, 100, 100); /* one block, shorter than asked */
	/* The writer's choice: the largest power of two within 64 KiB. */
	check_blocks(37, 5, 0, 2048);
	check_blocks(9, 5000, 0, 2);
	check_blocks(3, 20000, 0, 1);
}

static void test_writer_deterministic(void **state)
{
	static const char *const meta_a[] = {"b", "2", "a", "1", "c", "3"};
	static const char *const meta_b[] = {"c", "3", "a", "1", "b", "2"};
	struct tt_spec s = {.rows = 50,
			    .dim = 7,
			    .tokens = 45,
			    .dtype = EMBMAP_DTYPE_F16,
			    .block_rows = 8,
			    .meta = meta_a,
			    .nmeta = 3};
	char *a = path_of("a.embmap"), *b = path_of("b.embmap");

	(void)state;
	TT_OK(tt_build(a, &s));
	TT_OK(tt_build(b, &s));
	assert_true(tt_same_file(a, b));
	/* Metadata is stored sorted, so the order of set_meta is lost. */
	s.meta = meta_b;
	TT_OK(tt_build(b, &s));
	assert_true(tt_same_file(a, b));
	s.alignment = 65536;
	TT_OK(tt_build(a, &s));
	TT_OK(tt_build(b, &s));
	assert_true(tt_same_file(a, b));
	s.seed = 1;
	TT_OK(tt_build(b, &s));
	assert_false(tt_same_file(a, b));
	free(a);
	free(b);
}

static uint64_t expected_buckets(uint64_t n)
{
	uint64_t b = 8;

	while (b < 2 * n)
		b *= 2;
	return b;
}

/*
 * The canonical index, built here from the definition: buckets the least
 * power of two >= max(8, 2n); each token's id, in id order, in the first
 * empty slot from hash & (buckets - 1) on, hash XXH3-64 of its bytes; a
 * token equal to an earlier one is not inserted; empty slots hash 0, id
 * all ones.
 */
static void check_index(const char *path, uint64_t n,
			size_t (*token)(uint64_t, char *))
{
	uint64_t buckets = expected_buckets(n);
	uint64_t *slots = malloc(buckets * 16);
	size_t size;
	uint8_t *img = tt_slurp(path, &size);
	int i = tt_find_section(img, EMBMAP_SECTION_TOKEN_INDEX);
	char tok[32], other[32];

	assert_non_null(slots);
	assert_true(i > 0);
	assert_int_equal(tt_get64(img, tt_entry((uint32_t)i) + TT_SEC_COUNT),
			 buckets);
	assert_int_equal(tt_get64(img, tt_entry((uint32_t)i) + TT_SEC_LENGTH),
			 16 * buckets);
	for (uint64_t s = 0; s < buckets; s++) {
		slots[2 * s] = 0;
		slots[2 * s + 1] = UINT64_MAX;
	}
	for (uint64_t id = 0; id < n; id++) {
		size_t len = token(id, tok);
		uint64_t h = XXH3_64bits(tok, len), s = h & (buckets - 1);
		int dup = 0;

		while (slots[2 * s + 1] != UINT64_MAX) {
			size_t olen = token(slots[2 * s + 1], other);

			if (slots[2 * s] == h && olen == len &&
			    memcmp(tok, other, len) == 0)
				dup = 1;
			s = (s + 1) & (buckets - 1);
		}
		if (!dup) {
			slots[2 * s] = h;
			slots[2 * s + 1] = id;
		}
	}
	{
		uint64_t off =
			tt_get64(img, tt_entry((uint32_t)i) + TT_SEC_OFFSET);

		for (uint64_t s = 0; s < 2 * buckets; s++)
			assert_int_equal(tt_get64(img, off + 8 * s), slots[s]);
	}
	free(img);
	free(slots);
}

static void test_writer_canonical_index(void **state)
{
	static const uint64_t counts[] = {1, 2,	 3,  4,	 5,  7,	  8,
					  9, 15, 16, 17, 33, 100, 1000};
	char *p = path_of("t.embmap");
	size_t size;
	uint8_t *img;

	(void)state;
	for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
		struct tt_spec s = {
			.rows = counts[k] + 1, .dim = 1, .tokens = counts[k]};

		TT_OK(tt_build(p, &s));
		check_index(p, counts[k], tt_token);
	}
	/* No tokens, no token sections at all. */
	{
		struct tt_spec s = {.rows = 5, .dim = 1};

		TT_OK(tt_build(p, &s));
		img = tt_slurp(p, &size);
		assert_int_equal(tt_find_section(img, 6), -1);
		assert_int_equal(tt_find_section(img, 7), -1);
		assert_int_equal(tt_find_section(img, 8), -1);
		assert_int_equal(tt_get64(img, 72), 0);
		free(img);
	}
	free(p);
}

static const char *const shadow_toks[] = {"x", "y", "x", "", "y", "", "z"};

static size_t shadow_token(uint64_t id, char *buf)
{
	size_t n = strlen(shadow_toks[id]);

	memcpy(buf, shadow_toks[id], n);
	return n;
}

/* Shadowed tokens stay out of the index; a refused one leaves no trace. */
static void test_writer_canonical_index_duplicates(void **state)
{
	struct embmap_writer_options o = {
		.flags = EMBMAP_WRITE_SHADOW_DUPLICATES | EMBMAP_WRITE_NO_SYNC};
	char *p = path_of("t.embmap"), *q = path_of("q.embmap");
	float rows[7] = {0};
	embmap_writer *w;
	char tok[32];

	(void)state;
	TT_OK(embmap_writer_open(p, 1, 1, &o, &w));
	TT_OK(embmap_writer_add_rows(w, rows, 7));
	for (uint64_t i = 0; i < 7; i++)
		TT_OK(embmap_writer_add_token(w, shadow_toks[i],
					      strlen(shadow_toks[i])));
	assert_int_equal(embmap_writer_shadowed(w), 3);
	TT_OK(embmap_writer_finish(w));
	check_index(p, 7, shadow_token);

	/*
	 * Without shadowing, 4 tokens then a refused duplicate (which made
	 * the index grow to 16 buckets) give the file of the 4 tokens alone.
	 */
	TT_OK(embmap_writer_open(p, 1, 1, &nosync, &w));
	TT_OK(embmap_writer_add_rows(w, rows, 5));
	for (uint64_t i = 0; i < 4; i++)
		TT_OK(embmap_writer_add_token(w, tok, tt_token(i, tok)));
	assert_int_equal(embmap_writer_add_token(w, tok, tt_token(0, tok)),
			 EMBMAP_EDUPLICATE);
	TT_OK(embmap_writer_finish(w));
	TT_OK(embmap_writer_open(q, 1, 1, &nosync, &w));
	TT_OK(embmap_writer_add_rows(w, rows, 5));
	for (uint64_t i = 0; i < 4; i++)
		TT_OK(embmap_writer_add_token(w, tok, tt_token(i, tok)));
	TT_OK(embmap_writer_finish(w));
	assert_true(tt_same_file(p, q));
	check_index(p, 4, tt_token);
	free(p);
	free(q);
}

/*
 * The content hash from its definition: XXH3-128 over the row hashes
 * (XXH3-64 of each row, little-endian), the scales, the token offsets and
 * the token bytes, then the 24-byte trailer, stored big-endian.
 */
static void independent_hash(const char *path, uint8_t out[16])
{
	size_t size;
	uint8_t *img = tt_slurp(path, &size);
	XXH3_state_t *st = XXH3_createState();
	static const uint32_t kinds[] = {
		EMBMAP_SECTION_MATRIX, EMBMAP_SECTION_SCALES,
		EMBMAP_SECTION_TOKEN_OFFSETS, EMBMAP_SECTION_TOKEN_BYTES};
	uint8_t trailer[24];
	XXH128_canonical_t c;

	assert_non_null(st);
	XXH3_128bits_reset(st);
	for (int k = 0; k < 4; k++) {
		int i = tt_find_section(img, kinds[k]);
		size_t e = tt_entry((uint32_t)i);

		const uint8_t *at;

		if (i < 0)
			continue;
		at = img + tt_get64(img, e + TT_SEC_OFFSET);
		if (kinds[k] != EMBMAP_SECTION_MATRIX) {
			XXH3_128bits_update(st, at,
					    tt_get64(img, e + TT_SEC_LENGTH));
			continue;
		}
		for (uint64_t r = 0; r < tt_get64(img, 48); r++) {
			uint64_t stride = tt_get64(img, 64);
			uint64_t h = XXH3_64bits(at + r * stride, stride);
			uint8_t le[8];

			tt_put64(le, 0, h);
			XXH3_128bits_update(st, le, 8);
		}
	}
	tt_put64(trailer, 0, tt_get64(img, 48));  /* rows */
	tt_put32(trailer, 8, tt_get32(img, 56));  /* dim */
	tt_put32(trailer, 12, tt_get32(img, 60)); /* dtype */
	tt_put64(trailer, 16, tt_get64(img, 72)); /* token_count */
	XXH3_128bits_update(st, trailer, sizeof trailer);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	memcpy(out, c.digest, 16);
	XXH3_freeState(st);
	free(img);
}

static void test_writer_content_hash_definition(void **state)
{
	struct tt_spec f32 = {.rows = 20, .dim = 3, .tokens = 11};
	struct tt_spec i8 = {
		.rows = 20, .dim = 3, .tokens = 0, .dtype = EMBMAP_DTYPE_I8};
	char *p = path_of("t.embmap");
	uint8_t want[16], got[16];
	uint8_t *img;
	size_t size;

	(void)state;
	TT_OK(tt_build(p, &f32));
	independent_hash(p, want);
	hash_of(p, got);
	assert_memory_equal(got, want, 16);
	img = tt_slurp(p, &size);
	assert_memory_equal(img + 88, want, 16); /* header, big-endian */
	free(img);
	TT_OK(tt_build(p, &i8));
	independent_hash(p, want);
	hash_of(p, got);
	assert_memory_equal(got, want, 16);
	free(p);
}

/* One f32 value changed by one bit, or one token byte, or nothing. */
static void write_variant(const char *path, uint32_t align, int flip_value,
			  int flip_token, int meta, uint32_t block_rows)
{
	struct embmap_writer_options o = {.alignment = align,
					  .block_rows = block_rows,
					  .flags = EMBMAP_WRITE_NO_SYNC};
	float rows[6 * 4];
	char tok[32];
	embmap_writer *w;

	for (int i = 0; i < 24; i++)
		rows[i] = (float)i * 0.5f;
	if (flip_value) {
		uint32_t bits;

		memcpy(&bits, &rows[13], 4);
		bits ^= 1;
		memcpy(&rows[13], &bits, 4);
	}
	TT_OK(embmap_writer_open(path, 4, 1, &o, &w));
	TT_OK(embmap_writer_add_rows(w, rows, 6));
	for (uint64_t i = 0; i < 5; i++) {
		size_t n = tt_token(i, tok);

		if (flip_token && i == 3)
			tok[0] ^= 0x10;
		TT_OK(embmap_writer_add_token(w, tok, n));
	}
	if (meta)
		TT_OK(embmap_writer_set_meta(w, "source", "elsewhere"));
	TT_OK(embmap_writer_finish(w));
}

static void test_writer_content_hash_identity(void **state)
{
	char *p = path_of("t.embmap");
	uint8_t base[16], h[16];

	(void)state;
	write_variant(p, 4096, 0, 0, 0, 0);
	hash_of(p, base);
	/* Layout and metadata are not content. */
	write_variant(p, 65536, 0, 0, 0, 0);
	hash_of(p, h);
	assert_memory_equal(h, base, 16);
	write_variant(p, 2u << 20, 0, 0, 1, 1);
	hash_of(p, h);
	assert_memory_equal(h, base, 16);
	write_variant(p, 4096, 0, 0, 1, 0);
	hash_of(p, h);
	assert_memory_equal(h, base, 16);
	/* Values and tokens are. */
	write_variant(p, 4096, 1, 0, 0, 0);
	hash_of(p, h);
	assert_memory_not_equal(h, base, 16);
	write_variant(p, 4096, 0, 1, 0, 0);
	hash_of(p, h);
	assert_memory_not_equal(h, base, 16);
	free(p);
}

/* The canonical layout, read from the bytes the writer produced. */
static void test_writer_layout(void **state)
{
	static const char *const meta[] = {"k", "v"};
	struct tt_spec s = {.rows = 13,
			    .dim = 3,
			    .tokens = 13,
			    .dtype = EMBMAP_DTYPE_I8,
			    .meta = meta,
			    .nmeta = 1};
	static const uint32_t kinds[] = {1, 2, 3, 5, 6, 7, 8};
	char *p = path_of("t.embmap");
	size_t size;
	uint8_t *img;
	uint64_t end;
	uint32_t n;

	(void)state;
	TT_OK(tt_build(p, &s));
	img = tt_slurp(p, &size);
	n = tt_get32(img, 20);
	assert_int_equal(n, 7);
	assert_int_equal(tt_get64(img, 40), size);
	end = tt_entry(n);
	for (uint32_t i = 0; i < n; i++) {
		size_t e = tt_entry(i);
		uint64_t off = tt_get64(img, e + TT_SEC_OFFSET);

		assert_int_equal(tt_get32(img, e + TT_SEC_KIND), kinds[i]);
		assert_int_equal(tt_get32(img, e + TT_SEC_FLAGS), 0);
		assert_int_equal(tt_get64(img, e + TT_SEC_RESERVED), 0);
		assert_int_equal(off, i == 0 ? 4096 : (end + 63) / 64 * 64);
		for (uint64_t z = end; z < off; z++)
			assert_int_equal(img[z], 0);
		if (i > 0)
			assert_int_equal(
				tt_get64(img, e + TT_SEC_CHECKSUM),
				XXH3_64bits(img + off,
					    tt_get64(img, e + TT_SEC_LENGTH)));
		end = off + tt_get64(img, e + TT_SEC_LENGTH);
	}
	assert_int_equal(end, size);
	assert_int_equal(tt_get64(img, 112), 0); /* reserved */
	free(img);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_writer_open_null_arguments, clear),
		cmocka_unit_test_setup(test_writer_open_bad_dim_and_dtype,
				       clear),
		cmocka_unit_test_setup(test_writer_open_bad_alignment, clear),
		cmocka_unit_test_setup(test_writer_open_bad_options, clear),
		cmocka_unit_test_setup(test_writer_finish_without_rows, clear),
		cmocka_unit_test_setup(test_writer_more_tokens_than_rows,
				       clear),
		cmocka_unit_test_setup(test_writer_duplicate_token, clear),
		cmocka_unit_test_setup(test_writer_shadow_duplicates, clear),
		cmocka_unit_test_setup(test_writer_set_meta, clear),
		cmocka_unit_test_setup(test_writer_row_calls_by_dtype, clear),
		cmocka_unit_test_setup(test_writer_abort_leaves_nothing, clear),
		cmocka_unit_test_setup(test_writer_replaces_existing_file,
				       clear),
		cmocka_unit_test_setup(test_writer_alignments, clear),
		cmocka_unit_test_setup(test_writer_block_rows, clear),
		cmocka_unit_test_setup(test_writer_deterministic, clear),
		cmocka_unit_test_setup(test_writer_canonical_index, clear),
		cmocka_unit_test_setup(test_writer_canonical_index_duplicates,
				       clear),
		cmocka_unit_test_setup(test_writer_content_hash_definition,
				       clear),
		cmocka_unit_test_setup(test_writer_content_hash_identity,
				       clear),
		cmocka_unit_test_setup(test_writer_layout, clear),
	};

	return cmocka_run_group_tests_name("writer", tests, setup, teardown);
}
