/*
 * cmd_check.c - embmap check: verify every checksum of one or more files,
 * one line per file, in the manner of `xxhsum -c`.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: embmap check [--quiet] FILE...\n"
	"\n"
	"Verify each file completely: the header and directory, every section's\n"
	"checksum, every matrix block's checksum, the zero padding, the\n"
	"vocabulary's structure and token index, and the 128-bit content hash.\n"
	"Prints one line per file on stdout:\n"
	"\n"
	"  FILE: OK\n"
	"  FILE: FAILED (section token-bytes: checksum mismatch)\n"
	"  FILE: FAILED (matrix rows 16..31, 48..63)\n"
	"  FILE: FAILED (open: <reason>: <detail>)\n"
	"\n"
	"A file in the zstd transport form is checked frame by frame, in\n"
	"memory, each damaged frame named with its rows (\"frame 3: matrix rows\n"
	"768..1023: checksum mismatch\").\n"
	"Damaged parts are listed in file order, separated by '; '. When any\n"
	"file fails, a summary goes to stderr (\"embmap: 1 of 3 files FAILED\").\n"
	"\n"
	"  -q, --quiet   print only the files that failed\n"
	"  -h, --help    this text\n"
	"\n"
	"Exit status: 0 every file is intact; 1 at least one file is damaged or\n"
	"is not a valid embmap file; 2 no file is damaged but at least one\n"
	"could not be read (missing, unreadable, out of memory), or usage error.\n";

static const struct option longopts[] = {
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* What embmap_verify() reported, in order, with each detail copied. */
struct report {
	uint32_t kind;
	int code;
	uint64_t first, count;
	char *detail;
};

struct damage_log {
	struct report *r;
	size_t n, cap;
	int oom;
};

static void on_damage(void *ctx, const struct embmap_damage *dm)
{
	struct damage_log *d = ctx;
	char *detail;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct report *r = realloc(d->r, cap * sizeof *r);

		if (!r) {
			d->oom = 1;
			return;
		}
		d->r = r;
		d->cap = cap;
	}
	if (!(detail = strdup(dm->detail ? dm->detail : ""))) {
		d->oom = 1;
		return;
	}
	d->r[d->n].kind = dm->kind;
	d->r[d->n].code = dm->code;
	d->r[d->n].first = dm->first_row;
	d->r[d->n].count = dm->row_count;
	d->r[d->n].detail = detail;
	d->n++;
}

static void log_free(struct damage_log *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->r[i].detail);
	free(d->r);
}

/*
 * One part of the FAILED line per report, matrix runs listed together
 * where the first was reported. A section whose bytes fail their checksum
 * is a "checksum mismatch"; one whose checksum holds but whose contents
 * break a rule is described by the library's detail.
 */
static void print_damage(const struct damage_log *d, const char *detail)
{
	const char *sep = "";
	int rows_done = 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct report *r = &d->r[i];

		if (r->kind == EMBMAP_SECTION_MATRIX && r->count) {
			if (rows_done++)
				continue;
			printf("%smatrix rows", sep);
			for (size_t j = i, k = 0; j < d->n; j++) {
				const struct report *m = &d->r[j];

				if (m->kind != EMBMAP_SECTION_MATRIX ||
				    !m->count)
					continue;
				printf("%s %llu..%llu", k++ ? "," : "",
				       (unsigned long long)m->first,
				       (unsigned long long)(m->first +
							    m->count - 1));
			}
		} else if (r->kind == EMBMAP_DAMAGE_CONTENT) {
			printf("%scontent hash mismatch", sep);
		} else if (r->kind == EMBMAP_DAMAGE_PADDING) {
			printf("%spadding not zero (%s)", sep, r->detail);
		} else if (r->code == EMBMAP_ECHECKSUM) {
			printf("%ssection %s: checksum mismatch", sep,
			       embmap_section_name(r->kind));
		} else {
			printf("%ssection %s: %s", sep,
			       embmap_section_name(r->kind), r->detail);
		}
		sep = "; ";
	}
	if (d->n == 0)
		printf("%s", detail);
	if (d->oom)
		printf("%s(and more; out of memory listing them)", sep);
}

/* Check one file; returns EXIT_OK, EXIT_INVALID or EXIT_USAGE. */
static int check_one(const char *path, int quiet)
{
	struct damage_log d = {0};
	embmap *t;
	char detail[512];
	int rc;

	/* Transport files are checked frame by frame (cmd_compress.c). */
	if ((rc = zstd_check_file(path, quiet)) >= 0)
		return rc;
	if ((rc = embmap_open(path, 0, &t)) < 0) {
		printf("%s: FAILED (open: %s: %s)\n", path, embmap_strerror(rc),
		       embmap_errmsg());
		return exit_for(rc);
	}
	rc = embmap_verify(t, on_damage, &d);
	snprintf(detail, sizeof detail, "%s", embmap_errmsg());
	embmap_close(t);
	if (rc == 0) {
		if (!quiet)
			printf("%s: OK\n", path);
		log_free(&d);
		return EXIT_OK;
	}
	printf("%s: FAILED (", path);
	if (rc == EMBMAP_ECHECKSUM || rc == EMBMAP_ECORRUPT)
		print_damage(&d, detail);
	else
		printf("verify: %s: %s", embmap_strerror(rc), detail);
	printf(")\n");
	log_free(&d);
	return exit_for(rc);
}

int cmd_check(int argc, char **argv)
{
	static char name[] = "embmap check";
	int c, quiet = 0, damaged = 0, unreadable = 0;

	argv[0] = name;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h': return usage_text(stdout, help, EXIT_OK);
		default:
			fputs("Try 'embmap check --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fputs("embmap: check: no FILE given\n"
		      "Try 'embmap check --help'.\n",
		      stderr);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		int rc = check_one(argv[i], quiet);

		/* Keep the lines in order with any diagnostics. */
		fflush(stdout);
		damaged += rc == EXIT_INVALID;
		unreadable += rc == EXIT_USAGE;
	}
	if (damaged + unreadable)
		diag(NULL, "%d of %d file%s FAILED", damaged + unreadable,
		     argc - optind, argc - optind == 1 ? "" : "s");
	if (ferror(stdout)) {
		diag(NULL, "cannot write the output");
		return EXIT_USAGE;
	}
	return damaged ? EXIT_INVALID : unreadable ? EXIT_USAGE : EXIT_OK;
}
