/*
 * cmd_stats.c - embmap stats: what the values of a table look like, and
 * with --against how far they are from the table they were packed from.
 *
 * Values are taken as float32 the way a program reads them
 * (embmap_row_f32: exact for f16 and bf16, scale * q for i8) and summed
 * in double. The source is read through the input formats of embmap pack,
 * a bounded chunk of rows at a time, so memory stays small for any table.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Source rows are read this many bytes at a time (at least one row). */
#define CHUNK_BYTES (4u << 20)

static const char help[] =
	"usage: embmap stats [--json] [--against SOURCE [--from FMT]\n"
	"                    [--tensor NAME] [--shape VxC]] FILE\n"
	"\n"
	"Show what the values of an embmap file look like, as a program reads\n"
	"them in float32 (scale * q for i8): the smallest, largest and mean\n"
	"finite value, the range of the rows' L2 norms, how many values are\n"
	"NaN and how many infinite, and for i8 the range of the per-row\n"
	"scales. Reads the whole matrix once.\n"
	"\n"
	"  --against SOURCE  also compare every value with SOURCE, a table in\n"
	"                    any format 'embmap pack' reads (read a chunk of\n"
	"                    rows at a time): the largest absolute error and\n"
	"                    where, the largest relative error |stored - source|\n"
	"                    / |source| over nonzero source values and where, the\n"
	"                    RMS error, the largest row error ||stored -\n"
	"                    source|| / ||source|| (L2 norms over the row), and\n"
	"                    how many NaN or infinite values differ. Errors\n"
	"                    are over values finite on both sides. The shapes\n"
	"                    must be equal\n"
	"  --from FMT        SOURCE's format, as for pack; by default detected\n"
	"  --tensor NAME     the tensor to take from a multi-tensor SOURCE\n"
	"  --shape VxC       SOURCE's shape, required for raw input\n"
	"  --json            one JSON object; a figure with no finite value to\n"
	"                    show (min of a table of NaNs) is null\n"
	"  -h, --help        this text\n"
	"\n"
	"Exit status: 0 shown; 1 FILE is not a valid embmap file, SOURCE is\n"
	"malformed, or the shapes differ; 2 usage or I/O error.\n";

enum { OPT_AGAINST = 256, OPT_FROM, OPT_TENSOR, OPT_SHAPE };

