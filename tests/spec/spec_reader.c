/*
 * spec_reader.c - a second reader of embmap files, written from SPEC.md
 * alone.
 *
 * It includes nothing of the project: every offset, limit and rule below
 * is the one SPEC.md states, and fields are decoded byte by byte as
 * little-endian. It runs every check SPEC.md lists for opening and for full
 * verification, rebuilds the token index as a writer must and compares it
 * byte for byte, then prints what the file holds. When it accepts a file
 * the library wrote and prints the expected values, the document and the
 * code agree on those bytes.
 *
 * Usage: spec_reader FILE [TOKEN...]   (each TOKEN is looked up by hash)
 * Exit 0 when the file conforms, 1 with one line on stderr when not.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define HEADER_SIZE 128u
#define ENTRY_SIZE 48u
#define SLOT_EMPTY UINT64_MAX

enum { MATRIX = 1, BLOCK_SUMS, SCALES, NORMS, META, OFFSETS, BYTES, INDEX };

static const char *path;

/* The directory entry of each known kind (index = kind), or NULL. */
static const uint8_t *sec[INDEX + 1];

static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "spec_reader: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The fields of the header, decoded at the offsets of SPEC.md's table. */
struct header {
	uint64_t required, file_size, rows, stride, tokens;
	uint32_t header_size, sections, dim, dtype, alignment, block_rows;
	uint16_t major, minor;
};

static void decode_header(const uint8_t *p, struct header *h)
{
	h->major = (uint16_t)le(p + 12, 2);
	h->minor = (uint16_t)le(p + 14, 2);
	h->header_size = (uint32_t)le(p + 16, 4);
	h->sections = (uint32_t)le(p + 20, 4);
	h->required = le(p + 24, 8);
	h->file_size = le(p + 40, 8);
	h->rows = le(p + 48, 8);
	h->dim = (uint32_t)le(p + 56, 4);
	h->dtype = (uint32_t)le(p + 60, 4);
	h->stride = le(p + 64, 8);
	h->tokens = le(p + 72, 8);
	h->alignment = (uint32_t)le(p + 80, 4);
	h->block_rows = (uint32_t)le(p + 84, 4);
}

static unsigned elem_size(uint32_t dtype)
{
	static const unsigned size[] = {0, 4, 2, 2, 1};

	return dtype >= 1 && dtype <= 4 ? size[dtype] : 0;
}

static int pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int check_header(const uint8_t *p, uint64_t size, struct header *h)
{
	static const uint8_t magic[8] = {0x89, 'E',  'M',  'B',
					 0x0d, 0x0a, 0x1a, 0x0a};
	static const uint8_t bom[4] = {4, 3, 2, 1};

	if (size < HEADER_SIZE)
		return bad("%llu bytes, shorter than the header",
			   (unsigned long long)size);
	if (memcmp(p, magic, 8) != 0)
		return bad("magic");
	if (memcmp(p + 8, bom, 4) != 0)
		return bad("byte order mark");
	decode_header(p, h);
	if (h->major != 1)
		return bad("major version %u", h->major);
	if (XXH3_64bits(p, 120) != le(p + 120, 8))
		return bad("header checksum");
	if (h->required != 0)
		return bad("required features 0x%llx",
			   (unsigned long long)h->required);
	if (h->header_size != HEADER_SIZE)
		return bad("header_size %u", h->header_size);
	if (h->file_size != size)
		return bad("file_size %llu, file %llu",
			   (unsigned long long)h->file_size,
			   (unsigned long long)size);
	if (le(p + 112, 8) != 0)
		return bad("reserved header field");
	if (!elem_size(h->dtype))
		return bad("dtype %u", h->dtype);
	if (h->rows < 1 || h->rows > (UINT64_C(1) << 40))
		return bad("rows %llu", (unsigned long long)h->rows);
	if (h->dim < 1 || h->dim > (1u << 24))
		return bad("dim %u", h->dim);
	if (h->stride != (uint64_t)h->dim * elem_size(h->dtype))
		return bad("row_stride %llu", (unsigned long long)h->stride);
	if (h->tokens > h->rows)
		return bad("token_count %llu", (unsigned long long)h->tokens);
	if (!pow2(h->alignment) || h->alignment < 4096 ||
	    h->alignment > (2u << 20))
		return bad("alignment %u", h->alignment);
	if (h->block_rows < 1 || h->block_rows > (1u << 30))
		return bad("block_rows %u", h->block_rows);
	if (h->sections < 2 || h->sections > 64)
		return bad("section_count %u", h->sections);
	return 0;
}

