/*
 * vocab_text.c - the text vocabulary format: one token per line.
 *
 * The format, as embmap reads and writes it:
 *   - Line k (counting from 0) is token k, the name of row k.
 *   - A line ends with \n; a \r right before it is dropped, so files with
 *     CRLF line ends read the same. A missing final newline is fine.
 *   - Backslash escapes are decoded: \\ is a backslash, \n, \r and \t are
 *     those bytes, \xHH (two hex digits) is the byte HH. A backslash
 *     followed by anything else is kept as it is, so plain vocabulary
 *     files, such as BERT's vocab.txt with its lone "\" token, read as they
 *     were meant. (Such a file that holds a literal two-byte "\n" token
 *     reads it as a newline: the price of being able to name every byte.)
 *   - Empty lines at the end of the file are ignored; an empty line before
 *     a token is an error, since a token has at least one byte.
 *   - Any other byte, UTF-8 or not, is taken as it is.
 * The writer escapes newline, carriage return and tab as above and every
 * other control byte (below 0x20, and 0x7f) as \xHH, and writes a backslash
 * as \\ only where the reader would otherwise take it as the start of an
 * escape (before another backslash, n, r, t, an escaped byte, or x and two
 * hex digits). So a token written and read back has the same bytes, and a
 * plain vocabulary file is written back exactly as it was. Not yet: an
 * empty token, which has no line of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int text_probe(const char *path, const uint8_t *head, size_t n)
{
	(void)head;
	(void)n;
	return path_has_ext(path, ".txt") || path_has_ext(path, ".vocab");
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode line[0..len) into out (at most len bytes); the decoded length. */
static size_t decode(const uint8_t *line, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = line[i], hi, lo;

		if (c != '\\' || i + 1 == len) {
			out[o++] = (char)c;
			continue;
		}
		switch (line[i + 1]) {
		case '\\': out[o++] = '\\'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'x':
			hi = i + 3 < len ? hex_digit(line[i + 2]) : -1;
			lo = i + 3 < len ? hex_digit(line[i + 3]) : -1;
			if (hi < 0 || lo < 0) {
				out[o++] = '\\';
				continue;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
			break;
		default: out[o++] = '\\'; continue;
		}
		i++;
	}
	return o;
}

static int parse(const uint8_t *p, size_t size, struct vocab *v, char *err,
		 size_t errsize)
{
	uint64_t line = 0, blank_from = 0, blanks = 0;
	size_t pos = 0, cap = 0;
	char *buf = NULL;
	int rc = 0;

	if (!p || size == 0)
		return 0;
	while (pos < size) {
		const uint8_t *nl = memchr(p + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - p) : size;
		size_t len = end - pos;

		line++;
		if (len && p[end - 1] == '\r')
			len--;
		if (len == 0) {
			if (!blanks++)
				blank_from = line;
		} else if (blanks) {
			snprintf(err, errsize,
				 "line %llu: empty line before the token on "
				 "line %llu (a token has at least one byte)",
				 (unsigned long long)blank_from,
				 (unsigned long long)line);
			rc = SRC_EDATA;
			break;
		} else {
			if (len > cap) {
				char *b = realloc(buf, len);

				if (!b) {
					snprintf(err, errsize, "out of memory");
					rc = SRC_ENOMEM;
					break;
				}
				buf = b;
				cap = len;
			}
			if (vocab_add(v, buf, decode(p + pos, len, buf)) != 0) {
				snprintf(err, errsize, "out of memory");
				rc = SRC_ENOMEM;
				break;
			}
		}
		pos = end + 1;
	}
	free(buf);
	return rc;
}

static int text_load(const char *path, struct vocab *v, char *err,
		     size_t errsize)
{
	struct stat st;
	void *p = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		snprintf(err, errsize, "cannot open: %s", strerror(errno));
		return SRC_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "not a regular file");
		close(fd);
		return SRC_EIO;
	}
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			 0);
		if (p == MAP_FAILED) {
			snprintf(err, errsize, "cannot map: %s",
				 strerror(errno));
			close(fd);
			return SRC_EIO;
		}
		madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	}
	close(fd);
	rc = parse(p, (size_t)st.st_size, v, err, errsize);
	if (p)
		munmap(p, (size_t)st.st_size);
	return rc;
}

/* Whether byte c is written starting with a backslash. */
static int written_from_backslash(unsigned char c)
{
	return c == '\\' || c < 0x20 || c == 0x7f;
}

/*
 * Whether a backslash followed by next[0..n) must be written as \\: only
 * when the reader would otherwise take it as the start of an escape.
 */
static int backslash_needs_escape(const char *next, size_t n)
{
	unsigned char c = n ? (unsigned char)next[0] : 0;

	if (n == 0)
		return 0;
	if (written_from_backslash(c) || c == 'n' || c == 'r' || c == 't')
		return 1;
	return c == 'x' && n >= 3 && hex_digit(next[1]) >= 0 &&
	       hex_digit(next[2]) >= 0;
}

int token_write_escaped(FILE *f, const char *tok, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tok[i];

		switch (c) {
		case '\\':
			if (backslash_needs_escape(tok + i + 1, len - i - 1))
				putc('\\', f);
			putc('\\', f);
			break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				putc('\\', f);
				putc('x', f);
				putc(hex[c >> 4], f);
				putc(hex[c & 15], f);
			} else {
				putc(c, f);
			}
		}
	}
	return ferror(f) ? -1 : 0;
}

int vocab_text_write(FILE *f, const char *tok, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (token_write_escaped(f, tok, len) != 0)
		return -1;
	return putc('\n', f) == EOF ? -1 : 0;
}

const struct vocab_format vocab_text = {
	.name = "text",
	.what = "one token per line; \\\\ \\n \\r \\t \\xHH escapes "
		"(the fallback)",
	.probe = text_probe,
	.load = text_load,
};
