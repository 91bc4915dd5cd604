/*
 * test_error.c - error names, the per-thread detail and the version
 * (src/error.c).
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

static void test_error_strerror_every_code(void **state)
{
	const char *names[13];

	(void)state;
	assert_string_equal(embmap_strerror(EMBMAP_OK), "success");
	for (int code = 0; code >= EMBMAP_ESTATE; code--) {
		const char *s = embmap_strerror(code);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, "unknown error");
		/* Each code has its own name. */
		for (int k = 0; k < -code; k++)
			assert_string_not_equal(s, names[k]);
		names[-code] = s;
	}
	assert_string_equal(embmap_strerror(EMBMAP_ECHECKSUM),
			    "checksum mismatch");
	assert_string_equal(embmap_strerror(1), "unknown error");
	assert_string_equal(embmap_strerror(EMBMAP_ESTATE - 1),
			    "unknown error");
	assert_string_equal(embmap_strerror(-1000), "unknown error");
}

static void test_error_version(void **state)
{
	char want[32];

	(void)state;
	assert_string_equal(embmap_version(), EMBMAP_VERSION_STRING);
	snprintf(want, sizeof want, "%d.%d.%d", EMBMAP_VERSION_MAJOR,
		 EMBMAP_VERSION_MINOR, EMBMAP_VERSION_PATCH);
	assert_string_equal(embmap_version(), want);
}

static void *fresh_thread(void *arg)
{
	embmap *t;

	*(int *)arg = 1;
	if (strcmp(embmap_errmsg(), "") != 0)
		return NULL;
	if (embmap_open(NULL, 0, &t) != EMBMAP_EINVAL)
		return NULL;
	if (strstr(embmap_errmsg(), "path") == NULL)
		return NULL;
	*(int *)arg = 0;
	return NULL;
}

/* The detail is per thread: empty in a new one, untouched by others. */
static void test_error_errmsg_per_thread(void **state)
{
	pthread_t th;
	embmap *t;
	int bad = -1;
	static _Alignas(8) const char x[8] = "x";

	(void)state;
	assert_int_equal(embmap_open_buffer(x, 1, 0, &t), EMBMAP_EMAGIC);
	assert_non_null(strstr(embmap_errmsg(), "1 bytes"));
	assert_int_equal(pthread_create(&th, NULL, fresh_thread, &bad), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(bad, 0);
	assert_non_null(strstr(embmap_errmsg(), "1 bytes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_strerror_every_code),
		cmocka_unit_test(test_error_version),
		cmocka_unit_test(test_error_errmsg_per_thread),
	};

	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
