/*
 * test_dtype.c - the stored dtypes: conversion to float32 on every path,
 * conversion from float32 at write time, and the i8 quantization.
 *
 * The references here are computed from values, not from bit tricks: a
 * half-precision pattern is decoded with ldexp(), and rounding picks the
 * nearer of the two neighbours of a value in double precision, where every
 * difference involved is exact. f16 is also compared with numpy, through
 * tests/unit/test_dtype_numpy.py, when a python3 with numpy is found.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* The conversion paths are internal; this is the library's own test. */
#include "../../src/internal.h"

static char scratch[64];

static uint32_t f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static float bits_f32(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double rng_unit(void)
{
	return (double)(rng() >> 11) * 0x1p-52 - 1.0;
}

/* ------------------------------------------------------------------------ */
/* References                                                               */
/* ------------------------------------------------------------------------ */

/* A binary format with mbits stored mantissa bits and emin..emax normals. */
struct half_fmt {
	int mbits, emin, emax;
};

static const struct half_fmt F16 = {10, -14, 15};
static const struct half_fmt BF16 = {7, -126, 127};

/* The value of a pattern, in double; NaN patterns are not passed here. */
static double ref_decode(const struct half_fmt *f, uint16_t h)
{
	int ebits = 15 - f->mbits;
	uint32_t man = h & ((1u << f->mbits) - 1);
	uint32_t e = (h >> f->mbits) & ((1u << ebits) - 1);
	int bias = (1 << (ebits - 1)) - 1;
	double v;

	if (e == (1u << ebits) - 1)
		v = INFINITY;
	else if (e == 0)
		v = ldexp(man, f->emin - f->mbits);
	else
		v = ldexp(man + (1u << f->mbits), (int)e - bias - f->mbits);
	return h & 0x8000u ? -v : v;
}

static int ref_is_nan(const struct half_fmt *f, uint16_t h)
{
	uint16_t exp = (uint16_t)(0x7fffu & ~((1u << f->mbits) - 1));

	return (h & exp) == exp && (h & ((1u << f->mbits) - 1)) != 0;
}

/*
 * Round a finite float to the format, to nearest, ties to even, by value:
 * the two representable neighbours of |x| are found from its quantum, and
 * the nearer one is encoded. *overflow is set when the result is infinite.
 */
static uint16_t ref_round(const struct half_fmt *f, float x, int *overflow)
{
	double v = fabs((double)x), quantum, n, lo, frac, r;
	int ebits = 15 - f->mbits, bias = (1 << (ebits - 1)) - 1, e;
	uint32_t sign = signbit(x) ? 0x8000u : 0, bits;

	*overflow = 0;
	if (v == 0)
		return (uint16_t)sign;
	(void)frexp(v, &e); /* v = m * 2^e, m in [0.5, 1) */
	e -= 1;
	if (e < f->emin)
		e = f->emin;
	quantum = ldexp(1, e - f->mbits);
	n = v / quantum; /* exact: a power of two */
	lo = floor(n);
	frac = n - lo;
	if (frac > 0.5 || (frac == 0.5 && fmod(lo, 2) == 1))
		lo += 1;
	r = lo * quantum;
	if (r >= ldexp(1, f->emax + 1)) {
		*overflow = 1;
		return (uint16_t)(sign | (((1u << ebits) - 1) << f->mbits));
	}
	if (r < ldexp(1, f->emin)) {
		bits = (uint32_t)ldexp(r, f->mbits - f->emin);
	} else {
		(void)frexp(r, &e);
		e -= 1;
		bits = ((uint32_t)(e + bias) << f->mbits) |
		       ((uint32_t)ldexp(r, f->mbits - e) - (1u << f->mbits));
	}
	return (uint16_t)(sign | bits);
}

/* The NaN rule: sign and top payload bits kept; never all zero. */
static uint16_t ref_nan(const struct half_fmt *f, uint32_t x)
{
	uint32_t mask = (1u << f->mbits) - 1;
	uint32_t pay = (x & 0x7fffffu) >> (23 - f->mbits);
	uint32_t exp = 0x7fffu & ~mask;

	return (uint16_t)(((x >> 16) & 0x8000u) | exp | (pay ? pay : 1));
}

/* ------------------------------------------------------------------------ */
/* Writing and reading through the library                                  */
/* ------------------------------------------------------------------------ */

static void scratch_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", scratch, name);
}

static embmap_writer *writer_new(const char *name, uint32_t dim, int dtype)
{
	struct embmap_writer_options o = {0, 0, EMBMAP_WRITE_NO_SYNC};
	embmap_writer *w = NULL;
	char path[128];

	scratch_path(path, sizeof path, name);
	assert_int_equal(embmap_writer_open(path, dim, dtype, &o, &w), 0);
	return w;
}

static embmap *finish_and_open(embmap_writer *w, const char *name)
{
	embmap *t = NULL;
	char path[128];

	scratch_path(path, sizeof path, name);
	assert_int_equal(embmap_writer_finish(w), 0);
	assert_int_equal(embmap_open(path, EMBMAP_VERIFY, &t), 0);
	return t;
}

