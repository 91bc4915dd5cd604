/*
 * bench_dtype.c - what each stored dtype costs and loses on a GPT-2-sized
 * table: file size, embmap_gather_f32 of 1,024 random rows next to the
 * float32 gather in the same run, the scalar and x86 conversion paths, and
 * the reconstruction error against the float32 source.
 *
 *   embmap-bench-dtype [--rows V] [--dim C] [--reps N] DIR
 *
 * The four tables are written into DIR (created if needed, the files
 * removed at exit) with the library's writer from the same deterministic
 * normal(0, 0.02) values. Gathers of the four dtypes run interleaved on the
 * same id sets, fresh random ids each repetition, so drift on a noisy
 * machine hits them alike; figures are medians. The aim for the gather is
 * at most 1.5 times the float32 gather; a miss prints MISSED and never
 * fails the run, since timing is no test.
 *
 * It includes src/internal.h for one thing: emb_cvt_use(), to time the
 * scalar path on a CPU that has the x86 one.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/internal.h"

#define GATHER_IDS 1024u
#define NDTYPES 4
#define AIM 1.5

static const int dtypes[NDTYPES] = {EMBMAP_DTYPE_F32, EMBMAP_DTYPE_F16,
				    EMBMAP_DTYPE_BF16, EMBMAP_DTYPE_I8};

static volatile float sink;

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("embmap-bench-dtype: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("out of memory for %zu bytes", n);
	return p;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* normal(0, sd) by Box-Muller, from 53-bit uniforms in (0, 1]. */
