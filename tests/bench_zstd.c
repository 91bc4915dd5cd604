/*
 * bench_zstd.c - the zstd transport form against the zstd command.
 *
 *   embmap-bench-zstd DIR [LEVEL...]
 *
 * For float32, float16 and bfloat16 tables shaped like GPT-2's (50,257 x
 * 768, normal(0, 0.02) values, a vocabulary), written with the library's
 * writer into DIR: the transport file's size and ratio with and without
 * the shuffle filter, compress and unpack throughput on 1 and 2 threads,
 * and, on the same plain file in the same run, the zstd command at the
 * same level (zstd -T1 and -T2, zstd -d). Levels default to 1, the
 * library's default; ZSTD_RUNS sets the runs per median (default 3).
 *
 * Aims, printed as "ok" or MISSED (never a failure): the transport file is
 * smaller than zstd's at the same level, and unpack on 2 threads is at
 * least as fast as zstd -d of the same plain bytes. Throughput is plain
 * megabytes (10^6 bytes) a second, outputs written to DIR without fsync
 * (the zstd command does not sync either).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "embmap.h"

#define ROWS 50257u
#define DIM 768u
#define MAX_RUNS 15

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-zstd: %s: %s\n", what, embmap_errmsg());
	exit(1);
}

/* xorshift64 and Box-Muller: normal(0, 0.02), the same every run. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static void make_table(const char *path, int dtype)
{
	struct embmap_writer_options o = {.flags = EMBMAP_WRITE_NO_SYNC};
	enum { CHUNK = 256 };
	float *rows = malloc(sizeof *rows * CHUNK * DIM);
	embmap_writer *w;
	char tok[32];

	rng = 0x9E3779B97F4A7C15ull;
	if (!rows || embmap_writer_open(path, DIM, dtype, &o, &w))
		die("writer");
	for (uint32_t r = 0; r < ROWS; r += CHUNK) {
		uint32_t n = ROWS - r < CHUNK ? ROWS - r : CHUNK;

		for (uint32_t i = 0; i < n * DIM; i++) {
			double a = uniform(), b = uniform();

			rows[i] = (float)(0.02 * sqrt(-2 * log(a)) *
					  cos(6.283185307179586 * b));
		}
		if (embmap_writer_add_rows_f32(w, rows, n, 0))
			die("add rows");
	}
	for (uint32_t t = 0; t < ROWS; t++) {
		int n = snprintf(tok, sizeof tok, "tok%u", t);

		if (embmap_writer_add_token(w, tok, (size_t)n))
			die("add token");
	}
	if (embmap_writer_finish(w))
		die("finish");
	free(rows);
}

/* Run argv; the seconds it took, or -1 when it failed to run. */
static double run_cmd(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	double t0 = now();
	pid_t pid;
	int st, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return now() - t0;
}

static int have_zstd(void)
{
	char *argv[] = {"zstd", "-q", "-V", NULL};

	return run_cmd(argv) >= 0;
}

struct result {
	double ours1, ours2, zstd1, zstd2; /* compress MB/s */
	double un1, un2, zd;		   /* decompress MB/s */
	double ratio, ratio_raw, ratio_zstd;
};

static double mbs(uint64_t bytes, double s)
{
	return s > 0 ? (double)bytes / 1e6 / s : 0;
}

static double time_compress(const char *plain, const char *out, int level,
			    unsigned threads, unsigned flags, int runs)
{
	struct embmap_zstd_options o = {.level = level,
					.threads = threads,
					.flags = EMBMAP_WRITE_NO_SYNC | flags};
	double t[MAX_RUNS];

	for (int i = 0; i < runs; i++) {
		double t0 = now();

		if (embmap_compress(plain, out, &o))
			die("compress");
		t[i] = now() - t0;
	}
	return median(t, runs);
}

static double time_unpack(const char *z, const char *out, unsigned threads,
			  int runs)
{
	struct embmap_zstd_options o = {.threads = threads,
					.flags = EMBMAP_WRITE_NO_SYNC};
	double t[MAX_RUNS];

	for (int i = 0; i < runs; i++) {
		double t0 = now();

		if (embmap_unpack(z, out, &o))
			die("unpack");
		t[i] = now() - t0;
	}
	return median(t, runs);
}

/* zstd -LEVEL -TN, and zstd -d; 0 when the command is missing. */
static double time_zstd(char *const argv[], int runs)
{
	double t[MAX_RUNS];

	for (int i = 0; i < runs; i++)
		if ((t[i] = run_cmd(argv)) < 0)
			return 0;
	return median(t, runs);
}

