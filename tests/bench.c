/*
 * bench.c - what libembmap's operations cost, each next to a floor: the
 * same work done by the plainest code that could do it, measured in the
 * same run on the same bytes. The ratio is the figure that matters; absolute
 * times depend on the machine.
 *
 *   embmap-bench [--rows V] [--dim C] [FILE]   the full table
 *   embmap-bench --quick FILE                  open and find only
 *
 * Without FILE the tables are written with the library's writer into a
 * temporary directory (removed at exit). Every figure is the median of
 * many repetitions after a warm-up, with measured and floor runs interleaved
 * so that drift on a noisy machine hits both alike. A missed aim prints
 * MISSED; it never fails the run, since timing is no test.
 *
 * Uses the public API only (include/embmap.h), plus xxHash for the hashing
 * floor: the *_dispatch entry points, the same build the library uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#define FLOOR_HASH64 XXH3_64bits_dispatch
#else
#define FLOOR_HASH64 XXH3_64bits
#endif

#include "embmap.h"

#define GPT2_ROWS 50257u
#define GPT2_DIM 768u
#define SMALL_ROWS 1000u
#define BIG_ROWS 500000u
#define BIG_DIM 64u
#define LOOKUPS 1000000u /* random keys or ids per figure */
#define SLICE 100000u	 /* of them timed per sample */
#define GATHER_IDS 1024u
#define REPS_OPEN 201	/* samples of OPENS_PER_SAMPLE calls */
#define REPS_VERIFY 51	/* single runs */
#define REPS_LOOKUP 101 /* samples of SLICE calls; gather twice this */
#define REPS_QUICK_OPEN 101
#define REPS_QUICK_LOOKUP 21
#define GATHER_SETS 16u /* 48 MiB of GPT-2 rows, more than an L3 */

static const char *prog = "embmap-bench";

/* Results are folded in here so that no measured work is dead code. */
static volatile uint64_t sink;

static char tmpdir[4096];
static char tmpfiles[3][4200];

static void cleanup(void)
{
	for (int i = 0; i < 3; i++)
		if (tmpfiles[i][0])
			unlink(tmpfiles[i]);
	if (tmpdir[0])
		rmdir(tmpdir);
}

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void die_lib(const char *what, const char *path, int rc)
{
	die("%s %s: %s: %s", what, path, embmap_strerror(rc), embmap_errmsg());
}

/*
 * The calling thread's CPU time, not the wall clock: on a shared machine a
 * sample the scheduler cut into would otherwise count the other process's
 * time slice. Kernel time spent for us (faults, mmap) still counts.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *state, uint64_t n)
{
	return (uint32_t)((splitmix64(state) >> 11) % n);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Token i: an optional leading space, then i in base 100 with two letters a
 * digit, padded to one to three digits. The string gives back its width
 * and value, so distinct ids give distinct tokens; lengths (2 to 7 bytes)
 * are about those of GPT-2's tokens.
 */
static size_t make_token(uint64_t i, char *out)
{
	static const char cons[] = "bcdfghjklmnpqrstvwxz";
	static const char vow[] = "aeiou";
	uint64_t h = i * UINT64_C(0x9e3779b97f4a7c15);
	unsigned width = 1 + (unsigned)((h >> 40) % 3), digits = 0;
	char d[16];
	size_t n = 0;

	for (uint64_t v = i; v > 0 || digits == 0; v /= 100)
		d[digits++] = (char)(v % 100);
	while (digits < width)
		d[digits++] = 0;
	if ((h >> 32) % 10 < 6)
		out[n++] = ' ';
	while (digits > 0) {
		unsigned v = (unsigned char)d[--digits];

		out[n++] = cons[v / 5];
		out[n++] = vow[v % 5];
	}
	return n;
}

/*
 * Write a rows x dim float32 table with one token per row. The values are
 * uniform with GPT-2's spread (sd 0.02); no figure depends on them.
 */
