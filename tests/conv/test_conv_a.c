/*
 * test_conv_a.c - unit tests of the safetensors, GGUF and llm.c readers and
 * the tokenizer.json, encoder.json, GGUF and llm.c vocabulary loaders.
 *
 * usage: test_conv_a FIXTURE_DIR
 *
 * The cases come from FIXTURE_DIR/manifest.json, written by conv_a_fix.py with
 * the fixtures: one cmocka test per case, named "FORMAT: CASE". A good
 * table must open with its shape, element type, token rows, tokens and
 * metadata, and every row read in chunks must hold the values conv_a_fix.py
 * wrote; a damaged file must fail with SRC_EDATA and a message naming the
 * place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli.h"

extern const struct input_format fmt_safetensors, fmt_gguf, fmt_llmc;
extern const struct vocab_format vocab_tokenizer_json, vocab_encoder_json,
	vocab_gguf, vocab_llmc;

static const struct input_format *const inputs[] = {
	&fmt_safetensors,
	&fmt_gguf,
	&fmt_llmc,
};
static const struct vocab_format *const vocabs[] = {
	&vocab_tokenizer_json,
	&vocab_encoder_json,
	&vocab_gguf,
	&vocab_llmc,
};

#define N_INPUTS (sizeof inputs / sizeof inputs[0])
#define N_VOCABS (sizeof vocabs / sizeof vocabs[0])

static const char *fixdir;

struct tcase {
	json_t *j;
	char path[4096];
	char name[256];
};

static const char *jstr(json_t *c, const char *key)
{
	return json_string_value(json_object_get(c, key));
}

static uint64_t juint(json_t *c, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(c, key));
}

static void fixture_path(char *out, size_t cap, const char *file)
{
	snprintf(out, cap, "%s/%s", fixdir, file);
}

static double half_to_double(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v;

	if (e == 0)
		v = m / 1024.0 / 16384.0;
	else
		v = (1 + m / 1024.0) * (double)(1u << e) / 32768.0;
	return h & 0x8000 ? -v : v;
}

static double elem_value(enum src_elem e, const uint8_t *p)
{
	float f;
	double d;
	uint16_t h;
	uint32_t bits;

	switch (e) {
	case SRC_F32: memcpy(&f, p, 4); return f;
	case SRC_F64: memcpy(&d, p, 8); return d;
	case SRC_F16: memcpy(&h, p, 2); return half_to_double(h);
	case SRC_BF16:
		memcpy(&h, p, 2);
		bits = (uint32_t)h << 16;
		memcpy(&f, &bits, 4);
		return f;
	}
	return -1e300;
}

static enum src_elem elem_of(const char *name)
{
	if (!strcmp(name, "f16"))
		return SRC_F16;
	if (!strcmp(name, "bf16"))
		return SRC_BF16;
	if (!strcmp(name, "f64"))
		return SRC_F64;
	return SRC_F32;
}

static double expected(uint64_t r, uint64_t c, uint64_t salt)
{
	return (double)((7 * r + 3 * c + salt) % 64) / 4.0 - 8.0;
}

/* Compare v with the tokens file (u32 length + bytes per token). */
static void check_tokens(const struct vocab *v, const char *file)
{
	char path[4096];
	FILE *f;
	uint64_t i = 0;
	uint8_t lb[4];

	fixture_path(path, sizeof path, file);
	f = fopen(path, "rb");
	assert_non_null(f);
	while (fread(lb, 1, 4, f) == 4) {
		size_t len = (size_t)lb[0] | (size_t)lb[1] << 8 |
			     (size_t)lb[2] << 16 | (size_t)lb[3] << 24;
		char buf[256];
		const char *tok;
		size_t got;

		assert_true(len <= sizeof buf);
		assert_int_equal(fread(buf, 1, len, f), len);
		tok = vocab_get(v, i, &got);
		if (!tok)
			fail_msg("token %llu missing: the vocabulary has %llu",
				 (unsigned long long)i,
				 (unsigned long long)v->n);
		if (got != len || memcmp(tok, buf, len))
			fail_msg("token %llu: got %.*s, expected %.*s",
				 (unsigned long long)i, (int)got, tok, (int)len,
				 buf);
		i++;
	}
	fclose(f);
	assert_int_equal(v->n, i);
}

