/*
 * fuzz_inputs.c - any bytes through every input format of embmap pack:
 * probe, open, read every row, close, as cmd_pack.c does.
 *
 * Input: a format byte (modulo the number of input_formats[] picks the
 * format), an options byte, then the file, written to a scratch file since
 * formats open paths. Options: bit 0 passes --tensor emb (the seeds hold a
 * second 2-D tensor of that name); bit 1 passes --shape, with the dim
 * 1 << (bits 2-4) and the rows that the file's size gives for float32.
 *
 * Oracles, beyond the sanitizers and the malloc limit make fuzz sets:
 *   - every failure is one of the SRC_E* codes and says why in s->err;
 *   - what open() declares is justified by the file: rows x dim elements
 *     need at least 2 bytes each in text and a whole element in binary,
 *     so the table's bytes are at most twice the file's (plus a little);
 *     the vocabulary holds no more tokens or bytes than the file;
 *   - metadata stays within the limits the writer will enforce.
 * Rows are read in bounded chunks, and at most 64 MiB in all.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHUNK_BYTES (1u << 20)
#define READ_LIMIT (64u << 20)

static size_t elem_bytes(enum src_elem e)
{
	switch (e) {
	case SRC_F32: return 4;
	case SRC_F16:
	case SRC_BF16: return 2;
	case SRC_F64: return 8;
	default: return 0;
	}
}

/* A name the format's probe would also accept. */
static const char *file_name(const char *format)
{
	static const struct {
		const char *format, *name;
	} names[] = {
		{"npy", "in.npy"},	{"safetensors", "in.safetensors"},
		{"gguf", "in.gguf"},	{"llmc", "in.bin"},
		{"word2vec", "in.bin"}, {"word2vec-text", "in.vec"},
		{"glove", "in.txt"},	{"raw", "in.raw"},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(names[i].format, format))
			return names[i].name;
	return "in.dat";
}

static void check_code(const struct source *s, int rc)
{
	if (rc != SRC_EDATA && rc != SRC_EIO && rc != SRC_ENOMEM)
		abort(); /* not an SRC_E* code */
	if (!s->err[0])
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

static void check_declared(const struct source *s, size_t size)
{
	size_t esz = elem_bytes(s->elem);
	uint64_t bytes;

	if (!esz || s->rows == 0 || s->dim == 0 || !s->read)
		abort(); /* open() succeeded without a usable table */
	if (__builtin_mul_overflow(s->rows, (uint64_t)s->dim, &bytes) ||
	    __builtin_mul_overflow(bytes, (uint64_t)esz, &bytes) ||
	    bytes > 2 * (uint64_t)size + 64)
		abort(); /* a table the file's size cannot hold */
	if (s->token_rows > s->rows)
		abort();
	if (s->nmeta < 0 || s->nmeta > SRC_MAX_META)
		abort();
	for (int i = 0; i < s->nmeta; i++) {
		size_t k = strlen(s->meta_key[i]);

		if (k == 0 || k > 255 || strlen(s->meta_value[i]) > 65535)
			abort(); /* the writer would refuse it */
	}
	check_vocab(&s->vocab, size);
}

/* Every row, a bounded chunk at a time, as cmd_pack.c reads them. */
static void read_rows(struct source *s, size_t size)
{
	const uint64_t row = (uint64_t)s->dim * elem_bytes(s->elem);
	uint64_t chunk = CHUNK_BYTES / row, total = 0;
	uint8_t *buf;

	if (chunk == 0)
		chunk = 1;
	if (chunk > s->rows)
		chunk = s->rows;
	buf = malloc((size_t)(chunk * row));
	if (!buf)
		abort();
	for (uint64_t done = 0; done < s->rows && total < READ_LIMIT;) {
		uint64_t n = s->rows - done < chunk ? s->rows - done : chunk;
		int rc = s->read(s, n, buf);

		if (rc != 0) {
			check_code(s, rc);
			break;
		}
		done += n;
		total += n * row;
	}
	free(buf);
	check_vocab(&s->vocab, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t nformats;
	const struct input_format *fmt;
	struct pack_options o = {0};
	struct source s;
	char path[256];
	const uint8_t *file = data + 2;
	size_t fsize = size - 2;
	uint8_t opt;
	int rc;

	if (!nformats)
		while (input_formats[nformats])
			nformats++;
	if (size < 2)
		return 0;
	fmt = input_formats[data[0] % nformats];
	opt = data[1];
	scratch_path(path, sizeof path, file_name(fmt->name));
	scratch_write(path, file, fsize);

	/* Every probe sees the head, as pack's detection does. */
	for (size_t i = 0; i < nformats; i++) {
		int score = input_formats[i]->probe(
			path, file, fsize < 4096 ? fsize : 4096);

		if (score < 0 || score > 2)
			abort();
	}

	if (opt & 1)
		o.tensor = "emb";
	if (opt & 2) {
		o.have_shape = 1;
		o.shape_dim = 1u << ((opt >> 2) & 7);
		o.shape_rows = fsize / 4 / o.shape_dim;
		if (o.shape_rows == 0)
			o.shape_rows = 1;
	}
	memset(&s, 0, sizeof s);
	s.path = path;
	s.format = fmt->name;
	rc = fmt->open(&s, path, &o);
	if (rc != 0) {
		check_code(&s, rc);
	} else {
		check_declared(&s, fsize);
		read_rows(&s, fsize);
	}
	source_free(&s);
	unlink(path);
	return 0;
}
