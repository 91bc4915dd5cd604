/*
 * test_zstd.c - the zstd transport form (src/zstd.c): round trips for every
 * dtype, unpack byte-identical to the plain file, open of a transport file
 * equal to open of the plain one, damage located to its frame, truncation
 * at every length, forged frames that decode to the wrong length, the
 * frame table, the ratio limit, and the converters' options.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cmocka.h>

#include "embmap.h"
#include "embmap_format.h"
#include "tables.h"

/* Transport file offsets (SPEC.md, "Transport form (zstd)"). */
#define ZI_OFF EMBMAP_HEADER_SIZE
#define HEAD_OFF (EMBMAP_HEADER_SIZE + EMBMAP_ZSTD_INFO_SIZE)
#define ZI_TABLE_OFFSET (ZI_OFF + 8)
#define ZI_FRAME_COUNT (ZI_OFF + 16)
#define ZI_TABLE_SUM (ZI_OFF + 24)
#define ZI_HEAD_SIZE (ZI_OFF + 32)
#define ZI_FRAME_ROWS (ZI_OFF + 36)
#define ZI_FILTER (ZI_OFF + 44)
#define ZI_RESERVED (ZI_OFF + 56)

static char *tmp;

static const struct embmap_zstd_options nosync = {.flags =
							  EMBMAP_WRITE_NO_SYNC};

static int setup(void **state)
{
	(void)state;
	tmp = tt_tempdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_remove_dir(tmp);
	free(tmp);
	return 0;
}

static int clear(void **state)
{
	(void)state;
	tt_clear_dir(tmp);
	return 0;
}

static char *path_of(const char *name)
{
	return tt_join(tmp, name);
}

static const char *const meta[] = {"model", "test", "source", "unit"};

/* A small table: odd shape, a vocabulary unless tokens is 0. */
static struct tt_spec small(int dtype, uint64_t rows, uint32_t dim,
			    uint64_t tokens)
{
	struct tt_spec s = {.rows = rows,
			    .dim = dim,
			    .dtype = dtype,
			    .tokens = tokens,
			    .meta = meta,
			    .nmeta = 2,
			    .seed = 7};
	return s;
}

static void compress(const char *in, const char *out, uint32_t frame_rows,
		     unsigned flags)
{
	struct embmap_zstd_options o = nosync;

	o.frame_rows = frame_rows;
	o.flags |= flags;
	TT_OK(embmap_compress(in, out, &o));
}

/* Open both forms and compare everything the API shows. */
static void expect_same_table(const char *plain, const char *z)
{
	embmap *a, *b;
	uint8_t ha[16], hb[16];

	TT_OK(embmap_open(plain, EMBMAP_VERIFY, &a));
	TT_OK(embmap_open(z, EMBMAP_VERIFY, &b));
	assert_int_equal(embmap_is_mapped(a), 1);
	assert_int_equal(embmap_is_mapped(b), 0);
	assert_int_equal(embmap_compressed_size(a), 0);
	assert_true(embmap_compressed_size(b) > 0);
	assert_int_equal(embmap_file_size(a), embmap_file_size(b));
	assert_int_equal(embmap_rows(a), embmap_rows(b));
	assert_int_equal(embmap_dim(a), embmap_dim(b));
	assert_int_equal(embmap_dtype(a), embmap_dtype(b));
	assert_int_equal(embmap_tokens(a), embmap_tokens(b));
	embmap_content_hash(a, ha);
	embmap_content_hash(b, hb);
	assert_memory_equal(ha, hb, 16);
	for (uint64_t r = 0; r < embmap_rows(a); r++) {
		assert_memory_equal(embmap_row(a, r), embmap_row(b, r),
				    embmap_stride(a));
		assert_true(embmap_row_scale(a, r) == embmap_row_scale(b, r));
	}
	for (uint64_t i = 0; i < embmap_tokens(a); i++) {
		size_t la, lb;
		const char *ta = embmap_token(a, i, &la);
		const char *tb = embmap_token(b, i, &lb);

		assert_int_equal(la, lb);
		assert_memory_equal(ta, tb, la);
		assert_int_equal(embmap_find(b, tb, lb), (int64_t)i);
	}
	if (embmap_meta(a, "model"))
		assert_string_equal(embmap_meta(b, "model"), "test");
	else
		assert_null(embmap_meta(b, "model"));
	embmap_close(a);
	embmap_close(b);
}

