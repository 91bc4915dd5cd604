/*
 * mkdemo.c - write a GPT-2-sized demo table: a float32 .npy matrix and a
 * vocabulary text file, both a pure function of the options.
 *
 *   embmap-mkdemo [--rows V] [--dim C] [--tokens N] [--seed S]
 *                 TABLE.npy VOCAB.txt
 *
 * The defaults match GPT-2's token embedding (wte): 50,257 rows of 768
 * values of about N(0, 0.02), and 50,257 distinct tokens. Smaller sizes make
 * fixtures for tests; larger ones feed the benchmark.
 *
 * Values are a scaled sum of four 16-bit uniforms (an Irwin-Hall draw) from
 * a splitmix64 stream: integer arithmetic and one correctly rounded multiply,
 * so every machine writes the same bytes. Each file appears by rename, whole.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_ROWS 50257u
#define DEFAULT_DIM 768u
#define DEFAULT_SEED UINT64_C(0x656d626d61702121)
#define TARGET_SD 0.02
/* Well inside the number of distinct pseudo-words the syllables make. */
#define MAX_TOKENS 10000000u

static const char *prog = "embmap-mkdemo";

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A uniform integer in 0..n-1 (n small: the modulo bias is negligible). */
static uint32_t pick(uint64_t *state, uint32_t n)
{
	return (uint32_t)((splitmix64(state) >> 32) % n);
}

/*
 * About N(0, TARGET_SD): four 16-bit uniforms summed, centred and scaled by
 * the sum's standard deviation, sqrt(4 (65536^2 - 1) / 12).
 */
static float normalish(uint64_t *state)
{
	static const double scale = TARGET_SD / 37837.226;
	uint64_t r = splitmix64(state);
	int64_t s = (int64_t)(r & 0xffff) + (int64_t)((r >> 16) & 0xffff) +
		    (int64_t)((r >> 32) & 0xffff) + (int64_t)(r >> 48);

	return (float)((double)(s - 131070) * scale);
}

/* ------------------------------------------------------------------------ */
/* Output files that appear whole or not at all                             */
/* ------------------------------------------------------------------------ */

struct out {
	FILE *f;
	const char *path;
	char *tmp;
};

static int out_open(struct out *o, const char *path)
{
	size_t n = strlen(path);
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	o->path = path;
	o->f = NULL;
	o->tmp = malloc(n + 8);
	if (!o->tmp) {
		fprintf(stderr, "%s: %s: out of memory\n", prog, path);
		return -1;
	}
	memcpy(o->tmp, path, n);
	memcpy(o->tmp + n, ".XXXXXX", 8);
	fd = mkstemp(o->tmp);
	/* mkstemp makes the file 0600; give it the usual umask mode. */
	if (fd >= 0)
		fchmod(fd, 0666 & ~mask);
	if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
		fprintf(stderr, "%s: %s: cannot create a temporary file: %s\n",
			prog, path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	return 0;
}

static void out_abort(struct out *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp) {
		unlink(o->tmp);
		free(o->tmp);
	}
	o->f = NULL;
	o->tmp = NULL;
}

