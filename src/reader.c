/*
 * reader.c - open a table and check its structure.
 *
 * Invariants established by emb_parse(), on which every lookup relies:
 *   1. The header checksum and the directory checksum match, so every field
 *      read below is the one the writer wrote or the file was forged.
 *   2. Every section lies inside the file: offset + length <= size, computed
 *      without overflow; sections are in canonical order, do not overlap,
 *      and the file ends exactly at the last one.
 *   3. Each known section's length equals its count times its item size, and
 *      each count agrees with the header (rows, tokens, blocks).
 *   4. Nothing proportional to V or C was read: values inside sections
 *      (token offsets, index slots) are checked where they are used.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define EMBMAP_OPEN_FLAGS                                                      \
	(EMBMAP_VERIFY | EMBMAP_POPULATE | EMBMAP_HUGEPAGE | EMBMAP_MLOCK |    \
	 EMBMAP_PRIVATE)

int emb_check_header(const struct embmap_format_header *h, size_t size,
		     uint64_t known_required)
{
	if (memcmp(h->magic, EMBMAP_MAGIC, EMBMAP_MAGIC_SIZE) != 0)
		return emb_fail(EMBMAP_EMAGIC, "magic: not an embmap file");
	if (h->byte_order != EMBMAP_BYTE_ORDER_MARK)
		return emb_fail(EMBMAP_EMAGIC,
				"byte order mark 0x%08x, expected 0x%08x "
				"(a big-endian or damaged file)",
				h->byte_order, EMBMAP_BYTE_ORDER_MARK);
	if (h->version_major != EMBMAP_FORMAT_MAJOR)
		return emb_fail(EMBMAP_EVERSION,
				"format version %u.%u, this library reads %u.x",
				h->version_major, h->version_minor,
				EMBMAP_FORMAT_MAJOR);
	if (emb_hash64(h, EMBMAP_HEADER_HASHED) != h->header_checksum)
		return emb_fail(EMBMAP_ECHECKSUM,
				"header checksum 0x%016llx does not match the "
				"header bytes (0x%016llx)",
				(unsigned long long)h->header_checksum,
				(unsigned long long)emb_hash64(
					h, EMBMAP_HEADER_HASHED));
	if (h->required_features & ~known_required)
		return emb_fail(EMBMAP_EVERSION,
				"required features 0x%llx include bits this "
				"library does not know (0x%llx)",
				(unsigned long long)h->required_features,
				(unsigned long long)(h->required_features &
						     ~known_required));
	if (h->header_size != EMBMAP_HEADER_SIZE)
		return emb_fail(EMBMAP_ECORRUPT, "header_size %u, expected %u",
				h->header_size, EMBMAP_HEADER_SIZE);
	if (h->file_size != size)
		return emb_fail(h->file_size > size ? EMBMAP_ETRUNCATED
						    : EMBMAP_ECORRUPT,
				"file is %zu bytes, header says file_size %llu",
				size, (unsigned long long)h->file_size);
	if (h->reserved != 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"reserved header field is %llu,"
				" must be 0",
				(unsigned long long)h->reserved);
	return 0;
}

static int check_shape(const struct embmap_format_header *h)
{
	size_t esize = embmap_dtype_size((int)h->dtype);
	uint64_t stride;

	if (esize == 0)
		return emb_fail(EMBMAP_EDTYPE, "dtype %u is not one of 1..4",
				h->dtype);
	if (h->rows == 0 || h->rows > EMBMAP_MAX_ROWS)
		return emb_fail(EMBMAP_ECORRUPT, "rows %llu outside 1..%llu",
				(unsigned long long)h->rows,
				(unsigned long long)EMBMAP_MAX_ROWS);
	if (h->dim == 0 || h->dim > EMBMAP_MAX_DIM)
		return emb_fail(EMBMAP_ECORRUPT, "dim %u outside 1..%u", h->dim,
				EMBMAP_MAX_DIM);
	stride = (uint64_t)h->dim * esize;
	if (h->row_stride != stride)
		return emb_fail(EMBMAP_ECORRUPT,
				"row_stride %llu, expected dim %u x %zu = %llu",
				(unsigned long long)h->row_stride, h->dim,
				esize, (unsigned long long)stride);
	if (h->token_count > h->rows)
		return emb_fail(EMBMAP_ECORRUPT,
				"token_count %llu exceeds rows %llu",
				(unsigned long long)h->token_count,
				(unsigned long long)h->rows);
	if (h->alignment < EMBMAP_ALIGN_MIN ||
	    h->alignment > EMBMAP_ALIGN_MAX ||
	    (h->alignment & (h->alignment - 1)) != 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"alignment %u is not a power of two in %u..%u",
				h->alignment, EMBMAP_ALIGN_MIN,
				EMBMAP_ALIGN_MAX);
	if (h->block_rows == 0 || h->block_rows > EMBMAP_MAX_BLOCK_ROWS)
		return emb_fail(EMBMAP_ECORRUPT, "block_rows %u outside 1..%u",
				h->block_rows, EMBMAP_MAX_BLOCK_ROWS);
	if (h->section_count < 2 || h->section_count > EMBMAP_MAX_SECTIONS)
		return emb_fail(EMBMAP_ECORRUPT,
				"section_count %u outside 2..%u",
				h->section_count, EMBMAP_MAX_SECTIONS);
	return 0;
}

/* The expected item size and count of a known section kind; 0 if unknown. */
static int expected_items(const struct embmap_format_header *h, uint32_t kind,
			  uint64_t *item, uint64_t *count)
{
	switch (kind) {
	case EMBMAP_SEC_MATRIX:
		*item = h->row_stride;
		*count = h->rows;
		return 1;
	case EMBMAP_SEC_BLOCK_SUMS:
		*item = 8;
		*count = h->rows / h->block_rows +
			 (h->rows % h->block_rows != 0);
		return 1;
	case EMBMAP_SEC_SCALES:
	case EMBMAP_SEC_NORMS:
		*item = 4;
		*count = h->rows;
		return 1;
	case EMBMAP_SEC_TOKEN_OFFSETS:
		*item = 8;
		*count = h->token_count + 1;
		return 1;
	case EMBMAP_SEC_TOKEN_BYTES:
		*item = 1;
		*count = 0; /* checked against its own length */
		return 1;
	case EMBMAP_SEC_TOKEN_INDEX:
		*item = sizeof(struct embmap_format_slot);
		*count = 0; /* a power of two, checked below */
		return 1;
	case EMBMAP_SEC_META:
		*item = 0; /* variable-length entries */
		*count = 0;
		return 1;
	default: return 0;
	}
}

