/*
 * fuzz_zstd.c - any bytes as a file in the zstd transport form, through
 * everything that reads one: embmap_open_buffer (which decompresses it),
 * embmap_zstd_probe, embmap_zstd_verify, embmap_zstd_read_rows and
 * embmap_unpack; and, for a table that verifies, a compress and unpack
 * round trip with options drawn from the input.
 *
 * Input: one control byte, then the file. Control bit 0 asks for the
 * checksums that guard the structure to be recomputed first (transport
 * header and directory, frame table, the plain head's own header and
 * directory, and the frames' checksums when they are not shuffled), so
 * mutations reach the frame table and the frames. Bits 1-3 choose the
 * round trip's frame_rows (1 << n), bit 4 turns shuffling off, bit 5
 * uses two threads instead of one.
 *
 * Oracles: open and unpack agree (both read every frame and parse the
 * result) and give the same table; a table that verifies also passes
 * embmap_zstd_verify, reads the same rows through embmap_zstd_read_rows,
 * and comes back byte for byte from compress then unpack.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include <zstd.h>

#include "embmap.h"
#include "embmap_format.h"
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ZHEAD (EMBMAP_HEADER_SIZE + EMBMAP_ZSTD_INFO_SIZE)
#define FIX_FRAME_MAX (1u << 20)
#define COMPARE_MAX (1u << 20)

static int in_bounds(uint64_t off, uint64_t len, size_t n)
{
	return off <= n && len <= n - off;
}

/* The plain head's header and directory checksums, at 192. */
static void fix_plain_head(uint8_t *buf, size_t n)
{
	struct embmap_format_header p;
	uint64_t dir;

	if (!in_bounds(ZHEAD, EMBMAP_HEADER_SIZE, n))
		return;
	memcpy(&p, buf + ZHEAD, sizeof p);
	dir = (uint64_t)p.section_count * EMBMAP_SECTION_SIZE;
	if (p.section_count <= EMBMAP_MAX_SECTIONS &&
	    in_bounds(ZHEAD + EMBMAP_HEADER_SIZE, dir, n))
		p.directory_checksum =
			XXH3_64bits(buf + ZHEAD + EMBMAP_HEADER_SIZE, dir);
	p.header_checksum = XXH3_64bits(&p, EMBMAP_HEADER_HASHED);
	memcpy(buf + ZHEAD, &p, sizeof p);
}

/* Frame checksums (unshuffled files only), then the table's checksum. */
static void fix_table(uint8_t *buf, size_t n, struct embmap_format_zstd *zi)
{
	static uint8_t plain[FIX_FRAME_MAX];
	uint64_t frames, len;

	if (zi->table_offset > n)
		return;
	frames = zi->frame_count;
	if (frames > (n - zi->table_offset) / EMBMAP_ZFRAME_SIZE)
		frames = (n - zi->table_offset) / EMBMAP_ZFRAME_SIZE;
	for (uint64_t f = 0; zi->filter == EMBMAP_ZFILTER_NONE && f < frames;
	     f++) {
		uint8_t *at = buf + zi->table_offset + f * EMBMAP_ZFRAME_SIZE;
		struct embmap_format_zframe e;
		size_t got;

		memcpy(&e, at, sizeof e);
		if (!in_bounds(e.offset, e.size, n) ||
		    e.plain_size > FIX_FRAME_MAX)
			continue;
		got = ZSTD_decompress(plain, e.plain_size, buf + e.offset,
				      e.size);
		if (ZSTD_isError(got) || got != e.plain_size)
			continue;
		e.checksum = XXH3_64bits(plain, got);
		memcpy(at, &e, sizeof e);
	}
	len = zi->frame_count * EMBMAP_ZFRAME_SIZE;
	if (zi->frame_count <= n / EMBMAP_ZFRAME_SIZE &&
	    in_bounds(zi->table_offset, len, n))
		zi->table_checksum =
			XXH3_64bits(buf + zi->table_offset, (size_t)len);
}

static void zfixup(uint8_t *buf, size_t n)
{
	struct embmap_format_header h;
	struct embmap_format_zstd zi;
	uint64_t head;

	if (n < ZHEAD)
		return;
	memcpy(&h, buf, sizeof h);
	memcpy(&zi, buf + EMBMAP_HEADER_SIZE, sizeof zi);
	fix_plain_head(buf, n);
	fix_table(buf, n, &zi);
	memcpy(buf + EMBMAP_HEADER_SIZE, &zi, sizeof zi);
	head = EMBMAP_HEADER_SIZE +
	       (uint64_t)h.section_count * EMBMAP_SECTION_SIZE;
	if (h.section_count <= EMBMAP_MAX_SECTIONS &&
	    in_bounds(EMBMAP_HEADER_SIZE, EMBMAP_ZSTD_INFO_SIZE + head, n))
		h.directory_checksum = XXH3_64bits(
			buf + EMBMAP_HEADER_SIZE, EMBMAP_ZSTD_INFO_SIZE + head);
	h.header_checksum = XXH3_64bits(&h, EMBMAP_HEADER_HASHED);
	memcpy(buf, &h, sizeof h);
}

static void on_damage(void *ctx, const struct embmap_zstd_damage *d)
{
	if (!d->detail ||
	    (d->code != EMBMAP_ECHECKSUM && d->code != EMBMAP_ECORRUPT))
		abort();
	++*(unsigned *)ctx;
}

/* The whole file at path, or NULL (with *n 0) when it cannot be read. */
static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *b = NULL;

	*n = 0;
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size > 0 &&
	    (b = malloc((size_t)st.st_size)) != NULL &&
	    fread(b, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
		*n = (size_t)st.st_size;
	fclose(f);
	if (!*n) {
		free(b);
		b = NULL;
	}
	return b;
}

