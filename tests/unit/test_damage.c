/*
 * test_damage.c - every byte of a small file damaged, every truncation,
 * and forged files that pass the checksums to reach the structural checks.
 *
 * The file: 37 rows x 5 float32, 37 tokens of varied lengths, 2 metadata
 * entries, 4 rows per checksum block; about 7.5 KiB. Each case opens an
 * exact-size heap copy, so that under ASan a read past the end of the
 * bytes is caught, and on a successful open reads everything the API
 * offers before verifying.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmocka.h>

#include "embmap.h"
#include "embmap_format.h"
#include "tables.h"

static char *tmp, *path;
static uint8_t *image;
static size_t image_size;

static const char *const good_meta[] = {"model", "test", "dim", "5"};

static const struct tt_spec spec = {
	.rows = 37,
	.dim = 5,
	.tokens = 37,
	.block_rows = 4,
	.meta = good_meta,
	.nmeta = 2,
};

#define NSECTIONS 6
#define DIR_END (EMBMAP_HEADER_SIZE + NSECTIONS * EMBMAP_SECTION_SIZE)
#define MATRIX_AT 4096u
#define STRIDE 20u
#define BLOCK_ROWS 4u

/* Section i of the good file: directory index, kind, bytes. */
static uint32_t sec_kind[NSECTIONS];
static uint64_t sec_off[NSECTIONS], sec_len[NSECTIONS];

static int setup(void **state)
{
	(void)state;
	tmp = tt_tempdir();
	path = tt_join(tmp, "good.embmap");
	TT_OK(tt_build(path, &spec));
	image = tt_slurp(path, &image_size);
	assert_int_equal(tt_get32(image, 20), NSECTIONS);
	for (uint32_t i = 0; i < NSECTIONS; i++) {
		sec_kind[i] = tt_get32(image, tt_entry(i) + TT_SEC_KIND);
		sec_off[i] = tt_get64(image, tt_entry(i) + TT_SEC_OFFSET);
		sec_len[i] = tt_get64(image, tt_entry(i) + TT_SEC_LENGTH);
	}
	assert_int_equal(sec_kind[0], EMBMAP_SECTION_MATRIX);
	assert_int_equal(sec_kind[1], EMBMAP_SECTION_BLOCK_SUMS);
	assert_int_equal(sec_kind[2], EMBMAP_SECTION_META);
	assert_int_equal(sec_kind[3], EMBMAP_SECTION_TOKEN_OFFSETS);
	assert_int_equal(sec_kind[4], EMBMAP_SECTION_TOKEN_BYTES);
	assert_int_equal(sec_kind[5], EMBMAP_SECTION_TOKEN_INDEX);
	assert_int_equal(sec_off[0], MATRIX_AT);
	assert_int_equal(sec_len[0], 37 * STRIDE);
	print_message("damage file: %zu bytes\n", image_size);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_remove_dir(tmp);
	free(image);
	free(path);
	free(tmp);
	return 0;
}

static uint8_t *copy_image(void)
{
	uint8_t *p = malloc(image_size);

	assert_non_null(p);
	memcpy(p, image, image_size);
	return p;
}

struct record {
	int n;
	uint32_t kind[8];
	uint64_t first[8], count[8];
};

static void record_fn(void *ctx, const struct embmap_damage *d)
{
	struct record *r = ctx;

	/* Every report says what is wrong and why. */
	assert_true(d->code == EMBMAP_ECHECKSUM || d->code == EMBMAP_ECORRUPT);
	assert_true(d->detail && *d->detail);
	if (r->n < 8) {
		r->kind[r->n] = d->kind;
		r->first[r->n] = d->first_row;
		r->count[r->n] = d->row_count;
	}
	r->n++;
}

/*
 * Read everything through the API. On a damaged file the values may be
 * anything; what matters is that nothing reads outside the bytes (ASan)
 * and that find and token keep their contracts.
 */
