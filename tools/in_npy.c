/*
 * in_npy.c - numpy .npy arrays (format versions 1.0, 2.0 and 3.0).
 *
 * A .npy file is the magic \x93NUMPY, a major and a minor version byte, the
 * header length (u16 little-endian in 1.0, u32 in 2.0 and 3.0), the header
 * and the data. The header is a Python dict literal with exactly the keys
 * 'descr', 'fortran_order' and 'shape', padded with spaces and a newline.
 * No C library parses it, and it is a tiny restricted literal, so it is
 * parsed here by hand and strictly: anything numpy's writer would not
 * produce for a plain float array is refused with the reason.
 *
 * The file is mapped; rows are copied out chunk by chunk (byte-swapped for
 * big-endian data, transposed for Fortran order), never all at once.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define MAX_DIMS 32 /* numpy's own limit */

struct npy {
	struct mapped m;
	const uint8_t *data;
	size_t isz; /* bytes per element */
	int swap;   /* big-endian data */
	int fortran;
	uint64_t next;	   /* the next row read() delivers */
	uint64_t released; /* pages before this offset are dropped */
};

/* The parsed header. */
struct npy_header {
	char descr[64];
	int have_descr, have_fortran, have_shape;
	int fortran;
	int ndim;
	uint64_t shape[MAX_DIMS];
};

/* A cursor over the header text, for messages that point at a column. */
struct scan {
	const char *p, *start, *end;
	struct source *s;
	int version;
};

static int npy_probe(const char *path, const uint8_t *head, size_t n)
{
	if (n >= NPY_MAGIC_LEN && memcmp(head, NPY_MAGIC, NPY_MAGIC_LEN) == 0)
		return 2;
	return path_has_ext(path, ".npy");
}

