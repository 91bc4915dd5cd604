/*
 * test_mapping.c - what happens when the file under an open table changes.
 *
 * A mapped table reads the file's pages directly: if another process
 * truncates the file, touching a row that is gone raises SIGBUS, as with
 * any shared mapping. EMBMAP_PRIVATE copies the file at open, so the same
 * truncation cannot reach the table. Both are shown here, the SIGBUS in a
 * child process.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "embmap.h"

#define ROWS 4096u
#define DIM 64u

static char path[64];

/* A table big enough that its last rows live pages past its first. */
static void make_table(void)
{
	static float row[DIM];
	embmap_writer *w;
	struct embmap_writer_options o = {.flags = EMBMAP_WRITE_NO_SYNC};
	int fd;

	snprintf(path, sizeof path, "/tmp/embmap-mapping-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(
		embmap_writer_open(path, DIM, EMBMAP_DTYPE_F32, &o, &w), 0);
	for (uint32_t r = 0; r < ROWS; r++) {
		for (uint32_t c = 0; c < DIM; c++)
			row[c] = (float)r + (float)c / 100.0f;
		assert_int_equal(embmap_writer_add_rows(w, row, 1), 0);
	}
	assert_int_equal(embmap_writer_finish(w), 0);
}

static int touch_last_row(const embmap *t)
{
	const volatile float *row = embmap_row(t, ROWS - 1);

	return (int)row[DIM - 1];
}

static void mapping_truncated_raises_sigbus(void **state)
{
	embmap *t;
	pid_t pid;
	int status;

	(void)state;
	make_table();
	assert_int_equal(embmap_open(path, 0, &t), 0);
	assert_int_equal(touch_last_row(t), (int)(ROWS - 1));

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches SIGBUS in the parent; the child must die. */
		signal(SIGBUS, SIG_DFL);
		if (truncate(path, 4096) != 0)
			_exit(3);
		touch_last_row(t);
		_exit(0); /* not reached when the kernel sends SIGBUS */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
	embmap_close(t);
	unlink(path);
}

static void private_copy_survives_truncation(void **state)
{
	float row[DIM];
	embmap *t;

	(void)state;
	make_table();
	assert_int_equal(embmap_open(path, EMBMAP_PRIVATE | EMBMAP_VERIFY, &t),
			 0);
	assert_int_equal(truncate(path, 0), 0);
	unlink(path);

	assert_int_equal(touch_last_row(t), (int)(ROWS - 1));
	assert_int_equal(embmap_row_f32(t, ROWS - 1, row), 0);
	assert_true(row[1] == (float)(ROWS - 1) + 0.01f);
	assert_int_equal(embmap_verify(t, NULL, NULL), 0);
	embmap_close(t);
}

static void reopen_after_truncation_is_refused(void **state)
{
	embmap *t;

	(void)state;
	make_table();
	assert_int_equal(truncate(path, 8192), 0);
	assert_int_equal(embmap_open(path, 0, &t), EMBMAP_ETRUNCATED);
	assert_null(t);
	assert_non_null(strstr(embmap_errmsg(), "file_size"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mapping_truncated_raises_sigbus),
		cmocka_unit_test(private_copy_survives_truncation),
		cmocka_unit_test(reopen_after_truncation_is_refused),
	};

	return cmocka_run_group_tests_name("mapping", tests, NULL, NULL);
}
