/*
 * fuzz_open.c - any bytes through embmap_open_buffer, and everything that
 * reads an opened table: verify, rows, gather, tokens, find, metadata.
 *
 * Input: one control byte, then the file. Control bit 0 asks for the
 * checksums to be recomputed first (see fixup.c), so mutations reach the
 * structural checks instead of dying at the header checksum.
 *
 * Oracle: when verify accepts the file, every token must be found again
 * and find must return an id whose token has the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "embmap.h"
#include "fixup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_damage(void *ctx, const struct embmap_damage *d)
{
	if (!d->detail ||
	    (d->code != EMBMAP_ECHECKSUM && d->code != EMBMAP_ECORRUPT))
		abort(); /* every damage must say what and why */
	++*(unsigned *)ctx;
}

static void check_tokens(const embmap *t, int verified)
{
	uint64_t n = embmap_tokens(t);

	for (uint64_t id = 0; id < n && id < 64; id++) {
		size_t len, flen;
		const char *tok = embmap_token(t, id, &len);
		int64_t found;
		const char *ftok;

		if (!tok) {
			if (verified)
				abort(); /* verify passed a bad offset */
			continue;
		}
		found = embmap_find(t, tok, len);
		if (!verified)
			continue;
		ftok = found >= 0 ? embmap_token(t, (uint64_t)found, &flen)
				  : NULL;
		if (!ftok || flen != len || memcmp(ftok, tok, len) != 0)
			abort(); /* the index lost a token verify accepted */
	}
}

static void exercise(const embmap *t, const uint8_t *data, size_t size)
{
	uint64_t rows = embmap_rows(t);
	uint32_t dim = embmap_dim(t);
	unsigned damaged = 0;
	int verified = embmap_verify(t, on_damage, &damaged) == 0;
	float *out = malloc((size_t)dim * 2 * sizeof *out);
	uint32_t ids[2] = {0, (uint32_t)(rows - 1)};
	const char *k, *v;
	size_t cur = 0;

	if (verified != (damaged == 0))
		abort(); /* verify's result and its reports disagree */
	if (out) {
		embmap_row_f32(t, 0, out);
		embmap_row_f32(t, rows - 1, out);
		if (rows <= UINT32_MAX)
			embmap_gather_f32(t, ids, 2, out);
		free(out);
	}
	(void)embmap_row(t, rows / 2);
	(void)embmap_row_scale(t, rows - 1);
	embmap_verify_rows(t, 0, rows < 1000 ? rows : 1000);
	check_tokens(t, verified);
	(void)embmap_find(t, (const char *)data, size < 16 ? size : 16);
	for (int i = 0; i < 1000 && embmap_meta_next(t, &cur, &k, &v) == 1; i++)
		;
	(void)embmap_meta(t, "source.format");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	embmap *t;

	if (size < 1)
		return 0;
	/*
	 * A private copy of exactly the file's size, so the fixup may write to
	 * it and AddressSanitizer sees a read even one byte past its end.
	 */
	buf = malloc(size > 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		fuzz_fixup(buf, size - 1);
	if (embmap_open_buffer(buf, size - 1, 0, &t) == 0) {
		exercise(t, data, size);
		embmap_close(t);
	}
	free(buf);
	return 0;
}