static const char *source_meta(const struct source *s, const char *key)
{
	for (int i = 0; i < s->nmeta; i++)
		if (!strcmp(s->meta_key[i], key))
			return s->meta_value[i];
	return NULL;
}

/* Only the case's format may claim a good file by its content. */
static void check_probe(const char *path, const char *fmt, int vocab)
{
	uint8_t head[4096];
	size_t n, count = vocab ? N_VOCABS : N_INPUTS;

	assert_int_equal(read_head(path, head, &n), EXIT_OK);
	for (size_t i = 0; i < count; i++) {
		const char *name = vocab ? vocabs[i]->name : inputs[i]->name;
		int score = vocab ? vocabs[i]->probe(path, head, n)
				  : inputs[i]->probe(path, head, n);

		if (!strcmp(name, fmt) && score != 2)
			fail_msg("probe of %s scored %d, not 2", name, score);
		if (strcmp(name, fmt) && score == 2)
			fail_msg("probe of %s also claims the file", name);
	}
}

static void check_rows(struct source *s, json_t *c)
{
	const uint64_t salt = juint(c, "salt");
	const size_t es = src_elem_size(s->elem);
	uint8_t *buf = malloc(3 * (size_t)s->dim * es);

	assert_non_null(buf);
	for (uint64_t r = 0; r < s->rows; r += 3) {
		uint64_t n = s->rows - r < 3 ? s->rows - r : 3;

		if (s->read(s, n, buf) != 0)
			fail_msg("read of rows %llu..: %s",
				 (unsigned long long)r, s->err);
		for (uint64_t i = 0; i < n; i++)
			for (uint32_t k = 0; k < s->dim; k++) {
				double got = elem_value(
					s->elem, buf + (i * s->dim + k) * es);
				double want = expected(r + i, k, salt);

				if (got != want)
					fail_msg("row %llu column %u: %g, "
						 "expected %g",
						 (unsigned long long)(r + i), k,
						 got, want);
			}
	}
	/* One row more than the table holds is refused. */
	assert_int_equal(s->read(s, 1, buf), SRC_EDATA);
	free(buf);
}

static const struct input_format *input_named(const char *name)
{
	for (size_t i = 0; i < N_INPUTS; i++)
		if (!strcmp(inputs[i]->name, name))
			return inputs[i];
	fail_msg("no input format %s", name);
	return NULL;
}

static const struct vocab_format *vocab_named(const char *name)
{
	for (size_t i = 0; i < N_VOCABS; i++)
		if (!strcmp(vocabs[i]->name, name))
			return vocabs[i];
	fail_msg("no vocabulary format %s", name);
	return NULL;
}

static void run_input(struct tcase *tc)
{
	json_t *c = tc->j, *meta = json_object_get(c, "meta");
	const struct input_format *f = input_named(jstr(c, "format"));
	struct pack_options o = {0};
	struct source s = {0};
	const char *key, *err = jstr(c, "err");
	json_t *val;
	int rc;

	o.tensor = jstr(c, "tensor");
	s.path = tc->path;
	s.format = f->name;
	rc = f->open(&s, tc->path, &o);
	if (err) {
		if (rc != SRC_EDATA)
			fail_msg("open returned %d (%s), expected SRC_EDATA",
				 rc, s.err);
		if (!strstr(s.err, err))
			fail_msg("message \"%s\" lacks \"%s\"", s.err, err);
		source_free(&s);
		return;
	}
	if (rc != 0)
		fail_msg("open failed (%d): %s", rc, s.err);
	check_probe(tc->path, f->name, 0);
	assert_int_equal(s.rows, juint(c, "rows"));
	assert_int_equal(s.dim, juint(c, "dim"));
	assert_int_equal(s.elem, elem_of(jstr(c, "elem")));
	assert_int_equal(s.token_rows, juint(c, "token_rows"));
	assert_non_null(s.read);
	if (jstr(c, "tokens"))
		check_tokens(&s.vocab, jstr(c, "tokens"));
	json_object_foreach(meta, key, val)
	{
		const char *got = source_meta(&s, key);

		if (!got || strcmp(got, json_string_value(val)))
			fail_msg("meta %s: %s, expected %s", key,
				 got ? got : "(absent)",
				 json_string_value(val));
	}
	check_rows(&s, c);
	source_free(&s);
}

