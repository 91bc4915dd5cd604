/* Look tokens up in an embmap table and print their first values. */
#include <embmap.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	embmap *t;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: lookup FILE TOKEN...\n");
		return 2;
	}
	rc = embmap_open(argv[1], 0, &t); /* O(1): maps, checks structure */
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[1], embmap_strerror(rc),
			embmap_errmsg());
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		int64_t id = embmap_find(t, argv[i], strlen(argv[i]));
		const float *row;

		if (id < 0 || embmap_dtype(t) != EMBMAP_DTYPE_F32) {
			printf("%s: not found or not f32\n", argv[i]);
			continue;
		}
		row = embmap_row(t, (uint64_t)id); /* zero-copy */
		printf("%s -> row %lld: %g %g ...\n", argv[i], (long long)id,
		       row[0], row[1]);
	}
	embmap_close(t);
	return 0;
}
