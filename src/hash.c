/*
 * hash.c - the XXH3 functions the format uses, bound to the fastest build
 * the CPU runs.
 *
 * Debian's libxxhash exports, besides its portable (SSE2 on x86-64) entry
 * points, a *_dispatch family that picks AVX2 or AVX-512 at run time. Both
 * compute the same values; the dispatched one hashes at memory speed, which
 * is what keeps a full verify close to the cost of reading the file.
 */
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#endif

#include "internal.h"

uint64_t emb_hash64(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

void emb_hash128(const void *p, size_t n, uint8_t out[16])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	__builtin_memcpy(out, c.digest, 16);
}

/* Rows hashed per batch: the row hashes stay in L1 between the updates. */
#define ROW_BATCH 256u

void emb_hash_rows(const uint8_t *p, uint64_t n, uint64_t stride,
		   struct XXH3_state_s *block, struct XXH3_state_s *content)
{
	uint64_t r[ROW_BATCH];

	while (n) {
		uint64_t k = n < ROW_BATCH ? n : ROW_BATCH;

		for (uint64_t i = 0; i < k; i++)
			r[i] = XXH3_64bits(p + i * stride, (size_t)stride);
		if (block)
			XXH3_64bits_update(block, r, (size_t)(8 * k));
		if (content)
			XXH3_128bits_update(content, r, (size_t)(8 * k));
		p += k * stride;
		n -= k;
	}
}
