/*
 * fuzz_vocab.c - any bytes through every vocabulary format of embmap pack
 * --vocab: every probe, then load().
 *
 * Input: a format byte (modulo the number of vocab_formats[] picks the
 * format), then the file, written to a scratch file under a name the
 * format's probe knows (tokenizer.json, encoder.json, ...).
 *
 * Oracles, beyond the sanitizers and the malloc limit make fuzz sets:
 *   - a failure is one of the SRC_E* codes and says why;
 *   - a loaded vocabulary holds no more tokens or bytes than the file;
 *   - the text format round-trips: the tokens it read, written back with
 *     vocab_text_write() and read again, are the same tokens.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *file_name(const char *format)
{
	static const struct {
		const char *format, *name;
	} names[] = {
		{"tokenizer-json", "tokenizer.json"},
		{"encoder-json", "encoder.json"},
		{"gguf", "vocab.gguf"},
		{"llmc", "gpt2_tokenizer.bin"},
		{"text", "vocab.txt"},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(names[i].format, format))
			return names[i].name;
	return "vocab.dat";
}

static void check_failure(int rc, const char *err)
{
	if (rc != SRC_EDATA && rc != SRC_EIO && rc != SRC_ENOMEM)
		abort(); /* not an SRC_E* code */
	if (!err[0])
		abort(); /* a refusal that does not say why */
}

static void check_vocab(const struct vocab *v, size_t size)
{
	if (v->n > size + 1 || v->len > size)
		abort(); /* more tokens or bytes than the file holds */
	for (uint64_t i = 0; i < v->n; i++)
		if (v->off[i] > v->off[i + 1] || v->off[i + 1] > v->len)
			abort();
}

/* Write v as a text vocabulary and read it back: the same tokens. */
static void round_trip(const struct vocab_format *text, const struct vocab *v)
{
	char path[256], err[512] = "";
	struct vocab back = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	for (uint64_t i = 0; i < v->n; i++) {
		size_t n;
		const char *tok = vocab_get(v, i, &n);

		if (vocab_text_write(f, tok, n) != 0)
			abort(); /* the reader gave an empty token */
	}
	if (fclose(f) != 0)
		abort();
	scratch_path(path, sizeof path, "back.txt");
	scratch_write(path, (const uint8_t *)buf, len);
	free(buf);
	if (text->load(path, &back, err, sizeof err) != 0 || back.n != v->n)
		abort();
	for (uint64_t i = 0; i < v->n; i++) {
		size_t a, b;
		const char *x = vocab_get(v, i, &a),
			   *y = vocab_get(&back, i, &b);

		if (a != b || memcmp(x, y, a) != 0)
			abort(); /* written and read back differently */
	}
	vocab_free(&back);
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t nformats;
	const struct vocab_format *fmt;
	struct vocab v = {0};
	char path[256], err[512] = "";
	const uint8_t *file = data + 1;
	size_t fsize = size - 1;
	int rc;

	if (!nformats)
		while (vocab_formats[nformats])
			nformats++;
	if (size < 1)
		return 0;
	fmt = vocab_formats[data[0] % nformats];
	scratch_path(path, sizeof path, file_name(fmt->name));
	scratch_write(path, file, fsize);

	for (size_t i = 0; i < nformats; i++) {
		int score = vocab_formats[i]->probe(
			path, file, fsize < 4096 ? fsize : 4096);

		if (score < 0 || score > 2)
			abort();
	}

	rc = fmt->load(path, &v, err, sizeof err);
	if (rc != 0) {
		check_failure(rc, err);
	} else {
		check_vocab(&v, fsize);
		if (!strcmp(fmt->name, "text"))
			round_trip(fmt, &v);
	}
	vocab_free(&v);
	unlink(path);
	return 0;
}