static void exercise(const embmap *t)
{
	uint64_t tokens = embmap_tokens(t), rows = embmap_rows(t);
	uint32_t dim = embmap_dim(t);
	float *row = malloc(sizeof *row * (dim ? dim : 1));
	const char *k, *v;
	size_t cursor = 0, len;
	char tok[32];
	uint32_t id0 = 0;
	int64_t f;

	assert_non_null(row);
	for (uint64_t i = 0; i < tokens; i++) {
		const char *p = embmap_token(t, i, &len);

		if (p) {
			f = embmap_find(t, p, len);
			assert_true(f >= -1 && f < (int64_t)tokens);
		}
		f = embmap_find(t, tok, tt_token(i, tok));
		assert_true(f >= -1 && f < (int64_t)tokens);
	}
	assert_null(embmap_token(t, tokens, &len));
	f = embmap_find(t, "absent token", 12);
	assert_true(f >= -1 && f < (int64_t)tokens);
	for (uint64_t r = 0; r < rows && r < 64; r++)
		TT_OK(embmap_row_f32(t, r, row));
	if (rows)
		TT_OK(embmap_gather_f32(t, &id0, 1, row));
	while (embmap_meta_next(t, &cursor, &k, &v) == 1)
		assert_non_null(embmap_meta(t, k));
	embmap_meta(t, "model");
	free(row);
}

enum region {
	R_MAGIC,
	R_BYTE_ORDER,
	R_VERSION_MAJOR,
	R_HEADER,
	R_DIRECTORY,
	R_PADDING,
	R_SECTION
};

static enum region region_of(uint64_t o, int *sec)
{
	*sec = -1;
	if (o < 8)
		return R_MAGIC;
	if (o < 12)
		return R_BYTE_ORDER;
	if (o < 14)
		return R_VERSION_MAJOR;
	if (o < EMBMAP_HEADER_SIZE)
		return R_HEADER;
	if (o < DIR_END)
		return R_DIRECTORY;
	for (int i = 0; i < NSECTIONS; i++)
		if (o >= sec_off[i] && o < sec_off[i] + sec_len[i]) {
			*sec = i;
			return R_SECTION;
		}
	return R_PADDING;
}

/* The code open must fail with for a changed byte at o, or 0. */
static int open_code(uint64_t o)
{
	int sec;

	switch (region_of(o, &sec)) {
	case R_MAGIC:
	case R_BYTE_ORDER: return EMBMAP_EMAGIC;
	case R_VERSION_MAJOR: return EMBMAP_EVERSION;
	case R_HEADER:
	case R_DIRECTORY: return EMBMAP_ECHECKSUM;
	case R_PADDING: return 0;
	case R_SECTION: break;
	}
	/* Open reads nothing inside sections: verify finds these. */
	return 0;
}

static const char *const region_names[] = {"magic",  "byte order", "version",
					   "header", "directory",  "padding",
					   "section"};

static void check_damaged_byte(uint64_t o, int variant)
{
	uint8_t *img = copy_image();
	int expect = open_code(o), sec, rc;
	enum region reg = region_of(o, &sec);
	struct record r = {0};
	embmap *t;

	img[o] = variant ? (uint8_t)(img[o] + 1) : (uint8_t)(img[o] ^ 0xff);
	rc = embmap_open_buffer(img, image_size, 0, &t);
	if (rc != expect)
		fail_msg("byte %llu (%s%s%s) %s: open gave %d (%s), expected "
			 "%d",
			 (unsigned long long)o, region_names[reg],
			 sec >= 0 ? " " : "",
			 sec >= 0 ? embmap_section_name(sec_kind[sec]) : "",
			 variant ? "+1" : "^0xff", rc, embmap_errmsg(), expect);
	if (rc != 0) {
		assert_null(t);
		free(img);
		return;
	}
	exercise(t);
	rc = embmap_verify(t, record_fn, &r);
	embmap_close(t);
	free(img);

	if (r.n != 1)
		fail_msg("byte %llu %s: %d damage reports, expected 1",
			 (unsigned long long)o, variant ? "+1" : "^0xff", r.n);
	if (reg == R_PADDING) {
		assert_int_equal(rc, EMBMAP_ECORRUPT);
		assert_int_equal(r.kind[0], EMBMAP_DAMAGE_PADDING);
		assert_int_equal(r.first[0], 0);
		assert_int_equal(r.count[0], 0);
	} else if (sec_kind[sec] == EMBMAP_SECTION_MATRIX) {
		uint64_t row = (o - MATRIX_AT) / STRIDE;
		uint64_t first = row / BLOCK_ROWS * BLOCK_ROWS;
		uint64_t count =
			37 - first < BLOCK_ROWS ? 37 - first : BLOCK_ROWS;

		assert_int_equal(rc, EMBMAP_ECHECKSUM);
		assert_int_equal(r.kind[0], EMBMAP_SECTION_MATRIX);
		if (r.first[0] != first || r.count[0] != count)
			fail_msg("matrix byte %llu (row %llu): reported rows "
				 "%llu+%llu, expected %llu+%llu",
				 (unsigned long long)o, (unsigned long long)row,
				 (unsigned long long)r.first[0],
				 (unsigned long long)r.count[0],
				 (unsigned long long)first,
				 (unsigned long long)count);
	} else {
		assert_int_equal(rc, EMBMAP_ECHECKSUM);
		assert_int_equal(r.kind[0], sec_kind[sec]);
		assert_int_equal(r.first[0], 0);
		assert_int_equal(r.count[0], 0);
	}
}

