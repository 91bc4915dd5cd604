/*
 * test_verify.c - embmap_verify and embmap_verify_rows (src/verify.c):
 * what each kind of damage is reported as, and through which callback.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "embmap.h"
#include "embmap_format.h"
#include "tables.h"

static char *tmp;
static uint8_t *image; /* 37 x 5 f32, 37 tokens, 2 meta, block_rows 4 */
static size_t image_size;

static const char *const good_meta[] = {"model", "test", "dim", "5"};

static const struct tt_spec good_spec = {
	.rows = 37,
	.dim = 5,
	.tokens = 37,
	.block_rows = 4,
	.meta = good_meta,
	.nmeta = 2,
};

#define MATRIX_AT 4096u
#define STRIDE 20u

struct damage {
	uint32_t kind;
	uint64_t first, count;
};

struct record {
	int n;
	struct damage d[16];
};

static void record_fn(void *ctx, const struct embmap_damage *d)
{
	struct record *r = ctx;

	assert_true(r->n < 16);
	assert_true(d->code == EMBMAP_ECHECKSUM || d->code == EMBMAP_ECORRUPT);
	assert_true(d->detail && *d->detail);
	r->d[r->n].kind = d->kind;
	r->d[r->n].first = d->first_row;
	r->d[r->n].count = d->row_count;
	r->n++;
}

static int setup(void **state)
{
	char *path;

	(void)state;
	tmp = tt_tempdir();
	path = tt_join(tmp, "good.embmap");
	TT_OK(tt_build(path, &good_spec));
	image = tt_slurp(path, &image_size);
	free(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_remove_dir(tmp);
	free(image);
	free(tmp);
	return 0;
}

/* A private copy of the good image, for a test to damage. */
static uint8_t *copy_image(void)
{
	uint8_t *p = malloc(image_size);

	assert_non_null(p);
	memcpy(p, image, image_size);
	return p;
}

static uint64_t section_offset(const uint8_t *img, uint32_t kind)
{
	int i = tt_find_section(img, kind);

	assert_true(i >= 0);
	return tt_get64(img, tt_entry((uint32_t)i) + TT_SEC_OFFSET);
}

/* Open img (exactly its size), verify, record; returns verify's code. */
static int verify_image(const uint8_t *img, struct record *r)
{
	embmap *t;
	uint8_t *copy;
	int rc;

	memset(r, 0, sizeof *r);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	rc = embmap_verify(t, record_fn, r);
	embmap_close(t);
	free(copy);
	return rc;
}

static void expect_one(const struct record *r, uint32_t kind, uint64_t first,
		       uint64_t count)
{
	assert_int_equal(r->n, 1);
	assert_int_equal(r->d[0].kind, kind);
	assert_int_equal(r->d[0].first, first);
	assert_int_equal(r->d[0].count, count);
}

static void test_verify_intact(void **state)
{
	struct record r;
	embmap *t;
	uint8_t *copy;

	(void)state;
	assert_int_equal(verify_image(image, &r), 0);
	assert_int_equal(r.n, 0);
	TT_OK(tt_open_copy(image, image_size, 0, &t, &copy));
	TT_OK(embmap_verify(t, NULL, NULL));
	TT_OK(embmap_verify_rows(t, 0, 37));
	embmap_close(t);
	free(copy);
}

static void test_verify_matrix_runs(void **state)
{
	uint8_t *img = copy_image();
	struct record r;

	(void)state;
	img[MATRIX_AT + 5 * STRIDE] ^= 1;      /* block 1: rows 4..7 */
	img[MATRIX_AT + 9 * STRIDE + 19] ^= 1; /* block 2: rows 8..11 */
	img[MATRIX_AT + 30 * STRIDE + 7] ^= 1; /* block 7: rows 28..31 */
	img[MATRIX_AT + 36 * STRIDE + 2] ^= 1; /* block 9: row 36 alone */
	assert_int_equal(verify_image(img, &r), EMBMAP_ECHECKSUM);
	assert_non_null(strstr(embmap_errmsg(), "rows 4..11"));
	/* Adjacent blocks 1 and 2 are one run; block 8 between 7 and 9 held. */
	assert_int_equal(r.n, 3);
	assert_int_equal(r.d[0].kind, EMBMAP_SECTION_MATRIX);
	assert_int_equal(r.d[0].first, 4);
	assert_int_equal(r.d[0].count, 8);
	assert_int_equal(r.d[1].kind, EMBMAP_SECTION_MATRIX);
	assert_int_equal(r.d[1].first, 28);
	assert_int_equal(r.d[1].count, 4);
	assert_int_equal(r.d[2].kind, EMBMAP_SECTION_MATRIX);
	assert_int_equal(r.d[2].first, 36);
	assert_int_equal(r.d[2].count, 1);
	free(img);
}

static void test_verify_sections(void **state)
{
	static const uint32_t kinds[] = {
		EMBMAP_SECTION_BLOCK_SUMS, EMBMAP_SECTION_META,
		EMBMAP_SECTION_TOKEN_OFFSETS, EMBMAP_SECTION_TOKEN_BYTES,
		EMBMAP_SECTION_TOKEN_INDEX};
	struct record r;

	(void)state;
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		uint8_t *img = copy_image();

		/* The second byte: not a bound open checks. */
		img[section_offset(img, kinds[k]) + 9] ^= 0x01;
		assert_int_equal(verify_image(img, &r), EMBMAP_ECHECKSUM);
		expect_one(&r, kinds[k], 0, 0);
		assert_non_null(
			strstr(embmap_errmsg(), embmap_section_name(kinds[k])));
		free(img);
	}
}

