/*
 * verify.c - full and partial integrity checks.
 *
 * A full verify reads the file once. The matrix is walked block by block:
 * each block is hashed for its own checksum and fed, while still in cache,
 * to the content hash, so the 128-bit identity costs no second trip to
 * memory.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#endif

#include "internal.h"

struct damage {
	embmap_damage_fn fn;
	void *ctx;
	int rc;			       /* first failure code, 0 while intact */
	uint64_t run_first, run_count; /* pending run of bad matrix rows */
	char first[512]; /* errmsg of the first failure, restored at the end */
};

/* Pass one damage to the caller; errmsg holds its detail (emb_fail). */
static void report(struct damage *d, int code, uint32_t kind, uint64_t first,
		   uint64_t count)
{
	struct embmap_damage dm = {kind, code, first, count, embmap_errmsg()};

	if (d->fn)
		d->fn(d->ctx, &dm);
	if (d->rc == 0) {
		d->rc = code;
		snprintf(d->first, sizeof d->first, "%s", embmap_errmsg());
	}
}

static void flush_rows(struct damage *d)
{
	if (d->run_count == 0)
		return;
	emb_fail(EMBMAP_ECHECKSUM,
		 "matrix rows %llu..%llu: block "
		 "checksum mismatch",
		 (unsigned long long)d->run_first,
		 (unsigned long long)(d->run_first + d->run_count - 1));
	report(d, EMBMAP_ECHECKSUM, EMBMAP_SEC_MATRIX, d->run_first,
	       d->run_count);
	d->run_count = 0;
}

static void bad_rows(struct damage *d, uint64_t first, uint64_t count)
{
	if (d->run_count && d->run_first + d->run_count == first) {
		d->run_count += count;
		return;
	}
	flush_rows(d);
	d->run_first = first;
	d->run_count = count;
}

static void bad_section(struct damage *d, uint32_t i,
			const struct embmap_format_section *s)
{
	emb_fail(EMBMAP_ECHECKSUM, "section %u (%s): checksum mismatch", i,
		 embmap_section_name(s->kind));
	report(d, EMBMAP_ECHECKSUM, s->kind, 0, 0);
}

/* Bytes in [from, to) must be zero; report kind 0 otherwise. */
static void check_zero(const embmap *t, struct damage *d, uint64_t from,
		       uint64_t to)
{
	for (uint64_t o = from; o < to; o++)
		if (t->base[o] != 0) {
			emb_fail(EMBMAP_ECORRUPT,
				 "padding byte at "
				 "offset %llu is 0x%02x, must be 0",
				 (unsigned long long)o, t->base[o]);
			report(d, EMBMAP_ECORRUPT, EMBMAP_DAMAGE_PADDING, 0, 0);
			return;
		}
}

static uint64_t block_count(const embmap *t)
{
	return t->sec.block_sums->count;
}

/* The rows of block b: from *first, *rows of them (the last may be short). */
static void block_span(const embmap *t, uint64_t b, uint64_t *first,
		       uint64_t *rows)
{
	uint64_t br = t->hdr.block_rows;

	*first = b * br;
	*rows = t->hdr.rows - *first < br ? t->hdr.rows - *first : br;
}

/*
 * Hash block b and compare with its stored sum; 1 when it matches. The
 * block sum and the content hash are both digests of row hashes, so each
 * row is read and hashed once for the two (emb_hash_rows).
 */
static int block_ok(const embmap *t, uint64_t b, XXH3_state_t *block,
		    XXH3_state_t *content)
{
	const struct embmap_format_header *h = &t->hdr;
	uint64_t first, rows;
	uint64_t want = emb_load64(t->base + t->sec.block_sums->offset + 8 * b);

	block_span(t, b, &first, &rows);
	XXH3_64bits_reset(block);
	emb_hash_rows(t->matrix + first * h->row_stride, rows, h->row_stride,
		      block, content);
	return XXH3_64bits_digest(block) == want;
}

/* i8 stores q in -127..127: -128 (0x80) is not a value of the format. */
static void check_i8_block(const embmap *t, struct damage *d, uint64_t b)
{
	const struct embmap_format_header *h = &t->hdr;
	uint64_t first, rows;
	const uint8_t *p, *bad;

	block_span(t, b, &first, &rows);
	p = t->matrix + first * h->row_stride;
	bad = memchr(p, 0x80, (size_t)(rows * h->row_stride));

	if (!bad)
		return;
	emb_fail(EMBMAP_ECORRUPT,
		 "matrix row %llu: i8 value -128 is outside "
		 "-127..127",
		 (unsigned long long)(first +
				      (uint64_t)(bad - p) / h->row_stride));
	report(d, EMBMAP_ECORRUPT, EMBMAP_SEC_MATRIX, 0, 0);
}