/* Compress with the options, unpack, compare. */
static void round_trip(const struct tt_spec *s, uint32_t frame_rows,
		       unsigned flags)
{
	char *plain = path_of("t.embmap"), *z = path_of("t.embmap.zst");
	char *back = path_of("back.embmap");
	struct embmap_zstd_info info;
	uint64_t want_frames;

	TT_OK(tt_build(plain, s));
	compress(plain, z, frame_rows, flags);
	TT_OK(embmap_unpack(z, back, &nosync));
	assert_true(tt_same_file(plain, back));
	expect_same_table(plain, z);
	TT_OK(embmap_zstd_verify(z, NULL, NULL, NULL));

	assert_int_equal(embmap_zstd_probe(z, &info), 1);
	assert_int_equal(embmap_zstd_probe(plain, NULL), 0);
	assert_int_equal(info.filter, (flags & EMBMAP_ZSTD_NO_SHUFFLE)
					      ? EMBMAP_ZSTD_FILTER_NONE
					      : EMBMAP_ZSTD_FILTER_SHUFFLE);
	assert_int_equal(info.level, EMBMAP_ZSTD_LEVEL_DEFAULT);
	if (frame_rows) {
		assert_int_equal(info.frame_rows, frame_rows);
		/* Matrix frames, then at least one per trailing section. */
		want_frames = (s->rows + frame_rows - 1) / frame_rows;
		assert_true(info.frame_count > want_frames);
	}
	free(plain);
	free(z);
	free(back);
}

static void test_zstd_round_trip_every_dtype(void **state)
{
	static const int dtypes[] = {EMBMAP_DTYPE_F32, EMBMAP_DTYPE_F16,
				     EMBMAP_DTYPE_BF16, EMBMAP_DTYPE_I8};

	(void)state;
	for (size_t i = 0; i < 4; i++)
		for (int sh = 0; sh < 2; sh++) {
			struct tt_spec s = small(dtypes[i], 37, 13, 30);

			/* 5 rows per frame do not divide 37 rows. */
			round_trip(&s, 5, sh ? 0 : EMBMAP_ZSTD_NO_SHUFFLE);
			tt_clear_dir(tmp);
		}
}

static void test_zstd_round_trip_shapes(void **state)
{
	struct tt_spec one = small(EMBMAP_DTYPE_F16, 1, 1, 1);
	struct tt_spec odd = small(EMBMAP_DTYPE_BF16, 101, 7, 0);
	struct tt_spec wide = small(EMBMAP_DTYPE_F32, 300, 97, 299);

	(void)state;
	round_trip(&one, 0, 0); /* one row, one element */
	tt_clear_dir(tmp);
	round_trip(&odd, 1, 0); /* one row per frame; no vocabulary */
	tt_clear_dir(tmp);
	round_trip(&odd, 200, 0); /* one frame larger than the table */
	tt_clear_dir(tmp);
	round_trip(&wide, 0, 0); /* the default frame size */
	tt_clear_dir(tmp);
	wide.alignment = 1u << 21; /* a hole up to the matrix */
	round_trip(&wide, 64, EMBMAP_ZSTD_NO_SHUFFLE);
}

static void test_zstd_empty_vocabulary(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_I8, 50, 9, 0);
	char *plain = path_of("t.embmap"), *z = path_of("t.embmap.zst");
	embmap *t;

	(void)state;
	s.nmeta = 0;
	round_trip(&s, 8, 0);
	TT_OK(embmap_open(z, 0, &t));
	assert_int_equal(embmap_tokens(t), 0);
	assert_int_equal(embmap_find(t, "0", 1), -1);
	embmap_close(t);
	free(plain);
	free(z);
}