/*
 * Convert n values as one row of dtype through the writer and read back
 * the stored elements (raw, n * size bytes) and the row's scale.
 */
static int convert_row(int dtype, const float *x, uint32_t n, unsigned flags,
		       void *raw, float *scale)
{
	embmap_writer *w = writer_new("row.emb", n, dtype);
	embmap *t;
	int rc = embmap_writer_add_rows_f32(w, x, 1, flags);

	if (rc) {
		assert_int_equal(embmap_writer_rows(w), 0);
		embmap_writer_abort(w);
		return rc;
	}
	t = finish_and_open(w, "row.emb");
	memcpy(raw, embmap_row(t, 0), n * embmap_dtype_size(dtype));
	if (scale)
		*scale = embmap_row_scale(t, 0);
	embmap_close(t);
	return 0;
}

static int have_x86(void)
{
	if (emb_cvt_available(EMB_CVT_X86))
		return 1;
	print_message("no x86 path (not x86-64, or no AVX2 and F16C): "
		      "the scalar path only\n");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* float32 from the stored dtypes                                           */
/* ------------------------------------------------------------------------ */

static uint16_t every_half[65536];

static void test_dtype_names_and_sizes(void **state)
{
	(void)state;
	assert_string_equal(embmap_dtype_name(EMBMAP_DTYPE_F16), "f16");
	assert_string_equal(embmap_dtype_name(EMBMAP_DTYPE_BF16), "bf16");
	assert_string_equal(embmap_dtype_name(EMBMAP_DTYPE_I8), "i8");
	assert_null(embmap_dtype_name(0));
	assert_null(embmap_dtype_name(5));
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_F32), 4);
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_F16), 2);
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_BF16), 2);
	assert_int_equal(embmap_dtype_size(EMBMAP_DTYPE_I8), 1);
	assert_int_equal(embmap_dtype_size(0), 0);
}

/* Every pattern decodes to its value, and a NaN keeps all its bits. */
static void check_decode_all(const struct half_fmt *f, int dtype, int path)
{
	static float out[65536];

	assert_int_equal(
		emb_to_f32_with(path, dtype, every_half, 1.0f, 65536, out), 0);
	for (uint32_t i = 0; i < 65536; i++) {
		uint16_t h = (uint16_t)i;
		uint32_t got = f32_bits(out[i]);

		if (ref_is_nan(f, h)) {
			uint32_t want = (uint32_t)(h & 0x8000u) << 16 |
					0x7f800000u |
					(uint32_t)(h & ((1u << f->mbits) - 1))
						<< (23 - f->mbits);

			if (got != want)
				fail_msg("%s path %d: NaN %04x gave %08x, "
					 "want %08x",
					 embmap_dtype_name(dtype), path, h, got,
					 want);
			continue;
		}
		if ((double)out[i] != ref_decode(f, h) ||
		    !!signbit(out[i]) != !!(h & 0x8000u))
			fail_msg("%s path %d: %04x gave %08x (%.9g), want %.9g",
				 embmap_dtype_name(dtype), path, h, got,
				 (double)out[i], ref_decode(f, h));
	}
}

static void test_dtype_f16_to_f32_scalar_every_pattern(void **state)
{
	(void)state;
	check_decode_all(&F16, EMBMAP_DTYPE_F16, EMB_CVT_SCALAR);
}

static void test_dtype_f16_to_f32_simd_every_pattern(void **state)
{
	static float a[65536], b[65536];

	(void)state;
	if (!have_x86())
		skip();
	check_decode_all(&F16, EMBMAP_DTYPE_F16, EMB_CVT_X86);
	emb_to_f32_with(EMB_CVT_SCALAR, EMBMAP_DTYPE_F16, every_half, 1, 65536,
			a);
	emb_to_f32_with(EMB_CVT_X86, EMBMAP_DTYPE_F16, every_half, 1, 65536, b);
	assert_memory_equal(a, b, sizeof a);
}

static void test_dtype_bf16_to_f32_scalar_every_pattern(void **state)
{
	(void)state;
	check_decode_all(&BF16, EMBMAP_DTYPE_BF16, EMB_CVT_SCALAR);
}

static void test_dtype_bf16_to_f32_simd_every_pattern(void **state)
{
	static float a[65536], b[65536];

	(void)state;
	if (!have_x86())
		skip();
	check_decode_all(&BF16, EMBMAP_DTYPE_BF16, EMB_CVT_X86);
	emb_to_f32_with(EMB_CVT_SCALAR, EMBMAP_DTYPE_BF16, every_half, 1, 65536,
			a);
	emb_to_f32_with(EMB_CVT_X86, EMBMAP_DTYPE_BF16, every_half, 1, 65536,
			b);
	assert_memory_equal(a, b, sizeof a);
}

/*
 * Both paths on runs of odd lengths starting at odd addresses, with canary
 * floats around the output: nothing outside out[0..n) is written.
 */
