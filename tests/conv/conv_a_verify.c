/*
 * conv_a_verify.c - check an embmap file written by embmap pack, through the
 * library, for the conv-a command tests.
 *
 * usage: conv_a_verify FILE [CHECK]...
 *   --shape RxC        rows and dim
 *   --dtype NAME       the stored dtype ("f32", "f16", "bf16")
 *   --salt K           every value is ((7r + 3c + K) mod 64) / 4 - 8
 *   --tokens N         the number of tokens
 *   --tokens-file F    the tokens, in conv_a_fix.py's tokens file layout
 *   --find TOK=ID      looking TOK up gives ID (-1: absent)
 *   --token ID=TOK     token ID is TOK
 *   --meta KEY=VALUE   a metadata entry
 * Exits 0 when every check holds, 1 naming the first that does not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embmap.h"

static int bad(const char *file, const char *what)
{
	fprintf(stderr, "conv_a_verify: %s: %s\n", file, what);
	return 1;
}

static int check_values(const embmap *t, const char *file, long salt)
{
	uint32_t dim = embmap_dim(t);
	float *row = malloc(dim * sizeof *row);
	char msg[200];

	if (!row)
		return bad(file, "out of memory");
	for (uint64_t r = 0; r < embmap_rows(t); r++) {
		if (embmap_row_f32(t, r, row) != 0) {
			free(row);
			return bad(file, embmap_errmsg());
		}
		for (uint32_t c = 0; c < dim; c++) {
			double want =
				(double)((7 * r + 3 * c + (uint64_t)salt) %
					 64) /
					4.0 -
				8.0;

			if (row[c] == want)
				continue;
			snprintf(msg, sizeof msg,
				 "row %llu column %u: %g, expected %g",
				 (unsigned long long)r, c, (double)row[c],
				 want);
			free(row);
			return bad(file, msg);
		}
	}
	free(row);
	return 0;
}

static int check_tokens_file(const embmap *t, const char *file,
			     const char *tokfile)
{
	FILE *f = fopen(tokfile, "rb");
	unsigned char lb[4];
	char buf[256], msg[600];
	uint64_t i = 0;

	if (!f)
		return bad(tokfile, "cannot open");
	while (fread(lb, 1, 4, f) == 4) {
		size_t len = (size_t)lb[0] | (size_t)lb[1] << 8 |
			     (size_t)lb[2] << 16 | (size_t)lb[3] << 24,
		       got;
		const char *tok;

		if (len > sizeof buf || fread(buf, 1, len, f) != len) {
			fclose(f);
			return bad(tokfile, "malformed tokens file");
		}
		tok = embmap_token(t, i, &got);
		if (!tok || got != len || memcmp(tok, buf, len) ||
		    embmap_find(t, buf, len) != (int64_t)i) {
			snprintf(msg, sizeof msg, "token %llu is not %.*s",
				 (unsigned long long)i, (int)len, buf);
			fclose(f);
			return bad(file, msg);
		}
		i++;
	}
	fclose(f);
	if (i != embmap_tokens(t)) {
		snprintf(msg, sizeof msg, "%llu tokens, expected %llu",
			 (unsigned long long)embmap_tokens(t),
			 (unsigned long long)i);
		return bad(file, msg);
	}
	return 0;
}

int main(int argc, char **argv)
{
	embmap *t;
	char msg[600];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: conv_a_verify FILE [CHECK]...\n");
		return 2;
	}
	rc = embmap_open(argv[1], EMBMAP_VERIFY, &t);
	if (rc)
		return bad(argv[1], embmap_errmsg());
	for (int i = 2; i + 1 < argc && !rc; i += 2) {
		const char *opt = argv[i], *arg = argv[i + 1];
		const char *eq = strchr(arg, '=');

		if (!strcmp(opt, "--shape")) {
			unsigned long long r;
			unsigned c;

			if (sscanf(arg, "%llux%u", &r, &c) != 2 ||
			    r != embmap_rows(t) || c != embmap_dim(t)) {
				snprintf(msg, sizeof msg,
					 "shape %llux%u, expected %s",
					 (unsigned long long)embmap_rows(t),
					 embmap_dim(t), arg);
				rc = bad(argv[1], msg);
			}
		} else if (!strcmp(opt, "--dtype")) {
			if (strcmp(embmap_dtype_name(embmap_dtype(t)), arg)) {
				snprintf(msg, sizeof msg,
					 "dtype %s, expected %s",
					 embmap_dtype_name(embmap_dtype(t)),
					 arg);
				rc = bad(argv[1], msg);
			}
		} else if (!strcmp(opt, "--salt")) {
			rc = check_values(t, argv[1], atol(arg));
		} else if (!strcmp(opt, "--tokens")) {
			if (embmap_tokens(t) != strtoull(arg, NULL, 10)) {
				snprintf(msg, sizeof msg,
					 "%llu tokens, expected %s",
					 (unsigned long long)embmap_tokens(t),
					 arg);
				rc = bad(argv[1], msg);
			}
		} else if (!strcmp(opt, "--tokens-file")) {
			rc = check_tokens_file(t, argv[1], arg);
		} else if (!strcmp(opt, "--find") && eq) {
			const char *id = strrchr(arg, '=');
			int64_t got = embmap_find(t, arg, (size_t)(id - arg));

			if (got != strtoll(id + 1, NULL, 10)) {
				snprintf(msg, sizeof msg,
					 "find %.*s gives %lld, expected %s",
					 (int)(id - arg), arg, (long long)got,
					 id + 1);
				rc = bad(argv[1], msg);
			}
		} else if (!strcmp(opt, "--token") && eq) {
			size_t len;
			const char *tok =
				embmap_token(t, strtoull(arg, NULL, 10), &len);

			if (!tok || len != strlen(eq + 1) ||
			    memcmp(tok, eq + 1, len)) {
				snprintf(msg, sizeof msg,
					 "token %.*s is %s, expected %s",
					 (int)(eq - arg), arg,
					 tok ? tok : "(none)", eq + 1);
				rc = bad(argv[1], msg);
			}
		} else if (!strcmp(opt, "--meta") && eq) {
			char key[256];
			const char *v;

			snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
			v = embmap_meta(t, key);
			if (!v || strcmp(v, eq + 1)) {
				snprintf(msg, sizeof msg,
					 "meta %s is %s, expected %s", key,
					 v ? v : "(absent)", eq + 1);
				rc = bad(argv[1], msg);
			}
		} else {
			fprintf(stderr, "conv_a_verify: unknown check %s %s\n",
				opt, arg);
			rc = 2;
		}
	}
	embmap_close(t);
	return rc;
}