/* The same input gives the same bytes whatever the number of threads. */
static void test_zstd_deterministic_across_threads(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F32, 200, 33, 150);
	char *plain = path_of("t.embmap"), *a = path_of("a.zst");
	char *b = path_of("b.zst"), *c = path_of("c.zst");
	struct embmap_zstd_options o = nosync;

	(void)state;
	TT_OK(tt_build(plain, &s));
	o.frame_rows = 7;
	o.threads = 1;
	TT_OK(embmap_compress(plain, a, &o));
	o.threads = 2;
	TT_OK(embmap_compress(plain, b, &o));
	o.threads = 5;
	TT_OK(embmap_compress(plain, c, &o));
	assert_true(tt_same_file(a, b));
	assert_true(tt_same_file(a, c));
	free(plain);
	free(a);
	free(b);
	free(c);
}

static void test_zstd_read_rows(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F16, 61, 11, 0);
	char *plain = path_of("t.embmap"), *z = path_of("t.zst");
	uint8_t out[61 * 22];
	embmap *t;

	(void)state;
	TT_OK(tt_build(plain, &s));
	compress(plain, z, 6, 0);
	TT_OK(embmap_open(plain, 0, &t));
	for (uint64_t first = 0; first < 61; first += 5)
		for (uint64_t n = 0; first + n <= 61; n += 7) {
			memset(out, 0xAA, sizeof out);
			TT_OK(embmap_zstd_read_rows(z, first, n, out,
						    sizeof out));
			if (n)
				assert_memory_equal(out, embmap_row(t, first),
						    n * 22);
		}
	assert_int_equal(embmap_zstd_read_rows(z, 60, 2, out, sizeof out),
			 EMBMAP_ERANGE);
	assert_int_equal(embmap_zstd_read_rows(z, 0, 10, out, 100),
			 EMBMAP_EINVAL);
	assert_int_equal(embmap_zstd_read_rows(plain, 0, 1, out, sizeof out),
			 EMBMAP_EINVAL);
	embmap_close(t);
	free(plain);
	free(z);
}

static uint64_t progress_calls, progress_last, progress_total;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	assert_true(done >= progress_last);
	assert_true(done <= total);
	progress_calls++;
	progress_last = done;
	progress_total = total;
}

static void test_zstd_progress(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F32, 90, 16, 10);
	char *plain = path_of("t.embmap"), *z = path_of("t.zst");
	char *back = path_of("back.embmap");
	struct embmap_zstd_options o = nosync;

	(void)state;
	TT_OK(tt_build(plain, &s));
	o.frame_rows = 10;
	o.progress = on_progress;
	TT_OK(embmap_compress(plain, z, &o));
	assert_true(progress_calls >= 9);
	assert_int_equal(progress_last, progress_total);
	progress_calls = progress_last = 0;
	TT_OK(embmap_unpack(z, back, &o));
	assert_true(progress_calls >= 9);
	assert_int_equal(progress_last, progress_total);
	progress_calls = progress_last = 0;
	TT_OK(embmap_zstd_verify(z, NULL, NULL, &o));
	assert_int_equal(progress_last, progress_total);
	free(plain);
	free(z);
	free(back);
}

static void test_zstd_compress_refusals(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F32, 40, 8, 5);
	char *plain = path_of("t.embmap"), *z = path_of("t.zst");
	char *zz = path_of("tt.zst");
	struct embmap_zstd_options o = nosync;
	uint8_t *img;
	size_t n;

	(void)state;
	TT_OK(tt_build(plain, &s));
	o.level = 99;
	assert_int_equal(embmap_compress(plain, z, &o), EMBMAP_EINVAL);
	assert_non_null(strstr(embmap_errmsg(), "level 99"));
	o.level = 0;
	o.threads = 1000;
	assert_int_equal(embmap_compress(plain, z, &o), EMBMAP_EINVAL);
	o.threads = 0;
	o.flags |= 0x8000;
	assert_int_equal(embmap_compress(plain, z, &o), EMBMAP_EINVAL);
	o.flags = EMBMAP_WRITE_NO_SYNC;
	o.frame_rows = EMBMAP_ZSTD_MAX_FRAME; /* x 32 bytes a row */
	assert_int_equal(embmap_compress(plain, z, &o), EMBMAP_EINVAL);
	assert_non_null(strstr(embmap_errmsg(), "frame limit"));
	assert_int_equal(tt_dir_entries(tmp), 1);

	/* Already compressed. */
	TT_OK(embmap_compress(plain, z, &nosync));
	assert_int_equal(embmap_compress(z, zz, &nosync), EMBMAP_EINVAL);
	assert_non_null(strstr(embmap_errmsg(), "already"));
	/* unpack and verify want the transport form. */
	assert_int_equal(embmap_unpack(plain, zz, &nosync), EMBMAP_EINVAL);
	assert_int_equal(embmap_zstd_verify(plain, NULL, NULL, NULL),
			 EMBMAP_EINVAL);

	/* A damaged table is never packaged. */
	img = tt_slurp(plain, &n);
	img[4096 + 17] ^= 0x40;
	tt_spit(plain, img, n);
	assert_int_equal(embmap_compress(plain, zz, &nosync), EMBMAP_ECHECKSUM);
	assert_non_null(strstr(embmap_errmsg(), "damaged"));
	assert_int_equal(tt_dir_entries(tmp), 2); /* t.embmap, t.zst */
	free(img);
	free(plain);
	free(z);
	free(zz);
}

