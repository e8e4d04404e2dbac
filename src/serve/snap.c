/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snap.c: the catalog, read once into sorted tables. Every lookup a request
 * makes is a binary search here; nothing scans a directory or queries SQLite
 * per request.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "catalog.h"
#include "fsx.h"
#include "json.h"
#include "pypi.h"
#include "serve.h"
#include "format.h"
#include "spec.h"
#include "sv_internal.h"

static char *keep(struct sv_snap *s, char *p)
{
	if (!p)
		return NULL;
	if (al_array_grow(&s->strings, &s->cstrings, s->nstrings + 1, sizeof(*s->strings), NULL)) {
		free(p);
		return NULL;
	}
	s->strings[s->nstrings++] = p;
	return p;
}

const char *sv_keep(struct sv_snap *s, const char *str)
{
	return str ? keep(s, strdup(str)) : NULL;
}

void sv_snap_put(struct sv_snap *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->nblobs; i++)
		free(s->blobs[i].body);
	for (size_t i = 0; i < s->nmodels; i++) {
		free(s->models[i].files);
		free(s->models[i].info);
		free(s->models[i].info_blobs);
	}
	for (size_t i = 0; i < s->npages; i++) {
		free(s->pages[i].html);
		free(s->pages[i].json);
	}
	for (size_t i = 0; i < s->nstrings; i++)
		free(s->strings[i]);
	free(s->strings);
	free(s->blobs);
	free(s->tags);
	free(s->referrers);
	free(s->repos);
	free(s->paths);
	free(s->models);
	free(s->pages);
	free(s->expiry);
	free(s->channels);
	free(s->home);
	free(s);
}

/* ------------------------------------------------------------------ lookups */

static int cmp_blob(const void *a, const void *b)
{
	const struct sv_blob *x = a, *y = b;
	int c = strcmp(x->repo, y->repo);
	return c ? c : strcmp(x->digest, y->digest);
}

static int cmp_tag(const void *a, const void *b)
{
	const struct sv_tag *x = a, *y = b;
	int c = strcmp(x->repo, y->repo);
	return c ? c : strcmp(x->tag, y->tag);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct sv_path *)a)->path, ((const struct sv_path *)b)->path);
}

static int cmp_model(const void *a, const void *b)
{
	return strcmp(((const struct sv_model *)a)->repo, ((const struct sv_model *)b)->repo);
}

static int cmp_mfile(const void *a, const void *b)
{
	return strcmp(((const struct sv_mfile *)a)->path, ((const struct sv_mfile *)b)->path);
}

