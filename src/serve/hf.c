/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hf.c: the Hugging Face Hub API a mirror needs (protocols.md §3): model
 * info, the file tree, and resolve with the headers huggingface_hub, hf-hub
 * and @huggingface/hub read. Files are answered 200 directly, never
 * redirected, and no Xet header is ever sent.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "hash.h"
#include "serve.h"
#include "sv_internal.h"

#define POINTER_SIZE 134 /* a git-lfs pointer's usual size; the field is informational */
#define TREE_PAGE 1000

static json_t *sibling(const struct sv_mfile *f, int blobs)
{
	json_t *o = json_pack("{s:s}", "rfilename", f->path);
	if (o && blobs) {
		json_object_set_new(o, "size", json_integer((json_int_t)f->size));
		json_object_set_new(o, "blobId", json_stringn(f->digest + 7, 40));
		json_object_set_new(o, "lfs", json_pack("{s:s, s:I, s:i}", "sha256", f->digest + 7, "size",
							(json_int_t)f->size, "pointerSize", POINTER_SIZE));
	}
	return o;
}

static char *info_json(const struct sv_model *m, int blobs)
{
	const char *slash = strchr(m->repo, '/');
	json_t *sib = json_array(), *o;
	char *out;
	for (size_t i = 0; sib && i < m->nfiles; i++)
		json_array_append_new(sib, sibling(&m->files[i], blobs));
	o = json_pack("{s:s#, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:i, s:[], s:o, s:[]}", "_id", m->commit,
		      (size_t)24, "id", m->repo, "modelId", m->repo, "sha", m->commit, "lastModified", m->created,
		      "createdAt", m->created, "updatedAt", m->created, "private", 0, "gated", 0, "disabled", 0,
		      "downloads", 0, "likes", 0, "tags", "siblings", sib, "spaces");
	if (!o)
		return NULL;
	if (slash)
		json_object_set_new(o, "author", json_stringn(m->repo, (size_t)(slash - m->repo)));
	out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return out;
}

enum al_code sv_hf_model_info(struct sv_model *m)
{
	m->info = info_json(m, 0);
	m->info_blobs = info_json(m, 1);
	return m->info && m->info_blobs ? AL_OK : AL_ENOMEM;
}

static int rev_ok(const struct sv_model *m, const char *rev)
{
	/* HEAD: what @huggingface/hub asks for when no revision is given */
	return !strcmp(rev, m->commit) || !strcmp(rev, "main") || !strcmp(rev, "HEAD") ||
	       (m->revision && !strcmp(rev, m->revision));
}

/* A Hub-style error: JSON body, X-Error-Code, and X-Repo-Commit once the commit is known. */
static enum MHD_Result hf_error(struct sv_req *rq, unsigned status, const char *code, const char *msg,
				const struct sv_model *m)
{
	struct al_buf b;
	enum MHD_Result ret;
	sv_header(rq, "X-Error-Code", code);
	sv_header(rq, "X-Error-Message", msg);
	if (m)
		sv_header(rq, "X-Repo-Commit", m->commit);
	al_buf_init(&b, 4096);
	al_buf_adds(&b, "{\"error\":", NULL);
	sv_json_str(&b, msg, NULL);
	al_buf_adds(&b, "}\n", NULL);
	ret = sv_reply(rq, status, "application/json", b.data ? b.data : "", b.len);
	al_buf_release(&b);
	return ret;
}

/* The model named by the first one or two segments (two preferred); *used is how many. */
static const struct sv_model *find_model(struct sv_req *rq, size_t from, size_t *used)
{
	const struct sv_model *m = NULL;
	if (rq->nseg >= from + 2) {
		char *two = al_strf("%s/%s", rq->seg[from], rq->seg[from + 1]);
		m = two ? sv_snap_model(rq->snap, two) : NULL;
		free(two);
		*used = 2;
	}
	if (!m && rq->nseg >= from + 1) {
		m = sv_snap_model(rq->snap, rq->seg[from]);
		*used = 1;
	}
	return m;
}

struct entry {
	const char *path;
	size_t plen;
	const struct sv_mfile *file; /* NULL: a directory */
};

