/*
 * w2v_mktable.c - write the small embmap tables that embmap pack will not
 * make, for the word2vec export refusals (tests/conv/w2v_cases.sh).
 *
 *   w2v_mktable OUT short   3 rows of 2 values, only 2 tokens
 *   w2v_mktable OUT empty   2 rows, token 1 is the empty string
 */
#include <stdio.h>
#include <string.h>

#include "embmap.h"

static int fail(const char *what, int rc)
{
	fprintf(stderr, "w2v_mktable: %s: %s: %s\n", what, embmap_strerror(rc),
		embmap_errmsg());
	return 1;
}

int main(int argc, char **argv)
{
	static const float rows[6] = {1, 2, 3, 4, 5, 6};
	struct embmap_writer_options o = {0, 0, EMBMAP_WRITE_NO_SYNC};
	embmap_writer *w;
	int rc, shortv;

	if (argc != 3 ||
	    (strcmp(argv[2], "short") != 0 && strcmp(argv[2], "empty") != 0)) {
		fprintf(stderr, "usage: w2v_mktable OUT short|empty\n");
		return 2;
	}
	shortv = strcmp(argv[2], "short") == 0;
	rc = embmap_writer_open(argv[1], 2, EMBMAP_DTYPE_F32, &o, &w);
	if (rc < 0)
		return fail("open", rc);
	rc = embmap_writer_add_rows_f32(w, rows, shortv ? 3 : 2, 0);
	if (rc >= 0)
		rc = embmap_writer_add_token(w, "a", 1);
	if (rc >= 0)
		rc = shortv ? embmap_writer_add_token(w, "b", 1)
			    : embmap_writer_add_token(w, "", 0);
	if (rc < 0) {
		embmap_writer_abort(w);
		return fail("add", rc);
	}
	rc = embmap_writer_finish(w);
	return rc < 0 ? fail("finish", rc) : 0;
}