/* Every byte of the file, both ways, header to the last slot. */
static void test_damage_every_byte(void **state)
{
	int counts[R_SECTION + 1] = {0};
	int sec;

	(void)state;
	for (uint64_t o = 0; o < image_size; o++) {
		check_damaged_byte(o, 0);
		check_damaged_byte(o, 1);
		counts[region_of(o, &sec)]++;
	}
	/* The loop covered what it claims to. */
	assert_int_equal(counts[R_HEADER] + counts[R_MAGIC] +
				 counts[R_BYTE_ORDER] + counts[R_VERSION_MAJOR],
			 128);
	assert_int_equal(counts[R_DIRECTORY], NSECTIONS * 48);
	assert_true(counts[R_PADDING] > 3000);
	assert_true(counts[R_SECTION] > 3000);
}

static int truncated_code(size_t n)
{
	return n < EMBMAP_MAGIC_SIZE ? EMBMAP_EMAGIC : EMBMAP_ETRUNCATED;
}

static void test_damage_truncated_buffer(void **state)
{
	(void)state;
	for (size_t n = 0; n < image_size; n++) {
		uint8_t *p = malloc(n ? n : 1);
		embmap *t;
		int rc;

		memcpy(p, image, n);
		rc = embmap_open_buffer(p, n, 0, &t);
		if (rc != truncated_code(n))
			fail_msg("buffer of %zu bytes: open gave %d (%s)", n,
				 rc, embmap_errmsg());
		assert_null(t);
		free(p);
	}
}

static void test_damage_truncated_file(void **state)
{
	char *cut = tt_join(tmp, "cut.embmap");
	int fd;

	(void)state;
	tt_spit(cut, image, image_size);
	fd = open(cut, O_WRONLY);
	assert_true(fd >= 0);
	for (size_t n = image_size; n-- > 0;) {
		embmap *t;
		int rc;

		assert_int_equal(ftruncate(fd, (off_t)n), 0);
		rc = embmap_open(cut, 0, &t);
		if (rc != truncated_code(n))
			fail_msg("file of %zu bytes: open gave %d (%s)", n, rc,
				 embmap_errmsg());
		assert_null(t);
		rc = embmap_open(cut, EMBMAP_PRIVATE, &t);
		if (rc != truncated_code(n))
			fail_msg("file of %zu bytes, private: open gave %d "
				 "(%s)",
				 n, rc, embmap_errmsg());
	}
	close(fd);
	unlink(cut);
	free(cut);
}

/* Open an exact-size copy of img; on success exercise and close it. */
static int forged_open(const uint8_t *img, size_t n, const char *words)
{
	uint8_t *copy;
	embmap *t;
	int rc = tt_open_copy(img, n, 0, &t, &copy);

	if (rc == 0) {
		exercise(t);
		embmap_close(t);
	} else {
		assert_null(t);
		if (words && !strstr(embmap_errmsg(), words))
			fail_msg("errmsg \"%s\" does not say \"%s\"",
				 embmap_errmsg(), words);
	}
	free(copy);
	return rc;
}

static void forge_header64(size_t off, uint64_t v, int code, const char *words)
{
	uint8_t *img = copy_image();

	tt_put64(img, off, v);
	tt_reseal(img);
	assert_int_equal(forged_open(img, image_size, words), code);
	free(img);
}

