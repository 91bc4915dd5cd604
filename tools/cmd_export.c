/*
 * cmd_export.c - embmap export: write the table back out in another format.
 *
 * The file is verified first (it is read in whole anyway), so that damage
 * is not carried silently into a format without checksums. The output
 * appears whole or not at all (atomic_open/atomic_commit).
 */
#include <getopt.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const char help[] =
	"usage: embmap export -o OUT [--to FMT] [--no-verify] FILE\n"
	"\n"
	"Write an embmap file's table out in another format. The format is\n"
	"--to FMT, or else the one whose extension OUT ends with. OUT appears\n"
	"whole or not at all; an existing OUT is replaced only on success.\n"
	"\n"
	"  -o, --output OUT  the file to write (required)\n"
	"  --to FMT          the output format (see 'embmap pack\n"
	"                    --list-formats'; npy is numpy .npy, float32,\n"
	"                    C order, byte for byte as np.save writes it)\n"
	"  --no-verify       skip the full verification of FILE before\n"
	"                    writing (by default damage stops the export)\n"
	"  -h, --help        this text\n"
	"\n"
	"Exit status: 0 written; 1 FILE is damaged or invalid; 2 usage or I/O\n"
	"error.\n";

enum { OPT_TO = 256, OPT_NO_VERIFY };

static const struct option longopts[] = {
	{"output", required_argument, NULL, 'o'},
	{"to", required_argument, NULL, OPT_TO},
	{"no-verify", no_argument, NULL, OPT_NO_VERIFY},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void list_outputs(void)
{
	const char *sep = "";

	fputs(" (known: ", stderr);
	for (size_t i = 0; output_formats[i]; i++, sep = ", ")
		fprintf(stderr, "%s%s%s%s", sep, output_formats[i]->name,
			output_formats[i]->ext ? " " : "",
			output_formats[i]->ext ? output_formats[i]->ext : "");
	fputs(")\n", stderr);
}

static const struct output_format *pick(const char *to, const char *out)
{
	for (size_t i = 0; output_formats[i]; i++) {
		const struct output_format *f = output_formats[i];

		if (to ? !strcmp(f->name, to)
		       : f->ext && path_has_ext(out, f->ext))
			return f;
	}
	if (to)
		fprintf(stderr, "embmap: export: --to %s: unknown format", to);
	else
		fprintf(stderr,
			"embmap: export: %s: no output format has this "
			"extension; name one with --to",
			out);
	list_outputs();
	return NULL;
}

int cmd_export(int argc, char **argv)
{
	static char name[] = "embmap export";
	const char *out = NULL, *to = NULL, *file;
	const struct output_format *f;
	struct atomic_out a;
	int c, verify = 1, rc;
	embmap *t;

	argv[0] = name;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_NO_VERIFY: verify = 0; break;
		case 'h': return usage_text(stdout, help, EXIT_OK);
		default:
			fputs("Try 'embmap export --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !out) {
		fprintf(stderr,
			"embmap: export: %s\n"
			"Try 'embmap export --help'.\n",
			!out		 ? "no output given (-o OUT)"
			: optind == argc ? "no FILE given"
					 : "one FILE at a time");
		return EXIT_USAGE;
	}
	file = argv[optind];
	if (!(f = pick(to, out)))
		return EXIT_USAGE;
	if ((rc = embmap_open(file, 0, &t)) < 0)
		return diag_lib(file, rc);
	if (verify && (rc = embmap_verify(t, NULL, NULL)) < 0) {
		rc = diag_lib(file, rc);
		embmap_close(t);
		return rc;
	}
	if ((rc = atomic_open(&a, out)) != EXIT_OK) {
		embmap_close(t);
		return rc;
	}
	rc = f->write(t, a.f, out);
	if (rc == EXIT_OK)
		rc = atomic_commit(&a);
	else
		atomic_abort(&a);
	embmap_close(t);
	return rc;
}
