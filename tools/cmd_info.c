/*
 * cmd_info.c - embmap info: the shape, layout, sections, identity and
 * metadata of a file, as text or JSON. O(1) in the table's size but for
 * an i8 table's scale range (4 bytes a row); nothing is verified (embmap
 * check does that).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: embmap info [--json] FILE\n"
	"\n"
	"Show an embmap file's format version, size, shape (rows, dim), dtype,\n"
	"row stride, token count, alignment, rows per checksum block, 128-bit\n"
	"content hash, every section (name, offset, length, item count,\n"
	"checksum) and its metadata; for i8 also the range of the per-row\n"
	"scales. Reads only the header, the directory, the metadata and the\n"
	"i8 scales; 'embmap check' verifies the contents. A file in the zstd\n"
	"transport form is decompressed to be shown, with both sizes.\n"
	"\n"
	"  --json        one JSON object instead of text; keys are sorted,\n"
	"                numbers exact, checksums and the hash hex strings;\n"
	"                a metadata value that is not UTF-8 goes to\n"
	"                \"metadata_hex\" as hex instead of \"metadata\"\n"
	"  -h, --help    this text\n"
	"\n"
	"Text output escapes control bytes in metadata as the text vocabulary\n"
	"format does (\\n, \\t, \\xHH, ...).\n"
	"\n"
	"Exit status: 0 shown; 1 not an embmap file or a malformed one;\n"
	"2 usage or I/O error.\n";

static const struct option longopts[] = {
	{"json", no_argument, NULL, 'j'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void hash_hex(const embmap *t, char out[33])
{
	uint8_t h[16];

	embmap_content_hash(t, h);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * (size_t)i, 3, "%02x", h[i]);
}

/* The range of an i8 table's per-row scales: O(rows), 4 bytes a row. */
static void scale_range(const embmap *t, float *lo, float *hi)
{
	*lo = *hi = embmap_row_scale(t, 0);
	for (uint64_t r = 1; r < embmap_rows(t); r++) {
		float s = embmap_row_scale(t, r);

		*lo = s < *lo ? s : *lo;
		*hi = s > *hi ? s : *hi;
	}
}

static int print_text(const embmap *t, const char *path)
{
	struct embmap_section_info si;
	unsigned major, minor;
	const char *k, *v;
	size_t cur = 0;
	char hash[33];
	int rc;

	embmap_format_version(t, &major, &minor);
	hash_hex(t, hash);
	printf("file          %s\n", path);
	printf("format        %u.%u\n", major, minor);
	printf("file size     %llu bytes\n",
	       (unsigned long long)embmap_file_size(t));
	zstd_info_text(t,
		       path); /* transport form: both sizes (cmd_compress.c) */
	printf("rows          %llu\n", (unsigned long long)embmap_rows(t));
	printf("dim           %u\n", embmap_dim(t));
	printf("dtype         %s\n", embmap_dtype_name(embmap_dtype(t)));
	if (embmap_dtype(t) == EMBMAP_DTYPE_I8) {
		float lo, hi;

		scale_range(t, &lo, &hi);
		printf("i8 scales     %.9g .. %.9g\n", (double)lo, (double)hi);
	}
	printf("stride        %zu bytes\n", embmap_stride(t));
	printf("tokens        %llu\n", (unsigned long long)embmap_tokens(t));
	printf("alignment     %u\n", embmap_alignment(t));
	printf("block rows    %u\n", embmap_block_rows(t));
	printf("content hash  %s\n", hash);
	printf("sections      %u\n", embmap_section_count(t));
	printf("  %-14s %14s %16s %14s  %s\n", "name", "offset", "length",
	       "count", "checksum");
	for (uint32_t i = 0; i < embmap_section_count(t); i++) {
		if (embmap_section_at(t, i, &si) != 0)
			continue;
		printf("  %-14s %14llu %16llu %14llu  %016llx\n",
		       embmap_section_name(si.kind),
		       (unsigned long long)si.offset,
		       (unsigned long long)si.length,
		       (unsigned long long)si.count,
		       (unsigned long long)si.checksum);
	}
	printf("metadata\n");
	while ((rc = embmap_meta_next(t, &cur, &k, &v)) == 1) {
		fputs("  ", stdout);
		token_write_escaped(stdout, k, strlen(k));
		fputs(" = ", stdout);
		token_write_escaped(stdout, v, strlen(v));
		fputc('\n', stdout);
	}
	if (rc < 0) {
		fflush(stdout);
		return diag_lib(path, rc);
	}
	return EXIT_OK;
}

