/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec.c: parsing and validating airlock.yaml. Every message names the item
 * (`artifacts[2]`) and the key at fault.
 */
#include "spec.h"

#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "buf.h"
#include "fsx.h"
#include "hf.h"
#include "json.h"
#include "registry.h"

static const char *const kind_names[] = { "model", "wheel", "image", "file", "vulndb" };

const char *al_kind_name(enum al_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

int al_kind_parse(const char *s, enum al_kind *k)
{
	for (unsigned i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(s, kind_names[i])) {
			*k = (enum al_kind)i;
			return 0;
		}
	return -1;
}

const char *al_bundle_name_bad(const char *name)
{
	size_t n = strlen(name);
	if (n == 0)
		return "it is empty";
	if (n > 128)
		return "it is longer than 128 characters";
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return "it must start with a lower-case letter or a digit";
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return "only a-z, 0-9, '.', '_' and '-' are allowed";
	return NULL;
}

int al_duration_parse(const char *s, int64_t *secs)
{
	size_t n = strlen(s);
	int64_t v = 0, unit;
	if (n < 2 || n > 10)
		return -1;
	switch (s[n - 1]) {
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v <= 0)
		return -1;
	*secs = v * unit;
	return 0;
}

int al_expiry_parse(const char *s, int64_t now, int64_t *out)
{
	int64_t d;
	if (al_duration_parse(s, &d) == 0) {
		*out = now + d;
		return 0;
	}
	return al_time_parse(s, out);
}

static char *resolve(const char *base, const char *p)
{
	if (p[0] == '/' || !base || !*base || !strcmp(base, "."))
		return strdup(p);
	return al_join(base, p);
}

/* What a YAML value is, for messages: the converter makes every scalar a string. */
static const char *yaml_type(const json_t *v)
{
	if (!v || json_is_null(v))
		return "nothing (an empty value)";
	if (json_is_array(v))
		return "a sequence";
	if (json_is_object(v))
		return "a mapping";
	return "a scalar";
}

static enum al_code wrong_type(const char *where, const char *key, const char *expected, const json_t *v,
			       struct al_err *err)
{
	return al_fail(err, AL_EINVAL, "%s: '%s' has the wrong type: expected %s, got %s", where, key, expected,
		       yaml_type(v));
}

/* The string value of a required scalar key: missing and wrong type are told apart. */
static enum al_code req_str(const json_t *o, const char *key, const char *where, const char *expected,
			    const char *missing, const char **out, struct al_err *err)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return al_fail(err, AL_EINVAL, "%s: '%s' is missing%s", where, key, missing ? missing : "");
	if (!json_is_string(v))
		return wrong_type(where, key, expected, v, err);
	*out = json_string_value(v);
	return AL_OK;
}

/* "os/arch" or "os/arch/variant", each part [a-z0-9][a-z0-9._-]*, as OCI platforms are written. */
static int platform_bad(const char *p)
{
	int parts = 1;
	if (!*p)
		return 1;
	for (const char *c = p; *c; c++) {
		if (*c == '/') {
			parts++;
			if (c[1] == '\0' || c[1] == '/')
				return 1;
			continue;
		}
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      ((*c == '.' || *c == '_' || *c == '-') && c != p && c[-1] != '/')))
			return 1;
	}
	return parts < 2 || parts > 3;
}

/* "X.Y" or "X.Y.Z", each part 1 to 4 digits. */
static int python_bad(const char *s)
{
	int parts = 0, digits = 0;
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			if (++digits > 4)
				return 1;
		} else if (*s == '.' || *s == '\0') {
			if (!digits)
				return 1;
			parts++;
			digits = 0;
			if (!*s)
				break;
		} else {
			return 1;
		}
	}
	return parts < 2 || parts > 3;
}

/*
 * YAML 1.1 readers (PyYAML) read an unquoted X.Y as a number, and some such numbers print
 * back otherwise: 3.10 is 3.1, 03.11 is 3.11. airlock keeps the text, so unquoted, those
 * would mean one version to airlock and another to them: refused unless quoted. (X.Y.Z is
 * a string to both; 3.11 or 3.0 is the same either way.)
 */