static void forge_header32(size_t off, uint32_t v, int code, const char *words)
{
	uint8_t *img = copy_image();

	tt_put32(img, off, v);
	tt_reseal(img);
	assert_int_equal(forged_open(img, image_size, words), code);
	free(img);
}

static void test_damage_forged_shape(void **state)
{
	(void)state;
	/* rows */
	forge_header64(48, 0, EMBMAP_ECORRUPT, "rows 0 outside");
	forge_header64(48, EMBMAP_MAX_ROWS + 1, EMBMAP_ECORRUPT, "rows");
	forge_header64(48, UINT64_MAX, EMBMAP_ECORRUPT, "rows");
	forge_header64(48, EMBMAP_MAX_ROWS, EMBMAP_ECORRUPT, "count");
	forge_header64(48, 38, EMBMAP_ECORRUPT, "count 37, expected 38");
	/* dim and row_stride */
	forge_header32(56, 0, EMBMAP_ECORRUPT, "dim 0");
	forge_header32(56, EMBMAP_MAX_DIM + 1, EMBMAP_ECORRUPT, "dim");
	forge_header32(56, 6, EMBMAP_ECORRUPT, "row_stride 20");
	forge_header64(64, 24, EMBMAP_ECORRUPT, "row_stride 24");
	forge_header64(64, UINT64_MAX, EMBMAP_ECORRUPT, "row_stride");
	/* dtype */
	forge_header32(60, 0, EMBMAP_EDTYPE, "dtype 0");
	forge_header32(60, 5, EMBMAP_EDTYPE, "dtype 5");
	forge_header32(60, EMBMAP_DTYPE_F16, EMBMAP_ECORRUPT, "row_stride");
	/* tokens */
	forge_header64(72, 38, EMBMAP_ECORRUPT, "token_count 38 exceeds");
	forge_header64(72, 0, EMBMAP_ECORRUPT, "token");
	forge_header64(72, 36, EMBMAP_ECORRUPT, "count");
	/* alignment */
	forge_header32(80, 3, EMBMAP_ECORRUPT, "alignment 3");
	forge_header32(80, 0, EMBMAP_ECORRUPT, "alignment 0");
	forge_header32(80, 2048, EMBMAP_ECORRUPT, "alignment 2048");
	forge_header32(80, 4u << 20, EMBMAP_ECORRUPT, "alignment");
	forge_header32(80, 8192, EMBMAP_ECORRUPT, "canonical");
	/* block_rows */
	forge_header32(84, 0, EMBMAP_ECORRUPT, "block_rows 0");
	forge_header32(84, 5, EMBMAP_ECORRUPT, "count");
	/* the rest of the header */
	forge_header32(16, 129, EMBMAP_ECORRUPT, "header_size 129");
	forge_header32(20, 1, EMBMAP_ECORRUPT, "section_count 1");
	forge_header32(20, 65, EMBMAP_ECORRUPT, "section_count 65");
	forge_header32(20, 7, EMBMAP_ECORRUPT, "length 0");
	forge_header32(20, 5, EMBMAP_ECORRUPT, NULL);
	forge_header64(40, image_size + 1, EMBMAP_ETRUNCATED, "file_size");
	forge_header64(40, image_size - 1, EMBMAP_ECORRUPT, "file_size");
	forge_header64(112, 1, EMBMAP_ECORRUPT, "reserved");
}

static void test_damage_forged_features(void **state)
{
	uint8_t *img = copy_image();
	embmap *t;
	uint8_t *copy;

	(void)state;
	forge_header64(24, UINT64_C(1) << 5, EMBMAP_EVERSION, "features");
	forge_header64(24, UINT64_C(1) << 63, EMBMAP_EVERSION, "features");
	forge_header32(12, 2, EMBMAP_EVERSION, "version 2.0");
	/* Optional features a reader does not know are ignored. */
	tt_put64(img, 32, UINT64_MAX);
	tt_reseal(img);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	TT_OK(embmap_verify(t, NULL, NULL));
	embmap_close(t);
	free(copy);
	free(img);
}

/* Change field of directory entry i, then re-seal the directory. */
static void forge_entry(uint32_t i, size_t field, uint64_t v, int code,
			const char *words)
{
	uint8_t *img = copy_image();

	if (field == TT_SEC_KIND || field == TT_SEC_FLAGS)
		tt_put32(img, tt_entry(i) + field, (uint32_t)v);
	else
		tt_put64(img, tt_entry(i) + field, v);
	tt_reseal(img);
	assert_int_equal(forged_open(img, image_size, words), code);
	free(img);
}

