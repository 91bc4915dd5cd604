/*
 * in_word2vec.c - word2vec binary, word2vec text and fastText .vec inputs,
 * and the text scanning that GloVe (in_glove.c) shares.
 *
 * Both word2vec formats start with a header line "ROWS DIM". The binary
 * format (word2vec -binary 1) then holds ROWS records: the token's bytes,
 * a space, DIM float32 and, in most writers, a "\n"; readers skip that
 * "\n" as the first byte of the next token. The floats are in the
 * writer's byte order, little-endian in every public file, and embmap
 * builds only on little-endian hosts. The text format holds ROWS lines
 * "token v1 ... vDIM"; fastText's .vec is the same with a space after the
 * last value. Text tokens cannot hold spaces or tabs; binary tokens end at
 * the first space and cannot start with "\n".
 *
 * Memory: the input is mapped, never copied. open() walks the file once
 * to check every record's shape and collect the tokens; read() converts
 * rows from the mapping as pack asks for them.
 *
 * Values must be finite: NaN and infinities are refused with their place,
 * in text and binary alike, because a table that holds them is broken for
 * every use and the text output could not write them back exactly.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "textvec.h"

/* A binary token longer than this means the header's shape is wrong. */
#define W2V_TOKEN_MAX 65536

/* ------------------------------------------------------------------------ */
/* Text scanning, shared with in_glove.c                                    */
/* ------------------------------------------------------------------------ */

static int blank(const uint8_t *b, const uint8_t *e)
{
	while (b < e && (text_is_sep(*b) || *b == '\r'))
		b++;
	return b == e;
}

int text_next_line(struct text_pos *t, struct text_line *l)
{
	while (t->p < t->end) {
		const uint8_t *b = t->p;
		const uint8_t *nl = memchr(b, '\n', (size_t)(t->end - b));
		const uint8_t *e = nl ? nl : t->end;

		t->p = nl ? nl + 1 : t->end;
		t->line++;
		if (e > b && e[-1] == '\r')
			e--;
		if (!blank(b, e)) {
			l->b = b;
			l->e = e;
			l->line = t->line - 1;
			return 1;
		}
	}
	return 0;
}

uint64_t text_count_fields(const uint8_t *b, const uint8_t *e)
{
	uint64_t n = 0;

	while (b < e) {
		while (b < e && text_is_sep(*b))
			b++;
		if (b == e)
			break;
		n++;
		while (b < e && !text_is_sep(*b))
			b++;
	}
	return n;
}

static int parse_count(const uint8_t **pp, const uint8_t *e, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;

	if (p == e || *p < '0' || *p > '9')
		return -1;
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -2;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*v = x;
	return 0;
}

int text_parse_header(struct source *s, const struct text_line *l,
		      uint64_t *rows, uint32_t *dim)
{
	const uint8_t *p = l->b, *e = l->e;
	uint64_t v = 0, c = 0;
	char q[80];
	int r1, r2 = -1;

	r1 = parse_count(&p, e, &v);
	if (r1 == 0 && p < e && text_is_sep(*p)) {
		while (p < e && text_is_sep(*p))
			p++;
		r2 = parse_count(&p, e, &c);
		while (p < e && text_is_sep(*p))
			p++;
	}
	if (r1 == -2 || r2 == -2)
		return src_fail(s, SRC_EDATA,
				"line %llu: header count %s is too large",
				(unsigned long long)l->line,
				quote_bytes(q, sizeof q, (const char *)l->b,
					    (size_t)(l->e - l->b)));
	if (r1 || r2 || p != e)
		return src_fail(s, SRC_EDATA,
				"line %llu: expected the header 'ROWS DIM' "
				"(two positive integers), found %s",
				(unsigned long long)l->line,
				quote_bytes(q, sizeof q, (const char *)l->b,
					    (size_t)(l->e - l->b)));
	if (v == 0)
		return src_fail(s, SRC_EDATA,
				"line %llu: header says 0 rows; a table needs "
				"at least one",
				(unsigned long long)l->line);
	if (c == 0 || c > TEXTVEC_MAX_DIM)
		return src_fail(s, SRC_EDATA,
				"line %llu: header dim %llu is out of range "
				"(1 to %u)",
				(unsigned long long)l->line,
				(unsigned long long)c, TEXTVEC_MAX_DIM);
	*rows = v;
	*dim = (uint32_t)c;
	return 0;
}