/* Count and length rules of one directory entry, by kind. */
static int check_entry(const struct header *h, unsigned i, const uint8_t *e)
{
	uint32_t kind = (uint32_t)le(e, 4);
	uint64_t len = le(e + 16, 8), count = le(e + 32, 8);
	uint64_t want_count = count, item = 0;

	if (le(e + 4, 4) != 0)
		return bad("section %u: flags", i);
	if (le(e + 40, 8) != 0)
		return bad("section %u: reserved", i);
	if (len == 0)
		return bad("section %u: length 0", i);
	switch (kind) {
	case MATRIX:
		want_count = h->rows;
		item = h->stride;
		if (le(e + 24, 8) != 0)
			return bad("matrix checksum field not 0");
		break;
	case BLOCK_SUMS:
		want_count = (h->rows + h->block_rows - 1) / h->block_rows;
		item = 8;
		break;
	case SCALES:
	case NORMS:
		want_count = h->rows;
		item = 4;
		break;
	case OFFSETS:
		want_count = h->tokens + 1;
		item = 8;
		break;
	case BYTES:
		want_count = len;
		item = 1;
		break;
	case INDEX:
		if (count < 8 || !pow2(count) || count / 2 < h->tokens)
			return bad("section %u: %llu buckets", i,
				   (unsigned long long)count);
		item = 16;
		break;
	default: /* META is variable; unknown kinds are skipped */ return 0;
	}
	if (count != want_count)
		return bad("section %u: count %llu, want %llu", i,
			   (unsigned long long)count,
			   (unsigned long long)want_count);
	if (count > UINT64_MAX / item || len != item * count)
		return bad("section %u: length %llu", i,
			   (unsigned long long)len);
	return 0;
}

/* Offsets, order and the exact end; binds the known kinds. */
static int check_layout(const struct header *h, const uint8_t *dir,
			uint64_t size)
{
	uint64_t end = 0;
	uint32_t prev = 0;

	for (unsigned i = 0; i < h->sections; i++) {
		const uint8_t *e = dir + i * ENTRY_SIZE;
		uint32_t kind = (uint32_t)le(e, 4);
		uint64_t off = le(e + 8, 8), len = le(e + 16, 8);
		uint64_t want = i == 0 ? h->alignment : (end + 63) / 64 * 64;

		if ((i == 0) != (kind == MATRIX) || kind <= prev)
			return bad("section %u: kind %u out of order", i, kind);
		if (off != want)
			return bad("section %u: offset %llu, want %llu", i,
				   (unsigned long long)off,
				   (unsigned long long)want);
		if (len > size || off > size - len)
			return bad("section %u: past the end", i);
		if (kind <= INDEX)
			sec[kind] = e;
		end = off + len;
		prev = kind;
	}
	if (end != size)
		return bad("last section ends at %llu, file at %llu",
			   (unsigned long long)end, (unsigned long long)size);
	if (!sec[BLOCK_SUMS])
		return bad("no block-sums section");
	if ((h->dtype == 4) != (sec[SCALES] != NULL))
		return bad("scales section present iff dtype i8");
	if ((h->tokens != 0) != (sec[OFFSETS] != NULL) ||
	    (h->tokens != 0) != (sec[BYTES] != NULL) ||
	    (h->tokens != 0) != (sec[INDEX] != NULL))
		return bad("token sections present iff token_count > 0");
	return 0;
}

static const uint8_t *at(const uint8_t *p, int kind)
{
	return sec[kind] ? p + le(sec[kind] + 8, 8) : NULL;
}

static uint64_t length(int kind)
{
	return sec[kind] ? le(sec[kind] + 16, 8) : 0;
}

/* Token id's bytes and length, with the checks SPEC.md asks of a reader. */
static const uint8_t *token(const uint8_t *p, const struct header *h,
			    uint64_t id, uint64_t *len)
{
	const uint8_t *off = at(p, OFFSETS), *bytes = at(p, BYTES);
	uint64_t a, b;

	if (id >= h->tokens)
		return NULL;
	a = le(off + 8 * id, 8);
	b = le(off + 8 * id + 8, 8);
	if (a >= b || b > length(BYTES) || bytes[b - 1] != 0)
		return NULL;
	*len = b - a - 1;
	return bytes + a;
}

