/*
 * cli.c - diagnostics, input mapping, progress and vocabulary lists shared
 * by the subcommands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void diag(const char *file, const char *fmt, ...)
{
	va_list ap;

	fputs("embmap: ", stderr);
	if (file)
		fprintf(stderr, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int exit_for(int code)
{
	switch (code) {
	case EMBMAP_EMAGIC:
	case EMBMAP_EVERSION:
	case EMBMAP_ETRUNCATED:
	case EMBMAP_ECORRUPT:
	case EMBMAP_ECHECKSUM:
	case EMBMAP_EDUPLICATE:
	case EMBMAP_EDTYPE: return EXIT_INVALID;
	default: return EXIT_USAGE;
	}
}

int diag_lib(const char *file, int code)
{
	const char *detail = embmap_errmsg();

	if (detail && *detail)
		diag(file, "%s: %s", embmap_strerror(code), detail);
	else
		diag(file, "%s", embmap_strerror(code));
	return exit_for(code);
}

int usage_text(FILE *to, const char *text, int code)
{
	fputs(text, to);
	return code;
}

int map_input(const char *path, struct mapped *m)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	m->data = NULL;
	m->size = 0;
	if (fd < 0) {
		diag(path, "cannot open: %s", strerror(errno));
		return EXIT_USAGE;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag(path, "not a regular file");
		close(fd);
		return EXIT_USAGE;
	}
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
			       fd, 0);

		if (p == MAP_FAILED) {
			diag(path, "cannot map: %s", strerror(errno));
			close(fd);
			return EXIT_USAGE;
		}
		madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
		m->data = p;
		m->size = (size_t)st.st_size;
	}
	close(fd);
	return EXIT_OK;
}

void unmap_input(struct mapped *m)
{
	if (m->data)
		munmap((void *)(uintptr_t)m->data, m->size);
	m->data = NULL;
	m->size = 0;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(struct progress *p, const char *label, uint64_t total)
{
	p->label = label;
	p->total = total;
	p->start = now_seconds();
	p->last = 0;
	p->shown = 0;
}

void progress_update(struct progress *p, uint64_t done)
{
	double t = now_seconds();
	int width = 40, fill;
	double frac;

	if (p->total == 0 || !isatty(STDERR_FILENO))
		return;
	if (t - p->start < 0.5 || t - p->last < 0.1)
		return;
	p->last = t;
	p->shown = 1;
	frac = (double)done / (double)p->total;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * width);
	fprintf(stderr, "\r%s [%.*s%*s] %3d%%", p->label, fill,
		"########################################", width - fill, "",
		(int)(frac * 100));
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->shown)
		fprintf(stderr, "\r%*s\r", 60 + (int)strlen(p->label), "");
	p->shown = 0;
}

int vocab_add(struct vocab *v, const char *tok, size_t len)
{
	if (v->n + 2 > v->off_cap) {
		uint64_t cap = v->off_cap ? v->off_cap * 2 : 1024;
		uint64_t *o = realloc(v->off, cap * sizeof *o);

		if (!o)
			return -1;
		if (!v->off_cap)
			o[0] = 0;
		v->off = o;
		v->off_cap = cap;
	}
	if (v->len + len > v->cap) {
		size_t cap = v->cap ? v->cap : 65536;
		char *b;

		while (cap < v->len + len)
			cap *= 2;
		b = realloc(v->bytes, cap);
		if (!b)
			return -1;
		v->bytes = b;
		v->cap = cap;
	}
	if (len)
		memcpy(v->bytes + v->len, tok, len);
	v->len += len;
	v->off[++v->n] = v->len;
	return 0;
}

const char *vocab_get(const struct vocab *v, uint64_t i, size_t *len)
{
	if (i >= v->n)
		return NULL;
	*len = (size_t)(v->off[i + 1] - v->off[i]);
	return v->bytes + v->off[i];
}

void vocab_free(struct vocab *v)
{
	free(v->bytes);
	free(v->off);
	memset(v, 0, sizeof *v);
}

int src_fail(struct source *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return code;
}

static char *copy_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

int src_meta(struct source *s, const char *key, const char *value)
{
	if (s->nmeta == SRC_MAX_META)
		return src_fail(s, SRC_ENOMEM, "more than %d metadata entries",
				SRC_MAX_META);
	s->meta_key[s->nmeta] = copy_str(key);
	s->meta_value[s->nmeta] = copy_str(value);
	if (!s->meta_key[s->nmeta] || !s->meta_value[s->nmeta])
		return src_fail(s, SRC_ENOMEM, "out of memory");
	s->nmeta++;
	return 0;
}