/* ------------------------------------------------------------------------ */
/* Damage                                                                   */
/* ------------------------------------------------------------------------ */

struct seen {
	uint64_t n;
	struct embmap_zstd_damage d[8];
};

static void on_damage(void *ctx, const struct embmap_zstd_damage *d)
{
	struct seen *s = ctx;

	assert_non_null(d->detail);
	if (s->n < 8)
		s->d[s->n] = *d;
	s->n++;
}

static uint64_t frame_count(const uint8_t *img)
{
	return tt_get64(img, ZI_FRAME_COUNT);
}

static size_t entry_of(const uint8_t *img, uint64_t f)
{
	return (size_t)(tt_get64(img, ZI_TABLE_OFFSET) +
			f * EMBMAP_ZFRAME_SIZE);
}

/* Recompute the frame table, directory and header checksums. */
static void reseal(uint8_t *img)
{
	uint64_t toff = tt_get64(img, ZI_TABLE_OFFSET);
	uint64_t tlen = frame_count(img) * EMBMAP_ZFRAME_SIZE;

	tt_put64(img, ZI_TABLE_SUM, XXH3_64bits(img + toff, tlen));
	tt_put64(img, 104,
		 XXH3_64bits(img + EMBMAP_HEADER_SIZE,
			     toff - EMBMAP_HEADER_SIZE));
	tt_put64(img, EMBMAP_HEADER_HASHED,
		 XXH3_64bits(img, EMBMAP_HEADER_HASHED));
}

/*
 * The image with frame f's bytes replaced by rep[0..n), later frames
 * moved, every offset and checksum fixed up as a forger would.
 */
static uint8_t *replace_frame(const uint8_t *img, size_t size, uint64_t f,
			      const void *rep, size_t n, size_t *out_size)
{
	size_t e = entry_of(img, f);
	uint64_t off = tt_get64(img, e), old = tt_get32(img, e + 8);
	size_t rest = size - (size_t)(off + old);
	uint8_t *out = malloc(size - old + n);

	assert_non_null(out);
	memcpy(out, img, (size_t)off);
	memcpy(out + off, rep, n);
	memcpy(out + off + n, img + off + old, rest);
	tt_put32(out, e + 8, (uint32_t)n);
	for (uint64_t g = f + 1; g < frame_count(img); g++) {
		size_t eg = entry_of(img, g);

		tt_put64(out, eg, tt_get64(img, eg) - old + n);
	}
	*out_size = size - old + n;
	tt_put64(out, 40, *out_size);
	reseal(out);
	return out;
}

/* Every way in must refuse img, and name what (words) is wrong. */
static void expect_refused(const uint8_t *img, size_t size, int code,
			   const char *words)
{
	char *z = path_of("bad.zst"), *back = path_of("back.embmap");
	uint8_t *copy;
	embmap *t;
	int rc;

	tt_spit(z, img, size);
	rc = embmap_open(z, 0, &t);
	if (rc != code || (words && !strstr(embmap_errmsg(), words)))
		print_message("expected %d \"%s\", got %d: %s\n", code,
			      words ? words : "", rc, embmap_errmsg());
	assert_int_equal(rc, code);
	if (words)
		assert_non_null(strstr(embmap_errmsg(), words));
	assert_int_equal(tt_open_copy(img, size, 0, &t, &copy), code);
	free(copy);
	assert_int_equal(embmap_zstd_verify(z, NULL, NULL, NULL), code);
	if (words)
		assert_non_null(strstr(embmap_errmsg(), words));
	assert_int_equal(embmap_unpack(z, back, &nosync), code);
	assert_int_equal(access(back, F_OK), -1);
	unlink(z);
	free(z);
	free(back);
}

