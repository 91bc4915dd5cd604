/*
 * cmd_pack.c - embmap pack: convert an input table into an embmap file.
 *
 * The input is read through its struct source in chunks of a few MiB, so
 * memory stays bounded by the chunk and the vocabulary whatever the table's
 * size. The library writer publishes the file by rename: on any failure it
 * is aborted and nothing appears at OUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Rows are read this many bytes at a time (at least one row). */
#define CHUNK_BYTES (4u << 20)

static const char help[] =
	"usage: embmap pack -o OUT [OPTIONS] INPUT\n"
	"       embmap pack --list-formats\n"
	"\n"
	"Convert an embedding matrix and the vocabulary naming its rows into\n"
	"an embmap file. OUT appears whole or not at all: on any failure\n"
	"nothing is written and an existing OUT is left as it was.\n"
	"\n"
	"Input:\n"
	"  -o, --output OUT      the file to write (required)\n"
	"  --from FMT            the input format; by default the one whose\n"
	"                        probe of the first 4096 bytes and the name\n"
	"                        is surest (see --list-formats)\n"
	"  --list-formats        list the input, vocabulary and output formats\n"
	"  --shape VxC           rows x dim: required for raw input, checked\n"
	"                        against the input otherwise\n"
	"  --tensor NAME         the tensor to take from a multi-tensor input\n"
	"\n"
	"Vocabulary:\n"
	"  --vocab FILE          read the tokens from FILE instead of the\n"
	"                        input's own; token k names row k\n"
	"  --vocab-from FMT      FILE's format; by default detected, with text\n"
	"                        as the fallback\n"
	"  --allow-duplicates    keep a token equal to an earlier one: it stays\n"
	"                        reachable by id, lookups find the first;\n"
	"                        without it a duplicate is an error\n"
	"\n"
	"Stored values:\n"
	"  --dtype T             f32, f16, bf16 or i8 (int8 with a float32\n"
	"                        scale per row). Default: the input's element\n"
	"                        type; float64 input is stored as f32, since\n"
	"                        there is no f64 storage (rounded to nearest)\n"
	"  --saturate            clamp values too large for the stored type to\n"
	"                        its largest finite value instead of refusing\n"
	"\n"
	"Layout:\n"
	"  --align N             matrix alignment in bytes, a power of two\n"
	"                        from 4096 to 2097152 (huge pages); default 4096\n"
	"  --block-rows N        rows per checksum block; by default about 64 KiB\n"
	"                        of rows\n"
	"\n"
	"Other:\n"
	"  --meta KEY=VALUE      set a metadata entry (repeatable); wins over the\n"
	"                        entries recorded automatically: source.format,\n"
	"                        source.file, source.dtype, source.tensor,\n"
	"                        converter and the input's own source.* facts\n"
	"  --no-sync             skip fsync (scratch files, tests)\n"
	"  --zstd[=LEVEL]        write the zstd transport form, as embmap\n"
	"                        compress does (LEVEL 1..19, default 1)\n"
	"  -q, --quiet           no progress bar and no summary line\n"
	"  -h, --help            this text\n"
	"\n"
	"Text vocabulary (--vocab-from text): one token per line; a \\r before\n"
	"the \\n is dropped; \\\\ \\n \\r \\t and \\xHH are decoded, any other\n"
	"backslash is kept as it is; trailing empty lines are ignored, an empty\n"
	"line before a token is an error; a missing final newline is fine.\n"
	"\n"
	"Exit status: 0 written; 1 the input is invalid (malformed header, wrong\n"
	"size, a value out of range, a duplicate token, a vocabulary that does\n"
	"not match the rows); 2 usage or I/O error.\n";

enum {
	OPT_FROM = 256,
	OPT_LIST,
	OPT_VOCAB,
	OPT_VOCAB_FROM,
	OPT_ALIGN,
	OPT_BLOCK_ROWS,
	OPT_META,
	OPT_DTYPE,
	OPT_SATURATE,
	OPT_SHAPE,
	OPT_TENSOR,
	OPT_ALLOW_DUP,
	OPT_NO_SYNC,
	OPT_ZSTD,
};

