/*
 * test_golden.c - the golden files in format/golden/ pin the format.
 *
 * For each NAME.desc: the writer must produce NAME.embmap byte for byte,
 * and decoding the committed NAME.embmap must give NAME.expect exactly. A
 * failure here means the bytes of the format changed (or the way the
 * library reads them): if that is intended, SPEC.md and CHANGELOG.md must
 * say so, and `make golden` regenerates the files.
 *
 * Run from the repository root.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden.h"
#include "tables.h"

#define GOLDEN_DIR "format/golden"

static char *tmp;
static char *names[32];
static int nnames;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int setup(void **state)
{
	DIR *d = opendir(GOLDEN_DIR);
	struct dirent *e;

	(void)state;
	if (!d) {
		fprintf(stderr,
			"test_golden: cannot open %s (run from the "
			"repository root)\n",
			GOLDEN_DIR);
		return -1;
	}
	while ((e = readdir(d)) != NULL && nnames < 32) {
		size_t n = strlen(e->d_name);

		if (n > 5 && strcmp(e->d_name + n - 5, ".desc") == 0)
			names[nnames++] = strndup(e->d_name, n - 5);
	}
	closedir(d);
	qsort(names, (size_t)nnames, sizeof *names, by_name);
	tmp = tt_tempdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nnames; i++)
		free(names[i]);
	tt_remove_dir(tmp);
	free(tmp);
	return 0;
}

static char *golden_path(const char *name, const char *ext)
{
	char *p = malloc(strlen(GOLDEN_DIR) + strlen(name) + strlen(ext) + 2);

	assert_non_null(p);
	sprintf(p, "%s/%s%s", GOLDEN_DIR, name, ext);
	return p;
}

static void test_golden_files_present(void **state)
{
	static const char *const expected[] = {"align64k", "notokens-f32",
					       "padded", "tiny-f32"};

	(void)state;
	assert_true(nnames >= 4);
	for (size_t k = 0; k < 4; k++) {
		int found = 0;

		for (int i = 0; i < nnames; i++)
			found |= strcmp(names[i], expected[k]) == 0;
		if (!found)
			fail_msg("%s/%s.desc is missing", GOLDEN_DIR,
				 expected[k]);
	}
}

/* The writer, given each description, writes the committed bytes. */
static void test_golden_regenerate_identical(void **state)
{
	(void)state;
	for (int i = 0; i < nnames; i++) {
		char *desc = golden_path(names[i], ".desc");
		char *committed = golden_path(names[i], ".embmap");
		char *fresh = tt_join(tmp, "fresh.embmap");
		char err[512];
		size_t na, nb, at = 0;
		uint8_t *a, *b;

		if (golden_build(desc, fresh, err, sizeof err) != 0)
			fail_msg("%s", err);
		a = tt_slurp(committed, &na);
		b = tt_slurp(fresh, &nb);
		while (at < na && at < nb && a[at] == b[at])
			at++;
		if (at != na || na != nb)
			fail_msg("%s: the writer now produces different bytes "
				 "(%zu bytes, committed %zu; first difference "
				 "at offset %zu). A format change needs "
				 "SPEC.md, CHANGELOG.md and `make golden`.",
				 names[i], nb, na, at);
		free(a);
		free(b);
		free(desc);
		free(committed);
		free(fresh);
	}
}

/* The committed file decodes to the committed expectation. */
static void test_golden_decode_matches_expect(void **state)
{
	(void)state;
	for (int i = 0; i < nnames; i++) {
		char *file = golden_path(names[i], ".embmap");
		char *expect_path = golden_path(names[i], ".expect");
		char err[512];
		char *text = golden_decode(file, err, sizeof err);
		size_t n;
		uint8_t *want = tt_slurp(expect_path, &n);
		size_t at = 0, line = 1;

		if (!text)
			fail_msg("%s", err);
		want = realloc(want, n + 1); /* a C string, for the message */
		assert_non_null(want);
		want[n] = 0;
		while (at < n && text[at] && text[at] == (char)want[at]) {
			line += text[at] == '\n';
			at++;
		}
		if (at != n || text[at] != 0) {
			size_t ls = at; /* the start of the differing line */

			while (ls > 0 && text[ls - 1] != '\n')
				ls--;
			fail_msg("%s: decoding differs from %s at line %zu:\n"
				 "  got:      %.*s\n  expected: %.*s",
				 names[i], expect_path, line,
				 (int)strcspn(text + ls, "\n"), text + ls,
				 (int)strcspn((const char *)want + ls, "\n"),
				 (const char *)want + ls);
		}
		free(text);
		free(want);
		free(file);
		free(expect_path);
	}
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * A few fields of tiny-f32 read at their byte offsets, as
 * format/embmap_format.h places them, without the library.
 */
static void test_golden_raw_bytes_tiny(void **state)
{
	static const uint8_t magic[8] = {0x89, 'E',  'M',  'B',
					 '\r', '\n', 0x1a, '\n'};
	static const uint8_t bom[4] = {0x04, 0x03, 0x02, 0x01};
	static const uint8_t half[4] = {0x00, 0x00, 0x00, 0x3f}; /* 0.5f */
	size_t size;
	uint8_t *p = tt_slurp(GOLDEN_DIR "/tiny-f32.embmap", &size);

	(void)state;
	assert_true(size > 4096 + 48);
	assert_memory_equal(p, magic, 8);
	assert_memory_equal(p + 8, bom, 4);
	assert_int_equal(p[12] | p[13] << 8, 1); /* version_major */
	assert_int_equal(le32(p + 16), 128);	 /* header_size */
	assert_int_equal(le64(p + 40), size);	 /* file_size */
	assert_int_equal(le64(p + 48), 3);	 /* rows */
	assert_int_equal(le32(p + 56), 4);	 /* dim */
	assert_int_equal(le32(p + 60), 1);	 /* dtype f32 */
	assert_int_equal(le64(p + 64), 16);	 /* row_stride */
	assert_int_equal(le64(p + 72), 3);	 /* token_count */
	assert_int_equal(le32(p + 80), 4096);	 /* alignment */
	/* Directory entry 0, the matrix, at the alignment. */
	assert_int_equal(le32(p + 128), 1);
	assert_int_equal(le64(p + 128 + 8), le32(p + 80));
	assert_int_equal(le64(p + 128 + 16), 3 * 16);
	assert_memory_equal(p + 4096, half, 4); /* row 0, column 0 */
	free(p);
}

static void test_golden_raw_bytes_align64k(void **state)
{
	size_t size;
	uint8_t *p = tt_slurp(GOLDEN_DIR "/align64k.embmap", &size);
	uint32_t sections;

	(void)state;
	assert_int_equal(le32(p + 80), 65536);
	assert_int_equal(le64(p + 128 + 8), 65536);
	assert_int_equal(le64(p + 40), size);
	sections = le32(p + 20);
	for (size_t o = 128 + 48 * (size_t)sections; o < 65536; o++)
		assert_int_equal(p[o], 0);
	assert_int_equal(p[65536] | p[65537] << 8, 0x3c00); /* f16 1.0 */
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_files_present),
		cmocka_unit_test(test_golden_regenerate_identical),
		cmocka_unit_test(test_golden_decode_matches_expect),
		cmocka_unit_test(test_golden_raw_bytes_tiny),
		cmocka_unit_test(test_golden_raw_bytes_align64k),
	};

	return cmocka_run_group_tests_name("golden", tests, setup, teardown);
}