/* The index lookup of SPEC.md: at most `buckets` probes. */
static int64_t find(const uint8_t *p, const struct header *h, const void *s,
		    uint64_t n)
{
	const uint8_t *slots = at(p, INDEX);
	uint64_t buckets = sec[INDEX] ? le(sec[INDEX] + 32, 8) : 0;
	uint64_t hash = XXH3_64bits(s, n), i = hash & (buckets - 1);

	for (uint64_t step = 0; step < buckets; step++) {
		uint64_t id = le(slots + 16 * i + 8, 8), tlen;
		const uint8_t *t;

		if (id == SLOT_EMPTY)
			return -1;
		if (le(slots + 16 * i, 8) == hash &&
		    (t = token(p, h, id, &tlen)) && tlen == n &&
		    memcmp(t, s, n) == 0)
			return (int64_t)id;
		i = (i + 1) & (buckets - 1);
	}
	return -1;
}

/* The canonical index: ids 0..n-1 in order, equal tokens not inserted. */
static int check_index(const uint8_t *p, const struct header *h)
{
	uint64_t buckets = le(sec[INDEX] + 32, 8);
	uint8_t *want = malloc(buckets * 16);

	if (!want)
		return bad("out of memory");
	for (uint64_t i = 0; i < buckets; i++) {
		memset(want + 16 * i, 0, 8);
		memset(want + 16 * i + 8, 0xff, 8);
	}
	for (uint64_t id = 0; id < h->tokens; id++) {
		uint64_t len, hash, i;
		const uint8_t *t = token(p, h, id, &len);

		hash = XXH3_64bits(t, len);
		for (i = hash & (buckets - 1);; i = (i + 1) & (buckets - 1)) {
			uint64_t other = le(want + 16 * i + 8, 8), olen;
			const uint8_t *o;

			if (other == SLOT_EMPTY) {
				for (unsigned k = 0; k < 8; k++) {
					want[16 * i + k] =
						(uint8_t)(hash >> 8 * k);
					want[16 * i + 8 + k] =
						(uint8_t)(id >> 8 * k);
				}
				break;
			}
			o = token(p, h, other, &olen);
			if (olen == len && memcmp(o, t, len) == 0)
				break; /* shadowed by the earlier id */
		}
	}
	if (buckets != 8 && buckets / 4 >= h->tokens)
		return free(want), bad("index has more buckets than canonical");
	if (memcmp(want, at(p, INDEX), buckets * 16) != 0)
		return free(want), bad("index is not the canonical one");
	free(want);
	return 0;
}

static int check_vocab(const uint8_t *p, const struct header *h)
{
	const uint8_t *off = at(p, OFFSETS), *bytes = at(p, BYTES);
	uint64_t prev = 0;

	if (h->tokens == 0)
		return 0;
	if (le(off, 8) != 0 || le(off + 8 * h->tokens, 8) != length(BYTES))
		return bad("token offsets do not span token-bytes");
	for (uint64_t i = 1; i <= h->tokens; i++) {
		uint64_t o = le(off + 8 * i, 8);

		if (o <= prev || o > length(BYTES) || bytes[o - 1] != 0)
			return bad("token %llu: offsets or NUL",
				   (unsigned long long)(i - 1));
		prev = o;
	}
	for (uint64_t s = 0; s < le(sec[INDEX] + 32, 8); s++) {
		uint64_t id = le(at(p, INDEX) + 16 * s + 8, 8);
		uint64_t hash = le(at(p, INDEX) + 16 * s, 8);

		if (id == SLOT_EMPTY ? hash != 0 : id >= h->tokens)
			return bad("index slot %llu", (unsigned long long)s);
	}
	return check_index(p, h);
}