int text_parse_float(const uint8_t *b, const uint8_t *e, float *out)
{
	char buf[128], *end;
	size_t n = (size_t)(e - b);
	float v;

	if (n >= sizeof buf)
		return NUM_LONG;
	memcpy(buf, b, n);
	buf[n] = '\0';
	errno = 0;
	v = strtof(buf, &end);
	if (n == 0 || end != buf + n)
		return NUM_BAD;
	if (isnan(v))
		return NUM_NONFINITE;
	if (isinf(v))
		return errno == ERANGE ? NUM_RANGE : NUM_NONFINITE;
	*out = v;
	return NUM_OK;
}

static int value_error(struct source *s, const struct text_line *l,
		       const uint8_t *f, const uint8_t *fe, uint32_t k,
		       uint32_t dim, int why)
{
	char q[80];
	const char *what = "is not a number";

	if (why == NUM_LONG)
		what = "is too long for a number (127 bytes at most)";
	else if (why == NUM_RANGE)
		what = "is beyond float32's range (+-3.40282347e+38)";
	else if (why == NUM_NONFINITE)
		what = "is not finite (NaN and infinity are refused)";
	size_t col = (size_t)(f - l->b) + 1;

	return src_fail(
		s, SRC_EDATA, "line %llu, column %zu (value %u of %u): %s %s",
		(unsigned long long)l->line, col, k + 1, dim,
		quote_bytes(q, sizeof q, (const char *)f, (size_t)(fe - f)),
		what);
}

