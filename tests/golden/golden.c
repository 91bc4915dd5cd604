/*
 * golden.c - build golden files from their descriptions and decode them
 * (see golden.h).
 *
 * The decoding reads the shape through the public API and the fields the
 * API does not expose (checksums, features, block sums, index slots)
 * straight from the bytes as format/embmap_format.h lays them out, so a
 * committed file pins both the bytes and how the library reads them.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embmap.h"
#include "embmap_format.h"
#include "golden.h"

struct blob {
	char *p;
	size_t len;
};

struct desc {
	uint32_t dim;
	int dtype;
	uint32_t alignment, block_rows;
	size_t nrows, ntokens, nmeta;
	float *values; /* nrows x dim, the row lines */
	float *scales; /* nrows; NaN for a row given as floats */
	int8_t *q;     /* nrows x dim, the row_i8 lines */
	struct blob *tokens;
	struct blob *meta; /* key, value pairs */
};

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void *grow(void *p, size_t n, size_t size)
{
	void *q = realloc(p, (n + 1) * size);

	if (!q) {
		fprintf(stderr, "golden: out of memory\n");
		exit(2);
	}
	return q;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A quoted string with C escapes at *s; advances *s past it. */
static int parse_string(const char **s, struct blob *out)
{
	const char *p = skip_space(*s);
	size_t n = 0;
	char *b;

	if (*p++ != '"')
		return -1;
	b = malloc(strlen(p) + 1);
	if (!b)
		return -1;
	while (*p && *p != '"') {
		char c = *p++;

		if (c == '\\') {
			c = *p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = '\0'; break;
			case '\\':
			case '"': break;
			case 'x':
				if (hexval(p[0]) < 0 || hexval(p[1]) < 0) {
					free(b);
					return -1;
				}
				c = (char)(hexval(p[0]) * 16 + hexval(p[1]));
				p += 2;
				break;
			default: free(b); return -1;
			}
		}
		b[n++] = c;
	}
	if (*p != '"') {
		free(b);
		return -1;
	}
	b[n] = 0; /* metadata is passed on as C strings */
	out->p = b;
	out->len = n;
	*s = p + 1;
	return 0;
}