/* The entries under PREFIX ("" for the root), directories included, sorted by path. */
static struct entry *tree(const struct sv_model *m, const char *prefix, int recursive, size_t *n_out)
{
	size_t plen = strlen(prefix), n = 0, cap = 2 * m->nfiles + 1;
	struct entry *e = calloc(cap, sizeof(*e));
	if (!e)
		return NULL;
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *p = m->files[i].path, *rest, *slash;
		if (plen && (strncmp(p, prefix, plen) || p[plen] != '/'))
			continue;
		rest = plen ? p + plen + 1 : p;
		/* each directory between the prefix and the file, once (files are sorted, so dirs repeat adjacently) */
		for (slash = strchr(rest, '/'); slash; slash = recursive ? strchr(slash + 1, '/') : NULL) {
			size_t dl = (size_t)(slash - p), k;
			for (k = 0; k < n; k++)
				if (!e[k].file && e[k].plen == dl && !strncmp(e[k].path, p, dl))
					break;
			if (k == n && n < cap)
				e[n++] = (struct entry){ p, dl, NULL };
		}
		if ((recursive || !strchr(rest, '/')) && n < cap)
			e[n++] = (struct entry){ p, strlen(p), &m->files[i] };
	}
	*n_out = n;
	return e;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->plen < y->plen ? x->plen : y->plen;
	int c = strncmp(x->path, y->path, n);
	return c ? c : (x->plen > y->plen) - (x->plen < y->plen);
}

/* The host the client used, if it looks like one: for absolute Link URLs (fetch needs them). */
static const char *host_of(struct sv_req *rq)
{
	const char *h = sv_hdr(rq, MHD_HTTP_HEADER_HOST);
	if (!h || !*h || strlen(h) > 255)
		return NULL;
	for (const char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(".-:[]", *p)))
			return NULL;
	return h;
}

static enum MHD_Result tree_reply(struct sv_req *rq, const struct sv_model *m, const char *rev, const char *prefix)
{
	const char *rec = sv_arg(rq, "recursive"), *cur = sv_arg(rq, "cursor"), *lim = sv_arg(rq, "limit");
	int recursive = rec && (!strcmp(rec, "true") || !strcmp(rec, "1") || !strcmp(rec, "True"));
	size_t n = 0, from = 0, limit = TREE_PAGE, i;
	struct entry *e = tree(m, prefix, recursive, &n);
	struct al_buf b;
	enum MHD_Result ret;
	if (!e)
		return MHD_NO;
	if (cur)
		from = (size_t)strtoull(cur, NULL, 10);
	if (lim && strtoull(lim, NULL, 10) > 0 && strtoull(lim, NULL, 10) < TREE_PAGE)
		limit = (size_t)strtoull(lim, NULL, 10);
	if (*prefix && !n) {
		free(e);
		return hf_error(rq, 404, "EntryNotFound", "no such directory in this revision", m);
	}
	qsort(e, n, sizeof(*e), cmp_entry);
	al_buf_init(&b, 64u << 20);
	al_buf_add(&b, "[", 1, NULL);
	for (i = from; i < n && i < from + limit; i++) {
		char *path = al_memdup(e[i].path, e[i].plen);
		if (i > from)
			al_buf_add(&b, ",", 1, NULL);
		if (e[i].file) {
			al_buf_addf(&b, NULL, "{\"type\":\"file\",\"oid\":\"%.40s\",\"size\":%llu,\"path\":", e[i].file->digest + 7,
				    (unsigned long long)e[i].file->size);
			sv_json_str(&b, path ? path : "", NULL);
			al_buf_addf(&b, NULL, ",\"lfs\":{\"oid\":\"%s\",\"size\":%llu,\"pointerSize\":%d}}",
				    e[i].file->digest + 7, (unsigned long long)e[i].file->size, POINTER_SIZE);
		} else {
			unsigned char d[AL_DIGEST_LEN];
			char hex[AL_HEX_LEN + 1];
			al_sha256_mem(path ? path : "", e[i].plen, d, NULL);
			al_hex(d, hex);
			al_buf_addf(&b, NULL, "{\"type\":\"directory\",\"oid\":\"%.40s\",\"size\":0,\"path\":", hex);
			sv_json_str(&b, path ? path : "", NULL);
			al_buf_add(&b, "}", 1, NULL);
		}
		free(path);
	}
	al_buf_adds(&b, "]\n", NULL);
	if (i < n) {
		struct al_buf l;
		const char *host = host_of(rq);
		al_buf_init(&l, 8192);
		al_buf_add(&l, "<", 1, NULL);
		if (host)
			al_buf_addf(&l, NULL, "%s://%s", rq->srv->tls ? "https" : "http", host);
		al_buf_adds(&l, "/api/models/", NULL);
		al_buf_adds(&l, m->repo, NULL);
		al_buf_adds(&l, "/tree/", NULL);
		al_buf_add_url(&l, rev, "", NULL);
		if (*prefix) {
			al_buf_add(&l, "/", 1, NULL);
			al_buf_add_url(&l, prefix, "/", NULL);
		}
		al_buf_addf(&l, NULL, "?recursive=%s&cursor=%zu&limit=%zu>; rel=\"next\"", recursive ? "true" : "false", i,
			    limit);
		if (l.data)
			sv_header(rq, "Link", l.data);
		al_buf_release(&l);
	}
	free(e);
	ret = b.data ? sv_reply(rq, 200, "application/json", b.data, b.len) : MHD_NO;
	al_buf_release(&b);
	return ret;
}