static int check_section(const struct embmap_format_header *h, uint32_t i,
			 const struct embmap_format_section *s)
{
	const char *name = embmap_section_name(s->kind);
	uint64_t item, count, len;

	if (s->flags != 0)
		return emb_fail(EMBMAP_EVERSION,
				"section %u (%s): flags 0x%x unknown to this "
				"library",
				i, name, s->flags);
	if (s->reserved != 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"section %u (%s): reserved field is %llu, must "
				"be 0",
				i, name, (unsigned long long)s->reserved);
	if (s->length == 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"section %u (%s): length 0 (empty sections are "
				"omitted)",
				i, name);
	if (!expected_items(h, s->kind, &item, &count))
		return 0;
	if (s->kind == EMBMAP_SEC_TOKEN_BYTES)
		count = s->length;
	if (s->kind == EMBMAP_SEC_TOKEN_INDEX) {
		count = s->count;
		if (count != emb_index_buckets(h->token_count))
			return emb_fail(EMBMAP_ECORRUPT,
					"section %u (%s): %llu buckets, the "
					"canonical count for %llu tokens is "
					"%llu",
					i, name, (unsigned long long)count,
					(unsigned long long)h->token_count,
					(unsigned long long)emb_index_buckets(
						h->token_count));
	}
	if (s->kind == EMBMAP_SEC_META)
		return 0;
	if (s->count != count)
		return emb_fail(EMBMAP_ECORRUPT,
				"section %u (%s): count %llu, expected %llu", i,
				name, (unsigned long long)s->count,
				(unsigned long long)count);
	if (emb_mul_overflow(item, count, &len) || s->length != len)
		return emb_fail(EMBMAP_ECORRUPT,
				"section %u (%s): length %llu is not %llu x "
				"count %llu",
				i, name, (unsigned long long)s->length,
				(unsigned long long)item,
				(unsigned long long)count);
	if (s->kind == EMBMAP_SEC_MATRIX && s->checksum != 0)
		return emb_fail(EMBMAP_ECORRUPT,
				"section %u (matrix): checksum field is "
				"0x%016llx, must be 0 (blocks carry its sums)",
				i, (unsigned long long)s->checksum);
	return 0;
}

