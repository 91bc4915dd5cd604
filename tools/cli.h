/*
 * cli.h - what the embmap command's source files share.
 *
 * The command is built on the public library API only (include/embmap.h);
 * nothing here reaches into src/. Input converters plug in as a
 * struct input_format (tables) or a struct vocab_format (vocabularies) and
 * are listed in formats.c.
 */
#ifndef EMBMAP_CLI_H
#define EMBMAP_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "embmap.h"

/* Exit codes: 1 the file is invalid or damaged, 2 usage or I/O error. */
enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2 };

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* "embmap: FILE: message" on stderr; file may be NULL. */
void diag(const char *file, const char *fmt, ...) CLI_PRINTF(2, 3);

/* The exit code for a library error: 1 for a bad file, 2 otherwise. */
int exit_for(int embmap_code);

/* Report a library failure on file and return exit_for(code). */
int diag_lib(const char *file, int code);

/* Print usage text to stdout (help) or stderr (misuse) and return. */
int usage_text(FILE *to, const char *text, int code);

/* A file mapped read-only in whole; size 0 files get a NULL data. */
struct mapped {
	const uint8_t *data;
	size_t size;
};

/* 1 when path ends with ext (".npy"), ignoring case, and is longer. */
int path_has_ext(const char *path, const char *ext);

/* Map path; on failure print the diagnostic and return EXIT_USAGE. */
int map_input(const char *path, struct mapped *m);
void unmap_input(struct mapped *m);

/*
 * A progress bar on stderr, shown only when stderr is a terminal and the
 * job has run for more than half a second.
 */
struct progress {
	const char *label;
	uint64_t total;
	double start;
	double last;
	int shown;
};

void progress_start(struct progress *p, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);

/* Monotonic seconds. */
double now_seconds(void);

/* ------------------------------------------------------------------------ */
/* Vocabularies                                                             */
/* ------------------------------------------------------------------------ */

/* A list of byte-string tokens, token i naming row i. */
struct vocab {
	uint64_t n;
	char *bytes; /* token i is bytes[off[i] .. off[i+1]) */
	size_t len, cap;
	uint64_t *off; /* n + 1 entries once anything is added */
	uint64_t off_cap;
};

/* Append a token; returns 0 or -1 when out of memory. */
int vocab_add(struct vocab *v, const char *tok, size_t len);
const char *vocab_get(const struct vocab *v, uint64_t i, size_t *len);
void vocab_free(struct vocab *v);

/*
 * Write one token as a line of the text vocabulary format (vocab_text.c
 * defines it): \\ \n \r \t for those bytes, \xHH for other control
 * bytes, the rest as is, then a newline. An empty token has no line of its
 * own: -1 with errno EINVAL. -1 also on a write error.
 */
int vocab_text_write(FILE *f, const char *tok, size_t len);

/* The same escaping without the newline, for tokens in messages and
 * listings; any length. -1 when f has an error. */
int token_write_escaped(FILE *f, const char *tok, size_t len);

/* Parse a decimal number (no sign, no spaces); 0 or -1 when malformed. */
int parse_u64(const char *s, uint64_t *out);

/*
 * Bytes s[0..n-1] quoted for a message, into buf (cap bytes, at least 16):
 * '"' and '\\' and control bytes escaped, cut short with "..." past what
 * fits or 60 bytes. Returns buf.
 */
const char *quote_bytes(char *buf, size_t cap, const char *s, size_t n);

/* ------------------------------------------------------------------------ */
/* Input formats                                                            */
/* ------------------------------------------------------------------------ */

/* Element types a source delivers, in host byte order. */
enum src_elem { SRC_F32 = 1, SRC_F16 = 2, SRC_BF16 = 3, SRC_F64 = 5 };

/* What went wrong in a source: bad data (exit 1) or I/O (exit 2). */
enum { SRC_EDATA = -1, SRC_EIO = -2, SRC_ENOMEM = -3 };

#define SRC_MAX_META 16

struct pack_options;

/*
 * An open input table. open() fills rows, dim, elem, format and, when the
 * input carries one, vocab (or fills it while rows are read). read() is
 * called with consecutive row ranges from row 0 to rows; it writes n rows
 * of dim elements of elem, row-major, into out.
 */
struct source {
	const char *path;
	const char *format; /* the input_format name */
	uint64_t rows;
	/*
	 * Rows that carry tokens when fewer than rows, for inputs padded at
	 * the end (llm.c pads GPT-2's 50,257 rows to 50,304); 0 means all.
	 */
	uint64_t token_rows;
	uint32_t dim;
	enum src_elem elem;
	struct vocab vocab;
	int (*read)(struct source *s, uint64_t n, void *out);
	void (*close)(struct source *s);
	void *priv;
	int nmeta;
	char *meta_key[SRC_MAX_META];
	char *meta_value[SRC_MAX_META];
	char err[512]; /* set by src_fail */
};

/* Set s->err (without the file name) and return code. */
int src_fail(struct source *s, int code, const char *fmt, ...) CLI_PRINTF(3, 4);

/* Record a fact about the input for the table's metadata (copied). */
int src_meta(struct source *s, const char *key, const char *value);

/* An element type's name ("f32", ...) and size in bytes. */
const char *src_elem_name(enum src_elem e);
size_t src_elem_size(enum src_elem e);

