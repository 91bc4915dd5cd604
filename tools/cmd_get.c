/*
 * cmd_get.c - embmap get: print the rows of tokens or ids.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: embmap get [--json] FILE [TOKEN...] [--id N]...\n"
	"\n"
	"Print the rows named by TOKENs (looked up through the file's token\n"
	"index) and by ids, in the order given, one line each:\n"
	"\n"
	"  TOKEN<TAB>ID<TAB>v0 v1 ... v(dim-1)\n"
	"\n"
	"Values are float32 (converted from the stored dtype) printed with %.9g,\n"
	"which reads back as the same float32. TOKEN is printed escaped as in\n"
	"the text vocabulary format (\\\\ \\n \\r \\t \\xHH); it is empty for an id\n"
	"without a token. TOKEN arguments are taken as they are, byte for byte;\n"
	"put them after -- when one starts with '-'.\n"
	"\n"
	"  --id N        also print row N (repeatable)\n"
	"  --json        a JSON array of {\"token\", \"id\", \"values\"} instead,\n"
	"                one object a line;\n"
	"                token is null for an id without a token, and a token\n"
	"                that is not UTF-8 comes as \"token_hex\" instead; NaN\n"
	"                and infinities come as the strings \"NaN\", \"Infinity\"\n"
	"                and \"-Infinity\"\n"
	"  -h, --help    this text\n"
	"\n"
	"A token not in the vocabulary or an id out of range is reported on\n"
	"stderr and skipped; the others are still printed.\n"
	"\n"
	"Exit status: 0 every request printed; 1 not a valid embmap file;\n"
	"2 a token or id was not found, or usage or I/O error.\n";

static const struct option longopts[] = {
	{"id", required_argument, NULL, 'i'},
	{"json", no_argument, NULL, 'j'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* One request: a token (id < 0 until found) or an id. */
struct request {
	const char *token; /* NULL for an id request */
	uint64_t id;
};

static json_t *value_json(float v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real((double)v);
}

static json_t *row_json(const char *tok, size_t len, uint64_t id,
			const float *row, uint32_t dim)
{
	json_t *o = json_object(), *vals = json_array(), *t = NULL;

	if (tok) {
		t = json_stringn(tok, len);
		if (!t) {
			char *hex = malloc(2 * len + 1);

			for (size_t i = 0; hex && i < len; i++)
				snprintf(hex + 2 * i, 3, "%02x",
					 (unsigned char)tok[i]);
			if (hex) {
				hex[2 * len] = 0;
				json_object_set_new(o, "token_hex",
						    json_string(hex));
			}
			free(hex);
		}
	}
	if (t || !tok)
		json_object_set_new(o, "token", t ? t : json_null());
	json_object_set_new(o, "id", json_integer((json_int_t)id));
	for (uint32_t c = 0; c < dim; c++)
		json_array_append_new(vals, value_json(row[c]));
	json_object_set_new(o, "values", vals);
	return o;
}

/* One object a line: a long row stays greppable and the whole is JSON. */
static void print_json(const json_t *arr)
{
	const size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(9);
	size_t n = json_array_size(arr);

	fputs("[\n", stdout);
	for (size_t i = 0; i < n; i++) {
		json_dumpf(json_array_get(arr, i), stdout, flags);
		fputs(i + 1 < n ? ",\n" : "\n", stdout);
	}
	fputs("]\n", stdout);
}

static void print_row(const char *tok, size_t len, uint64_t id,
		      const float *row, uint32_t dim)
{
	if (tok)
		token_write_escaped(stdout, tok, len);
	printf("\t%llu\t", (unsigned long long)id);
	for (uint32_t c = 0; c < dim; c++)
		printf(c ? " %.9g" : "%.9g", (double)row[c]);
	putchar('\n');
}