static void bench_one(const char *dir, const char *name, int dtype,
		      const int *levels, int nlevels, int runs, int zstd_ok)
{
	char plain[4096], z[4096], back[4096], zst[4096], dec[4096];
	char lv[16], *argv[10];
	uint64_t size;

	snprintf(plain, sizeof plain, "%s/%s.embmap", dir, name);
	snprintf(z, sizeof z, "%s/%s.embmap.zst", dir, name);
	snprintf(back, sizeof back, "%s/%s.back.embmap", dir, name);
	snprintf(zst, sizeof zst, "%s/%s.embmap.cli.zst", dir, name);
	snprintf(dec, sizeof dec, "%s/%s.cli.embmap", dir, name);
	make_table(plain, dtype);
	size = file_size(plain);

	for (int l = 0; l < nlevels; l++) {
		struct result r = {0};

		time_compress(plain, z, levels[l], 1, EMBMAP_ZSTD_NO_SHUFFLE,
			      1);
		r.ratio_raw = (double)size / (double)file_size(z);
		r.ours1 = mbs(size,
			      time_compress(plain, z, levels[l], 1, 0, runs));
		r.ours2 = mbs(size,
			      time_compress(plain, z, levels[l], 2, 0, runs));
		r.ratio = (double)size / (double)file_size(z);
		r.un1 = mbs(size, time_unpack(z, back, 1, runs));
		r.un2 = mbs(size, time_unpack(z, back, 2, runs));
		if (zstd_ok) {
			snprintf(lv, sizeof lv, "-%d", levels[l]);
			argv[0] = "zstd";
			argv[1] = lv;
			argv[2] = "-T1";
			argv[3] = "-q";
			argv[4] = "-f";
			argv[5] = plain;
			argv[6] = "-o";
			argv[7] = zst;
			argv[8] = NULL;
			r.zstd1 = mbs(size, time_zstd(argv, runs));
			argv[2] = "-T2";
			r.zstd2 = mbs(size, time_zstd(argv, runs));
			r.ratio_zstd = (double)size / (double)file_size(zst);
			argv[1] = "-d";
			argv[2] = "-q";
			argv[3] = "-f";
			argv[4] = zst;
			argv[5] = "-o";
			argv[6] = dec;
			argv[7] = NULL;
			r.zd = mbs(size, time_zstd(argv, runs));
		}
		printf("%-5s %2d %7.1f | %6.3f %6.3f %6.3f | %6.0f %6.0f %6.0f "
		       "%6.0f | %6.0f %6.0f %6.0f | %-6s %-6s\n",
		       name, levels[l], (double)size / 1e6, r.ratio_zstd,
		       r.ratio_raw, r.ratio, r.zstd1, r.zstd2, r.ours1, r.ours2,
		       r.zd, r.un1, r.un2,
		       !zstd_ok			? "n/a"
		       : r.ratio > r.ratio_zstd ? "ok"
						: "MISSED",
		       !zstd_ok	       ? "n/a"
		       : r.un2 >= r.zd ? "ok"
				       : "MISSED");
		fflush(stdout);
	}
	unlink(plain);
	unlink(z);
	unlink(back);
	unlink(zst);
	unlink(dec);
}

int main(int argc, char **argv)
{
	int levels[16], nlevels = 0, runs = 3, zstd_ok;
	const char *env = getenv("ZSTD_RUNS");

	if (argc < 2) {
		fprintf(stderr, "usage: embmap-bench-zstd DIR [LEVEL...]\n");
		return 2;
	}
	if (env && atoi(env) > 0)
		runs = atoi(env) > MAX_RUNS ? MAX_RUNS : atoi(env);
	for (int i = 2; i < argc && nlevels < 16; i++)
		if (atoi(argv[i]) >= 1 && atoi(argv[i]) <= 19)
			levels[nlevels++] = atoi(argv[i]);
	if (!nlevels)
		levels[nlevels++] = EMBMAP_ZSTD_LEVEL_DEFAULT;
	if (mkdir(argv[1], 0777) != 0 && errno != EEXIST) {
		perror(argv[1]);
		return 2;
	}
	zstd_ok = have_zstd();
	printf("\nzstd transport form: %u x %u tables, normal(0, 0.02); "
	       "medians of %d runs\n",
	       ROWS, DIM, runs);
	if (!zstd_ok)
		printf("(the zstd command is missing: no comparison; "
		       "scripts/deps installs it)\n");
	printf("ratio: plain size / compressed size; speed: plain MB/s. "
	       "raw = embmap without the shuffle filter\n");
	printf("%-5s %2s %7s | %6s %6s %6s | %6s %6s %6s %6s | %6s %6s %6s | "
	       "%-6s %-6s\n",
	       "dtype", "lv", "MB", "zstd", "raw", "embmap", "zstdT1", "zstdT2",
	       "comp1", "comp2", "zstd-d", "unpk1", "unpk2", "size", "unpack");
	bench_one(argv[1], "f32", EMBMAP_DTYPE_F32, levels, nlevels, runs,
		  zstd_ok);
	bench_one(argv[1], "f16", EMBMAP_DTYPE_F16, levels, nlevels, runs,
		  zstd_ok);
	bench_one(argv[1], "bf16", EMBMAP_DTYPE_BF16, levels, nlevels, runs,
		  zstd_ok);
	return 0;
}