static void test_damage_forged_sections(void **state)
{
	(void)state;
	/* Overlapping the matrix, past the end, not where canonical. */
	forge_entry(1, TT_SEC_OFFSET, sec_off[0] + sec_len[0] - 64,
		    EMBMAP_ECORRUPT, "canonical");
	forge_entry(1, TT_SEC_OFFSET, sec_off[1] + 64, EMBMAP_ECORRUPT,
		    "canonical");
	forge_entry(5, TT_SEC_OFFSET, image_size, EMBMAP_ECORRUPT, "canonical");
	forge_entry(5, TT_SEC_OFFSET, UINT64_MAX - 8, EMBMAP_ECORRUPT,
		    "canonical");
	forge_entry(0, TT_SEC_OFFSET, 0, EMBMAP_ECORRUPT, "canonical");
	/* Lengths that disagree with the counts or leave the file. */
	forge_entry(1, TT_SEC_LENGTH, sec_len[1] + 8, EMBMAP_ECORRUPT,
		    "length");
	forge_entry(0, TT_SEC_LENGTH, UINT64_MAX, EMBMAP_ECORRUPT, "length");
	forge_entry(3, TT_SEC_COUNT, 37, EMBMAP_ECORRUPT, "count 37");
	forge_entry(5, TT_SEC_COUNT, 256, EMBMAP_ECORRUPT, "canonical count");
	forge_entry(5, TT_SEC_COUNT, 64, EMBMAP_ECORRUPT, "buckets");
	forge_entry(5, TT_SEC_COUNT, 48, EMBMAP_ECORRUPT, "buckets");
	forge_entry(5, TT_SEC_COUNT, 4, EMBMAP_ECORRUPT, "buckets");
	forge_entry(2, TT_SEC_LENGTH, 0, EMBMAP_ECORRUPT, "length 0");
	/* Fields that must be zero, flags nobody knows. */
	forge_entry(0, TT_SEC_CHECKSUM, 1, EMBMAP_ECORRUPT, "checksum");
	forge_entry(2, TT_SEC_RESERVED, 1, EMBMAP_ECORRUPT, "reserved");
	forge_entry(2, TT_SEC_FLAGS, 2, EMBMAP_EVERSION, "flags 0x2");
	/* Kinds: the matrix first, then strictly ascending. */
	forge_entry(0, TT_SEC_KIND, 9, EMBMAP_ECORRUPT, "must be the matrix");
	forge_entry(2, TT_SEC_KIND, 9, EMBMAP_ECORRUPT, "ascend");
	forge_entry(1, TT_SEC_KIND, 1, EMBMAP_ECORRUPT, NULL);
	forge_entry(4, TT_SEC_KIND, 6, EMBMAP_ECORRUPT, NULL);
	/* A known kind over another kind's fields. */
	forge_entry(1, TT_SEC_KIND, 4, EMBMAP_ECORRUPT, "count");
	forge_entry(2, TT_SEC_FLAGS, EMBMAP_SECF_ZSTD, EMBMAP_EVERSION,
		    "flags 0x1");
}

/* The token-bytes section grown past the end of the file. */
static void test_damage_forged_past_end(void **state)
{
	uint8_t *img = copy_image();
	uint32_t i = 4; /* token-bytes: its count is its length */

	(void)state;
	tt_put64(img, tt_entry(i) + TT_SEC_LENGTH, sec_len[i] + 4096);
	tt_put64(img, tt_entry(i) + TT_SEC_COUNT, sec_len[i] + 4096);
	tt_reseal(img);
	assert_int_equal(forged_open(img, image_size, "past the end"),
			 EMBMAP_ETRUNCATED);
	tt_put64(img, tt_entry(i) + TT_SEC_LENGTH, UINT64_MAX - 100);
	tt_put64(img, tt_entry(i) + TT_SEC_COUNT, UINT64_MAX - 100);
	tt_reseal(img);
	assert_int_equal(forged_open(img, image_size, NULL), EMBMAP_ETRUNCATED);
	free(img);
}

/*
 * A section of a kind this library does not know, added properly after
 * the last one: open skips it, verify checks its checksum.
 */