static enum al_code python_quoted(const char *data, size_t n, const char *what, const char *py,
				  struct al_err *err)
{
	const char *dot = strchr(py, '.');
	size_t minor = dot ? strlen(dot + 1) : 0;
	struct fy_parse_cfg cfg;
	struct fy_document *doc;
	struct fy_node *node;
	int plain;
	if (!dot || strchr(dot + 1, '.') || !((minor > 1 && dot[minor] == '0') || (py[0] == '0' && dot - py > 1)))
		return AL_OK;
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET;
	doc = fy_document_build_from_string(&cfg, data, n);
	node = doc ? fy_node_mapping_lookup_by_string(fy_document_root(doc), "python", 6) : NULL;
	plain = node && fy_node_get_style(node) == FYNS_PLAIN;
	if (doc)
		fy_document_destroy(doc);
	if (!node)
		return al_fail(err, AL_EINVAL, "%s: cannot read 'python' again to check how it is written", what);
	if (plain)
		return al_fail(err, AL_EINVAL,
			       "%s: 'python' is %s unquoted, which YAML 1.1 readers such as PyYAML read as a number of another value; quote it: python: \"%s\"",
			       what, py, py);
	return AL_OK;
}

static enum al_code parse_targets(const json_t *root, const char *data, size_t n, const char *what,
				  struct al_spec *spec, struct al_err *err)
{
	const json_t *pl = json_object_get(root, "platforms"), *py = json_object_get(root, "python"), *x;
	enum al_code rc;
	size_t i;
	if (pl) {
		if (!json_is_array(pl))
			return wrong_type(what, "platforms", "a sequence of platforms such as [linux/amd64]", pl, err);
		if (!json_array_size(pl))
			return al_fail(err, AL_EINVAL, "%s: 'platforms' is empty (leave it out, or list platforms such as linux/amd64)", what);
		spec->platforms = calloc(json_array_size(pl) + 1, sizeof(char *));
		if (!spec->platforms)
			return al_fail(err, AL_ENOMEM, "out of memory");
		json_array_foreach(pl, i, x) {
			char key[32];
			snprintf(key, sizeof(key), "platforms[%zu]", i);
			if (!json_is_string(x))
				return wrong_type(what, key, "a platform such as linux/amd64", x, err);
			if (platform_bad(json_string_value(x)))
				return al_fail(err, AL_EINVAL, "%s: '%s' is '%s', not a platform such as linux/amd64 or linux/arm64/v8",
					       what, key, json_string_value(x));
			for (size_t k = 0; k < spec->nplatforms; k++)
				if (!strcmp(spec->platforms[k], json_string_value(x)))
					return al_fail(err, AL_EINVAL, "%s: platform '%s' is listed twice", what,
						       json_string_value(x));
			if (!(spec->platforms[spec->nplatforms++] = strdup(json_string_value(x))))
				return al_fail(err, AL_ENOMEM, "out of memory");
		}
	}
	if (py) {
		if (!json_is_string(py))
			return wrong_type(what, "python", "a version such as \"3.11\"", py, err);
		if (python_bad(json_string_value(py)))
			return al_fail(err, AL_EINVAL, "%s: 'python' is '%s', not a version such as \"3.11\" or \"3.11.4\"", what,
				       json_string_value(py));
		if ((rc = python_quoted(data, n, what, json_string_value(py), err)))
			return rc;
		if (!(spec->python = strdup(json_string_value(py))))
			return al_fail(err, AL_ENOMEM, "out of memory");
	}
	return AL_OK;
}

enum al_code al_spec_meta_add(const struct al_spec *spec, json_t *meta, struct al_err *err)
{
	if (spec->platforms) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < spec->nplatforms; i++)
			if (json_array_append_new(a, json_string(spec->platforms[i])) != 0) {
				json_decref(a);
				a = NULL;
			}
		if (!a || json_object_set_new(meta, "platforms", a) != 0)
			return al_fail(err, AL_ENOMEM, "out of memory (airlock.json platforms)");
	}
	if (spec->python && json_object_set_new(meta, "python", json_string(spec->python)) != 0)
		return al_fail(err, AL_ENOMEM, "out of memory (airlock.json python)");
	return AL_OK;
}