static int parse_uint(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *skip_space(end) || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_dtype(const char *s)
{
	for (int d = 1; d <= 4; d++)
		if (strcmp(s, embmap_dtype_name(d)) == 0)
			return d;
	return 0;
}

/* A row or row_i8 line after its keyword. */
static int parse_row(struct desc *d, const char *s, int i8)
{
	size_t r = d->nrows;
	char *end;

	if (d->dim == 0 || d->dtype == 0 || (i8 && d->dtype != EMBMAP_DTYPE_I8))
		return -1;
	d->values = grow(d->values, (r + 1) * d->dim, sizeof *d->values);
	d->scales = grow(d->scales, r + 1, sizeof *d->scales);
	d->q = grow(d->q, (r + 1) * d->dim, sizeof *d->q);
	d->scales[r] = NAN;
	if (i8) {
		d->scales[r] = strtof(s, &end);
		if (end == s)
			return -1;
		s = end;
	}
	for (uint32_t c = 0; c < d->dim; c++) {
		if (i8) {
			long v = strtol(s, &end, 10);

			if (v < -128 || v > 127)
				return -1;
			d->q[r * d->dim + c] = (int8_t)v;
		} else {
			d->values[r * d->dim + c] = strtof(s, &end);
		}
		if (end == s)
			return -1;
		s = end;
	}
	if (*skip_space(s))
		return -1;
	d->nrows++;
	return 0;
}

static int parse_line(struct desc *d, char *line)
{
	const char *s = skip_space(line);
	const char *arg;
	size_t kw = strcspn(s, " \t");

	arg = skip_space(s + kw);
	if (*s == '#' || *s == 0)
		return 0;
	if (strncmp(s, "dim", kw) == 0 && kw == 3)
		return parse_uint(arg, &d->dim);
	if (strncmp(s, "dtype", kw) == 0 && kw == 5)
		return (d->dtype = parse_dtype(arg)) ? 0 : -1;
	if (strncmp(s, "alignment", kw) == 0 && kw == 9)
		return parse_uint(arg, &d->alignment);
	if (strncmp(s, "block_rows", kw) == 0 && kw == 10)
		return parse_uint(arg, &d->block_rows);
	if (strncmp(s, "row", kw) == 0 && kw == 3)
		return parse_row(d, arg, 0);
	if (strncmp(s, "row_i8", kw) == 0 && kw == 6)
		return parse_row(d, arg, 1);
	if (strncmp(s, "token", kw) == 0 && kw == 5) {
		d->tokens = grow(d->tokens, d->ntokens, sizeof *d->tokens);
		if (parse_string(&arg, &d->tokens[d->ntokens]) != 0 ||
		    *skip_space(arg))
			return -1;
		d->ntokens++;
		return 0;
	}
	if (strncmp(s, "meta", kw) == 0 && kw == 4) {
		d->meta = grow(d->meta, 2 * d->nmeta + 1, sizeof *d->meta);
		if (parse_string(&arg, &d->meta[2 * d->nmeta]) != 0)
			return -1;
		if (parse_string(&arg, &d->meta[2 * d->nmeta + 1]) != 0) {
			free(d->meta[2 * d->nmeta].p);
			return -1;
		}
		d->nmeta++;
		return *skip_space(arg) ? -1 : 0;
	}
	return -1;
}

static void desc_free(struct desc *d)
{
	for (size_t i = 0; i < d->ntokens; i++)
		free(d->tokens[i].p);
	for (size_t i = 0; i < 2 * d->nmeta; i++)
		free(d->meta[i].p);
	free(d->tokens);
	free(d->meta);
	free(d->values);
	free(d->scales);
	free(d->q);
}

static int write_table(const struct desc *d, const char *out, char *err,
		       size_t errlen)
{
	struct embmap_writer_options o = {
		.alignment = d->alignment,
		.block_rows = d->block_rows,
		.flags = EMBMAP_WRITE_NO_SYNC,
	};
	embmap_writer *w = NULL;
	int rc = embmap_writer_open(out, d->dim, d->dtype, &o, &w);

	for (size_t r = 0; r < d->nrows && rc == 0; r++)
		rc = isnan(d->scales[r])
			     ? embmap_writer_add_rows_f32(
				       w, d->values + r * d->dim, 1, 0)
			     : embmap_writer_add_rows_i8(w, d->q + r * d->dim,
							 &d->scales[r], 1);
	for (size_t i = 0; i < d->ntokens && rc == 0; i++)
		rc = embmap_writer_add_token(w, d->tokens[i].p,
					     d->tokens[i].len);
	for (size_t i = 0; i < d->nmeta && rc == 0; i++)
		rc = embmap_writer_set_meta(w, d->meta[2 * i].p,
					    d->meta[2 * i + 1].p);
	if (rc == 0)
		rc = embmap_writer_finish(w);
	else if (w)
		embmap_writer_abort(w);
	if (rc == 0)
		return 0;
	set_err(err, errlen, "%s: %s", out, embmap_errmsg());
	return -1;
}

int golden_build(const char *desc, const char *out, char *err, size_t errlen)
{
	struct desc d = {0};
	FILE *f = fopen(desc, "r");
	char line[4096];
	int lineno = 0, rc = 0;

	if (!f) {
		set_err(err, errlen, "%s: %s", desc, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (parse_line(&d, line) != 0) {
			set_err(err, errlen, "%s:%d: cannot parse \"%.80s\"",
				desc, lineno, line);
			rc = -1;
		}
	}
	fclose(f);
	if (rc == 0 && (d.dim == 0 || d.dtype == 0)) {
		set_err(err, errlen, "%s: dim and dtype are required", desc);
		rc = -1;
	}
	if (rc == 0)
		rc = write_table(&d, out, err, errlen);
	desc_free(&d);
	return rc;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void put_escaped(FILE *o, const char *s, size_t n)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			fputc(c, o);
		else
			fprintf(o, "\\x%02x", c);
	}
	fputc('"', o);
}

static void print_header(FILE *o, const embmap *t, const uint8_t *raw)
{
	struct embmap_format_header h;
	unsigned major, minor;
	uint8_t hash[16];

	memcpy(&h, raw, sizeof h);
	embmap_format_version(t, &major, &minor);
	embmap_content_hash(t, hash);
	fprintf(o, "magic");
	for (int i = 0; i < EMBMAP_MAGIC_SIZE; i++)
		fprintf(o, " %02x", h.magic[i]);
	fprintf(o, "\nbyte_order 0x%08x\n", h.byte_order);
	fprintf(o, "format %u.%u\n", major, minor);
	fprintf(o, "header_size %u\n", h.header_size);
	fprintf(o, "section_count %u\n", embmap_section_count(t));
	fprintf(o, "required_features 0x%llx\n",
		(unsigned long long)h.required_features);
	fprintf(o, "optional_features 0x%llx\n",
		(unsigned long long)h.optional_features);
	fprintf(o, "file_size %llu\n", (unsigned long long)embmap_file_size(t));
	fprintf(o, "rows %llu\n", (unsigned long long)embmap_rows(t));
	fprintf(o, "dim %u\n", embmap_dim(t));
	fprintf(o, "dtype %d (%s)\n", embmap_dtype(t),
		embmap_dtype_name(embmap_dtype(t)));
	fprintf(o, "row_stride %zu\n", embmap_stride(t));
	fprintf(o, "token_count %llu\n", (unsigned long long)embmap_tokens(t));
	fprintf(o, "alignment %u\n", embmap_alignment(t));
	fprintf(o, "block_rows %u\n", embmap_block_rows(t));
	fprintf(o, "content_hash ");
	for (int i = 0; i < 16; i++)
		fprintf(o, "%02x", hash[i]);
	fprintf(o, "\ndirectory_checksum 0x%016llx\n",
		(unsigned long long)h.directory_checksum);
	fprintf(o, "reserved %llu\n", (unsigned long long)h.reserved);
	fprintf(o, "header_checksum 0x%016llx\n",
		(unsigned long long)h.header_checksum);
}

static void print_sections(FILE *o, const embmap *t, const uint8_t *raw)
{
	for (uint32_t i = 0; i < embmap_section_count(t); i++) {
		struct embmap_section_info s;

		if (embmap_section_at(t, i, &s) != 0) {
			fprintf(o, "section %u: unreadable\n", i);
			continue;
		}
		fprintf(o,
			"section %u %s: kind %u flags 0x%x offset %llu "
			"length %llu count %llu checksum 0x%016llx\n",
			i, embmap_section_name(s.kind), s.kind, s.flags,
			(unsigned long long)s.offset,
			(unsigned long long)s.length,
			(unsigned long long)s.count,
			(unsigned long long)s.checksum);
		if (s.kind == EMBMAP_SECTION_BLOCK_SUMS)
			for (uint64_t b = 0; b < s.count; b++)
				fprintf(o, "block_sum %llu 0x%016llx\n",
					(unsigned long long)b,
					(unsigned long long)get64(
						raw + s.offset + 8 * b));
		if (s.kind == EMBMAP_SECTION_TOKEN_INDEX)
			for (uint64_t b = 0; b < s.count; b++) {
				const uint8_t *slot = raw + s.offset + 16 * b;

				if (get64(slot + 8) == EMBMAP_SLOT_EMPTY)
					continue;
				fprintf(o, "slot %llu hash 0x%016llx id %llu\n",
					(unsigned long long)b,
					(unsigned long long)get64(slot),
					(unsigned long long)get64(slot + 8));
			}
	}
}

static void print_stored(FILE *o, const embmap *t, const uint8_t *p)
{
	size_t esize = embmap_dtype_size(embmap_dtype(t));

	for (uint32_t c = 0; c < embmap_dim(t); c++) {
		uint32_t v = 0;

		memcpy(&v, p + c * esize, esize);
		fprintf(o, " %0*x", (int)(2 * esize), v);
	}
}

static void print_contents(FILE *o, const embmap *t)
{
	const char *k, *v;
	size_t cursor = 0;
	float *row = malloc(sizeof *row * embmap_dim(t));
	int rc;

	while ((rc = embmap_meta_next(t, &cursor, &k, &v)) == 1) {
		fprintf(o, "meta ");
		put_escaped(o, k, strlen(k));
		fputc(' ', o);
		put_escaped(o, v, strlen(v));
		fputc('\n', o);
	}
	if (rc < 0)
		fprintf(o, "meta: %s\n", embmap_strerror(rc));
	for (uint64_t i = 0; i < embmap_tokens(t); i++) {
		size_t len;
		const char *tok = embmap_token(t, i, &len);

		fprintf(o, "token %llu ", (unsigned long long)i);
		if (tok) {
			put_escaped(o, tok, len);
			fprintf(o, " len %zu find %lld\n", len,
				(long long)embmap_find(t, tok, len));
		} else {
			fprintf(o, "unreadable\n");
		}
	}
	for (uint64_t r = 0; row && r < embmap_rows(t); r++) {
		fprintf(o, "row %llu scale %.9g:", (unsigned long long)r,
			(double)embmap_row_scale(t, r));
		if (embmap_row_f32(t, r, row) == 0)
			for (uint32_t c = 0; c < embmap_dim(t); c++)
				fprintf(o, " %.9g", (double)row[c]);
		fprintf(o, " | stored");
		print_stored(o, t, embmap_row(t, r));
		fputc('\n', o);
	}
	free(row);
}

static void print_damage(void *ctx, const struct embmap_damage *d)
{
	fprintf(ctx, "damage %s rows %llu+%llu\n", embmap_section_name(d->kind),
		(unsigned long long)d->first_row,
		(unsigned long long)d->row_count);
}

static uint8_t *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			p = grow(p, cap, 1);
		}
		k = fread(p + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	fclose(f);
	*size = n;
	return p;
}

char *golden_decode(const char *path, char *err, size_t errlen)
{
	embmap *t;
	uint8_t *raw;
	size_t size, len;
	char *text = NULL;
	FILE *o;
	int rc;

	raw = read_all(path, &size);
	if (!raw) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	rc = embmap_open(path, 0, &t);
	if (rc != 0 || size < EMBMAP_ALIGN_MIN) {
		set_err(err, errlen, "%s: %s", path,
			rc ? embmap_errmsg() : "shorter than a page");
		free(raw);
		embmap_close(t);
		return NULL;
	}
	o = open_memstream(&text, &len);
	if (!o) {
		free(raw);
		embmap_close(t);
		return NULL;
	}
	fprintf(o, "# The decoding of a golden file (tests/golden/golden.c)."
		   "\n");
	print_header(o, t, raw);
	print_sections(o, t, raw);
	print_contents(o, t);
	rc = embmap_verify(t, print_damage, o);
	fprintf(o, "verify %s\n", rc ? embmap_strerror(rc) : "ok");
	fclose(o);
	free(raw);
	embmap_close(t);
	return text;
}