static int out_commit(struct out *o)
{
	int bad = ferror(o->f);

	if (fclose(o->f) != 0 || bad) {
		o->f = NULL;
		fprintf(stderr, "%s: %s: write failed: %s\n", prog, o->path,
			strerror(errno));
		out_abort(o);
		return -1;
	}
	o->f = NULL;
	if (rename(o->tmp, o->path) != 0) {
		fprintf(stderr, "%s: %s: rename from %s failed: %s\n", prog,
			o->path, o->tmp, strerror(errno));
		out_abort(o);
		return -1;
	}
	free(o->tmp);
	o->tmp = NULL;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The matrix                                                               */
/* ------------------------------------------------------------------------ */

/*
 * An .npy version 1.0 header: magic, version, a u16 length, then a Python
 * dict literal padded with spaces and ended by a newline so that the data
 * starts on a 64-byte boundary, as numpy.save writes it.
 */
static int npy_header(FILE *f, uint64_t rows, uint32_t dim)
{
	char dict[128];
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
	int n = snprintf(dict, sizeof dict,
			 "{'descr': '<f4', 'fortran_order': False, "
			 "'shape': (%llu, %u), }",
			 (unsigned long long)rows, dim);
	size_t total = (sizeof pre + (size_t)n + 1 + 63) / 64 * 64;
	size_t hlen = total - sizeof pre;

	pre[8] = (unsigned char)(hlen & 0xff);
	pre[9] = (unsigned char)(hlen >> 8);
	if (fwrite(pre, 1, sizeof pre, f) != sizeof pre ||
	    fwrite(dict, 1, (size_t)n, f) != (size_t)n)
		return -1;
	for (size_t i = sizeof pre + (size_t)n; i < total - 1; i++)
		if (fputc(' ', f) == EOF)
			return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}

static int write_matrix(struct out *o, uint64_t rows, uint32_t dim,
			uint64_t seed)
{
	enum { CHUNK = 16384 };
	unsigned char *buf = malloc(4 * CHUNK);
	uint64_t state = seed, left = rows * dim;

	if (!buf) {
		fprintf(stderr, "%s: %s: out of memory\n", prog, o->path);
		return -1;
	}
	if (npy_header(o->f, rows, dim) != 0)
		goto fail;

	while (left > 0) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;

		/* Stored little-endian whatever the host's byte order. */
		for (size_t i = 0; i < n; i++) {
			float v = normalish(&state);
			uint32_t b;

			memcpy(&b, &v, 4);
			buf[4 * i] = (unsigned char)b;
			buf[4 * i + 1] = (unsigned char)(b >> 8);
			buf[4 * i + 2] = (unsigned char)(b >> 16);
			buf[4 * i + 3] = (unsigned char)(b >> 24);
		}
		if (fwrite(buf, 4, n, o->f) != n)
			goto fail;
		left -= n;
	}
	free(buf);
	return 0;

fail:
	fprintf(stderr, "%s: %s: write failed: %s\n", prog, o->path,
		strerror(errno));
	free(buf);
	return -1;
}

/* ------------------------------------------------------------------------ */
/* The vocabulary                                                           */
/* ------------------------------------------------------------------------ */

/* Distinct tokens in one arena, with a hash set to refuse repeats. */
struct tokens {
	char *bytes;
	size_t len, cap;
	size_t *off; /* token i is bytes[off[i] .. off[i + 1]) */
	uint64_t n, max;
	uint64_t *set; /* token id + 1 per slot, 0 when empty */
	uint64_t mask;
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * UINT64_C(0x100000001b3);
	return h;
}

static int tokens_init(struct tokens *t, uint64_t max)
{
	uint64_t slots = 16;

	while (slots < 2 * max)
		slots *= 2;
	memset(t, 0, sizeof *t);
	t->max = max;
	t->mask = slots - 1;
	t->cap = 16 * (size_t)max + 64;
	t->bytes = malloc(t->cap);
	t->off = malloc((size_t)(max + 1) * sizeof *t->off);
	t->set = calloc((size_t)slots, sizeof *t->set);
	if (!t->bytes || !t->off || !t->set)
		return -1;
	t->off[0] = 0;
	return 0;
}

static void tokens_free(struct tokens *t)
{
	free(t->bytes);
	free(t->off);
	free(t->set);
}

/* Add tok unless present or full: 1 added, 0 not, -1 out of memory. */
static int tokens_add(struct tokens *t, const char *tok, size_t len)
{
	uint64_t i = fnv1a(tok, len) & t->mask;

	if (t->n == t->max)
		return 0;
	for (; t->set[i]; i = (i + 1) & t->mask) {
		uint64_t id = t->set[i] - 1;
		size_t a = t->off[id], b = t->off[id + 1];

		if (b - a == len && memcmp(t->bytes + a, tok, len) == 0)
			return 0;
	}
	if (t->len + len > t->cap) {
		size_t cap = 2 * t->cap + len;
		char *p = realloc(t->bytes, cap);

		if (!p)
			return -1;
		t->bytes = p;
		t->cap = cap;
	}
	memcpy(t->bytes + t->len, tok, len);
	t->len += len;
	t->set[i] = t->n + 1;
	t->off[++t->n] = t->len;
	return 1;
}

