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

struct input_format {
	const char *name; /* for --from and --list-formats */
	const char *what; /* one line */
	/*
	 * How sure the format is that the file is its own, from its name and
	 * its first bytes (up to 4096): 0 no, 1 the extension only, 2 the
	 * content. The highest score wins; ties go to the earlier format.
	 */
	int (*probe)(const char *path, const uint8_t *head, size_t n);
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
	const char *ext; /* chosen by the output's extension, e.g. ".npy" */
	const char *what;
	int (*write)(const embmap *t, FILE *out, const char *path);
};

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

#endif /* EMBMAP_CLI_H */