/*
 * Offsets: the matrix sits at the alignment; each later section starts at
 * the next EMBMAP_SECTION_ALIGN boundary after the one before, kinds
 * strictly ascending; the file ends where the last section ends.
 */
static int check_layout(const struct embmap_format_header *h,
			const struct embmap_format_section *dir, size_t size)
{
	uint64_t end = 0;

	for (uint32_t i = 0; i < h->section_count; i++) {
		const struct embmap_format_section *s = &dir[i];
		const char *name = embmap_section_name(s->kind);
		uint64_t want, stop;

		if (i == 0 && s->kind != EMBMAP_SEC_MATRIX)
			return emb_fail(EMBMAP_ECORRUPT,
					"section 0 is kind %u (%s), the first "
					"must be the matrix",
					s->kind, name);
		if (i > 0 && s->kind <= dir[i - 1].kind)
			return emb_fail(
				EMBMAP_ECORRUPT,
				"section %u: kind %u (%s) after kind %u;"
				" kinds must ascend",
				i, s->kind, name, dir[i - 1].kind);
		want = i == 0 ? h->alignment
			      : emb_align_up(end, EMBMAP_SECTION_ALIGN);
		if (s->offset != want)
			return emb_fail(EMBMAP_ECORRUPT,
					"section %u (%s): offset %llu, the "
					"canonical layout puts it at %llu",
					i, name, (unsigned long long)s->offset,
					(unsigned long long)want);
		if (emb_add_overflow(s->offset, s->length, &stop) ||
		    stop > size)
			return emb_fail(EMBMAP_ETRUNCATED,
					"section %u (%s): offset %llu + length "
					"%llu runs past the end of the file "
					"(%zu bytes)",
					i, name, (unsigned long long)s->offset,
					(unsigned long long)s->length, size);
		end = stop;
	}
	if (end != size)
		return emb_fail(
			EMBMAP_ECORRUPT,
			"the last section ends at %llu, the file at %zu",
			(unsigned long long)end, size);
	return 0;
}

static int bind_sections(struct embmap *t)
{
	const struct embmap_format_header *h = &t->hdr;
	struct emb_sections *sec = &t->sec;

	for (uint32_t i = 0; i < h->section_count; i++) {
		const struct embmap_format_section *s = &t->dir[i];

		switch (s->kind) {
		case EMBMAP_SEC_MATRIX: sec->matrix = s; break;
		case EMBMAP_SEC_BLOCK_SUMS: sec->block_sums = s; break;
		case EMBMAP_SEC_SCALES: sec->scales = s; break;
		case EMBMAP_SEC_META: sec->meta = s; break;
		case EMBMAP_SEC_TOKEN_OFFSETS: sec->tok_offsets = s; break;
		case EMBMAP_SEC_TOKEN_BYTES: sec->tok_bytes = s; break;
		case EMBMAP_SEC_TOKEN_INDEX: sec->tok_index = s; break;
		default: break;
		}
	}
	if (!sec->block_sums)
		return emb_fail(EMBMAP_ECORRUPT, "no block-sums section");
	if ((h->dtype == EMBMAP_FMT_I8) != (sec->scales != NULL))
		return emb_fail(EMBMAP_ECORRUPT, "dtype %s %s a scales section",
				embmap_dtype_name((int)h->dtype),
				sec->scales ? "must not have" : "needs");
	if (h->token_count == 0) {
		if (sec->tok_offsets || sec->tok_bytes || sec->tok_index)
			return emb_fail(EMBMAP_ECORRUPT,
					"token_count is 0 but token sections "
					"are present");
		return 0;
	}
	if (!sec->tok_offsets || !sec->tok_bytes || !sec->tok_index)
		return emb_fail(EMBMAP_ECORRUPT,
				"token_count %llu needs token-offsets, "
				"token-bytes and token-index sections",
				(unsigned long long)h->token_count);
	return 0;
}