/* Exact conversions of half-precision bit patterns to float32. */
float f16_bits_to_f32(uint16_t h);
float bf16_bits_to_f32(uint16_t h);

/*
 * The private state of a source whose rows lie contiguous in a mapped file,
 * row-major and in host byte order: set s->priv to one (malloc'd, owning
 * m) and s->read, s->close to the two functions below.
 */
struct mapped_rows {
	struct mapped m;
	const uint8_t *rows; /* row 0, inside m */
	size_t row_bytes;
	uint64_t next; /* the next row read() returns */
};

int mapped_rows_read(struct source *s, uint64_t n, void *out);
void mapped_rows_close(struct source *s);

/* Close a source (also a half-opened one) and free what it holds. */
void source_free(struct source *s);

/* The exit code for a SRC_E* failure: 1 for bad data, 2 otherwise. */
int src_exit_code(int code);

struct input_format {
	const char *name; /* for --from and --list-formats */
	const char *what; /* one line */
	/*
	 * How sure the format is that the file is its own, from its name and
	 * its first bytes (up to 4096): 0 no, 1 the extension only, 2 the
	 * content. The highest score wins; ties go to the earlier format.
	 */
	int (*probe)(const char *path, const uint8_t *head, size_t n);
	/*
	 * On failure return SRC_E* with s->err set, or with s->err empty
	 * when the diagnostic was already printed (map_input does). The
	 * caller calls s->close (when set) after a failed open too, so close
	 * must accept a half-opened source; the caller frees s->vocab and
	 * the metadata itself: close() releases only priv.
	 */
	int (*open)(struct source *s, const char *path,
		    const struct pack_options *o);
};

struct vocab_format {
	const char *name;
	const char *what;
	int (*probe)(const char *path, const uint8_t *head, size_t n);
	/* Load the tokens; on failure write the reason (without the file
	 * name) to err and return SRC_EDATA, SRC_EIO or SRC_ENOMEM. */
	int (*load)(const char *path, struct vocab *v, char *err,
		    size_t errsize);
};

/*
 * A way to write a table back out (embmap export). write() streams t to
 * out, which an atomic_out owns; path is for messages. Return EXIT_*.
 */
struct output_format {
	const char *name; /* for --to */
	const char *ext;  /* chosen by the output's extension, e.g. ".npy" */
	const char *what;
	int (*write)(const embmap *t, FILE *out, const char *path);
};

/*
 * Up to 4096 first bytes of path, for the probes. Prints the diagnostic and
 * returns EXIT_USAGE when the file cannot be read.
 */
int read_head(const char *path, uint8_t *head, size_t *n);

/*
 * The input format of path: the one named `from` when it is not NULL, else
 * the one whose probe is surest. Prints the diagnostic on failure: EXIT_USAGE
 * for an unknown name or an unreadable file, EXIT_INVALID when no format
 * recognises it.
 */
struct input_format;
int input_pick(const char *path, const char *from,
	       const struct input_format **out);

/* NULL-terminated registries, in formats.c. */
extern const struct input_format *const input_formats[];
extern const struct vocab_format *const vocab_formats[];
extern const struct output_format *const output_formats[];

/*
 * An output file that appears whole or not at all: written to a temporary
 * file in the destination's directory, then fsync'd and renamed over path.
 */
struct atomic_out {
	FILE *f;
	char *path;
	char *tmp;
};

/* Start; on failure print the diagnostic and return EXIT_USAGE. */
int atomic_open(struct atomic_out *a, const char *path);
/* Flush, fsync, rename, fsync the directory; EXIT_OK or EXIT_USAGE. */
int atomic_commit(struct atomic_out *a);
/* Remove the temporary file. Safe after a failed commit. */
void atomic_abort(struct atomic_out *a);

/* Options of embmap pack that inputs may need. */
struct pack_options {
	const char *tensor;  /* --tensor NAME */
	uint64_t shape_rows; /* --shape VxC, for raw input */
	uint32_t shape_dim;
	int have_shape;
};

/* ------------------------------------------------------------------------ */
/* Subcommands                                                              */
/* ------------------------------------------------------------------------ */

int cmd_pack(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_compress(int argc, char **argv);
int cmd_unpack(int argc, char **argv);

/*
 * The zstd transport form's shared pieces (cmd_compress.c): compress in to
 * out with a progress bar unless quiet (o's progress fields are replaced),
 * printing any failure; a number option within lo..hi; a library failure
 * on in. Each returns EXIT_*.
 */
int zstd_compress_file(const char *in, const char *out,
		       const struct embmap_zstd_options *o, int quiet);
int zstd_opt_u32(const char *cmd, const char *name, const char *arg,
		 uint64_t lo, uint64_t hi, uint32_t *out);
int zstd_diag(const char *in, int rc);

/*
 * For pack --zstd: a temporary name beside out for the plain file (NULL
 * when out of memory), and its compression into out, removing it.
 */
char *zstd_pack_temp(const char *out);
int zstd_pack_finish(const char *plain, const char *out, int level,
		     unsigned flags, int quiet);

/*
 * For check: verify a transport file frame by frame and print its line as
 * check does; -1 when path is not in the transport form. For info: the
 * transport lines when t was opened from a transport file.
 */
int zstd_check_file(const char *path, int quiet);
void zstd_info_text(const embmap *t, const char *path);

#endif /* EMBMAP_CLI_H */
