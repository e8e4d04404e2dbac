/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.c: the strict check of a hashed bundle view (docs/FORMAT.md
 * "Verification"). Every problem is reported with the file it concerns;
 * JSON is parsed only from bytes that were hashed and listed. Never prints.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "base.h"
#include "fsx.h"
#include "json.h"

static int exempt(const char *path)
{
	return !strcmp(path, "SHA256SUMS") || !strcmp(path, "custody.log") ||
	       !strncmp(path, "signatures/", 11);
}

/* A line of SHA256SUMS: both point into the file's bytes, which the check keeps while it runs. */
struct listed {
	const char *path; /* NUL-terminated in place of the line's newline */
	const char *hex;  /* 64 lower-case hex digits (lowered in place), not terminated */
};

static int cmp_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->path, ((const struct listed *)b)->path);
}

/*
 * Parses SHA256SUMS ("<hex>  <path>" or "<hex> *<path>") in place: b's bytes are changed
 * (each listed line's newline becomes a NUL, its digest lower case) and must outlive *out.
 * Bad lines are reported. On error nothing is left allocated and *out is untouched.
 */
static enum al_code parse_sums(struct al_buf *b, struct listed **out, size_t *nout,
			       struct al_report *rep, struct al_err *err)
{
	struct listed *v;
	size_t n = 0, lines = 1, line = 0;
	char *p = b->data, *end = b->data + b->len;
	if (b->len && end[-1] != '\n')
		al_report_add(rep, "'SHA256SUMS' does not end with a newline (is it truncated?)");
	for (const char *q = p; q && q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;
	if (!(v = malloc(lines * sizeof(*v))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		unsigned char d[AL_DIGEST_LEN];
		const char *bad;
		char *path;
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
		if (eol)
			*eol = '\0'; /* the last line, without one, ends at the buffer's own NUL */
		if ((bad = al_path_unsafe(path))) {
			al_report_add(rep, "'SHA256SUMS' line %zu: '%s': %s", line, path, bad);
			goto next;
		}
		if (exempt(path)) {
			al_report_add(rep, "'SHA256SUMS' line %zu lists '%s', which it must not cover", line, path);
			goto next;
		}
		for (size_t i = 0; i < AL_HEX_LEN; i++)
			p[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
		v[n].path = path;
		v[n].hex = p;
		n++;
next:
		p = eol ? eol + 1 : end;
	}
	/* create writes it sorted: then one pass over it is all the sorting it needs */
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1].path, v[i].path) > 0) {
			qsort(v, n, sizeof(*v), cmp_listed);
			break;
		}
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i].path, v[i - 1].path))
			al_report_add(rep, "'SHA256SUMS' lists '%s' more than once", v[i].path);
	*out = v;
	*nout = n;
	return AL_OK;
}

/*
 * The (artifact, blob) pairs already walked: each is checked once, whatever the fan-out. A
 * blob is its file in the view: a valid digest names exactly one path, blobs/sha256/<hex>,
 * so the file found for it stands for the digest (no copy of it, no string compare). A blob
 * a differential bundle takes from its base stands as its entry of base.json, likewise one
 * per digest.
 */
struct seen {
	struct seen_slot {
		size_t artifact;
		const void *blob; /* an al_bfile or an al_base_blob; NULL when free */
	} *slot;
	size_t n, cap; /* cap is a power of two */
};

