/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sbom.c: CycloneDX 1.6 output. purls follow ECMA-427: pypi names
 * normalized, oci versions are the manifest digest with ':' encoded.
 */
#include "sbom.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"

/* S percent-encoded by the library's one encoder, keeping the characters in SAFE; a new
 * string (caller frees), or NULL when out of memory. */
static char *pct(const char *s, const char *safe)
{
	struct al_buf b;
	al_buf_init(&b, strlen(s) * 3 + 1);
	if (al_buf_add_url(&b, s, safe, NULL)) {
		al_buf_release(&b);
		return NULL;
	}
	return al_buf_take(&b, NULL);
}

/* "&repository_url=…" (or "?…" as the FIRST qualifier) for a wheel from another index than
 * PyPI's, or an image from a registry (its docker:// upstream's HOST/REPO); "" otherwise. Fresh. */
static char *repository_url(const struct al_artifact *a, int first)
{
	const char *idx = al_json_str(a->info, "index"), *up = a->upstream;
	char *where = NULL, *q, *r;
	if (a->kind == AL_KIND_WHEEL && idx && strcmp(idx, "https://pypi.org/simple") && strcmp(idx, "https://pypi.org/simple/"))
		where = strdup(idx);
	else if (a->kind == AL_KIND_IMAGE && up && !strncmp(up, "docker://", 9)) {
		const char *s = up + 9, *slash = strrchr(s, '/'), *end = slash ? slash + strcspn(slash, ":@") : s;
		where = strndup(s, (size_t)(end - s));
	} else
		return strdup("");
	q = where ? pct(where, "/:") : NULL;
	r = q ? al_strf("%crepository_url=%s", first ? '?' : '&', q) : NULL;
	free(where);
	free(q);
	return r;
}

char *al_purl(const struct al_artifact *a)
{
	char *r = NULL, *n = NULL, *v = NULL, *ru = NULL;
	switch (a->kind) {
	case AL_KIND_WHEEL:
		n = pct(al_json_str(a->info, "project"), "");
		v = pct(al_json_str(a->info, "version"), "");
		ru = repository_url(a, 0);
		if (n && v && ru)
			r = al_strf("pkg:pypi/%s@%s?file_name=%s%s", n, v, al_json_str(a->info, "filename"), ru);
		break;
	case AL_KIND_IMAGE: {
		/* name = last path segment of the repository, lower-cased; version = digest */
		const char *slash = strrchr(a->name, '/'), *base = slash ? slash + 1 : a->name;
		const char *colon = strchr(base, ':');
		char *low = strndup(base, colon ? (size_t)(colon - base) : strlen(base));
		for (char *c = low; c && *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		n = low ? pct(low, "") : NULL;
		free(low);
		ru = repository_url(a, 1);
		if (n && ru) /* (qualifiers in key order: repository_url, tag) */
			r = colon ? al_strf("pkg:oci/%s@sha256%%3A%s%s%ctag=%s", n, a->digest + 7, ru, *ru ? '&' : '?', colon + 1)
				  : al_strf("pkg:oci/%s@sha256%%3A%s%s", n, a->digest + 7, ru);
		break;
	}
	case AL_KIND_MODEL: {
		const char *rev = al_json_str(a->info, "revision");
		n = pct(a->name, "/");
		if (n && rev && strchr(a->name, '/'))
			r = al_strf("pkg:huggingface/%s@%s", n, rev);
		else if (n)
			r = al_strf("pkg:generic/%s@sha256%%3A%s", n, a->digest + 7);
		break;
	}
	default:
		n = pct(a->name, "/");
		if (n)
			r = al_strf("pkg:generic/%s@sha256%%3A%s", n, a->digest + 7);
		break;
	}
	free(n);
	free(v);
	free(ru);
	return r;
}

static const char *component_type(enum al_kind k)
{
	switch (k) {
	case AL_KIND_MODEL: return "machine-learning-model";
	case AL_KIND_WHEEL: return "library";
	case AL_KIND_IMAGE: return "container";
	case AL_KIND_VULNDB: return "data";
	default: return "file";
	}
}

enum al_code al_sbom_build(const char *name, int64_t version, int64_t created,
			   const struct al_artifact *arts, size_t n, json_t **out, struct al_err *err)
{
	unsigned char u[16];
	char uuid[64], ts[32], ver[32];
	json_t *doc, *comps = json_array();
	if (RAND_bytes(u, sizeof(u)) != 1) {
		json_decref(comps);
		return al_fail_ssl(err, "cannot make a serial number");
	}
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(uuid, sizeof(uuid),
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	al_time_fmt(created, ts);
	snprintf(ver, sizeof(ver), "%lld", (long long)version);
	for (size_t i = 0; i < n && comps; i++) {
		const struct al_artifact *a = &arts[i];
		char *purl = al_purl(a);
		const char *version_str = al_json_str(a->info, "version");
		json_t *c = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}], s:[{s:s, s:s}, {s:s, s:s}]}",
				      "type", component_type(a->kind), "bom-ref", a->ref, "name", a->name,
				      "hashes", "alg", "SHA-256", "content",
				      a->kind == AL_KIND_WHEEL || a->kind == AL_KIND_FILE
					      ? al_json_str(a->info, "sha256") : a->digest + 7,
				      "properties", "name", "airlock:kind", "value", al_kind_name(a->kind),
				      "name", "airlock:manifest", "value", a->digest);
		if (!c || !purl) {
			free(purl);
			json_decref(c);
			json_decref(comps);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		json_object_set_new(c, "purl", json_string(purl));
		free(purl);
		if (version_str)
			json_object_set_new(c, "version", json_string(version_str));
		else if (al_json_str(a->info, "revision"))
			json_object_set_new(c, "version", json_string(al_json_str(a->info, "revision")));
		if (a->kind == AL_KIND_MODEL)
			json_object_set_new(c, "modelCard",
					    json_pack("{s:[{s:s, s:s}]}", "properties", "name", "airlock:upstream",
						      "value", a->upstream));
		json_array_append_new(comps, c);
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:s, s:{s:[{s:s, s:s, s:s}]}, s:{s:s, s:s, s:s, s:s}}, s:o}",
			"$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json", "bomFormat", "CycloneDX",
			"specVersion", "1.6", "serialNumber", uuid, "version", 1, "metadata", "timestamp", ts,
			"tools", "components", "type", "application", "name", "airlock", "version", AL_VERSION,
			"component", "type", "data", "bom-ref", "bundle", "name", name, "version", ver,
			"components", comps);
	if (!doc)
		return al_fail(err, AL_ENOMEM, "out of memory");
	*out = doc;
	return AL_OK;
}
