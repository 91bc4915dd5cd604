/*
 * formats.c - the registries of input, vocabulary and output formats.
 *
 * Detection asks every input format to probe; the highest score wins and
 * ties go to the one listed first, so more specific formats come first.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Each format's descriptor lives in its own file. */
extern const struct input_format fmt_safetensors, fmt_gguf, fmt_llmc;
extern const struct vocab_format vocab_tokenizer_json, vocab_encoder_json,
	vocab_gguf, vocab_llmc;
extern const struct input_format input_word2vec, input_word2vec_text,
	input_glove;
extern const struct output_format output_word2vec, output_word2vec_text,
	output_fasttext_vec, output_vocab;
extern const struct input_format input_npy, input_raw;
extern const struct vocab_format vocab_text;
extern const struct output_format output_npy;

/* One entry a line: adding a format is a one-line change. */
/* clang-format off */
const struct input_format *const input_formats[] = {
	&input_npy,
	&fmt_safetensors,
	&fmt_gguf,
	&fmt_llmc,
	&input_word2vec,
	&input_word2vec_text,
	&input_glove,
	&input_raw, /* by name only: raw bytes have no signature */
	NULL,
};

const struct vocab_format *const vocab_formats[] = {
	&vocab_tokenizer_json,
	&vocab_encoder_json,
	&vocab_gguf,
	&vocab_llmc,
	&vocab_text, /* the fallback when no probe is sure */
	NULL,
};

const struct output_format *const output_formats[] = {
	&output_npy,
	&output_word2vec,
	&output_word2vec_text,
	&output_fasttext_vec,
	&output_vocab,
	NULL,
};
/* clang-format on */

static void input_names(FILE *f)
{
	for (size_t i = 0; input_formats[i]; i++)
		fprintf(f, "%s%s", i ? ", " : "", input_formats[i]->name);
}

int input_pick(const char *path, const char *from,
	       const struct input_format **out)
{
	uint8_t head[4096];
	size_t n;
	int best = 0, rc;

	*out = NULL;
	if (from) {
		for (size_t i = 0; input_formats[i]; i++)
			if (!strcmp(input_formats[i]->name, from))
				*out = input_formats[i];
		if (*out)
			return EXIT_OK;
		fprintf(stderr,
			"embmap: --from %s: unknown format; known: ", from);
		input_names(stderr);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	if ((rc = read_head(path, head, &n)) != EXIT_OK)
		return rc;
	for (size_t i = 0; input_formats[i]; i++) {
		int score = input_formats[i]->probe(path, head, n);

		if (score > best) {
			best = score;
			*out = input_formats[i];
		}
	}
	if (*out)
		return EXIT_OK;
	fprintf(stderr,
		"embmap: %s: not a format embmap knows by its content or name "
		"(known: ",
		path);
	input_names(stderr);
	fprintf(stderr, "); name one with --from\n");
	return EXIT_INVALID;
}