static void skip_ws(struct scan *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* "header ... at column N (found 'x')", and SRC_EDATA. */
static int bad(struct scan *c, const char *what)
{
	char found[8];

	if (c->p >= c->end)
		snprintf(found, sizeof found, "the end");
	else if (*c->p >= 0x20 && *c->p < 0x7f)
		snprintf(found, sizeof found, "'%c'", *c->p);
	else
		snprintf(found, sizeof found, "\\x%02x", (unsigned char)*c->p);
	return src_fail(c->s, SRC_EDATA,
			"header is not a well-formed dict: %s at column %d "
			"(found %s)",
			what, (int)(c->p - c->start) + 1, found);
}

static int accept(struct scan *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

/* A quoted string without escapes (numpy never writes one here). */
static int parse_string(struct scan *c, char *out, size_t size)
{
	char q;
	size_t n = 0;

	skip_ws(c);
	if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
		return bad(c, "expected a quoted string");
	q = *c->p++;
	while (c->p < c->end && *c->p != q) {
		if (*c->p == '\\' || *c->p == '\n')
			return bad(c, "unexpected character in a string");
		if (n + 1 < size)
			out[n] = *c->p;
		n++;
		c->p++;
	}
	if (c->p >= c->end)
		return bad(c, "unterminated string");
	c->p++;
	if (n + 1 > size)
		return src_fail(c->s, SRC_EDATA,
				"header: string of %zu bytes is longer than "
				"any supported value (%zu)",
				n, size - 1);
	out[n] = 0;
	return 0;
}

static int parse_int(struct scan *c, uint64_t *out)
{
	uint64_t v = 0;
	const char *from;

	skip_ws(c);
	from = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return src_fail(c->s, SRC_EDATA,
					"header: shape has a dimension beyond "
					"%llu",
					(unsigned long long)UINT64_MAX);
		v = v * 10 + d;
		c->p++;
	}
	if (c->p == from)
		return bad(c, "expected a non-negative integer in 'shape'");
	/* Python 2 wrote longs as 3L; numpy still reads them in 1.0/2.0. */
	if (c->version < 3 && c->p < c->end && *c->p == 'L')
		c->p++;
	*out = v;
	return 0;
}

/* A tuple of integers: "()", "(n,)", "(a, b)" or "(a, b,)". */
static int parse_shape(struct scan *c, struct npy_header *h)
{
	int rc, commas = 0;

	if (!accept(c, '('))
		return bad(c, "expected '(' to start 'shape'");
	h->ndim = 0;
	while (!accept(c, ')')) {
		if (h->ndim == MAX_DIMS)
			return src_fail(c->s, SRC_EDATA,
					"header: shape has more than %d "
					"dimensions",
					MAX_DIMS);
		if ((rc = parse_int(c, &h->shape[h->ndim])) != 0)
			return rc;
		h->ndim++;
		if (accept(c, ','))
			commas++;
		else if (!accept(c, ')'))
			return bad(c, "expected ',' or ')' in 'shape'");
		else
			break;
	}
	/* "(5)" is the integer 5 in Python, not a tuple. */
	if (h->ndim == 1 && commas == 0)
		return src_fail(c->s, SRC_EDATA,
				"header: 'shape' is (%llu), an integer, not a "
				"tuple",
				(unsigned long long)h->shape[0]);
	return 0;
}

static int parse_value(struct scan *c, struct npy_header *h, const char *key)
{
	if (!strcmp(key, "descr")) {
		skip_ws(c);
		if (c->p < c->end && (*c->p == '[' || *c->p == '{'))
			return src_fail(c->s, SRC_EDATA,
					"descr is a structured dtype (fields); "
					"supported: float32, float64, float16");
		h->have_descr++;
		return parse_string(c, h->descr, sizeof h->descr);
	}
	if (!strcmp(key, "fortran_order")) {
		skip_ws(c);
		h->have_fortran++;
		if (c->end - c->p >= 4 && !memcmp(c->p, "True", 4)) {
			h->fortran = 1;
			c->p += 4;
		} else if (c->end - c->p >= 5 && !memcmp(c->p, "False", 5)) {
			h->fortran = 0;
			c->p += 5;
		} else {
			return bad(c, "'fortran_order' must be True or False");
		}
		return 0;
	}
	if (!strcmp(key, "shape")) {
		h->have_shape++;
		return parse_shape(c, h);
	}
	return src_fail(c->s, SRC_EDATA,
			"header key '%s' is unknown (expected 'descr', "
			"'fortran_order', 'shape')",
			key);
}

static int parse_header(struct source *s, const char *text, size_t len,
			int version, struct npy_header *h)
{
	struct scan c = {text, text, text + len, s, version};
	char key[32];
	int rc;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] >= 0x80 || text[i] == 0)
			return src_fail(s, SRC_EDATA,
					"header column %zu: byte 0x%02x; a "
					"header for a float array is plain "
					"ASCII",
					i + 1, (unsigned char)text[i]);
	memset(h, 0, sizeof *h);
	if (!accept(&c, '{'))
		return bad(&c, "expected '{'");
	while (!accept(&c, '}')) {
		if ((rc = parse_string(&c, key, sizeof key)) != 0)
			return rc;
		if (!accept(&c, ':'))
			return bad(&c, "expected ':' after a key");
		if ((rc = parse_value(&c, h, key)) != 0)
			return rc;
		if (h->have_descr > 1 || h->have_fortran > 1 ||
		    h->have_shape > 1)
			return src_fail(s, SRC_EDATA,
					"header key '%s' appears twice", key);
		if (!accept(&c, ',')) {
			if (accept(&c, '}'))
				break;
			return bad(&c, "expected ',' or '}'");
		}
	}
	skip_ws(&c);
	if (c.p != c.end)
		return bad(&c, "unexpected text after the dict");
	if (!h->have_descr || !h->have_fortran || !h->have_shape)
		return src_fail(s, SRC_EDATA, "header lacks the key '%s'",
				!h->have_descr	   ? "descr"
				: !h->have_fortran ? "fortran_order"
						   : "shape");
	return 0;
}

