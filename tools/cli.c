/*
 * cli.c - diagnostics, input mapping, progress and vocabulary lists shared
 * by the subcommands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

int path_has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);

	return n > e && strcasecmp(path + n - e, ext) == 0;
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

const char *quote_bytes(char *buf, size_t cap, const char *s, size_t n)
{
	size_t o = 0, limit = cap < 72 ? cap - 8 : 64;

	buf[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 4 > limit || i == 60) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* The directory part of path, "." when it has none; NULL without memory. */
static char *dir_part(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *d;

	if (!slash)
		return copy_str(".");
	n = slash == path ? 1 : (size_t)(slash - path);
	d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = 0;
	}
	return d;
}

static int sync_dir(const char *path)
{
	char *dir = dir_part(path);
	int fd, rc = 0;

	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
		rc = -1;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/*
 * Open the file unnamed where the system allows it (so a killed command
 * leaves nothing behind), else under a unique name beside path. An unnamed
 * file needs /proc/self/fd to be given a name later.
 */
static int open_temp(struct atomic_out *a)
{
	static unsigned counter;
	size_t n = strlen(a->path) + 64;
	int fd = -1;

#ifdef O_TMPFILE
	if (access("/proc/self/fd", X_OK) == 0) {
		char *dir = dir_part(a->path);

		if (!dir)
			return -1;
		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
		free(dir);
		if (fd >= 0)
			return fd;
	}
#endif
	if (!(a->tmp = malloc(n)))
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		snprintf(a->tmp, n, "%s.tmp-%ld-%u", a->path, (long)getpid(),
			 counter++);
		fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;

		free(a->tmp);
		a->tmp = NULL;
		errno = e;
	}
	return fd;
}

int atomic_open(struct atomic_out *a, const char *path)
{
	int fd;

	memset(a, 0, sizeof *a);
	if (!(a->path = copy_str(path))) {
		diag(path, "out of memory");
		return EXIT_USAGE;
	}
	fd = open_temp(a);
	if (fd < 0) {
		diag(path, "cannot create a temporary file beside it: %s",
		     strerror(errno));
		free(a->path);
		a->path = NULL;
		return EXIT_USAGE;
	}
	if (!(a->f = fdopen(fd, "wb"))) {
		diag(path, "cannot open a stream: %s", strerror(errno));
		close(fd);
		atomic_abort(a);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Give an unnamed file a temporary name so that rename can publish it. */
static int name_temp(struct atomic_out *a)
{
	static unsigned counter;
	size_t n = strlen(a->path) + 64;
	char proc[64];

	if (!(a->tmp = malloc(n)))
		return -1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(a->f));
	for (int tries = 0; tries < 100; tries++) {
		snprintf(a->tmp, n, "%s.tmp-%ld-l%u", a->path, (long)getpid(),
			 counter++);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, a->tmp,
			   AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	free(a->tmp);
	a->tmp = NULL;
	return -1;
}

int atomic_commit(struct atomic_out *a)
{
	const char *step = "write";
	int e;

	if (fflush(a->f) != 0 || ferror(a->f))
		goto fail;
	step = "fsync";
	if (fsync(fileno(a->f)) != 0)
		goto fail;
	step = "name the new file";
	if (!a->tmp && name_temp(a) != 0)
		goto fail;
	/* Nothing between link and rename: a kill there leaves the file. */
	step = "rename into place";
	if (rename(a->tmp, a->path) != 0)
		goto fail;
	free(a->tmp);
	a->tmp = NULL;
	step = "close";
	e = fclose(a->f);
	a->f = NULL;
	if (e != 0)
		goto fail;
	step = "fsync the directory";
	if (sync_dir(a->path) != 0)
		goto fail;
	free(a->path);
	a->path = NULL;
	return EXIT_OK;
fail:
	e = errno;
	diag(a->path, "cannot %s: %s", step, strerror(e));
	atomic_abort(a);
	return EXIT_USAGE;
}

void atomic_abort(struct atomic_out *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	memset(a, 0, sizeof *a);
}

const char *src_elem_name(enum src_elem e)
{
	switch (e) {
	case SRC_F32: return "f32";
	case SRC_F16: return "f16";
	case SRC_BF16: return "bf16";
	case SRC_F64: return "f64";
	default: return "unknown";
	}
}

size_t src_elem_size(enum src_elem e)
{
	switch (e) {
	case SRC_F16:
	case SRC_BF16: return 2;
	case SRC_F64: return 8;
	default: return 4;
	}
}

float f16_bits_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
	float f;

	if (exp == 0x1f) {
		bits = sign | 0x7f800000u | man << 13;
	} else if (exp) {
		bits = sign | (exp + 112) << 23 | man << 13;
	} else if (!man) {
		bits = sign;
	} else { /* subnormal: shift the leading 1 into the implicit bit */
		uint32_t e = 113;

		while (!(man & 0x400u)) {
			man <<= 1;
			e--;
		}
		bits = sign | e << 23 | (man & 0x3ffu) << 13;
	}
	memcpy(&f, &bits, 4);
	return f;
}

float bf16_bits_to_f32(uint16_t h)
{
	uint32_t bits = (uint32_t)h << 16;
	float f;

	memcpy(&f, &bits, 4);
	return f;
}

void source_free(struct source *s)
{
	if (s->close)
		s->close(s);
	vocab_free(&s->vocab);
	for (int i = 0; i < s->nmeta; i++) {
		free(s->meta_key[i]);
		free(s->meta_value[i]);
	}
	s->nmeta = 0;
}

int src_exit_code(int code)
{
	return code == SRC_EDATA ? EXIT_INVALID : EXIT_USAGE;
}

int read_head(const char *path, uint8_t *head, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 0;

	*n = 0;
	if (fd < 0) {
		diag(path, "cannot open: %s", strerror(errno));
		return EXIT_USAGE;
	}
	while (*n < 4096 && (r = read(fd, head + *n, 4096 - *n)) > 0)
		*n += (size_t)r;
	if (r < 0) {
		diag(path, "cannot read: %s", strerror(errno));
		close(fd);
		return EXIT_USAGE;
	}
	close(fd);
	return EXIT_OK;
}

int mapped_rows_read(struct source *s, uint64_t n, void *out)
{
	struct mapped_rows *p = s->priv;

	if (n > s->rows - p->next)
		return src_fail(s, SRC_EDATA,
				"read of %llu rows at row %llu passes the last "
				"row",
				(unsigned long long)n,
				(unsigned long long)p->next);
	memcpy(out, p->rows + p->next * p->row_bytes, (size_t)n * p->row_bytes);
	p->next += n;
	return 0;
}

void mapped_rows_close(struct source *s)
{
	struct mapped_rows *p = s->priv;

	if (p) {
		unmap_input(&p->m);
		free(p);
	}
	s->priv = NULL;
}
