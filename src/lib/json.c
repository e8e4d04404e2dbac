/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c: jansson and libfyaml glue. Never prints.
 */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

enum al_code al_json_parse(const char *data, size_t n, const char *what, json_t **out,
			   struct al_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(data, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		return al_fail(err, AL_EVERIFY, "'%s' is not valid JSON: line %d column %d: %s", what,
			       je.line, je.column, je.text);
	*out = j;
	return AL_OK;
}

struct diag_sink {
	char msg[512];
};

static void diag_out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct diag_sink *s = user;
	size_t have = strlen(s->msg);
	(void)diag;
	if (have || !len)
		return; /* keep the first message only */
	if (len >= sizeof(s->msg))
		len = sizeof(s->msg) - 1;
	memcpy(s->msg, buf, len);
	s->msg[len] = '\0';
	for (char *p = s->msg; *p; p++)
		if (*p == '\n') {
			*p = '\0';
			break;
		}
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
			if (!ks || memchr(ks, '\0', klen)) {
				json_decref(o);
				return al_fail(err, AL_EINVAL, "'%s': a mapping key is not a plain string", what);
			}
			key = strndup(ks, klen);
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

enum al_code al_yaml_parse(const char *data, size_t n, const char *what, json_t **out,
			   struct al_err *err)
{
	struct diag_sink sink = { "" };
	struct fy_diag_cfg dc;
	struct fy_parse_cfg pc;
	struct fy_diag *diag;
	struct fy_document *doc;
	enum al_code rc;
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
	pc.flags = FYPCF_QUIET | FYPCF_DISABLE_RECYCLING;
	pc.diag = diag;
	doc = fy_document_build_from_string(&pc, data, n);
	if (!doc) {
		fy_diag_destroy(diag);
		return al_fail(err, AL_EINVAL, "'%s' is not valid YAML: %s", what,
			       sink.msg[0] ? sink.msg : "parse error");
	}
	rc = convert(fy_document_root(doc), what, 0, out, err);
	fy_document_destroy(doc);
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
		if (!*s || *s == '+' || *s == '-' || *s == ' ')
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