static int check_meta(const uint8_t *p)
{
	const uint8_t *m = at(p, META), *prev = NULL;
	uint64_t len = length(META), pos = 0, n = 0, prev_len = 0;

	while (pos < len) {
		uint64_t klen, vlen, cmp_len;
		const uint8_t *k;

		if (len - pos < 8)
			return bad("meta entry at %llu",
				   (unsigned long long)pos);
		klen = le(m + pos, 4);
		vlen = le(m + pos + 4, 4);
		k = m + pos + 8;
		if (klen < 1 || klen > 255 || vlen > 65535 ||
		    len - pos < 8 + klen + 1 + vlen + 1 || k[klen] != 0 ||
		    k[klen + 1 + vlen] != 0 || memchr(k, 0, klen) ||
		    memchr(k + klen + 1, 0, vlen))
			return bad("meta entry at %llu",
				   (unsigned long long)pos);
		cmp_len = klen < prev_len ? klen : prev_len;
		if (prev &&
		    (memcmp(prev, k, cmp_len) > 0 ||
		     (memcmp(prev, k, cmp_len) == 0 && prev_len >= klen)))
			return bad("meta keys not ascending");
		prev = k;
		prev_len = klen;
		pos += 8 + klen + 1 + vlen + 1;
		n++;
	}
	if (sec[META] && n != le(sec[META] + 32, 8))
		return bad("meta count");
	return 0;
}

/* Section checksums, block sums, padding and the content hash. */
static int check_sums(const uint8_t *p, const struct header *h,
		      uint8_t digest[16])
{
	const uint8_t *matrix = at(p, MATRIX), *sums = at(p, BLOCK_SUMS);
	uint64_t end = HEADER_SIZE + (uint64_t)h->sections * ENTRY_SIZE;
	XXH3_state_t *st;
	XXH128_canonical_t c;
	uint8_t trailer[24], *rh;

	for (unsigned i = 0; i < h->sections; i++) {
		const uint8_t *e = p + HEADER_SIZE + i * ENTRY_SIZE;
		uint64_t off = le(e + 8, 8), len = le(e + 16, 8);

		for (uint64_t o = end; o < off; o++)
			if (p[o] != 0)
				return bad("padding byte at %llu",
					   (unsigned long long)o);
		if (le(e, 4) != MATRIX &&
		    XXH3_64bits(p + off, len) != le(e + 24, 8))
			return bad("section %u checksum", i);
		end = off + len;
	}
	/* Row hashes: XXH3-64 of each row, as little-endian u64 (10.2). */
	rh = malloc(h->rows * 8);
	if (!rh)
		return bad("out of memory");
	for (uint64_t r = 0; r < h->rows; r++) {
		uint64_t v = XXH3_64bits(matrix + r * h->stride, h->stride);

		for (unsigned k = 0; k < 8; k++)
			rh[8 * r + k] = (uint8_t)(v >> 8 * k);
	}
	for (uint64_t b = 0; b * h->block_rows < h->rows; b++) {
		uint64_t first = b * h->block_rows;
		uint64_t n = h->rows - first < h->block_rows ? h->rows - first
							     : h->block_rows;

		if (XXH3_64bits(rh + 8 * first, 8 * n) != le(sums + 8 * b, 8)) {
			free(rh);
			return bad("block %llu", (unsigned long long)b);
		}
	}

	/* Created only now: every check above may return early. */
	st = XXH3_createState();
	if (!st) {
		free(rh);
		return bad("out of memory");
	}
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, rh, h->rows * 8);
	free(rh);
	if (sec[SCALES])
		XXH3_128bits_update(st, at(p, SCALES), length(SCALES));
	if (h->tokens) {
		XXH3_128bits_update(st, at(p, OFFSETS), length(OFFSETS));
		XXH3_128bits_update(st, at(p, BYTES), length(BYTES));
	}
	for (unsigned k = 0; k < 8; k++) {
		trailer[k] = (uint8_t)(h->rows >> 8 * k);
		trailer[16 + k] = (uint8_t)(h->tokens >> 8 * k);
	}
	for (unsigned k = 0; k < 4; k++) {
		trailer[8 + k] = (uint8_t)(h->dim >> 8 * k);
		trailer[12 + k] = (uint8_t)(h->dtype >> 8 * k);
	}
	XXH3_128bits_update(st, trailer, sizeof trailer);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	XXH3_freeState(st);
	memcpy(digest, c.digest, 16);
	if (memcmp(digest, p + 88, 16) != 0)
		return bad("content hash");
	return 0;
}

