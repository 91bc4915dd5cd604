/*
 * test_lookup.c - rows, scales, gathers, tokens, find, metadata and the
 * section directory of an open table (src/lookup.c).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "embmap.h"
#include "embmap_format.h"
#include "tables.h"

static char *tmp;
static char *good_path, *bytes_path, *i8_path, *plain_path;
static embmap *good;  /* 37 x 5 f32, 37 tokens, 2 meta, block_rows 4 */
static embmap *bytes; /* odd tokens: empty, raw bytes, embedded NULs */
static embmap *i8;    /* 4 x 3 i8 with known q and scales */
static embmap *plain; /* 10 x 2 f16, no tokens, no metadata */

static const char *const good_meta[] = {"model", "test", "dim", "5"};

static const struct tt_spec good_spec = {
	.rows = 37,
	.dim = 5,
	.tokens = 37,
	.block_rows = 4,
	.meta = good_meta,
	.nmeta = 2,
};

static const struct tt_spec plain_spec = {
	.rows = 10,
	.dim = 2,
	.dtype = EMBMAP_DTYPE_F16,
	.seed = 3,
};

/* The odd vocabulary: fixed tokens, then every byte 0x80..0xff alone. */
#define ODD_FIXED 9
#define ODD_TOKENS (ODD_FIXED + 128)
static const struct {
	const char *p;
	size_t len;
} odd_fixed[ODD_FIXED] = {
	{"", 0},
	{"a", 1},
	{"a\0", 2},
	{"\0", 1},
	{"\0\0", 2},
	{"a\0b", 3},
	{"caf\xc3\xa9", 5},
	{"\xff\xfe", 2},
	{"line\nbreak", 10},
};

static size_t odd_token(uint64_t id, char *buf)
{
	if (id < ODD_FIXED) {
		memcpy(buf, odd_fixed[id].p, odd_fixed[id].len);
		return odd_fixed[id].len;
	}
	buf[0] = (char)(0x80 + (id - ODD_FIXED));
	return 1;
}

static const int8_t i8_q[4][3] = {
	{127, -127, 0}, {1, 2, 3}, {-5, 0, 5}, {0, 0, 0}};
static const float i8_scale[4] = {0.5f, 0.25f, 2.0f, 0.0f};

static void write_odd(const char *path)
{
	struct embmap_writer_options o = {.flags = EMBMAP_WRITE_NO_SYNC};
	embmap_writer *w;
	float row[2] = {1, 2};
	char tok[16];

	assert_int_equal(embmap_writer_open(path, 2, EMBMAP_DTYPE_F32, &o, &w),
			 0);
	for (int r = 0; r < ODD_TOKENS + 3; r++)
		assert_int_equal(embmap_writer_add_rows(w, row, 1), 0);
	for (uint64_t id = 0; id < ODD_TOKENS; id++)
		TT_OK(embmap_writer_add_token(w, tok, odd_token(id, tok)));
	assert_int_equal(embmap_writer_finish(w), 0);
}

static void write_i8(const char *path)
{
	struct embmap_writer_options o = {.flags = EMBMAP_WRITE_NO_SYNC};
	embmap_writer *w;

	assert_int_equal(embmap_writer_open(path, 3, EMBMAP_DTYPE_I8, &o, &w),
			 0);
	assert_int_equal(embmap_writer_add_rows_i8(w, &i8_q[0][0], i8_scale, 4),
			 0);
	assert_int_equal(embmap_writer_add_token(w, "q", 1), 0);
	assert_int_equal(embmap_writer_finish(w), 0);
}