/*
 * Split from emb_parse() so that zstd.c can check a transport file's plain
 * head (header and directory, avail bytes) for a plain file of size bytes.
 */
int emb_parse_head(struct embmap *t, const uint8_t *base, size_t avail,
		   uint64_t size)
{
	struct embmap_format_header *h = &t->hdr;
	uint64_t dir_end;
	int rc;

	if (avail < EMBMAP_HEADER_SIZE) {
		if (avail >= EMBMAP_MAGIC_SIZE &&
		    memcmp(base, EMBMAP_MAGIC, EMBMAP_MAGIC_SIZE) == 0)
			return emb_fail(EMBMAP_ETRUNCATED,
					"file is %zu bytes, shorter than the "
					"%u-byte header",
					avail, EMBMAP_HEADER_SIZE);
		return emb_fail(EMBMAP_EMAGIC,
				"file is %zu bytes, too short "
				"for an embmap header",
				avail);
	}
	memcpy(h, base, sizeof *h);

	if ((rc = emb_check_header(h, size, EMBMAP_FEAT_REQUIRED_KNOWN)) != 0 ||
	    (rc = check_shape(h)) != 0)
		return rc;

	dir_end = EMBMAP_HEADER_SIZE +
		  (uint64_t)h->section_count * EMBMAP_SECTION_SIZE;
	if (dir_end > avail)
		return emb_fail(EMBMAP_ETRUNCATED,
				"directory of %u sections ends at %llu, past "
				"the end of the file (%zu bytes)",
				h->section_count, (unsigned long long)dir_end,
				avail);
	if (emb_hash64(base + EMBMAP_HEADER_SIZE,
		       dir_end - EMBMAP_HEADER_SIZE) != h->directory_checksum)
		return emb_fail(EMBMAP_ECHECKSUM,
				"directory checksum 0x%016llx does not match "
				"the %u directory entries",
				(unsigned long long)h->directory_checksum,
				h->section_count);
	t->dir = (const struct embmap_format_section
			  *)(const void *)(base + EMBMAP_HEADER_SIZE);

	for (uint32_t i = 0; i < h->section_count; i++)
		if ((rc = check_section(h, i, &t->dir[i])) != 0)
			return rc;
	if ((rc = check_layout(h, t->dir, size)) != 0)
		return rc;
	return bind_sections(t);
}

int emb_parse(struct embmap *t, const uint8_t *base, size_t size)
{
	const struct embmap_format_header *h = &t->hdr;
	int rc;

	t->base = base;
	t->size = size;
	if (!base || size == 0)
		return emb_fail(EMBMAP_EMAGIC,
				"empty input, not an embmap file");
	if (t->head_len == 0) { /* not read ahead by emb_map_file */
		t->head_len = size < sizeof t->head ? size : sizeof t->head;
		memcpy(t->head, base, t->head_len);
	}
	if ((rc = emb_parse_head(t, t->head, t->head_len, size)) != 0)
		return rc;

	/* bind_sections() guarantees both; say so where they are used. */
	if (!t->sec.matrix || !t->sec.block_sums)
		return emb_fail(EMBMAP_ECORRUPT, "no matrix or block sums");
	t->elem_size = embmap_dtype_size((int)h->dtype);
	t->matrix = base + t->sec.matrix->offset;
	if (t->sec.scales)
		t->scales = base + t->sec.scales->offset;
	if (h->token_count && t->sec.tok_offsets && t->sec.tok_bytes &&
	    t->sec.tok_index) {
		t->tok_offsets = base + t->sec.tok_offsets->offset;
		t->tok_bytes = base + t->sec.tok_bytes->offset;
		t->tok_bytes_len = t->sec.tok_bytes->length;
		t->tok_slots = base + t->sec.tok_index->offset;
		t->slot_mask = t->sec.tok_index->count - 1;
	}
	return 0;
}

static size_t wanted_alignment(const uint8_t *p, size_t len);
static void *map_aligned(int fd, size_t len, size_t align, int prot, int flags);

static int open_fail_errno(const char *what, const char *path, int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	return emb_fail(EMBMAP_EIO, "%s %s: %s", what, path, strerror(e));
}

