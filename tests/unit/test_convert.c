/*
 * test_convert.c - embmap_writer_add_rows_f32 and the dtype helpers, basic
 * cases (src/convert.c, src/dtype.c). The exhaustive conversion tests are
 * in test_dtype.c.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "embmap.h"
#include "tables.h"

static char *tmp, *path;

static const struct embmap_writer_options nosync = {
	.flags = EMBMAP_WRITE_NO_SYNC};

static int setup(void **state)
{
	(void)state;
	tmp = tt_tempdir();
	path = tt_join(tmp, "t.embmap");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_remove_dir(tmp);
	free(path);
	free(tmp);
	return 0;
}

static float from_bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

/* Write n rows of dim values as dtype; open the result (NULL if none). */
static embmap *convert(int dtype, uint32_t dim, const float *rows, uint64_t n,
		       unsigned flags, int expect)
{
	embmap_writer *w;
	embmap *t;

	TT_OK(embmap_writer_open(path, dim, dtype, &nosync, &w));
	assert_int_equal(embmap_writer_add_rows_f32(w, rows, n, flags), expect);
	if (expect != 0) {
		/* A refused call writes no row at all. */
		assert_int_equal(embmap_writer_rows(w), 0);
		embmap_writer_abort(w);
		return NULL;
	}
	assert_int_equal(embmap_writer_rows(w), n);
	TT_OK(embmap_writer_finish(w));
	TT_OK(embmap_open(path, EMBMAP_VERIFY, &t));
	assert_int_equal(embmap_dtype(t), dtype);
	return t;
}

static uint16_t stored16(const embmap *t, uint64_t row, uint32_t col)
{
	uint16_t h;

	memcpy(&h, (const uint8_t *)embmap_row(t, row) + 2 * col, 2);
	return h;
}

static void test_convert_dtype_names(void **state)
{
	(void)state;
	assert_string_equal(embmap_dtype_name(EMBMAP_DTYPE_F32), "f32");
	assert_string_equal(embmap_dtype_name(EMBMAP_DTYPE_F16), "f16");
	assert_string_equal(embmap_dtype_name(EMBMAP_DTYPE_BF16), "bf16");
	assert_string_equal(embmap_dtype_name(EMBMAP_DTYPE_I8), "i8");
	assert_null(embmap_dtype_name(0));
	assert_null(embmap_dtype_name(5));
	assert_null(embmap_dtype_name(-1));
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_F32), 4);
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_F16), 2);
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_BF16), 2);
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_I8), 1);
	assert_int_equal(embmap_dtype_size(0), 0);
	assert_int_equal(embmap_dtype_size(5), 0);
}

static void test_convert_f32_passthrough(void **state)
{
	const float in[6] = {
		-0.0f, from_bits(0x7fc00001u), INFINITY, from_bits(1u), FLT_MAX,
		-1.5f,
	};
	embmap *t;

	(void)state;
	t = convert(EMBMAP_DTYPE_F32, 3, in, 2, 0, 0);
	assert_memory_equal(embmap_row(t, 0), in, sizeof in);
	embmap_close(t);
}

