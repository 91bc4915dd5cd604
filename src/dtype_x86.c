/*
 * dtype_x86.c - the x86-64 conversions of stored rows to float32, with AVX2
 * and F16C, chosen at run time by dtype.c when the CPU and the OS support
 * them.
 *
 * They give the same bits as the portable code in dtype.c for every input,
 * which tests/unit/test_dtype.c checks over all 65,536 half-precision
 * patterns. The one place where the hardware differs is a signalling NaN:
 * VCVTPH2PS quiets it (sets the top payload bit), while the portable code,
 * like numpy, keeps the bit pattern; f16_x8() puts the bit back.
 */
#include <string.h>

#include "internal.h"

#if EMB_HAVE_X86

#include <cpuid.h>
#include <immintrin.h>

#define X86_TARGET __attribute__((target("avx2,f16c")))

int emb_x86_usable(void)
{
	unsigned a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX) || !(c & bit_F16C))
		return 0;

	/* The OS must save the YMM registers, or AVX faults. */
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	if ((lo & 6) != 6)
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & bit_AVX2) != 0;
}

X86_TARGET static inline __m256 f16_x8(__m128i h)
{
	__m128i a = _mm_and_si128(h, _mm_set1_epi16(0x7fff));
	__m128i snan =
		_mm_and_si128(_mm_cmpgt_epi16(a, _mm_set1_epi16(0x7c00)),
			      _mm_cmplt_epi16(a, _mm_set1_epi16(0x7e00)));
	__m256 f = _mm256_cvtph_ps(h);

	/* Rare in real tables, so a branch costs less than the fix. */
	if (EMB_UNLIKELY(!_mm_testz_si128(snan, snan))) {
		__m256i quiet = _mm256_and_si256(_mm256_cvtepi16_epi32(snan),
						 _mm256_set1_epi32(0x00400000));

		f = _mm256_andnot_ps(_mm256_castsi256_ps(quiet), f);
	}
	return f;
}

X86_TARGET void emb_x86_f16(const uint8_t *src, size_t n, float *out)
{
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i h0 = _mm_loadu_si128((const void *)(src + 2 * i));
		__m128i h1 = _mm_loadu_si128((const void *)(src + 2 * i + 16));

		_mm256_storeu_ps(out + i, f16_x8(h0));
		_mm256_storeu_ps(out + i + 8, f16_x8(h1));
	}
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(
			out + i,
			f16_x8(_mm_loadu_si128((const void *)(src + 2 * i))));
	if (i < n) { /* the tail goes through the same code, padded */
		uint16_t h[8] = {0};
		float f[8];

		memcpy(h, src + 2 * i, 2 * (n - i));
		_mm256_storeu_ps(f, f16_x8(_mm_loadu_si128((const void *)h)));
		memcpy(out + i, f, 4 * (n - i));
	}
}

X86_TARGET static inline __m256 bf16_x8(__m128i b)
{
	return _mm256_castsi256_ps(
		_mm256_slli_epi32(_mm256_cvtepu16_epi32(b), 16));
}

X86_TARGET void emb_x86_bf16(const uint8_t *src, size_t n, float *out)
{
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i b0 = _mm_loadu_si128((const void *)(src + 2 * i));
		__m128i b1 = _mm_loadu_si128((const void *)(src + 2 * i + 16));

		_mm256_storeu_ps(out + i, bf16_x8(b0));
		_mm256_storeu_ps(out + i + 8, bf16_x8(b1));
	}
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(
			out + i,
			bf16_x8(_mm_loadu_si128((const void *)(src + 2 * i))));
	if (i < n) {
		uint16_t b[8] = {0};
		float f[8];

		memcpy(b, src + 2 * i, 2 * (n - i));
		_mm256_storeu_ps(f, bf16_x8(_mm_loadu_si128((const void *)b)));
		memcpy(out + i, f, 4 * (n - i));
	}
}

/* (float)q is exact and the product is rounded once, as in the scalar loop. */
X86_TARGET static inline __m256 i8_x8(__m128i q, __m256 s)
{
	return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), s);
}

X86_TARGET void emb_x86_i8(const uint8_t *src, float scale, size_t n,
			   float *out)
{
	__m256 s = _mm256_set1_ps(scale);
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i q = _mm_loadu_si128((const void *)(src + i));

		_mm256_storeu_ps(out + i, i8_x8(q, s));
		_mm256_storeu_ps(out + i + 8, i8_x8(_mm_srli_si128(q, 8), s));
	}
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(
			out + i,
			i8_x8(_mm_loadl_epi64((const void *)(src + i)), s));
	if (i < n) {
		uint8_t q[8] = {0};
		float f[8];

		memcpy(q, src + i, n - i);
		_mm256_storeu_ps(f, i8_x8(_mm_loadl_epi64((const void *)q), s));
		memcpy(out + i, f, 4 * (n - i));
	}
}

#else

/* ISO C wants a translation unit to declare something. */
typedef int emb_no_x86_conversions;

#endif