static int setup(void **state)
{
	(void)state;
	tmp = tt_tempdir();
	good_path = tt_join(tmp, "good.embmap");
	bytes_path = tt_join(tmp, "bytes.embmap");
	i8_path = tt_join(tmp, "i8.embmap");
	plain_path = tt_join(tmp, "plain.embmap");
	assert_int_equal(tt_build(good_path, &good_spec), 0);
	assert_int_equal(tt_build(plain_path, &plain_spec), 0);
	write_odd(bytes_path);
	write_i8(i8_path);
	assert_int_equal(embmap_open(good_path, EMBMAP_VERIFY, &good), 0);
	assert_int_equal(embmap_open(bytes_path, EMBMAP_VERIFY, &bytes), 0);
	assert_int_equal(embmap_open(i8_path, EMBMAP_VERIFY, &i8), 0);
	assert_int_equal(embmap_open(plain_path, EMBMAP_VERIFY, &plain), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	embmap_close(good);
	embmap_close(bytes);
	embmap_close(i8);
	embmap_close(plain);
	tt_remove_dir(tmp);
	free(good_path);
	free(bytes_path);
	free(i8_path);
	free(plain_path);
	free(tmp);
	return 0;
}

static void test_lookup_row_pointers(void **state)
{
	const uint8_t *r0 = embmap_row(good, 0);

	(void)state;
	assert_non_null(r0);
	for (uint64_t r = 0; r < 37; r++) {
		const float *p = embmap_row(good, r);
		float v;

		assert_ptr_equal(p, r0 + r * 20);
		for (uint32_t c = 0; c < 5; c++) {
			memcpy(&v, (const uint8_t *)p + 4 * c, 4);
			assert_true(v == tt_value(&good_spec, r, c));
		}
	}
	assert_null(embmap_row(good, 37));
	assert_null(embmap_row(good, 38));
	assert_null(embmap_row(good, UINT64_MAX));
	assert_null(embmap_row(plain, 10));
}

static void test_lookup_row_scale(void **state)
{
	(void)state;
	assert_true(embmap_row_scale(good, 0) == 1.0f);
	assert_true(embmap_row_scale(good, 36) == 1.0f);
	assert_true(isnan(embmap_row_scale(good, 37)));
	assert_true(isnan(embmap_row_scale(good, UINT64_MAX)));
	assert_true(embmap_row_scale(plain, 9) == 1.0f);
	for (int r = 0; r < 4; r++)
		assert_true(embmap_row_scale(i8, (uint64_t)r) == i8_scale[r]);
	assert_true(isnan(embmap_row_scale(i8, 4)));
}

static void test_lookup_row_f32(void **state)
{
	float out[5];

	(void)state;
	for (uint64_t r = 0; r < 37; r++) {
		assert_int_equal(embmap_row_f32(good, r, out), 0);
		for (uint32_t c = 0; c < 5; c++)
			assert_true(out[c] == tt_value(&good_spec, r, c));
	}
	/* f16 values of tt_value are exact, so they come back unchanged. */
	for (uint64_t r = 0; r < 10; r++) {
		assert_int_equal(embmap_row_f32(plain, r, out), 0);
		for (uint32_t c = 0; c < 2; c++)
			assert_true(out[c] == tt_value(&plain_spec, r, c));
	}
	for (int r = 0; r < 4; r++) {
		assert_int_equal(embmap_row_f32(i8, (uint64_t)r, out), 0);
		for (int c = 0; c < 3; c++)
			assert_true(out[c] == i8_scale[r] * i8_q[r][c]);
	}
}

static void test_lookup_row_f32_out_of_range(void **state)
{
	float out[5] = {7, 7, 7, 7, 7};

	(void)state;
	assert_int_equal(embmap_row_f32(good, 37, out), EMBMAP_ERANGE);
	assert_non_null(strstr(embmap_errmsg(), "row 37"));
	assert_int_equal(embmap_row_f32(good, UINT64_MAX, out), EMBMAP_ERANGE);
	assert_int_equal(embmap_row_f32(i8, 4, out), EMBMAP_ERANGE);
	for (int c = 0; c < 5; c++)
		assert_true(out[c] == 7);
}

static void test_lookup_gather_f32(void **state)
{
	const uint32_t ids[] = {3, 0, 36, 3, 17};
	float out[5 * 5], row[5];
	float q[2 * 3];
	const uint32_t qids[] = {2, 0};

	(void)state;
	assert_int_equal(embmap_gather_f32(good, ids, 5, out), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(embmap_row_f32(good, ids[i], row), 0);
		assert_memory_equal(out + 5 * i, row, sizeof row);
	}
	assert_int_equal(embmap_gather_f32(i8, qids, 2, q), 0);
	for (int c = 0; c < 3; c++) {
		assert_true(q[c] == 2.0f * i8_q[2][c]);
		assert_true(q[3 + c] == 0.5f * i8_q[0][c]);
	}
	/* Nothing asked, nothing read or written. */
	assert_int_equal(embmap_gather_f32(good, NULL, 0, NULL), 0);
}

static void test_lookup_gather_f32_out_of_range(void **state)
{
	const uint32_t ids[] = {1, 2, 37, 0};
	const uint32_t huge[] = {UINT32_MAX};
	float out[4 * 5];

	(void)state;
	for (int i = 0; i < 20; i++)
		out[i] = -3;
	assert_int_equal(embmap_gather_f32(good, ids, 4, out), EMBMAP_ERANGE);
	assert_non_null(strstr(embmap_errmsg(), "ids[2] = 37"));
	assert_int_equal(embmap_gather_f32(good, huge, 1, out), EMBMAP_ERANGE);
	for (int i = 0; i < 20; i++)
		assert_true(out[i] == -3);
}

static void test_lookup_find_every_token(void **state)
{
	char tok[32];

	(void)state;
	for (uint64_t id = 0; id < 37; id++) {
		size_t n = tt_token(id, tok);

		assert_int_equal(embmap_find(good, tok, n), (int64_t)id);
		/* A prefix or a longer string is another token, or none. */
		if (n > 1) {
			int64_t p = embmap_find(good, tok, n - 1);

			assert_true(p == -1 || p < (int64_t)id);
		}
		tok[n] = 'z';
		assert_int_equal(embmap_find(good, tok, n + 1), -1);
	}
}

static void test_lookup_find_absent(void **state)
{
	(void)state;
	assert_int_equal(embmap_find(good, "absent", 6), -1);
	assert_int_equal(embmap_find(good, "", 0), -1);
	assert_int_equal(embmap_find(good, "0\0", 2), -1);
	assert_int_equal(embmap_find(good, NULL, 3), -1);
	assert_int_equal(embmap_find(good, "\x80", 1), -1);
	/* A table without a vocabulary finds nothing. */
	assert_int_equal(embmap_find(plain, "0", 1), -1);
	assert_int_equal(embmap_find(plain, "", 0), -1);
	assert_int_equal(embmap_find(i8, "p", 1), -1);
	assert_int_equal(embmap_find(i8, "q", 1), 0);
}

static void test_lookup_find_raw_bytes(void **state)
{
	char tok[16];

	(void)state;
	assert_int_equal(embmap_tokens(bytes), ODD_TOKENS);
	for (uint64_t id = 0; id < ODD_TOKENS; id++) {
		size_t n = odd_token(id, tok);

		assert_int_equal(embmap_find(bytes, tok, n), (int64_t)id);
	}
	/* Embedded NULs are part of the bytes, not terminators. */
	assert_int_equal(embmap_find(bytes, "a\0b", 3), 5);
	assert_int_equal(embmap_find(bytes, "a\0c", 3), -1);
	assert_int_equal(embmap_find(bytes, "\0\0\0", 3), -1);
	assert_int_equal(embmap_find(bytes, "\x80\x80", 2), -1);
	/* The empty token, as an empty string or as no pointer at all. */
	assert_int_equal(embmap_find(bytes, "", 0), 0);
	assert_int_equal(embmap_find(bytes, NULL, 0), 0);
	/* Every other two-byte string of high bytes is absent. */
	for (int a = 0x80; a < 0x100; a++) {
		char two[2] = {(char)a, (char)0xfe};

		assert_int_equal(embmap_find(bytes, two, 2),
				 a == 0xff ? 7 : -1);
	}
}

static void test_lookup_token_every_id(void **state)
{
	char tok[32];
	size_t len;

	(void)state;
	for (uint64_t id = 0; id < 37; id++) {
		size_t n = tt_token(id, tok);
		const char *p = embmap_token(good, id, &len);

		assert_non_null(p);
		assert_int_equal(len, n);
		assert_memory_equal(p, tok, n);
		assert_int_equal(p[len], 0);
		assert_ptr_equal(embmap_token(good, id, NULL), p);
	}
	for (uint64_t id = 0; id < ODD_TOKENS; id++) {
		size_t n = odd_token(id, tok);
		const char *p = embmap_token(bytes, id, &len);

		assert_non_null(p);
		assert_int_equal(len, n);
		assert_memory_equal(p, tok, n);
		assert_int_equal(p[len], 0);
	}
}

static void test_lookup_token_past_end(void **state)
{
	size_t len = 99;

	(void)state;
	assert_null(embmap_token(good, 37, &len));
	assert_null(embmap_token(good, 38, &len));
	assert_null(embmap_token(good, UINT64_MAX, &len));
	assert_int_equal(len, 99);
	/* Rows past the vocabulary have no token. */
	assert_int_equal(embmap_rows(bytes), ODD_TOKENS + 3);
	assert_null(embmap_token(bytes, ODD_TOKENS, NULL));
	assert_null(embmap_token(bytes, ODD_TOKENS + 2, NULL));
	assert_null(embmap_token(plain, 0, &len));
	assert_null(embmap_token(i8, 1, &len));
}

static void test_lookup_meta(void **state)
{
	(void)state;
	assert_string_equal(embmap_meta(good, "model"), "test");
	assert_string_equal(embmap_meta(good, "dim"), "5");
	assert_null(embmap_meta(good, "mod"));
	assert_null(embmap_meta(good, "models"));
	assert_null(embmap_meta(good, ""));
	assert_null(embmap_meta(good, NULL));
	assert_null(embmap_meta(plain, "model"));
	assert_null(embmap_meta(i8, "model"));
}

static void test_lookup_meta_next(void **state)
{
	const char *k = NULL, *v = NULL;
	size_t cursor = 0;

	(void)state;
	/* Key order, whatever the order of set_meta. */
	assert_int_equal(embmap_meta_next(good, &cursor, &k, &v), 1);
	assert_string_equal(k, "dim");
	assert_string_equal(v, "5");
	assert_int_equal(embmap_meta_next(good, &cursor, &k, &v), 1);
	assert_string_equal(k, "model");
	assert_string_equal(v, "test");
	assert_int_equal(embmap_meta_next(good, &cursor, &k, &v), 0);
	assert_int_equal(embmap_meta_next(good, &cursor, &k, &v), 0);
	/* A cursor past the end stays at the end. */
	cursor = (size_t)-1;
	assert_int_equal(embmap_meta_next(good, &cursor, &k, &v), 0);

	cursor = 0;
	k = v = NULL;
	assert_int_equal(embmap_meta_next(plain, &cursor, &k, &v), 0);
	assert_null(k);
	assert_null(v);
}

static void test_lookup_section_at(void **state)
{
	size_t size;
	uint8_t *img = tt_slurp(good_path, &size);
	struct embmap_section_info s, untouched;
	const uint32_t kinds[] = {
		EMBMAP_SECTION_MATRIX,	    EMBMAP_SECTION_BLOCK_SUMS,
		EMBMAP_SECTION_META,	    EMBMAP_SECTION_TOKEN_OFFSETS,
		EMBMAP_SECTION_TOKEN_BYTES, EMBMAP_SECTION_TOKEN_INDEX};

	(void)state;
	assert_int_equal(embmap_section_count(good), 6);
	for (uint32_t i = 0; i < 6; i++) {
		size_t e = tt_entry(i);

		assert_int_equal(embmap_section_at(good, i, &s), 0);
		assert_int_equal(s.kind, kinds[i]);
		assert_int_equal(s.kind, tt_get32(img, e + TT_SEC_KIND));
		assert_int_equal(s.flags, 0);
		assert_int_equal(s.offset, tt_get64(img, e + TT_SEC_OFFSET));
		assert_int_equal(s.length, tt_get64(img, e + TT_SEC_LENGTH));
		assert_int_equal(s.checksum,
				 tt_get64(img, e + TT_SEC_CHECKSUM));
		assert_int_equal(s.count, tt_get64(img, e + TT_SEC_COUNT));
	}
	memset(&s, 0x5a, sizeof s);
	memcpy(&untouched, &s, sizeof s);
	assert_int_equal(embmap_section_at(good, 6, &s), EMBMAP_ERANGE);
	assert_non_null(strstr(embmap_errmsg(), "section 6"));
	assert_int_equal(embmap_section_at(good, UINT32_MAX, &s),
			 EMBMAP_ERANGE);
	assert_memory_equal(&s, &untouched, sizeof s);
	/* No vocabulary and no metadata: matrix and block sums only. */
	assert_int_equal(embmap_section_count(plain), 2);
	assert_int_equal(embmap_section_at(plain, 2, &s), EMBMAP_ERANGE);
	/* i8 adds the scales, third kind. */
	assert_int_equal(embmap_section_at(i8, 2, &s), 0);
	assert_int_equal(s.kind, EMBMAP_SECTION_SCALES);
	assert_int_equal(s.count, 4);
	assert_int_equal(s.length, 16);
	free(img);
}

static void test_lookup_section_name(void **state)
{
	(void)state;
	assert_string_equal(embmap_section_name(1), "matrix");
	assert_string_equal(embmap_section_name(2), "block-sums");
	assert_string_equal(embmap_section_name(3), "scales");
	assert_string_equal(embmap_section_name(4), "norms");
	assert_string_equal(embmap_section_name(5), "meta");
	assert_string_equal(embmap_section_name(6), "token-offsets");
	assert_string_equal(embmap_section_name(7), "token-bytes");
	assert_string_equal(embmap_section_name(8), "token-index");
	assert_string_equal(embmap_section_name(0), "unknown");
	assert_string_equal(embmap_section_name(9), "unknown");
	assert_string_equal(embmap_section_name(UINT32_MAX), "unknown");
}

/* Many tokens: the index still finds each, and only those. */
static void test_lookup_find_many(void **state)
{
	static const struct tt_spec many = {
		.rows = 5000, .dim = 1, .tokens = 5000, .seed = 1};
	char *path = tt_join(tmp, "many.embmap");
	embmap *t;
	char tok[32];

	(void)state;
	assert_int_equal(tt_build(path, &many), 0);
	assert_int_equal(embmap_open(path, EMBMAP_VERIFY, &t), 0);
	for (uint64_t id = 0; id < 5000; id++) {
		size_t n = tt_token(id, tok);

		assert_int_equal(embmap_find(t, tok, n), (int64_t)id);
		tok[n - 1] ^= 0x20; /* a different case, a different token */
		assert_int_equal(embmap_find(t, tok, n), -1);
	}
	embmap_close(t);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_row_pointers),
		cmocka_unit_test(test_lookup_row_scale),
		cmocka_unit_test(test_lookup_row_f32),
		cmocka_unit_test(test_lookup_row_f32_out_of_range),
		cmocka_unit_test(test_lookup_gather_f32),
		cmocka_unit_test(test_lookup_gather_f32_out_of_range),
		cmocka_unit_test(test_lookup_find_every_token),
		cmocka_unit_test(test_lookup_find_absent),
		cmocka_unit_test(test_lookup_find_raw_bytes),
		cmocka_unit_test(test_lookup_token_every_id),
		cmocka_unit_test(test_lookup_token_past_end),
		cmocka_unit_test(test_lookup_meta),
		cmocka_unit_test(test_lookup_meta_next),
		cmocka_unit_test(test_lookup_section_at),
		cmocka_unit_test(test_lookup_section_name),
		cmocka_unit_test(test_lookup_find_many),
	};

	return cmocka_run_group_tests_name("lookup", tests, setup, teardown);
}