/* Matrix rows are still located when other sections are damaged... */
static void test_verify_matrix_and_meta(void **state)
{
	uint8_t *img = copy_image();
	struct record r;

	(void)state;
	img[section_offset(img, EMBMAP_SECTION_META) + 10] ^= 0x01;
	img[MATRIX_AT + 17 * STRIDE] ^= 0x80;
	assert_int_equal(verify_image(img, &r), EMBMAP_ECHECKSUM);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.d[0].kind, EMBMAP_SECTION_META);
	assert_int_equal(r.d[1].kind, EMBMAP_SECTION_MATRIX);
	assert_int_equal(r.d[1].first, 16);
	assert_int_equal(r.d[1].count, 4);
	free(img);
}

/* ...but not through block sums that are damaged themselves. */
static void test_verify_matrix_and_block_sums(void **state)
{
	uint8_t *img = copy_image();
	struct record r;
	embmap *t;
	uint8_t *copy;

	(void)state;
	img[section_offset(img, EMBMAP_SECTION_BLOCK_SUMS) + 3] ^= 0x01;
	img[MATRIX_AT + 17 * STRIDE] ^= 0x80;
	assert_int_equal(verify_image(img, &r), EMBMAP_ECHECKSUM);
	expect_one(&r, EMBMAP_SECTION_BLOCK_SUMS, 0, 0);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	assert_int_equal(embmap_verify_rows(t, 0, 1), EMBMAP_ECHECKSUM);
	assert_non_null(strstr(embmap_errmsg(), "block-sums"));
	embmap_close(t);
	free(copy);
	free(img);
}

static void test_verify_padding(void **state)
{
	uint8_t *img = copy_image();
	uint64_t after_matrix = MATRIX_AT + 37 * STRIDE;
	struct record r;
	char where[64];

	(void)state;
	img[2000] = 0x20;
	assert_int_equal(verify_image(img, &r), EMBMAP_ECORRUPT);
	expect_one(&r, EMBMAP_DAMAGE_PADDING, 0, 0);
	assert_non_null(strstr(embmap_errmsg(), "offset 2000 is 0x20"));
	img[2000] = 0;
	/* The gap after the matrix, up to the next 64-byte boundary. */
	assert_int_equal(after_matrix % 64, 36); /* 28 bytes of padding */
	img[after_matrix + 11] = 1;
	assert_int_equal(verify_image(img, &r), EMBMAP_ECORRUPT);
	expect_one(&r, EMBMAP_DAMAGE_PADDING, 0, 0);
	snprintf(where, sizeof where, "offset %llu",
		 (unsigned long long)(after_matrix + 11));
	assert_non_null(strstr(embmap_errmsg(), where));
	free(img);
}

static void test_verify_content_hash(void **state)
{
	uint8_t *img = copy_image();
	struct record r;

	(void)state;
	img[88 + 15] ^= 0x01; /* the last byte of the content hash */
	tt_reseal(img);
	assert_int_equal(verify_image(img, &r), EMBMAP_ECHECKSUM);
	expect_one(&r, EMBMAP_DAMAGE_CONTENT, 0, 0);
	assert_non_null(strstr(embmap_errmsg(), "content hash"));
	free(img);
}

