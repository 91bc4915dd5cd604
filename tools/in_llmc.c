/*
 * in_llmc.c - read the token embeddings of an llm.c GPT-2 checkpoint.
 *
 * llm.c's train_gpt2 writes a header of 256 little-endian int32 - magic
 * 20240326, version (3: float32 parameters, 5: bfloat16), max_seq_len,
 * vocab_size V, num_layers, num_heads, channels C, padded_vocab_size Vp -
 * followed by every parameter tensor, wte (Vp x C) first. All Vp rows are
 * read; the Vp - V padding rows carry no token (source.token_rows = V). The
 * file's size must be exactly the header plus GPT-2's parameter count.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define LLMC_MAGIC 20240326u
#define LLMC_HEADER 1024u /* 256 int32 */

static int32_t le32s(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			 (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/*
 * GPT-2's parameter count: wte Vp*C, wpe maxT*C, per layer 12*C*C + 13*C
 * (ln1, qkv, attention projection, ln2, fc, fc projection with their
 * biases), and the final layer norm 2*C. The header fields are checked
 * positive and below 2^31, so no product here can overflow 64 bits.
 */
static uint64_t llmc_params(uint64_t vp, uint64_t c, uint64_t maxt, uint64_t l)
{
	return vp * c + maxt * c + l * (12 * c * c + 13 * c) + 2 * c;
}

static int llmc_meta(struct source *s, const char *key, int32_t v)
{
	char buf[16];

	snprintf(buf, sizeof buf, "%" PRId32, v);
	return src_meta(s, key, buf);
}

static int llmc_open(struct source *s, const char *path,
		     const struct pack_options *o)
{
	static const char *const field[8] = {
		"magic",      "version",   "max_seq_len", "vocab_size",
		"num_layers", "num_heads", "channels",	  "padded_vocab_size",
	};
	struct mapped_rows *p = calloc(1, sizeof *p);
	int32_t h[8];
	uint64_t esize, wte, total;
	int rc;

	(void)o;
	if (!p)
		return src_fail(s, SRC_ENOMEM, "out of memory");
	s->priv = p;
	s->close = mapped_rows_close;
	s->read = mapped_rows_read;
	if (map_input(path, &p->m) != EXIT_OK)
		return SRC_EIO; /* map_input printed why */

	if (p->m.size < LLMC_HEADER)
		return src_fail(s, SRC_EDATA,
				"the file is %zu bytes, shorter than the "
				"%u-byte llm.c header",
				p->m.size, LLMC_HEADER);
	for (int i = 0; i < 8; i++)
		h[i] = le32s(p->m.data + 4 * (size_t)i);
	if ((uint32_t)h[0] != LLMC_MAGIC)
		return src_fail(s, SRC_EDATA,
				"header magic %" PRId32 ", expected %u (an "
				"llm.c GPT-2 checkpoint)",
				h[0], LLMC_MAGIC);
	if (h[1] != 3 && h[1] != 5)
		return src_fail(s, SRC_EDATA,
				"header version %" PRId32 " unsupported: 3 "
				"(float32) and 5 (bfloat16) are known",
				h[1]);
	for (int i = 2; i < 8; i++)
		if (h[i] <= 0)
			return src_fail(s, SRC_EDATA,
					"header %s is %" PRId32
					", must be positive",
					field[i], h[i]);
	if (h[3] > h[7])
		return src_fail(s, SRC_EDATA,
				"header vocab_size %" PRId32 " exceeds "
				"padded_vocab_size %" PRId32,
				h[3], h[7]);

	esize = h[1] == 3 ? 4 : 2;
	wte = (uint64_t)h[7] * (uint64_t)h[6] * esize;
	if (p->m.size - LLMC_HEADER < wte)
		return src_fail(s, SRC_EDATA,
				"truncated: wte (%" PRId32 " x %" PRId32
				" x %" PRIu64 " bytes) needs %" PRIu64
				" bytes after the header, the file has "
				"%zu: %" PRIu64 " bytes missing",
				h[7], h[6], esize, wte, p->m.size - LLMC_HEADER,
				wte - (p->m.size - LLMC_HEADER));
	total = llmc_params((uint64_t)h[7], (uint64_t)h[6], (uint64_t)h[2],
			    (uint64_t)h[4]) *
		esize;
	if (p->m.size - LLMC_HEADER != total)
		return src_fail(
			s, SRC_EDATA,
			"the file has %zu bytes of parameters but "
			"GPT-2 with padded_vocab_size %" PRId32
			", channels %" PRId32 ", max_seq_len %" PRId32
			" and num_layers %" PRId32 " has %" PRIu64 " (%s)",
			p->m.size - LLMC_HEADER, h[7], h[6], h[2], h[4], total,
			p->m.size - LLMC_HEADER < total
				? "truncated"
				: "extra bytes at the end");

	s->rows = (uint64_t)h[7];
	s->token_rows = (uint64_t)h[3];
	s->dim = (uint32_t)h[6];
	s->elem = h[1] == 3 ? SRC_F32 : SRC_BF16;
	p->rows = p->m.data + LLMC_HEADER;
	p->row_bytes = (size_t)((uint64_t)h[6] * esize);
	rc = llmc_meta(s, "llmc.vocab_size", h[3]);
	if (!rc)
		rc = llmc_meta(s, "llmc.padded_vocab_size", h[7]);
	if (!rc)
		rc = llmc_meta(s, "llmc.max_seq_len", h[2]);
	if (!rc)
		rc = llmc_meta(s, "llmc.num_layers", h[4]);
	if (!rc)
		rc = llmc_meta(s, "llmc.num_heads", h[5]);
	return rc;
}

static int llmc_probe(const char *path, const uint8_t *head, size_t n)
{
	(void)path;
	if (n >= 4 && (uint32_t)le32s(head) == LLMC_MAGIC)
		return 2;
	return 0;
}

const struct input_format fmt_llmc = {
	.name = "llmc",
	.what = "llm.c GPT-2 checkpoint (gpt2_124M.bin, bf16 version 5)",
	.probe = llmc_probe,
	.open = llmc_open,
};
