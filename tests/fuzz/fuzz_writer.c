/*
 * fuzz_writer.c - the writer fed shapes, values, tokens and metadata drawn
 * from the input; the file is reopened with verification and compared with
 * what was written.
 *
 * Input: [dim-1] [dtype] [rows-1] [flags] [block_rows] [ntokens] then
 * values (4 bytes each, as float32 bits) and tokens (a length byte, then
 * the bytes), taken while they last; missing bytes read as zero.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct reader {
	const uint8_t *p;
	size_t n, at;
};

static uint8_t byte(struct reader *r)
{
	return r->at < r->n ? r->p[r->at++] : 0;
}

static const char *scratch_path(void)
{
	static char path[256];

	if (!path[0]) {
		const char *dir =
			access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(path, sizeof path, "%s/embmap-fuzz-writer-%ld.embmap",
			 dir, (long)getpid());
	}
	return path;
}

/* Tokens as written: bytes and offsets, for the comparison. */
struct toks {
	char bytes[64 * 255];
	size_t off[65];
	int n;
};

static void compare(const char *path, const float *vals, uint64_t rows,
		    uint32_t dim, int dtype, const struct toks *tk)
{
	embmap *t;
	float *row = malloc(dim * sizeof *row);

	if (!row)
		return;
	if (embmap_open(path, EMBMAP_VERIFY, &t) != 0)
		abort(); /* the writer produced a file the reader refuses */
	if (embmap_rows(t) != rows || embmap_dim(t) != dim ||
	    embmap_tokens(t) != (uint64_t)tk->n)
		abort();
	for (uint64_t r = 0; r < rows; r++) {
		if (embmap_row_f32(t, r, row) != 0)
			abort();
		/* f32 must come back bit for bit; others within their type. */
		if (dtype == EMBMAP_DTYPE_F32 &&
		    memcmp(row, vals + r * dim, dim * sizeof *row) != 0)
			abort();
	}
	for (int i = 0; i < tk->n; i++) {
		size_t len, flen;
		const char *tok = embmap_token(t, (uint64_t)i, &len);
		int64_t found;
		const char *ftok;

		if (!tok || len != tk->off[i + 1] - tk->off[i] ||
		    memcmp(tok, tk->bytes + tk->off[i], len) != 0)
			abort();
		found = embmap_find(t, tok, len);
		ftok = found >= 0 ? embmap_token(t, (uint64_t)found, &flen)
				  : NULL;
		if (!ftok || found > i || flen != len ||
		    memcmp(ftok, tok, len) != 0)
			abort();
	}
	embmap_close(t);
	free(row);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = {data, size, 0};
	uint32_t dim = 1 + byte(&r) % 16;
	int dtype = 1 + byte(&r) % 4;
	uint64_t rows = 1 + byte(&r) % 40;
	uint8_t flags = byte(&r);
	struct embmap_writer_options o = {
		.block_rows = byte(&r) % 8,
		.flags = EMBMAP_WRITE_NO_SYNC |
			 ((flags & 1) ? EMBMAP_WRITE_SHADOW_DUPLICATES : 0),
	};
	int ntok = byte(&r) % 65;
	static struct toks tk;
	float *vals = calloc(rows * dim, sizeof *vals);
	const char *path = scratch_path();
	embmap_writer *w;
	int rc;

	if (!vals)
		return 0;
	for (uint64_t i = 0; i < rows * dim; i++) {
		uint32_t bits = byte(&r) | byte(&r) << 8 |
				(uint32_t)byte(&r) << 16 |
				(uint32_t)byte(&r) << 24;

		memcpy(&vals[i], &bits, 4);
	}
	unlink(path);
	if (embmap_writer_open(path, dim, dtype, &o, &w) != 0)
		abort();
	rc = embmap_writer_add_rows_f32(
		w, vals, rows, (flags & 2) ? EMBMAP_CONVERT_SATURATE : 0);
	if (rc != 0 && (dtype == EMBMAP_DTYPE_F32 || rc != EMBMAP_EDTYPE))
		abort();
	tk.n = 0;
	tk.off[0] = 0;
	for (int i = 0; rc == 0 && i < ntok && (uint64_t)i < rows; i++) {
		size_t len = byte(&r);
		char *dst = tk.bytes + tk.off[tk.n];

		for (size_t j = 0; j < len; j++)
			dst[j] = (char)byte(&r);
		rc = embmap_writer_add_token(w, dst, len);
		if (rc == EMBMAP_EDUPLICATE && !(flags & 1)) {
			embmap_writer_abort(w);
			if (access(path, F_OK) == 0)
				abort(); /* an aborted writer left a file */
			free(vals);
			return 0;
		}
		if (rc != 0)
			abort();
		tk.off[tk.n + 1] = tk.off[tk.n] + len;
		tk.n++;
	}
	if (rc != 0) { /* a refused conversion: nothing may appear */
		embmap_writer_abort(w);
		if (access(path, F_OK) == 0)
			abort();
		free(vals);
		return 0;
	}
	if (flags & 4)
		embmap_writer_set_meta(w, "fuzz", "yes");
	if (embmap_writer_finish(w) != 0)
		abort();
	compare(path, vals, rows, dim, dtype, &tk);
	unlink(path);
	free(vals);
	return 0;
}