static const struct option longopts[] = {
	{"against", required_argument, NULL, OPT_AGAINST},
	{"from", required_argument, NULL, OPT_FROM},
	{"tensor", required_argument, NULL, OPT_TENSOR},
	{"shape", required_argument, NULL, OPT_SHAPE},
	{"json", no_argument, NULL, 'j'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* The figures of the stored table. */
struct table_stats {
	double min, max, sum;
	uint64_t finite, nan, inf;
	double norm_min, norm_max;
	uint64_t norm_rows; /* rows whose values are all finite */
	double scale_min, scale_max;
	uint64_t zero_scales;
};

/* Where a largest error was seen. */
struct at {
	double err, stored, source;
	uint64_t row;
	uint32_t col;
	int seen;
};

/* The figures of the comparison with the source. */
struct cmp_stats {
	struct at abs, rel, row_rel;
	double sq_sum;
	uint64_t compared, mismatched;
};

static void table_init(struct table_stats *s)
{
	memset(s, 0, sizeof *s);
	s->min = s->norm_min = s->scale_min = INFINITY;
	s->max = s->norm_max = s->scale_max = -INFINITY;
}

static void table_row(struct table_stats *s, const embmap *t, uint64_t r,
		      const float *v, uint32_t dim)
{
	double sq = 0;
	int all_finite = 1;

	for (uint32_t c = 0; c < dim; c++) {
		double x = v[c];

		if (isnan(x)) {
			s->nan++;
			all_finite = 0;
		} else if (isinf(x)) {
			s->inf++;
			all_finite = 0;
		} else {
			s->finite++;
			s->sum += x;
			s->min = x < s->min ? x : s->min;
			s->max = x > s->max ? x : s->max;
			sq += x * x;
		}
	}
	if (all_finite) {
		double n = sqrt(sq);

		s->norm_rows++;
		s->norm_min = n < s->norm_min ? n : s->norm_min;
		s->norm_max = n > s->norm_max ? n : s->norm_max;
	}
	if (embmap_dtype(t) == EMBMAP_DTYPE_I8) {
		double sc = embmap_row_scale(t, r);

		s->zero_scales += sc == 0;
		s->scale_min = sc < s->scale_min ? sc : s->scale_min;
		s->scale_max = sc > s->scale_max ? sc : s->scale_max;
	}
}

static void note(struct at *a, double err, double stored, double source,
		 uint64_t row, uint32_t col)
{
	if (a->seen && !(err > a->err))
		return;
	a->seen = 1;
	a->err = err;
	a->stored = stored;
	a->source = source;
	a->row = row;
	a->col = col;
}

static void cmp_row(struct cmp_stats *s, uint64_t r, const float *v,
		    const double *src, uint32_t dim)
{
	double dsq = 0, ssq = 0;

	for (uint32_t c = 0; c < dim; c++) {
		double a = v[c], b = src[c], e;

		if (!isfinite(a) || !isfinite(b)) {
			/* Equal infinities and NaN against NaN agree. */
			if (!(isnan(a) && isnan(b)) && a != b)
				s->mismatched++;
			continue;
		}
		e = fabs(a - b);
		s->compared++;
		s->sq_sum += e * e;
		dsq += e * e;
		ssq += b * b;
		note(&s->abs, e, a, b, r, c);
		if (b != 0)
			note(&s->rel, e / fabs(b), a, b, r, c);
	}
	if (ssq > 0)
		note(&s->row_rel, sqrt(dsq / ssq), 0, 0, r, 0);
}

/* One source row as doubles. */
static void source_row(const struct source *s, const uint8_t *p, uint32_t dim,
		       double *out)
{
	for (size_t c = 0; c < dim; c++) {
		uint16_t h;
		float f;

		switch (s->elem) {
		case SRC_F16:
			memcpy(&h, p + 2 * c, 2);
			out[c] = f16_bits_to_f32(h);
			break;
		case SRC_BF16:
			memcpy(&h, p + 2 * c, 2);
			out[c] = bf16_bits_to_f32(h);
			break;
		case SRC_F64: memcpy(&out[c], p + 8 * c, 8); break;
		default: memcpy(&f, p + 4 * c, 4); out[c] = f;
		}
	}
}

struct stats_args {
	const char *file, *against, *from;
	struct pack_options po;
	int json;
};

static int parse_shape(const char *arg, struct pack_options *po)
{
	const char *x = strchr(arg, 'x');
	char rows[32];
	uint64_t dim;

	if (!x || (size_t)(x - arg) >= sizeof rows)
		return -1;
	memcpy(rows, arg, (size_t)(x - arg));
	rows[x - arg] = 0;
	if (parse_u64(rows, &po->shape_rows) != 0 ||
	    parse_u64(x + 1, &dim) != 0 || po->shape_rows == 0 || dim == 0 ||
	    dim > UINT32_MAX)
		return -1;
	po->shape_dim = (uint32_t)dim;
	po->have_shape = 1;
	return 0;
}

static int misuse(const char *what, const char *arg)
{
	fprintf(stderr, "embmap: stats: %s%s\nTry 'embmap stats --help'.\n",
		what, arg ? arg : "");
	return EXIT_USAGE;
}

/* parse_args() showed --help: exit 0 without doing anything else. */
enum { HELPED = -1 };

static int parse_args(struct stats_args *a, int argc, char **argv)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_AGAINST: a->against = optarg; break;
		case OPT_FROM: a->from = optarg; break;
		case OPT_TENSOR: a->po.tensor = optarg; break;
		case OPT_SHAPE:
			if (parse_shape(optarg, &a->po) != 0)
				return misuse("--shape expects VxC, not ",
					      optarg);
			break;
		case 'j': a->json = 1; break;
		case 'h': usage_text(stdout, help, EXIT_OK); return HELPED;
		default: return misuse("unknown option", NULL);
		}
	}
	if (optind == argc)
		return misuse("no FILE given", NULL);
	if (optind + 1 != argc)
		return misuse("one FILE at a time; extra: ", argv[optind + 1]);
	if (!a->against && (a->from || a->po.tensor || a->po.have_shape))
		return misuse("--from, --tensor and --shape need --against",
			      NULL);
	a->file = argv[optind];
	return EXIT_OK;
}

/* Walk every row of t, and of s alongside when s is not NULL. */
static int scan(const embmap *t, const char *file, struct source *s,
		struct table_stats *ts, struct cmp_stats *cs)
{
	const uint64_t rows = embmap_rows(t);
	const uint32_t dim = embmap_dim(t);
	const size_t esz = s ? src_elem_size(s->elem) : 0;
	uint64_t chunk = s ? CHUNK_BYTES / ((uint64_t)dim * esz) : 1;
	float *row = malloc(dim * sizeof *row);
	double *src = s ? malloc(dim * sizeof *src) : NULL;
	uint8_t *buf = NULL;
	int rc = EXIT_OK;