static int tokens_add_str(struct tokens *t, const char *s)
{
	return tokens_add(t, s, strlen(s));
}

/* Common English words; each also goes in as " word" and " Word". */
static const char *const words[] = {
	"hello",     "world",	  "the",	 "embedding",	"token",
	"vector",    "model",	  "of",		 "and",		"to",
	"in",	     "is",	  "that",	 "for",		"it",
	"as",	     "was",	  "with",	 "be",		"by",
	"on",	     "not",	  "he",		 "this",	"are",
	"or",	     "his",	  "from",	 "at",		"which",
	"but",	     "have",	  "an",		 "had",		"they",
	"you",	     "were",	  "their",	 "one",		"all",
	"we",	     "can",	  "her",	 "has",		"there",
	"been",	     "if",	  "more",	 "when",	"will",
	"would",     "who",	  "so",		 "no",		"she",
	"other",     "its",	  "may",	 "these",	"about",
	"time",	     "people",	  "year",	 "way",		"day",
	"man",	     "thing",	  "woman",	 "life",	"child",
	"school",    "state",	  "family",	 "student",	"group",
	"country",   "problem",	  "hand",	 "part",	"place",
	"case",	     "week",	  "company",	 "system",	"program",
	"question",  "work",	  "government",	 "number",	"night",
	"point",     "home",	  "water",	 "room",	"mother",
	"area",	     "money",	  "story",	 "fact",	"month",
	"lot",	     "right",	  "study",	 "book",	"eye",
	"job",	     "word",	  "business",	 "issue",	"side",
	"kind",	     "head",	  "house",	 "service",	"friend",
	"father",    "power",	  "hour",	 "game",	"line",
	"end",	     "member",	  "law",	 "car",		"city",
	"community", "name",	  "president",	 "team",	"minute",
	"idea",	     "kid",	  "body",	 "information", "back",
	"parent",    "face",	  "others",	 "level",	"office",
	"door",	     "health",	  "person",	 "art",		"war",
	"history",   "party",	  "result",	 "change",	"morning",
	"reason",    "research",  "girl",	 "guy",		"moment",
	"air",	     "teacher",	  "force",	 "education",	"network",
	"data",	     "language",  "learning",	 "neural",	"matrix",
	"layer",     "attention", "transformer", "weight",	"training",
	"inference", "memory",	  "file",	 "format",	"checksum",
	"index",     "table",	  "row",	 "column",	"float",
	"byte",	     "good",	  "new",	 "first",	"last",
	"long",	     "great",	  "little",	 "own",		"old",
	"big",	     "high",	  "different",	 "small",	"large",
	"next",	     "early",	  "young",	 "important",	"few",
	"public",    "bad",	  "same",	 "able",	"say",
	"get",	     "make",	  "go",		 "know",	"take",
	"see",	     "come",	  "think",	 "look",	"want",
	"give",	     "use",	  "find",	 "tell",	"ask",
	"seem",	     "feel",	  "try",	 "leave",	"call",
	"ing",	     "ed",	  "er",		 "ly",		"tion",
	"ment",	     "ness",
};

/* Strings GPT-2's vocabulary also has: punctuation runs and newlines. */
static const char *const extras[] = {
	"\n",	"\n\n", ".\n", ",\"", ".\"", "'s",  " '",  "...", " (",
	").",	"),",	" -",  " --", " $",  " %",  "://", "\t",  "\t\t",
	"\r\n", " \\",	"\\n", " {",  " }",  "();", " =>", " ==", " !=",
};

