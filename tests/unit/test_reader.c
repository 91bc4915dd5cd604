/*
 * test_reader.c - embmap_open, embmap_open_buffer, embmap_close, the open
 * flags and the shape accessors (src/reader.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "embmap.h"
#include "embmap_format.h"
#include "tables.h"

static char *tmp;  /* scratch directory of this binary */
static char *good; /* a valid table: 37 x 5 f32, 37 tokens, 2 meta */

static const char *const good_meta[] = {"model", "test", "dim", "5"};

static const struct tt_spec good_spec = {
	.rows = 37,
	.dim = 5,
	.tokens = 37,
	.block_rows = 4,
	.meta = good_meta,
	.nmeta = 2,
};

static embmap *sentinel(void)
{
	return (embmap *)(uintptr_t)0x1;
}

static int setup(void **state)
{
	(void)state;
	tmp = tt_tempdir();
	good = tt_join(tmp, "good.embmap");
	assert_int_equal(tt_build(good, &good_spec), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_remove_dir(tmp);
	free(good);
	free(tmp);
	return 0;
}

static void check_shape(const embmap *t, uint64_t size)
{
	unsigned major = 99, minor = 99;

	assert_int_equal(embmap_rows(t), 37);
	assert_int_equal(embmap_dim(t), 5);
	assert_int_equal(embmap_dtype(t), EMBMAP_DTYPE_F32);
	assert_int_equal(embmap_stride(t), 20);
	assert_int_equal(embmap_tokens(t), 37);
	assert_int_equal(embmap_alignment(t), 4096);
	assert_int_equal(embmap_block_rows(t), 4);
	assert_int_equal(embmap_file_size(t), size);
	/* block sums, meta, token offsets, bytes and index */
	assert_int_equal(embmap_section_count(t), 6);
	embmap_format_version(t, &major, &minor);
	assert_int_equal(major, EMBMAP_FORMAT_MAJOR);
	assert_int_equal(minor, EMBMAP_FORMAT_MINOR);
	embmap_format_version(t, NULL, NULL);
}

static void test_reader_open_good_file(void **state)
{
	struct stat st;
	embmap *t = sentinel();

	(void)state;
	assert_int_equal(stat(good, &st), 0);
	assert_int_equal(embmap_open(good, 0, &t), 0);
	assert_non_null(t);
	check_shape(t, (uint64_t)st.st_size);
	/* Mapped page-aligned: the matrix at offset 4096 is page-aligned. */
	assert_int_equal((uintptr_t)embmap_row(t, 0) % 4096, 0);
	assert_int_equal(embmap_is_mapped(t), 1);
	assert_int_equal(embmap_compressed_size(t), 0);
	embmap_close(t);
}

static void test_reader_open_null_arguments(void **state)
{
	embmap *t = sentinel();

	(void)state;
	assert_int_equal(embmap_open(NULL, 0, &t), EMBMAP_EINVAL);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "path"));
	assert_int_equal(embmap_open(good, 0, NULL), EMBMAP_EINVAL);
	assert_non_null(strstr(embmap_errmsg(), "out"));
	t = sentinel();
	assert_int_equal(embmap_open_buffer(NULL, 100, 0, &t), EMBMAP_EINVAL);
	assert_null(t);
	assert_int_equal(embmap_open_buffer("x", 1, 0, NULL), EMBMAP_EINVAL);
	embmap_close(NULL);
}

static void test_reader_open_missing_file(void **state)
{
	char *path = tt_join(tmp, "no-such-file.embmap");
	embmap *t = sentinel();

	(void)state;
	assert_int_equal(embmap_open(path, 0, &t), EMBMAP_EIO);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "no-such-file.embmap"));
	assert_non_null(strstr(embmap_errmsg(), strerror(ENOENT)));
	free(path);
}

static void test_reader_open_directory(void **state)
{
	embmap *t = sentinel();

	(void)state;
	assert_int_equal(embmap_open(tmp, 0, &t), EMBMAP_EINVAL);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "not a regular file"));
}

static void test_reader_open_empty_file(void **state)
{
	char *path = tt_join(tmp, "empty");
	embmap *t = sentinel();

	(void)state;
	tt_spit(path, "", 0);
	assert_int_equal(embmap_open(path, 0, &t), EMBMAP_EMAGIC);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "empty"));
	assert_int_equal(embmap_open(path, EMBMAP_PRIVATE, &t), EMBMAP_EMAGIC);
	unlink(path);
	free(path);
}

static void test_reader_open_not_embmap(void **state)
{
	char *path = tt_join(tmp, "text");
	char text[300];
	embmap *t = sentinel();

	(void)state;
	memset(text, 'x', sizeof text);
	tt_spit(path, text, sizeof text);
	assert_int_equal(embmap_open(path, 0, &t), EMBMAP_EMAGIC);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "magic"));
	/* Shorter than a header and not starting with the magic. */
	tt_spit(path, text, 20);
	assert_int_equal(embmap_open(path, 0, &t), EMBMAP_EMAGIC);
	unlink(path);
	free(path);
}