/* Scales must be finite, >= 0 and not negative zero. */
static void verify_scales(const embmap *t, struct damage *d)
{
	for (uint64_t r = 0; r < t->hdr.rows; r++) {
		float s = embmap_row_scale(t, r);

		if (s >= 0 && s <= FLT_MAX && !signbit(s))
			continue;
		emb_fail(EMBMAP_ECORRUPT,
			 "scales: row %llu has scale %g, "
			 "must be finite and >= +0",
			 (unsigned long long)r, (double)s);
		report(d, EMBMAP_ECORRUPT, EMBMAP_SEC_SCALES, 0, 0);
		return;
	}
}

static void verify_matrix(const embmap *t, struct damage *d,
			  XXH3_state_t *block, XXH3_state_t *content,
			  int sums_ok)
{
	const uint64_t nb = block_count(t);

	for (uint64_t b = 0; b < nb; b++) {
		uint64_t first, n;

		block_span(t, b, &first, &n);
		if (!block_ok(t, b, block, content)) {
			if (sums_ok)
				bad_rows(d, first, n);
		} else if (t->hdr.dtype == EMBMAP_FMT_I8) {
			/* Sound bytes may still hold a value i8 forbids. */
			check_i8_block(t, d, b);
		}
	}
	flush_rows(d);
}

static void verify_index(const embmap *t, struct damage *d);

/* The structure inside the vocabulary: offsets ascend, NULs in place. */
static void verify_vocab(const embmap *t, struct damage *d)
{
	uint64_t n = t->hdr.token_count;
	uint64_t prev = emb_load64(t->tok_offsets);
	uint64_t last = emb_load64(t->tok_offsets + 8 * n);

	/* Open reads none of this: it would cost page faults, not safety. */
	if (prev != 0 || last != t->tok_bytes_len ||
	    t->tok_bytes[t->tok_bytes_len - 1] != 0) {
		emb_fail(EMBMAP_ECORRUPT,
			 "token offsets run %llu..%llu, expected 0..%llu (the "
			 "token-bytes length, ending in a NUL)",
			 (unsigned long long)prev, (unsigned long long)last,
			 (unsigned long long)t->tok_bytes_len);
		report(d, EMBMAP_ECORRUPT, EMBMAP_SEC_TOKEN_OFFSETS, 0, 0);
		return;
	}
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t o = emb_load64(t->tok_offsets + 8 * i);

		if (o <= prev || o > t->tok_bytes_len ||
		    t->tok_bytes[o - 1] != 0) {
			emb_fail(EMBMAP_ECORRUPT,
				 "token %llu: offsets"
				 " %llu..%llu are not ascending within"
				 " token-bytes or lack the NUL",
				 (unsigned long long)(i - 1),
				 (unsigned long long)prev,
				 (unsigned long long)o);
			report(d, EMBMAP_ECORRUPT, EMBMAP_SEC_TOKEN_OFFSETS, 0,
			       0);
			return;
		}
		prev = o;
	}
	for (uint64_t s = 0; s <= t->slot_mask; s++) {
		uint64_t id = emb_load64(t->tok_slots + 16 * s + 8);

		if (id != EMBMAP_SLOT_EMPTY && id >= n) {
			emb_fail(EMBMAP_ECORRUPT,
				 "token-index slot %llu: id %llu, the table "
				 "has %llu tokens",
				 (unsigned long long)s, (unsigned long long)id,
				 (unsigned long long)n);
			report(d, EMBMAP_ECORRUPT, EMBMAP_SEC_TOKEN_INDEX, 0,
			       0);
			return;
		}
	}
	verify_index(t, d);
}

enum index_fault { INDEX_OK, INDEX_TWICE, INDEX_ASTRAY, INDEX_MISSING };