static const char *const syllables[] = {
	"ka",  "lo",  "mi",   "ren", "tor", "dal", "vi",  "sen", "qua", "ar",
	"el",  "on",  "in",   "ta",  "ber", "gen", "mor", "phi", "ix",	"ul",
	"bra", "cor", "den",  "fal", "gor", "hel", "jun", "kel", "lun", "mar",
	"nor", "pel", "quin", "ros", "sal", "tin", "ust", "val", "wen", "xe",
	"yor", "zan", "st",   "tr",  "pl",  "ch",  "sh",  "th",	 "ai",	"eu",
	"ou",  "an",  "es",   "is",  "or",  "um",  "ent", "ing", "ed",	"al",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A pseudo-word: one to four syllables, then maybe a suffix; most with a
 * leading space (a word inside text, as GPT-2 stores them), some
 * capitalised.
 */
static size_t pseudo_word(uint64_t *state, char *out)
{
	static const char *const suffix[] = {"s", "ing", "ed", "er", "ly"};
	static const unsigned nsyl[8] = {1, 2, 2, 2, 3, 3, 3, 4};
	uint32_t r = pick(state, 100);
	unsigned k = nsyl[pick(state, 8)];
	size_t n = 0, start;

	if (r < 60)
		out[n++] = ' ';
	start = n;
	for (unsigned i = 0; i < k; i++) {
		const char *s = syllables[pick(state, COUNT(syllables))];
		size_t l = strlen(s);

		memcpy(out + n, s, l);
		n += l;
	}
	if (pick(state, 4) == 0) {
		const char *s = suffix[pick(state, COUNT(suffix))];
		size_t l = strlen(s);

		memcpy(out + n, s, l);
		n += l;
	}
	if (r % 7 == 0)
		out[start] = (char)(out[start] - 'a' + 'A');
	return n;
}

static int fill_tokens(struct tokens *t, uint64_t seed)
{
	uint64_t state = seed ^ UINT64_C(0x766f636162756c61);
	char buf[64];
	int rc = 0;

	for (size_t i = 0; i < COUNT(words) && rc >= 0; i++) {
		rc = tokens_add_str(t, words[i]);
		snprintf(buf, sizeof buf, " %s", words[i]);
		if (rc >= 0)
			rc = tokens_add_str(t, buf);
		buf[1] = (char)(buf[1] - 'a' + 'A');
		if (rc >= 0)
			rc = tokens_add_str(t, buf);
	}

	/* Every single byte, as GPT-2's byte-level vocabulary has. */
	for (unsigned b = 0x21; b <= 0x7e && rc >= 0; b++) {
		buf[0] = (char)b;
		rc = tokens_add(t, buf, 1);
	}
	for (unsigned b = 0; b < 256 && rc >= 0; b++) {
		buf[0] = (char)b;
		rc = tokens_add(t, buf, 1);
	}
	for (size_t i = 0; i < COUNT(extras) && rc >= 0; i++)
		rc = tokens_add_str(t, extras[i]);
	for (unsigned i = 0; i < 1000 && rc >= 0; i++) {
		snprintf(buf, sizeof buf, "%u", i);
		rc = tokens_add_str(t, buf);
		snprintf(buf, sizeof buf, " %u", i);
		if (rc >= 0)
			rc = tokens_add_str(t, buf);
	}

	/* Pseudo-words until the count is reached; repeats are skipped. */
	while (t->n < t->max && rc >= 0)
		rc = tokens_add(t, buf, pseudo_word(&state, buf));
	return rc < 0 ? -1 : 0;
}

/*
 * One token a line. Backslash, newline, carriage return and tab take their
 * C escapes; other control bytes, bytes from 0x7f up, and a space that ends
 * a token (editors strip those) are written as \xHH.
 */
static int put_token(FILE *f, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		int rc;

		if (c == '\\')
			rc = fputs("\\\\", f);
		else if (c == '\n')
			rc = fputs("\\n", f);
		else if (c == '\r')
			rc = fputs("\\r", f);
		else if (c == '\t')
			rc = fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f || (c == ' ' && i + 1 == n))
			rc = fprintf(f, "\\x%02x", c);
		else
			rc = fputc((int)c, f);
		if (rc < 0)
			return -1;
	}
	return fputc('\n', f) == EOF ? -1 : 0;
}