/* numpy's name for a type code such as "i8", for refusals. */
static const char *type_name(const char *code)
{
	static const struct {
		const char *code, *name;
	} names[] = {
		{"b1", "bool"},	       {"i1", "int8"},
		{"u1", "uint8"},       {"i2", "int16"},
		{"u2", "uint16"},      {"i4", "int32"},
		{"u4", "uint32"},      {"i8", "int64"},
		{"u8", "uint64"},      {"f2", "float16"},
		{"f4", "float32"},     {"f8", "float64"},
		{"f12", "float96"},    {"f16", "float128"},
		{"c8", "complex64"},   {"c16", "complex128"},
		{"c32", "complex256"}, {"O", "object"},
		{"O8", "object"},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(code, names[i].code))
			return names[i].name;
	switch (code[0]) {
	case 'S': return "bytes";
	case 'U': return "str";
	case 'V': return "void";
	case 'M': return "datetime64";
	case 'm': return "timedelta64";
	default: return NULL;
	}
}

/* The element type of descr, or 0 (with s->err set) when refused. */
static int check_descr(struct source *s, const char *d, struct npy *n)
{
	static const char supported[] = "supported: float32, float64, float16 "
					"('<f4' '>f4' '<f8' '>f8' '<f2' '>f2')";
	const char *name = type_name(d[0] ? d + 1 : d);
	int order = (unsigned char)d[0];

	if ((order == '<' || order == '>') && d[1] == 'f' &&
	    (d[2] == '2' || d[2] == '4' || d[2] == '8') && !d[3]) {
		n->isz = (size_t)(d[2] - '0');
		n->swap = order == '>';
		return n->isz == 2 ? SRC_F16 : n->isz == 4 ? SRC_F32 : SRC_F64;
	}
	if (order == '=' && name && d[1] == 'f')
		/* '=' is the byte order of whichever machine reads the file,
		 * so the bytes mean different things on different hosts;
		 * numpy never writes it. */
		src_fail(s, SRC_EDATA,
			 "dtype '%s': byte order '=' (native) does not say "
			 "how the data is stored; %s",
			 d, supported);
	else if (!strcmp(d, "|O") || !strcmp(d, "|O8"))
		src_fail(s, SRC_EDATA,
			 "dtype '%s' (object) is not supported: object arrays "
			 "hold pickled Python objects; %s",
			 d, supported);
	else if (name && (order == '<' || order == '>' || order == '|'))
		src_fail(s, SRC_EDATA, "dtype '%s' (%s) is not supported; %s",
			 d, name, supported);
	else
		src_fail(s, SRC_EDATA, "dtype '%s' is not supported; %s", d,
			 supported);
	return 0;
}

static uint16_t swap16(uint16_t x)
{
	return (uint16_t)(x << 8 | x >> 8);
}

/* Copy one element, swapping its bytes when asked. */
static inline void put(uint8_t *d, const uint8_t *src, size_t isz, int swap)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	switch (isz) {
	case 2:
		memcpy(&v2, src, 2);
		v2 = swap ? swap16(v2) : v2;
		memcpy(d, &v2, 2);
		break;
	case 4:
		memcpy(&v4, src, 4);
		v4 = swap ? __builtin_bswap32(v4) : v4;
		memcpy(d, &v4, 4);
		break;
	default:
		memcpy(&v8, src, 8);
		v8 = swap ? __builtin_bswap64(v8) : v8;
		memcpy(d, &v8, 8);
	}
}

/* Copy count elements from src to dst, swapping bytes when asked. */
static void copy_elems(uint8_t *dst, const uint8_t *src, size_t count,
		       size_t isz, int swap)
{
	if (!swap) {
		memcpy(dst, src, count * isz);
		return;
	}
	for (size_t i = 0; i < count; i++)
		put(dst + i * isz, src + i * isz, isz, 1);
}

/*
 * Column-major data: element (r, c) is at (c * rows + r), so each column's
 * part of the chunk is one contiguous run. Columns are taken a group at a
 * time so that the writes fill whole cache lines of the chunk; the
 * caller's chunk bounds the memory, and each page of the file is read once.
 */
#define COL_GROUP 16

