/*
 * example.c - write the worked example of SPEC.md with the library.
 *
 * The table is small enough to print in full: 2 rows of 3 float32 values,
 * the tokens "hi" and "\xff", and one metadata entry. SPEC.md shows its
 * bytes as an annotated dump; tests/spec/check.sh compares that dump with
 * the file this program writes, so the document cannot drift from the code.
 *
 * With --variants it writes, into DIR, one small file for each case the
 * example does not show (other dtypes, shadowed tokens, several checksum
 * blocks, a larger alignment, no vocabulary), for the independent reader
 * to check against SPEC.md.
 *
 * Usage: example OUTPUT
 *        example --variants DIR
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "embmap.h"

static const float rows[2][3] = {
	{1.0f, -2.0f, 0.5f},
	{0.25f, 3.0f, -0.125f},
};

static int fail(const char *path, const char *what, int rc)
{
	fprintf(stderr, "example: %s: %s: %s (%s)\n", path, what,
		embmap_strerror(rc), embmap_errmsg());
	return 1;
}

/* One variant: dim 5, rows from a fixed pattern, tokens with duplicates. */
struct variant {
	const char *name;
	int dtype;
	uint32_t alignment, block_rows;
	unsigned flags;	       /* EMBMAP_WRITE_* */
	unsigned convert;      /* EMBMAP_CONVERT_* */
	uint64_t rows, tokens; /* tokens repeat every 7 */
};

static const struct variant variants[] = {
	{"f16.emb", EMBMAP_DTYPE_F16, 0, 0, 0, 0, 40, 40},
	{"bf16.emb", EMBMAP_DTYPE_BF16, 0, 3, 0, 0, 10, 4},
	{"i8.emb", EMBMAP_DTYPE_I8, 0, 4, 0, EMBMAP_CONVERT_SATURATE, 9, 9},
	{"shadow.emb", EMBMAP_DTYPE_F32, 65536, 2,
	 EMBMAP_WRITE_SHADOW_DUPLICATES, 0, 30, 30},
	{"novocab.emb", EMBMAP_DTYPE_F32, 8192, 1, 0, 0, 3, 0},
};

static int write_variant(const char *dir, const struct variant *v)
{
	struct embmap_writer_options opts = {v->alignment, v->block_rows,
					     v->flags | EMBMAP_WRITE_NO_SYNC};
	char path[4096], tok[32];
	float row[5];
	embmap_writer *w;
	int rc;

	snprintf(path, sizeof path, "%s/%s", dir, v->name);
	if ((rc = embmap_writer_open(path, 5, v->dtype, &opts, &w)) != 0)
		return fail(path, "open writer", rc);
	for (uint64_t r = 0; r < v->rows && rc == 0; r++) {
		for (int c = 0; c < 5; c++)
			row[c] = ((float)r - 3.3f) * (float)(c + 1) / 7.0f;
		if (r == 2 && v->dtype == EMBMAP_DTYPE_I8)
			row[1] = NAN; /* saturating: stored as q = 0 */
		if (r == 3 && v->dtype == EMBMAP_DTYPE_I8)
			row[4] = -INFINITY; /* saturating: q = -127 */
		rc = embmap_writer_add_rows_f32(w, row, 1, v->convert);
	}
	for (uint64_t i = 0; i < v->tokens && rc == 0; i++) {
		/* Every 7th token repeats an earlier one when shadowing. */
		uint64_t k =
			v->flags & EMBMAP_WRITE_SHADOW_DUPLICATES ? i % 7 : i;

		snprintf(tok, sizeof tok, "t%llu", (unsigned long long)k);
		rc = embmap_writer_add_token(w, tok, strlen(tok) + (k == 3));
	}
	if (rc == 0)
		rc = embmap_writer_set_meta(w, "variant", v->name);
	if (rc == 0 && v->tokens == 0)
		rc = embmap_writer_set_meta(w, "empty", "");
	if (rc) {
		embmap_writer_abort(w);
		return fail(path, "write", rc);
	}
	if ((rc = embmap_writer_finish(w)) != 0)
		return fail(path, "finish", rc);
	return 0;
}

int main(int argc, char **argv)
{
	struct embmap_writer_options opts = {.flags = EMBMAP_WRITE_NO_SYNC};
	embmap_writer *w;
	embmap *t;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--variants") == 0) {
		for (size_t i = 0; i < sizeof variants / sizeof *variants; i++)
			if (write_variant(argv[2], &variants[i]))
				return 1;
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: example OUTPUT | --variants DIR\n");
		return 2;
	}

	/* Defaults everywhere else: alignment 4096, block_rows chosen. */
	rc = embmap_writer_open(argv[1], 3, EMBMAP_DTYPE_F32, &opts, &w);
	if (rc)
		return fail(argv[1], "open writer", rc);
	if ((rc = embmap_writer_add_rows_f32(w, &rows[0][0], 2, 0)) != 0 ||
	    (rc = embmap_writer_add_token(w, "hi", 2)) != 0 ||
	    (rc = embmap_writer_add_token(w, "\xff", 1)) != 0 ||
	    (rc = embmap_writer_set_meta(w, "model", "example")) != 0) {
		embmap_writer_abort(w);
		return fail(argv[1], "write", rc);
	}
	if ((rc = embmap_writer_finish(w)) != 0)
		return fail(argv[1], "finish", rc);

	/* The library must accept what it wrote, every checksum included. */
	if ((rc = embmap_open(argv[1], EMBMAP_VERIFY, &t)) != 0)
		return fail(argv[1], "open and verify", rc);
	embmap_close(t);
	return 0;
}
