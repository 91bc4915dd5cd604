/*
 * cmd_compress.c - embmap compress: write a table in the zstd transport
 * form, for shipping and archiving.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: embmap compress [--level N] [--no-shuffle|--shuffle]\n"
	"                       [--frame-rows N] [--threads N] -o OUT FILE\n"
	"\n"
	"Write the embmap file FILE in the zstd transport form to OUT: every\n"
	"section as independent zstd frames, each with its own checksum, after\n"
	"FILE's header and directory, so that any rows can be read alone,\n"
	"damage is located to a frame, and 'embmap unpack' gives FILE back byte\n"
	"for byte. FILE is verified first; a damaged table is refused. OUT is\n"
	"written to a temporary file and renamed into place when complete.\n"
	"The library and 'embmap check' read OUT directly (decompressing it);\n"
	"unpack it to serve it zero-copy.\n"
	"\n"
	"  -o, --output OUT     the file to write (required)\n"
	"  -l, --level N        zstd level 1..19 (default 1: higher levels\n"
	"                       cost far more time and gain little on weights)\n"
	"      --shuffle        group bytes of equal significance before zstd\n"
	"                       (the default)\n"
	"      --no-shuffle     store the bytes as they are\n"
	"      --frame-rows N   matrix rows per frame (default: the most rows\n"
	"                       within 1 MiB, a power of two)\n"
	"      --threads N      compress on N threads (default 2)\n"
	"  -q, --quiet          no progress bar\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 written; 1 FILE is invalid or damaged; 2 usage or I/O\n"
	"error.\n";

enum { OPT_SHUFFLE = 256, OPT_NO_SHUFFLE, OPT_FRAME_ROWS, OPT_THREADS };

static const struct option longopts[] = {
	{"output", required_argument, NULL, 'o'},
	{"level", required_argument, NULL, 'l'},
	{"shuffle", no_argument, NULL, OPT_SHUFFLE},
	{"no-shuffle", no_argument, NULL, OPT_NO_SHUFFLE},
	{"frame-rows", required_argument, NULL, OPT_FRAME_ROWS},
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

/* A number within lo..hi for option name; prints the misuse. */
int zstd_opt_u32(const char *cmd, const char *name, const char *arg,
		 uint64_t lo, uint64_t hi, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(arg, &v) != 0 || v < lo || v > hi) {
		diag(NULL, "%s: %s '%s' is not a number in %llu..%llu", cmd,
		     name, arg, (unsigned long long)lo, (unsigned long long)hi);
		return EXIT_USAGE;
	}
	*out = (uint32_t)v;
	return EXIT_OK;
}

/* The library's messages for these two codes name their files. */
int zstd_diag(const char *in, int rc)
{
	return diag_lib(rc == EMBMAP_EIO || rc == EMBMAP_EINVAL ? NULL : in,
			rc);
}

/* Compress in to out, with a progress bar unless quiet. */
int zstd_compress_file(const char *in, const char *out,
		       const struct embmap_zstd_options *o, int quiet)
{
	struct embmap_zstd_options opts = *o;
	struct progress p;
	int rc;

	progress_start(&p, "compress", 0);
	if (!quiet) {
		opts.progress = on_progress;
		opts.progress_ctx = &p;
	}
	rc = embmap_compress(in, out, &opts);
	progress_end(&p);
	if (rc < 0)
		return zstd_diag(in, rc);
	return EXIT_OK;
}

int cmd_compress(int argc, char **argv)
{
	static char name[] = "embmap compress";
	struct embmap_zstd_options o = {0};
	const char *out = NULL;
	uint32_t v;
	int c, quiet = 0;

	argv[0] = name;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:l:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'l':
			if (zstd_opt_u32("compress", "--level", optarg, 1, 19,
					 &v))
				return EXIT_USAGE;
			o.level = (int)v;
			break;
		case OPT_SHUFFLE: o.flags &= ~EMBMAP_ZSTD_NO_SHUFFLE; break;
		case OPT_NO_SHUFFLE: o.flags |= EMBMAP_ZSTD_NO_SHUFFLE; break;
		case OPT_FRAME_ROWS:
			if (zstd_opt_u32("compress", "--frame-rows", optarg, 1,
					 UINT32_MAX, &o.frame_rows))
				return EXIT_USAGE;
			break;
		case OPT_THREADS:
			if (zstd_opt_u32("compress", "--threads", optarg, 1, 64,
					 &o.threads))
				return EXIT_USAGE;
			break;
		case 'q': quiet = 1; break;
		case 'h': return usage_text(stdout, help, EXIT_OK);
		default:
			fputs("Try 'embmap compress --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (!out || optind != argc - 1) {
		diag(NULL, "compress: %s",
		     !out ? "no output given (-o OUT)"
			  : "give exactly one FILE");
		fputs("Try 'embmap compress --help'.\n", stderr);
		return EXIT_USAGE;
	}
	return zstd_compress_file(argv[optind], out, &o, quiet);
}

