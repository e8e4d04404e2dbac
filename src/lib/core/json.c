/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c: jansson and libfyaml glue. Never prints.
 */
#include "json.h"
#include "fsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

/*
 * jansson (2.14) is not safe after an allocation fails: its parser can return
 * an object with a member missing, call the failure a syntax error, or write
 * past the end of its string buffer (found by the allocation-failure
 * replays, tests/fuzz/allocfail.c). No verdict and no heap can be trusted
 * after that, so an allocation jansson cannot have ends the process, with a
 * message, as an xmalloc does: a crash with a reason, never a corrupt heap
 * or a wrong verdict. (The replays give jansson an allocator that never
 * fails, al_json_alloc_for_tests, and fail airlock's own allocations.)
 */
static void *(*json_alloc)(size_t) = malloc;

static void *json_malloc(size_t n)
{
	void *p = json_alloc(n ? n : 1);
	if (!p)
		AL_BUG("out of memory in the JSON library (jansson cannot go on safely)");
	return p;
}

void al_json_alloc_for_tests(void *(*alloc)(size_t))
{
	json_alloc = alloc;
}

static void json_free(void *p)
{
	free(p);
}

/* Before main: every jansson allocation of the process, the first included, goes through json_malloc. */
__attribute__((constructor)) static void json_alloc_setup(void)
{
	json_set_alloc_funcs(json_malloc, json_free);
}

enum al_code al_json_parse(const char *data, size_t n, const char *what, json_t **out,
			   struct al_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(data, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	*out = j;
	if (!j)
		return al_fail(err, AL_EVERIFY, "'%s' is not valid JSON: line %d column %d: %s", what,
			       je.line, je.column, je.text);
	return AL_OK;
}

size_t al_json_depth(const json_t *j)
{
	size_t deepest = 0, i, d;
	const char *k;
	json_t *x;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, x)
			if ((d = al_json_depth(x)) > deepest)
				deepest = d;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, x)
			if ((d = al_json_depth(x)) > deepest)
				deepest = d;
	} else {
		return 0;
	}
	return deepest + 1;
}

static enum al_code convert(struct fy_node *n, const char *what, int depth, json_t **out,
			    struct al_err *err)
{
	if (depth > 64)
		return al_fail(err, AL_EINVAL, "'%s' nests deeper than 64 levels", what);
	if (!n) {
		*out = json_null();
		return AL_OK;
	}
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: {
		size_t len = 0;
		const char *s;
		if (fy_node_get_style(n) == FYNS_ALIAS)
			return al_fail(err, AL_EINVAL, "'%s': YAML aliases are not accepted", what);
		s = fy_node_get_scalar(n, &len);
		if (s && memchr(s, '\0', len))
			return al_fail(err, AL_EINVAL, "'%s': a string contains a NUL character", what);
		if (fy_node_get_style(n) == FYNS_PLAIN &&
		    (len == 0 || (len == 1 && s[0] == '~') || (len == 4 && !memcmp(s, "null", 4))))
			*out = json_null();
		else
			*out = json_stringn(s ? s : "", len);
		if (!*out)
			return al_fail(err, AL_EINVAL, "'%s': a string is not valid UTF-8", what);
		return AL_OK;
	}
	case FYNT_SEQUENCE: {
		void *it = NULL;
		struct fy_node *c;
		json_t *a = json_array();
		if (!a)
			return al_fail(err, AL_ENOMEM, "out of memory");
		while ((c = fy_node_sequence_iterate(n, &it))) {
			json_t *v = NULL;
			enum al_code rc = convert(c, what, depth + 1, &v, err);
			if (rc) {
				json_decref(a);
				return rc;
			}
			json_array_append_new(a, v);
		}
		*out = a;
		return AL_OK;
	}
	case FYNT_MAPPING: {
		void *it = NULL;
		struct fy_node_pair *p;
		json_t *o = json_object();
		if (!o)
			return al_fail(err, AL_ENOMEM, "out of memory");
		while ((p = fy_node_mapping_iterate(n, &it))) {
			struct fy_node *k = fy_node_pair_key(p);
			size_t klen = 0;
			const char *ks = k && fy_node_is_scalar(k) ? fy_node_get_scalar(k, &klen) : NULL;
			char *key;
			json_t *v = NULL;
			enum al_code rc;
			/* an alias key is read as its anchor's value by PyYAML, as its name by a naive reader */
			if (k && fy_node_get_style(k) == FYNS_ALIAS) {
				json_decref(o);
				return al_fail(err, AL_EINVAL, "'%s': a YAML alias is used as a mapping key; aliases are not accepted",
					       what);
			}
			if (!ks || memchr(ks, '\0', klen)) {
				json_decref(o);
				return al_fail(err, AL_EINVAL, "'%s': a mapping key is not a plain string", what);
			}
			key = al_memdup(ks, klen);
			if (!key) {
				json_decref(o);
				return al_fail(err, AL_ENOMEM, "out of memory");
			}
			if (json_object_get(o, key)) {
				rc = al_fail(err, AL_EINVAL, "'%s': duplicate key '%s'", what, key);
				free(key);
				json_decref(o);
				return rc;
			}
			rc = convert(fy_node_pair_value(p), what, depth + 1, &v, err);
			if (!rc && json_object_set_new(o, key, v) != 0)
				rc = al_fail(err, AL_EINVAL, "'%s': key '%s' is not valid UTF-8", what, key);
			free(key);
			if (rc) {
				json_decref(o);
				return rc;
			}
		}
		*out = o;
		return AL_OK;
	}
	}
	return al_fail(err, AL_EINVAL, "'%s': unknown YAML node", what);
}

