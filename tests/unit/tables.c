/*
 * tables.c - shared helpers of the unit tests (see tables.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmocka.h>

#include "embmap_format.h"
#include "tables.h"

float tt_value(const struct tt_spec *s, uint64_t row, uint32_t col)
{
	uint64_t k = (row * 31 + (uint64_t)col * 7 + s->seed * 13) % 97;

	return (float)((double)k / 8.0 - 6.0);
}

size_t tt_token(uint64_t id, char *buf)
{
	int n = snprintf(buf, 32, "%llu", (unsigned long long)id);
	size_t len = (size_t)n;

	for (uint64_t i = 0; i < (id * 5) % 11; i++)
		buf[len++] = (char)('a' + (id + i) % 26);
	return len;
}

int tt_build(const char *path, const struct tt_spec *s)
{
	struct embmap_writer_options o = {
		.alignment = s->alignment,
		.block_rows = s->block_rows,
		.flags = s->flags | EMBMAP_WRITE_NO_SYNC,
	};
	int dtype = s->dtype ? s->dtype : EMBMAP_DTYPE_F32;
	embmap_writer *w;
	float *row;
	char tok[32];
	int rc;

	rc = embmap_writer_open(path, s->dim, dtype, &o, &w);
	if (rc)
		return rc;
	row = malloc(sizeof *row * s->dim);
	assert_non_null(row);
	for (uint64_t r = 0; r < s->rows && rc == 0; r++) {
		for (uint32_t c = 0; c < s->dim; c++)
			row[c] = tt_value(s, r, c);
		rc = dtype == EMBMAP_DTYPE_F32
			     ? embmap_writer_add_rows(w, row, 1)
			     : embmap_writer_add_rows_f32(w, row, 1, 0);
	}
	free(row);
	for (uint64_t t = 0; t < s->tokens && rc == 0; t++)
		rc = embmap_writer_add_token(w, tok, tt_token(t, tok));
	for (size_t m = 0; m < s->nmeta && rc == 0; m++)
		rc = embmap_writer_set_meta(w, s->meta[2 * m],
					    s->meta[2 * m + 1]);
	if (rc) {
		embmap_writer_abort(w);
		return rc;
	}
	return embmap_writer_finish(w);
}

char *tt_tempdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (!base || !*base)
		base = "/tmp";
	p = malloc(strlen(base) + 32);
	assert_non_null(p);
	sprintf(p, "%s/embmap-unit-XXXXXX", base);
	if (!mkdtemp(p))
		fail_msg("mkdtemp %s: %s", p, strerror(errno));
	return p;
}

char *tt_join(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	assert_non_null(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

void tt_clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = tt_join(dir, e->d_name);
		if (unlink(p) != 0)
			rmdir(p);
		free(p);
	}
	closedir(d);
}

void tt_remove_dir(const char *dir)
{
	tt_clear_dir(dir);
	rmdir(dir);
}

size_t tt_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

uint8_t *tt_slurp(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *p;
	size_t done = 0;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	assert_non_null(p);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);

		if (n <= 0)
			fail_msg("read %s: %s", path, strerror(errno));
		done += (size_t)n;
	}
	close(fd);
	*size = done;
	return p;
}

void tt_spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("create %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

uint64_t tt_get64(const uint8_t *p, size_t off)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[off + (size_t)i];
	return v;
}

uint32_t tt_get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

void tt_put64(uint8_t *p, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

void tt_put32(uint8_t *p, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

size_t tt_entry(uint32_t i)
{
	return EMBMAP_HEADER_SIZE + (size_t)i * EMBMAP_SECTION_SIZE;
}

static uint32_t dir_entries(const uint8_t *buf)
{
	uint32_t n = tt_get32(buf, 20);

	return n > EMBMAP_MAX_SECTIONS ? EMBMAP_MAX_SECTIONS : n;
}

int tt_find_section(const uint8_t *buf, uint32_t kind)
{
	for (uint32_t i = 0; i < dir_entries(buf); i++)
		if (tt_get32(buf, tt_entry(i) + TT_SEC_KIND) == kind)
			return (int)i;
	return -1;
}

void tt_reseal_section(uint8_t *buf, uint32_t i)
{
	size_t e = tt_entry(i);
	uint64_t off = tt_get64(buf, e + TT_SEC_OFFSET);
	uint64_t len = tt_get64(buf, e + TT_SEC_LENGTH);

	tt_put64(buf, e + TT_SEC_CHECKSUM, XXH3_64bits(buf + off, len));
}

void tt_reseal(uint8_t *buf)
{
	size_t dlen = (size_t)dir_entries(buf) * EMBMAP_SECTION_SIZE;

	tt_put64(buf, 104, XXH3_64bits(buf + EMBMAP_HEADER_SIZE, dlen));
	tt_put64(buf, EMBMAP_HEADER_HASHED,
		 XXH3_64bits(buf, EMBMAP_HEADER_HASHED));
}

int tt_open_copy(const uint8_t *image, size_t size, unsigned flags,
		 embmap **out, uint8_t **copy)
{
	*copy = malloc(size ? size : 1);
	assert_non_null(*copy);
	memcpy(*copy, image, size);
	return embmap_open_buffer(*copy, size, flags, out);
}

int tt_same_file(const char *a, const char *b)
{
	size_t na, nb;
	uint8_t *pa = tt_slurp(a, &na), *pb = tt_slurp(b, &nb);
	int eq = na == nb && memcmp(pa, pb, na) == 0;

	free(pa);
	free(pb);
	return eq;
}