static void build_compressed(const struct tt_spec *s, uint32_t frame_rows,
			     uint8_t **img, size_t *size)
{
	char *plain = path_of("t.embmap"), *z = path_of("t.zst");

	TT_OK(tt_build(plain, s));
	compress(plain, z, frame_rows, 0);
	*img = tt_slurp(z, size);
	free(plain);
	free(z);
}

/* A flipped byte in any frame is found, and only in that frame. */
static void test_zstd_damage_each_frame(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F32, 45, 16, 40);
	char *z = path_of("d.zst");
	uint8_t *img;
	size_t size;

	(void)state;
	build_compressed(&s, 4, &img, &size);
	for (uint64_t f = 0; f < frame_count(img); f++) {
		size_t e = entry_of(img, f);
		uint64_t off = tt_get64(img, e);
		uint32_t len = tt_get32(img, e + 8);
		uint8_t *bad = malloc(size);
		struct seen seen = {0};
		char what[32];
		embmap *t;
		int rc;

		memcpy(bad, img, size);
		bad[off + len / 2] ^= 0x10;
		tt_spit(z, bad, size);
		rc = embmap_zstd_verify(z, on_damage, &seen, NULL);
		assert_true(rc == EMBMAP_ECHECKSUM || rc == EMBMAP_ECORRUPT);
		assert_int_equal(seen.n, 1);
		assert_int_equal(seen.d[0].frame, f);
		snprintf(what, sizeof what, "frame %llu ",
			 (unsigned long long)f);
		assert_non_null(strstr(embmap_errmsg(), what));
		if (f < 12) { /* 45 rows, 4 a frame: the matrix frames */
			assert_int_equal(seen.d[0].kind, EMBMAP_SECTION_MATRIX);
			assert_int_equal(seen.d[0].first_row, f * 4);
			assert_int_equal(seen.d[0].row_count, f < 11 ? 4 : 1);
		} else {
			assert_int_not_equal(seen.d[0].kind,
					     EMBMAP_SECTION_MATRIX);
			assert_int_equal(seen.d[0].row_count, 0);
		}
		assert_int_equal(embmap_open(z, 0, &t), rc);
		assert_non_null(strstr(embmap_errmsg(), what));
		free(bad);
	}
	free(img);
	free(z);
}

static void test_zstd_damage_frame_table_and_head(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_BF16, 30, 12, 20);
	uint8_t *img, *bad;
	size_t size, toff;

	(void)state;
	build_compressed(&s, 8, &img, &size);
	bad = malloc(size);
	toff = (size_t)tt_get64(img, ZI_TABLE_OFFSET);

	/* Any byte of the frame table. */
	for (size_t i = 0; i < frame_count(img) * EMBMAP_ZFRAME_SIZE; i += 7) {
		memcpy(bad, img, size);
		bad[toff + i] ^= 0x01;
		expect_refused(bad, size, EMBMAP_ECHECKSUM, "frame table");
	}
	/* The descriptor and the plain head, under the directory checksum. */
	for (size_t i = ZI_OFF; i < toff; i += 13) {
		memcpy(bad, img, size);
		bad[i] ^= 0x01;
		expect_refused(bad, size, EMBMAP_ECHECKSUM,
			       "transport directory");
	}
	/* The header. */
	memcpy(bad, img, size);
	bad[50] ^= 0x01;
	expect_refused(bad, size, EMBMAP_ECHECKSUM, "header checksum");

	/* Resealed forgeries reach the field checks. */
	memcpy(bad, img, size);
	tt_put32(bad, ZI_FILTER, 9);
	reseal(bad);
	expect_refused(bad, size, EMBMAP_EVERSION, "filter 9");
	memcpy(bad, img, size);
	tt_put64(bad, ZI_RESERVED, 1);
	reseal(bad);
	expect_refused(bad, size, EMBMAP_ECORRUPT, "reserved");
	memcpy(bad, img, size);
	tt_put32(bad, ZI_FRAME_ROWS, 7);
	reseal(bad);
	expect_refused(bad, size, EMBMAP_ECORRUPT, "frame_count");
	memcpy(bad, img, size);
	tt_put64(bad, 48, 31); /* transport rows differ from the head's */
	reseal(bad);
	expect_refused(bad, size, EMBMAP_ECORRUPT, "plain head");
	memcpy(bad, img, size);
	tt_put64(bad, 24, EMBMAP_FEAT_ZSTD | 0x100); /* unknown feature */
	reseal(bad);
	expect_refused(bad, size, EMBMAP_EVERSION, "required features");
	/* A frame table entry moved: offsets must be back to back. */
	memcpy(bad, img, size);
	tt_put64(bad, entry_of(bad, 1), tt_get64(bad, entry_of(bad, 1)) + 1);
	reseal(bad);
	expect_refused(bad, size, EMBMAP_ECORRUPT, "back to back");
	free(bad);
	free(img);
}