static void check_paths_agree(int dtype, uint32_t n, size_t src_off,
			      size_t out_off, float scale)
{
	size_t size = embmap_dtype_size(dtype);
	uint8_t *src = malloc(n * size + src_off);
	float *a = malloc((n + out_off + 1) * sizeof *a);
	float *b = malloc((n + out_off + 1) * sizeof *b);
	const float canary = -12345.5f;

	assert_non_null(src);
	assert_non_null(a);
	assert_non_null(b);
	for (size_t i = 0; i < n * size + src_off; i++)
		src[i] = (uint8_t)rng();
	if (dtype == EMBMAP_DTYPE_I8) /* the format never stores -128 */
		for (size_t i = src_off; i < n + src_off; i++)
			src[i] = src[i] == 0x80 ? 0x81 : src[i];
	for (size_t i = 0; i < n + out_off + 1; i++)
		a[i] = b[i] = canary;

	assert_int_equal(emb_to_f32_with(EMB_CVT_SCALAR, dtype, src + src_off,
					 scale, n, a + out_off),
			 0);
	assert_int_equal(emb_to_f32_with(EMB_CVT_X86, dtype, src + src_off,
					 scale, n, b + out_off),
			 0);
	if (memcmp(a, b, (n + out_off + 1) * sizeof *a) != 0)
		fail_msg("%s: n %u, source offset %zu, output offset %zu, "
			 "scale %a: the paths differ",
			 embmap_dtype_name(dtype), n, src_off, out_off,
			 (double)scale);
	for (size_t i = 0; i < out_off; i++)
		assert_true(f32_bits(b[i]) == f32_bits(canary));
	assert_true(f32_bits(b[n + out_off]) == f32_bits(canary));
	free(src);
	free(a);
	free(b);
}

static const uint32_t odd_lengths[] = {1,  2,  7,  8,	15,  16,
				       17, 33, 64, 768, 769, 4099};

static void check_paths_all_lengths(int dtype, const float *scales,
				    size_t nscales)
{
	for (size_t l = 0; l < sizeof odd_lengths / sizeof *odd_lengths; l++)
		for (size_t so = 0; so < 4; so++)
			for (size_t oo = 0; oo < 3; oo++)
				for (size_t s = 0; s < nscales; s++)
					check_paths_agree(dtype, odd_lengths[l],
							  so, oo, scales[s]);
}

static void test_dtype_i8_simd_matches_scalar(void **state)
{
	const float scales[] = {0.0f,	 1.0f,	  0.02f / 127, 1.5e-42f,
				2.6e36f, FLT_MIN, 3.0e-3f};

	(void)state;
	if (!have_x86())
		skip();
	check_paths_all_lengths(EMBMAP_DTYPE_I8, scales,
				sizeof scales / sizeof *scales);
}

static void test_dtype_half_simd_matches_scalar_unaligned(void **state)
{
	const float one = 1.0f;

	(void)state;
	if (!have_x86())
		skip();
	check_paths_all_lengths(EMBMAP_DTYPE_F16, &one, 1);
	check_paths_all_lengths(EMBMAP_DTYPE_BF16, &one, 1);
}

/* The path is chosen once; a forced path sticks and is refused if absent. */
static void test_dtype_path_selection(void **state)
{
	int before = emb_cvt_current();

	(void)state;
	assert_int_equal(emb_cvt_available(EMB_CVT_SCALAR), 1);
	assert_int_equal(emb_cvt_available(7), 0);
	assert_int_equal(emb_cvt_use(7), -1);
	assert_int_equal(emb_cvt_current(), before);
	assert_int_equal(emb_cvt_use(EMB_CVT_SCALAR), 0);
	assert_int_equal(emb_cvt_current(), EMB_CVT_SCALAR);
	if (emb_cvt_available(EMB_CVT_X86)) {
		assert_int_equal(emb_cvt_use(EMB_CVT_X86), 0);
		assert_int_equal(emb_cvt_current(), EMB_CVT_X86);
	} else {
		float out[1] = {0};

		assert_int_equal(emb_cvt_use(EMB_CVT_X86), -1);
		assert_int_equal(emb_to_f32_with(EMB_CVT_X86, EMBMAP_DTYPE_F16,
						 every_half, 1, 1, out),
				 -1);
	}
	assert_int_equal(emb_cvt_use(before), 0);
}

/* ------------------------------------------------------------------------ */
/* float32 into the stored dtypes                                           */
/* ------------------------------------------------------------------------ */

/*
 * Every pattern through float32 and back through the writer comes out
 * unchanged, NaNs included, and embmap_row_f32 reads back what the
 * scalar decoder gives, on every available path.
 */