/* One element as float32, by the reader's rules of SPEC.md. */
static float element(const uint8_t *row, const struct header *h, uint32_t c,
		     float scale)
{
	uint32_t bits, e, m;
	float f;

	switch (h->dtype) {
	case 1: bits = (uint32_t)le(row + 4 * c, 4); break;
	case 3: bits = (uint32_t)le(row + 2 * c, 2) << 16; break;
	case 4: return scale * (float)(int8_t)row[c];
	default:
		bits = (uint32_t)le(row + 2 * c, 2);
		e = bits >> 10 & 0x1f;
		m = bits & 0x3ff;
		f = e == 0    ? ldexpf((float)m, -24)
		    : e == 31 ? (m ? NAN : INFINITY)
			      : ldexpf((float)(m | 0x400), (int)e - 25);
		return bits & 0x8000 ? -f : f;
	}
	memcpy(&f, &bits, 4);
	return f;
}

static void print_bytes(const uint8_t *s, uint64_t n)
{
	putchar('"');
	for (uint64_t i = 0; i < n; i++)
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			putchar(s[i]);
		else
			printf("\\x%02x", s[i]);
	putchar('"');
}

static void print_table(const uint8_t *p, const struct header *h,
			const uint8_t digest[16], char **find_args)
{
	static const char *const names[] = {"", "f32", "f16", "bf16", "i8"};
	const uint8_t *m = at(p, META);

	printf("format %u.%u, rows %llu, dim %u, dtype %s, tokens %llu, "
	       "sections %u\n",
	       h->major, h->minor, (unsigned long long)h->rows, h->dim,
	       names[h->dtype], (unsigned long long)h->tokens, h->sections);
	for (uint64_t r = 0; r < h->rows && r < 8; r++) {
		float scale = 1;

		if (sec[SCALES])
			memcpy(&scale, at(p, SCALES) + 4 * r, 4);
		printf("row %llu:", (unsigned long long)r);
		for (uint32_t c = 0; c < h->dim && c < 8; c++)
			printf(" %.9g",
			       (double)element(at(p, MATRIX) + r * h->stride, h,
					       c, scale));
		putchar('\n');
	}
	for (uint64_t id = 0; id < h->tokens && id < 8; id++) {
		uint64_t len;
		const uint8_t *t = token(p, h, id, &len);

		printf("token %llu: ", (unsigned long long)id);
		print_bytes(t, len);
		printf(", found as %lld\n", (long long)find(p, h, t, len));
	}
	for (; *find_args; find_args++) {
		printf("find ");
		print_bytes((const uint8_t *)*find_args, strlen(*find_args));
		printf(": %lld\n",
		       (long long)(h->tokens ? find(p, h, *find_args,
						    strlen(*find_args))
					     : -1));
	}
	for (uint64_t pos = 0; pos < length(META);) {
		uint64_t klen = le(m + pos, 4), vlen = le(m + pos + 4, 4);

		printf("meta %s = %s\n", (const char *)m + pos + 8,
		       (const char *)m + pos + 8 + klen + 1);
		pos += 8 + klen + 1 + vlen + 1;
	}
	printf("content hash ");
	for (unsigned k = 0; k < 16; k++)
		printf("%02x", digest[k]);
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct header h = {0};
	uint8_t digest[16], *p;
	FILE *f;
	long size;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: spec_reader FILE [TOKEN...]\n");
		return 2;
	}
	path = argv[1];
	if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) != 0 ||
	    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return bad("cannot read") + 1;
	p = malloc(size ? (size_t)size : 1);
	if (!p || fread(p, 1, (size_t)size, f) != (size_t)size)
		return bad("cannot read") + 1;
	fclose(f);

	rc = check_header(p, (uint64_t)size, &h);
	if (!rc &&
	    HEADER_SIZE + (uint64_t)h.sections * ENTRY_SIZE > (uint64_t)size)
		rc = bad("directory past the end");
	if (!rc && XXH3_64bits(p + HEADER_SIZE, h.sections * ENTRY_SIZE) !=
			   le(p + 104, 8))
		rc = bad("directory checksum");
	for (unsigned i = 0; !rc && i < h.sections; i++)
		rc = check_entry(&h, i, p + HEADER_SIZE + i * ENTRY_SIZE);
	if (!rc)
		rc = check_layout(&h, p + HEADER_SIZE, (uint64_t)size);
	if (!rc)
		rc = check_sums(p, &h, digest);
	if (!rc)
		rc = check_vocab(p, &h);
	if (!rc)
		rc = check_meta(p);
	if (!rc)
		print_table(p, &h, digest, argv + 2);
	free(p);
	return rc;
}
