/*
 * dtype.c - element types and their conversion to float32.
 *
 * Both half-precision conversions to float32 are exact: every f16 and bf16
 * value, subnormals, infinities and NaN payloads included, has a binary32
 * equal to it.
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
	case EMBMAP_DTYPE_F16: return 2;
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

/* binary16 -> binary32 by moving fields; subnormals are normalised. */
static float f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1fu;
	uint32_t man = h & 0x3ffu;

	if (exp == 0x1f)
		return bits_to_f32(sign | 0x7f800000u | (man << 13));
	if (exp != 0)
		return bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
	if (man == 0)
		return bits_to_f32(sign);
	exp = 113;
	while (!(man & 0x400u)) {
		man <<= 1;
		exp--;
	}
	return bits_to_f32(sign | (exp << 23) | ((man & 0x3ffu) << 13));
}

void emb_to_f32(int dtype, const void *src, float scale, size_t count,
		float *out)
{
	const uint8_t *p = src;

	switch (dtype) {
	case EMBMAP_DTYPE_F32: memcpy(out, p, count * 4); break;
	case EMBMAP_DTYPE_F16:
		for (size_t i = 0; i < count; i++) {
			uint16_t h;

			memcpy(&h, p + 2 * i, 2);
			out[i] = f16_to_f32(h);
		}
		break;
	case EMBMAP_DTYPE_BF16:
		for (size_t i = 0; i < count; i++) {
			uint16_t b;

			memcpy(&b, p + 2 * i, 2);
			out[i] = bits_to_f32((uint32_t)b << 16);
		}
		break;
	case EMBMAP_DTYPE_I8:
		for (size_t i = 0; i < count; i++)
			out[i] = scale * (float)(int8_t)p[i];
		break;
	default: break;
	}
}