static void check_roundtrip_all(int dtype)
{
	static float x[65536], back[65536];
	static uint16_t raw[65536];
	embmap_writer *w;
	embmap *t;

	emb_to_f32_with(EMB_CVT_SCALAR, dtype, every_half, 1, 65536, x);
	w = writer_new("every.emb", 65536, dtype);
	assert_int_equal(embmap_writer_add_rows_f32(w, x, 1, 0), 0);
	t = finish_and_open(w, "every.emb");
	memcpy(raw, embmap_row(t, 0), sizeof raw);
	for (uint32_t i = 0; i < 65536; i++)
		if (raw[i] != every_half[i])
			fail_msg("%s: %04x -> %08x -> %04x",
				 embmap_dtype_name(dtype), every_half[i],
				 f32_bits(x[i]), raw[i]);
	for (int path = EMB_CVT_SCALAR; path <= EMB_CVT_X86; path++) {
		int before = emb_cvt_current();

		if (emb_cvt_use(path) != 0)
			continue;
		memset(back, 0, sizeof back);
		assert_int_equal(embmap_row_f32(t, 0, back), 0);
		assert_int_equal(emb_cvt_use(before), 0);
		assert_memory_equal(back, x, sizeof x);
	}
	embmap_close(t);
}

static void test_dtype_f16_roundtrip_every_pattern(void **state)
{
	(void)state;
	check_roundtrip_all(EMBMAP_DTYPE_F16);
}

static void test_dtype_bf16_roundtrip_every_pattern(void **state)
{
	(void)state;
	check_roundtrip_all(EMBMAP_DTYPE_BF16);
}

/* Named f32 patterns around the edges of f16, both signs added later. */
static const uint32_t f16_edges[] = {
	0x477fe000, /* 65504, the largest finite */
	0x477fefff, /* 65519.996: rounds down to 65504 */
	0x477ff000, /* 65520: the tie rounds to even, infinity */
	0x477ff001, 0x47800000, 0x7f7fffff, /* overflow */
	0x33000000,			    /* 2^-25: ties to zero */
	0x33000001, /* just above: the least subnormal */
	0x33c00000, /* 1.5 * 2^-24: tie to 2 * 2^-24 */
	0x34200000, /* 2.5 * 2^-24: tie to 2 * 2^-24 */
	0x387fc000, /* the largest subnormal */
	0x387fe000, /* tie between it and the least normal: up */
	0x38800000, /* 2^-14, the least normal */
	0x3f801000, /* 1 + 2^-11: tie, down to 1 */
	0x3f803000, /* 1 + 3 * 2^-11: tie, up */
	0x3f801001, 0x3f800fff, 0x00000001, 0x00800000, 0x00000000,
	0x7f800000, /* infinity stays infinity */
	0x7f800001, /* NaN with only low payload: 0x7c01 */
	0x7f802000, 0x7fa00000, 0x7fc00000, 0x7fffffff, 0x7fc00001};

/* The f32 test table: named edges, every exponent, random patterns. */
static uint32_t *f16_table(size_t *count)
{
	size_t n = 0, cap = 2 * (sizeof f16_edges / 4 + 256 * 160) + 100000;
	uint32_t *t = malloc(cap * sizeof *t);
	uint32_t man[160];
	size_t nman = 0;

	assert_non_null(t);
	man[nman++] = 0;
	man[nman++] = 0x7fffff;
	for (int k = 0; k < 23; k++) { /* a tie at every shift, both sides */
		uint32_t one = 1u << k, three = (3u << k) & 0x7fffffu;

		man[nman++] = one;
		man[nman++] = one - 1;
		man[nman++] = one + 1;
		man[nman++] = three;
		man[nman++] = three - 1;
		man[nman++] = three + 1;
	}
	for (size_t s = 0; s < 2; s++) {
		uint32_t sign = s ? 0x80000000u : 0;

		for (size_t i = 0; i < sizeof f16_edges / 4; i++)
			t[n++] = sign | f16_edges[i];
		for (uint32_t e = 0; e < 256; e++)
			for (size_t m = 0; m < nman; m++)
				t[n++] = sign | e << 23 | (man[m] & 0x7fffffu);
	}
	while (n < cap)
		t[n++] = (uint32_t)rng();
	*count = n;
	return t;
}

/*
 * Convert each value alone on one dim-1 writer: a refused value must leave
 * the writer as it was, so the accepted ones form the rows in order.
 * refused[i] is set for the values the library refuses.
 */
static uint16_t *convert_each(int dtype, const uint32_t *x, size_t n,
			      uint8_t *refused)
{
	uint16_t *out = calloc(n, sizeof *out);
	embmap_writer *w = writer_new("each.emb", 1, dtype);
	uint64_t rows = 0, r = 0;
	embmap *t;

	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		float v = bits_f32(x[i]);
		int rc = embmap_writer_add_rows_f32(w, &v, 1, 0);

		refused[i] = rc != 0;
		if (rc)
			assert_int_equal(rc, EMBMAP_EDTYPE);
		else
			rows++;
		assert_int_equal(embmap_writer_rows(w), rows);
	}
	t = finish_and_open(w, "each.emb");
	assert_int_equal(embmap_rows(t), rows);
	for (size_t i = 0; i < n; i++)
		if (!refused[i])
			memcpy(&out[i], embmap_row(t, r++), 2);
	embmap_close(t);
	return out;
}