static void make_table(const char *path, uint64_t rows, uint32_t dim)
{
	const struct embmap_writer_options wo = {.flags = EMBMAP_WRITE_NO_SYNC};
	const uint64_t chunk = 256;
	float *buf = xmalloc(chunk * dim * sizeof *buf);
	uint64_t state = rows * 31 + dim;
	embmap_writer *w;
	char tok[16];
	int rc;

	rc = embmap_writer_open(path, dim, EMBMAP_DTYPE_F32, &wo, &w);
	if (rc)
		die_lib("create", path, rc);
	for (uint64_t r = 0; r < rows; r += chunk) {
		uint64_t n = rows - r < chunk ? rows - r : chunk;

		for (uint64_t i = 0; i < n * dim; i++)
			buf[i] = (float)((int64_t)(splitmix64(&state) >> 44) -
					 (1 << 19)) *
				 (0.02f / 302700.0f);
		if ((rc = embmap_writer_add_rows_f32(w, buf, n, 0)) != 0)
			die_lib("write", path, rc);
	}
	for (uint64_t i = 0; i < rows; i++)
		if ((rc = embmap_writer_add_token(w, tok, make_token(i, tok))))
			die_lib("write", path, rc);
	if ((rc = embmap_writer_finish(w)) != 0)
		die_lib("finish", path, rc);
	free(buf);
}

/* ------------------------------------------------------------------------ */
/* Measuring                                                                */
/* ------------------------------------------------------------------------ */

/* One timed sample: nanoseconds per operation. */
typedef double (*sample_fn)(void *ctx);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Medians of reps samples of f and of g, after warm samples of each. The
 * two alternate which goes first, so neither always runs on a cache the
 * other just warmed or cooled.
 */
static void measure(int warm, int reps, sample_fn f, void *fc, sample_fn g,
		    void *gc, double *fmed, double *gmed)
{
	double *a = xmalloc((size_t)reps * sizeof *a);
	double *b = xmalloc((size_t)reps * sizeof *b);

	for (int i = 0; i < warm; i++) {
		f(fc);
		g(gc);
	}
	for (int i = 0; i < reps; i++) {
		if (i % 2) {
			a[i] = f(fc);
			b[i] = g(gc);
		} else {
			b[i] = g(gc);
			a[i] = f(fc);
		}
	}
	*fmed = median(a, reps);
	*gmed = median(b, reps);
	free(a);
	free(b);
}