static void test_verify_rows_ranges(void **state)
{
	uint8_t *img = copy_image();
	embmap *t;
	uint8_t *copy;

	(void)state;
	img[MATRIX_AT + 6 * STRIDE + 1] ^= 0x10; /* block 1: rows 4..7 */
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	TT_OK(embmap_verify_rows(t, 0, 4));
	TT_OK(embmap_verify_rows(t, 8, 29));
	TT_OK(embmap_verify_rows(t, 37, 0));
	TT_OK(embmap_verify_rows(t, 5, 0));
	for (uint64_t first = 0; first < 37; first++)
		for (uint64_t count = 1; first + count <= 37; count++) {
			int hit = first <= 7 && first + count > 4;

			assert_int_equal(embmap_verify_rows(t, first, count),
					 hit ? EMBMAP_ECHECKSUM : 0);
		}
	assert_int_equal(embmap_verify_rows(t, 4, 1), EMBMAP_ECHECKSUM);
	assert_non_null(strstr(embmap_errmsg(), "rows 4..7"));

	assert_int_equal(embmap_verify_rows(t, 38, 0), EMBMAP_ERANGE);
	assert_int_equal(embmap_verify_rows(t, 0, 38), EMBMAP_ERANGE);
	assert_int_equal(embmap_verify_rows(t, 36, 2), EMBMAP_ERANGE);
	assert_int_equal(embmap_verify_rows(t, 1, UINT64_MAX), EMBMAP_ERANGE);
	assert_int_equal(embmap_verify_rows(t, UINT64_MAX, 1), EMBMAP_ERANGE);
	assert_non_null(strstr(embmap_errmsg(), "37 rows"));
	embmap_close(t);
	free(copy);
	free(img);
}

/* Put the two metadata entries out of order, keeping every checksum. */
static void test_verify_meta_unsorted(void **state)
{
	uint8_t *img = copy_image();
	int i = tt_find_section(img, EMBMAP_SECTION_META);
	uint64_t off = section_offset(img, EMBMAP_SECTION_META);
	uint64_t len = tt_get64(img, tt_entry((uint32_t)i) + TT_SEC_LENGTH);
	/* "dim"=5 is 8 + 4 + 2 bytes, then "model"=test, 8 + 6 + 5. */
	uint8_t first[14], *tmpbuf = malloc(len);
	struct record r;

	(void)state;
	assert_int_equal(len, 14 + 19);
	memcpy(first, img + off, 14);
	memcpy(tmpbuf, img + off + 14, 19);
	memcpy(tmpbuf + 19, first, 14);
	memcpy(img + off, tmpbuf, len);
	tt_reseal_section(img, (uint32_t)i);
	tt_reseal(img);
	assert_int_equal(verify_image(img, &r), EMBMAP_ECORRUPT);
	expect_one(&r, EMBMAP_SECTION_META, 0, 0);
	assert_non_null(strstr(embmap_errmsg(), "is not after"));
	free(tmpbuf);
	free(img);
}

static void test_verify_meta_count(void **state)
{
	uint8_t *img = copy_image();
	int i = tt_find_section(img, EMBMAP_SECTION_META);
	struct record r;

	(void)state;
	tt_put64(img, tt_entry((uint32_t)i) + TT_SEC_COUNT, 3);
	tt_reseal(img);
	assert_int_equal(verify_image(img, &r), EMBMAP_ECORRUPT);
	expect_one(&r, EMBMAP_SECTION_META, 0, 0);
	assert_non_null(strstr(embmap_errmsg(), "count says 3"));
	free(img);
}

/* An entry whose key length runs past the section. */
static void test_verify_meta_malformed(void **state)
{
	uint8_t *img = copy_image();
	int i = tt_find_section(img, EMBMAP_SECTION_META);
	uint64_t off = section_offset(img, EMBMAP_SECTION_META);
	struct record r;
	embmap *t;
	uint8_t *copy;
	const char *k, *v;
	size_t cursor = 0;

	(void)state;
	tt_put32(img, off + 14, 0x7fffffff); /* "model"'s key length */
	tt_reseal_section(img, (uint32_t)i);
	tt_reseal(img);
	assert_int_equal(verify_image(img, &r), EMBMAP_ECORRUPT);
	expect_one(&r, EMBMAP_SECTION_META, 0, 0);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	assert_int_equal(embmap_meta_next(t, &cursor, &k, &v), 1);
	assert_string_equal(k, "dim");
	assert_int_equal(embmap_meta_next(t, &cursor, &k, &v), EMBMAP_ECORRUPT);
	assert_non_null(strstr(embmap_errmsg(), "metadata entry at 14"));
	assert_string_equal(embmap_meta(t, "dim"), "5");
	assert_null(embmap_meta(t, "model"));
	embmap_close(t);
	free(copy);
	free(img);
}