static void check_against_reference(const struct half_fmt *f, int dtype,
				    const uint32_t *x, size_t n)
{
	uint8_t *refused = malloc(n);
	uint16_t *got;

	assert_non_null(refused);
	got = convert_each(dtype, x, n, refused);
	for (size_t i = 0; i < n; i++) {
		float v = bits_f32(x[i]);
		int over = 0;
		uint16_t want;

		if (isnan(v))
			want = ref_nan(f, x[i]);
		else if (isinf(v))
			want = (uint16_t)((x[i] >> 16 & 0x8000u) |
					  (0x7fffu & ~((1u << f->mbits) - 1)));
		else
			want = ref_round(f, v, &over);
		if (refused[i] != over)
			fail_msg("%s: %08x (%.9g) %s, the reference says %s",
				 embmap_dtype_name(dtype), x[i], (double)v,
				 refused[i] ? "refused" : "accepted",
				 over ? "overflow" : "fits");
		if (!over && got[i] != want)
			fail_msg("%s: %08x (%.9g) gave %04x, want %04x",
				 embmap_dtype_name(dtype), x[i], (double)v,
				 got[i], want);
	}
	free(got);
	free(refused);
}

static void test_dtype_f16_rounding_matches_reference(void **state)
{
	size_t n;
	uint32_t *x = f16_table(&n);

	(void)state;
	check_against_reference(&F16, EMBMAP_DTYPE_F16, x, n);
	free(x);
}

static void test_dtype_bf16_rounding_matches_reference(void **state)
{
	static const uint32_t edges[] = {
		0x7f7f7fff, /* rounds down to the largest finite, 0x7f7f */
		0x7f7f8000, /* tie with infinity: refused */
		0x7f7fffff, 0x3f808000, 0x3f818000,
		0x3f808001, 0x00008000, /* subnormal tie, to zero */
		0x00018000,		/* subnormal tie, up */
		0x007fffff,		/* rounds up into the least normal */
		0x7f800001, 0x7fff0000, 0x7f810000,
		0xffc00000, 0x7f800000};
	size_t n;
	uint32_t *x = f16_table(&n); /* every exponent, every tie shift */

	(void)state;
	for (size_t i = 0; i < sizeof edges / 4; i++) {
		x[i] = edges[i];
		x[i + sizeof edges / 4] = edges[i] | 0x80000000u;
	}
	check_against_reference(&BF16, EMBMAP_DTYPE_BF16, x, n);
	free(x);
}

/*
 * Run the numpy helper, from the repository root where the tests run.
 * EMBMAP_PYTHON overrides the interpreter; by default Debian's, which
 * python3-numpy serves, then the first python3 on PATH. Returns 0 on
 * success, 1 to skip.
 */
static int run_numpy(const char *in, const char *out16, const char *out32)
{
	static const char script[] = "tests/unit/test_dtype_numpy.py";
	const char *env = getenv("EMBMAP_PYTHON");
	const char *pys[] = {env && *env ? env : "/usr/bin/python3", "python3"};
	char cmd[1024];
	int rc = -1;

	if (access(script, R_OK) != 0) {
		print_message("%s not found (run from the repository root): "
			      "no numpy comparison\n",
			      script);
		return 1;
	}
	for (size_t i = 0; i < 2 && rc != 0; i++) {
		snprintf(cmd, sizeof cmd, "'%s' %s '%s' '%s' '%s' 2>/dev/null",
			 pys[i], script, in, out16, out32);
		rc = system(cmd);
	}
	if (rc != 0) {
		print_message("no python3 with numpy (tried %s and python3): "
			      "no numpy comparison\n",
			      pys[0]);
		return 1;
	}
	return 0;
}

static void *read_whole(const char *path, size_t want)
{
	FILE *f = fopen(path, "rb");
	void *p = malloc(want + 1);

	assert_non_null(f);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, want + 1, f), want);
	fclose(f);
	return p;
}

static void test_dtype_f16_matches_numpy(void **state)
{
	char in[128], out16[128], out32[128];
	uint8_t *refused;
	uint16_t *got, *np16;
	uint32_t *np32, *x;
	static float mine[65536];
	size_t n, ninf = 0;
	FILE *f;

	(void)state;
	x = f16_table(&n);
	scratch_path(in, sizeof in, "np-in.f32");
	scratch_path(out16, sizeof out16, "np-out.f16");
	scratch_path(out32, sizeof out32, "np-out.f32");
	f = fopen(in, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(x, 4, n, f), n);
	assert_int_equal(fclose(f), 0);
	if (run_numpy(in, out16, out32)) {
		free(x);
		skip();
	}
	np16 = read_whole(out16, 2 * n);
	np32 = read_whole(out32, 4 * 65536);

	refused = malloc(n);
	assert_non_null(refused);
	got = convert_each(EMBMAP_DTYPE_F16, x, n, refused);
	for (size_t i = 0; i < n; i++) {
		int np_over = (np16[i] & 0x7fffu) == 0x7c00u &&
			      isfinite(bits_f32(x[i]));

		ninf += np_over;
		if (refused[i] != np_over)
			fail_msg("%08x: %s, numpy gives %04x", x[i],
				 refused[i] ? "refused" : "accepted", np16[i]);
		if (!refused[i] && got[i] != np16[i])
			fail_msg("%08x (%.9g): %04x, numpy %04x", x[i],
				 (double)bits_f32(x[i]), got[i], np16[i]);
	}
	assert_true(ninf > 1000); /* the table does reach the overflow */

	for (int path = EMB_CVT_SCALAR; path <= EMB_CVT_X86; path++) {
		if (emb_to_f32_with(path, EMBMAP_DTYPE_F16, every_half, 1,
				    65536, mine) != 0)
			continue;
		for (uint32_t i = 0; i < 65536; i++)
			if (f32_bits(mine[i]) != np32[i])
				fail_msg("path %d: %04x -> %08x, numpy %08x",
					 path, i, f32_bits(mine[i]), np32[i]);
	}
	print_message("f16 agrees with numpy on %zu values and all 65536 "
		      "patterns\n",
		      n);
	free(got);
	free(refused);
	free(np16);
	free(np32);
	free(x);
}