static char *join_from(struct sv_req *rq, size_t from)
{
	struct al_buf b;
	al_buf_init(&b, 1 << 16);
	al_buf_adds(&b, "", NULL);
	for (size_t i = from; i < rq->nseg; i++) {
		if (i > from)
			al_buf_add(&b, "/", 1, NULL);
		al_buf_adds(&b, rq->seg[i], NULL);
	}
	return al_buf_take(&b, NULL);
}

enum MHD_Result sv_hf_api(struct sv_req *rq)
{
	const struct sv_model *m;
	size_t used = 0, t;
	const char *blobs;
	if (sv_split(rq, rq->path + 12))
		return MHD_NO;
	if (rq->bad_path || rq->slash_seg == 1 || (rq->slash_seg == 2 && rq->nseg >= 2 && strcmp(rq->seg[1], "revision") &&
						 strcmp(rq->seg[1], "tree")))
		return hf_error(rq, 400, "BadRequest", "bad path", NULL);
	m = find_model(rq, 0, &used);
	if (!m)
		return hf_error(rq, 404, "RepoNotFound", "Repository not found", NULL);
	t = used;
	if (rq->slash_seg && (size_t)rq->slash_seg <= used)
		return hf_error(rq, 400, "BadRequest", "bad repository name", NULL);
	if (t == rq->nseg || (t + 2 == rq->nseg && !strcmp(rq->seg[t], "revision"))) {
		if (t + 2 == rq->nseg && !rev_ok(m, rq->seg[t + 1]))
			return hf_error(rq, 404, "RevisionNotFound", "Invalid rev id", NULL);
		blobs = sv_arg(rq, "blobs");
		if (blobs && (!strcmp(blobs, "true") || !strcmp(blobs, "1")))
			return sv_reply(rq, 200, "application/json", m->info_blobs, strlen(m->info_blobs));
		return sv_reply(rq, 200, "application/json", m->info, strlen(m->info));
	}
	if (t + 2 <= rq->nseg && !strcmp(rq->seg[t], "tree")) {
		char *prefix;
		enum MHD_Result ret;
		if (!rev_ok(m, rq->seg[t + 1]))
			return hf_error(rq, 404, "RevisionNotFound", "Invalid rev id", NULL);
		if (!(prefix = join_from(rq, t + 2)))
			return MHD_NO;
		ret = tree_reply(rq, m, rq->seg[t + 1], prefix);
		free(prefix);
		return ret;
	}
	return hf_error(rq, 404, "EntryNotFound", "not an API this mirror serves", NULL);
}

enum MHD_Result sv_hf_resolve(struct sv_req *rq, size_t at)
{
	const struct sv_model *m;
	const struct sv_mfile *f;
	char *path, etag[AL_DIGEST_STR + 2], size[24];
	const char *hdr[9];
	size_t used = 0;
	enum MHD_Result ret;
	if (sv_split(rq, rq->path + 1))
		return MHD_NO;
	if (rq->bad_path || rq->nseg < at + 3 || rq->trailing_slash || (rq->slash_seg && (size_t)rq->slash_seg <= at))
		return hf_error(rq, 400, "BadRequest", "bad path", NULL);
	m = find_model(rq, 0, &used);
	if (!m || used != at)
		return hf_error(rq, 404, "RepoNotFound", "Repository not found", NULL);
	if (!rev_ok(m, rq->seg[at + 1]))
		return hf_error(rq, 404, "RevisionNotFound", "Invalid rev id", NULL);
	if (!(path = join_from(rq, at + 2)))
		return MHD_NO;
	f = sv_model_file(m, path);
	free(path);
	if (!f)
		return hf_error(rq, 404, "EntryNotFound", "Entry not found", m);
	snprintf(etag, sizeof(etag), "\"%s\"", f->digest + 7);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)f->size);
	hdr[0] = "X-Repo-Commit";
	hdr[1] = m->commit;
	hdr[2] = "X-Linked-Etag";
	hdr[3] = etag;
	hdr[4] = "X-Linked-Size";
	hdr[5] = size;
	hdr[6] = NULL;
	ret = sv_reply_blob(rq, f->digest, f->size, "application/octet-stream", hdr);
	return ret;
}
