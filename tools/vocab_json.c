/*
 * vocab_json.c - vocabularies in JSON: Hugging Face tokenizer.json and
 * GPT-2's encoder.json (also published as vocab.json).
 *
 * tokenizer.json holds the model's vocabulary in "model": {"vocab": ...},
 * an object of token -> id for BPE, WordPiece and WordLevel models or a
 * list of [token, score] pairs, id = position, for Unigram ones, plus
 * "added_tokens": [{"id", "content"}, ...], which may repeat vocabulary
 * entries or extend them. encoder.json is one object of token -> id.
 *
 * The ids must cover 0..n-1 exactly; a gap or two tokens on one id is an
 * error naming them. Tokens are kept exactly as the JSON strings spell them
 * (their UTF-8 bytes): byte-level BPE vocabularies such as GPT-2's store
 * each byte as a printable code point ("Ġthe" for " the"), and the table
 * keeps that spelling, the one the model's own tokenizer produces and
 * looks up. Two ids with equal tokens are left for the writer to report.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* Tokens by id while the JSON is parsed. */
struct idtab {
	size_t cap; /* slots, the number of entries seen at most */
	const char **tok;
	size_t *len;
	/* entries whose id is past cap, the first kept: a gap is certain */
	size_t beyond;
	json_int_t beyond_id;
	const char *beyond_tok;
	size_t beyond_len;
};

static int idtab_init(struct idtab *t, size_t cap, char *err, size_t errsize)
{
	memset(t, 0, sizeof *t);
	t->cap = cap;
	t->tok = calloc(cap + 1, sizeof *t->tok);
	t->len = calloc(cap + 1, sizeof *t->len);
	if (!t->tok || !t->len) {
		snprintf(err, errsize, "out of memory");
		return SRC_ENOMEM;
	}
	return 0;
}

static void idtab_free(struct idtab *t)
{
	free(t->tok);
	free(t->len);
}

/* Place token at id; where names the entry for messages. */
static int idtab_put(struct idtab *t, json_int_t id, const char *tok,
		     size_t len, const char *where, char *err, size_t errsize)
{
	char q[80], r[80];
	size_t i;

	if (id < 0) {
		snprintf(err, errsize, "%s: token %s has negative id %lld",
			 where, quote_bytes(q, sizeof q, tok, len),
			 (long long)id);
		return SRC_EDATA;
	}
	if ((unsigned long long)id >= t->cap) {
		if (!t->beyond++) {
			t->beyond_id = id;
			t->beyond_tok = tok;
			t->beyond_len = len;
		}
		return 0;
	}
	i = (size_t)id;
	if (!t->tok[i]) {
		t->tok[i] = tok;
		t->len[i] = len;
		return 0;
	}
	/* added_tokens repeat vocabulary entries: the same token is fine */
	if (t->len[i] == len && memcmp(t->tok[i], tok, len) == 0)
		return 0;
	snprintf(err, errsize, "%s: tokens %s and %s share id %zu", where,
		 quote_bytes(q, sizeof q, t->tok[i], t->len[i]),
		 quote_bytes(r, sizeof r, tok, len), i);
	return SRC_EDATA;
}

/* Check that ids 0..n-1 are all present, then add them to v in order. */
static int idtab_finish(struct idtab *t, struct vocab *v, char *err,
			size_t errsize)
{
	char q[80];
	size_t n = 0, filled = 0;

	for (size_t i = 0; i < t->cap; i++) {
		if (t->tok[i]) {
			n = i + 1;
			filled++;
		}
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (t->tok[i])
			continue;
		if (t->beyond) {
			snprintf(err, errsize,
				 "id %zu is missing (ids must cover 0..%zu for "
				 "%zu tokens; token %s has id %lld)",
				 i, filled + t->beyond - 1, filled + t->beyond,
				 quote_bytes(q, sizeof q, t->beyond_tok,
					     t->beyond_len),
				 (long long)t->beyond_id);
			return SRC_EDATA;
		}
		if (i < n) {
			snprintf(err, errsize,
				 "id %zu is missing (ids must cover 0..%zu)", i,
				 n - 1);
			return SRC_EDATA;
		}
		break;
	}
	if (n == 0) {
		snprintf(err, errsize, "the vocabulary is empty");
		return SRC_EDATA;
	}
	for (size_t i = 0; i < n; i++) {
		if (vocab_add(v, t->tok[i], t->len[i])) {
			snprintf(err, errsize, "out of memory");
			return SRC_ENOMEM;
		}
	}
	return 0;
}