static uint8_t *with_unknown_section(uint32_t kind, size_t *size)
{
	static const char payload[] = "a section from a later version";
	size_t at = (image_size + 63) / 64 * 64;
	size_t e = tt_entry(NSECTIONS);
	uint8_t *img = calloc(1, at + sizeof payload);

	assert_non_null(img);
	memcpy(img, image, image_size);
	memcpy(img + at, payload, sizeof payload);
	tt_put32(img, e + TT_SEC_KIND, kind);
	tt_put64(img, e + TT_SEC_OFFSET, at);
	tt_put64(img, e + TT_SEC_LENGTH, sizeof payload);
	tt_put64(img, e + TT_SEC_CHECKSUM,
		 XXH3_64bits(payload, sizeof payload));
	tt_put64(img, e + TT_SEC_COUNT, 1);
	tt_put32(img, 20, NSECTIONS + 1);
	tt_put64(img, 40, at + sizeof payload);
	tt_reseal(img);
	*size = at + sizeof payload;
	return img;
}

static void test_damage_unknown_section(void **state)
{
	static const uint32_t kinds[] = {9, 100, UINT32_MAX - 1};
	struct embmap_section_info s;
	struct record r;

	(void)state;
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		size_t size;
		uint8_t *img = with_unknown_section(kinds[k], &size);
		uint8_t *copy;
		embmap *t;
		char tok[32];

		TT_OK(tt_open_copy(img, size, 0, &t, &copy));
		assert_int_equal(embmap_section_count(t), NSECTIONS + 1);
		TT_OK(embmap_section_at(t, NSECTIONS, &s));
		assert_int_equal(s.kind, kinds[k]);
		assert_string_equal(embmap_section_name(s.kind), "unknown");
		assert_int_equal(embmap_find(t, tok, tt_token(30, tok)), 30);
		assert_string_equal(embmap_meta(t, "model"), "test");
		TT_OK(embmap_verify(t, NULL, NULL));
		embmap_close(t);
		free(copy);

		/* Damage inside it is found and named by its kind. */
		img[size - 5] ^= 0x01;
		memset(&r, 0, sizeof r);
		TT_OK(tt_open_copy(img, size, 0, &t, &copy));
		assert_int_equal(embmap_verify(t, record_fn, &r),
				 EMBMAP_ECHECKSUM);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.kind[0], kinds[k]);
		embmap_close(t);
		free(copy);
		free(img);
	}
}

/* Re-seal the token index after editing its slots. */
static void reseal_index(uint8_t *img)
{
	tt_reseal_section(img, 5);
	tt_reseal(img);
}

static void verify_reports(const uint8_t *img, int code, uint32_t kind,
			   const char *words)
{
	struct record r = {0};
	uint8_t *copy;
	embmap *t;

	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	exercise(t);
	assert_int_equal(embmap_verify(t, record_fn, &r), code);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.kind[0], kind);
	if (words && !strstr(embmap_errmsg(), words))
		fail_msg("errmsg \"%s\" does not say \"%s\"", embmap_errmsg(),
			 words);
	embmap_close(t);
	free(copy);
}

static void test_damage_index_ids_out_of_range(void **state)
{
	uint8_t *img = copy_image();
	uint64_t off = sec_off[5], buckets = sec_len[5] / 16;
	uint8_t *copy;
	embmap *t;
	char tok[32];

	(void)state;
	for (uint64_t s = 0; s < buckets; s++)
		if (tt_get64(img, off + 16 * s + 8) != EMBMAP_SLOT_EMPTY)
			tt_put64(img, off + 16 * s + 8,
				 s % 2 ? 37 + s : UINT64_MAX - 1 - s);
	reseal_index(img);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	for (uint64_t id = 0; id < 37; id++)
		assert_int_equal(embmap_find(t, tok, tt_token(id, tok)), -1);
	embmap_close(t);
	free(copy);
	verify_reports(img, EMBMAP_ECORRUPT, EMBMAP_SECTION_TOKEN_INDEX,
		       "token-index slot");
	free(img);
}

/*
 * No empty slot: a probe for an absent token must stop after one round.
 * Filled with ids out of range first, then with id 0 under hashes that
 * are not token 0's.
 */