static const struct option longopts[] = {
	{"output", required_argument, NULL, 'o'},
	{"from", required_argument, NULL, OPT_FROM},
	{"list-formats", no_argument, NULL, OPT_LIST},
	{"vocab", required_argument, NULL, OPT_VOCAB},
	{"vocab-from", required_argument, NULL, OPT_VOCAB_FROM},
	{"align", required_argument, NULL, OPT_ALIGN},
	{"block-rows", required_argument, NULL, OPT_BLOCK_ROWS},
	{"meta", required_argument, NULL, OPT_META},
	{"dtype", required_argument, NULL, OPT_DTYPE},
	{"saturate", no_argument, NULL, OPT_SATURATE},
	{"shape", required_argument, NULL, OPT_SHAPE},
	{"tensor", required_argument, NULL, OPT_TENSOR},
	{"allow-duplicates", no_argument, NULL, OPT_ALLOW_DUP},
	{"no-sync", no_argument, NULL, OPT_NO_SYNC},
	{"zstd", optional_argument, NULL, OPT_ZSTD},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct pack {
	const char *out, *input, *from, *vocab_path, *vocab_from;
	struct embmap_writer_options wo;
	struct pack_options po;
	int dtype; /* 0: the input's */
	int saturate, quiet;
	int zstd;	     /* --zstd[=LEVEL] */
	uint32_t zstd_level; /* 0: the default */
	char **meta;
	int nmeta;
};

static int misuse(const char *fmt, ...) CLI_PRINTF(1, 2);

static int misuse(const char *fmt, ...)
{
	va_list ap;

	fputs("embmap: pack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'embmap pack --help'.\n", stderr);
	return EXIT_USAGE;
}

static int list_formats(void)
{
	printf("Input formats (--from):\n");
	for (size_t i = 0; input_formats[i]; i++)
		printf("  %-14s %s\n", input_formats[i]->name,
		       input_formats[i]->what);
	printf("\nVocabulary formats (--vocab-from):\n");
	for (size_t i = 0; vocab_formats[i]; i++)
		printf("  %-14s %s\n", vocab_formats[i]->name,
		       vocab_formats[i]->what);
	printf("\nOutput formats (embmap export --to):\n");
	for (size_t i = 0; output_formats[i]; i++)
		printf("  %-14s %-8s %s\n", output_formats[i]->name,
		       output_formats[i]->ext ? output_formats[i]->ext : "",
		       output_formats[i]->what);
	return EXIT_OK;
}

static void list_names_to(FILE *f, int vocab)
{
	const char *sep = "";

	if (vocab)
		for (size_t i = 0; vocab_formats[i]; i++, sep = ", ")
			fprintf(f, "%s%s", sep, vocab_formats[i]->name);
	else
		for (size_t i = 0; input_formats[i]; i++, sep = ", ")
			fprintf(f, "%s%s", sep, input_formats[i]->name);
}

static int parse_shape(const char *arg, struct pack_options *po)
{
	char buf[64];
	char *x;
	uint64_t dim;

	if (strlen(arg) >= sizeof buf)
		return -1;
	strcpy(buf, arg);
	x = strchr(buf, 'x');
	if (!x)
		return -1;
	*x = 0;
	if (parse_u64(buf, &po->shape_rows) != 0 ||
	    parse_u64(x + 1, &dim) != 0 || po->shape_rows == 0 || dim == 0 ||
	    dim > UINT32_MAX)
		return -1;
	po->shape_dim = (uint32_t)dim;
	po->have_shape = 1;
	return 0;
}

static int parse_u32_opt(const char *name, const char *arg, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(arg, &v) != 0 || v > UINT32_MAX) {
		fprintf(stderr,
			"embmap: pack: %s '%s': expected a number up to "
			"%lu\nTry 'embmap pack --help'.\n",
			name, arg, (unsigned long)UINT32_MAX);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(struct pack *p, int argc, char **argv, int *list)
{
	static char name[] = "embmap pack", empty[] = "";
	int c;

	argv[0] = name; /* getopt's messages name the command */
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		/* Never NULL for an option with a required value. */
		char *arg = optarg ? optarg : empty;

		switch (c) {
		case 'o': p->out = arg; break;
		case 'q': p->quiet = 1; break;
		case 'h': return usage_text(stdout, help, -1);
		case OPT_FROM: p->from = arg; break;
		case OPT_LIST: *list = 1; break;
		case OPT_VOCAB: p->vocab_path = arg; break;
		case OPT_VOCAB_FROM: p->vocab_from = arg; break;
		case OPT_ALIGN:
			if (parse_u32_opt("--align", arg, &p->wo.alignment) !=
			    0)
				return EXIT_USAGE;
			break;
		case OPT_BLOCK_ROWS:
			if (parse_u32_opt("--block-rows", arg,
					  &p->wo.block_rows) != 0)
				return EXIT_USAGE;
			if (!p->wo.block_rows)
				return misuse("--block-rows %s: must be at "
					      "least 1",
					      arg);
			break;
		case OPT_META:
			if (arg[0] == '=' || !strchr(arg, '='))
				return misuse("--meta '%s': expected KEY=VALUE "
					      "with a non-empty KEY",
					      arg);
			p->meta[p->nmeta++] = arg;
			break;
		case OPT_DTYPE:
			if (!strcmp(arg, "f32"))
				p->dtype = EMBMAP_DTYPE_F32;
			else if (!strcmp(arg, "f16"))
				p->dtype = EMBMAP_DTYPE_F16;
			else if (!strcmp(arg, "bf16"))
				p->dtype = EMBMAP_DTYPE_BF16;
			else if (!strcmp(arg, "i8"))
				p->dtype = EMBMAP_DTYPE_I8;
			else
				return misuse("--dtype '%s': expected f32, "
					      "f16, bf16 or i8",
					      arg);
			break;
		case OPT_SATURATE: p->saturate = 1; break;
		case OPT_SHAPE:
			if (parse_shape(arg, &p->po) != 0)
				return misuse("--shape '%s': expected VxC, "
					      "two positive numbers such as "
					      "50257x768",
					      arg);
			break;
		case OPT_TENSOR: p->po.tensor = arg; break;
		case OPT_ALLOW_DUP:
			p->wo.flags |= EMBMAP_WRITE_SHADOW_DUPLICATES;
			break;
		case OPT_NO_SYNC: p->wo.flags |= EMBMAP_WRITE_NO_SYNC; break;
		case OPT_ZSTD: /* the transport form, cmd_compress.c */
			p->zstd = 1;
			/* An optional value: optarg is NULL without one. */
			if (optarg && zstd_opt_u32("pack", "--zstd", optarg, 1,
						   19, &p->zstd_level))
				return EXIT_USAGE;
			break;
		default:
			fputs("Try 'embmap pack --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (*list)
		return EXIT_OK;
	if (optind == argc)
		return misuse("no INPUT given");
	if (optind + 1 < argc)
		return misuse("more than one INPUT ('%s' and more)",
			      argv[optind + 1]);
	p->input = argv[optind];
	if (!p->out)
		return misuse("no output given (-o OUT)");
	if (p->vocab_from && !p->vocab_path)
		return misuse("--vocab-from %s without --vocab FILE",
			      p->vocab_from);
	return EXIT_OK;
}

static int pick_input(const struct pack *p, const struct input_format **out)
{
	return input_pick(p->input, p->from, out);
}

static const struct vocab_format *find_vocab_format(const char *name)
{
	for (size_t i = 0; vocab_formats[i]; i++)
		if (!strcmp(vocab_formats[i]->name, name))
			return vocab_formats[i];
	return NULL;
}

static int load_vocab(const struct pack *p, struct vocab *v)
{
	const struct vocab_format *f = NULL;
	char err[512] = "";
	uint8_t head[4096];
	size_t n;
	int best = 0, rc;

	if (p->vocab_from) {
		if (!(f = find_vocab_format(p->vocab_from))) {
			fprintf(stderr,
				"embmap: pack: --vocab-from %s: unknown "
				"format; known: ",
				p->vocab_from);
			list_names_to(stderr, 1);
			fputc('\n', stderr);
			return EXIT_USAGE;
		}
	} else {
		if ((rc = read_head(p->vocab_path, head, &n)) != EXIT_OK)
			return rc;
		for (size_t i = 0; vocab_formats[i]; i++) {
			int score =
				vocab_formats[i]->probe(p->vocab_path, head, n);

			if (score > best) {
				best = score;
				f = vocab_formats[i];
			}
		}
		if (!f && !(f = find_vocab_format("text"))) {
			diag(p->vocab_path, "no vocabulary format recognises "
					    "it");
			return EXIT_INVALID;
		}
	}
	rc = f->load(p->vocab_path, v, err, sizeof err);
	if (rc == 0)
		return EXIT_OK;
	diag(p->vocab_path, "%s", err[0] ? err : "cannot read the vocabulary");
	return rc == SRC_EDATA ? EXIT_INVALID : EXIT_USAGE;
}

static int check_token_count(const struct source *s, const struct vocab *v,
			     const char *name)
{
	uint64_t want = s->token_rows ? s->token_rows : s->rows;

	if (v->n == 0 || v->n == want)
		return EXIT_OK;
	if (want != s->rows)
		diag(name,
		     "vocabulary has %llu tokens, the table %llu rows that "
		     "carry tokens (of %llu rows)",
		     (unsigned long long)v->n, (unsigned long long)want,
		     (unsigned long long)s->rows);
	else
		diag(name, "vocabulary has %llu tokens, the table %llu rows",
		     (unsigned long long)v->n, (unsigned long long)want);
	return EXIT_INVALID;
}

/* The same file, so that pack never replaces its own input. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Widen or narrow one chunk to float32. A finite float64 beyond float32's
 * range is refused (or clamped with --saturate); everything else rounds to
 * nearest. Not yet: float64 going on to f16 or bf16 is rounded twice,
 * which can differ from a direct rounding in the last bit.
 */
static int to_f32(const struct pack *p, const struct source *s, const void *in,
		  float *out, uint64_t first, uint64_t n)
{
	const uint64_t count = n * s->dim;

	for (uint64_t i = 0; i < count; i++) {
		uint16_t h;
		double d;

		switch (s->elem) {
		case SRC_F16:
			memcpy(&h, (const uint8_t *)in + 2 * i, 2);
			out[i] = f16_bits_to_f32(h);
			break;
		case SRC_BF16:
			memcpy(&h, (const uint8_t *)in + 2 * i, 2);
			out[i] = bf16_bits_to_f32(h);
			break;
		case SRC_F64: {
			const uint64_t row = first + i / s->dim;
			const uint64_t col = i % s->dim;

			memcpy(&d, (const uint8_t *)in + 8 * i, 8);
			out[i] = (float)d;
			if (!isinf(out[i]) || isinf(d))
				break;
			if (p->saturate) {
				out[i] = d > 0 ? FLT_MAX : -FLT_MAX;
				break;
			}
			diag(p->input,
			     "row %llu, column %llu: value %.17g does not fit "
			     "in float32 (largest finite %.9g); --saturate "
			     "clamps it",
			     (unsigned long long)row, (unsigned long long)col,
			     d, (double)FLT_MAX);
			return EXIT_INVALID;
		}
		default: memcpy(&out[i], (const uint8_t *)in + 4 * i, 4);
		}
	}
	return EXIT_OK;
}

static int native_dtype(enum src_elem e)
{
	switch (e) {
	case SRC_F16: return EMBMAP_DTYPE_F16;
	case SRC_BF16: return EMBMAP_DTYPE_BF16;
	default: return EMBMAP_DTYPE_F32;
	}
}

/* The dtype that holds the source's elements bit for bit, or 0. */
static int exact_dtype(enum src_elem e)
{
	return e == SRC_F64 ? 0 : native_dtype(e);
}

static int add_rows_failed(const struct pack *p, int rc)
{
	if (rc == EMBMAP_EDTYPE) {
		diag(p->input, "%s: %s; --saturate clamps such values",
		     embmap_strerror(rc), embmap_errmsg());
		return EXIT_INVALID;
	}
	return diag_lib(p->out, rc);
}

/* Stream every row from s into w, a chunk at a time. */
static int copy_rows(const struct pack *p, struct source *s, embmap_writer *w,
		     int dtype)
{
	const size_t esz = src_elem_size(s->elem);
	const int exact = exact_dtype(s->elem) == dtype;
	uint64_t chunk = CHUNK_BYTES / ((uint64_t)s->dim * (esz < 4 ? 4 : esz));
	unsigned flags = p->saturate ? EMBMAP_CONVERT_SATURATE : 0;
	struct progress pr;
	void *buf = NULL;
	float *f32 = NULL;
	int rc = EXIT_OK, lrc;

	if (chunk == 0)
		chunk = 1;
	if (chunk > s->rows)
		chunk = s->rows;
	buf = malloc((size_t)chunk * s->dim * esz);
	if (!exact && s->elem != SRC_F32)
		f32 = malloc((size_t)chunk * s->dim * sizeof *f32);
	if (!buf || (!exact && s->elem != SRC_F32 && !f32)) {
		diag(p->input, "out of memory for a chunk of %llu rows",
		     (unsigned long long)chunk);
		free(buf);
		free(f32);
		return EXIT_USAGE;
	}
	progress_start(&pr, "pack", p->quiet ? 0 : s->rows);
	for (uint64_t done = 0; done < s->rows && rc == EXIT_OK;) {
		uint64_t n = s->rows - done < chunk ? s->rows - done : chunk;

		if ((lrc = s->read(s, n, buf)) != 0) {
			if (s->err[0])
				diag(p->input, "%s", s->err);
			rc = lrc == SRC_EDATA ? EXIT_INVALID : EXIT_USAGE;
			break;
		}
		if (exact) {
			lrc = embmap_writer_add_rows(w, buf, n);
		} else {
			float *rows = f32 ? f32 : buf;

			if (f32 && (rc = to_f32(p, s, buf, f32, done, n)) != 0)
				break;
			lrc = embmap_writer_add_rows_f32(w, rows, n, flags);
		}
		if (lrc < 0)
			rc = add_rows_failed(p, lrc);
		done += n;
		progress_update(&pr, done);
	}
	progress_end(&pr);
	free(buf);
	free(f32);
	return rc;
}

static int add_vocab(const struct pack *p, embmap_writer *w,
		     const struct vocab *v, const char *name)
{
	uint64_t shadowed;
	int rc;

	for (uint64_t i = 0; i < v->n; i++) {
		size_t len;
		const char *tok = vocab_get(v, i, &len);

		if ((rc = embmap_writer_add_token(w, tok, len)) < 0)
			return diag_lib(name, rc);
	}
	shadowed = embmap_writer_shadowed(w);
	if (shadowed)
		diag(name, "%llu token%s shadowed by an earlier equal token",
		     (unsigned long long)shadowed, shadowed == 1 ? "" : "s");
	(void)p;
	return EXIT_OK;
}

static int set_meta(const struct pack *p, const struct source *s,
		    embmap_writer *w)
{
	const char *base = strrchr(p->input, '/');
	char conv[64];
	int rc = 0;

	snprintf(conv, sizeof conv, "embmap %s", embmap_version());
	rc = embmap_writer_set_meta(w, "source.format", s->format);
	if (!rc)
		rc = embmap_writer_set_meta(w, "source.file",
					    base ? base + 1 : p->input);
	if (!rc)
		rc = embmap_writer_set_meta(w, "source.dtype",
					    src_elem_name(s->elem));
	if (!rc && p->po.tensor)
		rc = embmap_writer_set_meta(w, "source.tensor", p->po.tensor);
	if (!rc)
		rc = embmap_writer_set_meta(w, "converter", conv);
	for (int i = 0; !rc && i < s->nmeta; i++)
		rc = embmap_writer_set_meta(w, s->meta_key[i],
					    s->meta_value[i]);
	if (rc)
		return diag_lib(p->input, rc);
	for (int i = 0; i < p->nmeta; i++) {
		char *eq = strchr(p->meta[i], '=');

		*eq = 0;
		rc = embmap_writer_set_meta(w, p->meta[i], eq + 1);
		*eq = '=';
		if (rc) {
			fprintf(stderr, "embmap: pack: --meta %s: %s\n",
				p->meta[i], embmap_errmsg());
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

static int run(struct pack *p, const struct input_format *fmt)
{
	struct source s = {0};
	struct vocab own = {0};
	const struct vocab *v;
	const char *vname;
	embmap_writer *w = NULL;
	int rc, dtype;
	char *ztmp = NULL; /* --zstd: the plain file, compressed at the end */

	s.path = p->input;
	s.format = fmt->name;
	if ((rc = fmt->open(&s, p->input, &p->po)) != 0) {
		if (s.err[0])
			diag(p->input, "%s", s.err);
		rc = src_exit_code(rc);
		goto out;
	}
	if (s.rows == 0 || s.dim == 0) {
		diag(p->input,
		     "holds %llu rows of %u elements: nothing to pack",
		     (unsigned long long)s.rows, s.dim);
		rc = EXIT_INVALID;
		goto out;
	}
	if (p->po.have_shape &&
	    (s.rows != p->po.shape_rows || s.dim != p->po.shape_dim)) {
		diag(p->input, "holds %llux%u, not --shape %llux%u",
		     (unsigned long long)s.rows, s.dim,
		     (unsigned long long)p->po.shape_rows, p->po.shape_dim);
		rc = EXIT_INVALID;
		goto out;
	}
	if (p->vocab_path &&
	    ((rc = load_vocab(p, &own)) != EXIT_OK ||
	     (rc = check_token_count(&s, &own, p->vocab_path)) != EXIT_OK))
		goto out;

	dtype = p->dtype ? p->dtype : native_dtype(s.elem);
	if (p->zstd && !(ztmp = zstd_pack_temp(p->out))) {
		diag(NULL, "out of memory");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = embmap_writer_open(ztmp ? ztmp : p->out, s.dim, dtype, &p->wo,
				     &w)) < 0) {
		rc = diag_lib(p->out, rc);
		goto out;
	}
	if ((rc = copy_rows(p, &s, w, dtype)) != EXIT_OK)
		goto out;

	/* Some inputs fill their vocabulary while the rows are read. */
	v = p->vocab_path ? &own : &s.vocab;
	vname = p->vocab_path ? p->vocab_path : p->input;
	if ((rc = check_token_count(&s, v, vname)) != EXIT_OK ||
	    (rc = add_vocab(p, w, v, vname)) != EXIT_OK ||
	    (rc = set_meta(p, &s, w)) != EXIT_OK)
		goto out;
	rc = embmap_writer_finish(w);
	w = NULL;
	if (rc < 0) {
		rc = diag_lib(p->out, rc);
		goto out;
	}
	if (ztmp && (rc = zstd_pack_finish(ztmp, p->out, (int)p->zstd_level,
					   p->wo.flags, p->quiet)) != EXIT_OK)
		goto out;
	if (!p->quiet)
		fprintf(stderr, "embmap: %s: %llu rows x %u %s, %llu tokens\n",
			p->out, (unsigned long long)s.rows, s.dim,
			embmap_dtype_name(dtype), (unsigned long long)v->n);
	rc = EXIT_OK;
out:
	embmap_writer_abort(w);
	if (ztmp)
		unlink(ztmp);
	free(ztmp);
	vocab_free(&own);
	source_free(&s);
	return rc;
}

int cmd_pack(int argc, char **argv)
{
	struct pack p = {0};
	const struct input_format *fmt;
	int list = 0, rc;

	if (!(p.meta = calloc((size_t)argc, sizeof *p.meta))) {
		diag(NULL, "out of memory");
		return EXIT_USAGE;
	}
	rc = parse_args(&p, argc, argv, &list);
	if (rc < 0)
		rc = EXIT_OK; /* --help */
	else if (rc == EXIT_OK && list)
		rc = list_formats();
	else if (rc == EXIT_OK && same_file(p.out, p.input))
		rc = misuse("OUT '%s' is the INPUT: pack would replace it",
			    p.out);
	else if (rc == EXIT_OK && p.vocab_path &&
		 same_file(p.out, p.vocab_path))
		rc = misuse("OUT '%s' is the --vocab file: pack would replace "
			    "it",
			    p.out);
	else if (rc == EXIT_OK && (rc = pick_input(&p, &fmt)) == EXIT_OK)
		rc = run(&p, fmt);
	free(p.meta);
	return rc;
}