/* An object of token -> id. */
static int put_object(struct idtab *t, json_t *obj, const char *where,
		      char *err, size_t errsize)
{
	const char *key;
	size_t klen;
	json_t *val;
	char q[80];
	int rc;

	json_object_keylen_foreach(obj, key, klen, val)
	{
		if (!json_is_integer(val)) {
			snprintf(err, errsize,
				 "%s: token %s: the id is not an integer",
				 where, quote_bytes(q, sizeof q, key, klen));
			return SRC_EDATA;
		}
		rc = idtab_put(t, json_integer_value(val), key, klen, where,
			       err, errsize);
		if (rc)
			return rc;
	}
	return 0;
}

/* A Unigram list of [token, score]: the id is the position. */
static int put_pairs(struct idtab *t, json_t *arr, char *err, size_t errsize)
{
	size_t i;
	json_t *pair;
	int rc;

	json_array_foreach(arr, i, pair)
	{
		json_t *tok = json_array_get(pair, 0);

		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_string(tok) ||
		    !json_is_number(json_array_get(pair, 1))) {
			snprintf(err, errsize,
				 "model.vocab[%zu] is not a [token, score] "
				 "pair",
				 i);
			return SRC_EDATA;
		}
		rc = idtab_put(t, (json_int_t)i, json_string_value(tok),
			       json_string_length(tok), "model.vocab", err,
			       errsize);
		if (rc)
			return rc;
	}
	return 0;
}

static int put_added(struct idtab *t, json_t *added, char *err, size_t errsize)
{
	char where[48];
	size_t i;
	json_t *a;
	int rc;

	json_array_foreach(added, i, a)
	{
		json_t *id = json_object_get(a, "id");
		json_t *content = json_object_get(a, "content");

		snprintf(where, sizeof where, "added_tokens[%zu]", i);
		if (!json_is_integer(id) || !json_is_string(content)) {
			snprintf(err, errsize,
				 "%s: needs an integer \"id\" and a string "
				 "\"content\"",
				 where);
			return SRC_EDATA;
		}
		rc = idtab_put(
			t, json_integer_value(id), json_string_value(content),
			json_string_length(content), where, err, errsize);
		if (rc)
			return rc;
	}
	return 0;
}