static void test_reader_open_buffer(void **state)
{
	size_t size;
	uint8_t *img = tt_slurp(good, &size);
	void *page;
	embmap *t = sentinel();

	(void)state;
	/* Page-aligned memory, as the contract recommends. */
	page = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	memcpy(page, img, size);
	assert_int_equal(embmap_open_buffer(page, size, 0, &t), 0);
	check_shape(t, size);
	/* Rows are pointers into the caller's buffer, no copy. */
	assert_ptr_equal(embmap_row(t, 0), (uint8_t *)page + 4096);
	assert_ptr_equal(embmap_row(t, 36), (uint8_t *)page + 4096 + 36 * 20);
	assert_int_equal(embmap_is_mapped(t), 1);
	embmap_close(t);

	/* Flags that need a file are ignored, VERIFY is honoured. */
	assert_int_equal(embmap_open_buffer(page, size,
					    EMBMAP_POPULATE | EMBMAP_HUGEPAGE |
						    EMBMAP_PRIVATE |
						    EMBMAP_VERIFY,
					    &t),
			 0);
	assert_ptr_equal(embmap_row(t, 0), (uint8_t *)page + 4096);
	embmap_close(t);

	/* Sizes that cannot hold a table. */
	assert_int_equal(embmap_open_buffer(page, 0, 0, &t), EMBMAP_EMAGIC);
	assert_null(t);
	assert_int_equal(embmap_open_buffer(page, 100, 0, &t),
			 EMBMAP_ETRUNCATED);
	assert_int_equal(embmap_open_buffer(page, size - 1, 0, &t),
			 EMBMAP_ETRUNCATED);
	munmap(page, size);

	/* Trailing bytes after file_size: not the file the header describes. */
	img = realloc(img, size + 64);
	assert_non_null(img);
	memset(img + size, 0, 64);
	assert_int_equal(embmap_open_buffer(img, size + 64, 0, &t),
			 EMBMAP_ECORRUPT);
	assert_non_null(strstr(embmap_errmsg(), "file_size"));
	assert_int_equal(embmap_open_buffer(img, size, 0, &t), 0);
	embmap_close(t);
	free(img);
}

/*
 * A buffer at an odd address: the contract asks for page alignment only
 * for aligned rows, so reading the header and directory must not depend
 * on it. Run in a child, so that a sanitizer's abort on a misaligned load
 * fails this test alone and names the cause.
 */
/*
 * A buffer at any address opens, verifies and reads the same: the library
 * copies the header and directory and loads everything else bytewise (run
 * under UBSan, a misaligned load would fail this test).
 */
static void test_reader_open_buffer_unaligned(void **state)
{
	size_t size, len, n;
	uint8_t *img = tt_slurp(good, &size);
	uint8_t *odd = malloc(size + 8);
	char tok[32];
	float row[5];
	embmap *t = sentinel();

	(void)state;
	assert_non_null(odd);
	for (size_t shift = 0; shift < 8; shift++) {
		memcpy(odd + shift, img, size);
		assert_int_equal(embmap_open_buffer(odd + shift, size,
						    EMBMAP_VERIFY, &t),
				 0);
		assert_int_equal(embmap_rows(t), 37);
		n = tt_token(7, tok);
		assert_int_equal(embmap_find(t, tok, n), 7);
		assert_non_null(embmap_token(t, 7, &len));
		assert_int_equal(len, n);
		assert_non_null(embmap_meta(t, "model"));
		assert_ptr_equal(embmap_row(t, 1), odd + shift + 4096 + 20);
		assert_int_equal(embmap_row_f32(t, 1, row), 0);
		assert_true(row[4] == tt_value(&good_spec, 1, 4));
		assert_int_equal(embmap_verify_rows(t, 0, 37), 0);
		embmap_close(t);
	}
	free(odd);
	free(img);
}

static void test_reader_flag_verify(void **state)
{
	char *path = tt_join(tmp, "damaged.embmap");
	size_t size;
	uint8_t *img = tt_slurp(good, &size);
	embmap *t = sentinel();

	(void)state;
	assert_int_equal(embmap_open(good, EMBMAP_VERIFY, &t), 0);
	embmap_close(t);

	/* One matrix byte changed: structure intact, checksum not. */
	img[4096 + 5 * 20 + 3] ^= 0x40; /* row 5, block 4..7 */
	tt_spit(path, img, size);
	assert_int_equal(embmap_open(path, 0, &t), 0);
	embmap_close(t);
	t = sentinel();
	assert_int_equal(embmap_open(path, EMBMAP_VERIFY, &t),
			 EMBMAP_ECHECKSUM);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "rows 4..7"));
	t = sentinel();
	assert_int_equal(embmap_open(path, EMBMAP_VERIFY | EMBMAP_PRIVATE, &t),
			 EMBMAP_ECHECKSUM);
	assert_null(t);
	unlink(path);
	free(path);
	free(img);
}