	chunk = chunk == 0 ? 1 : chunk > rows ? rows : chunk;
	if (s)
		buf = malloc((size_t)chunk * dim * esz);
	if (!row || (s && (!src || !buf))) {
		diag(file, "out of memory for a chunk of %llu rows",
		     (unsigned long long)chunk);
		rc = EXIT_USAGE;
		goto out;
	}
	for (uint64_t done = 0; done < rows;) {
		uint64_t n = rows - done < chunk ? rows - done : chunk;
		int lrc;

		if (s && (lrc = s->read(s, n, buf)) != 0) {
			if (s->err[0])
				diag(s->path, "%s", s->err);
			rc = src_exit_code(lrc);
			goto out;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t r = done + i;

			if ((lrc = embmap_row_f32(t, r, row)) < 0) {
				rc = diag_lib(file, lrc);
				goto out;
			}
			table_row(ts, t, r, row, dim);
			if (s) {
				source_row(s, buf + i * dim * esz, dim, src);
				cmp_row(cs, r, row, src, dim);
			}
		}
		done += n;
	}
out:
	free(row);
	free(src);
	free(buf);
	return rc;
}

/* A figure, or "-" when there was nothing finite to take it from. */
static const char *num(char *buf, size_t n, double v)
{
	if (isfinite(v))
		snprintf(buf, n, "%.9g", v);
	else
		snprintf(buf, n, "-");
	return buf;
}