static int cmp_page(const void *a, const void *b)
{
	return strcmp(((const struct sv_page *)a)->project, ((const struct sv_page *)b)->project);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const struct sv_blob *sv_snap_blob(const struct sv_snap *s, const char *repo, const char *digest)
{
	struct sv_blob k = { .repo = repo };
	if (strlen(digest) >= sizeof(k.digest))
		return NULL;
	memcpy(k.digest, digest, strlen(digest) + 1);
	return s->nblobs ? bsearch(&k, s->blobs, s->nblobs, sizeof(k), cmp_blob) : NULL;
}

const struct sv_tag *sv_snap_tag(const struct sv_snap *s, const char *repo, const char *tag)
{
	struct sv_tag k = { .repo = repo, .tag = tag };
	return s->ntags ? bsearch(&k, s->tags, s->ntags, sizeof(k), cmp_tag) : NULL;
}

size_t sv_snap_tags_from(const struct sv_snap *s, const char *repo, const char *last)
{
	size_t lo = 0, hi = s->ntags;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->tags[mid].repo, repo);
		if (!c && last)
			c = strcmp(s->tags[mid].tag, last) <= 0 ? -1 : 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_referrer(const void *a, const void *b)
{
	const struct sv_referrer *x = a, *y = b;
	int c = strcmp(x->repo, y->repo);
	return c ? c : strcmp(x->subject, y->subject);
}

size_t sv_snap_referrers(const struct sv_snap *s, const char *repo, const char *subject)
{
	size_t lo = 0, hi = s->nreferrers;
	struct sv_referrer k = { .repo = repo };
	snprintf(k.subject, sizeof(k.subject), "%s", subject);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_referrer(&s->referrers[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nreferrers && !cmp_referrer(&s->referrers[lo], &k) ? lo : s->nreferrers;
}

int sv_snap_has_repo(const struct sv_snap *s, const char *repo)
{
	return s->nrepos && bsearch(&repo, s->repos, s->nrepos, sizeof(*s->repos), cmp_str) != NULL;
}

const struct sv_path *sv_snap_path(const struct sv_snap *s, const char *path)
{
	struct sv_path k = { .path = path };
	return s->npaths ? bsearch(&k, s->paths, s->npaths, sizeof(k), cmp_path) : NULL;
}

const struct sv_model *sv_snap_model(const struct sv_snap *s, const char *repo)
{
	struct sv_model k = { .repo = repo };
	return s->nmodels ? bsearch(&k, s->models, s->nmodels, sizeof(k), cmp_model) : NULL;
}

const struct sv_mfile *sv_model_file(const struct sv_model *m, const char *path)
{
	struct sv_mfile k = { .path = path };
	return m->nfiles ? bsearch(&k, m->files, m->nfiles, sizeof(k), cmp_mfile) : NULL;
}

const struct sv_page *sv_snap_page(const struct sv_snap *s, const char *project)
{
	struct sv_page k = { .project = project };
	return s->npages ? bsearch(&k, s->pages, s->npages, sizeof(k), cmp_page) : NULL;
}

/* ------------------------------------------------------------------ loading */

struct loader {
	struct sv_snap *s;
	sqlite3 *db;
	const char *blobs;        /* ROOT/blobs/sha256 */
	size_t cblobs, ctags, cpaths, cmodels, cpages;
	struct al_err *err;
};

/* Prepares Q, with the channel's release bound to ?9 where the query takes it. */
static enum al_code prepare(struct loader *l, enum al_query q, sqlite3_stmt **st)
{
	enum al_code rc = al_catalog_prepare(l->db, q, st, l->err);
	if (!rc && l->s->release_id && sqlite3_bind_parameter_index(*st, "?9") > 0)
		sqlite3_bind_int64(*st, 9, l->s->release_id);
	return rc;
}

/* One step through the library's one helper: a failed step is an error, never the end of the rows. */
static int more(struct loader *l, sqlite3_stmt *st, const char *what, enum al_code *rc)
{
	int row = 0;
	*rc = al_db_step(st, what, &row, l->err);
	return !*rc && row;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

int sv_is_manifest_type(const char *mt)
{
	static const char *const types[] = {
		"application/vnd.oci.image.manifest.v1+json",
		"application/vnd.oci.image.index.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json",
		NULL,
	};
	for (const char *const *t = types; *t; t++)
		if (!strcmp(mt, *t))
			return 1;
	return 0;
}

/* Reads a small blob (a manifest) whole; NULL when missing or not the size the catalog gives. */
static char *read_small(struct loader *l, const char *digest, uint64_t size)
{
	struct al_buf b;
	struct al_err e = { 0 };
	char *path = strncmp(digest, "sha256:", 7) ? NULL : al_join(l->blobs, digest + 7), *body = NULL;
	al_buf_init(&b, AL_MAX_MANIFEST);
	if (path && size <= AL_MAX_MANIFEST && !al_read_file(path, AL_NOFOLLOW, &b, &e) && b.len == size)
		body = al_buf_take(&b, NULL);
	al_buf_release(&b);
	free(path);
	return body;
}

static enum al_code add_blob(struct loader *l, const char *repo, const char *digest, const char *mt,
			     uint64_t size)
{
	struct sv_snap *s = l->s;
	struct sv_blob *b;
	if (strlen(digest) >= sizeof(b->digest))
		return AL_OK;
	if (al_array_grow(&s->blobs, &l->cblobs, s->nblobs + 1, sizeof(*s->blobs), l->err))
		return l->err->code;
	b = &s->blobs[s->nblobs++];
	memset(b, 0, sizeof(*b));
	b->repo = repo;
	memcpy(b->digest, digest, strlen(digest) + 1);
	b->media_type = sv_keep(s, mt);
	b->size = size;
	if (!b->media_type)
		return al_fail(l->err, AL_ENOMEM, "out of memory");
	if (sv_is_manifest_type(mt))
		b->body = read_small(l, digest, size);
	return AL_OK;
}

static enum al_code add_tag(struct loader *l, const char *repo, const char *tag, const char *digest, int pushed)
{
	struct sv_snap *s = l->s;
	struct sv_tag *t;
	if (al_array_grow(&s->tags, &l->ctags, s->ntags + 1, sizeof(*s->tags), l->err))
		return l->err->code;
	t = &s->tags[s->ntags++];
	t->repo = repo;
	t->pushed = pushed;
	t->tag = sv_keep(s, tag);
	/* the digest is kept in the manifest slot until the blobs are sorted */
	t->manifest = (const struct sv_blob *)sv_keep(s, digest);
	if (!t->tag || !t->manifest)
		return al_fail(l->err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

/* Images from bundles: NAME is repo:tag or repo@digest. */
static enum al_code load_images(struct loader *l)
{
	sqlite3_stmt *st;
	enum al_code rc;
	sqlite3_int64 last = -1;
	const char *repo = NULL;
	if ((rc = prepare(l, AL_Q_IMAGES, &st)))
		return rc;
	while (!rc && more(l, st, "reading the images", &rc)) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);
		if (id != last) {
			char *name = strdup(col(st, 1)), *at = name ? strchr(name, '@') : NULL, *colon;
			last = id;
			repo = NULL;
			if (!name) {
				rc = al_fail(l->err, AL_ENOMEM, "out of memory");
				break;
			}
			if (at)
				*at = 0;
			colon = strrchr(name, ':');
			if (colon && !strchr(colon, '/') && !at)
				*colon++ = 0;
			else
				colon = NULL;
			if (sv_oci_name_valid(name)) {
				repo = keep(l->s, name);
				if (!repo)
					rc = al_fail(l->err, AL_ENOMEM, "out of memory");
				else if (colon && sv_oci_tag_valid(colon) && !(rc = add_tag(l, repo, colon, col(st, 2), 0)))
					l->s->tags[l->s->ntags - 1].unsigned_ = sqlite3_column_int(st, 6) != 0;
			} else {
				free(name);
			}
		}
		if (!rc && repo)
			rc = add_blob(l, repo, col(st, 3), col(st, 4), (uint64_t)sqlite3_column_int64(st, 5));
	}
	sqlite3_finalize(st);
	return rc;
}

/* What was pushed (serve --push-token-file). */
static enum al_code load_pushed(struct loader *l)
{
	sqlite3_stmt *st;
	enum al_code rc;
	if ((rc = prepare(l, AL_Q_PUSHED, &st)))
		return rc;
	while (!rc && more(l, st, "reading the pushed blobs", &rc)) {
		const char *repo = sv_keep(l->s, col(st, 0));
		rc = repo ? add_blob(l, repo, col(st, 1), col(st, 2), (uint64_t)sqlite3_column_int64(st, 3))
			  : al_fail(l->err, AL_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	if (rc || (rc = prepare(l, AL_Q_PUSHED_TAGS, &st)))
		return rc;
	while (!rc && more(l, st, "reading the pushed tags", &rc)) {
		const char *repo = sv_keep(l->s, col(st, 0));
		rc = repo ? add_tag(l, repo, col(st, 1), col(st, 2), 1) : al_fail(l->err, AL_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Sorts the OCI tables; a later entry for the same key wins (stable merge by position). */
static enum al_code finish_oci(struct loader *l)
{
	struct sv_snap *s = l->s;
	size_t n = 0;
	/* blobs: sort, dedupe */
	if (s->nblobs) /* (qsort and bsearch take no NULL array, even empty) */
		qsort(s->blobs, s->nblobs, sizeof(*s->blobs), cmp_blob);
	for (size_t i = 0; i < s->nblobs; i++) {
		if (n && !cmp_blob(&s->blobs[n - 1], &s->blobs[i])) {
			if (!s->blobs[n - 1].body && s->blobs[i].body) {
				s->blobs[n - 1].body = s->blobs[i].body;
				s->blobs[i].body = NULL;
			}
			free(s->blobs[i].body);
			continue;
		}
		s->blobs[n++] = s->blobs[i];
	}
	s->nblobs = n;
	/* tags: resolve each digest to its manifest in the repo */
	for (size_t i = 0; i < s->ntags; i++) {
		const char *digest = (const char *)s->tags[i].manifest;
		s->tags[i].manifest = sv_snap_blob(s, s->tags[i].repo, digest);
	}
	{
		size_t m = 0;
		/* drop tags whose manifest is not in the repo, then sort stably by walking from the end */
		for (size_t i = 0; i < s->ntags; i++)
			if (s->tags[i].manifest && s->tags[i].manifest->body)
				s->tags[m++] = s->tags[i];
		s->ntags = m;
		/* newest first, so that the stable sort and dedupe keep the newest */
		for (size_t i = 0, j = s->ntags ? s->ntags - 1 : 0; i < j; i++, j--) {
			struct sv_tag t = s->tags[i];
			s->tags[i] = s->tags[j];
			s->tags[j] = t;
		}
		sv_sort_stable(s->tags, s->ntags, sizeof(*s->tags), cmp_tag);
		n = 0;
		for (size_t i = 0; i < s->ntags; i++)
			if (!n || cmp_tag(&s->tags[n - 1], &s->tags[i]))
				s->tags[n++] = s->tags[i];
		s->ntags = n;
	}
	/* referrers: every manifest that names a subject */
	s->referrers = calloc(s->nblobs + 1, sizeof(*s->referrers));
	if (!s->referrers)
		return al_fail(l->err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nblobs; i++) {
		struct sv_referrer *r = &s->referrers[s->nreferrers];
		json_t *man = s->blobs[i].body ? json_loads(s->blobs[i].body, 0, NULL) : NULL;
		const char *subject = al_json_str(json_object_get(man, "subject"), "digest");
		json_t *ann = json_object_get(man, "annotations");
		const char *at = al_json_str(man, "artifactType");
		if (!at && json_object_get(man, "config"))
			at = al_json_str(json_object_get(man, "config"), "mediaType");
		if (subject && al_digest_valid(subject)) {
			r->repo = s->blobs[i].repo;
			snprintf(r->subject, sizeof(r->subject), "%s", subject);
			r->manifest = &s->blobs[i];
			r->artifact_type = at ? sv_keep(s, at) : NULL;
			if (json_is_object(ann))
				r->annotations = keep(s, json_dumps(ann, JSON_COMPACT | JSON_PRESERVE_ORDER));
			s->nreferrers++;
		}
		json_decref(man);
	}
	qsort(s->referrers, s->nreferrers, sizeof(*s->referrers), cmp_referrer);
	/* repos */
	s->repos = calloc(s->nblobs + 1, sizeof(*s->repos));
	if (!s->repos)
		return al_fail(l->err, AL_ENOMEM, "out of memory");
	n = 0;
	for (size_t i = 0; i < s->nblobs; i++)
		if (!n || strcmp(s->repos[n - 1], s->blobs[i].repo))
			s->repos[n++] = s->blobs[i].repo;
	s->nrepos = n;
	return AL_OK;
}

static enum al_code add_path(struct loader *l, char *path, const char *digest, const char *mt, uint64_t size)
{
	struct sv_snap *s = l->s;
	struct sv_path *p;
	if (!keep(s, path))
		return al_fail(l->err, AL_ENOMEM, "out of memory");
	if (al_array_grow(&s->paths, &l->cpaths, s->npaths + 1, sizeof(*s->paths), l->err))
		return l->err->code;
	p = &s->paths[s->npaths++];
	p->path = path;
	snprintf(p->digest, sizeof(p->digest), "%s", digest);
	p->media_type = mt;
	p->size = size;
	return AL_OK;
}

/* Wheels (packages/FILE and packages/FILE.metadata) and files (files/NAME). */
static enum al_code load_paths(struct loader *l)
{
	sqlite3_stmt *st;
	enum al_code rc;
	size_t n = 0;
	if ((rc = prepare(l, AL_Q_PATHS, &st)))
		return rc;
	while (!rc && more(l, st, "reading the packages and files", &rc)) {
		const char *kind = col(st, 0), *mt = col(st, 3);
		char *path;
		if (!strcmp(kind, "file"))
			path = al_strf("files/%s", col(st, 1));
		else if (!strcmp(mt, AL_MT_WHEEL))
			path = al_strf("packages/%s", col(st, 2));
		else
			path = al_strf("packages/%s.metadata", col(st, 2));
		rc = add_path(l, path, col(st, 4),
			      !strcmp(kind, "file") ? "application/octet-stream"
			      : !strcmp(mt, AL_MT_WHEEL) ? "application/zip" : "text/plain; charset=utf-8",
			      (uint64_t)sqlite3_column_int64(st, 5));
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	/* newest first, so the stable sort and dedupe keep the newest */
	sv_sort_stable(l->s->paths, l->s->npaths, sizeof(*l->s->paths), cmp_path);
	for (size_t i = 0; i < l->s->npaths; i++)
		if (!n || cmp_path(&l->s->paths[n - 1], &l->s->paths[i]))
			l->s->paths[n++] = l->s->paths[i];
	l->s->npaths = n;
	return AL_OK;
}

static int hex40(const char *s)
{
	size_t i;
	for (i = 0; i < 40 && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')); i++)
		;
	return i == 40 && !s[40];
}

static enum al_code model_files(struct loader *l, struct sv_model *m, const char *digest, uint64_t size)
{
	char *body = read_small(l, digest, size);
	json_t *man = NULL, *layers, *v;
	size_t i;
	enum al_code rc = AL_OK;
	if (!body)
		return AL_OK; /* fsck reports a missing manifest; the model is served without files */
	if (al_json_parse(body, size, digest, &man, l->err)) {
		free(body);
		al_err_clear(l->err);
		return AL_OK;
	}
	free(body);
	layers = json_object_get(man, "layers");
	m->files = calloc(json_array_size(layers) + 1, sizeof(*m->files));
	if (!m->files)
		rc = al_fail(l->err, AL_ENOMEM, "out of memory");
	json_array_foreach(layers, i, v) {
		json_t *ann = json_object_get(v, "annotations");
		const char *path = al_json_str(ann, AL_ANN_FILEPATH), *d = al_json_str(v, "digest");
		int64_t sz = 0;
		if (rc || !path || !d || al_path_unsafe(path) || strlen(d) >= AL_DIGEST_STR ||
		    al_json_int(v, "size", &sz))
			continue;
		m->files[m->nfiles].path = sv_keep(l->s, path);
		snprintf(m->files[m->nfiles].digest, AL_DIGEST_STR, "%s", d);
		m->files[m->nfiles].size = (uint64_t)sz;
		if (!m->files[m->nfiles].path)
			rc = al_fail(l->err, AL_ENOMEM, "out of memory");
		m->nfiles++;
	}
	json_decref(man);
	if (!rc)
		qsort(m->files, m->nfiles, sizeof(*m->files), cmp_mfile);
	return rc;
}

static enum al_code load_models(struct loader *l)
{
	sqlite3_stmt *st;
	enum al_code rc;
	size_t n = 0;
	struct sv_snap *s = l->s;
	if ((rc = prepare(l, AL_Q_MODELS, &st)))
		return rc;
	while (!rc && more(l, st, "reading the models", &rc)) {
		struct sv_model *m;
		const char *rev = (const char *)sqlite3_column_text(st, 3);
		if (!sv_hf_repo_valid(col(st, 0)))
			continue;
		if (al_array_grow(&s->models, &l->cmodels, s->nmodels + 1, sizeof(*s->models), l->err)) {
			rc = l->err->code;
			break;
		}
		m = &s->models[s->nmodels++];
		memset(m, 0, sizeof(*m));
		m->repo = sv_keep(s, col(st, 0));
		m->revision = rev ? sv_keep(s, rev) : NULL;
		m->created = sv_keep(s, col(st, 4));
		if (rev && hex40(rev))
			memcpy(m->commit, rev, 41);
		else
			snprintf(m->commit, sizeof(m->commit), "%.40s", col(st, 1) + 7);
		if (!m->repo || !m->created)
			rc = al_fail(l->err, AL_ENOMEM, "out of memory");
		if (!rc)
			rc = model_files(l, m, col(st, 1), (uint64_t)sqlite3_column_int64(st, 2));
		if (!rc)
			rc = sv_hf_model_info(m);
		if (rc == AL_ENOMEM)
			al_fail(l->err, AL_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	sv_sort_stable(s->models, s->nmodels, sizeof(*s->models), cmp_model);
	for (size_t i = 0; i < s->nmodels; i++) {
		if (n && !cmp_model(&s->models[n - 1], &s->models[i])) {
			free(s->models[i].files);
			free(s->models[i].info);
			free(s->models[i].info_blobs);
			continue;
		}
		s->models[n++] = s->models[i];
	}
	s->nmodels = n;
	return AL_OK;
}

/* The sink of al_pypi_build: one page of a channel's release, into the snapshot. */
static enum al_code add_page(void *ctx, const char *project, const char *html, size_t hlen, const char *json,
			     struct al_err *err)
{
	struct loader *l = ctx;
	struct sv_snap *s = l->s;
	struct sv_page *p;
	if (al_array_grow(&s->pages, &l->cpages, s->npages + 1, sizeof(*s->pages), err))
		return err->code;
	p = &s->pages[s->npages++];
	p->project = sv_keep(s, project);
	p->html = al_memdup(html, hlen);
	p->json = strdup(json);
	return p->project && p->html && p->json ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

static enum al_code load_pages(struct loader *l)
{
	sqlite3_stmt *st;
	enum al_code rc;
	struct sv_snap *s = l->s;
	if (s->release_id) { /* the pages of the store hold every wheel: a channel's are built here */
		if (!(rc = al_pypi_build(l->db, s->release_id, add_page, l, l->err)) && s->npages)
			qsort(s->pages, s->npages, sizeof(*s->pages), cmp_page);
		return rc;
	}
	if ((rc = prepare(l, AL_Q_PAGES, &st)))
		return rc;
	while (!rc && more(l, st, "reading the index pages", &rc)) {
		struct sv_page *p;
		if (al_array_grow(&s->pages, &l->cpages, s->npages + 1, sizeof(*s->pages), l->err)) {
			rc = l->err->code;
			break;
		}
		p = &s->pages[s->npages++];
		p->project = sv_keep(s, col(st, 0));
		p->html = strdup(col(st, 1));
		p->json = strdup(col(st, 2));
		if (!p->project || !p->html || !p->json)
			rc = al_fail(l->err, AL_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	if (!rc && s->npages)
		qsort(s->pages, s->npages, sizeof(*s->pages), cmp_page);
	return rc;
}

static enum al_code load_stats(struct loader *l)
{
	sqlite3_stmt *st;
	enum al_code rc;
	struct sv_snap *s = l->s;
	if ((rc = prepare(l, AL_Q_BLOB_TOTALS, &st)))
		return rc;
	if (more(l, st, "counting the blobs", &rc)) {
		s->store_blobs = (uint64_t)sqlite3_column_int64(st, 0);
		s->store_bytes = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc || (rc = prepare(l, AL_Q_KIND_COUNTS, &st)))
		return rc;
	while (more(l, st, "counting the artifacts", &rc)) {
		enum al_kind k;
		if (!al_kind_parse(col(st, 0), &k) && (size_t)k < sizeof(s->artifacts) / sizeof(s->artifacts[0]))
			s->artifacts[k] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc || (rc = prepare(l, AL_Q_BUNDLE_EXPIRY, &st)))
		return rc;
	for (size_t cap = 0; more(l, st, "reading the bundles' expiry", &rc);) {
		struct sv_expiry *e;
		int64_t t;
		if (al_time_parse(col(st, 2), &t))
			continue; /* import refuses a bundle whose expiry does not parse */
		if ((rc = al_array_grow(&s->expiry, &cap, s->nexpiry + 1, sizeof(*e), l->err)))
			break;
		e = &s->expiry[s->nexpiry];
		e->name = sv_keep(s, col(st, 0));
		e->version = sqlite3_column_int64(st, 1);
		e->expires = t;
		if (!e->name) {
			rc = al_fail(l->err, AL_ENOMEM, "out of memory");
			break;
		}
		s->nexpiry++;
	}
	sqlite3_finalize(st);
	if (rc ||
	    (rc = prepare(l, AL_Q_LAST_IMPORT, &st)))
		return rc;
	if (more(l, st, "reading the last import", &rc)) {
		int64_t t;
		if (!al_time_parse(col(st, 0), &t))
			s->last_import = t;
		s->last_import_ok = !strcmp(col(st, 1), "imported");
	}
	sqlite3_finalize(st);
	if (rc || (rc = prepare(l, AL_Q_REJECTED, &st)))
		return rc;
	if (more(l, st, "counting the rejected imports", &rc))
		s->failures = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Each channel's release: the one its newest event names (release.c records a rollback
 * under the release it returns to, so that is the top of the channel's stack). */
static enum al_code load_channels(struct loader *l)
{
	struct sv_snap *s = l->s;
	sqlite3_stmt *st;
	size_t cap = 0;
	enum al_code rc = prepare(l, AL_Q_CHANNELS, &st);
	while (!rc && more(l, st, "reading the release channels", &rc)) {
		struct sv_channel *c;
		if ((rc = al_array_grow(&s->channels, &cap, s->nchannels + 1, sizeof(*c), l->err)))
			break;
		c = &s->channels[s->nchannels++];
		c->name = sv_keep(s, col(st, 0));
		c->release = sv_keep(s, col(st, 1));
		c->since = 0;
		al_time_parse(col(st, 2), &c->since);
		if (!c->name || !c->release)
			rc = al_fail(l->err, AL_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	return rc;
}

/* serve --channel: the release on the channel now. */
static enum al_code load_channel(struct loader *l, const char *channel, const char *root)
{
	sqlite3_stmt *st;
	int row = 0;
	enum al_code rc = al_catalog_prepare(l->db, AL_Q_CHANNEL_RELEASE, &st, l->err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	if (!(rc = al_db_step(st, "reading the channel's release", &row, l->err)) && row) {
		l->s->release_id = sqlite3_column_int64(st, 0);
		l->s->channel_release = sv_keep(l->s, col(st, 1));
		l->s->channel = sv_keep(l->s, channel);
		if (!l->s->channel_release || !l->s->channel)
			rc = al_fail(l->err, AL_ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	if (!rc && !row)
		rc = al_fail(l->err, AL_ENOENT,
			     "channel '%s' of store '%s' has no release: promote one first ('airlock release promote NAME --to %s')",
			     channel, root, channel);
	return rc;
}

enum al_code sv_snap_load(const char *root, const char *channel, struct sv_snap **out, struct al_err *err)
{
	struct loader l = { .err = err };
	char *db = al_join(root, "catalog.db"), *blobs = al_join(root, "blobs/sha256");
	enum al_code rc = AL_OK;
	*out = NULL;
	l.s = calloc(1, sizeof(*l.s));
	if (!db || !blobs || !l.s) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	atomic_init(&l.s->refs, 1);
	l.blobs = blobs;
	if (access(blobs, X_OK) != 0) {
		rc = al_fail_errno(err, AL_ESTORE, "cannot open '%s'", blobs);
		goto out;
	}
	if ((rc = al_catalog_open_read(root, SQLITE_OPEN_NOMUTEX, &l.db, err)))
		goto out;
	sqlite3_busy_timeout(l.db, 10000);
	if ((rc = al_catalog_read_begin(l.db, err)))
		goto out;
	if (channel)
		rc = load_channel(&l, channel, root);
	/* pushed first: the newest entry of a tag wins, and an imported tag is newer than any push;
	 * a channel serves what was released, and nothing was pushed into a release */
	if (!rc && !channel)
		rc = load_pushed(&l);
	if (!rc)
		rc = load_images(&l);
	if (!rc)
		rc = finish_oci(&l);
	if (!rc)
		rc = load_paths(&l);
	if (!rc)
		rc = load_models(&l);
	if (!rc)
		rc = load_pages(&l);
	if (!rc)
		rc = load_stats(&l);
	if (!rc)
		rc = load_channels(&l);
	if (!rc)
		rc = sv_home_build(l.db, l.s, err);
	{
		enum al_code end = al_catalog_read_end(l.db, !rc, err);
		if (!rc)
			rc = end;
	}
	l.s->loaded = (int64_t)time(NULL);
out:
	if (l.db)
		sqlite3_close(l.db);
	free(db);
	free(blobs);
	if (rc) {
		sv_snap_put(l.s);
		return rc;
	}
	*out = l.s;
	return AL_OK;
}
