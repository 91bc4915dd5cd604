/*
 * gen_seeds.c - write the seed corpora of the fuzz targets: small valid
 * embmap files of every dtype (each with control byte 0 and 1) for
 * fuzz_open, and a few writer recipes for fuzz_writer.
 *
 * usage: gen_seeds OPEN_DIR WRITER_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embmap.h"

static int save(const char *dir, const char *name, uint8_t control,
		const void *data, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s-%u", dir, name, control);
	f = fopen(path, "wb");
	if (!f || fputc(control, f) == EOF || fwrite(data, 1, n, f) != n) {
		perror(path);
		if (f)
			fclose(f);
		return 1;
	}
	return fclose(f) != 0;
}

static int table(const char *dir, const char *name, int dtype, uint64_t rows,
		 uint32_t dim, int ntok, int meta)
{
	char tmp[4096], tok[32];
	embmap_writer *w;
	struct embmap_writer_options o = {.block_rows = 4,
					  .flags = EMBMAP_WRITE_NO_SYNC};
	float *v = malloc(rows * dim * sizeof *v);
	FILE *f;
	long n;
	char *buf;
	int rc = 1;

	snprintf(tmp, sizeof tmp, "%s/.seed.embmap", dir);
	for (uint64_t i = 0; i < rows * dim; i++)
		v[i] = (float)((int)(i * 37 % 101) - 50) / 64.0f;
	if (embmap_writer_open(tmp, dim, dtype, &o, &w) ||
	    embmap_writer_add_rows_f32(w, v, rows, 0))
		goto out;
	for (int i = 0; i < ntok; i++) {
		int len = snprintf(tok, sizeof tok, "tok%d", i);

		if (i == 1)
			len = 1, tok[0] = (char)0xff;
		if (embmap_writer_add_token(w, tok, (size_t)len))
			goto out;
	}
	if (meta && (embmap_writer_set_meta(w, "source.format", "seed") ||
		     embmap_writer_set_meta(w, "name", "fuzz")))
		goto out;
	if (embmap_writer_finish(w))
		goto out;
	f = fopen(tmp, "rb");
	if (!f)
		goto out;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
		rc = save(dir, name, 0, buf, (size_t)n) |
		     save(dir, name, 1, buf, (size_t)n);
	free(buf);
	fclose(f);
	unlink(tmp);
out:
	if (rc)
		fprintf(stderr, "gen_seeds: %s: %s\n", name, embmap_errmsg());
	free(v);
	return rc;
}

int main(int argc, char **argv)
{
	static const uint8_t recipes[][16] = {
		{3, 0, 9, 0, 0, 4, 0, 0, 128, 63},
		{15, 1, 39, 1, 3, 20},
		{0, 2, 0, 2, 1, 1, 0, 0, 0, 0, 3, 'a', 'b', 'c'},
		{7, 3, 17, 7, 2, 2, 0, 0, 192, 127, 1, 'x', 1, 'x'},
	};
	int rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_seeds OPEN_DIR WRITER_DIR\n");
		return 2;
	}
	rc |= table(argv[1], "f32", EMBMAP_DTYPE_F32, 9, 3, 9, 1);
	rc |= table(argv[1], "f16", EMBMAP_DTYPE_F16, 6, 5, 4, 0);
	rc |= table(argv[1], "bf16", EMBMAP_DTYPE_BF16, 5, 2, 0, 1);
	rc |= table(argv[1], "i8", EMBMAP_DTYPE_I8, 11, 4, 7, 1);
	for (size_t i = 0; i < sizeof recipes / sizeof recipes[0]; i++) {
		char name[32];

		snprintf(name, sizeof name, "recipe%zu", i);
		rc |= save(argv[2], name, recipes[i][0], recipes[i] + 1,
			   sizeof recipes[i] - 1);
	}
	return rc;
}
