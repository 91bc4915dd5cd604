/*
 * writer.c - stream a table into a new file.
 *
 * Rows go straight to the file through a small buffer, hashed on the way
 * (block sums and content hash), so memory stays bounded by the vocabulary
 * and one checksum per block, never the matrix. The file is created
 * unnamed (O_TMPFILE) where the file system allows, so a killed writer
 * leaves nothing behind; elsewhere under a temporary name beside the
 * destination. Either way the destination appears only by rename(), whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#endif

#include "internal.h"

#define OUTBUF_SIZE (1u << 20)

/* A growable array of bytes. */
struct bytes {
	uint8_t *p;
	size_t len, cap;
};

struct meta_kv {
	char *key, *value;
};

struct embmap_writer {
	char *path;	/* destination */
	char *tmp_path; /* named temporary, NULL while unnamed */
	char *dir;	/* destination's directory, for fsync */
	int fd;
	unsigned flags;

	uint32_t dim, block_rows, alignment;
	int dtype;
	uint64_t stride, rows;

	uint8_t *out; /* write buffer, flushed at file offset pos */
	size_t out_len;
	uint64_t pos;

	XXH3_state_t *block; /* the current, unfinished block */
	XXH3_state_t *content;
	uint64_t block_fill; /* rows in the current block */
	struct bytes sums;   /* u64 per finished block */
	struct bytes scales; /* f32 per row, i8 only */

	struct bytes tok_bytes;	  /* tokens, each with its NUL */
	struct bytes tok_offsets; /* u64 x (tokens + 1) */
	uint64_t tokens, shadowed;
	struct embmap_format_slot *slots;
	uint64_t buckets;

	struct meta_kv *meta;
	size_t meta_len, meta_cap;
};