static uint64_t seen_hash(size_t artifact, const void *blob)
{
	uint64_t h = ((uint64_t)(uintptr_t)blob ^ ((uint64_t)artifact << 40)) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* Returns 1 if the pair was already there, 0 if it was added, -1 on ENOMEM. */
static int seen_add(struct seen *s, size_t artifact, const void *blob)
{
	size_t i;
	if (2 * (s->n + 1) > s->cap) {
		struct seen bigger = { NULL, 0, s->cap ? s->cap * 2 : 256 };
		bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
		if (!bigger.slot)
			return -1;
		for (size_t k = 0; k < s->cap; k++)
			if (s->slot[k].blob)
				seen_add(&bigger, s->slot[k].artifact, s->slot[k].blob);
		free(s->slot);
		*s = bigger;
	}
	for (i = seen_hash(artifact, blob) & (s->cap - 1); s->slot[i].blob; i = (i + 1) & (s->cap - 1))
		if (s->slot[i].artifact == artifact && s->slot[i].blob == blob)
			return 1;
	s->slot[i].artifact = artifact;
	s->slot[i].blob = blob;
	s->n++;
	return 0;
}

struct checker {
	struct al_bview *v;
	struct al_report *rep;
	struct al_bundle_info *info;
	struct al_buf sums;   /* SHA256SUMS as read (and parsed in place): listed points into it */
	struct listed *listed;
	size_t nlisted;
	struct al_err *err;
	struct seen seen;
	struct al_base base;  /* base.json: the blobs a differential bundle takes from the inside */
	unsigned char *base_used;
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
	memcpy(b->digest, digest, AL_DIGEST_STR); /* valid: "sha256:" and 64 hex digits */
	b->size = size;
	b->artifact = artifact;
	b->from_base = 0;
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
	/* parsed by the worker that hashed it, from exactly the bytes that matched, or read now */
	m = f->parsed && find_listed(c, path) ? json_incref(f->parsed) : read_json(c, path, AL_MAX_MANIFEST, declared);
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

static int cmp_base(const void *a, const void *b)
{
	return strcmp(((const struct al_base_blob *)a)->digest, ((const struct al_base_blob *)b)->digest);
}

/*
 * A blob base.json lists, of that size: taken on trust from what the inside holds (the
 * importer checks it there). Never a manifest or an index, whose content the check needs.
 */
static enum al_code from_base(struct checker *c, const char *digest, uint64_t size, const char *mt, const char *from,
			      size_t artifact)
{
	struct al_base_blob key, *hit;
	memcpy(key.digest, digest, AL_DIGEST_STR);
	hit = bsearch(&key, c->base.v, c->base.n, sizeof(key), cmp_base);
	if (al_mt_is_manifest(mt) || al_mt_is_index(mt)) {
		al_report_add(c->rep, "%s: the %s '%s' cannot be taken from the base (%s): manifests travel", from, mt,
			      digest, AL_BASE_FILE);
		return AL_OK;
	}
	switch (seen_add(&c->seen, artifact, hit)) {
	case 1:
		return AL_OK; /* this artifact has it already */
	case -1:
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	}
	if (!c->base_used[hit - c->base.v]) {
		c->base_used[hit - c->base.v] = 1;
		c->info->nbase++;
		c->info->base_bytes += size;
	}
	if (add_blob(c->info, digest, size, mt, artifact, c->err))
		return c->err->code;
	c->info->blobs[c->info->nblobs - 1].from_base = 1;
	return AL_OK;
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
	memcpy(path, "blobs/sha256/", 13);
	memcpy(path + 13, digest + 7, AL_HEX_LEN + 1);
	f = al_bview_find(c->v, path);
	if (!f && al_base_has(&c->base, digest, (uint64_t)json_integer_value(jsize)))
		return from_base(c, digest, (uint64_t)json_integer_value(jsize), mt, from, artifact);
	if (!f) {
		al_report_add(c->rep, "missing blob '%s' (referenced by %s)", path, from);
		return AL_OK;
	}
	if (f->size != (uint64_t)json_integer_value(jsize)) {
		al_report_add(c->rep, "size mismatch for '%s': %s says %lld bytes, the file has %llu", path,
			      from, (long long)json_integer_value(jsize), (unsigned long long)f->size);
		return AL_OK;
	}
	switch (seen_add(&c->seen, artifact, f)) {
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

/*
 * Strings with the position they came from, sorted by (string, position): what was a scan
 * of all earlier entries for each entry (quadratic in the number of artifacts) becomes a
 * sort and a binary search.
 */
struct keyed {
	const char *key;
	size_t pos;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int d = strcmp(x->key, y->key);
	return d ? d : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sorts v[0..n); a NULL v (n == 0) is fine. */
static void keyed_sort(struct keyed *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_keyed);
}

/* The first (lowest position) entry of sorted v[0..n) with this key, or NULL. */
static const struct keyed *keyed_first(const struct keyed *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !strcmp(v[lo].key, key) ? &v[lo] : NULL;
}

/*
 * For each position of sorted v[0..n) whose key an earlier position also has, dup[pos] =
 * the first position with that key; SIZE_MAX elsewhere. dup has room for npos entries.
 */
static void keyed_dups(const struct keyed *v, size_t n, size_t *dup, size_t npos)
{
	for (size_t i = 0; i < npos; i++)
		dup[i] = SIZE_MAX;
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(v[i].key, v[first].key) != 0)
			first = i;
		else
			dup[v[i].pos] = v[first].pos;
	}
}

/* Reports refs (org.opencontainers.image.ref.name) that name more than one entry of index.json. */
static enum al_code check_refs_unique(struct checker *c, const json_t *mans)
{
	size_t n = json_array_size(mans), m = 0;
	struct keyed *refs = malloc((n + 1) * sizeof(*refs));
	size_t *dup = malloc((n + 1) * sizeof(*dup));
	if (!refs || !dup) {
		free(refs);
		free(dup);
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *ri = al_json_str(json_object_get(json_array_get(mans, i), "annotations"), AL_ANN_REF);
		if (ri)
			refs[m++] = (struct keyed){ ri, i };
	}
	keyed_sort(refs, m);
	keyed_dups(refs, m, dup, n);
	for (size_t i = 0; i < n; i++)
		if (dup[i] != SIZE_MAX)
			al_report_add(c->rep, "'index.json': entries %zu and %zu have the same ref '%s' (refs are unique in a bundle)",
				      dup[i], i, al_json_str(json_object_get(json_array_get(mans, i), "annotations"), AL_ANN_REF));
	free(refs);
	free(dup);
	return AL_OK;
}

/* A string member, or "" when it is missing or not a string. */
static const char *str_or_empty(const json_t *o, const char *key)
{
	const char *v = al_json_str(o, key);
	return v ? v : "";
}

static int cmp_blob_artifact(const void *a, const void *b, void *ctx)
{
	const struct al_blobref *blobs = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (blobs[x].artifact != blobs[y].artifact)
		return blobs[x].artifact < blobs[y].artifact ? -1 : 1;
	return (x > y) - (x < y);
}

/* Is hex a blob of the given media type that artifact references? by_artifact: info's blobs sorted by artifact. */
static int artifact_has_blob(const struct al_bundle_info *info, const size_t *by_artifact, size_t artifact,
			     const char *hex, const char *mt)
{
	size_t lo = 0, hi = info->nblobs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (info->blobs[by_artifact[mid]].artifact < artifact)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < info->nblobs && info->blobs[by_artifact[lo]].artifact == artifact; lo++) {
		const struct al_blobref *b = &info->blobs[by_artifact[lo]];
		if (!strcmp(b->digest + 7, hex) && !strcmp(b->media_type, mt))
			return 1;
	}
	return 0;
}

/* The components of the SBOM and the artifacts' refs, each sorted for lookups by ref. */
struct sbom_index {
	struct keyed *comps; /* every component by str_or_empty(bom-ref) */
	size_t ncomps;
	struct keyed *arts;  /* every artifact of airlock.json that has a ref */
	size_t narts;
	size_t *dup;         /* per component: the first earlier one with its bom-ref, or SIZE_MAX */
	size_t *by_artifact; /* info's blobs, sorted by artifact */
};

static void sbom_index_release(struct sbom_index *x)
{
	free(x->comps);
	free(x->arts);
	free(x->dup);
	free(x->by_artifact);
}

static enum al_code sbom_index_build(struct checker *c, const json_t *comps, const json_t *arts,
				     struct sbom_index *x)
{
	size_t n = json_array_size(comps), na = json_array_size(arts), i;
	const json_t *e;
	memset(x, 0, sizeof(*x));
	x->comps = malloc((n + 1) * sizeof(*x->comps));
	x->dup = malloc((n + 1) * sizeof(*x->dup));
	x->arts = malloc((na + 1) * sizeof(*x->arts));
	x->by_artifact = malloc((c->info->nblobs + 1) * sizeof(*x->by_artifact));
	if (!x->comps || !x->dup || !x->arts || !x->by_artifact) {
		sbom_index_release(x);
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	}
	json_array_foreach(comps, i, e)
		x->comps[x->ncomps++] = (struct keyed){ str_or_empty(e, "bom-ref"), i };
	json_array_foreach(arts, i, e)
		if (al_json_str(e, "ref"))
			x->arts[x->narts++] = (struct keyed){ al_json_str(e, "ref"), i };
	keyed_sort(x->comps, x->ncomps);
	keyed_sort(x->arts, x->narts);
	keyed_dups(x->comps, x->ncomps, x->dup, n);
	for (i = 0; i < c->info->nblobs; i++)
		x->by_artifact[i] = i;
	if (c->info->nblobs > 1)
		qsort_r(x->by_artifact, c->info->nblobs, sizeof(*x->by_artifact), cmp_blob_artifact, c->info->blobs);
	return AL_OK;
}

/*
 * sbom.cdx.json must describe exactly the artifacts: one component per ref,
 * with the SHA-256 the content has (the .whl or file itself for wheels and
 * files, the manifest otherwise) and the manifest digest as airlock:manifest.
 */
static enum al_code check_sbom(struct checker *c, const json_t *arts)
{
	const struct al_bundle_info *info = c->info;
	json_t *sbom = load_json(c, "sbom.cdx.json", AL_MAX_SMALL), *comps, *comp;
	struct sbom_index x;
	enum al_code rc = AL_OK;
	size_t i, k;
	if (!sbom)
		return AL_OK;
	comps = json_object_get(sbom, "components");
	if (!json_is_array(comps)) {
		al_report_add(c->rep, "'sbom.cdx.json' has no 'components' list");
		goto out;
	}
	if ((rc = sbom_index_build(c, comps, arts, &x)))
		goto out;
	json_array_foreach(comps, i, comp) {
		const char *ref = al_json_str(comp, "bom-ref");
		/* an earlier component without a bom-ref counts as "" */
		if (ref && x.dup[i] != SIZE_MAX)
			al_report_add(c->rep, "'sbom.cdx.json': more than one component is '%s'", ref);
		if (!ref || !keyed_first(x.arts, x.narts, ref))
			al_report_add(c->rep, "'sbom.cdx.json': component '%s' is no artifact of this bundle", ref ? ref : "(no bom-ref)");
	}
	for (k = 0; k < info->nartifacts; k++) {
		const struct al_artifact *a = &info->artifacts[k];
		const struct keyed *found;
		const char *want, *sha = NULL, *manifest = NULL, *fmt;
		json_t *h, *p;
		size_t j;
		if (!a->ref)
			continue; /* already reported */
		if (!(found = keyed_first(x.comps, x.ncomps, a->ref))) {
			al_report_add(c->rep, "'sbom.cdx.json' has no component for '%s'", a->ref);
			continue;
		}
		comp = json_array_get(comps, found->pos);
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
			if (!want || !artifact_has_blob(info, x.by_artifact, k, want, fmt)) {
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
	sbom_index_release(&x);
out:
	json_decref(sbom);
	return rc;
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
	if ((rc = check_refs_unique(c, mans)))
		goto out;
	info->name = name ? strdup(name) : NULL;
	info->meta = json_incref(meta);
	if (name && !info->name)
		rc = al_fail(c->err, AL_ENOMEM, "out of memory");
out:
	json_decref(meta);
	return rc;
}

/*
 * Reads and parses SHA256SUMS into c->listed. *have is set when it could be read; a
 * problem with it is reported (or, if operational, kept in c->fatal).
 */
static enum al_code read_sums(struct checker *c, int *have)
{
	const struct al_bfile *sums = al_bview_find(c->v, "SHA256SUMS");
	struct al_err e = { 0 };
	*have = 0;
	if (!sums) {
		al_report_add(c->rep, "missing file 'SHA256SUMS'");
		return AL_OK;
	}
	snprintf(c->info->sums_digest, sizeof(c->info->sums_digest), "%s", sums->digest);
	if (c->v->read(c->v, sums, &c->sums, &e)) {
		if (!operational(c, &e))
			al_report_add(c->rep, "%s", e.msg);
		return AL_OK;
	}
	*have = 1;
	return parse_sums(&c->sums, &c->listed, &c->nlisted, c->rep, c->err);
}

/*
 * What is listed must be present with the same digest, what is present must be listed
 * (SHA256SUMS itself, signatures/ and custody.log aside), blobs must hash to their names,
 * and the required files must be there. Both lists are sorted by path: each is walked
 * once beside the other.
 */
static void check_listing(struct checker *c)
{
	static const char *const required[] = { "oci-layout", "index.json", "airlock.json",
						"sbom.cdx.json", NULL };
	const struct al_bview *v = c->v;
	size_t i, k;
	for (i = 0, k = 0; i < c->nlisted; i++) {
		const struct listed *l = &c->listed[i];
		int order = 1;
		while (k < v->n && (order = strcmp(v->files[k].path, l->path)) < 0)
			k++;
		if (k >= v->n || order != 0)
			al_report_add(c->rep, "missing file '%s' (listed in SHA256SUMS)", l->path);
		else if (strncmp(v->files[k].digest + 7, l->hex, AL_HEX_LEN) != 0)
			al_report_add(c->rep, "digest mismatch for '%s': expected sha256:%.*s, got %s (the file was changed after the bundle was made)",
				      v->files[k].path, AL_HEX_LEN, l->hex, v->files[k].digest);
	}
	for (i = 0, k = 0; i < v->n; i++) {
		const struct al_bfile *f = &v->files[i];
		int order = 1;
		while (k < c->nlisted && (order = strcmp(c->listed[k].path, f->path)) < 0)
			k++;
		if (exempt(f->path))
			continue;
		if (k >= c->nlisted || order != 0)
			al_report_add(c->rep, "unlisted file '%s' (not in SHA256SUMS)", f->path);
		if (!strncmp(f->path, "blobs/", 6)) {
			unsigned char dd[AL_DIGEST_LEN];
			if (strncmp(f->path, "blobs/sha256/", 13) || al_unhex(f->path + 13, strlen(f->path + 13), dd))
				al_report_add(c->rep, "'%s' is not named blobs/sha256/<64 hex digits>", f->path);
			else if (strcmp(f->path + 13, f->digest + 7) != 0)
				al_report_add(c->rep, "blob '%s' does not hash to its name (got %s)", f->path, f->digest);
		}
	}
	for (const char *const *r = required; *r; r++)
		if (!al_bview_find(v, *r) && !find_listed(c, *r))
			al_report_add(c->rep, "missing file '%s'", *r);
}

/*
 * scan.json, when the bundle carries one (attached by `airlock scan --attach` before signing,
 * listed in SHA256SUMS like any other file): a scan of this bundle, with a verdict.
 */
static void check_scan(struct checker *c)
{
	json_t *s, *air;
	const char *res, *name;
	if (!al_bview_find(c->v, "scan.json"))
		return;
	if (!(s = load_json(c, "scan.json", AL_MAX_SMALL)))
		return;
	air = json_object_get(s, "airlock");
	res = al_json_str(json_object_get(s, "verdict"), "result");
	name = al_json_str(air, "name");
	if (!res || (strcmp(res, "pass") && strcmp(res, "review") && strcmp(res, "fail")))
		al_report_add(c->rep, "'scan.json' has no verdict (pass, review or fail)");
	else if (!name || !c->info->name || strcmp(name, c->info->name) ||
		 json_integer_value(json_object_get(air, "version")) != c->info->version)
		al_report_add(c->rep, "'scan.json' is the scan of another bundle (%s version %lld)", name ? name : "?",
			      (long long)json_integer_value(json_object_get(air, "version")));
	else
		snprintf(c->info->scan_verdict, sizeof(c->info->scan_verdict), "%s", res);
	json_decref(s);
}

/*
 * The structure, read only from bytes that matched: oci-layout, index.json and every
 * descriptor it leads to, airlock.json against index.json, then the SBOM against the
 * artifacts. out is the caller's info (NULL if it wants none).
 */
/* base.json, when the bundle has one: the blobs it takes from the base, checked in shape. */
static enum al_code load_base(struct checker *c)
{
	json_t *doc;
	const char *why = NULL;
	int64_t fmt;
	if (!al_bview_find(c->v, AL_BASE_FILE) || !(doc = load_json(c, AL_BASE_FILE, AL_MAX_SUMS)))
		return AL_OK;
	if (al_json_int(doc, "airlock_base", &fmt) || fmt != 1 || !al_json_str(doc, "base"))
		why = "it is not format 1 (\"airlock_base\": 1, \"base\", \"blobs\")";
	else
		why = al_base_parse_blobs(json_object_get(doc, "blobs"), &c->base);
	json_decref(doc);
	if (why && !strcmp(why, "out of memory"))
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	if (why) {
		al_report_add(c->rep, "'%s': %s", AL_BASE_FILE, why);
		al_base_release(&c->base);
	} else if (!(c->base_used = calloc(c->base.n + 1, 1))) {
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	}
	return AL_OK;
}

static enum al_code check_structure(struct checker *c, size_t before, const struct al_bundle_info *out)
{
	json_t *layout = load_json(c, "oci-layout", 4096), *index, *arr, *d;
	enum al_code rc = AL_OK;
	size_t i;
	if (layout && strcmp(al_json_str(layout, "imageLayoutVersion") ? al_json_str(layout, "imageLayoutVersion") : "", "1.0.0"))
		al_report_add(c->rep, "'oci-layout': imageLayoutVersion is not 1.0.0");
	if ((rc = load_base(c)))
		return rc;
	index = load_json(c, "index.json", AL_MAX_SMALL);
	arr = json_object_get(index, "manifests");
	if (index && !json_is_array(arr))
		al_report_add(c->rep, "'index.json' has no 'manifests' list");
	json_array_foreach(arr, i, d) {
		char from[64];
		snprintf(from, sizeof(from), "'index.json' entry %zu", i);
		if ((rc = check_desc(c, d, from, i, 0)))
			goto out;
	}
	if (index)
		rc = check_meta(c, index);
	for (i = 0; !rc && i < c->base.n; i++)
		if (!c->base_used[i])
			al_report_add(c->rep, "'%s' lists %s, which nothing in the bundle references", AL_BASE_FILE,
				      c->base.v[i].digest);
	/* the SBOM is held to the artifacts once they are known to be whole */
	if (!rc && c->info->meta && al_report_count(c->rep) == before)
		rc = check_sbom(c, json_object_get(c->info->meta, "artifacts"));
	if (!rc && out && !json_is_object(out->meta) && al_report_count(c->rep) == before)
		al_report_add(c->rep, "'airlock.json' could not be read");
	if (!rc && al_report_count(c->rep) == before)
		check_scan(c);
out:
	json_decref(layout);
	json_decref(index);
	return rc;
}

enum al_code al_bundle_check(struct al_bview *v, struct al_report *rep,
			     struct al_bundle_info *info, struct al_err *err)
{
	struct al_bundle_info scratch;
	struct checker c = { .v = v, .rep = rep, .info = info ? info : &scratch, .err = err };
	size_t before = al_report_count(rep);
	int have_sums;
	enum al_code rc;
	memset(c.info, 0, sizeof(*c.info));
	al_buf_init(&c.sums, AL_MAX_SUMS);
	rc = read_sums(&c, &have_sums);
	if (!rc && have_sums) {
		check_listing(&c);
		if (al_report_count(rep) == before) /* no structure is read from bytes that do not match */
			rc = check_structure(&c, before, info);
	}
	if (!rc && c.fatal)
		rc = c.fatal;
	free(c.listed);
	al_buf_release(&c.sums);
	free(c.seen.slot);
	al_base_release(&c.base);
	free(c.base_used);
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