static void read_fortran(struct source *s, struct npy *n, uint64_t count,
			 uint8_t *out)
{
	const size_t isz = n->isz;
	const size_t stride = (size_t)s->dim * isz;

	for (uint32_t c0 = 0; c0 < s->dim; c0 += COL_GROUP) {
		uint32_t nc = s->dim - c0 < COL_GROUP ? s->dim - c0 : COL_GROUP;
		const uint8_t *col =
			n->data + ((uint64_t)c0 * s->rows + n->next) * isz;
		const size_t col_step = (size_t)(s->rows * isz);

		for (uint64_t r = 0; r < count; r++) {
			uint8_t *d = out + r * stride + (size_t)c0 * isz;
			const uint8_t *src = col + r * isz;

			for (uint32_t c = 0; c < nc; c++)
				put(d + c * isz, src + c * col_step, isz,
				    n->swap);
		}
	}
}

/*
 * Drop the pages of the file before offset to from this mapping once read,
 * so the command's resident size stays near one chunk however large the
 * file (the pages stay in the page cache). Not yet for Fortran order, whose
 * columns are all read until the last chunk.
 */
static void release_before(struct npy *n, uint64_t to)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t hi = to / page * page;

	if (hi > n->released)
		madvise((void *)(uintptr_t)(n->m.data + n->released),
			(size_t)(hi - n->released), MADV_DONTNEED);
	if (hi > n->released)
		n->released = hi;
}

static int npy_read(struct source *s, uint64_t count, void *out)
{
	struct npy *n = s->priv;
	const uint64_t row_bytes = (uint64_t)s->dim * n->isz;

	if (count > s->rows - n->next)
		return src_fail(s, SRC_EIO, "read past row %llu of %llu",
				(unsigned long long)n->next,
				(unsigned long long)s->rows);
	if (n->fortran)
		read_fortran(s, n, count, out);
	else
		copy_elems(out, n->data + n->next * row_bytes,
			   (size_t)(count * s->dim), n->isz, n->swap);
	n->next += count;
	if (!n->fortran)
		release_before(n, (uint64_t)(n->data - n->m.data) +
					  n->next * row_bytes);
	return 0;
}

static void npy_close(struct source *s)
{
	struct npy *n = s->priv;

	if (n) {
		unmap_input(&n->m);
		free(n);
	}
	s->priv = NULL;
}

static void shape_text(const struct npy_header *h, char *out, size_t size)
{
	size_t o = 0;

	o += (size_t)snprintf(out, size, "(");
	for (int i = 0; i < h->ndim && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%llu",
				      i ? ", " : "",
				      (unsigned long long)h->shape[i]);
	if (o < size)
		snprintf(out + o, size - o, h->ndim == 1 ? ",)" : ")");
}

/* Check the shape and the data length against the header. */
static int check_shape(struct source *s, const struct npy_header *h,
		       const struct npy *n, uint64_t data_len)
{
	char shape[MAX_DIMS * 22 + 4];
	uint64_t elems, need;

	shape_text(h, shape, sizeof shape);
	if (h->ndim != 2)
		return src_fail(s, SRC_EDATA,
				"shape %s has %d dimension%s; a table needs 2 "
				"(rows, dim)",
				shape, h->ndim, h->ndim == 1 ? "" : "s");
	if (h->shape[0] == 0 || h->shape[1] == 0)
		return src_fail(s, SRC_EDATA,
				"shape %s: the table is empty (rows and dim "
				"must be at least 1)",
				shape);
	if (h->shape[1] > UINT32_MAX)
		return src_fail(s, SRC_EDATA, "shape %s: dim %llu above %lu",
				shape, (unsigned long long)h->shape[1],
				(unsigned long)UINT32_MAX);
	if (h->shape[0] > UINT64_MAX / h->shape[1] ||
	    h->shape[0] * h->shape[1] > UINT64_MAX / n->isz)
		return src_fail(s, SRC_EDATA, "shape %s: too many elements",
				shape);
	elems = h->shape[0] * h->shape[1];
	need = elems * n->isz;
	if (need != data_len)
		return src_fail(s, SRC_EDATA,
				"data is %llu bytes; shape %s of %zu-byte "
				"elements needs %llu",
				(unsigned long long)data_len, shape, n->isz,
				(unsigned long long)need);
	return 0;
}

