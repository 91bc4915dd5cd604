/*
 * vocab_llmc.c - the tokenizer file of llm.c (gpt2_tokenizer.bin).
 *
 * A header of 256 little-endian int32 - magic 20240328, version (1, or 2
 * which adds the end-of-text token's id at [3]), the token count n - then
 * n tokens, each a u8 length and that many bytes, the raw bytes the token
 * decodes to. llm.c's own reader refuses an empty token; so does this one.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

#define LLMC_TOK_MAGIC 20240328u
#define LLMC_TOK_HEADER 1024u

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int llmc_tok_parse(const struct mapped *m, struct vocab *v, char *err,
			  size_t errsize)
{
	uint32_t magic, version, n;
	size_t pos = LLMC_TOK_HEADER;

	if (m->size < LLMC_TOK_HEADER) {
		snprintf(err, errsize,
			 "the file is %zu bytes, shorter than the %u-byte "
			 "llm.c tokenizer header",
			 m->size, LLMC_TOK_HEADER);
		return SRC_EDATA;
	}
	magic = le32(m->data);
	version = le32(m->data + 4);
	n = le32(m->data + 8);
	if (magic != LLMC_TOK_MAGIC) {
		snprintf(err, errsize,
			 "header magic %" PRIu32 ", expected %u (an llm.c "
			 "tokenizer file)",
			 magic, LLMC_TOK_MAGIC);
		return SRC_EDATA;
	}
	if (version != 1 && version != 2) {
		snprintf(err, errsize,
			 "header version %" PRIu32 " unsupported: 1 and 2 "
			 "are known",
			 version);
		return SRC_EDATA;
	}
	if (n == 0) {
		snprintf(err, errsize, "header vocab size is 0");
		return SRC_EDATA;
	}
	/* Every token takes at least 2 bytes: its length and one byte. */
	if (n > (m->size - LLMC_TOK_HEADER) / 2) {
		snprintf(err, errsize,
			 "header vocab size %" PRIu32 " cannot fit in the %zu "
			 "bytes after the header (2 bytes a token at least)",
			 n, m->size - LLMC_TOK_HEADER);
		return SRC_EDATA;
	}
	if (version == 2 && le32(m->data + 12) >= n) {
		snprintf(err, errsize,
			 "header eot token %" PRIu32 " is not below the vocab "
			 "size %" PRIu32,
			 le32(m->data + 12), n);
		return SRC_EDATA;
	}

	for (uint32_t i = 0; i < n; i++) {
		size_t len;

		if (pos >= m->size) {
			snprintf(err, errsize,
				 "truncated: the file ends at token %" PRIu32
				 " of %" PRIu32,
				 i, n);
			return SRC_EDATA;
		}
		len = m->data[pos];
		if (len == 0) {
			snprintf(err, errsize,
				 "token %" PRIu32 " at offset %zu has length "
				 "0",
				 i, pos);
			return SRC_EDATA;
		}
		if (len > m->size - pos - 1) {
			snprintf(err, errsize,
				 "truncated: token %" PRIu32 " at offset %zu "
				 "has length %zu but %zu bytes are left",
				 i, pos, len, m->size - pos - 1);
			return SRC_EDATA;
		}
		if (vocab_add(v, (const char *)m->data + pos + 1, len)) {
			snprintf(err, errsize, "out of memory");
			return SRC_ENOMEM;
		}
		pos += 1 + len;
	}
	if (pos != m->size) {
		snprintf(err, errsize,
			 "%zu bytes follow the last of the %" PRIu32
			 " tokens (at offset %zu)",
			 m->size - pos, n, pos);
		return SRC_EDATA;
	}
	return 0;
}

static int llmc_tok_load(const char *path, struct vocab *v, char *err,
			 size_t errsize)
{
	struct mapped m;
	int rc;

	if (map_input(path, &m) != EXIT_OK) {
		err[0] = '\0'; /* map_input printed why */
		return SRC_EIO;
	}
	rc = llmc_tok_parse(&m, v, err, errsize);
	unmap_input(&m);
	return rc;
}

static int llmc_tok_probe(const char *path, const uint8_t *head, size_t n)
{
	(void)path;
	if (n >= 4 && le32(head) == LLMC_TOK_MAGIC)
		return 2;
	return 0;
}

const struct vocab_format vocab_llmc = {
	.name = "llmc",
	.what = "llm.c tokenizer file (gpt2_tokenizer.bin, versions 1 and 2)",
	.probe = llmc_tok_probe,
	.load = llmc_tok_load,
};