static void test_reader_flag_populate_hugepage(void **state)
{
	embmap *t;
	float row[5];

	(void)state;
	assert_int_equal(embmap_open(good, EMBMAP_POPULATE, &t), 0);
	assert_int_equal(embmap_row_f32(t, 3, row), 0);
	assert_true(row[2] == tt_value(&good_spec, 3, 2));
	embmap_close(t);
	assert_int_equal(
		embmap_open(good, EMBMAP_HUGEPAGE | EMBMAP_POPULATE, &t), 0);
	assert_int_equal(embmap_row_f32(t, 36, row), 0);
	assert_true(row[4] == tt_value(&good_spec, 36, 4));
	embmap_close(t);
}

/* A private handle does not see the file change under it. */
static void test_reader_flag_private(void **state)
{
	char *path = tt_join(tmp, "private.embmap");
	size_t size;
	uint8_t *img = tt_slurp(good, &size);
	embmap *t;
	float row[5];
	char tok[32];
	size_t n;
	int fd;

	(void)state;
	tt_spit(path, img, size);
	assert_int_equal(embmap_open(path, EMBMAP_PRIVATE, &t), 0);
	check_shape(t, size);
	assert_int_equal((uintptr_t)embmap_row(t, 0) % 4096, 0);
	assert_int_equal(embmap_is_mapped(t), 0);
	assert_int_equal(embmap_compressed_size(t), 0);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(embmap_verify(t, NULL, NULL), 0);
	assert_int_equal(embmap_row_f32(t, 20, row), 0);
	assert_true(row[1] == tt_value(&good_spec, 20, 1));
	n = tt_token(20, tok);
	assert_int_equal(embmap_find(t, tok, n), 20);
	embmap_close(t);
	unlink(path);
	free(path);
	free(img);
}

/*
 * MLOCK succeeds exactly when this process may lock that many bytes; the
 * test asks the kernel the same question first (root's CAP_IPC_LOCK and
 * the RLIMIT_MEMLOCK both decide it), then expects the same answer.
 */
static void test_reader_flag_mlock(void **state)
{
	struct stat st;
	embmap *t = sentinel();
	void *probe;
	int can_lock, rc;

	(void)state;
	assert_int_equal(stat(good, &st), 0);
	probe = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(probe != MAP_FAILED);
	can_lock = mlock(probe, (size_t)st.st_size) == 0;
	if (can_lock)
		munlock(probe, (size_t)st.st_size);
	munmap(probe, (size_t)st.st_size);

	rc = embmap_open(good, EMBMAP_MLOCK, &t);
	if (can_lock) {
		assert_int_equal(rc, 0);
		assert_int_equal(embmap_rows(t), 37);
		embmap_close(t);
	} else {
		assert_int_equal(rc, EMBMAP_EIO);
		assert_null(t);
		assert_non_null(strstr(embmap_errmsg(), "mlock"));
	}
	print_message("mlock of %lld bytes: %s\n", (long long)st.st_size,
		      can_lock ? "allowed, open succeeded"
			       : "refused, open failed with EIO");
}

/* A newer minor version is read; a newer major is refused. */
static void test_reader_versions(void **state)
{
	size_t size;
	uint8_t *img = tt_slurp(good, &size);
	uint8_t *copy;
	embmap *t;
	unsigned major, minor;

	(void)state;
	img[14] = 7;
	tt_reseal(img);
	assert_int_equal(tt_open_copy(img, size, 0, &t, &copy), 0);
	embmap_format_version(t, &major, &minor);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 7);
	embmap_close(t);
	free(copy);

	img[12] = 2;
	tt_reseal(img);
	assert_int_equal(tt_open_copy(img, size, 0, &t, &copy),
			 EMBMAP_EVERSION);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "2.7"));
	free(copy);
	free(img);
}

/* A failed open leaves errmsg set; a later success leaves t valid. */
static void test_reader_errmsg_after_failure(void **state)
{
	static _Alignas(8) const char shortbuf[8] = "short";
	embmap *t;

	(void)state;
	assert_int_equal(embmap_open_buffer(shortbuf, 5, 0, &t), EMBMAP_EMAGIC);
	assert_true(strlen(embmap_errmsg()) > 0);
	assert_non_null(strstr(embmap_errmsg(), "5 bytes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_open_good_file),
		cmocka_unit_test(test_reader_open_null_arguments),
		cmocka_unit_test(test_reader_open_missing_file),
		cmocka_unit_test(test_reader_open_directory),
		cmocka_unit_test(test_reader_open_empty_file),
		cmocka_unit_test(test_reader_open_not_embmap),
		cmocka_unit_test(test_reader_open_buffer),
		cmocka_unit_test(test_reader_open_buffer_unaligned),
		cmocka_unit_test(test_reader_flag_verify),
		cmocka_unit_test(test_reader_flag_populate_hugepage),
		cmocka_unit_test(test_reader_flag_private),
		cmocka_unit_test(test_reader_flag_mlock),
		cmocka_unit_test(test_reader_versions),
		cmocka_unit_test(test_reader_errmsg_after_failure),
	};

	return cmocka_run_group_tests_name("reader", tests, setup, teardown);
}