static enum al_code check_keys(const json_t *o, const char *const *allowed, const char *where,
			       struct al_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		int ok = 0;
		(void)v;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(k, *a))
				ok = 1;
		if (!ok)
			return al_fail(err, AL_EINVAL, "%s: unknown key '%s'", where, k);
	}
	return AL_OK;
}

static enum al_code opt_str(const json_t *o, const char *key, const char *where, char **out,
			    struct al_err *err)
{
	const json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return AL_OK;
	if (!json_is_string(v))
		return wrong_type(where, key, "a string", v, err);
	if (!*json_string_value(v))
		return al_fail(err, AL_EINVAL, "%s: '%s' must be a non-empty string", where, key);
	*out = strdup(json_string_value(v));
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

/* `include:` or `exclude:`: one pattern or a sequence of them, for models and vulndb. */
static enum al_code parse_globs(const json_t *a, const char *key, const char *where, const struct al_source *s,
				char ***out, struct al_err *err)
{
	const json_t *g = json_object_get(a, key);
	size_t n, k;
	if (!g || json_is_null(g))
		return AL_OK;
	if (s->kind != AL_KIND_MODEL && s->kind != AL_KIND_VULNDB)
		return al_fail(err, AL_EINVAL, "%s: '%s' applies to model and vulndb only", where, key);
	if (json_is_string(g))
		n = 1;
	else if (json_is_array(g))
		n = json_array_size(g);
	else
		return wrong_type(where, key, "a sequence of patterns", g, err);
	*out = calloc(n + 1, sizeof(char *));
	if (!*out)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (k = 0; k < n; k++) {
		const json_t *v = json_is_string(g) ? g : json_array_get(g, k);
		if (!json_is_string(v))
			return wrong_type(where, key, "a sequence of patterns (strings)", v, err);
		if (!*json_string_value(v))
			return al_fail(err, AL_EINVAL, "%s: '%s' entries must not be empty", where, key);
		if (!((*out)[k] = strdup(json_string_value(v))))
			return al_fail(err, AL_ENOMEM, "out of memory");
	}
	return AL_OK;
}

/* A `from:` scheme's one kind, and no `sha256:` (only https:// files take one). */
static enum al_code scheme_applies(const json_t *a, const char *where, const struct al_source *s, enum al_kind want,
				   const char *scheme, const char *pin_hint, struct al_err *err)
{
	if (s->kind != want)
		return al_fail(err, AL_EINVAL, "%s: 'from: %s…' is for kind %s, not %s", where, scheme, al_kind_name(want),
			       al_kind_name(s->kind));
	if (json_object_get(a, "sha256"))
		return al_fail(err, AL_EINVAL, "%s: 'sha256' applies to https:// files; %s", where, pin_hint);
	return AL_OK;
}

/*
 * `from:` (docs/FORMAT.md §1 "Remote sources"): https:// files with a pinned `sha256:`,
 * hf://REPO[@REVISION] models, docker:// images (the reference checked here, pulled later). Nothing is fetched here; the URL rules (plain http only
 * to loopback) are applied when it is.
 */
static enum al_code parse_remote(const json_t *a, const char *where, struct al_source *s, struct al_err *err)
{
	const char *from, *sha;
	enum al_code rc;
	if ((rc = req_str(a, "from", where, "a URL such as https://…, hf://ORG/NAME@REVISION or docker://HOST/REPO:TAG", NULL,
			  &from, err)))
		return rc;
	if (json_object_get(a, "path"))
		return al_fail(err, AL_EINVAL, "%s: give either 'path' or 'from', not both", where);
	if (json_object_get(a, "revision") || json_object_get(a, "source"))
		return al_fail(err, AL_EINVAL,
			       "%s: 'revision' and 'source' come from 'from' for a remote source (hf://ORG/NAME@REVISION)", where);
	if (!(s->from = strdup(from)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!strncmp(from, "hf://", 5)) {
		const char *at = strchr(from + 5, '@');
		if ((rc = scheme_applies(a, where, s, AL_KIND_MODEL, "hf://", "the Hub's own digests check a model", err)))
			return rc;
		s->source = at ? strndup(from + 5, (size_t)(at - from - 5)) : strdup(from + 5);
		s->revision = strdup(at ? at + 1 : "main");
		if (!s->source || !s->revision)
			return al_fail(err, AL_ENOMEM, "out of memory");
		if (!al_hf_repo_valid(s->source))
			return al_fail(err, AL_EINVAL, "%s: '%s' does not name a Hub repository (hf://ORG/NAME@REVISION)", where,
				       from);
		for (const char *c = s->revision; *c; c++)
			if ((unsigned char)*c <= 0x20 || *c == 0x7f)
				return al_fail(err, AL_EINVAL, "%s: the revision in '%s' holds a space or control character", where,
					       from);
		if (!*s->revision || strlen(s->revision) > 255)
			return al_fail(err, AL_EINVAL, "%s: '%s' has an empty or over-long revision after '@'", where, from);
		return AL_OK;
	}
	if (!strncmp(from, "docker://", 9)) {
		struct al_docker_ref ref;
		if ((rc = scheme_applies(a, where, s, AL_KIND_IMAGE, "docker://", "pin an image with docker://…@sha256:…",
					 err)))
			return rc;
		if ((rc = al_docker_ref_parse(from, &ref, err)))
			return al_err_prefix(err, "%s", where);
		al_docker_ref_release(&ref);
		return AL_OK;
	}
	if (!strncmp(from, "https://", 8) || !strncmp(from, "http://", 7)) {
		if (s->kind != AL_KIND_FILE)
			return al_fail(err, AL_EINVAL, "%s: 'from: %.8s…' is for kind file, not %s", where, from,
				       al_kind_name(s->kind));
		if ((rc = req_str(a, "sha256", where, "64 hex digits", " (a file from a URL must be pinned: sha256: <64 hex digits>)",
				  &sha, err)))
			return rc;
		if (!strncmp(sha, "sha256:", 7))
			sha += 7;
		if (strlen(sha) != AL_HEX_LEN || strspn(sha, "0123456789abcdefABCDEF") != AL_HEX_LEN)
			return al_fail(err, AL_EINVAL, "%s: 'sha256' is '%s', not 64 hex digits", where, sha);
		for (int i = 0; i < AL_HEX_LEN; i++)
			s->sha256[i] = (char)(sha[i] >= 'A' && sha[i] <= 'F' ? sha[i] - 'A' + 'a' : sha[i]);
		s->sha256[AL_HEX_LEN] = '\0';
		for (const char *c = from; *c; c++)
			if ((unsigned char)*c <= 0x20 || *c == 0x7f)
				return al_fail(err, AL_EINVAL, "%s: 'from' holds a space or control character", where);
		return AL_OK;
	}
	return al_fail(err, AL_EINVAL,
		       "%s: 'from' is '%s': airlock fetches https:// files, hf:// models and docker:// images (wheels come from 'kind: wheels' with 'requirements')",
		       where, from);
}

/*
 * `kind: wheels` with `requirements: FILE` (docs/FORMAT.md §1 "Wheels from an index"):
 * the file is read when the bundle is made, against the index; here only its place.
 */
static enum al_code parse_requirements(const json_t *a, const char *where, const char *base, struct al_source *s,
				       struct al_err *err)
{
	const char *path, *k;
	json_t *v;
	enum al_code rc;
	json_object_foreach((json_t *)a, k, v)
		if (strcmp(k, "kind") && strcmp(k, "requirements"))
			return al_fail(err, AL_EINVAL, "%s: '%s' does not apply to kind 'wheels', which takes only 'requirements'",
				       where, k);
	if ((rc = req_str(a, "requirements", where, "a path to a requirements file pinned with --hash", NULL, &path,
			  err)))
		return rc;
	if (!*path)
		return al_fail(err, AL_EINVAL, "%s: 'requirements' is empty", where);
	s->kind = AL_KIND_WHEEL;
	if (!(s->requirements = resolve(base, path)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

static enum al_code parse_source(const json_t *a, size_t i, const char *base,
				 struct al_source *s, struct al_err *err)
{
	static const char *const keys[] = { "kind", "path", "name", "include", "revision", "source",
					    "from", "sha256", "requirements", "exclude", NULL };
	char where[64];
	const char *kind, *path;
	enum al_code rc;
	snprintf(where, sizeof(where), "artifacts[%zu]", i);
	s->line = (unsigned)i;
	if (!json_is_object(a))
		return al_fail(err, AL_EINVAL, "%s has the wrong type: expected a mapping with 'kind' and 'path', got %s",
			       where, yaml_type(a));
	if ((rc = check_keys(a, keys, where, err)))
		return rc;
	if ((rc = req_str(a, "kind", where, "a kind such as model or file", NULL, &kind, err)))
		return rc;
	if (!strcmp(kind, "wheels"))
		return parse_requirements(a, where, base, s, err);
	if (al_kind_parse(kind, &s->kind) != 0)
		return al_fail(err, AL_EINVAL,
			       "%s: unknown kind '%s' (expected model, wheel, wheels, image, file or vulndb)",
			       where, kind);
	if (json_object_get(a, "requirements"))
		return al_fail(err, AL_EINVAL,
			       "%s: 'requirements' belongs to kind 'wheels' (a hash-pinned requirements file), not %s", where,
			       kind);
	if (json_object_get(a, "from")) {
		if ((rc = parse_remote(a, where, s, err)) || (rc = opt_str(a, "name", where, &s->name, err)) ||
		    (rc = parse_globs(a, "include", where, s, &s->include, err)))
			return rc;
		return parse_globs(a, "exclude", where, s, &s->exclude, err);
	}
	if (json_object_get(a, "sha256"))
		return al_fail(err, AL_EINVAL, "%s: 'sha256' applies to remote sources only", where);
	if ((rc = req_str(a, "path", where, "a path", NULL, &path, err)))
		return rc;
	if (!*path)
		return al_fail(err, AL_EINVAL, "%s: 'path' is empty", where);
	if ((rc = opt_str(a, "name", where, &s->name, err)) ||
	    (rc = opt_str(a, "revision", where, &s->revision, err)) ||
	    (rc = opt_str(a, "source", where, &s->source, err)))
		return rc;
	if (s->kind == AL_KIND_IMAGE) {
		const char *colon = strrchr(path, ':');
		char *p;
		if (colon && !strchr(colon, '/')) {
			p = strndup(path, (size_t)(colon - path));
			s->tag = strdup(colon + 1);
			if (!s->tag || !*s->tag) {
				free(p);
				return al_fail(err, AL_EINVAL, "%s: empty tag after ':' in 'path'", where);
			}
		} else {
			p = strdup(path);
		}
		if (!p)
			return al_fail(err, AL_ENOMEM, "out of memory");
		s->path = resolve(base, p);
		free(p);
	} else {
		s->path = resolve(base, path);
	}
	if (!s->path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((s->revision || s->source) && s->kind != AL_KIND_MODEL)
		return al_fail(err, AL_EINVAL, "%s: 'revision' and 'source' apply to models only", where);
	if ((rc = parse_globs(a, "include", where, s, &s->include, err)) ||
	    (rc = parse_globs(a, "exclude", where, s, &s->exclude, err)))
		return rc;
	return AL_OK;
}

enum al_code al_spec_parse(const char *data, size_t n, const char *what, const char *base,
			   int64_t now, struct al_spec *spec, struct al_err *err)
{
	static const char *const keys[] = { "name", "version", "expires", "platforms", "python",
					    "artifacts", NULL };
	json_t *root = NULL;
	const json_t *arts;
	const char *name, *bad, *exp;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	enum al_code rc;
	memset(spec, 0, sizeof(*spec));
	if ((rc = al_sha256_mem(data, n, d, err)))
		return rc;
	al_hex(d, hex);
	snprintf(spec->spec_digest, sizeof(spec->spec_digest), "sha256:%s", hex);
	if ((rc = al_yaml_parse(data, n, what, &root, err)))
		return rc;
	if (!json_is_object(root)) {
		rc = al_fail(err, AL_EINVAL, "'%s': the top level must be a mapping", what);
		goto out;
	}
	if ((rc = check_keys(root, keys, what, err)))
		goto out;
	if ((rc = req_str(root, "name", what, "a string", NULL, &name, err)))
		goto out;
	if ((bad = al_bundle_name_bad(name))) {
		rc = al_fail(err, AL_EINVAL, "%s: bad name '%s': %s", what, name, bad);
		goto out;
	}
	spec->name = strdup(name);
	if (!json_object_get(root, "version")) {
		rc = al_fail(err, AL_EINVAL, "%s: 'version' is missing (an integer, increased for every bundle of this name)", what);
		goto out;
	}
	if (!json_is_string(json_object_get(root, "version")) && !json_is_integer(json_object_get(root, "version"))) {
		rc = wrong_type(what, "version", "an integer", json_object_get(root, "version"), err);
		goto out;
	}
	if (al_json_int(root, "version", &spec->version) != 0 || spec->version < 1) {
		rc = al_fail(err, AL_EINVAL, "%s: 'version' must be a positive integer", what);
		goto out;
	}
	exp = al_json_str(root, "expires");
	if (json_object_get(root, "expires") && !exp) {
		rc = wrong_type(what, "expires", "a string such as 120d", json_object_get(root, "expires"), err);
		goto out;
	}
	if (al_expiry_parse(exp ? exp : "90d", now, &spec->expires) != 0) {
		rc = al_fail(err, AL_EINVAL,
			     "%s: bad 'expires' '%s' (use 36h, 120d, 2w or a date YYYY-MM-DD)", what, exp);
		goto out;
	}
	if (spec->expires <= now) {
		rc = al_fail(err, AL_EINVAL, "%s: 'expires' '%s' is in the past", what, exp);
		goto out;
	}
	if ((rc = parse_targets(root, data, n, what, spec, err)))
		goto out;
	arts = json_object_get(root, "artifacts");
	if (!arts) {
		rc = al_fail(err, AL_EINVAL, "%s: 'artifacts' is missing (a non-empty list)", what);
		goto out;
	}
	if (!json_is_array(arts)) {
		rc = wrong_type(what, "artifacts", "a sequence", arts, err);
		goto out;
	}
	if (json_array_size(arts) == 0) {
		rc = al_fail(err, AL_EINVAL, "%s: 'artifacts' must be a non-empty list", what);
		goto out;
	}
	spec->nsources = json_array_size(arts);
	spec->sources = calloc(spec->nsources, sizeof(*spec->sources));
	if (!spec->name || !spec->sources) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < spec->nsources; i++) {
		const struct al_source *s = &spec->sources[i];
		if ((rc = parse_source(json_array_get(arts, i), i, base, &spec->sources[i], err))) {
			al_err_prefix(err, "%s", what);
			goto out;
		}
		if (s->requirements && (!spec->python || !spec->platforms)) {
			rc = al_fail(err, AL_EINVAL,
				     "%s: artifacts[%zu]: kind 'wheels' needs 'python' and 'platforms' at the top of the spec (the interpreter and platforms the wheels are chosen for, such as python: \"3.11\" and platforms: [linux/amd64])",
				     what, i);
			goto out;
		}
	}
out:
	json_decref(root);
	if (rc)
		al_spec_release(spec);
	return rc;
}

enum al_code al_spec_load(const char *path, int64_t now, struct al_spec *spec, struct al_err *err)
{
	struct al_buf b;
	char *base;
	enum al_code rc;
	memset(spec, 0, sizeof(*spec));
	al_buf_init(&b, AL_MAX_SPEC);
	if ((rc = al_read_file(path, 0, &b, err))) {
		al_buf_release(&b); /* a read that failed part-way holds memory */
		return rc;
	}
	base = al_dirname(path);
	if (!base) {
		al_buf_release(&b);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	rc = al_spec_parse(b.data, b.len, path, base, now, spec, err);
	if (!rc && !(spec->spec_path = strdup(path))) {
		al_spec_release(spec);
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	free(base);
	al_buf_release(&b);
	return rc;
}

void al_spec_release(struct al_spec *spec)
{
	for (size_t i = 0; spec->sources && i < spec->nsources; i++) {
		struct al_source *s = &spec->sources[i];
		free(s->path);
		free(s->tag);
		free(s->name);
		free(s->revision);
		free(s->source);
		free(s->from);
		free(s->requirements);
		for (char **p = s->include; p && *p; p++)
			free(*p);
		free(s->include);
		for (char **p = s->exclude; p && *p; p++)
			free(*p);
		free(s->exclude);
	}
	free(spec->sources);
	for (size_t i = 0; spec->platforms && i < spec->nplatforms; i++)
		free(spec->platforms[i]);
	free(spec->platforms);
	free(spec->python);
	free(spec->name);
	free(spec->spec_path);
	memset(spec, 0, sizeof(*spec));
}