/* Two slots trade ids: checksums hold, the index leads astray. */
static void test_verify_index_swapped(void **state)
{
	uint8_t *img = copy_image();
	int i = tt_find_section(img, EMBMAP_SECTION_TOKEN_INDEX);
	uint64_t off = section_offset(img, EMBMAP_SECTION_TOKEN_INDEX);
	uint64_t buckets = tt_get64(img, tt_entry((uint32_t)i) + TT_SEC_COUNT);
	uint64_t a = UINT64_MAX, b = UINT64_MAX, ida, idb;
	struct record r;
	embmap *t;
	uint8_t *copy;
	char tok[32];

	(void)state;
	for (uint64_t s = 0; s < buckets && b == UINT64_MAX; s++)
		if (tt_get64(img, off + 16 * s + 8) != UINT64_MAX) {
			if (a == UINT64_MAX)
				a = s;
			else
				b = s;
		}
	ida = tt_get64(img, off + 16 * a + 8);
	idb = tt_get64(img, off + 16 * b + 8);
	tt_put64(img, off + 16 * a + 8, idb);
	tt_put64(img, off + 16 * b + 8, ida);
	tt_reseal_section(img, (uint32_t)i);
	tt_reseal(img);
	assert_int_equal(verify_image(img, &r), EMBMAP_ECORRUPT);
	expect_one(&r, EMBMAP_SECTION_TOKEN_INDEX, 0, 0);
	assert_non_null(strstr(embmap_errmsg(), "token-index"));
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	assert_int_equal(embmap_find(t, tok, tt_token(ida, tok)), -1);
	assert_int_equal(embmap_find(t, tok, tt_token(idb, tok)), -1);
	embmap_close(t);
	free(copy);
	free(img);
}

struct shared {
	const embmap *t;
	int rc;
	int64_t found;
};

static void *verify_thread(void *arg)
{
	struct shared *s = arg;
	char tok[32];

	s->rc = 0;
	s->found = 0;
	for (int round = 0; round < 20 && s->rc == 0; round++) {
		s->rc = embmap_verify(s->t, NULL, NULL);
		for (uint64_t id = 0; id < 37; id++)
			s->found += embmap_find(s->t, tok, tt_token(id, tok)) ==
				    (int64_t)id;
	}
	return NULL;
}

/* One handle, verified and searched from two threads at once. */
static void test_verify_shared_handle(void **state)
{
	struct shared s[2];
	pthread_t th[2];
	embmap *t;
	uint8_t *copy;

	(void)state;
	TT_OK(tt_open_copy(image, image_size, 0, &t, &copy));
	for (int k = 0; k < 2; k++) {
		s[k].t = t;
		assert_int_equal(
			pthread_create(&th[k], NULL, verify_thread, &s[k]), 0);
	}
	for (int k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(th[k], NULL), 0);
		assert_int_equal(s[k].rc, 0);
		assert_int_equal(s[k].found, 20 * 37);
	}
	embmap_close(t);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_intact),
		cmocka_unit_test(test_verify_matrix_runs),
		cmocka_unit_test(test_verify_sections),
		cmocka_unit_test(test_verify_matrix_and_meta),
		cmocka_unit_test(test_verify_matrix_and_block_sums),
		cmocka_unit_test(test_verify_padding),
		cmocka_unit_test(test_verify_content_hash),
		cmocka_unit_test(test_verify_rows_ranges),
		cmocka_unit_test(test_verify_meta_unsorted),
		cmocka_unit_test(test_verify_meta_count),
		cmocka_unit_test(test_verify_meta_malformed),
		cmocka_unit_test(test_verify_index_swapped),
		cmocka_unit_test(test_verify_shared_handle),
	};

	return cmocka_run_group_tests_name("verify", tests, setup, teardown);
}