/*
 * An old reader refuses the transport form by the plain rules alone: a
 * valid header whose required_features has a bit it does not know.
 */
static void test_zstd_old_reader_refuses(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F32, 10, 4, 3);
	uint8_t *img;
	size_t size;

	(void)state;
	build_compressed(&s, 0, &img, &size);
	assert_memory_equal(img, EMBMAP_MAGIC, EMBMAP_MAGIC_SIZE);
	assert_int_equal(tt_get64(img, 24) & ~EMBMAP_FEAT_REQUIRED_KNOWN,
			 EMBMAP_FEAT_ZSTD);
	assert_int_equal(tt_get64(img, EMBMAP_HEADER_HASHED),
			 XXH3_64bits(img, EMBMAP_HEADER_HASHED));
	assert_int_equal(tt_get64(img, 40), size);
	free(img);
}

/* Every shorter length is an error, on every path, never a crash. */
static void test_zstd_truncated_everywhere(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F16, 12, 5, 6);
	char *z = path_of("cut.zst");
	uint8_t *img, *copy, out[10];
	struct embmap_zstd_info info;
	size_t size;
	embmap *t;

	(void)state;
	build_compressed(&s, 5, &img, &size);
	for (size_t n = 0; n < size; n++) {
		int rc = tt_open_copy(img, n, 0, &t, &copy);

		assert_true(rc < 0);
		assert_null(t);
		free(copy);
		tt_spit(z, img, n);
		assert_true(embmap_open(z, 0, &t) < 0);
		assert_true(embmap_zstd_probe(z, &info) <= 0);
		assert_true(embmap_zstd_verify(z, NULL, NULL, NULL) < 0);
		assert_true(embmap_zstd_read_rows(z, 0, 1, out, 10) < 0);
	}
	free(img);
	free(z);
}

static size_t zframe(void *dst, size_t cap, const void *src, size_t n,
		     int content_size)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t r;

	assert_non_null(c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
	r = ZSTD_compress2(c, dst, cap, src, n);
	ZSTD_freeCCtx(c);
	assert_false(ZSTD_isError(r));
	return r;
}

/*
 * Valid zstd frames of the wrong length, with every checksum in front of
 * them fixed up: the reader must reach and fail its length checks.
 */