static void test_convert_f16_values(void **state)
{
	const float in[8] = {
		1.0f,
		-2.0f,
		0.5f,
		65504.0f,
		1.0f + 0x1p-11f,     /* halfway: to even, 1.0 */
		1.0f + 3 * 0x1p-11f, /* halfway: to even, 1 + 2^-9 */
		0x1p-24f,	     /* the smallest subnormal */
		INFINITY,
	};
	const uint16_t want[8] = {0x3c00, 0xc000, 0x3800, 0x7bff,
				  0x3c00, 0x3c02, 0x0001, 0x7c00};
	float out[4];
	embmap *t;

	(void)state;
	t = convert(EMBMAP_DTYPE_F16, 4, in, 2, 0, 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(stored16(t, (uint64_t)i / 4, (uint32_t)i % 4),
				 want[i]);
	TT_OK(embmap_row_f32(t, 0, out));
	assert_memory_equal(out, in, sizeof out);
	embmap_close(t);
}

static void test_convert_f16_overflow(void **state)
{
	const float in[4] = {1.0f, 2.0f, 3.0f, -65520.0f};
	embmap *t;

	(void)state;
	assert_null(convert(EMBMAP_DTYPE_F16, 2, in, 2, 0, EMBMAP_EDTYPE));
	assert_non_null(strstr(embmap_errmsg(), "row 1, column 1"));
	assert_non_null(strstr(embmap_errmsg(), "-65520"));
	t = convert(EMBMAP_DTYPE_F16, 2, in, 2, EMBMAP_CONVERT_SATURATE, 0);
	assert_int_equal(stored16(t, 1, 1), 0xfbff); /* -65504 */
	embmap_close(t);
}

static void test_convert_bf16_values(void **state)
{
	const float in[4] = {
		1.0f,
		1.0f + 0x1p-8f,	    /* halfway: to even, 1.0 */
		1.0f + 3 * 0x1p-8f, /* halfway: to even, 1 + 2^-6 */
		-0.0f,
	};
	const uint16_t want[4] = {0x3f80, 0x3f80, 0x3f82, 0x8000};
	const float big[2] = {FLT_MAX, 0};
	embmap *t;

	(void)state;
	t = convert(EMBMAP_DTYPE_BF16, 4, in, 1, 0, 0);
	for (uint32_t c = 0; c < 4; c++)
		assert_int_equal(stored16(t, 0, c), want[c]);
	embmap_close(t);
	assert_null(convert(EMBMAP_DTYPE_BF16, 2, big, 1, 0, EMBMAP_EDTYPE));
	assert_non_null(strstr(embmap_errmsg(), "row 0, column 0"));
	t = convert(EMBMAP_DTYPE_BF16, 2, big, 1, EMBMAP_CONVERT_SATURATE, 0);
	assert_int_equal(stored16(t, 0, 0), 0x7f7f);
	embmap_close(t);
}

static void test_convert_i8_rows(void **state)
{
	const float in[3 * 5] = {
		1.0f,  -2.0f, 0.5f,  4.0f,   -3.9f, /* max 4 */
		0,     0,     0,     0,	     0,	    /* all zero */
		1e-3f, -7e2f, 3.25f, 700.0f, 1.0f,  /* max 700 */
	};
	float out[5];
	embmap *t;

	(void)state;
	t = convert(EMBMAP_DTYPE_I8, 5, in, 3, 0, 0);
	for (uint64_t r = 0; r < 3; r++) {
		const int8_t *q = embmap_row(t, r);
		float scale = embmap_row_scale(t, r), amax = 0;
		int top = 0;

		for (int c = 0; c < 5; c++)
			amax = fmaxf(amax, fabsf(in[r * 5 + c]));
		/* The scale covers the largest value; it reaches q 127. */
		assert_true(scale * 127.0f >= amax);
		assert_true(scale <= nextafterf(amax / 127.0f, INFINITY));
		TT_OK(embmap_row_f32(t, r, out));
		for (int c = 0; c < 5; c++) {
			float x = in[r * 5 + c];

			assert_true(q[c] >= -127 && q[c] <= 127);
			assert_true(out[c] == scale * q[c]);
			assert_true(fabsf(out[c] - x) <=
				    scale * 0.5f * 1.0001f);
			top |= q[c] == 127 || q[c] == -127;
		}
		assert_true(amax == 0 ? scale == 0 && !top : top);
	}
	embmap_close(t);
}

static void test_convert_i8_not_finite(void **state)
{
	const float in[2 * 3] = {1.0f, 2.0f, 3.0f, NAN, -INFINITY, 2.0f};
	embmap *t;
	const int8_t *q;

	(void)state;
	assert_null(convert(EMBMAP_DTYPE_I8, 3, in, 2, 0, EMBMAP_EDTYPE));
	assert_non_null(strstr(embmap_errmsg(), "row 1, column 0"));
	t = convert(EMBMAP_DTYPE_I8, 3, in, 2, EMBMAP_CONVERT_SATURATE, 0);
	q = embmap_row(t, 1);
	assert_int_equal(q[0], 0);
	assert_int_equal(q[1], -127);
	assert_int_equal(q[2], 127);
	assert_true(embmap_row_scale(t, 1) * 127.0f >= 2.0f);
	embmap_close(t);
}

static void test_convert_arguments(void **state)
{
	const float row[2] = {1, 2};
	embmap_writer *w;

	(void)state;
	tt_clear_dir(tmp);
	assert_int_equal(embmap_writer_add_rows_f32(NULL, row, 1, 0),
			 EMBMAP_EINVAL);
	TT_OK(embmap_writer_open(path, 2, EMBMAP_DTYPE_F16, &nosync, &w));
	assert_int_equal(embmap_writer_add_rows_f32(w, NULL, 1, 0),
			 EMBMAP_EINVAL);
	TT_OK(embmap_writer_add_rows_f32(w, NULL, 0, 0));
	TT_OK(embmap_writer_add_rows_f32(w, row, 1, 0));
	assert_int_equal(embmap_writer_rows(w), 1);
	embmap_writer_abort(w);
	assert_int_equal(tt_dir_entries(tmp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_convert_dtype_names),
		cmocka_unit_test(test_convert_f32_passthrough),
		cmocka_unit_test(test_convert_f16_values),
		cmocka_unit_test(test_convert_f16_overflow),
		cmocka_unit_test(test_convert_bf16_values),
		cmocka_unit_test(test_convert_i8_rows),
		cmocka_unit_test(test_convert_i8_not_finite),
		cmocka_unit_test(test_convert_arguments),
	};

	return cmocka_run_group_tests_name("convert", tests, setup, teardown);
}