/* A refusal names the row (counting earlier calls), column and value. */
static void check_refusal(int dtype, float bad, const char *value_text)
{
	float rows[3 * 4];
	embmap_writer *w = writer_new("refuse.emb", 4, dtype);
	embmap *t;
	char want[64];

	for (int i = 0; i < 12; i++)
		rows[i] = (float)i / 8;
	assert_int_equal(embmap_writer_add_rows_f32(w, rows, 3, 0), 0);
	assert_int_equal(embmap_writer_add_rows_f32(w, rows, 2, 0), 0);
	rows[1 * 4 + 2] = bad;
	assert_int_equal(embmap_writer_add_rows_f32(w, rows, 3, 0),
			 EMBMAP_EDTYPE);
	assert_int_equal(embmap_writer_rows(w), 5);
	snprintf(want, sizeof want, "row 6, column 2: value %s", value_text);
	if (!strstr(embmap_errmsg(), want))
		fail_msg("%s: errmsg '%s' lacks '%s'", embmap_dtype_name(dtype),
			 embmap_errmsg(), want);
	t = finish_and_open(w, "refuse.emb");
	assert_int_equal(embmap_rows(t), 5);
	embmap_close(t);
}

static void test_dtype_overflow_refused_writes_nothing(void **state)
{
	(void)state;
	check_refusal(EMBMAP_DTYPE_F16, 65520.0f, "65520");
	check_refusal(EMBMAP_DTYPE_F16, -1e6f, "-1000000");
	check_refusal(EMBMAP_DTYPE_BF16, bits_f32(0x7f7f8000),
		      "3.39617753e+38");
	check_refusal(EMBMAP_DTYPE_I8, NAN, "nan");
	check_refusal(EMBMAP_DTYPE_I8, -INFINITY, "-inf");
}

static void test_dtype_saturate_clamps(void **state)
{
	float x[6] = {65520.0f, -1e9f, FLT_MAX, 1.0f, -INFINITY, NAN};
	float s;
	uint16_t h[6];
	int8_t q[6];

	(void)state;
	assert_int_equal(convert_row(EMBMAP_DTYPE_F16, x, 6,
				     EMBMAP_CONVERT_SATURATE, h, NULL),
			 0);
	assert_int_equal(h[0], 0x7bff);
	assert_int_equal(h[1], 0xfbff);
	assert_int_equal(h[2], 0x7bff);
	assert_int_equal(h[3], 0x3c00);
	assert_int_equal(h[4], 0xfc00); /* infinity fits: it is kept */
	assert_int_equal(h[5] & 0x7e00, 0x7e00);

	x[0] = bits_f32(0x7f7f8000);
	x[1] = -FLT_MAX;
	assert_int_equal(convert_row(EMBMAP_DTYPE_BF16, x, 6,
				     EMBMAP_CONVERT_SATURATE, h, NULL),
			 0);
	assert_int_equal(h[0], 0x7f7f);
	assert_int_equal(h[1], 0xff7f);
	assert_int_equal(h[2], 0x7f7f);
	assert_int_equal(h[3], 0x3f80);
	assert_int_equal(h[4], 0xff80);

	/* i8: NaN becomes 0, infinities the row's largest finite value. */
	float y[6] = {NAN, INFINITY, -INFINITY, 2.0f, -1.0f, 0.0f};

	assert_int_equal(convert_row(EMBMAP_DTYPE_I8, y, 6,
				     EMBMAP_CONVERT_SATURATE, q, &s),
			 0);
	assert_true(s >= 2.0f / 127 && (double)s * 127 >= 2.0);
	assert_int_equal(q[0], 0);
	assert_int_equal(q[1], 127);
	assert_int_equal(q[2], -127);
	assert_int_equal(q[3], 127);
	assert_int_equal(q[5], 0);

	/* Without the flag the same row is refused. */
	assert_int_equal(convert_row(EMBMAP_DTYPE_I8, y, 6, 0, q, &s),
			 EMBMAP_EDTYPE);
}

/* ------------------------------------------------------------------------ */
/* i8 quantization                                                          */
/* ------------------------------------------------------------------------ */