static int grow(struct bytes *b, size_t add)
{
	size_t need, cap;
	uint8_t *p;

	if (__builtin_add_overflow(b->len, add, &need))
		return emb_fail(EMBMAP_ENOMEM, "writer: buffer size overflow");
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		if (__builtin_mul_overflow(cap, 2, &cap))
			return emb_fail(EMBMAP_ENOMEM, "writer: buffer size "
						       "overflow");
	p = realloc(b->p, cap);
	if (!p)
		return emb_fail(EMBMAP_ENOMEM,
				"writer: cannot grow a buffer "
				"to %zu bytes",
				cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

static int append(struct bytes *b, const void *p, size_t n)
{
	int rc = grow(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int io_fail(struct embmap_writer *w, const char *what)
{
	return emb_fail(EMBMAP_EIO, "%s %s: %s", what, w->path,
			strerror(errno));
}

/* Shared with zstd.c (internal.h), as are the temporary file helpers. */
int emb_pwrite_all(int fd, const void *data, size_t n, uint64_t at,
		   const char *path)
{
	const uint8_t *p = data;

	while (n) {
		ssize_t k = pwrite(fd, p, n, (off_t)at);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = ENOSPC;
			return emb_fail(EMBMAP_EIO, "write %s: %s", path,
					strerror(errno));
		}
		p += k;
		n -= (size_t)k;
		at += (uint64_t)k;
	}
	return 0;
}

static int write_all(struct embmap_writer *w, const uint8_t *p, size_t n,
		     uint64_t at)
{
	return emb_pwrite_all(w->fd, p, n, at, w->path);
}

static int flush(struct embmap_writer *w)
{
	int rc = write_all(w, w->out, w->out_len, w->pos - w->out_len);

	w->out_len = 0;
	return rc;
}

/* Buffered sequential output at w->pos. */
static int emit(struct embmap_writer *w, const void *data, size_t n)
{
	const uint8_t *p = data;
	int rc;

	while (n) {
		size_t k = OUTBUF_SIZE - w->out_len;

		if (k > n)
			k = n;
		memcpy(w->out + w->out_len, p, k);
		w->out_len += k;
		w->pos += k;
		p += k;
		n -= k;
		if (w->out_len == OUTBUF_SIZE && (rc = flush(w)) != 0)
			return rc;
	}
	return 0;
}

static int emit_zeros(struct embmap_writer *w, uint64_t n)
{
	static const uint8_t zero[256];
	int rc = 0;

	while (n && rc == 0) {
		size_t k = n < sizeof zero ? (size_t)n : sizeof zero;

		rc = emit(w, zero, k);
		n -= k;
	}
	return rc;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

char *emb_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return dup_str(".");
	if (slash == path)
		return dup_str("/");
	d = malloc((size_t)(slash - path) + 1);
	if (d) {
		memcpy(d, path, (size_t)(slash - path));
		d[slash - path] = 0;
	}
	return d;
}

/* Create the file unnamed where possible, else under a unique name. */
/* Unique within the process (counter) and among processes (pid). */
static void temp_name(char *buf, size_t n, const char *path)
{
	static unsigned counter;

	snprintf(buf, n, "%s.tmp-%ld-%u", path, (long)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
}

int emb_temp_create(const char *path, const char *dir, int *fd, char **tmp_path)
{
	size_t n = strlen(path) + 64;

#ifdef O_TMPFILE
	*fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	if (*fd >= 0)
		return 0;
#endif
	*tmp_path = malloc(n);
	if (!*tmp_path)
		return emb_fail(EMBMAP_ENOMEM, "writer: path");
	for (int tries = 0; tries < 100; tries++) {
		temp_name(*tmp_path, n, path);
		*fd = open(*tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			   0666);
		if (*fd >= 0 || errno != EEXIST)
			break;
	}
	if (*fd < 0)
		return emb_fail(EMBMAP_EIO, "create %s: %s", *tmp_path,
				strerror(errno));
	return 0;
}

static void writer_free(struct embmap_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp_path)
		unlink(w->tmp_path);
	XXH3_freeState(w->block);
	XXH3_freeState(w->content);
	for (size_t i = 0; i < w->meta_len; i++) {
		free(w->meta[i].key);
		free(w->meta[i].value);
	}
	free(w->meta);
	free(w->slots);
	free(w->tok_bytes.p);
	free(w->tok_offsets.p);
	free(w->sums.p);
	free(w->scales.p);
	free(w->out);
	free(w->dir);
	free(w->tmp_path);
	free(w->path);
	free(w);
}

static int check_options(uint32_t dim, int dtype,
			 const struct embmap_writer_options *o)
{
	if (dim == 0 || dim > EMBMAP_MAX_DIM)
		return emb_fail(EMBMAP_EINVAL, "dim %u outside 1..%u", dim,
				EMBMAP_MAX_DIM);
	if (embmap_dtype_size(dtype) == 0)
		return emb_fail(EMBMAP_EDTYPE, "dtype %d is not one of 1..4",
				dtype);
	if (!o)
		return 0;
	if (o->alignment && (o->alignment < EMBMAP_ALIGN_MIN ||
			     o->alignment > EMBMAP_ALIGN_MAX ||
			     (o->alignment & (o->alignment - 1))))
		return emb_fail(EMBMAP_EINVAL,
				"alignment %u is not a power of"
				" two in %u..%u",
				o->alignment, EMBMAP_ALIGN_MIN,
				EMBMAP_ALIGN_MAX);
	if (o->block_rows > EMBMAP_MAX_BLOCK_ROWS)
		return emb_fail(EMBMAP_EINVAL, "block_rows %u above %u",
				o->block_rows, EMBMAP_MAX_BLOCK_ROWS);
	if (o->flags & ~(EMBMAP_WRITE_SHADOW_DUPLICATES | EMBMAP_WRITE_NO_SYNC))
		return emb_fail(EMBMAP_EINVAL, "unknown writer flags 0x%x",
				o->flags);
	return 0;
}

int embmap_writer_open(const char *path, uint32_t dim, int dtype,
		       const struct embmap_writer_options *opts,
		       embmap_writer **out)
{
	struct embmap_writer *w;
	uint64_t zero = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !path || !*path)
		return emb_fail(EMBMAP_EINVAL,
				"embmap_writer_open: %s is NULL"
				" or empty",
				out ? "path" : "out");
	if ((rc = check_options(dim, dtype, opts)) != 0)
		return rc;
	w = calloc(1, sizeof *w);
	if (!w)
		return emb_fail(EMBMAP_ENOMEM, "writer: handle");
	w->fd = -1;
	w->dim = dim;
	w->dtype = dtype;
	w->stride = (uint64_t)dim * embmap_dtype_size(dtype);
	w->alignment = opts && opts->alignment ? opts->alignment
					       : EMBMAP_ALIGN_DEFAULT;
	w->block_rows = opts && opts->block_rows
				? opts->block_rows
				: emb_default_block_rows(w->stride);
	w->flags = opts ? opts->flags : 0;
	w->path = dup_str(path);
	w->dir = emb_dir_of(path);
	w->out = malloc(OUTBUF_SIZE);
	w->block = XXH3_createState();
	w->content = XXH3_createState();
	if (!w->path || !w->dir || !w->out || !w->block || !w->content) {
		writer_free(w);
		return emb_fail(EMBMAP_ENOMEM, "writer: buffers");
	}
	XXH3_64bits_reset(w->block);
	XXH3_128bits_reset(w->content);
	if ((rc = append(&w->tok_offsets, &zero, 8)) != 0 ||
	    (rc = emb_temp_create(w->path, w->dir, &w->fd, &w->tmp_path)) !=
		    0) {
		writer_free(w);
		return rc;
	}
	w->pos = w->alignment; /* header and directory are written last */
	*out = w;
	return 0;
}

static int end_block(struct embmap_writer *w)
{
	uint64_t sum = XXH3_64bits_digest(w->block);

	XXH3_64bits_reset(w->block);
	w->block_fill = 0;
	return append(&w->sums, &sum, 8);
}

static int put_rows(struct embmap_writer *w, const uint8_t *p, uint64_t n)
{
	int rc;

	if (w->rows + n > EMBMAP_MAX_ROWS || w->rows + n < w->rows)
		return emb_fail(EMBMAP_EINVAL,
				"writer: %llu + %llu rows "
				"exceed the limit of %llu",
				(unsigned long long)w->rows,
				(unsigned long long)n,
				(unsigned long long)EMBMAP_MAX_ROWS);
	while (n) {
		uint64_t k = w->block_rows - w->block_fill;
		size_t len;

		if (k > n)
			k = n;
		len = (size_t)(k * w->stride);
		emb_hash_rows(p, k, w->stride, w->block, w->content);
		if ((rc = emit(w, p, len)) != 0)
			return rc;
		w->block_fill += k;
		w->rows += k;
		p += len;
		n -= k;
		if (w->block_fill == w->block_rows && (rc = end_block(w)))
			return rc;
	}
	return 0;
}

int embmap_writer_add_rows(embmap_writer *w, const void *data, uint64_t n)
{
	if (!w || (!data && n))
		return emb_fail(EMBMAP_EINVAL, "embmap_writer_add_rows: NULL "
					       "argument");
	if (w->dtype == EMBMAP_DTYPE_I8)
		return emb_fail(
			EMBMAP_ESTATE,
			"an i8 writer takes rows through"
			" embmap_writer_add_rows_i8 (they need scales)");
	return put_rows(w, data, n);
}

int embmap_writer_add_rows_i8(embmap_writer *w, const int8_t *q,
			      const float *scales, uint64_t n)
{
	if (!w || ((!q || !scales) && n))
		return emb_fail(EMBMAP_EINVAL, "embmap_writer_add_rows_i8: "
					       "NULL argument");
	if (w->dtype != EMBMAP_DTYPE_I8)
		return emb_fail(EMBMAP_ESTATE,
				"writer of dtype %s given i8 "
				"rows",
				embmap_dtype_name(w->dtype));
	for (uint64_t i = 0; i < n; i++)
		if (!(scales[i] >= 0 && scales[i] <= FLT_MAX) ||
		    signbit(scales[i]))
			return emb_fail(EMBMAP_EDTYPE,
					"row %llu: scale %g is "
					"not finite and >= 0",
					(unsigned long long)(w->rows + i),
					(double)scales[i]);
	for (uint64_t i = 0; i < n * w->dim; i++)
		if (q[i] == -128)
			return emb_fail(
				EMBMAP_EDTYPE,
				"row %llu: q = -128, "
				"outside -127..127",
				(unsigned long long)(w->rows + i / w->dim));
	int rc = append(&w->scales, scales, (size_t)n * 4);

	return rc ? rc : put_rows(w, (const uint8_t *)q, n);
}

/* Insert id into the slot table; return the earlier equal id, or -1. */
static int64_t slot_insert(struct embmap_writer *w, uint64_t id, uint64_t h)
{
	uint64_t mask = w->buckets - 1, i = h & mask;
	const uint64_t *off = (const uint64_t *)(void *)w->tok_offsets.p;
	size_t len = (size_t)(off[id + 1] - off[id]);

	for (;; i = (i + 1) & mask) {
		struct embmap_format_slot *s = &w->slots[i];
		uint64_t o;

		if (s->id == EMBMAP_SLOT_EMPTY) {
			s->hash = h;
			s->id = id;
			return -1;
		}
		o = off[s->id];
		if (s->hash == h && off[s->id + 1] - o == len &&
		    memcmp(w->tok_bytes.p + o, w->tok_bytes.p + off[id], len) ==
			    0)
			return (int64_t)s->id;
	}
}

/*
 * Rebuild the table at the size the token count asks for, inserting ids in
 * order: the canonical index is a function of the tokens alone.
 */
static int slots_resize(struct embmap_writer *w, uint64_t buckets)
{
	const uint64_t *off = (const uint64_t *)(void *)w->tok_offsets.p;
	struct embmap_format_slot *s = malloc(buckets * sizeof *s);

	if (!s)
		return emb_fail(EMBMAP_ENOMEM,
				"writer: token index of %llu "
				"slots",
				(unsigned long long)buckets);
	for (uint64_t i = 0; i < buckets; i++) {
		s[i].hash = 0;
		s[i].id = EMBMAP_SLOT_EMPTY;
	}
	free(w->slots);
	w->slots = s;
	w->buckets = buckets;
	for (uint64_t id = 0; id < w->tokens; id++)
		slot_insert(w, id,
			    emb_hash64(w->tok_bytes.p + off[id],
				       off[id + 1] - off[id] - 1));
	return 0;
}

static void excerpt(char *buf, size_t size, const char *tok, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)tok[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o < size ? o : size - 1] = 0;
}

int embmap_writer_add_token(embmap_writer *w, const char *token, size_t len)
{
	static const uint8_t nul;
	uint64_t id, end, h;
	int64_t prev;
	char ex[96];
	int rc;

	if (!w || (!token && len))
		return emb_fail(EMBMAP_EINVAL, "embmap_writer_add_token: NULL "
					       "argument");
	id = w->tokens;
	if ((id + 1) * 2 > w->buckets &&
	    (rc = slots_resize(w, emb_index_buckets(id + 1))) != 0)
		return rc;
	if ((rc = append(&w->tok_bytes, token, len)) != 0 ||
	    (rc = append(&w->tok_bytes, &nul, 1)) != 0)
		return rc;
	end = w->tok_bytes.len;
	if ((rc = append(&w->tok_offsets, &end, 8)) != 0) {
		w->tok_bytes.len -= len + 1;
		return rc;
	}
	h = emb_hash64(token, len);
	prev = slot_insert(w, id, h);
	if (prev >= 0 && !(w->flags & EMBMAP_WRITE_SHADOW_DUPLICATES)) {
		w->tok_bytes.len -= len + 1;
		w->tok_offsets.len -= 8;
		excerpt(ex, sizeof ex, token, len);
		return emb_fail(EMBMAP_EDUPLICATE,
				"token %llu \"%s\" "
				"duplicates token %lld",
				(unsigned long long)id, ex, (long long)prev);
	}
	w->shadowed += prev >= 0;
	w->tokens++;
	return 0;
}

uint64_t embmap_writer_shadowed(const embmap_writer *w)
{
	return w->shadowed;
}

int emb_writer_dtype(const embmap_writer *w)
{
	return w->dtype;
}

uint32_t emb_writer_dim(const embmap_writer *w)
{
	return w->dim;
}

uint64_t embmap_writer_rows(const embmap_writer *w)
{
	return w->rows;
}

uint64_t embmap_writer_tokens(const embmap_writer *w)
{
	return w->tokens;
}

int embmap_writer_set_meta(embmap_writer *w, const char *key, const char *value)
{
	size_t klen, i;
	char *v;

	if (!w || !key || !value)
		return emb_fail(EMBMAP_EINVAL, "embmap_writer_set_meta: NULL "
					       "argument");
	klen = strlen(key);
	if (klen == 0 || klen > EMBMAP_MAX_META_KEY)
		return emb_fail(EMBMAP_EINVAL,
				"metadata key of %zu bytes, "
				"allowed 1..%u",
				klen, EMBMAP_MAX_META_KEY);
	if (strlen(value) > EMBMAP_MAX_META_VALUE)
		return emb_fail(EMBMAP_EINVAL,
				"metadata value for \"%s\" is "
				"%zu bytes, limit %u",
				key, strlen(value), EMBMAP_MAX_META_VALUE);
	if (!(v = dup_str(value)))
		return emb_fail(EMBMAP_ENOMEM, "writer: metadata");
	for (i = 0; i < w->meta_len; i++)
		if (strcmp(w->meta[i].key, key) == 0) {
			free(w->meta[i].value);
			w->meta[i].value = v;
			return 0;
		}
	if (w->meta_len == w->meta_cap) {
		size_t cap = w->meta_cap ? w->meta_cap * 2 : 8;
		struct meta_kv *m = realloc(w->meta, cap * sizeof *m);

		if (!m) {
			free(v);
			return emb_fail(EMBMAP_ENOMEM, "writer: metadata");
		}
		w->meta = m;
		w->meta_cap = cap;
	}
	w->meta[w->meta_len].value = v;
	if (!(w->meta[w->meta_len].key = dup_str(key))) {
		free(v);
		return emb_fail(EMBMAP_ENOMEM, "writer: metadata");
	}
	w->meta_len++;
	return 0;
}

static int cmp_meta(const void *a, const void *b)
{
	return strcmp(((const struct meta_kv *)a)->key,
		      ((const struct meta_kv *)b)->key);
}

static int encode_meta(struct embmap_writer *w, struct bytes *m)
{
	int rc = 0;

	qsort(w->meta, w->meta_len, sizeof *w->meta, cmp_meta);
	for (size_t i = 0; i < w->meta_len && rc == 0; i++) {
		uint32_t lens[2] = {(uint32_t)strlen(w->meta[i].key),
				    (uint32_t)strlen(w->meta[i].value)};

		if ((rc = append(m, lens, 8)) == 0 &&
		    (rc = append(m, w->meta[i].key, lens[0] + 1)) == 0)
			rc = append(m, w->meta[i].value, lens[1] + 1);
	}
	return rc;
}

/* Emit one trailing section and describe it in dir[*n]. */
static int put_section(struct embmap_writer *w,
		       struct embmap_format_section *dir, uint32_t *n,
		       uint32_t kind, const void *p, uint64_t len,
		       uint64_t count)
{
	struct embmap_format_section *s = &dir[(*n)++];
	int rc;

	if ((rc = emit_zeros(w, emb_align_up(w->pos, EMBMAP_SECTION_ALIGN) -
					w->pos)) != 0)
		return rc;
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->offset = w->pos;
	s->length = len;
	s->checksum = emb_hash64(p, (size_t)len);
	s->count = count;
	return emit(w, p, (size_t)len);
}

static int write_sections(struct embmap_writer *w,
			  struct embmap_format_section *dir, uint32_t *n)
{
	struct bytes meta = {0};
	int rc;

	memset(&dir[0], 0, sizeof dir[0]);
	dir[0].kind = EMBMAP_SEC_MATRIX;
	dir[0].offset = w->alignment;
	dir[0].length = w->rows * w->stride;
	dir[0].count = w->rows;
	*n = 1;
	rc = put_section(w, dir, n, EMBMAP_SEC_BLOCK_SUMS, w->sums.p,
			 w->sums.len, w->sums.len / 8);
	if (rc == 0 && w->dtype == EMBMAP_DTYPE_I8)
		rc = put_section(w, dir, n, EMBMAP_SEC_SCALES, w->scales.p,
				 w->scales.len, w->rows);
	if (rc == 0 && w->meta_len && (rc = encode_meta(w, &meta)) == 0)
		rc = put_section(w, dir, n, EMBMAP_SEC_META, meta.p, meta.len,
				 w->meta_len);
	free(meta.p);
	if (rc || w->tokens == 0)
		return rc;
	if ((rc = put_section(w, dir, n, EMBMAP_SEC_TOKEN_OFFSETS,
			      w->tok_offsets.p, w->tok_offsets.len,
			      w->tokens + 1)) != 0 ||
	    (rc = put_section(w, dir, n, EMBMAP_SEC_TOKEN_BYTES, w->tok_bytes.p,
			      w->tok_bytes.len, w->tok_bytes.len)) != 0)
		return rc;
	return put_section(w, dir, n, EMBMAP_SEC_TOKEN_INDEX, w->slots,
			   w->buckets * sizeof *w->slots, w->buckets);
}

static void fill_header(struct embmap_writer *w, struct embmap_format_header *h,
			const struct embmap_format_section *dir, uint32_t n)
{
	struct embmap_format_content_trailer tr = {
		.rows = w->rows,
		.dim = w->dim,
		.dtype = (uint32_t)w->dtype,
		.token_count = w->tokens,
	};
	XXH128_canonical_t c;

	if (w->scales.len)
		XXH3_128bits_update(w->content, w->scales.p, w->scales.len);
	if (w->tokens) {
		XXH3_128bits_update(w->content, w->tok_offsets.p,
				    w->tok_offsets.len);
		XXH3_128bits_update(w->content, w->tok_bytes.p,
				    w->tok_bytes.len);
	}
	XXH3_128bits_update(w->content, &tr, sizeof tr);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(w->content));

	memset(h, 0, sizeof *h);
	memcpy(h->magic, EMBMAP_MAGIC, EMBMAP_MAGIC_SIZE);
	h->byte_order = EMBMAP_BYTE_ORDER_MARK;
	h->version_major = EMBMAP_FORMAT_MAJOR;
	h->version_minor = EMBMAP_FORMAT_MINOR;
	h->header_size = EMBMAP_HEADER_SIZE;
	h->section_count = n;
	h->file_size = w->pos;
	h->rows = w->rows;
	h->dim = w->dim;
	h->dtype = (uint32_t)w->dtype;
	h->row_stride = w->stride;
	h->token_count = w->tokens;
	h->alignment = w->alignment;
	h->block_rows = w->block_rows;
	memcpy(h->content_hash, c.digest, 16);
	h->directory_checksum = emb_hash64(dir, (size_t)n * sizeof *dir);
	h->header_checksum = emb_hash64(h, EMBMAP_HEADER_HASHED);
}

