/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.c: the strict check of a hashed bundle view (docs/FORMAT.md
 * "Verification"). Every problem is reported with the file it concerns;
 * JSON is parsed only from bytes that were hashed and listed. Never prints.
 */
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "fsx.h"
#include "json.h"

static int exempt(const char *path)
{
	return !strcmp(path, "SHA256SUMS") || !strcmp(path, "custody.log") ||
	       !strncmp(path, "signatures/", 11);
}

struct listed {
	char *path;
	char hex[AL_HEX_LEN + 1];
};

static int cmp_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->path, ((const struct listed *)b)->path);
}

static void free_listed(struct listed *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/*
 * Parses SHA256SUMS ("<hex>  <path>" or "<hex> *<path>"); bad lines are
 * reported. On error nothing is left allocated and *out is untouched.
 */
static enum al_code parse_sums(const struct al_buf *b, struct listed **out, size_t *nout,
			       struct al_report *rep, struct al_err *err)
{
	struct listed *v = NULL;
	size_t n = 0, cap = 0, line = 0;
	const char *p = b->data, *end = b->data + b->len;
	if (b->len && end[-1] != '\n')
		al_report_add(rep, "'SHA256SUMS' does not end with a newline (is it truncated?)");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		unsigned char d[AL_DIGEST_LEN];
		const char *path, *bad;
		char *pathz;
		line++;
		if (len < AL_HEX_LEN + 3 || al_unhex(p, AL_HEX_LEN, d) != 0 || p[AL_HEX_LEN] != ' ' ||
		    (p[AL_HEX_LEN + 1] != ' ' && p[AL_HEX_LEN + 1] != '*')) {
			al_report_add(rep, "'SHA256SUMS' line %zu is not '<sha256>  <path>'", line);
			goto next;
		}
		path = p + AL_HEX_LEN + 2;
		if (memchr(path, '\0', len - AL_HEX_LEN - 2)) {
			al_report_add(rep, "'SHA256SUMS' line %zu: the path contains a NUL byte", line);
			goto next;
		}
		pathz = al_memdup(path, len - AL_HEX_LEN - 2);
		if (!pathz) {
			free_listed(v, n); /* the paths listed so far leaked here */
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		if ((bad = al_path_unsafe(pathz))) {
			al_report_add(rep, "'SHA256SUMS' line %zu: '%s': %s", line, pathz, bad);
			free(pathz);
			goto next;
		}
		if (exempt(pathz)) {
			al_report_add(rep, "'SHA256SUMS' line %zu lists '%s', which it must not cover", line, pathz);
			free(pathz);
			goto next;
		}
		if (n == cap) {
			struct listed *nv;
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(pathz);
				free_listed(v, n);
				return al_fail(err, AL_ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[n].path = pathz;
		al_hex(d, v[n].hex);
		n++;
next:
		p = eol ? eol + 1 : end;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_listed);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i].path, v[i - 1].path))
			al_report_add(rep, "'SHA256SUMS' lists '%s' more than once", v[i].path);
	*out = v;
	*nout = n;
	return AL_OK;
}

/* The (artifact, digest) pairs already walked: each is checked once, whatever the fan-out. */
struct seen {
	struct seen_slot {
		size_t artifact;
		char digest[AL_DIGEST_STR];
	} *slot;
	size_t n, cap; /* cap is a power of two; slot[i].digest[0] == 0 when free */
};