/*
 * The least float32 s with s * 127 >= amax, searched independently; the
 * one below it when 127 * s rounds to infinity in float32 (at or above
 * 2^128 - 2^103, halfway between FLT_MAX and 2^128).
 */
static float ref_scale(float amax)
{
	float s = (float)((double)amax / 127.0);

	while (s > 0 && (double)nextafterf(s, 0) * 127.0 >= (double)amax)
		s = nextafterf(s, 0);
	while ((double)s * 127.0 < (double)amax)
		s = nextafterf(s, INFINITY);
	if ((double)s * 127.0 >= 0x1p128 - 0x1p103)
		s = nextafterf(s, 0);
	return s;
}

/*
 * Quantize one row and check: the scale is max|x| / 127 rounded up, every
 * q in -127..127, and every element within half a step of its value (plus
 * the float32 rounding of q * scale and of x / scale, well under 2^-15
 * steps), read back through embmap_row_f32.
 */
static void check_i8_row(const float *x, uint32_t n, const char *what)
{
	int8_t *q = malloc(n);
	float *back = malloc(n * sizeof *back);
	float amax = 0, s;
	embmap_writer *w;
	embmap *t;

	assert_non_null(q);
	assert_non_null(back);
	for (uint32_t i = 0; i < n; i++)
		amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
	w = writer_new("i8.emb", n, EMBMAP_DTYPE_I8);
	assert_int_equal(embmap_writer_add_rows_f32(w, x, 1, 0), 0);
	t = finish_and_open(w, "i8.emb");
	memcpy(q, embmap_row(t, 0), n);
	s = embmap_row_scale(t, 0);
	assert_int_equal(embmap_row_f32(t, 0, back), 0);
	embmap_close(t);

	if (f32_bits(s) != f32_bits(ref_scale(amax)))
		fail_msg("%s: scale %a for max %a, want %a", what, (double)s,
			 (double)amax, (double)ref_scale(amax));
	for (uint32_t i = 0; i < n; i++) {
		double err = fabs((double)x[i] - (double)back[i]);
		double bound = (double)s / 2 + (double)s * 0x1p-15;

		if (q[i] == -128)
			fail_msg("%s: q[%u] = %d", what, i, q[i]);
		if (f32_bits(back[i]) != f32_bits(s * (float)q[i]))
			fail_msg("%s: value %u is not scale * q", what, i);
		if (err > bound)
			fail_msg("%s: x[%u] = %a, scale %a, q %d: error %a > "
				 "%a",
				 what, i, (double)x[i], (double)s, q[i], err,
				 bound);
	}
	free(q);
	free(back);
}

static void test_dtype_i8_error_within_half_step(void **state)
{
	static const double mags[] = {1e-44, 1e-40, 1e-38, 1e-6, 0.02,
				      1.0,   3e4,   1e20,  1e36, 3.3e38};
	static float x[769];

	(void)state;
	for (size_t m = 0; m < sizeof mags / sizeof *mags; m++)
		for (size_t l = 0;
		     l < sizeof odd_lengths / sizeof *odd_lengths - 1; l++) {
			uint32_t n = odd_lengths[l];
			char what[64];

			for (uint32_t i = 0; i < n; i++)
				x[i] = (float)(rng_unit() * mags[m]);
			snprintf(what, sizeof what, "magnitude %g, %u values",
				 mags[m], n);
			check_i8_row(x, n, what);
		}

	/* Every step exactly, and every tie, with scale 1: 127 then k + 0.5. */
	x[0] = 127;
	for (uint32_t i = 1; i < 255; i++)
		x[i] = (float)((int)i - 128) + 0.5f;
	check_i8_row(x, 255, "ties");
	for (uint32_t i = 0; i < 255; i++)
		x[i] = (float)((int)i - 127);
	check_i8_row(x, 255, "every step");

	memset(x, 0, sizeof x);
	check_i8_row(x, 769, "all zero");
	for (uint32_t i = 0; i < 33; i++)
		x[i] = -0.0f;
	check_i8_row(x, 33, "negative zeros");

	for (uint32_t i = 0; i < 768; i++)
		x[i] = (float)(rng_unit() * 0.02);
	x[300] = 3.0e38f;
	check_i8_row(x, 768, "one huge value");
	x[300] = -FLT_MAX;
	check_i8_row(x, 768, "one huge negative value");
	x[0] = FLT_TRUE_MIN;
	check_i8_row(x, 1, "one subnormal");
}

/* q = x / scale rounded to nearest, ties to even. */
static void test_dtype_i8_ties_to_even(void **state)
{
	float x[255], s;
	int8_t q[255];

	(void)state;
	x[0] = 127; /* scale 1 exactly */
	for (uint32_t i = 1; i < 255; i++)
		x[i] = (float)((int)i - 128) + 0.5f;
	assert_int_equal(convert_row(EMBMAP_DTYPE_I8, x, 255, 0, q, &s), 0);
	assert_true(s == 1.0f);
	assert_int_equal(q[0], 127);
	for (uint32_t i = 1; i < 255; i++) {
		int lo = (int)i - 128, want = lo % 2 == 0 ? lo : lo + 1;

		if (q[i] != want)
			fail_msg("%.1f gave q %d, want %d", (double)x[i], q[i],
				 want);
	}
}

