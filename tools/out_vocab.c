/*
 * out_vocab.c - embmap export of the vocabulary alone, as vocabulary text:
 * one token a line, escaped by vocab_text_write() so that any bytes
 * (spaces, newlines, NULs) come back through embmap pack --vocab.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

static int write_vocab(const embmap *t, FILE *out, const char *path)
{
	uint64_t ntok = embmap_tokens(t);

	if (ntok == 0) {
		diag(path, "the table has no vocabulary to export");
		return EXIT_USAGE;
	}
	for (uint64_t id = 0; id < ntok; id++) {
		size_t len;
		const char *tok = embmap_token(t, id, &len);

		if (!tok) {
			diag(path,
			     "token %llu cannot be read: the table is "
			     "damaged (see embmap check)",
			     (unsigned long long)id);
			return EXIT_INVALID;
		}
		vocab_text_write(out, tok, len);
	}
	if (ferror(out)) {
		diag(path, "write failed: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

const struct output_format output_vocab = {
	"vocab",
	".vocab",
	"vocabulary text: one token a line, escaped (no matrix)",
	write_vocab,
};