/* ------------------------------------------------------------------------ */
/* Shared with pack, check and info                                         */
/* ------------------------------------------------------------------------ */

char *zstd_pack_temp(const char *out)
{
	size_t n = strlen(out) + 48;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s.plain-tmp-%ld", out, (long)getpid());
	return p;
}

int zstd_pack_finish(const char *plain, const char *out, int level,
		     unsigned flags, int quiet)
{
	struct embmap_zstd_options o = {0};
	int rc;

	o.level = level;
	o.flags = flags & EMBMAP_WRITE_NO_SYNC;
	rc = zstd_compress_file(plain, out, &o, quiet);
	unlink(plain);
	return rc;
}

struct zdamage_log {
	FILE *f; /* the FAILED line's parts */
	const char *sep;
	unsigned shown, more;
};

static void on_zdamage(void *ctx, const struct embmap_zstd_damage *d)
{
	struct zdamage_log *l = ctx;
	const char *what = d->code == EMBMAP_ECHECKSUM ? "checksum mismatch"
						       : "bad zstd frame";

	if (l->shown == 20) {
		l->more++;
		return;
	}
	l->shown++;
	fputs(l->sep, l->f);
	l->sep = "; ";
	if (d->frame == UINT64_MAX && d->kind == 0)
		fputs("content hash mismatch", l->f);
	else if (d->frame == UINT64_MAX)
		fprintf(l->f, "section %s: %s", embmap_section_name(d->kind),
			what);
	else if (d->kind == EMBMAP_SECTION_MATRIX)
		fprintf(l->f, "frame %llu: matrix rows %llu..%llu: %s",
			(unsigned long long)d->frame,
			(unsigned long long)d->first_row,
			(unsigned long long)(d->first_row + d->row_count - 1),
			what);
	else
		fprintf(l->f, "frame %llu: section %s: %s",
			(unsigned long long)d->frame,
			embmap_section_name(d->kind), what);
}

int zstd_check_file(const char *path, int quiet)
{
	struct zdamage_log l = {NULL, "", 0, 0};
	char *parts = NULL;
	size_t len = 0;
	int rc = embmap_zstd_probe(path, NULL);

	if (rc == 0)
		return -1;
	if (rc < 0) {
		printf("%s: FAILED (open: %s: %s)\n", path, embmap_strerror(rc),
		       embmap_errmsg());
		return exit_for(rc);
	}
	if (!(l.f = open_memstream(&parts, &len))) {
		diag(path, "out of memory");
		return EXIT_USAGE;
	}
	rc = embmap_zstd_verify(path, on_zdamage, &l, NULL);
	fclose(l.f);
	if (rc == 0 && !quiet)
		printf("%s: OK\n", path);
	else if (rc && l.shown == 0)
		printf("%s: FAILED (verify: %s: %s)\n", path,
		       embmap_strerror(rc), embmap_errmsg());
	else if (rc)
		printf("%s: FAILED (%s%s)\n", path, parts,
		       l.more ? "; and more" : "");
	free(parts);
	return rc ? exit_for(rc) : EXIT_OK;
}

void zstd_info_text(const embmap *t, const char *path)
{
	struct embmap_zstd_info zi;

	if (!embmap_compressed_size(t) || embmap_zstd_probe(path, &zi) != 1)
		return;
	printf("transport     zstd level %d, %s, %llu frames of %u rows\n",
	       zi.level,
	       zi.filter == EMBMAP_ZSTD_FILTER_SHUFFLE ? "shuffled"
						       : "unfiltered",
	       (unsigned long long)zi.frame_count, zi.frame_rows);
	printf("compressed    %llu bytes (plain %llu, ratio %.3f)\n",
	       (unsigned long long)zi.compressed_size,
	       (unsigned long long)zi.plain_size,
	       (double)zi.plain_size / (double)zi.compressed_size);
}