static void index_fault(struct damage *d, enum index_fault f, uint64_t id)
{
	unsigned long long i = (unsigned long long)id;

	if (f == INDEX_TWICE)
		emb_fail(EMBMAP_ECORRUPT,
			 "token-index: holds token %llu in two slots", i);
	else if (f == INDEX_ASTRAY)
		emb_fail(EMBMAP_ECORRUPT,
			 "token-index: holds token %llu where a lookup does "
			 "not find it (wrong hash, or outside its probe run)",
			 i);
	else
		emb_fail(EMBMAP_ECORRUPT,
			 "token-index: lacks token %llu, which repeats no "
			 "earlier token",
			 i);
	report(d, EMBMAP_ECORRUPT, EMBMAP_SEC_TOKEN_INDEX, 0, 0);
}

/*
 * The index must serve every token and hold nothing else: each occupied
 * slot leads back to its own id, no id is held twice, and a token left out
 * is a duplicate of an earlier one (find gives that one). Slots are walked
 * in order, so each lookup probes slots already in cache. O(tokens).
 */
static void verify_index(const embmap *t, struct damage *d)
{
	uint64_t n = t->hdr.token_count;
	uint8_t *seen = calloc((size_t)(n / 8 + 1), 1);
	enum index_fault f = INDEX_OK;
	uint64_t id = 0, bad = 0;

	if (!seen) {
		emb_fail(EMBMAP_ENOMEM, "verify: token bitmap");
		report(d, EMBMAP_ENOMEM, EMBMAP_SEC_TOKEN_INDEX, 0, 0);
		return;
	}
	for (uint64_t s = 0; s <= t->slot_mask && f == INDEX_OK; s++) {
		const char *tok;
		size_t len;

		id = emb_load64(t->tok_slots + 16 * s + 8);
		if (id == EMBMAP_SLOT_EMPTY)
			continue;
		tok = embmap_token(t, id, &len);
		if (seen[id / 8] & (1u << (id % 8)))
			f = INDEX_TWICE;
		else if (!tok || embmap_find(t, tok, len) != (int64_t)id)
			f = INDEX_ASTRAY;
		seen[id / 8] |= (uint8_t)(1u << (id % 8));
		bad = id;
	}
	for (id = 0; id < n && f == INDEX_OK; id++) {
		size_t len, flen;
		const char *tok, *ftok;
		int64_t j;

		if (seen[id / 8] & (1u << (id % 8)))
			continue;
		tok = embmap_token(t, id, &len);
		j = embmap_find(t, tok, len);
		ftok = j >= 0 ? embmap_token(t, (uint64_t)j, &flen) : NULL;
		if (!ftok || (uint64_t)j >= id || flen != len ||
		    memcmp(ftok, tok, len) != 0) {
			f = INDEX_MISSING;
			bad = id;
		}
	}
	free(seen);
	if (f != INDEX_OK)
		index_fault(d, f, bad);
}

/* Entries must parse to the end, keys strictly ascending. */
static void verify_meta(const embmap *t, struct damage *d)
{
	const char *k, *v, *prev = NULL;
	size_t pos = 0;
	uint64_t n = 0;
	int rc;

	while ((rc = embmap_meta_next(t, &pos, &k, &v)) == 1) {
		if (prev && strcmp(prev, k) >= 0) {
			rc = emb_fail(EMBMAP_ECORRUPT,
				      "metadata key \"%.64s\" is not after "
				      "\"%.64s\"",
				      k, prev);
			break;
		}
		prev = k;
		n++;
	}
	if (rc == 0 && t->sec.meta && n != t->sec.meta->count)
		rc = emb_fail(EMBMAP_ECORRUPT,
			      "metadata has %llu entries, count says %llu",
			      (unsigned long long)n,
			      (unsigned long long)t->sec.meta->count);
	/* Keep the first failure's detail: it is the one errmsg reports. */
	if (rc < 0)
		report(d, EMBMAP_ECORRUPT, EMBMAP_SEC_META, 0, 0);
}

static void content_tail(const embmap *t, XXH3_state_t *st, uint8_t out[16])
{
	struct embmap_format_content_trailer tr = {
		.rows = t->hdr.rows,
		.dim = t->hdr.dim,
		.dtype = t->hdr.dtype,
		.token_count = t->hdr.token_count,
	};
	XXH128_canonical_t c;

	if (t->scales)
		XXH3_128bits_update(st, t->scales, t->sec.scales->length);
	if (t->hdr.token_count) {
		XXH3_128bits_update(st, t->tok_offsets,
				    t->sec.tok_offsets->length);
		XXH3_128bits_update(st, t->tok_bytes, t->tok_bytes_len);
	}
	XXH3_128bits_update(st, &tr, sizeof tr);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	memcpy(out, c.digest, 16);
}