static void run_vocab(struct tcase *tc)
{
	json_t *c = tc->j;
	const struct vocab_format *f = vocab_named(jstr(c, "format"));
	const char *err = jstr(c, "err");
	struct vocab v = {0};
	char msg[512] = "";
	int rc = f->load(tc->path, &v, msg, sizeof msg);

	if (err) {
		if (rc != SRC_EDATA)
			fail_msg("load returned %d (%s), expected SRC_EDATA",
				 rc, msg);
		if (!strstr(msg, err))
			fail_msg("message \"%s\" lacks \"%s\"", msg, err);
	} else {
		if (rc != 0)
			fail_msg("load failed (%d): %s", rc, msg);
		check_probe(tc->path, f->name, 1);
		check_tokens(&v, jstr(c, "tokens"));
	}
	vocab_free(&v);
}

static void run_case(void **state)
{
	struct tcase *tc = *state;

	if (!strcmp(jstr(tc->j, "kind"), "in"))
		run_input(tc);
	else
		run_vocab(tc);
}

/* A file of each format that is not there: an I/O error, not a crash. */
static void missing_file(void **state)
{
	char path[4096], msg[512];
	struct vocab v = {0};

	(void)state;
	fixture_path(path, sizeof path, "no-such-file");
	for (size_t i = 0; i < N_INPUTS; i++) {
		struct source s = {0};
		struct pack_options o = {0};

		assert_int_equal(inputs[i]->open(&s, path, &o), SRC_EIO);
		source_free(&s);
	}
	for (size_t i = 0; i < N_VOCABS; i++)
		assert_int_equal(vocabs[i]->load(path, &v, msg, sizeof msg),
				 SRC_EIO);
}

/* quote_bytes escapes and cuts what it quotes. */
static void quote_escapes_and_cuts(void **state)
{
	char buf[80], small[16], big[200];

	(void)state;
	assert_string_equal(quote_bytes(buf, sizeof buf, "a\"b\\c\n", 6),
			    "\"a\\\"b\\\\c\\x0a\"");
	memset(big, 'x', sizeof big);
	quote_bytes(buf, sizeof buf, big, sizeof big);
	assert_true(strlen(buf) < sizeof buf);
	assert_non_null(strstr(buf, "...\""));
	quote_bytes(small, sizeof small, big, sizeof big);
	assert_true(strlen(small) < sizeof small);
	assert_non_null(strstr(small, "...\""));
}

int main(int argc, char **argv)
{
	char path[4096];
	json_error_t je;
	json_t *all;
	struct CMUnitTest *tests;
	struct tcase *cases;
	size_t n, i;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: test_conv_a FIXTURE_DIR\n");
		return 2;
	}
	fixdir = argv[1];
	fixture_path(path, sizeof path, "manifest.json");
	all = json_load_file(path, 0, &je);
	if (!json_is_array(all)) {
		fprintf(stderr, "%s: %s\n", path, je.text);
		return 2;
	}
	n = json_array_size(all);
	tests = calloc(n + 2, sizeof *tests);
	cases = calloc(n, sizeof *cases);
	if (!tests || !cases)
		return 2;
	for (i = 0; i < n; i++) {
		json_t *c = json_array_get(all, i);

		cases[i].j = c;
		fixture_path(cases[i].path, sizeof cases[i].path,
			     jstr(c, "file"));
		snprintf(cases[i].name, sizeof cases[i].name, "%s %s: %s",
			 jstr(c, "kind"), jstr(c, "format"), jstr(c, "name"));
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	tests[n].name = "all formats: missing file is an I/O error";
	tests[n].test_func = missing_file;
	tests[n + 1].name = "quote_bytes: escapes and cuts";
	tests[n + 1].test_func = quote_escapes_and_cuts;
	failed = _cmocka_run_group_tests("conv-a", tests, n + 2, NULL, NULL);
	free(tests);
	free(cases);
	json_decref(all);
	return failed ? 1 : 0;
}
