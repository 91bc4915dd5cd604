/*
 * convert.c - float32 rows into the stored dtypes, at write time.
 *
 * f16 and bf16: rounding is to nearest, ties to even, done on the bit
 * patterns so that the result does not depend on the compiler, the FPU
 * mode or the CPU: the same input gives the same file everywhere. A NaN
 * keeps its sign and the top bits of its payload (a signalling NaN stays
 * signalling); when those bits are all zero the lowest one is set, so that
 * it stays a NaN. f16 results agree bit for bit with numpy's
 * astype(np.float16), NaN payloads included, and bf16 follows the same
 * rules. Every f16 and bf16 pattern survives the trip to float32 (dtype.c)
 * and back unchanged.
 *
 * i8: scale = max|x| / 127 rounded up to a float32, so that no |x| / scale
 * exceeds 127 (except next to FLT_MAX, see i8_scale); q = x / scale rounded
 * to nearest, ties to even, clamped to -127..127, in round-to-nearest mode
 * whatever mode the caller has set.
 */
#include <fenv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Rows are converted this many at a time through a bounded buffer. */
#define CONVERT_CHUNK_BYTES (1u << 20)

#define BF16_MAX_BITS 0x7f7fu

static uint32_t f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	return u;
}

/* Round the low `shift` bits of m away, to nearest, ties to even. */
static uint32_t round_shift(uint32_t m, unsigned shift)
{
	uint32_t q = m >> shift;
	uint32_t rem = m & ((1u << shift) - 1);
	uint32_t half = 1u << (shift - 1);

	return q + (rem > half || (rem == half && (q & 1)));
}

/* binary32 -> binary16; *overflow set when a finite x rounds to infinity. */
static uint16_t f32_to_f16(uint32_t x, int *overflow)
{
	uint32_t sign = (x >> 16) & 0x8000u;
	uint32_t abs = x & 0x7fffffffu;
	uint32_t e = abs >> 23;

	if (abs > 0x7f800000u) { /* NaN: keep the top payload bits */
		uint32_t h = 0x7c00u | ((abs & 0x7fffffu) >> 13);

		return (uint16_t)(sign | (h == 0x7c00u ? 0x7c01u : h));
	}
	if (abs == 0x7f800000u)
		return (uint16_t)(sign | 0x7c00u);
	if (abs >= 0x477ff000u) { /* 65520 and up round to infinity */
		*overflow = 1;
		return (uint16_t)(sign | 0x7c00u);
	}
	if (abs <= 0x33000000u) /* 2^-25 and below round to zero */
		return (uint16_t)sign;
	if (e < 113) /* a binary16 subnormal, in units of 2^-24 */
		return (uint16_t)(sign |
				  round_shift((abs & 0x7fffffu) | 0x800000u,
					      126 - e));
	/* Normal: rebias the exponent; a mantissa carry bumps it, as it must. */
	return (uint16_t)(sign | round_shift(abs - (112u << 23), 13));
}

/* binary32 -> bfloat16, the same rules. */
static uint16_t f32_to_bf16(uint32_t x, int *overflow)
{
	uint32_t abs = x & 0x7fffffffu;
	uint32_t y;

	if (abs > 0x7f800000u) /* NaN: truncated, and kept a NaN */
		return (uint16_t)((x >> 16) | ((x & 0x7f0000u) ? 0 : 1));
	y = (x + 0x7fffu + ((x >> 16) & 1)) >> 16;
	if (abs != 0x7f800000u && (y & 0x7f80u) == 0x7f80u)
		*overflow = 1;
	return (uint16_t)y;
}

static int refuse(const embmap_writer *w, uint64_t row, uint32_t col, float v,
		  const char *why)
{
	uint64_t at = embmap_writer_rows(w) + row;

	return emb_fail(EMBMAP_EDTYPE, "row %llu, column %u: value %.9g %s",
			(unsigned long long)at, col, (double)v, why);
}

/*
 * Find the first value the dtype cannot hold, before anything is written,
 * so that a refused call leaves the file as it was.
 */
static int prescan(const embmap_writer *w, int dtype, const float *in,
		   uint64_t n, uint32_t dim)
{
	for (uint64_t i = 0; i < n * dim; i++) {
		uint32_t abs = f32_bits(in[i]) & 0x7fffffffu;
		uint64_t r = i / dim;
		uint32_t c = (uint32_t)(i % dim);

		if (dtype == EMBMAP_DTYPE_I8 && abs >= 0x7f800000u)
			return refuse(w, r, c, in[i],
				      "cannot be stored in "
				      "i8; see --saturate");
		if (abs >= 0x7f800000u)
			continue;
		if (dtype == EMBMAP_DTYPE_F16 && abs >= 0x477ff000u)
			return refuse(w, r, c, in[i],
				      "overflows f16 (largest"
				      " finite 65504); see --saturate");
		if (dtype == EMBMAP_DTYPE_BF16 && abs >= 0x7f7f8000u)
			return refuse(w, r, c, in[i],
				      "overflows bf16 "
				      "(largest finite 3.3895314e38); see "
				      "--saturate");
	}
	return 0;
}

