/*
 * gen_input_seeds.c - write the seed corpora of fuzz_inputs, fuzz_vocab
 * and fuzz_zstd: small valid files of every input and vocabulary format
 * (with the format byte that picks it, looked up by name so the seeds
 * follow the registries), and small tables in the zstd transport form.
 *
 * usage: gen_input_seeds DIR   (writes DIR/inputs, DIR/vocab, DIR/zstd)
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "embmap_format.h"

/* A growing byte buffer. */
struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put_u8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_u32(struct buf *b, uint32_t v)
{
	put(b, &v, 4); /* the project builds on little-endian hosts only */
}

static void put_u64(struct buf *b, uint64_t v)
{
	put(b, &v, 8);
}

static void put_f32(struct buf *b, float v)
{
	put(b, &v, 4);
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void printf_to(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	put(b, tmp, (size_t)n);
}

static float value(int i)
{
	return (float)((i * 37) % 101 - 50) / 16.0f;
}

static int failed;

static void save(const char *dir, const char *name, const uint8_t *pre,
		 size_t npre, const struct buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(pre, 1, npre, f) != npre ||
	    fwrite(b->p, 1, b->n, f) != b->n) {
		perror(path);
		failed = 1;
	}
	if (f && fclose(f) != 0)
		failed = 1;
}

static int input_index(const char *name)
{
	for (int i = 0; input_formats[i]; i++)
		if (!strcmp(input_formats[i]->name, name))
			return i;
	return -1;
}

static int vocab_index(const char *name)
{
	for (int i = 0; vocab_formats[i]; i++)
		if (!strcmp(vocab_formats[i]->name, name))
			return i;
	return -1;
}

/* A seed of fuzz_inputs: format byte, options byte, file. */
static void input_seed(const char *dir, const char *format, uint8_t opt,
		       const char *tag, struct buf *b)
{
	int i = input_index(format);
	uint8_t pre[2] = {(uint8_t)i, opt};
	char name[128];

	if (i < 0) {
		fprintf(stderr, "gen_input_seeds: no input format %s\n",
			format);
		failed = 1;
	} else {
		snprintf(name, sizeof name, "%s-%s", format, tag);
		save(dir, name, pre, 2, b);
	}
	free(b->p);
	memset(b, 0, sizeof *b);
}

static void vocab_seed(const char *dir, const char *format, const char *tag,
		       struct buf *b)
{
	int i = vocab_index(format);
	uint8_t pre = (uint8_t)i;
	char name[128];

