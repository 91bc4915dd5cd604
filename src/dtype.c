/*
 * dtype.c - element types and their conversion to float32.
 *
 * Both half-precision conversions to float32 are exact and keep every bit:
 * each f16 and bf16 value, subnormals and infinities included, has a
 * binary32 equal to it, and a NaN keeps its sign and payload, a signalling
 * NaN staying signalling (as numpy does), so that converting back with
 * convert.c's rules gives the stored bits again. i8 gives scale * q,
 * one float32 multiplication.
 *
 * The code here is the portable reference; dtype_x86.c gives the same bits
 * faster on x86-64 and is chosen once, at the first conversion.
 */
#include <string.h>

#include "internal.h"

const char *embmap_dtype_name(int dtype)
{
	switch (dtype) {
	case EMBMAP_DTYPE_F32: return "f32";
	case EMBMAP_DTYPE_F16: return "f16";
	case EMBMAP_DTYPE_BF16: return "bf16";
	case EMBMAP_DTYPE_I8: return "i8";
	default: return NULL;
	}
}

size_t embmap_dtype_size(int dtype)
{
	switch (dtype) {
	case EMBMAP_DTYPE_F32: return 4;
	case EMBMAP_DTYPE_F16:
	case EMBMAP_DTYPE_BF16: return 2;
	case EMBMAP_DTYPE_I8: return 1;
	default: return 0;
	}
}

uint32_t emb_default_block_rows(uint64_t stride)
{
	uint32_t rows = 1;

	while ((uint64_t)rows * 2 * stride <= EMBMAP_BLOCK_BYTES_TARGET &&
	       rows < EMBMAP_MAX_BLOCK_ROWS)
		rows *= 2;
	return rows;
}

static float bits_to_f32(uint32_t bits)
{
	float f;

	memcpy(&f, &bits, sizeof f);
	return f;
}

static uint32_t f32_to_bits(float f)
{
	uint32_t bits;

	memcpy(&bits, &f, sizeof bits);
	return bits;
}

/*
 * binary16 -> binary32 by moving fields. A subnormal or zero is m * 2^-24,
 * computed in float: both steps are exact (m < 2^10, the product a normal
 * binary32), so no rounding mode or flush-to-zero setting can change it.
 */
static float f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t em = h & 0x7fffu; /* exponent and fraction */
	uint32_t bits;

	if (em >= 0x7c00u) /* infinity or NaN: the payload moves as it is */
		bits = 0x7f800000u | (em << 13);
	else if (em >= 0x0400u) /* normal: rebias the exponent, 15 -> 127 */
		bits = (em << 13) + (112u << 23);
	else
		bits = f32_to_bits((float)em * 0x1p-24f);
	return bits_to_f32(sign | bits);
}

static void f16_scalar(const uint8_t *p, size_t count, float *out)
{
	for (size_t i = 0; i < count; i++) {
		uint16_t h;

		memcpy(&h, p + 2 * i, 2);
		out[i] = f16_to_f32(h);
	}
}

static void bf16_scalar(const uint8_t *p, size_t count, float *out)
{
	for (size_t i = 0; i < count; i++) {
		uint16_t b;

		memcpy(&b, p + 2 * i, 2);
		out[i] = bits_to_f32((uint32_t)b << 16);
	}
}

static void i8_scalar(const uint8_t *p, float scale, size_t count, float *out)
{
	for (size_t i = 0; i < count; i++)
		out[i] = scale * (float)(int8_t)p[i];
}

int emb_cvt_available(int path)
{
	static int x86 = -1; /* unknown; racing threads store the same */
	int v;

	if (path == EMB_CVT_SCALAR)
		return 1;
	if (path != EMB_CVT_X86 || !EMB_HAVE_X86)
		return 0;
	v = __atomic_load_n(&x86, __ATOMIC_RELAXED);
	if (v < 0) {
#if EMB_HAVE_X86
		v = emb_x86_usable();
#endif
		__atomic_store_n(&x86, v, __ATOMIC_RELAXED);
	}
	return v;
}

/* path is one the CPU has. */
static void convert(int path, int dtype, const uint8_t *p, float scale,
		    size_t count, float *out)
{
	if (dtype == EMBMAP_DTYPE_F32) {
		memcpy(out, p, count * 4);
		return;
	}
#if EMB_HAVE_X86
	if (path == EMB_CVT_X86) {
		switch (dtype) {
		case EMBMAP_DTYPE_F16: emb_x86_f16(p, count, out); break;
		case EMBMAP_DTYPE_BF16: emb_x86_bf16(p, count, out); break;
		case EMBMAP_DTYPE_I8: emb_x86_i8(p, scale, count, out); break;
		default: break;
		}
		return;
	}
#else
	(void)path;
#endif
	switch (dtype) {
	case EMBMAP_DTYPE_F16: f16_scalar(p, count, out); break;
	case EMBMAP_DTYPE_BF16: bf16_scalar(p, count, out); break;
	case EMBMAP_DTYPE_I8: i8_scalar(p, scale, count, out); break;
	default: break;
	}
}

int emb_to_f32_with(int path, int dtype, const void *src, float scale,
		    size_t count, float *out)
{
	if (!emb_cvt_available(path))
		return -1;
	convert(path, dtype, src, scale, count, out);
	return 0;
}

/* The path emb_to_f32 uses; -1 until the first conversion decides. */
static int current_path = -1;

int emb_cvt_current(void)
{
	int path = __atomic_load_n(&current_path, __ATOMIC_RELAXED);

	if (EMB_UNLIKELY(path < 0)) {
		path = emb_cvt_available(EMB_CVT_X86) ? EMB_CVT_X86
						      : EMB_CVT_SCALAR;
		__atomic_store_n(&current_path, path, __ATOMIC_RELAXED);
	}
	return path;
}

int emb_cvt_use(int path)
{
	if (!emb_cvt_available(path))
		return -1;
	__atomic_store_n(&current_path, path, __ATOMIC_RELAXED);
	return 0;
}

void emb_to_f32(int dtype, const void *src, float scale, size_t count,
		float *out)
{
	convert(emb_cvt_current(), dtype, src, scale, count, out);
}