static void test_zstd_frame_of_wrong_length(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_F32, 40, 8, 4);
	uint8_t *img, *bad, src[400], buf[1024];
	size_t size, bsize, n;

	(void)state;
	build_compressed(&s, 10, &img, &size); /* 320 bytes a frame */
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (uint8_t)(i * 7);

	/* The zstd header declares 200 bytes. */
	n = zframe(buf, sizeof buf, src, 200, 1);
	bad = replace_frame(img, size, 2, buf, n, &bsize);
	expect_refused(bad, bsize, EMBMAP_ECORRUPT, "declares 200 bytes");
	free(bad);

	/* No declared size; decodes to 200 bytes. */
	n = zframe(buf, sizeof buf, src, 200, 0);
	bad = replace_frame(img, size, 2, buf, n, &bsize);
	expect_refused(bad, bsize, EMBMAP_ECORRUPT, "decodes to 200 bytes");
	free(bad);

	/* No declared size; decodes to more than the frame's 320. */
	n = zframe(buf, sizeof buf, src, 400, 0);
	bad = replace_frame(img, size, 2, buf, n, &bsize);
	expect_refused(bad, bsize, EMBMAP_ECORRUPT, "more than 320");
	free(bad);

	/* Right length, other content: the frame checksum. */
	n = zframe(buf, sizeof buf, src, 320, 1);
	bad = replace_frame(img, size, 2, buf, n, &bsize);
	expect_refused(bad, bsize, EMBMAP_ECHECKSUM, "frame 2 ");
	free(bad);

	/* Two frames where one belongs. */
	n = zframe(buf, sizeof buf, src, 160, 0);
	n += zframe(buf + n, sizeof buf - n, src + 160, 160, 0);
	bad = replace_frame(img, size, 2, buf, n, &bsize);
	expect_refused(bad, bsize, EMBMAP_ECORRUPT, "more, expected one");
	free(bad);

	/* Not zstd at all. */
	memset(buf, 0x5A, 64);
	bad = replace_frame(img, size, 3, buf, 64, &bsize);
	expect_refused(bad, bsize, EMBMAP_ECORRUPT, "frame 3 ");
	free(bad);

	/* One byte cannot stand for 320: the ratio limit (shown only when
	 * the frame is large enough to exceed it). */
	free(img);
	s = small(EMBMAP_DTYPE_F32, 40, 1024, 4);
	build_compressed(&s, 10, &img, &size); /* 40960 bytes a frame */
	bad = replace_frame(img, size, 1, buf, 1, &bsize);
	expect_refused(bad, bsize, EMBMAP_ECORRUPT, "ratio limit");
	free(bad);
	free(img);
}

/* The filter as SPEC.md defines it: plane j holds byte j of each element. */
static void ref_shuffle(uint8_t *dst, const uint8_t *src, size_t len,
			unsigned e)
{
	size_t n = len / e;

	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < e; j++)
			dst[j * n + i] = src[i * e + j];
	memcpy(dst + n * e, src + n * e, len - n * e);
}

static unsigned ref_elem(uint32_t kind, int dtype)
{
	switch (kind) {
	case EMBMAP_SECTION_MATRIX: return (unsigned)embmap_dtype_size(dtype);
	case EMBMAP_SECTION_BLOCK_SUMS:
	case EMBMAP_SECTION_TOKEN_OFFSETS:
	case EMBMAP_SECTION_TOKEN_INDEX: return 8;
	case EMBMAP_SECTION_SCALES:
	case EMBMAP_SECTION_NORMS: return 4;
	default: return 1;
	}
}

/*
 * Every frame, decoded by plain zstd, holds exactly the filtered bytes of
 * its range of the plain file, ranges and element sizes as SPEC.md says.
 */
static void expect_frames_as_specified(const char *plain, const char *z,
				       int dtype)
{
	size_t psize, zsize;
	uint8_t *p = tt_slurp(plain, &psize), *img = tt_slurp(z, &zsize);
	uint32_t nsec = tt_get32(img, 20);
	uint64_t stride = tt_get64(img, 64), f = 0;
	int shuffled = tt_get32(img, ZI_FILTER) == EMBMAP_ZSTD_FILTER_SHUFFLE;

	assert_memory_equal(img + HEAD_OFF, p, tt_get32(img, ZI_HEAD_SIZE));
	for (uint32_t i = 0; i < nsec; i++) {
		size_t e = HEAD_OFF + tt_entry(i);
		uint32_t kind = tt_get32(img, e + TT_SEC_KIND);
		uint64_t off = tt_get64(img, e + TT_SEC_OFFSET);
		uint64_t len = tt_get64(img, e + TT_SEC_LENGTH);
		uint64_t fs = kind == EMBMAP_SECTION_MATRIX
				      ? tt_get32(img, ZI_FRAME_ROWS) * stride
				      : tt_get32(img, ZI_OFF + 40);

		for (uint64_t at = 0; at < len; at += fs, f++) {
			size_t n = (size_t)(len - at < fs ? len - at : fs);
			size_t fe = entry_of(img, f);
			uint8_t *want = malloc(n), *got = malloc(n + 1);
			size_t r;

			if (shuffled)
				ref_shuffle(want, p + off + at, n,
					    ref_elem(kind, dtype));
			else
				memcpy(want, p + off + at, n);
			r = ZSTD_decompress(got, n + 1, img + tt_get64(img, fe),
					    tt_get32(img, fe + 8));
			assert_int_equal(r, n);
			assert_int_equal(tt_get32(img, fe + 12), n);
			assert_memory_equal(got, want, n);
			assert_int_equal(tt_get64(img, fe + 16),
					 XXH3_64bits(p + off + at, n));
			free(want);
			free(got);
		}
	}
	assert_int_equal(f, frame_count(img));
	free(p);
	free(img);
}

