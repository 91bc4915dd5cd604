/*
 * textvec.h - line scanning and exact number parsing for the text vector
 * formats (word2vec text and fastText .vec in in_word2vec.c, GloVe in
 * in_glove.c).
 *
 * Lines end in "\n" or "\r\n"; the last may lack its newline. A line of
 * spaces, tabs and carriage returns only is blank and skipped wherever it
 * is, but still counted, so that messages name the line an editor shows.
 * Fields are separated by runs of spaces and tabs.
 */
#ifndef EMBMAP_TEXTVEC_H
#define EMBMAP_TEXTVEC_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The largest dim any of these formats accepts. */
#define TEXTVEC_MAX_DIM (1u << 24)

/* A mapped text file being walked line by line. */
struct text_pos {
	const uint8_t *p, *end;
	uint64_t line; /* number of the line that starts at p, from 1 */
};

/* One line that is not blank, without its line ending. */
struct text_line {
	const uint8_t *b, *e;
	uint64_t line;
};

static inline int text_is_sep(int c)
{
	return c == ' ' || c == '\t';
}

/* The next line that is not blank: 1, or 0 at the end of the file. */
int text_next_line(struct text_pos *t, struct text_line *l);

/* The number of separated fields in [b, e). */
uint64_t text_count_fields(const uint8_t *b, const uint8_t *e);

/*
 * Parse a header line "ROWS DIM" (two positive decimal integers, DIM at
 * most TEXTVEC_MAX_DIM). On failure set s->err naming the line and return
 * SRC_EDATA.
 */
int text_parse_header(struct source *s, const struct text_line *l,
		      uint64_t *rows, uint32_t *dim);

/* Outcomes of text_parse_float(). */
enum { NUM_OK, NUM_BAD, NUM_LONG, NUM_RANGE, NUM_NONFINITE };

/*
 * Parse the field [b, e) as a float32 with strtof, which rounds the
 * decimal value correctly, so that whatever %.9g printed comes back bit
 * for bit. NaN and infinities are refused (NUM_NONFINITE), as are finite
 * numbers beyond float32's range (NUM_RANGE).
 */
int text_parse_float(const uint8_t *b, const uint8_t *e, float *out);

/*
 * Parse exactly dim values from [vb, l->e) into out. Errors name the line,
 * the byte column (from l->b) and the value's position.
 */
int text_parse_values(struct source *s, const struct text_line *l,
		      const uint8_t *vb, uint32_t dim, float *out);

/*
 * Finds, in a line, where the token ends and where the values begin;
 * returns 0 or SRC_EDATA with s->err set.
 */
typedef int (*text_split_fn)(struct source *s, const struct text_line *l,
			     uint32_t dim, const uint8_t **tok_end,
			     const uint8_t **values);

/*
 * Open a text source whose first vector line is the next line of pos:
 * walk every line once to check its shape and collect its token, then
 * set up s->read to parse the values on demand. rows is the count the
 * header promised, or 0 when there is no header (GloVe) and the lines
 * decide. m is taken over: s->close unmaps it, after a failure too.
 */
int text_source_open(struct source *s, struct mapped *m, struct text_pos pos,
		     uint64_t rows, uint32_t dim, text_split_fn split);

#endif /* EMBMAP_TEXTVEC_H */