/* The rounding mode of the caller does not change what is written. */
static void test_dtype_i8_ignores_rounding_mode(void **state)
{
	static const int modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
	float x[769], s0, s1;
	int8_t q0[769], q1[769];

	(void)state;
	for (uint32_t i = 0; i < 769; i++)
		x[i] = (float)(rng_unit() * 0.02);
	assert_int_equal(convert_row(EMBMAP_DTYPE_I8, x, 769, 0, q0, &s0), 0);
	for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
		int rc;

		assert_int_equal(fesetround(modes[m]), 0);
		rc = convert_row(EMBMAP_DTYPE_I8, x, 769, 0, q1, &s1);
		assert_int_equal(fegetround(), modes[m]);
		fesetround(FE_TONEAREST);
		assert_int_equal(rc, 0);
		assert_true(f32_bits(s0) == f32_bits(s1));
		assert_memory_equal(q0, q1, sizeof q0);
	}
}

/* gather and row_f32 agree with a per-row scalar conversion, every path. */
static void test_dtype_gather_every_dtype_and_path(void **state)
{
	static const int dtypes[] = {EMBMAP_DTYPE_F32, EMBMAP_DTYPE_F16,
				     EMBMAP_DTYPE_BF16, EMBMAP_DTYPE_I8};
	enum { ROWS = 97, DIM = 45, N = 64 };
	static float x[ROWS * DIM], got[N * DIM], want[DIM], row[DIM];
	uint32_t ids[N];
	int before = emb_cvt_current();

	(void)state;
	for (size_t i = 0; i < ROWS * DIM; i++)
		x[i] = (float)(rng_unit() * 3);
	for (size_t i = 0; i < N; i++)
		ids[i] = (uint32_t)(rng() % ROWS);
	for (size_t d = 0; d < 4; d++) {
		embmap_writer *w = writer_new("g.emb", DIM, dtypes[d]);
		embmap *t;

		assert_int_equal(embmap_writer_add_rows_f32(w, x, ROWS, 0), 0);
		t = finish_and_open(w, "g.emb");
		for (int path = EMB_CVT_SCALAR; path <= EMB_CVT_X86; path++) {
			if (emb_cvt_use(path) != 0)
				continue;
			memset(got, 0, sizeof got);
			assert_int_equal(embmap_gather_f32(t, ids, N, got), 0);
			for (size_t i = 0; i < N; i++) {
				emb_to_f32_with(EMB_CVT_SCALAR, dtypes[d],
						embmap_row(t, ids[i]),
						embmap_row_scale(t, ids[i]),
						DIM, want);
				assert_memory_equal(got + i * DIM, want,
						    sizeof want);
				assert_int_equal(embmap_row_f32(t, ids[i], row),
						 0);
				assert_memory_equal(row, want, sizeof want);
			}
		}
		assert_int_equal(emb_cvt_use(before), 0);
		embmap_close(t);
	}
}

/* ------------------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < 65536; i++)
		every_half[i] = (uint16_t)i;
	snprintf(scratch, sizeof scratch, "%s/embmap-dtype-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = {
		"row.emb", "every.emb", "each.emb",   "refuse.emb", "i8.emb",
		"g.emb",   "np-in.f32", "np-out.f16", "np-out.f32"};
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		scratch_path(path, sizeof path, names[i]);
		unlink(path);
	}
	return rmdir(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtype_names_and_sizes),
		cmocka_unit_test(test_dtype_f16_to_f32_scalar_every_pattern),
		cmocka_unit_test(test_dtype_f16_to_f32_simd_every_pattern),
		cmocka_unit_test(test_dtype_bf16_to_f32_scalar_every_pattern),
		cmocka_unit_test(test_dtype_bf16_to_f32_simd_every_pattern),
		cmocka_unit_test(test_dtype_i8_simd_matches_scalar),
		cmocka_unit_test(test_dtype_half_simd_matches_scalar_unaligned),
		cmocka_unit_test(test_dtype_path_selection),
		cmocka_unit_test(test_dtype_f16_roundtrip_every_pattern),
		cmocka_unit_test(test_dtype_bf16_roundtrip_every_pattern),
		cmocka_unit_test(test_dtype_f16_rounding_matches_reference),
		cmocka_unit_test(test_dtype_bf16_rounding_matches_reference),
		cmocka_unit_test(test_dtype_f16_matches_numpy),
		cmocka_unit_test(test_dtype_overflow_refused_writes_nothing),
		cmocka_unit_test(test_dtype_saturate_clamps),
		cmocka_unit_test(test_dtype_i8_error_within_half_step),
		cmocka_unit_test(test_dtype_i8_ties_to_even),
		cmocka_unit_test(test_dtype_i8_ignores_rounding_mode),
		cmocka_unit_test(test_dtype_gather_every_dtype_and_path),
	};

	return cmocka_run_group_tests_name("dtype", tests, setup, teardown);
}
