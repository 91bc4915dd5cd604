/*
 * in_glove.c - GloVe text vectors.
 *
 * GloVe writes one line per word, "token v1 ... vC", with no header. Some
 * public GloVe files have tokens that contain spaces, so the last C fields
 * of a line are its values and everything before the separator that
 * precedes them is the token, byte for byte. C is taken from the first
 * line: the number of fields at its end that are numbers, but at least
 * one field is left for the token (a token may itself be a number). The
 * row count is the number of lines that are not blank.
 *
 * Known weakness: a line with one value too many reads as a token that
 * ends in a number, because a token with spaces looks just like it. Not
 * yet: a warning for tokens whose last word is numeric.
 *
 * Lines, numbers and the mapping are handled as for word2vec text (see
 * textvec.h): values must be finite, parsed exactly.
 */
#include <string.h>

#include "textvec.h"

/* Split off the last dim fields; what is before them is the token. */
static int glove_split(struct source *s, const struct text_line *l,
		       uint32_t dim, const uint8_t **tok_end,
		       const uint8_t **values)
{
	const uint8_t *p = l->e, *vb;
	uint32_t k;

	for (k = 0; k < dim; k++) {
		while (p > l->b && text_is_sep(p[-1]))
			p--;
		if (p == l->b)
			break;
		while (p > l->b && !text_is_sep(p[-1]))
			p--;
	}
	vb = p;
	while (p > l->b && text_is_sep(p[-1]))
		p--;
	if (k < dim || p == l->b)
		return src_fail(
			s, SRC_EDATA,
			"line %llu: %llu fields, expected a token and "
			"%u values",
			(unsigned long long)l->line,
			(unsigned long long)text_count_fields(l->b, l->e), dim);
	*tok_end = p;
	*values = vb;
	return 0;
}

static int is_number(const uint8_t *b, const uint8_t *e)
{
	float v;
	int r = text_parse_float(b, e, &v);

	/* Out of range or NaN is still a number here: the values are
	 * parsed later, and refused there with their place. */
	return r == NUM_OK || r == NUM_RANGE || r == NUM_NONFINITE;
}

/*
 * The fields of [b, e) and how many at its end are numbers. A field cut
 * by the end of a probe's head is not counted (cut is set).
 */
static void count_numbers(const uint8_t *b, const uint8_t *e, int cut,
			  uint64_t *fields, uint64_t *numbers)
{
	const uint8_t *p = e;
	int trailing = 1;

	if (cut)
		while (p > b && !text_is_sep(p[-1]))
			p--;
	*fields = text_count_fields(b, p);
	*numbers = 0;
	while (p > b && trailing) {
		const uint8_t *fe;

		while (p > b && text_is_sep(p[-1]))
			p--;
		if (p == b)
			break;
		fe = p;
		while (p > b && !text_is_sep(p[-1]))
			p--;
		trailing = is_number(p, fe);
		*numbers += (uint64_t)trailing;
	}
}

static int glove_open(struct source *s, const char *path,
		      const struct pack_options *o)
{
	struct mapped m;
	struct text_pos pos, first;
	struct text_line l;
	uint64_t fields, numbers, dim;
	char q[80];

	(void)o;
	/* map_input() has printed why: leave s->err empty. */
	if (map_input(path, &m) != EXIT_OK)
		return SRC_EIO;
	if (m.size == 0)
		return src_fail(s, SRC_EDATA, "the file is empty");
	pos.p = m.data;
	pos.end = m.data + m.size;
	pos.line = 1;
	first = pos;
	if (!text_next_line(&pos, &l)) {
		unmap_input(&m);
		return src_fail(s, SRC_EDATA, "the file is empty");
	}

	count_numbers(l.b, l.e, 0, &fields, &numbers);
	dim = numbers < fields ? numbers : fields - 1;
	if (fields < 2) {
		unmap_input(&m);
		return src_fail(s, SRC_EDATA,
				"line %llu: one field; expected a token and "
				"its values",
				(unsigned long long)l.line);
	}
	if (dim == 0) {
		const uint8_t *p = l.e;

		while (p > l.b && !text_is_sep(p[-1]))
			p--;
		src_fail(s, SRC_EDATA,
			 "line %llu: %s ends the line but is not a number; "
			 "expected a token and its values",
			 (unsigned long long)l.line,
			 quote_bytes(q, sizeof q, (const char *)p,
				     (size_t)(l.e - p)));
		unmap_input(&m);
		return SRC_EDATA;
	}
	if (dim > TEXTVEC_MAX_DIM) {
		unmap_input(&m);
		return src_fail(s, SRC_EDATA,
				"line %llu: %llu values; at most %u are "
				"supported",
				(unsigned long long)l.line,
				(unsigned long long)dim, TEXTVEC_MAX_DIM);
	}
	return text_source_open(s, &m, first, 0, (uint32_t)dim, glove_split);
}

static int glove_probe(const char *path, const uint8_t *head, size_t n)
{
	struct source tmp;
	struct text_pos pos = {head, head + n, 1};
	struct text_line l;
	uint64_t fields, numbers, rows;
	uint32_t dim;
	const uint8_t *nl;
	size_t plen = strlen(path);

	if (!text_next_line(&pos, &l))
		return 0;
	for (const uint8_t *p = l.b; p < l.e; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\r') || *p == 0x7f)
			return 0;

	/* Two integers alone are a word2vec header, not a GloVe line. */
	if (text_parse_header(&tmp, &l, &rows, &dim) == 0)
		return 0;
	nl = memchr(l.b, '\n', (size_t)(head + n - l.b));
	count_numbers(l.b, l.e, !nl, &fields, &numbers);

	/* A token, perhaps of several words, then mostly numbers. */
	if (fields >= 2 && numbers >= 1 && 2 * numbers >= fields)
		return 2;
	return fields >= 2 && numbers >= 1 && plen > 4 &&
	       !strcmp(path + plen - 4, ".txt");
}

const struct input_format input_glove = {
	"glove",
	"GloVe text: 'token v1 ... vC' lines, no header; tokens may have spaces",
	glove_probe,
	glove_open,
};