static void print_text(const embmap *t, const char *file,
		       const struct table_stats *ts, const struct source *s,
		       const struct cmp_stats *cs)
{
	char a[40], b[40], c[40];
	double mean = ts->finite ? ts->sum / (double)ts->finite : NAN;

	printf("file          %s\n", file);
	printf("shape         %llu x %u %s\n",
	       (unsigned long long)embmap_rows(t), embmap_dim(t),
	       embmap_dtype_name(embmap_dtype(t)));
	printf("values        min %s  max %s  mean %s\n",
	       num(a, sizeof a, ts->min), num(b, sizeof b, ts->max),
	       num(c, sizeof c, mean));
	printf("row L2 norms  min %s  max %s", num(a, sizeof a, ts->norm_min),
	       num(b, sizeof b, ts->norm_max));
	if (ts->norm_rows != embmap_rows(t))
		printf("  (over %llu rows without NaN or infinity)",
		       (unsigned long long)ts->norm_rows);
	printf("\nnan           %llu\ninf           %llu\n",
	       (unsigned long long)ts->nan, (unsigned long long)ts->inf);
	if (embmap_dtype(t) == EMBMAP_DTYPE_I8)
		printf("i8 scales     min %s  max %s  (%llu rows with scale "
		       "0)\n",
		       num(a, sizeof a, ts->scale_min),
		       num(b, sizeof b, ts->scale_max),
		       (unsigned long long)ts->zero_scales);
	if (!s)
		return;
	printf("against       %s (%s, %llu x %u %s)\n", s->path, s->format,
	       (unsigned long long)s->rows, s->dim, src_elem_name(s->elem));
	printf("compared      %llu values finite on both sides; %llu NaN or "
	       "infinite values differ\n",
	       (unsigned long long)cs->compared,
	       (unsigned long long)cs->mismatched);
	if (cs->abs.seen)
		printf("max abs error %.6g at row %llu, column %u (stored "
		       "%.9g, source %.17g)\n",
		       cs->abs.err, (unsigned long long)cs->abs.row,
		       cs->abs.col, cs->abs.stored, cs->abs.source);
	if (cs->rel.seen)
		printf("max rel error %.6g at row %llu, column %u (stored "
		       "%.9g, source %.17g)\n",
		       cs->rel.err, (unsigned long long)cs->rel.row,
		       cs->rel.col, cs->rel.stored, cs->rel.source);
	if (cs->compared)
		printf("RMS error     %.6g\n",
		       sqrt(cs->sq_sum / (double)cs->compared));
	if (cs->row_rel.seen)
		printf("max row error %.6g (relative L2) at row %llu\n",
		       cs->row_rel.err, (unsigned long long)cs->row_rel.row);
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jat(const struct at *a, int with_col)
{
	json_t *o;

	if (!a->seen)
		return json_null();
	o = json_object();
	json_object_set_new(o, "error", jnum(a->err));
	json_object_set_new(o, "row", json_integer((json_int_t)a->row));
	if (with_col) {
		json_object_set_new(o, "column", json_integer(a->col));
		json_object_set_new(o, "stored", jnum(a->stored));
		json_object_set_new(o, "source", jnum(a->source));
	}
	return o;
}

static int print_json(const embmap *t, const char *file,
		      const struct table_stats *ts, const struct source *s,
		      const struct cmp_stats *cs)
{
	json_t *o = json_object(), *c;
	int rc;

	if (!o) {
		diag(file, "out of memory");
		return EXIT_USAGE;
	}
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "rows",
			    json_integer((json_int_t)embmap_rows(t)));
	json_object_set_new(o, "dim", json_integer(embmap_dim(t)));
	json_object_set_new(o, "dtype",
			    json_string(embmap_dtype_name(embmap_dtype(t))));
	json_object_set_new(o, "min", jnum(ts->min));
	json_object_set_new(o, "max", jnum(ts->max));
	json_object_set_new(o, "mean",
			    ts->finite ? jnum(ts->sum / (double)ts->finite)
				       : json_null());
	json_object_set_new(o, "norm_min", jnum(ts->norm_min));
	json_object_set_new(o, "norm_max", jnum(ts->norm_max));
	json_object_set_new(o, "norm_rows",
			    json_integer((json_int_t)ts->norm_rows));
	json_object_set_new(o, "nan", json_integer((json_int_t)ts->nan));
	json_object_set_new(o, "inf", json_integer((json_int_t)ts->inf));
	if (embmap_dtype(t) == EMBMAP_DTYPE_I8) {
		json_object_set_new(o, "scale_min", jnum(ts->scale_min));
		json_object_set_new(o, "scale_max", jnum(ts->scale_max));
		json_object_set_new(o, "zero_scale_rows",
				    json_integer((json_int_t)ts->zero_scales));
	}
	if (s) {
		c = json_object();
		json_object_set_new(c, "source", json_string(s->path));
		json_object_set_new(c, "format", json_string(s->format));
		json_object_set_new(c, "source_dtype",
				    json_string(src_elem_name(s->elem)));
		json_object_set_new(c, "compared",
				    json_integer((json_int_t)cs->compared));
		json_object_set_new(c, "nonfinite_mismatches",
				    json_integer((json_int_t)cs->mismatched));
		json_object_set_new(c, "max_abs_error", jat(&cs->abs, 1));
		json_object_set_new(c, "max_rel_error", jat(&cs->rel, 1));
		json_object_set_new(c, "max_row_rel_l2_error",
				    jat(&cs->row_rel, 0));
		json_object_set_new(
			c, "rms_error",
			cs->compared
				? jnum(sqrt(cs->sq_sum / (double)cs->compared))
				: json_null());
		json_object_set_new(o, "against", c);
	}
	rc = json_dumpf(o, stdout,
			JSON_INDENT(2) | JSON_SORT_KEYS |
				JSON_REAL_PRECISION(17));
	fputc('\n', stdout);
	json_decref(o);
	if (rc != 0) {
		diag(NULL, "cannot write the output");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int open_source(const struct stats_args *a, const embmap *t,
		       struct source *s)
{
	const struct input_format *fmt;
	int rc;

	if ((rc = input_pick(a->against, a->from, &fmt)) != EXIT_OK)
		return rc;
	s->path = a->against;
	s->format = fmt->name;
	if ((rc = fmt->open(s, a->against, &a->po)) != 0) {
		if (s->err[0])
			diag(a->against, "%s", s->err);
		return src_exit_code(rc);
	}
	if (s->rows != embmap_rows(t) || s->dim != embmap_dim(t)) {
		diag(a->against, "shape %llu x %u differs from %s's %llu x %u",
		     (unsigned long long)s->rows, s->dim, a->file,
		     (unsigned long long)embmap_rows(t), embmap_dim(t));
		return EXIT_INVALID;
	}
	return EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
	static char name[] = "embmap stats";
	struct stats_args a = {0};
	struct source s = {0};
	struct table_stats ts;
	struct cmp_stats cs = {0};
	embmap *t = NULL;
	int rc;

	argv[0] = name;
	if ((rc = parse_args(&a, argc, argv)) != EXIT_OK)
		return rc == HELPED ? EXIT_OK : rc;
	if ((rc = embmap_open(a.file, 0, &t)) < 0)
		return diag_lib(a.file, rc);
	if (a.against && (rc = open_source(&a, t, &s)) != EXIT_OK)
		goto out;
	table_init(&ts);
	if ((rc = scan(t, a.file, a.against ? &s : NULL, &ts, &cs)) != EXIT_OK)
		goto out;
	if (a.json) {
		rc = print_json(t, a.file, &ts, a.against ? &s : NULL, &cs);
	} else {
		print_text(t, a.file, &ts, a.against ? &s : NULL, &cs);
		rc = EXIT_OK;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		diag(NULL, "cannot write the output");
		rc = EXIT_USAGE;
	}
out:
	source_free(&s);
	embmap_close(t);
	return rc;
}
