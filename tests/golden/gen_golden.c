/*
 * gen_golden - write a golden file and its expected decoding.
 *
 *   gen_golden NAME.desc NAME.embmap NAME.expect
 *   gen_golden --decode FILE.embmap       print the decoding
 *
 * Run through `make golden`. A changed golden file is a changed on-disk
 * format: SPEC.md and CHANGELOG.md must change with it.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "golden.h"

static int decode_to(const char *path, FILE *out)
{
	char err[512];
	char *text = golden_decode(path, err, sizeof err);

	if (!text) {
		fprintf(stderr, "gen_golden: %s\n", err);
		return 1;
	}
	fputs(text, out);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	FILE *f;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--decode") == 0)
		return decode_to(argv[2], stdout);
	if (argc != 4) {
		fprintf(stderr, "usage: gen_golden NAME.desc NAME.embmap "
				"NAME.expect\n"
				"       gen_golden --decode FILE.embmap\n");
		return 2;
	}
	if (golden_build(argv[1], argv[2], err, sizeof err) != 0) {
		fprintf(stderr, "gen_golden: %s\n", err);
		return 1;
	}
	f = fopen(argv[3], "w");
	if (!f) {
		perror(argv[3]);
		return 2;
	}
	rc = decode_to(argv[2], f);
	if (fclose(f) != 0) {
		perror(argv[3]);
		return 2;
	}
	return rc;
}
