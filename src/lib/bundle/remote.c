/* SPDX-License-Identifier: Apache-2.0 */
/*
 * remote.c: resolving, listing and fetching the `from:` sources of a spec
 * (remote.h). Only what the spec names is ever asked for.
 */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "hf.h"
#include "pymarker.h"
#include "pyreq.h"
#include "pytags.h"
#include "registry.h"
#include "sources.h"
#include "wheels.h"

void al_remotes_release(struct al_remotes *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->v[i].nfiles; k++)
			free(r->v[i].files[k].rel);
		free(r->v[i].files);
		if (r->v[i].layout) {
			struct al_err e = { 0 };
			al_rmtree(r->v[i].layout, &e); /* (hard links: the cache keeps the blobs) */
			free(r->v[i].layout);
		}
		free(r->v[i].name);
		free(r->v[i].index);
	}
	free(r->v);
	for (size_t i = 0; i < r->nitems; i++)
		al_fetch_item_release(&r->items[i]);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

const struct al_remote *al_remotes_find(const struct al_remotes *r, const struct al_source *src)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].orig == src)
			return &r->v[i];
	return NULL;
}

/* Adds a file to fetch (url and what are consumed), or finds the same digest already added. */
static enum al_code add_item(struct al_remotes *r, struct al_remote *rm, char *rel, char *url, char *what,
			     enum al_fetch_check check, const char *expect, int64_t size, int auth,
			     struct al_err *err)
{
	size_t idx = r->nitems;
	enum al_code rc = AL_OK;
	for (size_t i = 0; i < r->nitems; i++)
		if (r->items[i].check == check && !strcmp(r->items[i].expect, expect)) {
			idx = i;
			break;
		}
	if (!url || !what || (rel == NULL && (rm->orig->kind == AL_KIND_MODEL || rm->orig->requirements)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (idx == r->nitems &&
		 !(rc = al_array_grow(&r->items, &r->capitems, r->nitems + 1, sizeof(*r->items), err))) {
		struct al_fetch_item *it = &r->items[r->nitems++];
		memset(it, 0, sizeof(*it));
		it->url = url;
		it->what = what;
		it->check = check;
		snprintf(it->expect, sizeof(it->expect), "%s", expect);
		it->size = size;
		it->auth = auth;
		url = what = NULL;
	}
	if (!rc && !(rc = al_array_grow(&rm->files, &rm->capfiles, rm->nfiles + 1, sizeof(*rm->files), err))) {
		rm->files[rm->nfiles].rel = rel;
		rm->files[rm->nfiles++].item = idx;
		rel = NULL;
	}
	free(rel);
	free(url);
	free(what);
	return rc;
}

/* Path order of a directory walk: '/' before any other byte, so "a/b" comes before "a.txt". */
static int cmp_walk(const void *pa, const void *pb)
{
	const unsigned char *a = (const unsigned char *)((const struct al_remote_file *)pa)->rel;
	const unsigned char *b = (const unsigned char *)((const struct al_remote_file *)pb)->rel;
	for (; *a && *a == *b; a++, b++)
		;
	return (*a == '/' ? 1 : *a) - (*b == '/' ? 1 : *b);
}

/* A local model directory skips names starting with '.' (.gitattributes): so does a Hub model. */
static int hidden(const char *rel)
{
	if (rel[0] == '.')
		return 1;
	for (const char *c = strchr(rel, '/'); c; c = strchr(c + 1, '/'))
		if (c[1] == '.')
			return 1;
	return 0;
}

static enum al_code plan_hf(const struct al_fetch_opts *o, struct al_remotes *r, struct al_remote *rm,
			    struct al_err *err)
{
	const struct al_source *s = rm->orig;
	struct al_hf_files files;
	enum al_code rc;
	if (!o->hf_endpoint)
		return al_fail(err, AL_EINVAL, "no Hugging Face endpoint (give --hf-endpoint)");
	if ((rc = al_hf_resolve(o, s->source, s->revision, rm->commit, err)))
		return rc;
	rm->eff.revision = rm->commit;
	if ((rc = al_hf_list(o, s->source, rm->commit, &files, err)))
		return rc;
	for (size_t i = 0; i < files.n && !rc; i++) {
		const struct al_hf_file *f = &files.v[i];
		int lfs = f->sha256[0] != '\0';
		if (hidden(f->path) || !al_path_selected(s->include, s->exclude, f->path))
			continue;
		rc = add_item(r, rm, strdup(f->path), al_hf_file_url(o, s->source, rm->commit, f->path),
			      al_strf("hf://%s@%s/%s", s->source, rm->commit, f->path),
			      lfs ? AL_CHECK_SHA256 : AL_CHECK_GITBLOB, lfs ? f->sha256 : f->oid, f->size, 1, err);
	}
	al_hf_files_release(&files);
	if (!rc && rm->nfiles == 0)
		rc = al_fail(err, AL_EINVAL, "hf://%s@%s holds no files%s", s->source, rm->commit,
			     s->include || s->exclude ? " that 'include' and 'exclude' select" : "");
	if (!rc)
		qsort(rm->files, rm->nfiles, sizeof(*rm->files), cmp_walk);
	/* (in this order a name and the names below it are neighbours) */
	for (size_t i = 1; !rc && i < rm->nfiles; i++) {
		const char *a = rm->files[i - 1].rel, *b = rm->files[i].rel;
		size_t n = strlen(a);
		if (!strcmp(a, b))
			rc = al_fail(err, AL_EIO, "hf://%s@%s: the Hub lists '%s' twice", s->source, rm->commit, a);
		else if (!strncmp(a, b, n) && b[n] == '/')
			rc = al_fail(err, AL_EIO, "hf://%s@%s: the Hub lists '%s' both as a file and as a directory",
				     s->source, rm->commit, a);
	}
	return rc;
}

/* pip's Accept: PEP 691 JSON first, then PEP 503 HTML */
#define PYPI_ACCEPT "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

/* One project's page of the index, fetched once for every target. */
static enum al_code fetch_pypage(const struct al_fetch_opts *o, const char *ix, const struct al_pyreq *q,
				 struct al_pypage *page, struct al_err *err)
{
	size_t n = strlen(ix);
	char *url = al_strf("%.*s/%s/", (int)(n && ix[n - 1] == '/' ? n - 1 : n), ix, q->normalized);
	char *what = al_strf("%s (index page)", q->normalized);
	struct al_fetch_answer ans = { 0 };
	const char *ctype = ans.ctype;
	struct al_buf b;
	enum al_code rc = AL_OK;
	memset(page, 0, sizeof(*page));
	al_buf_init(&b, AL_MAX_INDEX_PAGE);
	if (!url || !what)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (!(rc = al_fetch_get(o, url, PYPI_ACCEPT, 0, what, &b, &ans, err))) {
		enum al_pyform form = !strncasecmp(ctype, "application/vnd.pypi.simple.v1+json", 35) ? AL_PYFORM_JSON
											   : AL_PYFORM_HTML;
		if (form == AL_PYFORM_HTML && ctype[0] && strncasecmp(ctype, "text/html", 9) &&
		    strncasecmp(ctype, "application/vnd.pypi.simple.v1+html", 35))
			rc = al_fail(err, AL_EIO, "the index page %s came as '%s', neither PEP 691 JSON nor HTML", url, ctype);
		else
			rc = al_pypage_parse(url, form, b.data ? b.data : "", b.len, page, err);
		if (rc == AL_EVERIFY) /* a malformed page is an upstream failure */
			rc = err->code = AL_EIO;
	}
	al_buf_release(&b);
	free(url);
	free(what);
	return rc;
}

/* Adds the wheels chosen for every target that the requirements apply to. */
static enum al_code pick_for_target(const struct al_fetch_opts *o, struct al_remotes *r, struct al_remote *rm,
				    const struct al_pyreqs *reqs, const char *index_url, struct al_pypage *pages,
				    const char *python, const char *platform, struct al_err *err)
{
	struct al_pytarget t;
	struct al_pytags tags = { 0 };
	unsigned char *applies = calloc(reqs->n + 1, 1);
	enum al_code rc;
	if (!applies)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!(rc = al_pytarget_init(&t, python, platform, err)) && !(rc = al_pyreqs_applying(reqs, &t, applies, err)))
		rc = al_pytags_build(&t, &tags, err);
	for (size_t k = 0; !rc && k < reqs->n; k++) {
		const struct al_pyreq *q = &reqs->v[k];
		struct al_pypick pick;
		if (!applies[k])
			continue;
		if (!pages[k].url && (rc = fetch_pypage(o, index_url, q, &pages[k], err)))
			break;
		if ((rc = al_wheels_pick(reqs, q, &pages[k], &t, &tags, &pick, err)))
			break;
		/* the same wheel for two targets is one file of the bundle */
		int seen = 0;
		for (size_t i = 0; i < rm->nfiles && !seen; i++)
			seen = !strcmp(r->items[rm->files[i].item].expect, pick.file->sha256);
		if (!seen)
			rc = add_item(r, rm, strdup(pick.file->filename),
				      strndup(pick.file->url, strcspn(pick.file->url, "#")), /* the hash is pinned already */
				      al_strf("%s (%s, %s)", pick.file->filename, q->name, platform), AL_CHECK_SHA256,
				      pick.file->sha256, -1, 0, err);
	}
	al_pytags_release(&tags);
	free(applies);
	return rc;
}

/* kind: wheels: for each of the spec's platforms, what pip would choose (docs/protocols/pypi-client.md). */
/* How many C end s (a recorded index has no trailing '/': "…/simple" and "…/simple/" are one). */
static size_t strspn_end(const char *s, char c)
{
	size_t n = strlen(s), k = 0;
	while (k < n && s[n - 1 - k] == c)
		k++;
	return k;
}

static enum al_code plan_requirements(const struct al_spec *spec, const struct al_fetch_opts *o, struct al_remotes *r,
				      struct al_remote *rm, struct al_err *err)
{
	struct al_pyreqs reqs;
	struct al_pypage *pages = NULL;
	enum al_code rc;
	const char *ix;
	if ((rc = al_pyreqs_read(rm->orig->requirements, &reqs, err)))
		return rc;
	ix = o->index_url ? o->index_url : reqs.index_url ? reqs.index_url : o->index_default;
	if (!ix)
		rc = al_fail(err, AL_EINVAL, "no package index (give --index-url)");
	else if (!(rm->index = al_strf("%.*s", (int)(strlen(ix) - strspn_end(ix, '/')), ix)) || !(pages = calloc(reqs.n + 1, sizeof(*pages))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < spec->nplatforms; i++)
		rc = pick_for_target(o, r, rm, &reqs, ix, pages, spec->python, spec->platforms[i], err);
	if (!rc && rm->nfiles == 0)
		rc = al_fail(err, AL_EINVAL, "'%s': no requirement applies to any of the spec's platforms",
			     rm->orig->requirements);
	for (size_t k = 0; pages && k < reqs.n; k++)
		al_pypage_release(&pages[k]);
	free(pages);
	al_pyreqs_release(&reqs);
	return rc;
}

/* docker://: pulled now (its credential is the registry's own) into a layout under the cache. */
static enum al_code pull_image(const struct al_spec *spec, const struct al_fetch_opts *o, struct al_remote *rm,
			       struct al_err *err)
{
	struct al_pull p = { .ref = rm->orig->from, .platforms = spec->platforms };
	struct al_docker_ref ref;
	char *tmp = o->cache && *o->cache ? al_strf("%s/tmp", o->cache) : NULL;
	enum al_code rc;
	if (!o->cache || !*o->cache)
		return al_fail(err, AL_EINVAL, "no download cache directory (give --cache DIR)");
	if (!tmp || !(rm->layout = al_strf("%s/image-XXXXXX", tmp)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (!(rc = al_mkdirs(tmp, err)) && !mkdtemp(rm->layout)) {
		rc = al_fail_errno(err, AL_EIO, "cannot make a directory in '%s'", tmp);
		free(rm->layout);
		rm->layout = NULL;
	}
	free(tmp);
	p.dir = rm->layout;
	if (rc || (rc = al_registry_pull(o, &p, err)) || (rc = al_docker_ref_parse(rm->orig->from, &ref, err)))
		return rc;
	rm->name = ref.tag ? al_strf("%s:%s", ref.repo, ref.tag) : al_strf("%s:sha256-%.12s", ref.repo, ref.digest + 7);
	al_docker_ref_release(&ref);
	snprintf(rm->digest, sizeof(rm->digest), "%s", p.digest);
	rm->eff.path = rm->layout;
	rm->eff.tag = AL_PULL_TAG;
	rm->eff.name = rm->orig->name ? rm->orig->name : rm->name;
	rm->eff.revision = rm->digest;
	return rm->name ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

enum al_code al_remotes_fetch(const struct al_spec *spec, const struct al_fetch_opts *o, struct al_remotes *r,
			      struct al_err *err)
{
	size_t count = 0;
	enum al_code rc = AL_OK;
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < spec->nsources; i++)
		count += spec->sources[i].from != NULL || spec->sources[i].requirements != NULL;
	if (!count)
		return AL_OK;
	if (!o)
		return al_fail(err, AL_EINVAL, "remote sources need download options");
	if (!(r->v = calloc(count, sizeof(*r->v))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < spec->nsources && !rc; i++) {
		const struct al_source *s = &spec->sources[i];
		struct al_remote *rm;
		if (!s->from && !s->requirements)
			continue;
		rm = &r->v[r->n++];
		rm->orig = s;
		rm->eff = *s;
		if (s->requirements)
			rc = plan_requirements(spec, o, r, rm, err);
		else if (s->kind == AL_KIND_MODEL)
			rc = plan_hf(o, r, rm, err);
		else if (s->kind == AL_KIND_IMAGE)
			rc = pull_image(spec, o, rm, err);
		else
			rc = add_item(r, rm, NULL, strdup(s->from), al_url_public(s->from), AL_CHECK_SHA256, s->sha256, -1, 0,
				      err);
		if (rc && s->requirements)
			al_err_prefix(err, "artifacts[%u] (wheels '%s')", s->line, s->requirements);
		else if (rc)
			al_err_prefix(err, "artifacts[%u] (%s '%s')", s->line, al_kind_name(s->kind), s->from);
	}
	if (!rc)
		rc = al_fetch_all(o, r->items, r->nitems, err);
	return rc;
}