/* Read the whole file into anonymous memory, for EMBMAP_PRIVATE. */
static int read_private(int fd, const char *path, size_t size, size_t align,
			void **out)
{
	uint8_t *buf =
		align ? map_aligned(-1, size, align, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS)
		      : mmap(NULL, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t done = 0;

	if (buf == MAP_FAILED)
		return emb_fail(EMBMAP_ENOMEM,
				"cannot allocate %zu bytes for "
				"a private copy of %s",
				size, path);
	while (done < size) {
		ssize_t n = pread(fd, buf + done, size - done, (off_t)done);

		if (n <= 0) {
			int e = n < 0 ? errno : 0;

			munmap(buf, size);
			if (n == 0)
				return emb_fail(EMBMAP_ETRUNCATED,
						"%s shrank to %zu bytes while "
						"being read",
						path, done);
			return emb_fail(EMBMAP_EIO, "read %s: %s", path,
					strerror(e));
		}
		done += (size_t)n;
	}
	mprotect(buf, size, PROT_READ);
	*out = buf;
	return 0;
}

/* Shared with zstd.c (internal.h). */
/*
 * The alignment a file asks for, read from its header as a hint before any
 * validation: only used to place the mapping, bounded to the format's range.
 */
static size_t wanted_alignment(const uint8_t *p, size_t len)
{
	uint32_t a;

	if (len < EMBMAP_HEADER_SIZE ||
	    memcmp(p, EMBMAP_MAGIC, EMBMAP_MAGIC_SIZE) != 0)
		return 0;
	a = emb_load32(p + offsetof(struct embmap_format_header, alignment));
	if (a <= EMBMAP_ALIGN_MIN || a > EMBMAP_ALIGN_MAX || (a & (a - 1)))
		return 0;
	return a;
}

/*
 * Map len bytes of fd (or anonymous memory when fd < 0) at an address that
 * is a multiple of align: reserve len + align of address space, map inside
 * it at the first aligned address, give back the rest.
 */
static void *map_aligned(int fd, size_t len, size_t align, int prot, int flags)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) / page * page;
	uint8_t *res = mmap(NULL, span + align, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *at;
	void *p;

	if (res == MAP_FAILED)
		return MAP_FAILED;
	at = (uint8_t *)(((uintptr_t)res + align - 1) &
			 ~(uintptr_t)(align - 1));
	p = mmap(at, len, prot, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		munmap(res, span + align);
		return MAP_FAILED;
	}
	if (at > res)
		munmap(res, (size_t)(at - res));
	if (res + span + align > at + span)
		munmap(at + span, (size_t)(res + span + align - (at + span)));
	return p;
}

int emb_map_file(const char *path, unsigned flags, void **out, size_t *len,
		 uint8_t *head, size_t *head_len)
{
	uint8_t first[EMBMAP_HEADER_SIZE];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int mflags = MAP_SHARED;
	size_t align, want = head ? EMBMAP_ALIGN_MIN : sizeof first;
	ssize_t got;
	void *p;

	if (fd < 0)
		return open_fail_errno("open", path, -1);
	if (fstat(fd, &st) != 0)
		return open_fail_errno("stat", path, fd);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return emb_fail(EMBMAP_EINVAL, "%s is not a regular file",
				path);
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return emb_fail(EMBMAP_EMAGIC,
				"%s is empty, not an embmap file", path);
	}
	*len = (size_t)st.st_size;

	/* One read of the first page costs less than faulting it in. */
	got = pread(fd, head ? head : first, want, 0);
	if (got < 0)
		return open_fail_errno("read", path, fd);
	if (head_len)
		*head_len = (size_t)got;
	align = wanted_alignment(head ? head : first, (size_t)got);

	if (flags & EMBMAP_PRIVATE) {
		int rc = read_private(fd, path, *len, align, out);

		close(fd);
		return rc;
	}
#ifdef MAP_POPULATE
	if (flags & EMBMAP_POPULATE)
		mflags |= MAP_POPULATE;
#endif
	/* The matrix sits at file offset `alignment`: align the mapping too. */
	p = align ? map_aligned(fd, *len, align, PROT_READ, mflags)
		  : mmap(NULL, *len, PROT_READ, mflags, fd, 0);
	if (p == MAP_FAILED)
		return open_fail_errno("mmap", path, fd);
	close(fd);
	*out = p;
	return 0;
}