static json_t *hex_string(const char *p, size_t len)
{
	char *buf = malloc(2 * len + 1);
	json_t *j;

	if (!buf)
		return NULL;
	for (size_t i = 0; i < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", (unsigned char)p[i]);
	buf[2 * len] = 0;
	j = json_string(buf);
	free(buf);
	return j;
}

static json_t *uint_json(uint64_t v)
{
	/* jansson's integers are signed 64-bit; every count here is far
	 * below 2^63 (rows are at most 2^40), so none is cut. */
	return json_integer((json_int_t)v);
}

static int build_json(const embmap *t, const char *path, json_t *o)
{
	json_t *secs = json_array(), *meta = json_object(),
	       *meta_hex = json_object();
	struct embmap_section_info si;
	unsigned major, minor;
	const char *k, *v;
	size_t cur = 0;
	char buf[40];
	int rc;

	embmap_format_version(t, &major, &minor);
	snprintf(buf, sizeof buf, "%u.%u", major, minor);
	json_object_set_new(o, "file", json_string(path));
	json_object_set_new(o, "format_version", json_string(buf));
	json_object_set_new(o, "file_size", uint_json(embmap_file_size(t)));
	if (embmap_compressed_size(t)) /* the zstd transport form */
		json_object_set_new(o, "compressed_size",
				    uint_json(embmap_compressed_size(t)));
	json_object_set_new(o, "rows", uint_json(embmap_rows(t)));
	json_object_set_new(o, "dim", uint_json(embmap_dim(t)));
	json_object_set_new(o, "dtype",
			    json_string(embmap_dtype_name(embmap_dtype(t))));
	if (embmap_dtype(t) == EMBMAP_DTYPE_I8) {
		float lo, hi;

		scale_range(t, &lo, &hi);
		json_object_set_new(o, "scale_min", json_real(lo));
		json_object_set_new(o, "scale_max", json_real(hi));
	}
	json_object_set_new(o, "stride", uint_json(embmap_stride(t)));
	json_object_set_new(o, "tokens", uint_json(embmap_tokens(t)));
	json_object_set_new(o, "alignment", uint_json(embmap_alignment(t)));
	json_object_set_new(o, "block_rows", uint_json(embmap_block_rows(t)));
	hash_hex(t, buf);
	json_object_set_new(o, "content_hash", json_string(buf));
	for (uint32_t i = 0; i < embmap_section_count(t); i++) {
		json_t *s = json_object();

		if (embmap_section_at(t, i, &si) != 0)
			continue;
		snprintf(buf, sizeof buf, "%016llx",
			 (unsigned long long)si.checksum);
		json_object_set_new(s, "name",
				    json_string(embmap_section_name(si.kind)));
		json_object_set_new(s, "kind", uint_json(si.kind));
		json_object_set_new(s, "flags", uint_json(si.flags));
		json_object_set_new(s, "offset", uint_json(si.offset));
		json_object_set_new(s, "length", uint_json(si.length));
		json_object_set_new(s, "count", uint_json(si.count));
		json_object_set_new(s, "checksum", json_string(buf));
		json_array_append_new(secs, s);
	}
	json_object_set_new(o, "sections", secs);
	while ((rc = embmap_meta_next(t, &cur, &k, &v)) == 1) {
		json_t *js = json_string(v);

		if (js && json_object_get(meta, k) == NULL &&
		    json_object_set_new(meta, k, js) == 0)
			continue;
		json_decref(js);
		/* A key that is not UTF-8 cannot be a JSON key either. */
		json_object_set_new(meta_hex, k, hex_string(v, strlen(v)));
	}
	json_object_set_new(o, "metadata", meta);
	if (json_object_size(meta_hex))
		json_object_set_new(o, "metadata_hex", meta_hex);
	else
		json_decref(meta_hex);
	if (rc < 0)
		return diag_lib(path, rc);
	return EXIT_OK;
}

static int print_json(const embmap *t, const char *path)
{
	json_t *o = json_object();
	int rc;

	if (!o) {
		diag(path, "out of memory");
		return EXIT_USAGE;
	}
	rc = build_json(t, path, o);
	if (rc == EXIT_OK) {
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
	}
	json_decref(o);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	static char name[] = "embmap info";
	embmap *t;
	int c, json = 0, rc;

	argv[0] = name;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return usage_text(stdout, help, EXIT_OK);
		default:
			fputs("Try 'embmap info --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "embmap: info: %s\nTry 'embmap info --help'.\n",
			optind == argc ? "no FILE given"
				       : "one FILE at a time");
		return EXIT_USAGE;
	}
	if ((rc = embmap_open(argv[optind], 0, &t)) < 0)
		return diag_lib(argv[optind], rc);
	rc = json ? print_json(t, argv[optind]) : print_text(t, argv[optind]);
	embmap_close(t);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		diag(NULL, "cannot write the output");
		return EXIT_USAGE;
	}
	return rc;
}
