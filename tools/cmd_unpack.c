/*
 * cmd_unpack.c - embmap unpack: turn a file in the zstd transport form
 * back into the plain, mappable file it was made from.
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
	"usage: embmap unpack [--threads N] -o OUT FILE\n"
	"\n"
	"Write the plain embmap file that the transport file FILE (made by\n"
	"'embmap compress' or 'embmap pack --zstd') was made from to OUT, byte\n"
	"for byte: every frame's length and checksum are checked as it is\n"
	"decompressed, the result's structure before it is renamed into place.\n"
	"Memory stays at a few frames per thread, whatever the table's size.\n"
	"\n"
	"  -o, --output OUT   the file to write (required)\n"
	"      --threads N    decompress on N threads (default 2)\n"
	"  -q, --quiet        no progress bar\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0 written; 1 FILE is invalid or damaged (nothing is\n"
	"written); 2 usage or I/O error.\n";

enum { OPT_THREADS = 256 };

static const struct option longopts[] = {
	{"output", required_argument, NULL, 'o'},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;

	p->total = total;
	progress_update(p, done);
}

int cmd_unpack(int argc, char **argv)
{
	static char name[] = "embmap unpack";
	struct embmap_zstd_options o = {0};
	struct progress p;
	const char *out = NULL;
	int c, quiet = 0, rc;

	argv[0] = name;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_THREADS:
			if (zstd_opt_u32("unpack", "--threads", optarg, 1, 64,
					 &o.threads))
				return EXIT_USAGE;
			break;
		case 'q': quiet = 1; break;
		case 'h': return usage_text(stdout, help, EXIT_OK);
		default:
			fputs("Try 'embmap unpack --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (!out || optind != argc - 1) {
		diag(NULL, "unpack: %s",
		     !out ? "no output given (-o OUT)"
			  : "give exactly one FILE");
		fputs("Try 'embmap unpack --help'.\n", stderr);
		return EXIT_USAGE;
	}
	progress_start(&p, "unpack", 0);
	if (!quiet) {
		o.progress = on_progress;
		o.progress_ctx = &p;
	}
	rc = embmap_unpack(argv[optind], out, &o);
	progress_end(&p);
	if (rc < 0)
		return zstd_diag(argv[optind], rc);
	return EXIT_OK;
}