static void fill_normal(float *x, size_t n, double sd)
{
	for (size_t i = 0; i < n; i += 2) {
		double u1 = (double)((rng() >> 11) + 1) * 0x1p-53;
		double u2 = (double)(rng() >> 11) * 0x1p-53;
		double r = sd * sqrt(-2 * log(u1));

		x[i] = (float)(r * cos(2 * M_PI * u2));
		if (i + 1 < n)
			x[i + 1] = (float)(r * sin(2 * M_PI * u2));
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct table {
	int dtype;
	char path[4200];
	embmap *t;
	uint64_t bytes;
	double write_s;
	double max_abs, rms;
};

static void write_table(struct table *tb, const char *dir, const float *x,
			uint64_t rows, uint32_t dim)
{
	struct embmap_writer_options o = {0, 0, EMBMAP_WRITE_NO_SYNC};
	embmap_writer *w;
	struct stat st;
	const uint64_t chunk = 1024;
	double t0 = now_ns();
	int rc;

	snprintf(tb->path, sizeof tb->path, "%s/bench-%s.embmap", dir,
		 embmap_dtype_name(tb->dtype));
	if ((rc = embmap_writer_open(tb->path, dim, tb->dtype, &o, &w)) < 0)
		die("%s: %s", tb->path, embmap_errmsg());
	for (uint64_t r = 0; r < rows; r += chunk) {
		uint64_t k = rows - r < chunk ? rows - r : chunk;

		if ((rc = embmap_writer_add_rows_f32(w, x + r * dim, k, 0)) < 0)
			die("%s: %s", tb->path, embmap_errmsg());
	}
	if ((rc = embmap_writer_finish(w)) < 0)
		die("%s: %s", tb->path, embmap_errmsg());
	tb->write_s = (now_ns() - t0) / 1e9;
	if (stat(tb->path, &st) != 0)
		die("%s: %s", tb->path, strerror(errno));
	tb->bytes = (uint64_t)st.st_size;
	if ((rc = embmap_open(tb->path, EMBMAP_POPULATE, &tb->t)) < 0)
		die("%s: %s", tb->path, embmap_errmsg());
}

/* Max absolute and RMS error of the whole table against the source. */
static void measure_error(struct table *tb, const float *x, uint64_t rows,
			  uint32_t dim)
{
	float *row = xmalloc(dim * sizeof *row);
	double sum = 0, mx = 0;

	for (uint64_t r = 0; r < rows; r++) {
		if (embmap_row_f32(tb->t, r, row) < 0)
			die("row %llu: %s", (unsigned long long)r,
			    embmap_errmsg());
		for (uint32_t c = 0; c < dim; c++) {
			double e = fabs((double)row[c] - x[r * dim + c]);

			sum += e * e;
			mx = e > mx ? e : mx;
		}
	}
	tb->max_abs = mx;
	tb->rms = sqrt(sum / ((double)rows * dim));
	free(row);
}

static double gather_once(const struct table *tb, const uint32_t *ids,
			  float *out)
{
	double t0 = now_ns(), t1;

	if (embmap_gather_f32(tb->t, ids, GATHER_IDS, out) < 0)
		die("gather: %s", embmap_errmsg());
	t1 = now_ns();
	sink = out[GATHER_IDS / 2];
	return (t1 - t0) / GATHER_IDS;
}

/*
 * Median ns per row of each table's gather on the given path, all dtypes
 * interleaved on the same ids in each repetition: fresh random ids each
 * time (rows come from memory), or when hot the same ids every time (rows
 * come from the caches, so the conversion's own cost shows).
 */
static void measure_gather(struct table *tb, int path, int reps, int hot,
			   uint64_t rows, uint32_t dim, double med[NDTYPES])
{
	double *ns[NDTYPES];
	uint32_t ids[GATHER_IDS];
	float *out = xmalloc((size_t)GATHER_IDS * dim * sizeof *out);

	if (emb_cvt_use(path) != 0)
		die("conversion path %d not available", path);
	for (int d = 0; d < NDTYPES; d++)
		ns[d] = xmalloc((size_t)reps * sizeof *ns[d]);
	for (int r = -3; r < reps; r++) { /* three rounds of warm-up */
		for (size_t i = 0; i < GATHER_IDS && (!hot || r == -3); i++)
			ids[i] = (uint32_t)(rng() % rows);
		for (int k = 0; k < NDTYPES; k++) {
			int d = (k + (r & 3)) % NDTYPES; /* rotate the order */
			double v = gather_once(&tb[d], ids, out);

			if (r >= 0)
				ns[d][r] = v;
		}
	}
	for (int d = 0; d < NDTYPES; d++) {
		med[d] = median(ns[d], (size_t)reps);
		free(ns[d]);
	}
	free(out);
}

/*
 * The conversion alone, in cache: the same 16 rows converted over and
 * over, ns per row, median of reps runs.
 */
static double measure_convert(const struct table *tb, int path, int reps,
			      uint32_t dim)
{
	enum { HOT = 16, ROUNDS = 64 };
	double *ns = xmalloc((size_t)reps * sizeof *ns);
	float *out = xmalloc(dim * sizeof *out);
	double m;

	for (int r = 0; r < reps; r++) {
		double t0 = now_ns();

		for (int k = 0; k < ROUNDS; k++)
			for (uint64_t i = 0; i < HOT; i++)
				emb_to_f32_with(
					path, tb->dtype, embmap_row(tb->t, i),
					embmap_row_scale(tb->t, i), dim, out);
		ns[r] = (now_ns() - t0) / (HOT * ROUNDS);
		sink = out[dim / 2];
	}
	m = median(ns, (size_t)reps);
	free(ns);
	free(out);
	return m;
}

static void usage(void)
{
	fprintf(stderr, "usage: embmap-bench-dtype [--rows V] [--dim C] "
			"[--reps N] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t rows = 50257;
	uint32_t dim = 768;
	int reps = 41, have_x86 = emb_cvt_available(EMB_CVT_X86);
	const char *dir = NULL;
	struct table tb[NDTYPES];
	double simd[NDTYPES], scalar[NDTYPES], hot[NDTYPES];
	float *x;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rows") && i + 1 < argc)
			rows = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dim") && i + 1 < argc)
			dim = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			usage();
	}
	if (!dir || rows == 0 || dim == 0 || reps < 1 || rows > UINT32_MAX)
		usage();
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));

	x = xmalloc((size_t)rows * dim * sizeof *x);
	fill_normal(x, (size_t)rows * dim, 0.02);
	for (int d = 0; d < NDTYPES; d++) {
		tb[d].dtype = dtypes[d];
		write_table(&tb[d], dir, x, rows, dim);
		measure_error(&tb[d], x, rows, dim);
	}

	measure_gather(tb, EMB_CVT_SCALAR, reps, 0, rows, dim, scalar);
	memcpy(simd, scalar, sizeof simd);
	if (have_x86)
		measure_gather(tb, EMB_CVT_X86, reps, 0, rows, dim, simd);
	measure_gather(tb, have_x86 ? EMB_CVT_X86 : EMB_CVT_SCALAR, reps, 1,
		       rows, dim, hot);

	printf("dtype table: %llu x %u, normal(0, 0.02) float32 source; "
	       "gather of %u random rows, median of %d; conversion path "
	       "%s\n\n",
	       (unsigned long long)rows, dim, GATHER_IDS, reps,
	       have_x86 ? "x86 (AVX2, F16C)" : "scalar (no AVX2 and F16C)");
	printf("| dtype | file MiB | write s | gather ns/row | vs f32 | aim "
	       "<= %.1fx | hot gather | vs f32 | max abs err | RMS err |\n",
	       AIM);
	printf("|-------|---------:|--------:|--------------:|-------:|------"
	       "-----|-----------:|-------:|------------:|--------:|\n");
	for (int d = 0; d < NDTYPES; d++) {
		double ratio = simd[d] / simd[0];

		printf("| %-5s | %8.1f | %7.2f | %13.1f | %5.2fx | %-9s | "
		       "%10.1f | %5.2fx | %11.3g | %7.3g |\n",
		       embmap_dtype_name(tb[d].dtype),
		       (double)tb[d].bytes / 1048576, tb[d].write_s, simd[d],
		       ratio,
		       d == 0	      ? "(floor)"
		       : ratio <= AIM ? "ok"
				      : "MISSED",
		       hot[d], hot[d] / hot[0], tb[d].max_abs, tb[d].rms);
	}
	printf("\ngather: fresh random ids each repetition; hot gather: the "
	       "same 1,024 ids every time, rows in cache (ns/row)\n");

	printf("\nconversion path: gather ns/row (random rows, from memory) "
	       "and convert ns/row (16 rows in cache)\n\n");
	printf("| dtype | gather scalar | gather x86 | convert scalar | "
	       "convert x86 | x86 speed-up |\n");
	printf("|-------|--------------:|-----------:|---------------:|------"
	       "------:|-------------:|\n");
	for (int d = 1; d < NDTYPES; d++) {
		double cs = measure_convert(&tb[d], EMB_CVT_SCALAR, reps, dim);
		double cx = have_x86 ? measure_convert(&tb[d], EMB_CVT_X86,
						       reps, dim)
				     : NAN;

		printf("| %-5s | %13.1f | %10.1f | %14.1f | %11.1f | %11.2fx "
		       "|\n",
		       embmap_dtype_name(tb[d].dtype), scalar[d],
		       have_x86 ? simd[d] : NAN, cs, cx, cs / cx);
	}

	for (int d = 0; d < NDTYPES; d++) {
		embmap_close(tb[d].t);
		unlink(tb[d].path);
	}
	free(x);
	return 0;
}