int embmap_verify(const embmap *t, embmap_damage_fn fn, void *ctx)
{
	struct damage d = {.fn = fn, .ctx = ctx};
	XXH3_state_t *content = XXH3_createState();
	XXH3_state_t *block = XXH3_createState();
	uint64_t end = EMBMAP_HEADER_SIZE +
		       (uint64_t)t->hdr.section_count * EMBMAP_SECTION_SIZE;
	int sums_ok = 1, vocab_ok = 1, meta_ok = 1, scales_ok = 1;
	uint8_t digest[16];

	if (!content || !block) {
		XXH3_freeState(content);
		XXH3_freeState(block);
		return emb_fail(EMBMAP_ENOMEM, "verify: hash state");
	}
	XXH3_128bits_reset(content);

	for (uint32_t i = 0; i < t->hdr.section_count; i++) {
		const struct embmap_format_section *s = &t->dir[i];

		check_zero(t, &d, end, s->offset);
		end = s->offset + s->length;
		if (s->kind == EMBMAP_SEC_MATRIX ||
		    emb_hash64(t->base + s->offset, s->length) == s->checksum)
			continue;
		bad_section(&d, i, s);
		sums_ok &= s->kind != EMBMAP_SEC_BLOCK_SUMS;
		meta_ok &= s->kind != EMBMAP_SEC_META;
		scales_ok &= s->kind != EMBMAP_SEC_SCALES;
		vocab_ok &= s->kind != EMBMAP_SEC_TOKEN_OFFSETS &&
			    s->kind != EMBMAP_SEC_TOKEN_BYTES &&
			    s->kind != EMBMAP_SEC_TOKEN_INDEX;
	}

	/*
	 * Checksums that held may still cover bytes a faulty writer produced.
	 * The vocabulary goes first, while the checksum pass left it in cache.
	 */
	if (vocab_ok && t->hdr.token_count)
		verify_vocab(t, &d);
	if (meta_ok)
		verify_meta(t, &d);

	/* Rows are located only through block sums that are themselves sound. */
	verify_matrix(t, &d, block, content, sums_ok);
	if (scales_ok && t->scales)
		verify_scales(t, &d);

	/* Any damage found already explains a content hash mismatch. */
	if (d.rc == 0) {
		content_tail(t, content, digest);
		if (memcmp(digest, t->hdr.content_hash, 16) != 0) {
			emb_fail(EMBMAP_ECHECKSUM,
				 "content hash does not "
				 "match the table's contents");
			report(&d, EMBMAP_ECHECKSUM, EMBMAP_DAMAGE_CONTENT, 0,
			       0);
		}
	}
	XXH3_freeState(content);
	XXH3_freeState(block);
	if (d.rc)
		emb_fail(d.rc, "%s", d.first);
	return d.rc;
}

int embmap_verify_rows(const embmap *t, uint64_t first, uint64_t count)
{
	const struct embmap_format_section *bs = t->sec.block_sums;
	uint64_t br = t->hdr.block_rows, last;
	XXH3_state_t *block;
	int rc = 0;

	if (first > t->hdr.rows || count > t->hdr.rows - first)
		return emb_fail(EMBMAP_ERANGE,
				"rows %llu + %llu exceed the table's %llu rows",
				(unsigned long long)first,
				(unsigned long long)count,
				(unsigned long long)t->hdr.rows);
	if (count == 0)
		return 0;
	if (emb_hash64(t->base + bs->offset, bs->length) != bs->checksum)
		return emb_fail(EMBMAP_ECHECKSUM,
				"section block-sums: checksum mismatch");
	if (!(block = XXH3_createState()))
		return emb_fail(EMBMAP_ENOMEM, "verify: hash state");

	last = (first + count - 1) / br;
	for (uint64_t b = first / br; b <= last && rc == 0; b++) {
		uint64_t lo, n;

		block_span(t, b, &lo, &n);
		if (!block_ok(t, b, block, NULL))
			rc = emb_fail(EMBMAP_ECHECKSUM,
				      "matrix rows %llu..%llu: block checksum "
				      "mismatch",
				      (unsigned long long)lo,
				      (unsigned long long)(lo + n - 1));
	}
	XXH3_freeState(block);
	return rc;
}