int text_parse_values(struct source *s, const struct text_line *l,
		      const uint8_t *vb, uint32_t dim, float *out)
{
	const uint8_t *p = vb, *e = l->e;
	uint32_t k;

	for (k = 0; k < dim; k++) {
		const uint8_t *f;
		int r;

		while (p < e && text_is_sep(*p))
			p++;
		if (p == e)
			break;
		f = p;
		while (p < e && !text_is_sep(*p))
			p++;
		r = text_parse_float(f, p, &out[k]);
		if (r != NUM_OK)
			return value_error(s, l, f, p, k, dim, r);
	}

	/* open() counted the fields; this only guards a file that changed. */
	if (k < dim || text_count_fields(p, e) != 0)
		return src_fail(s, SRC_EDATA,
				"line %llu: %llu values, expected %u (the file "
				"changed while being read?)",
				(unsigned long long)l->line,
				(unsigned long long)text_count_fields(vb, e),
				dim);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Text sources                                                             */
/* ------------------------------------------------------------------------ */

struct text_src {
	struct mapped m;
	struct text_pos pos;
	text_split_fn split;
};

static int text_read(struct source *s, uint64_t n, void *out)
{
	struct text_src *t = s->priv;
	float *row = out;

	for (uint64_t i = 0; i < n; i++, row += s->dim) {
		struct text_line l;
		const uint8_t *tok_end, *vb;
		int r;

		if (!text_next_line(&t->pos, &l))
			return src_fail(s, SRC_EDATA,
					"line %llu: the file ended early (it "
					"changed while being read?)",
					(unsigned long long)t->pos.line);
		r = t->split(s, &l, s->dim, &tok_end, &vb);
		if (r == 0)
			r = text_parse_values(s, &l, vb, s->dim, row);
		if (r)
			return r;
	}
	return 0;
}

static void text_close(struct source *s)
{
	struct text_src *t = s->priv;

	if (t) {
		unmap_input(&t->m);
		free(t);
	}
	s->priv = NULL;
}

int text_source_open(struct source *s, struct mapped *m, struct text_pos pos,
		     uint64_t rows, uint32_t dim, text_split_fn split)
{
	struct text_src *t = calloc(1, sizeof *t);
	struct text_pos walk = pos;
	struct text_line l;
	uint64_t n = 0;
	char q[80];

	if (!t) {
		unmap_input(m);
		return src_fail(s, SRC_ENOMEM, "out of memory");
	}
	t->m = *m;
	t->pos = pos;
	t->split = split;
	s->priv = t;
	s->close = text_close;
	s->dim = dim;
	s->elem = SRC_F32;

	while (text_next_line(&walk, &l)) {
		const uint8_t *tok_end = NULL, *vb = NULL;
		int r = split(s, &l, dim, &tok_end, &vb);

		if (r)
			return r;
		if (tok_end == l.b)
			return src_fail(
				s, SRC_EDATA,
				"line %llu: empty token (the line starts with "
				"%s)",
				(unsigned long long)l.line,
				quote_bytes(q, sizeof q, (const char *)l.b, 1));
		n++;
		/* Past the header's count, only count what follows. */
		if ((rows == 0 || n <= rows) &&
		    vocab_add(&s->vocab, (const char *)l.b,
			      (size_t)(tok_end - l.b)))
			return src_fail(s, SRC_ENOMEM, "out of memory");
	}
	if (n == 0)
		return src_fail(s, SRC_EDATA, "no vector lines%s",
				rows ? " after the header"
				     : " (the file is blank)");
	if (rows && n != rows)
		return src_fail(s, SRC_EDATA,
				"header says %llu rows, the file has %llu "
				"vector lines",
				(unsigned long long)rows,
				(unsigned long long)n);
	s->rows = n;
	s->read = text_read;
	return 0;
}

/* word2vec text: the token is the first field, the values all the rest. */
static int w2v_split(struct source *s, const struct text_line *l, uint32_t dim,
		     const uint8_t **tok_end, const uint8_t **values)
{
	const uint8_t *p = l->b;
	uint64_t n;

	while (p < l->e && !text_is_sep(*p))
		p++;
	n = text_count_fields(p, l->e);
	if (n != dim)
		return src_fail(s, SRC_EDATA,
				"line %llu: %llu values, expected %u",
				(unsigned long long)l->line,
				(unsigned long long)n, dim);
	*tok_end = p;
	*values = p;
	return 0;
}

static int w2v_text_open(struct source *s, const char *path,
			 const struct pack_options *o)
{
	struct mapped m;
	struct text_pos pos;
	struct text_line l;
	uint64_t rows, room, need;
	uint32_t dim;
	int r;

	(void)o;
	/* map_input() prints why it failed: s->err stays empty. */
	if (map_input(path, &m) != EXIT_OK)
		return SRC_EIO;
	if (m.size == 0)
		return src_fail(s, SRC_EDATA, "the file is empty");
	pos.p = m.data;
	pos.end = m.data + m.size;
	pos.line = 1;
	if (!text_next_line(&pos, &l)) {
		unmap_input(&m);
		return src_fail(s, SRC_EDATA, "the file is empty");
	}
	r = text_parse_header(s, &l, &rows, &dim);
	if (r) {
		unmap_input(&m);
		return r;
	}

	/* Each line needs a token, a separator and a digit per value, and a
	 * newline (but the last): refuse an absurd count before walking. */
	room = (uint64_t)(pos.end - pos.p) + 1;
	need = 2 * (uint64_t)dim + 2;
	if (rows > room / need) {
		unmap_input(&m);
		return src_fail(s, SRC_EDATA,
				"header says %llu rows of %u values; that "
				"needs at least %llu bytes after the header, "
				"the file has %llu",
				(unsigned long long)rows, dim,
				rows > UINT64_MAX / need
					? (unsigned long long)UINT64_MAX
					: (unsigned long long)(rows * need - 1),
				(unsigned long long)(room - 1));
	}
	return text_source_open(s, &m, pos, rows, dim, w2v_split);
}

/* ------------------------------------------------------------------------ */
/* Binary source                                                            */
/* ------------------------------------------------------------------------ */

struct bin_src {
	struct mapped m;
	size_t pos;
	uint64_t done;
};

static void bin_close(struct source *s)
{
	struct bin_src *b = s->priv;

	if (b) {
		unmap_input(&b->m);
		free(b);
	}
	s->priv = NULL;
}

static int bin_read(struct source *s, uint64_t n, void *out)
{
	struct bin_src *b = s->priv;
	const uint8_t *d = b->m.data;
	size_t vbytes = (size_t)s->dim * 4;
	float *row = out;
	char q[80];

	for (uint64_t i = 0; i < n; i++, row += s->dim) {
		const unsigned long long rec = b->done + 1;
		const uint8_t *tok, *sp;

		if (b->pos < b->m.size && d[b->pos] == '\n')
			b->pos++;
		tok = d + b->pos;
		sp = memchr(tok, ' ', b->m.size - b->pos);
		if (!sp || (size_t)(d + b->m.size - (sp + 1)) < vbytes)
			return src_fail(s, SRC_EDATA,
					"record %llu: the file changed while "
					"being read",
					rec);
		memcpy(row, sp + 1, vbytes);
		for (uint32_t k = 0; k < s->dim; k++)
			if (!isfinite(row[k]))
				return src_fail(
					s, SRC_EDATA,
					"record %llu (%s), value %u of %u "
					"(offset %zu): %s is not finite (NaN "
					"and infinity are refused)",
					rec,
					quote_bytes(q, sizeof q,
						    (const char *)tok,
						    (size_t)(sp - tok)),
					k + 1, s->dim,
					(size_t)(sp + 1 - d) + 4 * (size_t)k,
					isnan(row[k]) ? "NaN" : "infinity");
		b->pos = (size_t)(sp + 1 - d) + vbytes;
		b->done++;
	}
	return 0;
}

/* Walk every record: check its bounds and collect its token. */
static int bin_walk(struct source *s, struct bin_src *b, size_t pos,
		    uint64_t rows)
{
	const uint8_t *d = b->m.data;
	size_t size = b->m.size, vbytes = (size_t)s->dim * 4;
	char q[80];

	for (uint64_t r = 0; r < rows; r++) {
		const unsigned long long rec = r + 1;
		const uint8_t *tok, *sp;
		size_t left, look;

		if (pos < size && d[pos] == '\n')
			pos++;
		tok = d + pos;
		left = size - pos;
		look = left < W2V_TOKEN_MAX + 1 ? left : W2V_TOKEN_MAX + 1;
		sp = memchr(tok, ' ', look);
		if (left == 0)
			return src_fail(s, SRC_EDATA,
					"header says %llu rows, the file ends "
					"after %llu records",
					(unsigned long long)rows,
					(unsigned long long)r);
		if (!sp && look == left)
			return src_fail(s, SRC_EDATA,
					"record %llu of %llu (offset %zu) is "
					"truncated inside its token: the space "
					"and all %zu value bytes are missing",
					rec, (unsigned long long)rows, pos,
					vbytes);
		if (!sp)
			return src_fail(s, SRC_EDATA,
					"record %llu of %llu (offset %zu): no "
					"space within %d bytes; the header's "
					"row count or dim (%u) is wrong",
					rec, (unsigned long long)rows, pos,
					W2V_TOKEN_MAX, s->dim);
		if (sp == tok)
			return src_fail(s, SRC_EDATA,
					"record %llu of %llu (offset %zu): "
					"empty token",
					rec, (unsigned long long)rows, pos);
		pos = (size_t)(sp + 1 - d);
		if (size - pos < vbytes)
			return src_fail(s, SRC_EDATA,
					"record %llu of %llu (%s, offset "
					"%zu) is truncated: %zu of %zu value "
					"bytes present, %zu missing",
					rec, (unsigned long long)rows,
					quote_bytes(q, sizeof q,
						    (const char *)tok,
						    (size_t)(sp - tok)),
					(size_t)(tok - d), size - pos, vbytes,
					vbytes - (size - pos));
		if (vocab_add(&s->vocab, (const char *)tok, (size_t)(sp - tok)))
			return src_fail(s, SRC_ENOMEM, "out of memory");
		pos += vbytes;
	}

	/* Only line endings and spaces may follow the last record. */
	for (size_t i = pos; i < size; i++)
		if (!text_is_sep(d[i]) && d[i] != '\n' && d[i] != '\r')
			return src_fail(s, SRC_EDATA,
					"header says %llu rows, but %zu more "
					"bytes follow the last of them (offset "
					"%zu): the header's row count or dim "
					"(%u) is wrong",
					(unsigned long long)rows, size - pos,
					pos, s->dim);
	return 0;
}

static int w2v_bin_open(struct source *s, const char *path,
			const struct pack_options *o)
{
	struct bin_src *b = calloc(1, sizeof *b);
	struct text_line l;
	uint64_t rows, need;
	uint32_t dim;
	size_t hdr, size, rest;
	int r;

	(void)o;
	if (!b)
		return src_fail(s, SRC_ENOMEM, "out of memory");
	s->priv = b;
	s->close = bin_close;
	/* map_input() prints why it failed: s->err stays empty. */
	if (map_input(path, &b->m) != EXIT_OK)
		return SRC_EIO;
	size = b->m.size;
	if (size == 0)
		return src_fail(s, SRC_EDATA, "the file is empty");

	/* The header is the first line (after white space, which word2vec's
	 * own reader skips too); its "\n" comes right before the first
	 * token. */
	l.b = b->m.data;
	l.line = 1;
	while (l.b < b->m.data + size &&
	       (text_is_sep(*l.b) || *l.b == '\r' || *l.b == '\n'))
		l.line += *l.b++ == '\n';
	rest = size - (size_t)(l.b - b->m.data);
	l.e = rest ? memchr(l.b, '\n', rest < 128 ? rest : 128) : NULL;
	if (!l.e)
		return src_fail(s, SRC_EDATA,
				"line %llu: expected the header 'ROWS DIM' and "
				"a newline within 128 bytes",
				(unsigned long long)l.line);
	hdr = (size_t)(l.e - b->m.data) + 1;
	if (l.e > l.b && l.e[-1] == '\r')
		l.e--;
	r = text_parse_header(s, &l, &rows, &dim);
	if (r)
		return r;

	/* A record is at least a 1-byte token, a space and the values:
	 * refuse an absurd count before walking. */
	need = 4 * (uint64_t)dim + 2;
	if (rows > (size - hdr) / need)
		return src_fail(s, SRC_EDATA,
				"header says %llu rows of %u values; that "
				"needs at least %llu bytes after the header, "
				"the file has %zu",
				(unsigned long long)rows, dim,
				rows > UINT64_MAX / need
					? (unsigned long long)UINT64_MAX
					: (unsigned long long)(rows * need),
				size - hdr);
	s->dim = dim;
	s->elem = SRC_F32;
	r = bin_walk(s, b, hdr, rows);
	if (r)
		return r;
	b->pos = hdr;
	s->rows = rows;
	s->read = bin_read;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Probes                                                                   */
/* ------------------------------------------------------------------------ */

/* Bytes a line of text may hold (UTF-8 only in tokens, which are cut
 * off before this is asked). */
static int text_byte(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r';
}

/*
 * Look at what follows a "ROWS DIM" header: 'b' when the first record's
 * values are binary, 't' when they are a line of DIM fields of text, 0
 * when the header is not there, '?' when the head cannot tell.
 */
static int w2v_kind(const uint8_t *head, size_t n)
{
	struct source tmp = {0};
	struct text_line l;
	const uint8_t *p = head, *e = head + n, *nl, *sp, *eol, *le;
	uint64_t rows = 0;
	uint32_t dim = 0;
	size_t want, i;

	while (p < e && (text_is_sep(*p) || *p == '\r' || *p == '\n'))
		p++;
	nl = memchr(p, '\n', (size_t)(e - p) < 128 ? (size_t)(e - p) : 128);
	if (!nl)
		return 0;
	l.b = p;
	l.e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	l.line = 1;
	if (text_parse_header(&tmp, &l, &rows, &dim))
		return 0;
	p = nl + 1;
	while (p < e && (*p == '\n' || *p == '\r'))
		p++;
	sp = memchr(p, ' ', (size_t)(e - p));
	if (!sp)
		return '?';
	p = sp + 1;

	/* Text: the rest of the line is text, dim fields if it ends. */
	eol = memchr(p, '\n', (size_t)(e - p));
	le = eol ? eol : e;
	for (i = 0; p + i < le && text_byte(p[i]); i++)
		;
	if (eol && le > p && le[-1] == '\r')
		le--;
	if (p + i >= le && le > p && (!eol || text_count_fields(p, le) == dim))
		return 't';

	/* Binary: some byte of the values could not be in a text line. */
	want = (size_t)dim * 4;
	if ((size_t)(e - p) < want)
		want = (size_t)(e - p);
	for (i = 0; i < want; i++)
		if (!text_byte(p[i]) && p[i] != '\n')
			return 'b';
	return '?';
}

static int w2v_bin_probe(const char *path, const uint8_t *head, size_t n)
{
	int k = w2v_kind(head, n);

	if (k == 'b')
		return 2;
	return k == '?' && path_has_ext(path, ".bin");
}

static int w2v_text_probe(const char *path, const uint8_t *head, size_t n)
{
	int k = w2v_kind(head, n);

	if (k == 't')
		return 2;
	return k == '?' &&
	       (path_has_ext(path, ".vec") || path_has_ext(path, ".txt"));
}

const struct input_format input_word2vec = {
	"word2vec",
	"word2vec binary (.bin): 'ROWS DIM', then token, space, DIM float32",
	w2v_bin_probe,
	w2v_bin_open,
};

const struct input_format input_word2vec_text = {
	"word2vec-text",
	"word2vec text or fastText .vec: 'ROWS DIM', then 'token v1 ... vDIM'",
	w2v_text_probe,
	w2v_text_open,
};
