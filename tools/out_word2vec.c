/*
 * out_word2vec.c - embmap export to word2vec binary (.bin), word2vec text
 * (.txt) and fastText .vec.
 *
 * All three start with "ROWS DIM\n". Binary rows are the token, a space,
 * DIM little-endian float32 and "\n"; text rows are the token and the
 * values printed with %.9g, which is enough digits for every float32 to
 * read back bit for bit, and .vec rows end in a space before the newline
 * as fastText writes them. An f32 table therefore comes back identical
 * through embmap pack; other dtypes come back as their float32 values.
 *
 * Refused, before anything is written: a table without a token for every
 * row, empty tokens and tokens that the format cannot hold (a space or a
 * newline anywhere, and in text also a tab or carriage return, would be
 * read back as a different token), and NaN or infinite values, which the
 * embmap readers of these formats refuse. The vocabulary text output
 * (out_vocab.c) escapes any token.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum w2v_kind { W2V_BIN, W2V_TEXT, W2V_VEC };

static const char *const kind_name[] = {"word2vec binary", "word2vec text",
					"fastText .vec"};

static int check_tokens(const embmap *t, const char *path, enum w2v_kind k)
{
	uint64_t rows = embmap_rows(t), ntok = embmap_tokens(t);
	const char *bad = k == W2V_BIN ? " \n" : " \n\t\r";
	char q[80];

	if (ntok == 0) {
		diag(path,
		     "the table has no vocabulary; %s names every row by its "
		     "token (export the matrix alone to .npy)",
		     kind_name[k]);
		return EXIT_USAGE;
	}
	if (ntok < rows) {
		diag(path,
		     "the table has %llu rows but only %llu tokens; %s needs a "
		     "token for every row",
		     (unsigned long long)rows, (unsigned long long)ntok,
		     kind_name[k]);
		return EXIT_USAGE;
	}
	for (uint64_t id = 0; id < rows; id++) {
		size_t len, i;
		const char *tok = embmap_token(t, id, &len);

		if (!tok) {
			diag(path,
			     "token %llu cannot be read: the table is "
			     "damaged (see embmap check)",
			     (unsigned long long)id);
			return EXIT_INVALID;
		}
		if (len == 0) {
			diag(path, "token %llu is empty; %s cannot hold it",
			     (unsigned long long)id, kind_name[k]);
			return EXIT_USAGE;
		}
		for (i = 0; i < len && !(tok[i] && strchr(bad, tok[i])); i++)
			;
		if (i < len) {
			diag(path,
			     "token %llu (%s) contains %s at byte %zu; %s "
			     "cannot hold it (export to .vocab escapes it)",
			     (unsigned long long)id,
			     quote_bytes(q, sizeof q, tok, len),
			     tok[i] == ' '    ? "a space"
			     : tok[i] == '\n' ? "a newline"
			     : tok[i] == '\t' ? "a tab"
					      : "a carriage return",
			     i, kind_name[k]);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

static int write_w2v(const embmap *t, FILE *out, const char *path,
		     enum w2v_kind k)
{
	uint64_t rows = embmap_rows(t);
	uint32_t dim = embmap_dim(t);
	struct progress pr;
	float *row;
	int rc = check_tokens(t, path, k);

	if (rc != EXIT_OK)
		return rc;
	row = malloc((size_t)dim * sizeof *row);
	if (!row) {
		diag(path, "out of memory for a row of %u values", dim);
		return EXIT_USAGE;
	}

	fprintf(out, "%llu %u\n", (unsigned long long)rows, dim);
	progress_start(&pr, "export", rows);
	for (uint64_t id = 0; id < rows; id++) {
		size_t len;
		const char *tok = embmap_token(t, id, &len);
		int r = embmap_row_f32(t, id, row);

		if (r < 0) {
			rc = diag_lib(path, r);
			goto out;
		}
		for (uint32_t c = 0; c < dim; c++) {
			char q[80];

			if (isfinite(row[c]))
				continue;
			diag(path,
			     "row %llu (%s), value %u of %u is %s; embmap "
			     "refuses non-finite values in %s, so the file "
			     "would not read back",
			     (unsigned long long)id,
			     quote_bytes(q, sizeof q, tok, len), c + 1, dim,
			     isnan(row[c]) ? "NaN" : "infinite", kind_name[k]);
			rc = EXIT_USAGE;
			goto out;
		}
		fwrite(tok, 1, len, out);
		if (k == W2V_BIN) {
			/* Little-endian on every host embmap builds on. */
			fputc(' ', out);
			fwrite(row, sizeof *row, dim, out);
		} else {
			for (uint32_t c = 0; c < dim; c++)
				fprintf(out, " %.9g", (double)row[c]);
			if (k == W2V_VEC)
				fputc(' ', out);
		}
		fputc('\n', out);
		if ((id & 1023) == 0)
			progress_update(&pr, id);
	}
	if (ferror(out)) {
		diag(path, "write failed: %s", strerror(errno));
		rc = EXIT_USAGE;
	}
out:
	progress_end(&pr);
	free(row);
	return rc;
}

static int write_bin(const embmap *t, FILE *out, const char *path)
{
	return write_w2v(t, out, path, W2V_BIN);
}

static int write_text(const embmap *t, FILE *out, const char *path)
{
	return write_w2v(t, out, path, W2V_TEXT);
}

static int write_vec(const embmap *t, FILE *out, const char *path)
{
	return write_w2v(t, out, path, W2V_VEC);
}

const struct output_format output_word2vec = {
	"word2vec",
	".bin",
	"word2vec binary: 'ROWS DIM', then token, space, DIM float32, newline",
	write_bin,
};

const struct output_format output_word2vec_text = {
	"word2vec-text",
	".txt",
	"word2vec text: 'ROWS DIM', then 'token v1 ... vDIM' (%.9g, exact)",
	write_text,
};

const struct output_format output_fasttext_vec = {
	"fasttext",
	".vec",
	"fastText .vec: word2vec text with a space before each newline",
	write_vec,
};