static json_t *load_json(const char *path, char *err, size_t errsize, int *rc)
{
	struct mapped m;
	json_error_t je;
	json_t *root;

	if (map_input(path, &m) != EXIT_OK) {
		err[0] = '\0'; /* map_input printed why */
		*rc = SRC_EIO;
		return NULL;
	}
	root = json_loadb((const char *)m.data, m.size,
			  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	unmap_input(&m);
	if (!root) {
		snprintf(err, errsize, "JSON, line %d column %d: %s", je.line,
			 je.column, je.text);
		*rc = SRC_EDATA;
	}
	return root;
}

static int tokjson_load(const char *path, struct vocab *v, char *err,
			size_t errsize)
{
	json_t *root, *model, *vocab, *added;
	struct idtab t;
	size_t cap;
	int rc = 0;

	root = load_json(path, err, errsize, &rc);
	if (!root)
		return rc;
	model = json_object_get(root, "model");
	vocab = json_object_get(model, "vocab");
	added = json_object_get(root, "added_tokens");
	if (!json_is_object(model)) {
		snprintf(err, errsize,
			 "no \"model\" object: not a Hugging Face "
			 "tokenizer.json");
		rc = SRC_EDATA;
	} else if (!json_is_object(vocab) && !json_is_array(vocab)) {
		const char *type =
			json_string_value(json_object_get(model, "type"));

		snprintf(err, errsize,
			 "model.vocab is missing or neither an object nor a "
			 "list (model.type %s)",
			 type ? type : "not given");
		rc = SRC_EDATA;
	} else if (added && !json_is_array(added)) {
		snprintf(err, errsize, "added_tokens is not a list");
		rc = SRC_EDATA;
	}
	if (rc) {
		json_decref(root);
		return rc;
	}

	cap = json_is_object(vocab) ? json_object_size(vocab)
				    : json_array_size(vocab);
	cap += added ? json_array_size(added) : 0;
	rc = idtab_init(&t, cap, err, errsize);
	if (!rc)
		rc = json_is_object(vocab)
			     ? put_object(&t, vocab, "model.vocab", err,
					  errsize)
			     : put_pairs(&t, vocab, err, errsize);
	if (!rc && added)
		rc = put_added(&t, added, err, errsize);
	if (!rc)
		rc = idtab_finish(&t, v, err, errsize);
	idtab_free(&t);
	json_decref(root);
	return rc;
}

static int encjson_load(const char *path, struct vocab *v, char *err,
			size_t errsize)
{
	json_t *root;
	struct idtab t;
	int rc = 0;

	root = load_json(path, err, errsize, &rc);
	if (!root)
		return rc;
	if (!json_is_object(root)) {
		snprintf(err, errsize,
			 "the top level is not an object of token -> id");
		json_decref(root);
		return SRC_EDATA;
	}
	rc = idtab_init(&t, json_object_size(root), err, errsize);
	if (!rc)
		rc = put_object(&t, root, "encoder", err, errsize);
	if (!rc)
		rc = idtab_finish(&t, v, err, errsize);
	idtab_free(&t);
	json_decref(root);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static size_t skip_ws(const uint8_t *h, size_t i, size_t n)
{
	while (i < n &&
	       (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r'))
		i++;
	return i;
}

/* Past a JSON string starting at h[i] == '"'; n when it does not end. */
static size_t skip_string(const uint8_t *h, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (h[i] == '\\')
			i++;
		else if (h[i] == '"')
			return i + 1;
	}
	return n;
}

static int tokjson_probe(const char *path, const uint8_t *head, size_t n)
{
	static const char *const keys[] = {
		"\"version\"",	      "\"truncation\"", "\"padding\"",
		"\"added_tokens\"",   "\"normalizer\"", "\"pre_tokenizer\"",
		"\"post_processor\"", "\"decoder\"",	"\"model\"",
	};
	size_t i = skip_ws(head, 0, n);

	/* A first key of tokenizer.json's whose value is not a number (an
	 * encoder.json may well hold a token "model"). */
	if (i < n && head[i] == '{') {
		i = skip_ws(head, i + 1, n);
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			size_t l = strlen(keys[k]), j;

			if (n - i < l || memcmp(head + i, keys[k], l) != 0)
				continue;
			j = skip_ws(head, i + l, n);
			if (j < n && head[j] == ':')
				j = skip_ws(head, j + 1, n);
			if (j < n && head[j] != '-' &&
			    (head[j] < '0' || head[j] > '9'))
				return 2;
		}
	}
	return !strcmp(base_name(path), "tokenizer.json") ? 1 : 0;
}

static int encjson_probe(const char *path, const uint8_t *head, size_t n)
{
	const char *b = base_name(path);
	size_t i = skip_ws(head, 0, n);

	if (i < n && head[i] == '{') {
		i = skip_ws(head, i + 1, n);
		if (i < n && head[i] == '"') {
			i = skip_ws(head, skip_string(head, i, n), n);
			if (i < n && head[i] == ':') {
				i = skip_ws(head, i + 1, n);
				if (i < n &&
				    (head[i] == '-' ||
				     (head[i] >= '0' && head[i] <= '9')))
					return 2;
			}
		}
	}
	return !strcmp(b, "encoder.json") || !strcmp(b, "vocab.json") ? 1 : 0;
}

const struct vocab_format vocab_tokenizer_json = {
	.name = "tokenizer-json",
	.what = "Hugging Face tokenizer.json (model.vocab and added_tokens)",
	.probe = tokjson_probe,
	.load = tokjson_load,
};

const struct vocab_format vocab_encoder_json = {
	.name = "encoder-json",
	.what = "GPT-2 encoder.json / vocab.json (an object of token -> id)",
	.probe = encjson_probe,
	.load = encjson_load,
};