int emb_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return emb_fail(EMBMAP_EIO, "open directory %s: %s", dir,
				strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = emb_fail(EMBMAP_EIO, "fsync directory %s: %s", dir,
			      strerror(errno));
	close(fd);
	return rc;
}

/* Give the finished file its name: link the unnamed file, or rename. */
int emb_temp_publish(const char *path, int fd, char **tmp_path)
{
	if (!*tmp_path) {
		char proc[64];
		size_t n = strlen(path) + 64;
		int rc = -1;

		if (!(*tmp_path = malloc(n)))
			return emb_fail(EMBMAP_ENOMEM, "writer: path");
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		/* A name in use is someone else's file: take the next one. */
		for (int tries = 0; tries < 100 && rc != 0; tries++) {
			temp_name(*tmp_path, n, path);
			rc = linkat(AT_FDCWD, proc, AT_FDCWD, *tmp_path,
				    AT_SYMLINK_FOLLOW);
			if (rc != 0 && errno != EEXIST)
				break;
		}
		if (rc != 0) {
			int e = errno;

			free(*tmp_path);
			*tmp_path = NULL;
			return emb_fail(EMBMAP_EIO,
					"link the new file as %s: %s", path,
					strerror(e));
		}
	}
	if (rename(*tmp_path, path) != 0)
		return emb_fail(EMBMAP_EIO, "rename into place %s: %s", path,
				strerror(errno));
	free(*tmp_path);
	*tmp_path = NULL;
	return 0;
}