static void test_zstd_filter_bytes_as_specified(void **state)
{
	static const int dtypes[] = {EMBMAP_DTYPE_F32, EMBMAP_DTYPE_F16,
				     EMBMAP_DTYPE_BF16, EMBMAP_DTYPE_I8};
	char *plain = path_of("t.embmap"), *z = path_of("t.zst");

	(void)state;
	for (size_t i = 0; i < 4; i++)
		for (int sh = 0; sh < 2; sh++) {
			/* 5 rows of 13: whole SIMD steps and a tail. */
			struct tt_spec s = small(dtypes[i], 37, 13, 30);

			TT_OK(tt_build(plain, &s));
			compress(plain, z, 5, sh ? 0 : EMBMAP_ZSTD_NO_SHUFFLE);
			expect_frames_as_specified(plain, z, dtypes[i]);
		}
	free(plain);
	free(z);
}

/* A transport image in memory opens too, as a copy. */
static void test_zstd_open_buffer(void **state)
{
	struct tt_spec s = small(EMBMAP_DTYPE_I8, 25, 6, 25);
	char *plain = path_of("t.embmap");
	uint8_t *img, *copy;
	size_t size;
	embmap *a, *b;

	(void)state;
	build_compressed(&s, 3, &img, &size);
	TT_OK(tt_open_copy(img, size, EMBMAP_VERIFY, &b, &copy));
	free(copy); /* the handle holds its own plain bytes */
	TT_OK(embmap_open(plain, 0, &a));
	assert_int_equal(embmap_is_mapped(b), 0);
	assert_int_equal(embmap_compressed_size(b), size);
	for (uint64_t r = 0; r < 25; r++)
		assert_memory_equal(embmap_row(a, r), embmap_row(b, r), 6);
	embmap_close(b);

	/* At an odd address too: the plain head is read from a copy. */
	copy = malloc(size + 1);
	assert_non_null(copy);
	memcpy(copy + 1, img, size);
	TT_OK(embmap_open_buffer(copy + 1, size, EMBMAP_VERIFY, &b));
	for (uint64_t r = 0; r < 25; r++)
		assert_memory_equal(embmap_row(a, r), embmap_row(b, r), 6);
	embmap_close(b);
	free(copy);
	embmap_close(a);
	free(img);
	free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_zstd_round_trip_every_dtype, clear),
		cmocka_unit_test_setup(test_zstd_round_trip_shapes, clear),
		cmocka_unit_test_setup(test_zstd_empty_vocabulary, clear),
		cmocka_unit_test_setup(test_zstd_deterministic_across_threads,
				       clear),
		cmocka_unit_test_setup(test_zstd_read_rows, clear),
		cmocka_unit_test_setup(test_zstd_progress, clear),
		cmocka_unit_test_setup(test_zstd_compress_refusals, clear),
		cmocka_unit_test_setup(test_zstd_damage_each_frame, clear),
		cmocka_unit_test_setup(test_zstd_damage_frame_table_and_head,
				       clear),
		cmocka_unit_test_setup(test_zstd_old_reader_refuses, clear),
		cmocka_unit_test_setup(test_zstd_truncated_everywhere, clear),
		cmocka_unit_test_setup(test_zstd_frame_of_wrong_length, clear),
		cmocka_unit_test_setup(test_zstd_open_buffer, clear),
		cmocka_unit_test_setup(test_zstd_filter_bytes_as_specified,
				       clear),
	};

	return cmocka_run_group_tests_name("zstd", tests, setup, teardown);
}