static void test_damage_index_full(void **state)
{
	uint64_t off = sec_off[5], buckets = sec_len[5] / 16;
	char tok[32];

	(void)state;
	for (int fill = 0; fill < 2; fill++) {
		uint8_t *img = copy_image();
		uint8_t *copy;
		embmap *t;
		struct record r = {0};
		int rc;

		for (uint64_t s = 0; s < buckets; s++)
			if (tt_get64(img, off + 16 * s + 8) ==
			    EMBMAP_SLOT_EMPTY) {
				tt_put64(img, off + 16 * s, s * 0x9e3779b9u);
				tt_put64(img, off + 16 * s + 8,
					 fill ? 0 : 1000 + s);
			}
		reseal_index(img);
		TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
		for (uint64_t id = 0; id < 37; id++) {
			int64_t f = embmap_find(t, tok, tt_token(id, tok));

			assert_int_equal(f, (int64_t)id);
		}
		assert_int_equal(embmap_find(t, "absent", 6), -1);
		assert_int_equal(embmap_find(t, "", 0), -1);
		/* Out-of-range ids, or stray entries beyond the tokens. */
		rc = embmap_verify(t, record_fn, &r);
		assert_int_equal(rc, EMBMAP_ECORRUPT);
		assert_int_equal(r.kind[0], EMBMAP_SECTION_TOKEN_INDEX);
		embmap_close(t);
		free(copy);
		free(img);
	}
}

static void test_damage_token_offsets_decreasing(void **state)
{
	uint8_t *img = copy_image();
	uint64_t off = sec_off[3];
	uint64_t a = tt_get64(img, off + 8 * 10),
		 b = tt_get64(img, off + 8 * 11);
	uint8_t *copy;
	embmap *t;
	char tok[32];
	size_t len;

	(void)state;
	tt_put64(img, off + 8 * 10, b);
	tt_put64(img, off + 8 * 11, a);
	tt_reseal_section(img, 3);
	tt_reseal(img);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	assert_null(embmap_token(t, 10, &len));
	assert_int_equal(embmap_find(t, tok, tt_token(10, tok)), -1);
	assert_non_null(embmap_token(t, 12, &len));
	assert_int_equal(embmap_find(t, tok, tt_token(12, tok)), 12);
	embmap_close(t);
	free(copy);
	verify_reports(img, EMBMAP_ECORRUPT, EMBMAP_SECTION_TOKEN_OFFSETS,
		       "token 10");

	/* An offset far past the token bytes. */
	memcpy(img, image, image_size);
	tt_put64(img, off + 8 * 5, UINT64_MAX - 3);
	tt_reseal_section(img, 3);
	tt_reseal(img);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	assert_null(embmap_token(t, 4, &len));
	assert_null(embmap_token(t, 5, &len));
	assert_non_null(embmap_token(t, 6, &len));
	embmap_close(t);
	free(copy);
	verify_reports(img, EMBMAP_ECORRUPT, EMBMAP_SECTION_TOKEN_OFFSETS,
		       "token 4");

	/* An offset one byte on, so the token's end is not its NUL. */
	memcpy(img, image, image_size);
	tt_put64(img, off + 8 * 5, tt_get64(image, off + 8 * 5) + 1);
	tt_reseal_section(img, 3);
	tt_reseal(img);
	TT_OK(tt_open_copy(img, image_size, 0, &t, &copy));
	assert_null(embmap_token(t, 4, &len));
	embmap_close(t);
	free(copy);
	verify_reports(img, EMBMAP_ECORRUPT, EMBMAP_SECTION_TOKEN_OFFSETS,
		       "token 4");
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_damage_every_byte),
		cmocka_unit_test(test_damage_truncated_buffer),
		cmocka_unit_test(test_damage_truncated_file),
		cmocka_unit_test(test_damage_forged_shape),
		cmocka_unit_test(test_damage_forged_features),
		cmocka_unit_test(test_damage_forged_sections),
		cmocka_unit_test(test_damage_forged_past_end),
		cmocka_unit_test(test_damage_unknown_section),
		cmocka_unit_test(test_damage_index_ids_out_of_range),
		cmocka_unit_test(test_damage_index_full),
		cmocka_unit_test(test_damage_token_offsets_decreasing),
	};

	return cmocka_run_group_tests_name("damage", tests, setup, teardown);
}