static void fmt_time(double ns, char *buf, size_t n)
{
	if (ns < 1e3)
		snprintf(buf, n, "%.1f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, n, "%.2f us", ns / 1e3);
	else
		snprintf(buf, n, "%.2f ms", ns / 1e6);
}

static int missed_count;

static void table_head(void)
{
	printf("\n| %-46s | %10s | %10s | %6s | %-20s |\n", "figure", "median",
	       "floor", "ratio", "aim");
	printf("|%.48s|%.12s|%.12s|%.8s|%.22s|\n",
	       "------------------------------------------------",
	       "------------", "------------", "--------",
	       "----------------------");
}

/* A row of the table; aim <= 0 means no aim on the ratio. */
static void table_row(const char *name, double med, double floor, double aim,
		      const char *aim_text)
{
	char m[32], f[32], r[32], a[64];
	int miss = aim > 0 && med / floor > aim;

	fmt_time(med, m, sizeof m);
	fmt_time(floor, f, sizeof f);
	snprintf(r, sizeof r, "%.2fx", med / floor);
	snprintf(a, sizeof a, "%s%s", aim_text, miss ? " MISSED" : "");
	missed_count += miss;
	printf("| %-46s | %10s | %10s | %6s | %-20s |\n", name, m, f, r, a);
	fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* Open                                                                     */
/* ------------------------------------------------------------------------ */

#define OPENS_PER_SAMPLE 20

static double sample_open(void *ctx)
{
	const char *path = ctx;
	uint64_t t0 = now_ns();

	for (int i = 0; i < OPENS_PER_SAMPLE; i++) {
		embmap *t;
		int rc = embmap_open(path, 0, &t);

		if (rc)
			die_lib("open", path, rc);
		embmap_close(t);
	}
	return (double)(now_ns() - t0) / OPENS_PER_SAMPLE;
}

/* The least any mapping reader does: open, fstat, mmap, munmap, close. */
static double sample_open_floor(void *ctx)
{
	const char *path = ctx;
	uint64_t t0 = now_ns();

	for (int i = 0; i < OPENS_PER_SAMPLE; i++) {
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		void *p;

		if (fd < 0 || fstat(fd, &st) != 0)
			die("open %s: %s", path, strerror(errno));
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd,
			 0);
		if (p == MAP_FAILED)
			die("mmap %s: %s", path, strerror(errno));
		munmap(p, (size_t)st.st_size);
		close(fd);
	}
	return (double)(now_ns() - t0) / OPENS_PER_SAMPLE;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Page faults per embmap_open + embmap_close, for explaining the time. */
static double faults_per_open(const char *path)
{
	long before = minor_faults();

	for (int i = 0; i < 100; i++)
		sample_open((void *)(uintptr_t)path);
	return (double)(minor_faults() - before) / (100.0 * OPENS_PER_SAMPLE);
}

static void figure_open(const char *path, const char *label, int reps,
			double *faults)
{
	double med, floor;
	char name[80];

	measure(reps / 10, reps, sample_open, (void *)(uintptr_t)path,
		sample_open_floor, (void *)(uintptr_t)path, &med, &floor);
	snprintf(name, sizeof name, "open+close, %s", label);
	table_row(name, med, floor, 2.0, "<= 2x");
	*faults = faults_per_open(path);
}

/*
 * Heap bytes held by an open handle: glibc's in-use counters before and
 * after; -1 where they are not kept (a sanitizer's malloc reports zeros).
 */
static long long heap_of_open(const char *path)
{
	struct mallinfo2 a, b;
	embmap *t;
	int rc;

	rc = embmap_open(path, 0, &t);
	if (rc)
		die_lib("open", path, rc);
	embmap_close(t);

	a = mallinfo2();
	rc = embmap_open(path, 0, &t);
	b = mallinfo2();
	if (rc)
		die_lib("open", path, rc);
	embmap_close(t);
	if (a.arena == 0 && a.hblkhd == 0)
		return -1;
	return (long long)(b.uordblks + b.hblkhd) -
	       (long long)(a.uordblks + a.hblkhd);
}

/* The heap of an open handle must not grow with V or C. */
static void figure_heap(const char *main_path, const char *main_label)
{
	const char *path[3] = {main_path, tmpfiles[1], tmpfiles[2]};
	const char *label[3] = {main_label, "V=1000 C=768", "V=500000 C=64"};
	long long bytes[3];
	int same = 1;

	for (int i = 0; i < 3; i++) {
		bytes[i] = heap_of_open(path[i]);
		same &= bytes[i] == bytes[0];
	}
	for (int i = 0; i < 3; i++) {
		char name[80], b[32];

		snprintf(name, sizeof name, "heap held by embmap_open, %s",
			 label[i]);
		if (bytes[i] < 0)
			snprintf(b, sizeof b, "n/a");
		else
			snprintf(b, sizeof b, "%lld B", bytes[i]);
		printf("| %-46s | %10s | %10s | %6s | %-20s |\n", name, b, "-",
		       "-",
		       i < 2 || bytes[i] < 0 ? "constant"
		       : same		     ? "constant"
					     : "constant MISSED");
	}
	if (bytes[0] < 0)
		printf("(heap not measured: this malloc keeps no mallinfo2 "
		       "counters)\n");
	missed_count += bytes[0] >= 0 && !same;
}

/* ------------------------------------------------------------------------ */
/* Verify                                                                   */
/* ------------------------------------------------------------------------ */

struct verify_ctx {
	const embmap *t;
	const char *path;
	const uint8_t *map;
	size_t size;
};

static double sample_verify(void *ctx)
{
	struct verify_ctx *v = ctx;
	uint64_t t0 = now_ns();
	int rc = embmap_verify(v->t, NULL, NULL);
	uint64_t t1 = now_ns();

	if (rc)
		die_lib("verify", v->path, rc);
	return (double)(t1 - t0);
}

/*
 * Every byte read once: a sum of 64-bit words in four 16-byte vector lanes
 * (GCC and Clang vector extension; SSE2 on x86-64), fast enough that the
 * memory, not the adds, sets its pace.
 */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

static double sample_verify_floor(void *ctx)
{
	struct verify_ctx *v = ctx;
	uint64_t t0 = now_ns();
	u64x2 s0 = {0, 0}, s1 = s0, s2 = s0, s3 = s0;
	uint64_t w = 0;
	size_t i = 0;

	for (; i + 64 <= v->size; i += 64) {
		u64x2 x[4];

		memcpy(x, v->map + i, sizeof x);
		s0 += x[0];
		s1 += x[1];
		s2 += x[2];
		s3 += x[3];
	}
	for (; i < v->size; i++)
		w += v->map[i];
	s0 += s1 + s2 + s3;
	sink += w + s0[0] + s0[1];
	return (double)(now_ns() - t0);
}

/* A second mapping of the file for the floor, so both run on mapped pages. */
static void figure_verify(const embmap *t, const char *path)
{
	struct verify_ctx v = {.t = t, .path = path};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	double med, floor;
	void *p;

	v.size = (size_t)embmap_file_size(t);
	p = fd < 0 ? MAP_FAILED
		   : mmap(NULL, v.size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	close(fd);
	v.map = p;
	measure(2, REPS_VERIFY, sample_verify, &v, sample_verify_floor, &v,
		&med, &floor);
	table_row("embmap_verify, in page cache (floor: read all)", med, floor,
		  1.2, "<= 1.2x");
	munmap(p, v.size);
}

/* ------------------------------------------------------------------------ */
/* Find                                                                     */
/* ------------------------------------------------------------------------ */

struct key {
	const char *p;
	size_t len;
};

/*
 * Sample k of each side times slice k mod LOOKUPS / SLICE of the keys: many
 * short samples, so that the median drops those another process cut into.
 */
struct find_ctx {
	const embmap *t;
	const struct key *keys;
	unsigned round;
};

static double sample_find(void *ctx)
{
	struct find_ctx *c = ctx;
	const struct key *k = c->keys + c->round++ % (LOOKUPS / SLICE) * SLICE;
	uint64_t t0 = now_ns();
	int64_t acc = 0;

	for (size_t i = 0; i < SLICE; i++)
		acc += embmap_find(c->t, k[i].p, k[i].len);
	sink += (uint64_t)acc;
	return (double)(now_ns() - t0) / SLICE;
}

static double sample_hash_floor(void *ctx)
{
	struct find_ctx *c = ctx;
	const struct key *k = c->keys + c->round++ % (LOOKUPS / SLICE) * SLICE;
	uint64_t t0 = now_ns();
	uint64_t acc = 0;

	for (size_t i = 0; i < SLICE; i++)
		acc += FLOOR_HASH64(k[i].p, k[i].len);
	sink += acc;
	return (double)(now_ns() - t0) / SLICE;
}

/*
 * Keys of the table's own tokens, copied out of the mapping (a caller's key
 * never lives there), in random order with repeats.
 */
static char *present_keys(const embmap *t, const char *path, uint64_t *st,
			  struct key *keys, size_t n)
{
	uint64_t ntok = embmap_tokens(t);
	size_t total = 0, pos = 0;
	size_t *at = xmalloc((size_t)ntok * sizeof *at);
	char *arena;

	for (uint64_t i = 0; i < ntok; i++) {
		size_t len = 0;

		if (!embmap_token(t, i, &len))
			die("%s: token %llu unreadable", path,
			    (unsigned long long)i);
		total += len + 1;
	}
	arena = xmalloc(total);
	for (uint64_t i = 0; i < ntok; i++) {
		size_t len = 0;
		const char *s = embmap_token(t, i, &len);

		memcpy(arena + pos, s, len + 1);
		at[i] = pos;
		pos += len + 1;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t id = below(st, ntok);
		size_t len = 0;
		int64_t got;

		embmap_token(t, id, &len);
		keys[i].p = arena + at[id];
		keys[i].len = len;
		/* A table with shadowed duplicates maps some to the first. */
		got = embmap_find(t, keys[i].p, len);
		if (got < 0 || got > (int64_t)id)
			die("%s: find(token %llu) gave %lld", path,
			    (unsigned long long)id, (long long)got);
	}
	free(at);
	return arena;
}

/*
 * Keys the table does not hold: "absent" and a number, 8 to 13 bytes;
 * any that happens to be present is skipped.
 */
static char *absent_keys(const embmap *t, struct key *keys, size_t n)
{
	const size_t distinct = 65536, width = 16;
	char *arena = xmalloc(distinct * width);
	size_t made = 0;
	uint64_t st = 7;

	for (uint64_t i = 0; made < distinct; i++) {
		char *s = arena + made * width;
		int len = snprintf(s, width, "absent%llu",
				   (unsigned long long)(i * 7919));

		if (embmap_find(t, s, (size_t)len) < 0)
			made++;
	}
	for (size_t i = 0; i < n; i++) {
		keys[i].p = arena + below(&st, distinct) * width;
		keys[i].len = strlen(keys[i].p);
	}
	return arena;
}

static void figure_find(const embmap *t, const char *path, int reps)
{
	struct key *keys = xmalloc(LOOKUPS * sizeof *keys);
	struct find_ctx c = {.t = t, .keys = keys}, h = c;
	uint64_t st = 42;
	double med, floor;
	char *arena;

	if (embmap_tokens(t) == 0) {
		printf("(find figures skipped: %s has no vocabulary)\n", path);
		free(keys);
		return;
	}
	arena = present_keys(t, path, &st, keys, LOOKUPS);
	measure(1, reps, sample_find, &c, sample_hash_floor, &h, &med, &floor);
	table_row("embmap_find, present token (floor: XXH3)", med, floor, 5.0,
		  "<= 5x, ~40 ns");
	free(arena);

	arena = absent_keys(t, keys, LOOKUPS);
	c.round = h.round = 0;
	measure(1, reps, sample_find, &c, sample_hash_floor, &h, &med, &floor);
	table_row("embmap_find, absent token (floor: XXH3)", med, floor, 5.0,
		  "<= 5x");
	free(arena);
	free(keys);
}

/* ------------------------------------------------------------------------ */
/* Rows and gather                                                          */
/* ------------------------------------------------------------------------ */

/* As for find, sample k of each side uses id slice or set k. */
struct row_ctx {
	const embmap *t;
	const uint8_t *copy; /* the matrix in malloc'd memory */
	size_t stride;
	const uint32_t *ids;
	unsigned round;
	float *out;
};

static double sample_row(void *ctx)
{
	struct row_ctx *c = ctx;
	const uint32_t *ids = c->ids + c->round++ % (LOOKUPS / SLICE) * SLICE;
	uint64_t t0 = now_ns();
	uint64_t acc = 0;

	for (size_t i = 0; i < SLICE; i++) {
		const void *p = embmap_row(c->t, ids[i]);
		uint32_t v;

		memcpy(&v, p, sizeof v);
		acc += v;
	}
	sink += acc;
	return (double)(now_ns() - t0) / SLICE;
}

static double sample_row_floor(void *ctx)
{
	struct row_ctx *c = ctx;
	const uint32_t *ids = c->ids + c->round++ % (LOOKUPS / SLICE) * SLICE;
	uint64_t t0 = now_ns();
	uint64_t acc = 0;

	for (size_t i = 0; i < SLICE; i++) {
		uint32_t v;

		memcpy(&v, c->copy + (size_t)ids[i] * c->stride, sizeof v);
		acc += v;
	}
	sink += acc;
	return (double)(now_ns() - t0) / SLICE;
}

static double sample_gather(void *ctx)
{
	struct row_ctx *c = ctx;
	const uint32_t *ids = c->ids + (c->round++ % GATHER_SETS) * GATHER_IDS;
	uint64_t t0 = now_ns();
	int rc = embmap_gather_f32(c->t, ids, GATHER_IDS, c->out);
	uint64_t t1 = now_ns();
	uint32_t v;

	if (rc)
		die("gather: %s", embmap_errmsg());
	memcpy(&v, c->out, sizeof v);
	sink += v;
	return (double)(t1 - t0);
}

static double sample_gather_floor(void *ctx)
{
	struct row_ctx *c = ctx;
	const uint32_t *ids = c->ids + (c->round++ % GATHER_SETS) * GATHER_IDS;
	uint64_t t0 = now_ns();
	uint8_t *out = (uint8_t *)c->out;
	uint32_t v;

	for (size_t i = 0; i < GATHER_IDS; i++)
		memcpy(out + i * c->stride,
		       c->copy + (size_t)ids[i] * c->stride, c->stride);
	uint64_t t1 = now_ns();

	memcpy(&v, c->out, sizeof v);
	sink += v;
	return (double)(t1 - t0);
}

static void figure_rows(const embmap *t, const char *path, int reps)
{
	const size_t rows = (size_t)embmap_rows(t);
	const size_t stride = embmap_stride(t);
	struct row_ctx c = {.t = t, .stride = stride}, f;
	uint32_t *ids = xmalloc(LOOKUPS * sizeof *ids);
	uint8_t *copy = xmalloc(rows * stride);
	uint64_t st = 99;
	double med, floor;

	if (embmap_dtype(t) != EMBMAP_DTYPE_F32) {
		printf("(row and gather figures skipped: %s is not float32)\n",
		       path);
		free(ids);
		free(copy);
		return;
	}
	for (size_t i = 0; i < rows; i++)
		memcpy(copy + i * stride, embmap_row(t, i), stride);
	for (size_t i = 0; i < LOOKUPS; i++)
		ids[i] = below(&st, rows);
	c.copy = copy;
	c.ids = ids;
	f = c;
	measure(1, reps, sample_row, &c, sample_row_floor, &f, &med, &floor);
	table_row("embmap_row + first value (floor: malloc copy)", med, floor,
		  0, "-");

	c.out = xmalloc(GATHER_IDS * stride);
	c.round = 0;
	f = c;
	measure(GATHER_SETS, 2 * reps, sample_gather, &c, sample_gather_floor,
		&f, &med, &floor);
	table_row("embmap_gather_f32, 1,024 ids (floor: memcpy)", med, floor,
		  1.1, "<= 1.1x");
	free(c.out);
	free(ids);
	free(copy);
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */
/* ------------------------------------------------------------------------ */

static void print_machine(void)
{
	char line[256], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	struct utsname u;

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof model, "%s",
				 strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	printf("machine: %s, %ld cpus online, %s %s; libembmap %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release,
	       embmap_version());
}

static const char *shape(const embmap *t, char *buf, size_t n)
{
	snprintf(buf, n, "V=%llu C=%u", (unsigned long long)embmap_rows(t),
		 embmap_dim(t));
	return buf;
}

static embmap *open_or_die(const char *path)
{
	embmap *t;
	int rc = embmap_open(path, 0, &t);

	if (rc)
		die_lib("open", path, rc);
	return t;
}

static void temp_table(int i, const char *name, uint64_t rows, uint32_t dim)
{
	snprintf(tmpfiles[i], sizeof tmpfiles[i], "%s/%s", tmpdir, name);
	make_table(tmpfiles[i], rows, dim);
}

static int usage(FILE *to, int code)
{
	fprintf(to,
		"usage: %s [--rows V] [--dim C] [FILE]\n"
		"       %s --quick FILE\n\n"
		"Measure libembmap against plain-code floors and print the "
		"table\nfigure | median | floor | ratio | aim. Without FILE "
		"a V x C float32 table\n(default %u x %u) is written to a "
		"temporary directory. --quick measures\nopen and find only.\n",
		prog, prog, GPT2_ROWS, GPT2_DIM);
	return code;
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		die("%s %s: expected an integer in 1..%llu", opt, s,
		    (unsigned long long)max);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rows", required_argument, NULL, 'r'},
		{"dim", required_argument, NULL, 'd'},
		{"quick", required_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t rows = GPT2_ROWS, dim = GPT2_DIM;
	const char *file = NULL, *quick = NULL;
	double f_main = 0, f_small = 0, f_big = 0;
	double t_start = wall_seconds();
	char sh[64];
	embmap *t;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rows = parse_num("--rows", optarg, 1u << 28); break;
		case 'd': dim = parse_num("--dim", optarg, 1u << 16); break;
		case 'q': quick = optarg; break;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, 2);
		}
	}
	if (argc - optind > 1 || (quick && argc - optind > 0))
		return usage(stderr, 2);
	if (argc - optind == 1)
		file = argv[optind];
	print_machine();

	if (quick) {
		t = open_or_die(quick);
		printf("table: %s, %s, %llu tokens, %llu bytes\n", quick,
		       shape(t, sh, sizeof sh),
		       (unsigned long long)embmap_tokens(t),
		       (unsigned long long)embmap_file_size(t));
		table_head();
		figure_open(quick, shape(t, sh, sizeof sh), REPS_QUICK_OPEN,
			    &f_main);
		figure_find(t, quick, REPS_QUICK_LOOKUP);
		embmap_close(t);
		printf("\nembmap_open: %.1f page faults per call.\nMedians of "
		       "%d x %d opens and %d x %u lookups, thread CPU time.\n",
		       f_main, REPS_QUICK_OPEN, OPENS_PER_SAMPLE,
		       REPS_QUICK_LOOKUP, SLICE);
		printf("reproduce: %s --quick %s\n", argv[0], quick);
		return 0;
	}

	snprintf(tmpdir, sizeof tmpdir, "%s/embmap-bench.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		int e = errno;

		snprintf(sh, sizeof sh, "%.40s", tmpdir);
		tmpdir[0] = 0;
		die("cannot create a temporary directory %s: %s", sh,
		    strerror(e));
	}
	atexit(cleanup);
	if (!file) {
		temp_table(0, "main.embmap", rows, (uint32_t)dim);
		file = tmpfiles[0];
	}
	temp_table(1, "small.embmap", SMALL_ROWS, GPT2_DIM);
	temp_table(2, "big.embmap", BIG_ROWS, BIG_DIM);

	t = open_or_die(file);
	printf("table: %s, %s, %llu tokens, %llu bytes (tables written in "
	       "%.1f s)\n",
	       file, shape(t, sh, sizeof sh),
	       (unsigned long long)embmap_tokens(t),
	       (unsigned long long)embmap_file_size(t),
	       wall_seconds() - t_start);
	table_head();

	figure_open(file, shape(t, sh, sizeof sh), REPS_OPEN, &f_main);
	figure_open(tmpfiles[1], "V=1000 C=768", REPS_OPEN, &f_small);
	figure_open(tmpfiles[2], "V=500000 C=64", REPS_OPEN, &f_big);

	figure_verify(t, file);
	figure_find(t, file, REPS_LOOKUP);
	figure_rows(t, file, REPS_LOOKUP);

	figure_heap(file, shape(t, sh, sizeof sh));
	embmap_close(t);

	printf("\nembmap_open page faults per call: %.1f (main), %.1f "
	       "(V=1000), %.1f (V=500000).\n",
	       f_main, f_small, f_big);
	printf("Medians of open %d x %d calls, verify %d runs, find and row "
	       "%d x %u calls,\ngather %d calls; floors interleaved in the "
	       "same run; thread CPU time.\n%d aim(s) missed. Total %.1f s.\n",
	       REPS_OPEN, OPENS_PER_SAMPLE, REPS_VERIFY, REPS_LOOKUP, SLICE,
	       2 * REPS_LOOKUP, missed_count, wall_seconds() - t_start);
	printf("reproduce: %s --rows %llu --dim %llu%s%s\n", argv[0],
	       (unsigned long long)rows, (unsigned long long)dim,
	       argc - optind == 1 ? " " : "",
	       argc - optind == 1 ? argv[optind] : "");
	return 0;
}