static int write_vocab(struct out *o, uint64_t count, uint64_t seed)
{
	struct tokens t;

	if (tokens_init(&t, count) != 0 || fill_tokens(&t, seed) != 0) {
		fprintf(stderr, "%s: %s: out of memory\n", prog, o->path);
		tokens_free(&t);
		return -1;
	}
	for (uint64_t i = 0; i < t.n; i++)
		if (put_token(o->f, (const unsigned char *)t.bytes + t.off[i],
			      t.off[i + 1] - t.off[i]) != 0) {
			fprintf(stderr, "%s: %s: write failed: %s\n", prog,
				o->path, strerror(errno));
			tokens_free(&t);
			return -1;
		}
	tokens_free(&t);
	return 0;
}

/* ------------------------------------------------------------------------ */

static int usage(FILE *to, int code)
{
	fprintf(to,
		"usage: %s [--rows V] [--dim C] [--tokens N] [--seed S] "
		"TABLE.npy VOCAB.txt\n\n"
		"Write a demo embedding table: a V x C float32 .npy of values "
		"about N(0, 0.02)\nand a vocabulary of N distinct tokens, one "
		"a line (escapes \\\\ \\n \\r \\t \\xHH).\n"
		"Defaults: V = N = %u, C = %u (GPT-2's wte). The output "
		"depends only on\nthe options.\n",
		prog, DEFAULT_ROWS, DEFAULT_DIM);
	return code;
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr,
			"%s: %s %s: expected an integer in %llu..%llu\n", prog,
			opt, s, (unsigned long long)min,
			(unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rows", required_argument, NULL, 'r'},
		{"dim", required_argument, NULL, 'd'},
		{"tokens", required_argument, NULL, 't'},
		{"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t rows = DEFAULT_ROWS, dim = DEFAULT_DIM, seed = DEFAULT_SEED;
	uint64_t ntok = UINT64_MAX;
	struct out table, vocab = {0};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 'r':
			rc = parse_u64("--rows", optarg, 1, 1u << 30, &rows);
			break;
		case 'd':
			rc = parse_u64("--dim", optarg, 1, 1u << 20, &dim);
			break;
		case 't':
			rc = parse_u64("--tokens", optarg, 0, MAX_TOKENS,
				       &ntok);
			break;
		case 's':
			rc = parse_u64("--seed", optarg, 0, UINT64_MAX, &seed);
			break;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, 2);
		}
		if (rc)
			return 2;
	}
	if (argc - optind != 2)
		return usage(stderr, 2);
	if (ntok == UINT64_MAX)
		ntok = rows < MAX_TOKENS ? rows : MAX_TOKENS;
	if (ntok > rows) {
		fprintf(stderr, "%s: --tokens %llu exceeds --rows %llu\n", prog,
			(unsigned long long)ntok, (unsigned long long)rows);
		return 2;
	}
	if (rows * dim > (uint64_t)SIZE_MAX / 4) {
		fprintf(stderr, "%s: %llu x %llu values do not fit in memory\n",
			prog, (unsigned long long)rows,
			(unsigned long long)dim);
		return 2;
	}

	/* Both files are written before either is renamed into place. */
	if (out_open(&table, argv[optind]) != 0)
		return 2;
	if (out_open(&vocab, argv[optind + 1]) != 0 ||
	    write_matrix(&table, rows, (uint32_t)dim, seed) != 0 ||
	    write_vocab(&vocab, ntok, seed) != 0) {
		out_abort(&table);
		out_abort(&vocab);
		return 2;
	}
	if (out_commit(&table) != 0) {
		out_abort(&vocab);
		return 2;
	}
	return out_commit(&vocab) != 0 ? 2 : 0;
}