static int npy_open(struct source *s, const char *path,
		    const struct pack_options *o)
{
	struct npy_header h = {.ndim = 0};
	struct npy *n = calloc(1, sizeof *n);
	const uint8_t *p;
	size_t size, pre;
	uint64_t hlen;
	char ver[8];
	int rc, major, minor;

	if (!n)
		return src_fail(s, SRC_ENOMEM, "out of memory");
	s->priv = n;
	s->close = npy_close;
	s->read = npy_read;
	if (o->tensor)
		return src_fail(s, SRC_EIO,
				"--tensor %s: a .npy file holds one array, "
				"not named tensors",
				o->tensor);
	if (map_input(path, &n->m) != EXIT_OK)
		return SRC_EIO;
	p = n->m.data;
	size = n->m.size;
	if (size < NPY_MAGIC_LEN && size && !memcmp(p, NPY_MAGIC, size))
		return src_fail(s, SRC_EDATA,
				"truncated: %zu bytes, the magic alone needs "
				"%d",
				size, NPY_MAGIC_LEN);
	if (size < NPY_MAGIC_LEN || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
		return src_fail(s, SRC_EDATA,
				"magic: not a .npy file (it must start with "
				"\\x93NUMPY)");
	if (size < NPY_MAGIC_LEN + 2)
		return src_fail(s, SRC_EDATA,
				"truncated: %zu bytes, the version needs 8",
				size);
	major = p[6];
	minor = p[7];
	if (major < 1 || major > 3 || minor != 0)
		return src_fail(s, SRC_EDATA,
				"version %d.%d is not supported; supported: "
				"1.0, 2.0, 3.0",
				major, minor);
	pre = major == 1 ? 10 : 12;
	if (size < pre)
		return src_fail(s, SRC_EDATA,
				"truncated: %zu bytes, the header length field "
				"of version %d.0 ends at byte %zu",
				size, major, pre);
	hlen = major == 1
		       ? (uint64_t)p[8] | (uint64_t)p[9] << 8
		       : (uint64_t)p[8] | (uint64_t)p[9] << 8 |
				 (uint64_t)p[10] << 16 | (uint64_t)p[11] << 24;
	if (hlen > size - pre)
		return src_fail(s, SRC_EDATA,
				"truncated: header length %llu runs past the "
				"end of the file (%zu bytes after byte %zu)",
				(unsigned long long)hlen, size - pre, pre);
	if ((rc = parse_header(s, (const char *)p + pre, (size_t)hlen, major,
			       &h)) != 0)
		return rc;
	if (!(s->elem = check_descr(s, h.descr, n)))
		return SRC_EDATA;
	if ((rc = check_shape(s, &h, n, size - pre - hlen)) != 0)
		return rc;

	n->data = p + pre + hlen;
	n->fortran = h.fortran;
	s->rows = h.shape[0];
	s->dim = (uint32_t)h.shape[1];
	/* Fortran order reads every column once per chunk, not in order. */
	if (n->fortran)
		madvise((void *)(uintptr_t)p, size, MADV_NORMAL);
	snprintf(ver, sizeof ver, "%d.%d", major, minor);
	if ((rc = src_meta(s, "source.npy.version", ver)) != 0 ||
	    (rc = src_meta(s, "source.npy.descr", h.descr)) != 0 ||
	    (rc = src_meta(s, "source.npy.fortran_order",
			   h.fortran ? "True" : "False")) != 0)
		return rc;
	return 0;
}

const struct input_format input_npy = {
	.name = "npy",
	.what = "numpy .npy array, 2-D float32/float64/float16, any byte "
		"order, C or Fortran order (versions 1.0-3.0)",
	.probe = npy_probe,
	.open = npy_open,
};