static void to_half(int dtype, const float *in, uint64_t count, uint16_t *out)
{
	for (uint64_t i = 0; i < count; i++) {
		uint32_t x = f32_bits(in[i]);
		int over = 0;

		out[i] = dtype == EMBMAP_DTYPE_F16 ? f32_to_f16(x, &over)
						   : f32_to_bf16(x, &over);
		if (over) /* only reached when saturating */
			out[i] = (uint16_t)((x >> 16 & 0x8000u) |
					    (dtype == EMBMAP_DTYPE_F16
						     ? 0x7bffu
						     : BF16_MAX_BITS));
	}
}

/*
 * max|x| / 127 rounded up, so that scale * 127 >= max|x| exactly; but
 * rounded down when 127 * scale would round to infinity in float32 on
 * reading (max|x| a few ulps from FLT_MAX), where q = 127 then errs by far
 * less than a step.
 */
static float i8_scale(float amax)
{
	float s = amax / 127.0f;

	/* The products are exact in double: 24 + 7 bits. */
	if ((double)s * 127.0 < (double)amax)
		s = nextafterf(s, INFINITY);
	if (isinf(s * 127.0f))
		s = nextafterf(s, 0);
	return s;
}

/*
 * One i8 row: the scale from the finite values; q = x / scale rounded half
 * to even, which lies in -127..127 by the choice of scale but for
 * saturated infinities, which the clamp takes to +-127. NaN (saturated)
 * and an all-zero row give 0.
 */
static void to_i8_row(const float *x, uint32_t dim, int8_t *q, float *scale)
{
	float amax = 0;

	for (uint32_t c = 0; c < dim; c++) {
		float a = fabsf(x[c]);

		if (isfinite(a) && a > amax)
			amax = a;
	}
	*scale = i8_scale(amax);
	for (uint32_t c = 0; c < dim; c++) {
		float v = x[c], t;

		if (isnan(v) || *scale == 0) {
			q[c] = 0;
			continue;
		}
		t = isinf(v) ? copysignf(127.0f, v) : nearbyintf(v / *scale);
		q[c] = (int8_t)(t > 127 ? 127 : t < -127 ? -127 : t);
	}
}

/* The i8 arithmetic in round-to-nearest, restoring the caller's mode. */
static int add_i8(embmap_writer *w, const float *in, uint64_t k, uint32_t dim,
		  int8_t *q, float *scales)
{
	int mode = fegetround();

	if (mode != FE_TONEAREST)
		fesetround(FE_TONEAREST);
	for (uint64_t r = 0; r < k; r++)
		to_i8_row(in + r * dim, dim, q + r * dim, &scales[r]);
	if (mode != FE_TONEAREST)
		fesetround(mode);
	return embmap_writer_add_rows_i8(w, q, scales, k);
}

int embmap_writer_add_rows_f32(embmap_writer *w, const float *rows, uint64_t n,
			       unsigned flags)
{
	int dtype, rc = 0;
	uint32_t dim;
	uint64_t chunk;
	void *buf;
	float *scales;

	if (!w || (!rows && n))
		return emb_fail(EMBMAP_EINVAL, "embmap_writer_add_rows_f32: "
					       "NULL argument");
	dtype = emb_writer_dtype(w);
	dim = emb_writer_dim(w);
	if (dtype == EMBMAP_DTYPE_F32)
		return embmap_writer_add_rows(w, rows, n);
	if (!(flags & EMBMAP_CONVERT_SATURATE) &&
	    (rc = prescan(w, dtype, rows, n, dim)) != 0)
		return rc;

	/* A bounded buffer, and no bigger than this call needs. */
	chunk = CONVERT_CHUNK_BYTES / ((uint64_t)dim * sizeof(float));
	if (chunk > n)
		chunk = n;
	if (chunk == 0)
		chunk = 1;
	buf = malloc((size_t)(chunk * dim * sizeof(uint16_t)));
	scales = malloc((size_t)chunk * sizeof *scales);
	if (!buf || !scales) {
		free(buf);
		free(scales);
		return emb_fail(EMBMAP_ENOMEM, "convert: row buffer");
	}
	for (uint64_t done = 0; done < n && rc == 0; done += chunk) {
		uint64_t k = n - done < chunk ? n - done : chunk;
		const float *in = rows + done * dim;

		if (dtype == EMBMAP_DTYPE_I8) {
			rc = add_i8(w, in, k, dim, buf, scales);
		} else {
			to_half(dtype, in, k * dim, buf);
			rc = embmap_writer_add_rows(w, buf, k);
		}
	}
	free(buf);
	free(scales);
	return rc;
}