static int finish(struct embmap_writer *w)
{
	struct embmap_format_section dir[EMBMAP_MAX_SECTIONS];
	struct embmap_format_header h;
	uint8_t page[EMBMAP_ALIGN_MIN] = {0};
	uint32_t n;
	int rc;

	if (w->rows == 0)
		return emb_fail(EMBMAP_ESTATE, "no rows were added");
	if (w->tokens > w->rows)
		return emb_fail(EMBMAP_ESTATE,
				"%llu tokens for %llu rows: each "
				"token names a row",
				(unsigned long long)w->tokens,
				(unsigned long long)w->rows);
	if (w->block_fill && (rc = end_block(w)) != 0)
		return rc;
	if (w->tokens && w->buckets != emb_index_buckets(w->tokens) &&
	    (rc = slots_resize(w, emb_index_buckets(w->tokens))) != 0)
		return rc;
	if ((rc = write_sections(w, dir, &n)) != 0 || (rc = flush(w)) != 0)
		return rc;

	fill_header(w, &h, dir, n);
	memcpy(page, &h, sizeof h);
	memcpy(page + EMBMAP_HEADER_SIZE, dir, (size_t)n * sizeof *dir);
	if ((rc = write_all(w, page, sizeof page, 0)) != 0)
		return rc;
	/* The gap up to a larger alignment stays a hole: it reads as zero. */
	if (ftruncate(w->fd, (off_t)w->pos) != 0)
		return io_fail(w, "truncate");
	if (!(w->flags & EMBMAP_WRITE_NO_SYNC) && fsync(w->fd) != 0)
		return io_fail(w, "fsync");
	if ((rc = emb_temp_publish(w->path, w->fd, &w->tmp_path)) != 0)
		return rc;
	if (!(w->flags & EMBMAP_WRITE_NO_SYNC))
		return emb_sync_dir(w->dir);
	return 0;
}

int embmap_writer_finish(embmap_writer *w)
{
	int rc;

	if (!w)
		return emb_fail(EMBMAP_EINVAL, "embmap_writer_finish: NULL");
	rc = finish(w);
	writer_free(w);
	return rc;
}

void embmap_writer_abort(embmap_writer *w)
{
	if (w)
		writer_free(w);
}