static uint64_t seen_hash(size_t artifact, const char *digest)
{
	uint64_t h = 1469598103934665603ull ^ artifact;
	for (const char *p = digest; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

/* Returns 1 if the pair was already there, 0 if it was added, -1 on ENOMEM. */
static int seen_add(struct seen *s, size_t artifact, const char *digest)
{
	size_t i;
	if (2 * (s->n + 1) > s->cap) {
		struct seen bigger = { NULL, 0, s->cap ? s->cap * 2 : 256 };
		bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
		if (!bigger.slot)
			return -1;
		for (size_t k = 0; k < s->cap; k++)
			if (s->slot[k].digest[0])
				seen_add(&bigger, s->slot[k].artifact, s->slot[k].digest);
		free(s->slot);
		*s = bigger;
	}
	for (i = seen_hash(artifact, digest) & (s->cap - 1); s->slot[i].digest[0]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i].artifact == artifact && !strcmp(s->slot[i].digest, digest))
			return 1;
	s->slot[i].artifact = artifact;
	snprintf(s->slot[i].digest, sizeof(s->slot[i].digest), "%s", digest);
	s->n++;
	return 0;
}

struct checker {
	struct al_bview *v;
	struct al_report *rep;
	struct al_bundle_info *info;
	struct listed *listed;
	size_t nlisted;
	struct al_err *err;
	struct seen seen;
	enum al_code fatal;   /* an operational failure met on the way (the first); the check's result */
};

/*
 * Is E an operational failure (out of memory, an I/O error) rather than a
 * verdict on the bundle? Then it is recorded as the check's result (it must
 * never count as a problem of the bundle, nor be lost), and 1 is returned.
 */
static int operational(struct checker *c, const struct al_err *e)
{
	if (e->code != AL_ENOMEM && e->code != AL_EIO)
		return 0;
	if (!c->fatal) {
		c->fatal = e->code;
		al_fail(c->err, e->code, "%s", e->msg);
	}
	return 1;
}

static const struct listed *find_listed(const struct checker *c, const char *path)
{
	struct listed key = { .path = (char *)path };
	return c->nlisted ? bsearch(&key, c->listed, c->nlisted, sizeof(key), cmp_listed) : NULL;
}

/*
 * Reads a listed, hash-checked file and parses it as JSON; NULL when it cannot
 * be used. A read failure is always reported; a parse failure only if
 * report_parse (a blob that merely starts like JSON may be any data).
 */
static json_t *read_json(struct checker *c, const char *path, size_t max, int report_parse)
{
	const struct al_bfile *f = al_bview_find(c->v, path);
	struct al_buf b;
	struct al_err e = { 0 };
	json_t *j = NULL;
	if (!f || !find_listed(c, path))
		return NULL; /* already reported as missing or unlisted */
	al_buf_init(&b, max);
	if (c->v->read(c->v, f, &b, &e)) {
		if (!operational(c, &e))
			al_report_add(c->rep, "%s", e.msg);
	} else if (al_json_parse(b.data, b.len, path, &j, &e) && !operational(c, &e) && report_parse) {
		al_report_add(c->rep, "%s", e.msg);
	}
	al_buf_release(&b);
	return j;
}

/* Refuses (reports) JSON that nests deeper than AL_JSON_MAX_DEPTH; 0 if it does not. */
static int too_deep(struct checker *c, const char *path, const json_t *j)
{
	size_t d = al_json_depth(j);
	if (d <= AL_JSON_MAX_DEPTH)
		return 0;
	al_report_add(c->rep, "'%s' nests %zu levels deep; at most %d are accepted", path, d, AL_JSON_MAX_DEPTH);
	return 1;
}

/* Reads a listed, hash-checked JSON file; NULL (and a report) when it cannot be used. */
static json_t *load_json(struct checker *c, const char *path, size_t max)
{
	json_t *j = read_json(c, path, max, 1);
	if (j && too_deep(c, path, j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static enum al_code add_blob(struct al_bundle_info *info, const char *digest, uint64_t size,
			     const char *mt, size_t artifact, struct al_err *err)
{
	struct al_blobref *b;
	enum al_code rc = al_array_grow(&info->blobs, &info->capblobs, info->nblobs + 1, sizeof(*b), err);
	if (rc)
		return rc;
	b = &info->blobs[info->nblobs];
	snprintf(b->digest, sizeof(b->digest), "%s", digest);
	b->size = size;
	b->artifact = artifact;
	b->media_type = strdup(mt ? mt : "");
	if (!b->media_type)
		return al_fail(err, AL_ENOMEM, "out of memory");
	info->nblobs++;
	return AL_OK;
}

static enum al_code check_desc(struct checker *c, const json_t *d, const char *from, size_t artifact,
			       int depth);

/*
 * A blob is a manifest or an index by what its descriptor calls it, and also
 * by what it is: a JSON object whose own mediaType is one of the four, or
 * with schemaVersion 2 (how skopeo guesses a manifest's type). Either way,
 * every descriptor it holds (config, layers, manifests) is checked, so a
 * label such as application/octet-stream cannot hide a missing blob.
 */
static enum al_code check_content(struct checker *c, const struct al_bfile *f, const char *path,
				  const char *mt, size_t artifact, int depth)
{
	int declared = al_mt_is_manifest(mt) || al_mt_is_index(mt), is_index, is_manifest;
	json_t *m, *cfg, *layers, *mans, *x;
	const char *cmt;
	char where[64 + AL_HEX_LEN];
	enum al_code rc = AL_OK;
	size_t i;
	if (!declared && (f->sniff == AL_SNIFF_OTHER || f->size > AL_MAX_MANIFEST))
		return AL_OK; /* not a JSON object, or too big for any registry to take as a manifest */
	m = read_json(c, path, AL_MAX_MANIFEST, declared);
	if (!m)
		return AL_OK;
	cmt = al_json_str(m, "mediaType");
	if (!declared && !al_json_is_manifest(m))
		goto out; /* data that happens to be JSON */
	if (too_deep(c, path, m))
		goto out;
	snprintf(where, sizeof(where), "manifest '%s'", path);
	if (!json_is_object(m)) {
		al_report_add(c->rep, "%s is not a JSON object", where);
		goto out;
	}
	is_index = al_mt_is_index(mt) || al_mt_is_index(cmt);
	is_manifest = al_mt_is_manifest(mt) || al_mt_is_manifest(cmt);
	cfg = json_object_get(m, "config");
	layers = json_object_get(m, "layers");
	mans = json_object_get(m, "manifests");
	if (is_index && !json_is_array(mans))
		al_report_add(c->rep, "%s: an index without 'manifests'", where);
	if (is_manifest && !json_is_object(cfg))
		al_report_add(c->rep, "%s: a manifest without 'config'", where);
	if (is_manifest && !json_is_array(layers))
		al_report_add(c->rep, "%s: a manifest without 'layers'", where);
	if (cfg && (!is_manifest || json_is_object(cfg)))
		rc = check_desc(c, cfg, where, artifact, depth + 1);
	if (!rc && layers && !json_is_array(layers) && !is_manifest)
		al_report_add(c->rep, "%s: 'layers' is not a list", where);
	json_array_foreach(layers, i, x)
		if (rc || (rc = check_desc(c, x, where, artifact, depth + 1)))
			break;
	if (!rc && mans && !json_is_array(mans) && !is_index)
		al_report_add(c->rep, "%s: 'manifests' is not a list", where);
	json_array_foreach(mans, i, x)
		if (rc || (rc = check_desc(c, x, where, artifact, depth + 1)))
			break;
out:
	json_decref(m);
	return rc;
}

/* Checks one descriptor and, for manifests and indexes, what they reference. */
static enum al_code check_desc(struct checker *c, const json_t *d, const char *from, size_t artifact,
			       int depth)
{
	const char *mt = al_json_str(d, "mediaType"), *digest = al_json_str(d, "digest");
	const json_t *jsize = json_object_get(d, "size");
	char path[16 + AL_HEX_LEN];
	const struct al_bfile *f;
	enum al_code rc;
	if (!json_is_object(d) || !mt || !al_digest_valid(digest) || !json_is_integer(jsize) ||
	    json_integer_value(jsize) < 0) {
		al_report_add(c->rep, "%s: a descriptor lacks a valid mediaType, digest or size", from);
		return AL_OK;
	}
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
	f = al_bview_find(c->v, path);
	if (!f) {
		al_report_add(c->rep, "missing blob '%s' (referenced by %s)", path, from);
		return AL_OK;
	}
	if (f->size != (uint64_t)json_integer_value(jsize)) {
		al_report_add(c->rep, "size mismatch for '%s': %s says %lld bytes, the file has %llu", path,
			      from, (long long)json_integer_value(jsize), (unsigned long long)f->size);
		return AL_OK;
	}
	switch (seen_add(&c->seen, artifact, digest)) {
	case 1:
		return AL_OK; /* this artifact already has it, and all it references */
	case -1:
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	}
	if ((rc = add_blob(c->info, digest, f->size, mt, artifact, c->err)))
		return rc;
	if (depth > 4) {
		al_report_add(c->rep, "%s: manifests nest deeper than 4 levels", from);
		return AL_OK;
	}
	return check_content(c, f, path, mt, artifact, depth);
}
/* Reports each of airlock.json's artifacts[i] fields its index.json entry d says otherwise. */
static int annotations_differ(struct checker *c, size_t i, const json_t *a, const json_t *d)
{
	static const struct {
		const char *field, *annotation;
	} pairs[] = { { "kind", AL_ANN_KIND }, { "name", AL_ANN_NAME }, { "upstream", AL_ANN_UPSTREAM },
		      { "mediaType", NULL } };
	const json_t *ann = json_object_get(d, "annotations");
	int differ = 0;
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		const char *mine = al_json_str(a, pairs[k].field);
		const char *theirs = pairs[k].annotation ? al_json_str(ann, pairs[k].annotation)
							 : al_json_str(d, "mediaType");
		if (mine && theirs && !strcmp(mine, theirs))
			continue;
		al_report_add(c->rep, "'airlock.json': artifacts[%zu] ('%s') has %s '%s' but entry %zu of 'index.json' has %s",
			      i, al_json_str(a, "ref"), pairs[k].field, mine ? mine : "(none)", i,
			      theirs ? theirs : "none");
		differ = 1;
	}
	return differ;
}

/* Reports refs (org.opencontainers.image.ref.name) that name more than one entry of index.json. */
static void check_refs_unique(struct checker *c, const json_t *mans)
{
	size_t n = json_array_size(mans);
	for (size_t i = 0; i < n; i++) {
		const char *ri = al_json_str(json_object_get(json_array_get(mans, i), "annotations"), AL_ANN_REF);
		for (size_t k = 0; ri && k < i; k++) {
			const json_t *ak = json_object_get(json_array_get(mans, k), "annotations");
			const char *rk = al_json_str(ak, AL_ANN_REF);
			if (rk && !strcmp(ri, rk)) {
				al_report_add(c->rep, "'index.json': entries %zu and %zu have the same ref '%s' (refs are unique in a bundle)",
					      k, i, ri);
				break;
			}
		}
	}
}

/* A string member, or "" when it is missing or not a string. */
static const char *str_or_empty(const json_t *o, const char *key)
{
	const char *v = al_json_str(o, key);
	return v ? v : "";
}

/* Is digest a blob of the given media type that artifact references? */
static int artifact_has_blob(const struct al_bundle_info *info, size_t artifact, const char *hex, const char *mt)
{
	for (size_t i = 0; i < info->nblobs; i++)
		if (info->blobs[i].artifact == artifact && !strcmp(info->blobs[i].digest + 7, hex) &&
		    !strcmp(info->blobs[i].media_type, mt))
			return 1;
	return 0;
}

/*
 * sbom.cdx.json must describe exactly the artifacts: one component per ref,
 * with the SHA-256 the content has (the .whl or file itself for wheels and
 * files, the manifest otherwise) and the manifest digest as airlock:manifest.
 */
static void check_sbom(struct checker *c, const json_t *arts)
{
	const struct al_bundle_info *info = c->info;
	json_t *sbom = load_json(c, "sbom.cdx.json", AL_MAX_SMALL), *comps, *comp;
	size_t i, k;
	if (!sbom)
		return;
	comps = json_object_get(sbom, "components");
	if (!json_is_array(comps)) {
		al_report_add(c->rep, "'sbom.cdx.json' has no 'components' list");
		goto out;
	}
	json_array_foreach(comps, i, comp) {
		const char *ref = al_json_str(comp, "bom-ref");
		int found = 0;
		for (k = 0; ref && k < json_array_size(arts); k++)
			found |= al_json_str(json_array_get(arts, k), "ref") &&
				 !strcmp(al_json_str(json_array_get(arts, k), "ref"), ref);
		for (k = 0; ref && k < i; k++)
			if (!strcmp(str_or_empty(json_array_get(comps, k), "bom-ref"), ref)) {
				al_report_add(c->rep, "'sbom.cdx.json': more than one component is '%s'", ref);
				break;
			}
		if (!found)
			al_report_add(c->rep, "'sbom.cdx.json': component '%s' is no artifact of this bundle", ref ? ref : "(no bom-ref)");
	}
	for (k = 0; k < info->nartifacts; k++) {
		const struct al_artifact *a = &info->artifacts[k];
		const char *want, *sha = NULL, *manifest = NULL, *fmt;
		json_t *h, *p;
		size_t j;
		if (!a->ref)
			continue; /* already reported */
		comp = NULL;
		json_array_foreach(comps, i, comp)
			if (!strcmp(str_or_empty(comp, "bom-ref"), a->ref))
				break;
		if (i == json_array_size(comps)) {
			al_report_add(c->rep, "'sbom.cdx.json' has no component for '%s'", a->ref);
			continue;
		}
		json_array_foreach(json_object_get(comp, "hashes"), j, h)
			if (!strcmp(str_or_empty(h, "alg"), "SHA-256"))
				sha = al_json_str(h, "content");
		json_array_foreach(json_object_get(comp, "properties"), j, p)
			if (!strcmp(str_or_empty(p, "name"), "airlock:manifest"))
				manifest = al_json_str(p, "value");
		want = a->digest + 7;
		fmt = a->kind == AL_KIND_WHEEL ? AL_MT_WHEEL : a->kind == AL_KIND_FILE ? AL_MT_FILE : NULL;
		if (fmt) {
			/* the .whl or file itself: info.sha256, which must be the artifact's own layer */
			want = al_json_str(a->info, "sha256");
			if (!want || !artifact_has_blob(info, k, want, fmt)) {
				al_report_add(c->rep, "'airlock.json': the sha256 of '%s' is not the digest of its %s",
					      a->ref, a->kind == AL_KIND_WHEEL ? "wheel" : "file");
				continue;
			}
		}
		if (!sha || strcmp(sha, want))
			al_report_add(c->rep, "'sbom.cdx.json': the SHA-256 of '%s' is %s, but its content has %s", a->ref,
				      sha ? sha : "missing", want);
		if (!manifest || strcmp(manifest, a->digest))
			al_report_add(c->rep, "'sbom.cdx.json': airlock:manifest of '%s' is %s, but its manifest is %s",
				      a->ref, manifest ? manifest : "missing", a->digest);
	}
out:
	json_decref(sbom);
}

static enum al_code check_meta(struct checker *c, json_t *index)
{
	json_t *meta = load_json(c, "airlock.json", AL_MAX_SMALL), *arts, *a, *mans;
	struct al_bundle_info *info = c->info;
	const char *name, *bad;
	int64_t version;
	size_t i;
	enum al_code rc = AL_OK;
	if (!meta)
		return AL_OK;
	name = al_json_str(meta, "name");
	arts = json_object_get(meta, "artifacts");
	mans = json_object_get(index, "manifests");
	if (!name || (bad = al_bundle_name_bad(name)))
		al_report_add(c->rep, "'airlock.json': missing or bad 'name'");
	if (!json_is_integer(json_object_get(meta, "version")) ||
	    (version = json_integer_value(json_object_get(meta, "version"))) < 1 || version > AL_VERSION_MAX)
		al_report_add(c->rep, "'airlock.json': 'version' must be an integer from 1 to %lld (2^53-1)",
			      (long long)AL_VERSION_MAX);
	else
		info->version = version;
	if (!al_json_str(meta, "created") || al_time_parse(al_json_str(meta, "created"), &info->created))
		al_report_add(c->rep, "'airlock.json': missing or bad 'created'");
	if (!al_json_str(meta, "expires") || al_time_parse(al_json_str(meta, "expires"), &info->expires))
		al_report_add(c->rep, "'airlock.json': missing or bad 'expires'");
	if (!json_is_array(arts)) {
		al_report_add(c->rep, "'airlock.json': 'artifacts' is not a list");
		goto out;
	}
	if (json_is_array(mans) && json_array_size(mans) != json_array_size(arts))
		al_report_add(c->rep, "'airlock.json' lists %zu artifacts but 'index.json' has %zu",
			      json_array_size(arts), json_array_size(mans));
	info->artifacts = calloc(json_array_size(arts) + 1, sizeof(*info->artifacts));
	if (!info->artifacts) {
		rc = al_fail(c->err, AL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(arts, i, a) {
		struct al_artifact *art = &info->artifacts[i];
		const char *kind = al_json_str(a, "kind"), *ref = al_json_str(a, "ref");
		const char *digest = al_json_str(a, "digest"), *mt = al_json_str(a, "mediaType");
		const json_t *size = json_object_get(a, "size");
		json_t *d = json_array_get(mans, i);
		const char *iref = al_json_str(json_object_get(d, "annotations"), AL_ANN_REF);
		info->nartifacts = i + 1;
		if (!kind || al_kind_parse(kind, &art->kind) || !ref || !al_digest_valid(digest) || !mt ||
		    !json_is_integer(size) || !al_json_str(a, "name")) {
			al_report_add(c->rep, "'airlock.json': artifacts[%zu] is incomplete", i);
			continue;
		}
		if (!d || !iref || strcmp(iref, ref) || strcmp(al_json_str(d, "digest") ? al_json_str(d, "digest") : "", digest) ||
		    json_integer_value(json_object_get(d, "size")) != json_integer_value(size)) {
			al_report_add(c->rep, "'airlock.json': artifacts[%zu] ('%s') does not match entry %zu of 'index.json'",
				      i, ref, i);
			continue;
		}
		if (annotations_differ(c, i, a, d))
			continue;
		art->name = strdup(al_json_str(a, "name"));
		art->ref = strdup(ref);
		art->upstream = strdup(al_json_str(a, "upstream") ? al_json_str(a, "upstream") : "");
		art->media_type = strdup(mt);
		snprintf(art->digest, sizeof(art->digest), "%s", digest);
		art->size = (uint64_t)json_integer_value(size);
		art->info = json_incref(json_object_get(a, "info"));
		if (!art->info)
			art->info = json_object();
		if (!art->name || !art->ref || !art->upstream || !art->media_type || !art->info) {
			rc = al_fail(c->err, AL_ENOMEM, "out of memory");
			goto out;
		}
	}
	check_refs_unique(c, mans);
	info->name = name ? strdup(name) : NULL;
	info->meta = json_incref(meta);
	if (name && !info->name)
		rc = al_fail(c->err, AL_ENOMEM, "out of memory");
out:
	json_decref(meta);
	return rc;
}

enum al_code al_bundle_check(struct al_bview *v, struct al_report *rep,
			     struct al_bundle_info *info, struct al_err *err)
{
	static const char *const required[] = { "oci-layout", "index.json", "airlock.json",
						"sbom.cdx.json", NULL };
	struct al_bundle_info scratch;
	struct checker c = { v, rep, info ? info : &scratch, NULL, 0, err, { NULL, 0, 0 }, AL_OK };
	const struct al_bfile *sums = al_bview_find(v, "SHA256SUMS");
	size_t before = al_report_count(rep);
	struct al_buf b;
	json_t *layout = NULL, *index = NULL, *arr, *d;
	enum al_code rc = AL_OK;
	size_t i;
	memset(c.info, 0, sizeof(*c.info));
	if (!sums) {
		al_report_add(rep, "missing file 'SHA256SUMS'");
		goto out;
	}
	snprintf(c.info->sums_digest, sizeof(c.info->sums_digest), "%s", sums->digest);
	al_buf_init(&b, AL_MAX_SUMS);
	{
		struct al_err e = { 0 };
		if (v->read(v, sums, &b, &e)) {
			if (!operational(&c, &e))
				al_report_add(rep, "%s", e.msg);
			al_buf_release(&b);
			goto out;
		}
	}
	rc = parse_sums(&b, &c.listed, &c.nlisted, rep, err);
	al_buf_release(&b);
	if (rc)
		goto out;
	/* what is listed must be present with the same digest */
	for (i = 0; i < c.nlisted; i++) {
		const struct al_bfile *f = al_bview_find(v, c.listed[i].path);
		if (!f)
			al_report_add(rep, "missing file '%s' (listed in SHA256SUMS)", c.listed[i].path);
		else if (strcmp(f->digest + 7, c.listed[i].hex) != 0)
			al_report_add(rep, "digest mismatch for '%s': expected sha256:%s, got %s (the file was changed after the bundle was made)",
				      f->path, c.listed[i].hex, f->digest);
	}
	/* what is present must be listed; blobs must hash to their names */
	for (i = 0; i < v->n; i++) {
		const struct al_bfile *f = &v->files[i];
		if (exempt(f->path))
			continue;
		if (!find_listed(&c, f->path))
			al_report_add(rep, "unlisted file '%s' (not in SHA256SUMS)", f->path);
		if (!strncmp(f->path, "blobs/", 6)) {
			unsigned char dd[AL_DIGEST_LEN];
			if (strncmp(f->path, "blobs/sha256/", 13) || al_unhex(f->path + 13, strlen(f->path + 13), dd))
				al_report_add(rep, "'%s' is not named blobs/sha256/<64 hex digits>", f->path);
			else if (strcmp(f->path + 13, f->digest + 7) != 0)
				al_report_add(rep, "blob '%s' does not hash to its name (got %s)", f->path, f->digest);
		}
	}
	for (const char *const *r = required; *r; r++)
		if (!al_bview_find(v, *r) && !find_listed(&c, *r))
			al_report_add(rep, "missing file '%s'", *r);
	if (al_report_count(rep) != before)
		goto out; /* no structure is read from bytes that do not match */
	layout = load_json(&c, "oci-layout", 4096);
	if (layout && strcmp(al_json_str(layout, "imageLayoutVersion") ? al_json_str(layout, "imageLayoutVersion") : "", "1.0.0"))
		al_report_add(rep, "'oci-layout': imageLayoutVersion is not 1.0.0");
	index = load_json(&c, "index.json", AL_MAX_SMALL);
	arr = json_object_get(index, "manifests");
	if (index && !json_is_array(arr))
		al_report_add(rep, "'index.json' has no 'manifests' list");
	json_array_foreach(arr, i, d) {
		char from[64];
		snprintf(from, sizeof(from), "'index.json' entry %zu", i);
		if ((rc = check_desc(&c, d, from, i, 0)))
			goto out;
	}
	if (index)
		rc = check_meta(&c, index);
	/* the SBOM is held to the artifacts once they are known to be whole */
	if (!rc && c.info->meta && al_report_count(rep) == before)
		check_sbom(&c, json_object_get(c.info->meta, "artifacts"));
	if (!rc && info && !json_is_object(info->meta) && al_report_count(rep) == before)
		al_report_add(rep, "'airlock.json' could not be read");
out:
	if (!rc && c.fatal)
		rc = c.fatal;
	for (i = 0; i < c.nlisted; i++)
		free(c.listed[i].path);
	free(c.listed);
	free(c.seen.slot);
	json_decref(layout);
	json_decref(index);
	if (!info)
		al_bundle_info_release(&scratch);
	if (rc) {
		if (info)
			al_bundle_info_release(info); /* nothing half-checked goes out */
		return rc;
	}
	if (al_report_count(rep) != before) {
		if (info)
			al_bundle_info_release(info);
		return AL_EVERIFY;
	}
	return AL_OK;
}