/* Serve one request; 0, or EXIT_USAGE after a diagnostic. */
static int serve(const embmap *t, const char *path, const struct request *q,
		 float *row, json_t *arr)
{
	const char *tok = q->token;
	size_t len = tok ? strlen(tok) : 0;
	uint64_t id = q->id;
	int rc;

	if (tok) {
		int64_t found = embmap_find(t, tok, len);

		if (found < 0) {
			fprintf(stderr, "embmap: %s: token \"", path);
			token_write_escaped(stderr, tok, len);
			if (embmap_tokens(t))
				fprintf(stderr,
					"\" is not in the vocabulary (%llu "
					"tokens)\n",
					(unsigned long long)embmap_tokens(t));
			else
				fprintf(stderr,
					"\": the table has no vocabulary\n");
			return EXIT_USAGE;
		}
		id = (uint64_t)found;
	} else {
		if (id >= embmap_rows(t)) {
			diag(path,
			     "id %llu is out of range: the table has "
			     "%llu rows (0..%llu)",
			     (unsigned long long)id,
			     (unsigned long long)embmap_rows(t),
			     (unsigned long long)(embmap_rows(t) - 1));
			return EXIT_USAGE;
		}
		tok = embmap_token(t, id, &len);
	}
	if ((rc = embmap_row_f32(t, id, row)) < 0)
		return diag_lib(path, rc);
	if (arr)
		json_array_append_new(
			arr, row_json(tok, len, id, row, embmap_dim(t)));
	else
		print_row(tok, len, id, row, embmap_dim(t));
	return EXIT_OK;
}

static int misuse(const char *what, const char *arg)
{
	fprintf(stderr, "embmap: get: %s%s%s\nTry 'embmap get --help'.\n", what,
		arg ? " " : "", arg ? arg : "");
	return EXIT_USAGE;
}

int cmd_get(int argc, char **argv)
{
	static char name[] = "embmap get";
	struct request *req = calloc((size_t)argc, sizeof *req);
	const char *file = NULL;
	size_t n = 0;
	json_t *arr = NULL;
	embmap *t = NULL;
	float *row = NULL;
	int c, json = 0, rc = EXIT_OK;

	if (!req) {
		diag(NULL, "out of memory");
		return EXIT_USAGE;
	}
	argv[0] = name;
	optind = 1;
	/* "-" keeps FILE, TOKENs and --ids in their order. */
	while ((c = getopt_long(argc, argv, "-h", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (!file)
				file = optarg;
			else
				req[n++].token = optarg;
			break;
		case 'i':
			if (parse_u64(optarg, &req[n].id) != 0) {
				free(req);
				return misuse("--id: not a row number:",
					      optarg);
			}
			req[n++].token = NULL;
			break;
		case 'j': json = 1; break;
		case 'h': free(req); return usage_text(stdout, help, EXIT_OK);
		default:
			free(req);
			fputs("Try 'embmap get --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) /* after "--" */
		if (!file)
			file = argv[i];
		else
			req[n++].token = argv[i];
	if (!file || n == 0) {
		free(req);
		return misuse(file ? "no TOKEN or --id given" : "no FILE given",
			      NULL);
	}

	if ((rc = embmap_open(file, 0, &t)) < 0) {
		free(req);
		return diag_lib(file, rc);
	}
	row = malloc((size_t)embmap_dim(t) * sizeof *row);
	if (json)
		arr = json_array();
	if (!row || (json && !arr)) {
		diag(file, "out of memory");
		rc = EXIT_USAGE;
	}
	for (size_t i = 0; row && (!json || arr) && i < n; i++) {
		int r = serve(t, file, &req[i], row, arr);

		/* A damaged file outranks a missing token. */
		if (r != EXIT_OK && rc != EXIT_INVALID)
			rc = r;
	}
	if (arr) {
		print_json(arr);
		json_decref(arr);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		diag(NULL, "cannot write the output");
		rc = EXIT_USAGE;
	}
	free(row);
	free(req);
	embmap_close(t);
	return rc;
}