static int finish_open(struct embmap *t, unsigned flags, embmap **out)
{
	int rc;

#ifdef MADV_HUGEPAGE
	if ((flags & EMBMAP_HUGEPAGE) && t->backing == EMB_MAPPED)
		madvise((void *)(uintptr_t)t->base, t->size, MADV_HUGEPAGE);
#endif
	if ((flags & EMBMAP_MLOCK) && mlock(t->base, t->size) != 0) {
		rc = emb_fail(EMBMAP_EIO,
			      "mlock of %zu bytes: %s (see "
			      "RLIMIT_MEMLOCK)",
			      t->size, strerror(errno));
		embmap_close(t);
		return rc;
	}
	if ((flags & EMBMAP_VERIFY) && (rc = embmap_verify(t, NULL, NULL))) {
		embmap_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

int embmap_open(const char *path, unsigned flags, embmap **out)
{
	struct embmap *t;
	void *base = NULL;
	size_t size = 0;
	int rc;

	if (!out)
		return emb_fail(EMBMAP_EINVAL, "embmap_open: out is NULL");
	*out = NULL;
	if (!path)
		return emb_fail(EMBMAP_EINVAL, "embmap_open: path is NULL");
	if (flags & ~EMBMAP_OPEN_FLAGS)
		return emb_fail(EMBMAP_EINVAL,
				"embmap_open: unknown flags 0x%x",
				flags & ~EMBMAP_OPEN_FLAGS);
	t = calloc(1, sizeof *t);
	if (!t)
		return emb_fail(EMBMAP_ENOMEM, "embmap_open: handle");

	if ((rc = emb_map_file(path, flags, &base, &size, t->head,
			       &t->head_len)) != 0) {
		free(t);
		return rc;
	}
	t->backing = (flags & EMBMAP_PRIVATE) ? EMB_HEAP : EMB_MAPPED;
	/*
	 * Hook: the zstd transport form is decompressed first (zstd.c); the
	 * head then comes from the decompressed bytes.
	 */
	if (emb_zstd_detect(t->head, t->head_len)) {
		t->head_len = 0;
		rc = emb_zstd_inflate(t, &base, &size);
	}
	if (rc != 0) {
		t->base = base;
		t->size = size;
		embmap_close(t);
		return rc;
	}
	if ((rc = emb_parse(t, base, size)) != 0) {
		t->base = base;
		t->size = size;
		embmap_close(t);
		return rc;
	}
	return finish_open(t, flags, out);
}

int embmap_open_buffer(const void *buf, size_t size, unsigned flags,
		       embmap **out)
{
	struct embmap *t;
	int rc;

	if (!out)
		return emb_fail(EMBMAP_EINVAL,
				"embmap_open_buffer: out is NULL");
	*out = NULL;
	if (!buf)
		return emb_fail(EMBMAP_EINVAL,
				"embmap_open_buffer: buf is NULL");
	if (flags & ~EMBMAP_OPEN_FLAGS)
		return emb_fail(EMBMAP_EINVAL,
				"embmap_open_buffer: unknown flags 0x%x",
				flags & ~EMBMAP_OPEN_FLAGS);
	t = calloc(1, sizeof *t);
	if (!t)
		return emb_fail(EMBMAP_ENOMEM, "embmap_open_buffer: handle");
	t->backing = EMB_BORROWED;
	/* Hook: the zstd transport form is decompressed first (zstd.c). */
	if (emb_zstd_detect(buf, size)) {
		void *plain = (void *)(uintptr_t)buf;

		if ((rc = emb_zstd_inflate(t, &plain, &size)) != 0) {
			free(t);
			return rc;
		}
		buf = plain;
	}
	if ((rc = emb_parse(t, buf, size)) != 0) {
		embmap_close(t);
		return rc;
	}
	return finish_open(t, flags & ~(EMBMAP_POPULATE | EMBMAP_HUGEPAGE),
			   out);
}

void embmap_close(embmap *t)
{
	if (!t)
		return;
	if (t->base && t->backing != EMB_BORROWED)
		munmap((void *)(uintptr_t)t->base, t->size);
	free(t);
}