struct diag_sink {
	char msg[512];
};

/*
 * Keeps libfyaml's first message, rewritten from "<memory-@0x…>:L:C: error: text" (the
 * input's address is not deterministic) to "line L column C: text".
 */
static void diag_out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct diag_sink *s = user;
	const char *p = buf, *end = buf + len, *gt;
	long line = 0, col = 0;
	(void)diag;
	if (s->msg[0] || !len)
		return;
	gt = memchr(p, '>', len);
	if (p[0] == '<' && gt && gt + 1 < end && gt[1] == ':')
		p = gt + 2;
	while (p < end && *p >= '0' && *p <= '9')
		line = line * 10 + (*p++ - '0');
	if (p < end && *p == ':')
		p++;
	while (p < end && *p >= '0' && *p <= '9')
		col = col * 10 + (*p++ - '0');
	if (p < end && *p == ':')
		p++;
	while (p < end && *p == ' ')
		p++;
	if ((size_t)(end - p) > 7 && !memcmp(p, "error: ", 7))
		p += 7;
	{
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int keep = (int)((nl ? nl : end) - p);
		snprintf(s->msg, sizeof(s->msg), "line %ld column %ld: %.*s", line, col, keep, p);
	}
}

enum al_code al_yaml_parse(const char *data, size_t n, const char *what, json_t **out,
			   struct al_err *err)
{
	struct diag_sink sink = { "" };
	struct fy_diag_cfg dc;
	struct fy_parse_cfg pc;
	struct fy_diag *diag;
	struct fy_parser *fyp = NULL;
	struct fy_document *doc = NULL, *extra = NULL;
	enum al_code rc;
	*out = NULL;
	/* libfyaml 0.7.12 can loop forever on invalid UTF-8 (upstream issue 101): check first */
	{
		size_t bad = al_utf8_bad(data, n);
		if (bad)
			return al_fail(err, AL_EINVAL, "'%s' is not valid UTF-8 text (byte %zu)", what, bad);
	}
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_out;
	dc.user = &sink;
	dc.colorize = false;
	dc.show_source = false;
	dc.show_position = true;
	dc.show_type = false;
	dc.show_module = false;
	diag = fy_diag_create(&dc);
	if (!diag)
		return al_fail(err, AL_ENOMEM, "out of memory (YAML diagnostics)");
	memset(&pc, 0, sizeof(pc));
	pc.flags = FYPCF_QUIET;
	pc.diag = diag;
	fyp = fy_parser_create(&pc);
	if (!fyp || fy_parser_set_string(fyp, data, n) != 0) {
		rc = al_fail(err, AL_ENOMEM, "out of memory (YAML parser)");
		goto out;
	}
	doc = fy_parse_load_document(fyp);
	if (!doc) {
		rc = sink.msg[0] ? al_fail(err, AL_EINVAL, "'%s' is not valid YAML: %s", what, sink.msg)
				 : al_fail(err, AL_EINVAL, "'%s' is empty", what);
		goto out;
	}
	extra = fy_parse_load_document(fyp);
	if (extra) {
		rc = al_fail(err, AL_EINVAL, "'%s' holds more than one YAML document ('---'); give one", what);
		goto out;
	}
	if (sink.msg[0]) {
		rc = al_fail(err, AL_EINVAL, "'%s' is not valid YAML: %s", what, sink.msg);
		goto out;
	}
	rc = convert(fy_document_root(doc), what, 0, out, err);
out:
	if (extra)
		fy_parse_document_destroy(fyp, extra);
	if (doc)
		fy_parse_document_destroy(fyp, doc);
	if (fyp)
		fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
	return rc;
}

static int dump_cb(const char *p, size_t n, void *data)
{
	struct { struct al_buf *b; struct al_err *err; } *d = data;
	return al_buf_add(d->b, p, n, d->err) ? -1 : 0;
}

enum al_code al_json_dump(const json_t *j, unsigned flags, struct al_buf *b, struct al_err *err)
{
	struct { struct al_buf *b; struct al_err *err; } d = { b, err };
	size_t f = (flags & AL_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
	if (json_dump_callback(j, dump_cb, &d, f | JSON_ENCODE_ANY) != 0)
		return al_fail(err, AL_ELIMIT, "cannot serialize JSON");
	if (flags & AL_JSON_PRETTY)
		return al_buf_add(b, "\n", 1, err);
	return AL_OK;
}

json_t *al_json_text(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), bad;
	struct al_buf b;
	json_t *j;
	if (!al_utf8_bad(s, n))
		return json_stringn(s, n);
	al_buf_init(&b, 4 * n + 1);
	for (size_t i = 0; i < n;) {
		/* the longest valid prefix as it is, then one bad byte as \xNN */
		bad = al_utf8_bad(s + i, n - i);
		if (!bad) {
			al_buf_add(&b, s + i, n - i, NULL);
			break;
		}
		al_buf_add(&b, s + i, bad - 1, NULL);
		al_buf_addf(&b, NULL, "\\x%c%c", hex[(unsigned char)s[i + bad - 1] >> 4],
			    hex[(unsigned char)s[i + bad - 1] & 15]);
		i += bad;
	}
	j = al_buf_check(&b, NULL) ? NULL : json_stringn(b.data ? b.data : "", b.len);
	al_buf_release(&b);
	return j;
}

const char *al_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int al_json_int(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		long long x;
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		x = strtoll(s, &end, 10);
		if (errno || *end)
			return -1;
		*out = x;
		return 0;
	}
	return -1;
}