/* Two open tables hold the same bytes, as far as the API shows them. */
static void same_table(const embmap *a, const embmap *b)
{
	uint8_t ha[16], hb[16];
	uint64_t rows = embmap_rows(a);
	size_t stride = embmap_stride(a);

	embmap_content_hash(a, ha);
	embmap_content_hash(b, hb);
	if (embmap_file_size(a) != embmap_file_size(b) || memcmp(ha, hb, 16) ||
	    embmap_rows(b) != rows || embmap_stride(b) != stride ||
	    embmap_tokens(a) != embmap_tokens(b) ||
	    embmap_section_count(a) != embmap_section_count(b))
		abort();
	for (uint32_t i = 0; i < embmap_section_count(a); i++) {
		struct embmap_section_info x, y;

		if (embmap_section_at(a, i, &x) ||
		    embmap_section_at(b, i, &y) || memcmp(&x, &y, sizeof x))
			abort();
	}
	for (uint64_t r = 0; r < rows && r * stride < COMPARE_MAX; r++)
		if (memcmp(embmap_row(a, r), embmap_row(b, r), stride))
			abort();
	for (uint64_t i = 0; i < embmap_tokens(a) && i < 4096; i++) {
		size_t la, lb;
		const char *ta = embmap_token(a, i, &la);
		const char *tb = embmap_token(b, i, &lb);

		if (!ta != !tb || (ta && (la != lb || memcmp(ta, tb, la))))
			abort();
	}
}

/* Rows through embmap_zstd_read_rows equal the opened table's. */
static void read_rows(const char *path, const embmap *t)
{
	uint64_t rows = embmap_rows(t), k = rows < 5 ? rows : 5;
	size_t stride = embmap_stride(t);
	uint8_t *out;

	if (stride * k > COMPARE_MAX || !(out = malloc(stride * k)))
		return;
	if (embmap_zstd_read_rows(path, rows - k, k, out, stride * k) != 0)
		abort(); /* open decoded these frames; this must too */
	for (uint64_t i = 0; i < k; i++)
		if (memcmp(out + i * stride, embmap_row(t, rows - k + i),
			   stride))
			abort();
	if (embmap_zstd_read_rows(path, rows, 1, out, stride) != EMBMAP_ERANGE)
		abort();
	free(out);
}

/* compress(plain) then unpack gives plain back, byte for byte. */
static void round_trip(const char *plain, uint8_t ctl)
{
	struct embmap_zstd_options o = {
		.level = 1,
		.frame_rows = 1u << ((ctl >> 1) & 7),
		.flags = EMBMAP_WRITE_NO_SYNC |
			 ((ctl & 16) ? EMBMAP_ZSTD_NO_SHUFFLE : 0),
		.threads = (ctl & 32) ? 2 : 1,
	};
	char z[256], back[256];
	uint8_t *a, *b;
	size_t na, nb;
	int rc;

	scratch_path(z, sizeof z, "again.embmapz");
	scratch_path(back, sizeof back, "again.embmap");
	rc = embmap_compress(plain, z, &o);
	if (rc == EMBMAP_EINVAL)
		return; /* frame_rows x row_stride above the frame limit */
	if (rc != 0 || embmap_unpack(z, back, &o) != 0)
		abort();
	a = slurp(plain, &na);
	b = slurp(back, &nb);
	if (!a || na != nb || memcmp(a, b, na))
		abort();
	free(a);
	free(b);
	unlink(z);
	unlink(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct embmap_zstd_options vo = {.threads = 1,
					 .flags = EMBMAP_WRITE_NO_SYNC};
	struct embmap_zstd_info info;
	char path[256], plain[256];
	embmap *t = NULL, *u = NULL;
	unsigned damage = 0;
	int orc, opened, verified = 0, probe, zrc, urc;
	uint8_t *buf;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	/* Exactly n bytes: AddressSanitizer sees a read one past the end. */
	buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, n);
	if (data[0] & 1)
		zfixup(buf, n);
	scratch_path(path, sizeof path, "in.embmapz");
	scratch_path(plain, sizeof plain, "in.embmap");
	scratch_write(path, buf, n);

	orc = embmap_open_buffer(buf, n, 0, &t);
	opened = orc == 0;
	if (opened)
		verified = embmap_verify(t, NULL, NULL) == 0;

	probe = embmap_zstd_probe(path, &info);
	if (opened && embmap_compressed_size(t) &&
	    (probe != 1 || info.plain_size != embmap_file_size(t) ||
	     info.compressed_size != n))
		abort(); /* open read it as transport, probe disagrees */

	zrc = embmap_zstd_verify(path, on_damage, &damage, &vo);
	if (damage && zrc != EMBMAP_ECHECKSUM && zrc != EMBMAP_ECORRUPT)
		abort(); /* damage reported, yet intact or another error */
	if (verified && embmap_compressed_size(t) && zrc != 0)
		abort(); /* the decompressed table verifies, the frames not */

	urc = embmap_unpack(path, plain, &vo);
	if (opened && embmap_compressed_size(t)) {
		if (urc != 0 || embmap_open(plain, 0, &u) != 0)
			abort(); /* open decompressed it; unpack must too */
		same_table(t, u);
		if ((embmap_verify(u, NULL, NULL) == 0) != verified)
			abort();
		embmap_close(u);
		read_rows(path, t);
		if (verified)
			round_trip(plain, data[0]);
	} else if (urc == 0 && orc != EMBMAP_ENOMEM) {
		abort(); /* unpack rebuilt what open refused */
	}
	embmap_close(t);
	free(buf);
	unlink(path);
	unlink(plain);
	return 0;
}