	if (i < 0) {
		fprintf(stderr, "gen_input_seeds: no vocabulary format %s\n",
			format);
		failed = 1;
	} else {
		snprintf(name, sizeof name, "%s-%s", format, tag);
		save(dir, name, &pre, 1, b);
	}
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* ---- .npy ---- */

static void npy(struct buf *b, int major, const char *descr, int fortran,
		int rows, int dim)
{
	struct buf h = {0};
	size_t pre = major == 1 ? 10 : 12, isz = (size_t)(descr[2] - '0');

	printf_to(&h,
		  "{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d), }",
		  descr, fortran ? "True" : "False", rows, dim);
	while ((pre + h.n + 1) % 64)
		put_u8(&h, ' ');
	put_u8(&h, '\n');
	put(b, "\x93NUMPY", 6);
	put_u8(b, (uint8_t)major);
	put_u8(b, 0);
	if (major == 1) {
		uint16_t l = (uint16_t)h.n;

		put(b, &l, 2);
	} else {
		put_u32(b, (uint32_t)h.n);
	}
	put(b, h.p, h.n);
	free(h.p);
	for (int i = 0; i < rows * dim; i++) {
		uint8_t e[8];
		double d = value(i);
		float f = value(i);
		uint16_t half = (uint16_t)(0x3c00 + (i % 7) * 0x100);

		if (isz == 8)
			memcpy(e, &d, 8);
		else if (isz == 4)
			memcpy(e, &f, 4);
		else
			memcpy(e, &half, 2);
		if (descr[0] == '>')
			for (size_t k = 0; k < isz / 2; k++) {
				uint8_t t = e[k];

				e[k] = e[isz - 1 - k];
				e[isz - 1 - k] = t;
			}
		put(b, e, isz);
	}
}

/* ---- safetensors ---- */

static void safetensors(struct buf *b, const char *table, const char *dtype,
			int esize)
{
	struct buf h = {0};
	int rows = 3, dim = 4, t = rows * dim * esize;

	printf_to(&h,
		  "{\"__metadata__\":{\"format\":\"pt\"},"
		  "\"%s\":{\"dtype\":\"%s\",\"shape\":[%d,%d],"
		  "\"data_offsets\":[0,%d]},"
		  "\"emb\":{\"dtype\":\"F32\",\"shape\":[2,2],"
		  "\"data_offsets\":[%d,%d]}}",
		  table, dtype, rows, dim, t, t, t + 16);
	while (h.n % 8)
		put_u8(&h, ' ');
	put_u64(b, h.n);
	put(b, h.p, h.n);
	free(h.p);
	for (int i = 0; i < rows * dim; i++) {
		float f = value(i);
		uint32_t bits;

		memcpy(&bits, &f, 4);
		if (esize == 4)
			put_f32(b, f);
		else if (esize == 2) {
			uint16_t v = (uint16_t)(bits >> 16);

			put(b, &v, 2);
		} else {
			double d = f;

			put(b, &d, 8);
		}
	}
	for (int i = 0; i < 4; i++)
		put_f32(b, value(i + 50));
}

/* ---- GGUF ---- */

static void gg_string(struct buf *b, const char *s)
{
	put_u64(b, strlen(s));
	put_str(b, s);
}

static void gguf(struct buf *b, int with_table, int ntok)
{
	size_t pad;

	put_str(b, "GGUF");
	put_u32(b, 3);
	put_u64(b, with_table ? 2 : 0); /* tensors */
	put_u64(b, 5);			/* key/values */
	gg_string(b, "general.architecture");
	put_u32(b, 8);
	gg_string(b, "gpt2");
	gg_string(b, "general.alignment");
	put_u32(b, 4);
	put_u32(b, 32);
	gg_string(b, "tokenizer.ggml.model");
	put_u32(b, 8);
	gg_string(b, "gpt2");
	gg_string(b, "tokenizer.ggml.tokens");
	put_u32(b, 9);
	put_u32(b, 8);
	put_u64(b, (uint64_t)ntok);
	for (int i = 0; i < ntok; i++) {
		char t[16];

		snprintf(t, sizeof t, i == 1 ? " tok%d" : "tok%d", i);
		gg_string(b, t);
	}
	gg_string(b, "tokenizer.ggml.scores");
	put_u32(b, 9);
	put_u32(b, 6);
	put_u64(b, (uint64_t)ntok);
	for (int i = 0; i < ntok; i++)
		put_f32(b, (float)-i);
	if (!with_table)
		return;
	gg_string(b, "token_embd.weight");
	put_u32(b, 2);
	put_u64(b, 4); /* ne[0] = dim */
	put_u64(b, 3); /* ne[1] = rows */
	put_u32(b, 0); /* F32 */
	put_u64(b, 0);
	gg_string(b, "emb");
	put_u32(b, 2);
	put_u64(b, 2);
	put_u64(b, 2);
	put_u32(b, 1); /* F16 */
	put_u64(b, 64);
	pad = (32 - b->n % 32) % 32;
	for (size_t i = 0; i < pad; i++)
		put_u8(b, 0);
	for (int i = 0; i < 12; i++)
		put_f32(b, value(i));
	for (int i = 0; i < 4; i++)
		put_f32(b, 0); /* up to offset 64 */
	for (int i = 0; i < 4; i++) {
		uint16_t h = (uint16_t)(0x3c00 + i);

		put(b, &h, 2);
	}
}

/* ---- llm.c ---- */

static void llmc(struct buf *b, int version)
{
	/* magic, version, maxT, V, layers, heads, C, Vp */
	int32_t h[256] = {20240326, version, 2, 3, 1, 1, 2, 4};
	uint64_t params = 4 * 2 + 2 * 2 + 1 * (12 * 2 * 2 + 13 * 2) + 2 * 2;

	put(b, h, sizeof h);
	for (uint64_t i = 0; i < params; i++) {
		float f = value((int)i);
		uint32_t bits;
		uint16_t v;

		memcpy(&bits, &f, 4);
		v = (uint16_t)(bits >> 16);
		if (version == 3)
			put_f32(b, f);
		else
			put(b, &v, 2);
	}
}

static void llmc_tokenizer(struct buf *b)
{
	int32_t h[256] = {20240328, 2, 4, 3};
	const char *toks[] = {"!", "\"", " the", "<|endoftext|>"};

	put(b, h, sizeof h);
	for (int i = 0; i < 4; i++) {
		put_u8(b, (uint8_t)strlen(toks[i]));
		put_str(b, toks[i]);
	}
}

/* ---- word2vec, GloVe ---- */

static void w2v_binary(struct buf *b)
{
	printf_to(b, "3 4\n");
	for (int r = 0; r < 3; r++) {
		printf_to(b, r == 1 ? "</s> " : "w%d ", r);
		for (int c = 0; c < 4; c++)
			put_f32(b, value(r * 4 + c));
		put_u8(b, '\n');
	}
}

static void w2v_text(struct buf *b, int fasttext)
{
	printf_to(b, "3 4\n");
	for (int r = 0; r < 3; r++) {
		printf_to(b, "w%d", r);
		for (int c = 0; c < 4; c++)
			printf_to(b, " %.9g", (double)value(r * 4 + c));
		printf_to(b, fasttext ? " \r\n" : "\n");
	}
}

static void glove(struct buf *b)
{
	printf_to(b, "the 0.418 0.24968 -0.41242\n"
		     "new york 1e-3 -2.5 3\n"
		     "\n"
		     "2010 0.5 0.25 0.125");
}

static void inputs(const char *dir)
{
	struct buf b = {0};

	npy(&b, 1, "<f4", 0, 3, 4);
	input_seed(dir, "npy", 0, "f4", &b);
	npy(&b, 2, ">f8", 1, 3, 5);
	input_seed(dir, "npy", 0, "f8-fortran", &b);
	npy(&b, 3, "<f2", 0, 2, 3);
	input_seed(dir, "npy", 0, "f2", &b);
	safetensors(&b, "wte.weight", "F32", 4);
	input_seed(dir, "safetensors", 0, "f32", &b);
	safetensors(&b, "model.embed_tokens.weight", "BF16", 2);
	input_seed(dir, "safetensors", 1, "bf16-tensor", &b);
	safetensors(&b, "tok_embeddings.weight", "F64", 8);
	input_seed(dir, "safetensors", 0, "f64", &b);
	gguf(&b, 1, 3);
	input_seed(dir, "gguf", 0, "f32", &b);
	gguf(&b, 1, 2);
	input_seed(dir, "gguf", 1, "tensor", &b);
	llmc(&b, 3);
	input_seed(dir, "llmc", 0, "f32", &b);
	llmc(&b, 5);
	input_seed(dir, "llmc", 0, "bf16", &b);
	w2v_binary(&b);
	input_seed(dir, "word2vec", 0, "bin", &b);
	w2v_text(&b, 0);
	input_seed(dir, "word2vec-text", 0, "text", &b);
	w2v_text(&b, 1);
	input_seed(dir, "word2vec-text", 0, "vec", &b);
	glove(&b);
	input_seed(dir, "glove", 0, "txt", &b);
	for (int i = 0; i < 12; i++)
		put_f32(&b, value(i));
	input_seed(dir, "raw", 2 | 2 << 2, "3x4", &b);
}

static void vocabs(const char *dir)
{
	struct buf b = {0};

	printf_to(&b, "{\"version\":\"1.0\",\"added_tokens\":["
		      "{\"id\":3,\"content\":\"<eos>\",\"special\":true},"
		      "{\"id\":0,\"content\":\"a\"}],"
		      "\"model\":{\"type\":\"BPE\",\"vocab\":"
		      "{\"a\":0,\"b\":1,\"\\u0120ab\":2}}}");
	vocab_seed(dir, "tokenizer-json", "bpe", &b);
	printf_to(&b, "{\"model\":{\"type\":\"Unigram\",\"vocab\":"
		      "[[\"<unk>\",0.0],[\"\\u2581a\",-1.5],[\"b\",-2]]}}");
	vocab_seed(dir, "tokenizer-json", "unigram", &b);
	printf_to(&b, "{\"!\": 0, \"\\\"\": 1, \"\\u0120the\": 2, "
		      "\"<|endoftext|>\": 3}");
	vocab_seed(dir, "encoder-json", "gpt2", &b);
	gguf(&b, 0, 4);
	vocab_seed(dir, "gguf", "tokens", &b);
	llmc_tokenizer(&b);
	vocab_seed(dir, "llmc", "v2", &b);
	printf_to(&b, "the\n\\\\\nnew\\tline\\n\n\\x00nul\r\n\\q\nlast");
	vocab_seed(dir, "text", "escapes", &b);
}

/*
 * Hostile files: each declares a count, length or shape that the file
 * cannot back, of the kinds that have broken parsers of these formats
 * (lengths near 2^64 that wrap an addition, count x size products that
 * overflow, unchecked type codes, alignment padding that wraps, huge
 * element counts that ask for memory). Each must be refused with a
 * message; the fuzz targets check that nothing is allocated for it.
 */
static void gg_head(struct buf *b, uint64_t tensors, uint64_t kvs)
{
	put_str(b, "GGUF");
	put_u32(b, 3);
	put_u64(b, tensors);
	put_u64(b, kvs);
}

static void gg_tensor(struct buf *b, const char *name, uint64_t ne0,
		      uint64_t ne1, uint32_t type, uint64_t offset)
{
	gg_string(b, name);
	put_u32(b, 2);
	put_u64(b, ne0);
	put_u64(b, ne1);
	put_u32(b, type);
	put_u64(b, offset);
}

static void st_header(struct buf *b, const char *json)
{
	put_u64(b, strlen(json));
	put_str(b, json);
}

static void npy_header(struct buf *b, int major, uint32_t hlen,
		       const char *dict)
{
	put(b, "\x93NUMPY", 6);
	put_u8(b, (uint8_t)major);
	put_u8(b, 0);
	if (!hlen)
		hlen = (uint32_t)strlen(dict);
	if (major == 1) {
		uint16_t l = (uint16_t)hlen;

		put(b, &l, 2);
	} else {
		put_u32(b, hlen);
	}
	put_str(b, dict);
}

static void hostile_inputs(const char *dir)
{
	struct buf b = {0};
	int32_t llmc_h[256] = {20240326, 3, 2, 3, 1, 1, 0x7fffffff, 0x7fffffff};

	/* GGUF: a token array of 2^61 strings in a few bytes */
	gg_head(&b, 0, 1);
	gg_string(&b, "tokenizer.ggml.tokens");
	put_u32(&b, 9);
	put_u32(&b, 8);
	put_u64(&b, UINT64_C(1) << 61);
	gg_string(&b, "a");
	input_seed(dir, "gguf", 0, "hostile-token-count", &b);
	/* GGUF: a key whose length is 2^64 - 1 (the offset would wrap) */
	gg_head(&b, 0, 1);
	put_u64(&b, UINT64_MAX);
	put_str(&b, "general.name");
	input_seed(dir, "gguf", 0, "hostile-key-length", &b);
	/* GGUF: dimensions whose product overflows 64 bits */
	gg_head(&b, 1, 0);
	gg_tensor(&b, "token_embd.weight", UINT64_C(1) << 33, UINT64_C(1) << 33,
		  0, 0);
	for (int i = 0; i < 96; i++)
		put_u8(&b, 0);
	input_seed(dir, "gguf", 0, "hostile-dim-product", &b);
	/* GGUF: a tensor type far past the known ones */
	gg_head(&b, 1, 0);
	gg_tensor(&b, "token_embd.weight", 4, 3, 0xfffffff0u, 0);
	for (int i = 0; i < 96; i++)
		put_u8(&b, 0);
	input_seed(dir, "gguf", 0, "hostile-type", &b);
	/* GGUF: alignment 2^31 and an offset whose padding wraps */
	gg_head(&b, 1, 1);
	gg_string(&b, "general.alignment");
	put_u32(&b, 4);
	put_u32(&b, 0x80000000u);
	gg_tensor(&b, "token_embd.weight", 4, 3, 0, UINT64_MAX - 0x7fffffffu);
	input_seed(dir, "gguf", 0, "hostile-alignment", &b);
	/* safetensors: a header length of 2^64 - 1 */
	put_u64(&b, UINT64_MAX);
	put_str(&b, "{}");
	input_seed(dir, "safetensors", 0, "hostile-header-length", &b);
	/* safetensors: a shape whose element count overflows */
	st_header(&b, "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":"
		      "[4294967296,4294967296,4294967296],"
		      "\"data_offsets\":[0,9223372036854775807]}}");
	input_seed(dir, "safetensors", 0, "hostile-shape", &b);
	/* .npy: rows x dim x 4 overflows 64 bits */
	npy_header(&b, 1, 0,
		   "{'descr': '<f4', 'fortran_order': False, 'shape': "
		   "(4611686018427387904, 4), }  \n");
	input_seed(dir, "npy", 0, "hostile-shape", &b);
	/* .npy 2.0: a header length of 2^32 - 1 */
	npy_header(&b, 2, 0xffffffffu, "{'descr': '<f4'");
	input_seed(dir, "npy", 0, "hostile-header-length", &b);
	/* llm.c: padded_vocab_size and channels at 2^31 - 1 */
	put(&b, llmc_h, sizeof llmc_h);
	put_f32(&b, 1);
	input_seed(dir, "llmc", 0, "hostile-shape", &b);
	/* word2vec: 10^12 rows of 2^24 values promised in a few bytes */
	printf_to(&b, "1000000000000 16777216\na ");
	put_f32(&b, 1);
	input_seed(dir, "word2vec", 0, "hostile-rows", &b);
	printf_to(&b, "18446744073709551615 3\na 1 2 3\n");
	input_seed(dir, "word2vec-text", 0, "hostile-rows", &b);
	printf_to(&b, "18446744073709551616 3\na 1 2 3\n");
	input_seed(dir, "word2vec-text", 0, "hostile-rows-overflow", &b);
	/* GloVe: values that are not finite or beyond float32 */
	printf_to(&b, "a 1 2 3\nb nan 1e39 -inf\n");
	input_seed(dir, "glove", 0, "hostile-values", &b);
	/* raw: --shape rows x dim x 4 overflows (opt: shape, dim 128) */
	/* raw: a --shape that the file's size does not match */
	for (int i = 0; i < 4; i++)
		put_f32(&b, 1);
	input_seed(dir, "raw", 2 | 7 << 2, "hostile-size", &b);
}

static void hostile_vocabs(const char *dir)
{
	struct buf b = {0};
	int32_t llmc_h[256] = {20240328, 1, 0x7fffffff};

	put(&b, llmc_h, sizeof llmc_h);
	printf_to(&b, "\x01"
		      "a");
	vocab_seed(dir, "llmc", "hostile-count", &b);
	printf_to(&b,
		  "{\"model\":{\"vocab\":{\"a\":0,\"b\":4611686018427387904,"
		  "\"c\":-1}}}");
	vocab_seed(dir, "tokenizer-json", "hostile-ids", &b);
	printf_to(&b, "{\"a\": 0, \"b\": 9223372036854775807}");
	vocab_seed(dir, "encoder-json", "hostile-id", &b);
	printf_to(&b, "{\"a\": 0, \"b\": 0}");
	vocab_seed(dir, "encoder-json", "hostile-shared-id", &b);
	gg_head(&b, 0, 1);
	gg_string(&b, "tokenizer.ggml.tokens");
	put_u32(&b, 9);
	put_u32(&b, 8);
	put_u64(&b, UINT64_MAX);
	put_u64(&b, UINT64_MAX - 2);
	vocab_seed(dir, "gguf", "hostile-count", &b);
	printf_to(&b, "a\n\nb\n\\x4\\");
	vocab_seed(dir, "text", "hostile-lines", &b);
}

/* ---- the zstd transport form ---- */

/* An unshuffled transport file, kept for zstd_hostile(). */
static struct buf zkeep;

static int zstd_seed(const char *dir, const char *name, int dtype, int rows,
		     int dim, int ntok, uint32_t frame_rows, unsigned flags)
{
	char plain[4096], z[4096];
	struct embmap_writer_options wo = {.block_rows = 2,
					   .flags = EMBMAP_WRITE_NO_SYNC};
	struct embmap_zstd_options zo = {.level = 1,
					 .frame_rows = frame_rows,
					 .flags = flags | EMBMAP_WRITE_NO_SYNC,
					 .threads = 1};
	float *v = malloc(sizeof *v * (size_t)(rows * dim));
	struct buf b = {0};
	embmap_writer *w;
	FILE *f;
	long n;
	int rc = 1;

	snprintf(plain, sizeof plain, "%s/.plain.embmap", dir);
	snprintf(z, sizeof z, "%s/.seed.embmapz", dir);
	for (int i = 0; v && i < rows * dim; i++)
		v[i] = value(i);
	if (!v || embmap_writer_open(plain, (uint32_t)dim, dtype, &wo, &w))
		goto out;
	if (embmap_writer_add_rows_f32(w, v, (uint64_t)rows, 0))
		goto abort;
	for (int i = 0; i < ntok; i++) {
		char t[16];
		int len = snprintf(t, sizeof t, "t%d", i);

		if (embmap_writer_add_token(w, t, (size_t)len))
			goto abort;
	}
	if (embmap_writer_set_meta(w, "name", "seed") ||
	    embmap_writer_finish(w) || embmap_compress(plain, z, &zo))
		goto out;
	if (!(f = fopen(z, "rb")))
		goto out;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b.p = malloc((size_t)n);
	b.n = (size_t)n;
	if (b.p && fread(b.p, 1, b.n, f) == b.n) {
		char nm[128];
		uint8_t ctl;

		for (ctl = 0; ctl < 2; ctl++) {
			uint8_t c = (uint8_t)(ctl | (ctl ? 0x22 : 0x14));

			snprintf(nm, sizeof nm, "%s-%u", name, ctl);
			save(dir, nm, &c, 1, &b);
		}
		rc = 0;
	}
	if (rc == 0 && !zkeep.p && (flags & EMBMAP_ZSTD_NO_SHUFFLE))
		put(&zkeep, b.p, b.n);
	free(b.p);
	fclose(f);
	goto out;
abort:
	embmap_writer_abort(w);
out:
	if (rc)
		fprintf(stderr, "gen_input_seeds: zstd %s: %s\n", name,
			embmap_errmsg());
	unlink(plain);
	unlink(z);
	free(v);
	return rc;
}

/* Overwrite n bytes at off of a copy of zkeep and save it (checksums
 * recomputed by the target: control byte 1). */
static void zpatch(const char *dir, const char *name, size_t off, const void *v,
		   size_t n)
{
	struct buf b = {0};
	uint8_t ctl = 1;

	put(&b, zkeep.p, zkeep.n);
	if (off + n <= b.n) {
		memcpy(b.p + off, v, n);
		save(dir, name, &ctl, 1, &b);
	}
	free(b.p);
}

/*
 * Hostile transport files: sizes and counts in the descriptor, the frame
 * table and the plain head that the file cannot back.
 */
static void zstd_hostile(const char *dir)
{
	const size_t d = EMBMAP_HEADER_SIZE, head = d + 64;
	const uint64_t big = UINT64_C(1) << 62, all = UINT64_MAX;
	const uint32_t u32max = UINT32_MAX, zero = 0;
	const uint64_t zero64 = 0;
	uint64_t table;

	if (zkeep.n < head + EMBMAP_HEADER_SIZE)
		return;
	memcpy(&table, zkeep.p + d + 8, 8);
	zpatch(dir, "hostile-plain-size", d + 0, &big, 8);
	zpatch(dir, "hostile-table-offset", d + 8, &all, 8);
	zpatch(dir, "hostile-frame-count", d + 16, &big, 8);
	zpatch(dir, "hostile-frame-rows", d + 36, &u32max, 4);
	zpatch(dir, "hostile-aux-frame-size", d + 40, &zero, 4);
	zpatch(dir, "hostile-filter", d + 44, &u32max, 4);
	zpatch(dir, "hostile-head-rows", head + 48, &big, 8);
	zpatch(dir, "hostile-head-sections", head + 20, &u32max, 4);
	zpatch(dir, "hostile-frame-offset", (size_t)table, &zero64, 8);
	zpatch(dir, "hostile-frame-size", (size_t)table + 8, &u32max, 4);
	zpatch(dir, "hostile-frame-plain-size", (size_t)table + 12, &u32max, 4);
	free(zkeep.p);
}

static void zstds(const char *dir)
{
	failed |= zstd_seed(dir, "f32", EMBMAP_DTYPE_F32, 9, 3, 9, 2, 0);
	failed |= zstd_seed(dir, "f32-plain", EMBMAP_DTYPE_F32, 7, 2, 3, 4,
			    EMBMAP_ZSTD_NO_SHUFFLE);
	failed |= zstd_seed(dir, "f16", EMBMAP_DTYPE_F16, 5, 5, 0, 1, 0);
	failed |= zstd_seed(dir, "bf16", EMBMAP_DTYPE_BF16, 6, 4, 2, 8,
			    EMBMAP_ZSTD_NO_SHUFFLE);
	failed |= zstd_seed(dir, "i8", EMBMAP_DTYPE_I8, 11, 4, 7, 4,
			    EMBMAP_ZSTD_NO_SHUFFLE);
	/* Frames wide enough for the vector (un)shuffle paths. */
	failed |=
		zstd_seed(dir, "f32-wide", EMBMAP_DTYPE_F32, 40, 16, 3, 16, 0);
	failed |=
		zstd_seed(dir, "f16-wide", EMBMAP_DTYPE_F16, 33, 24, 0, 32, 0);
	zstd_hostile(dir);
}

int main(int argc, char **argv)
{
	char d[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: gen_input_seeds DIR\n");
		return 2;
	}
	snprintf(d, sizeof d, "%s/inputs", argv[1]);
	mkdir(d, 0755);
	inputs(d);
	hostile_inputs(d);
	snprintf(d, sizeof d, "%s/vocab", argv[1]);
	mkdir(d, 0755);
	vocabs(d);
	hostile_vocabs(d);
	snprintf(d, sizeof d, "%s/zstd", argv[1]);
	mkdir(d, 0755);
	zstds(d);
	return failed;
}
