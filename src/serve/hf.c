/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hf.c: the Hugging Face Hub read API that real clients call
 * (huggingface_hub, hf-hub, @huggingface/hub, llama.cpp): the model list,
 * model info, the file tree, paths-info, refs and commits, and resolve and
 * raw with the headers the clients read. Files are answered 200 directly,
 * never redirected, and no Xet header is ever sent. An API that is not
 * served is a JSON error that says so (501), never a misleading 404.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fsx.h"
#include "hash.h"
#include "json.h"
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
	sv_header(rq, "X-Error-Code", code);
	sv_header(rq, "X-Error-Message", msg);
	if (m)
		sv_header(rq, "X-Repo-Commit", m->commit);
	al_buf_init(&b, 4096);
	al_buf_adds(&b, "{\"error\":", NULL);
	sv_json_str(&b, msg, NULL);
	al_buf_adds(&b, "}\n", NULL);
	return sv_reply_buf(rq, status, "application/json", &b);
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

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->plen < y->plen ? x->plen : y->plen;
	int c = strncmp(x->path, y->path, n);
	return c ? c : (x->plen > y->plen) - (x->plen < y->plen);
}

static int add_entry(struct entry **e, size_t *n, size_t *cap, struct entry v)
{
	if (al_array_grow(e, cap, *n + 1, sizeof(**e), NULL))
		return -1;
	(*e)[(*n)++] = v;
	return 0;
}

/*
 * The entries under PREFIX ("" for the root), directories included, sorted by
 * path: with RECURSIVE every file at any depth and every directory above it,
 * else the direct children. Each file adds itself and its directories, then
 * one sort and one pass drop the repeated directories: O(n log n) in the
 * entries. Returns -1 when out of memory.
 */
static int tree(const struct sv_model *m, const char *prefix, int recursive, struct entry **out, size_t *n_out)
{
	size_t plen = strlen(prefix), n = 0, cap = 0, k = 0;
	struct entry *e = NULL;
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *p = m->files[i].path, *rest, *slash;
		if (plen && (strncmp(p, prefix, plen) || p[plen] != '/'))
			continue;
		rest = plen ? p + plen + 1 : p;
		for (slash = strchr(rest, '/'); slash; slash = recursive ? strchr(slash + 1, '/') : NULL)
			if (add_entry(&e, &n, &cap, (struct entry){ p, (size_t)(slash - p), NULL }))
				goto oom;
		if ((recursive || !strchr(rest, '/')) &&
		    add_entry(&e, &n, &cap, (struct entry){ p, strlen(p), &m->files[i] }))
			goto oom;
	}
	if (n)
		qsort(e, n, sizeof(*e), cmp_entry);
	for (size_t i = 0; i < n; i++)
		if (!k || cmp_entry(&e[k - 1], &e[i]))
			e[k++] = e[i];
	*out = e;
	*n_out = k;
	return 0;
oom:
	free(e);
	return -1;
}

/* The lastCommit member that expand asks for: the one commit a mirror holds. */
static void last_commit(struct al_buf *b, const struct sv_model *m)
{
	al_buf_addf(b, NULL, ",\"lastCommit\":{\"id\":\"%s\",\"title\":", m->commit);
	sv_json_str(b, m->revision ? m->revision : m->commit, NULL);
	al_buf_adds(b, ",\"date\":", NULL);
	sv_json_str(b, m->created, NULL);
	al_buf_add(b, "}", 1, NULL);
}

/* One tree or paths-info entry, as the Hub writes it; EXPAND (or NULL) adds its lastCommit. */
static void entry_json(struct al_buf *b, const struct entry *e, const struct sv_model *expand)
{
	char *path = al_memdup(e->path, e->plen);
	if (!path) {
		b->rc = AL_ENOMEM;
		return;
	}
	if (e->file) {
		al_buf_addf(b, NULL, "{\"type\":\"file\",\"oid\":\"%.40s\",\"size\":%llu,\"path\":", e->file->digest + 7,
			    (unsigned long long)e->file->size);
		sv_json_str(b, path, NULL);
		al_buf_addf(b, NULL, ",\"lfs\":{\"oid\":\"%s\",\"size\":%llu,\"pointerSize\":%d}", e->file->digest + 7,
			    (unsigned long long)e->file->size, POINTER_SIZE);
		if (expand)
			last_commit(b, expand);
		al_buf_add(b, "}", 1, NULL);
	} else {
		unsigned char d[AL_DIGEST_LEN];
		char hex[AL_HEX_LEN + 1];
		al_sha256_mem(path, e->plen, d, NULL);
		al_hex(d, hex);
		al_buf_addf(b, NULL, "{\"type\":\"directory\",\"oid\":\"%.40s\",\"size\":0,\"path\":", hex);
		sv_json_str(b, path, NULL);
		if (expand)
			last_commit(b, expand);
		al_buf_add(b, "}", 1, NULL);
	}
	free(path);
}

/* A JSON reply from a buffer built with sticky errors: 500 when it could not be built. */
static enum MHD_Result json_reply(struct sv_req *rq, struct al_buf *b)
{
	return sv_reply_buf(rq, 200, "application/json", b);
}

/* A decimal query argument in [1, max], else DEF (a missing, malformed or out-of-range one). */
static size_t arg_count(struct sv_req *rq, const char *name, size_t def, size_t max)
{
	const char *a = sv_arg(rq, name);
	char *end;
	unsigned long long v;
	if (!a || !*a || *a == '-')
		return def;
	errno = 0;
	v = strtoull(a, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return def;
	return (size_t)v;
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

/* A next-page Link: starts L with "<" and the absolute origin the client used (fetch needs one). */
static void link_open(struct sv_req *rq, struct al_buf *l)
{
	const char *host = host_of(rq);
	al_buf_init(l, 8192);
	al_buf_add(l, "<", 1, NULL);
	if (host)
		al_buf_addf(l, NULL, "%s://%s", rq->srv->tls ? "https" : "http", host);
}

/* Sends L (a whole "<…>; rel=\"next\"") as the Link header, or fails the page B: a page
 * without its link would end a listing early. */
static void link_close(struct sv_req *rq, struct al_buf *l, struct al_buf *b)
{
	if (al_buf_check(l, NULL) == AL_OK && l->data)
		sv_header(rq, "Link", l->data);
	else
		b->rc = AL_ELIMIT;
	al_buf_release(l);
}

static enum MHD_Result tree_reply(struct sv_req *rq, const struct sv_model *m, const char *rev, const char *prefix)
{
	const char *rec = sv_arg(rq, "recursive"), *exp = sv_arg(rq, "expand");
	int recursive = rec && (!strcmp(rec, "true") || !strcmp(rec, "1") || !strcmp(rec, "True"));
	int expand = exp && (!strcmp(exp, "true") || !strcmp(exp, "1") || !strcmp(exp, "True"));
	size_t n = 0, from, limit, i;
	struct entry *e = NULL;
	struct al_buf b;
	if (tree(m, prefix, recursive, &e, &n))
		return MHD_NO;
	from = arg_count(rq, "cursor", 0, SIZE_MAX / 2);
	limit = arg_count(rq, "limit", TREE_PAGE, TREE_PAGE);
	if (*prefix && !n) {
		free(e);
		return hf_error(rq, 404, "EntryNotFound", "no such directory in this revision", m);
	}
	al_buf_init(&b, 64u << 20);
	al_buf_add(&b, "[", 1, NULL);
	for (i = from; i < n && i < from + limit; i++) {
		if (i > from)
			al_buf_add(&b, ",", 1, NULL);
		entry_json(&b, &e[i], expand ? m : NULL);
	}
	al_buf_adds(&b, "]\n", NULL);
	if (i < n) {
		struct al_buf l;
		link_open(rq, &l);
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
		link_close(rq, &l, &b);
	}
	free(e);
	return json_reply(rq, &b);
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
	if (al_buf_check(&b, NULL)) { /* a path too long: never a shorter one */
		al_buf_release(&b);
		return NULL;
	}
	return al_buf_take(&b, NULL);
}

/* GET /api/models?author=&search=&limit=&cursor=: the models, as their info (Link pages). */
static enum MHD_Result list_models(struct sv_req *rq)
{
	const char *author = sv_arg(rq, "author"), *search = sv_arg(rq, "search");
	size_t limit = arg_count(rq, "limit", TREE_PAGE, TREE_PAGE), from = arg_count(rq, "cursor", 0, SIZE_MAX / 2);
	size_t seen = 0, shown = 0, i;
	struct al_buf b;
	al_buf_init(&b, 64u << 20);
	al_buf_add(&b, "[", 1, NULL);
	for (i = 0; i < rq->snap->nmodels; i++) {
		const struct sv_model *m = &rq->snap->models[i];
		const char *slash = strchr(m->repo, '/');
		if (author && *author &&
		    (!slash || (size_t)(slash - m->repo) != strlen(author) || strncmp(m->repo, author, strlen(author))))
			continue;
		if (search && *search && !strcasestr(m->repo, search))
			continue;
		if (seen++ < from)
			continue;
		if (shown == limit)
			break;
		if (shown++)
			al_buf_add(&b, ",", 1, NULL);
		al_buf_adds(&b, m->info, NULL);
	}
	al_buf_adds(&b, "]\n", NULL);
	if (i < rq->snap->nmodels) {
		struct al_buf l;
		link_open(rq, &l);
		al_buf_adds(&l, "/api/models?", NULL);
		if (author && *author) {
			al_buf_adds(&l, "author=", NULL);
			al_buf_add_url(&l, author, "", NULL);
			al_buf_add(&l, "&", 1, NULL);
		}
		if (search && *search) {
			al_buf_adds(&l, "search=", NULL);
			al_buf_add_url(&l, search, "", NULL);
			al_buf_add(&l, "&", 1, NULL);
		}
		al_buf_addf(&l, NULL, "cursor=%zu&limit=%zu>; rel=\"next\"", from + shown, limit);
		link_close(rq, &l, &b);
	}
	return json_reply(rq, &b);
}

/* GET /api/models/{repo}/commits/{rev}: the one commit a mirror holds, the imported revision. */
static enum MHD_Result commits(struct sv_req *rq, const struct sv_model *m)
{
	struct al_buf b;
	al_buf_init(&b, 1 << 16);
	al_buf_addf(&b, NULL, "[{\"id\":\"%s\",\"title\":", m->commit);
	sv_json_str(&b, m->revision ? m->revision : m->commit, NULL);
	al_buf_adds(&b, ",\"message\":\"as imported into airlock from a verified bundle\",\"authors\":[],\"date\":", NULL);
	sv_json_str(&b, m->created, NULL);
	al_buf_adds(&b, "}]\n", NULL);
	return json_reply(rq, &b);
}

/* GET /api/models/{repo}/refs: main, pointing at the commit. */
static enum MHD_Result refs(struct sv_req *rq, const struct sv_model *m)
{
	struct al_buf b;
	al_buf_init(&b, 4096);
	al_buf_addf(&b, NULL,
		    "{\"branches\":[{\"name\":\"main\",\"ref\":\"refs/heads/main\",\"targetCommit\":\"%s\"}],"
		    "\"converts\":[],\"tags\":[]}\n",
		    m->commit);
	return json_reply(rq, &b);
}

/* Appends to PATHS each decoded value of KEY in an application/x-www-form-urlencoded body. */
static int form_values(const char *body, size_t len, const char *key, json_t *paths)
{
	size_t klen = strlen(key);
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
		if ((size_t)(stop - p) > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			char *raw = al_memdup(p + klen + 1, (size_t)(stop - p - klen - 1)), *v = NULL;
			if (!raw)
				return -1;
			for (char *q = raw; *q; q++)
				if (*q == '+')
					*q = ' ';
			if (sv_decode(raw, strlen(raw), &v)) {
				free(raw);
				free(v);
				return -1;
			}
			free(raw);
			if (json_array_append_new(paths, json_string(v))) {
				free(v);
				return -1;
			}
			free(v);
		}
		p = stop + 1;
	}
	return 0;
}

/*
 * POST /api/models/{repo}/paths-info/{rev} with {"paths":[…]} (JSON, as
 * @huggingface/hub sends it) or paths=…&paths=… (a form, as huggingface_hub
 * sends it): the entries that exist, files and directories, in the order
 * asked; the others are left out, as the Hub does.
 */
enum MHD_Result sv_hf_paths_info(struct sv_req *rq, const char *body, size_t len)
{
	const struct sv_model *m;
	const char *ct = sv_hdr(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	json_t *doc = NULL, *paths;
	struct al_buf b;
	size_t used = 0, i, n = 0, shown = 0;
	struct entry *all = NULL;
	int expand = 0;
	m = find_model(rq, 0, &used);
	if (!m)
		return hf_error(rq, 404, "RepoNotFound", "Repository not found", NULL);
	if (ct && !strncasecmp(ct, "application/json", 16)) {
		struct al_err e = { 0 };
		if (al_json_parse(body, len, "paths-info request", &doc, &e) || !json_is_object(doc) ||
		    !json_is_array(json_object_get(doc, "paths"))) {
			json_decref(doc);
			return hf_error(rq, 400, "BadRequest", "expected a JSON object with a 'paths' array", m);
		}
		paths = json_incref(json_object_get(doc, "paths"));
		expand = json_is_true(json_object_get(doc, "expand"));
		json_decref(doc);
	} else {
		json_t *ex = json_array();
		paths = json_array();
		if (!paths || !ex || form_values(body, len, "paths", paths) || form_values(body, len, "expand", ex)) {
			json_decref(paths);
			json_decref(ex);
			return hf_error(rq, 400, "BadRequest", "expected a form with 'paths' fields", m);
		}
		for (i = 0; i < json_array_size(ex); i++) {
			const char *v = json_string_value(json_array_get(ex, i));
			expand |= v && (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "1"));
		}
		json_decref(ex);
	}
	if (json_array_size(paths) > 10000) {
		json_decref(paths);
		return hf_error(rq, 400, "BadRequest", "too many paths in one request (at most 10000)", m);
	}
	if (tree(m, "", 1, &all, &n)) {
		json_decref(paths);
		return MHD_NO;
	}
	al_buf_init(&b, 64u << 20);
	al_buf_add(&b, "[", 1, NULL);
	for (i = 0; i < json_array_size(paths); i++) {
		const char *want = json_string_value(json_array_get(paths, i));
		struct entry key, *hit;
		if (!want)
			continue;
		key = (struct entry){ want, strlen(want), NULL };
		hit = n ? bsearch(&key, all, n, sizeof(*all), cmp_entry) : NULL;
		if (!hit)
			continue;
		if (shown++)
			al_buf_add(&b, ",", 1, NULL);
		entry_json(&b, hit, expand ? m : NULL);
	}
	al_buf_adds(&b, "]\n", NULL);
	free(all);
	json_decref(paths);
	sv_header(rq, "X-Repo-Commit", m->commit);
	return json_reply(rq, &b);
}

/*
 * Where a POST under /api/ is going: 1 when it is a paths-info request of a
 * model and revision this mirror holds (its body is then read, up to
 * SV_SMALL_BODY, and given to sv_hf_paths_info), else 0 with the refusal
 * queued.
 */
int sv_hf_post(struct sv_req *rq, enum MHD_Result *ret)
{
	const struct sv_model *m;
	size_t used = 0;
	if (strncmp(rq->path, "/api/models/", 12) || sv_split(rq, rq->path + 12)) {
		*ret = hf_error(rq, 405, "MethodNotAllowed", "only paths-info takes a POST here", NULL);
		return 0;
	}
	m = find_model(rq, 0, &used);
	if (rq->bad_path || rq->nseg != used + 2 || strcmp(rq->seg[used], "paths-info")) {
		*ret = m ? hf_error(rq, 405, "MethodNotAllowed", "only paths-info takes a POST here", m)
			 : hf_error(rq, 404, "RepoNotFound", "Repository not found", NULL);
		return 0;
	}
	if (!m) {
		*ret = hf_error(rq, 404, "RepoNotFound", "Repository not found", NULL);
		return 0;
	}
	if (!rev_ok(m, rq->seg[used + 1])) {
		*ret = hf_error(rq, 404, "RevisionNotFound", "Invalid rev id", NULL);
		return 0;
	}
	return 1;
}

enum MHD_Result sv_hf_api(struct sv_req *rq)
{
	const struct sv_model *m;
	size_t used = 0, t;
	const char *blobs;
	if (!strcmp(rq->path, "/api/models") || !strcmp(rq->path, "/api/models/"))
		return list_models(rq);
	if (strncmp(rq->path, "/api/models/", 12)) {
		if (!strncmp(rq->path, "/api/datasets", 13) || !strncmp(rq->path, "/api/spaces", 11))
			return hf_error(rq, 404, "RepoNotFound", "this mirror serves models only", NULL);
		return hf_error(rq, 501, "NotImplemented", "this API is not served by this mirror (airlock serves the "
							    "model read API: see its documentation)", NULL);
	}
	if (sv_split(rq, rq->path + 12))
		return MHD_NO;
	if (rq->bad_path || rq->slash_seg == 1 ||
	    (rq->slash_seg == 2 && rq->nseg >= 2 && strcmp(rq->seg[1], "revision") && strcmp(rq->seg[1], "tree") &&
	     strcmp(rq->seg[1], "commits") && strcmp(rq->seg[1], "paths-info")))
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
	if (t + 2 == rq->nseg && !strcmp(rq->seg[t], "commits")) {
		if (!rev_ok(m, rq->seg[t + 1]))
			return hf_error(rq, 404, "RevisionNotFound", "Invalid rev id", NULL);
		return commits(rq, m);
	}
	if (t + 1 == rq->nseg && !strcmp(rq->seg[t], "refs"))
		return refs(rq, m);
	if (t + 2 == rq->nseg && !strcmp(rq->seg[t], "paths-info")) {
		sv_header(rq, MHD_HTTP_HEADER_ALLOW, "POST");
		return hf_error(rq, 405, "MethodNotAllowed", "paths-info takes a POST", m);
	}
	if (t < rq->nseg && (!strcmp(rq->seg[t], "revision") || !strcmp(rq->seg[t], "tree") ||
			     !strcmp(rq->seg[t], "commits") || !strcmp(rq->seg[t], "refs") ||
			     !strcmp(rq->seg[t], "paths-info")))
		return hf_error(rq, 400, "BadRequest", "bad path for this API", m);
	return hf_error(rq, 501, "NotImplemented",
			"this model API is not served by this mirror (served: info, revision, tree, paths-info, refs, "
			"commits, resolve, raw)",
			m);
}

/* Does NAME (a file of a model) contain NEEDLE, ignoring case? */
static int name_has(const char *name, const char *needle)
{
	return strcasestr(name, needle) != NULL;
}

static int is_gguf(const char *path)
{
	size_t n = strlen(path);
	return n > 5 && !strcasecmp(path + n - 5, ".gguf");
}

/* The first shard of a split GGUF (NAME-00001-of-000NN.gguf), or a file that is not split. */
static int first_part(const char *path)
{
	const char *of = strstr(path, "-of-");
	return !of || (of - path >= 6 && !strncmp(of - 6, "-00001", 6));
}

/*
 * GET /v2/{user}/{model}/manifests/{tag} from llama.cpp (User-Agent
 * llama-cpp; node-llama-cpp's hf: URIs and `llama-server -hf` ask it): the
 * Hub's answer, which names the GGUF file that TAG selects. The tag is a
 * quantization (Q4_K_M, q8_0, …) matched case-insensitively in the file
 * names, or "latest": Q4_K_M when the model has it, else the first GGUF. A
 * split model answers its first part; an mmproj file is never the model,
 * and is named as mmprojFile when there is one.
 */
enum MHD_Result sv_hf_gguf_manifest(struct sv_req *rq, const struct sv_model *m, const char *tag)
{
	const struct sv_mfile *pick = NULL, *mmproj = NULL;
	const char *want = strcmp(tag, "latest") ? tag : "Q4_K_M";
	struct al_buf b;
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *base = strrchr(m->files[i].path, '/');
		base = base ? base + 1 : m->files[i].path;
		if (!is_gguf(base))
			continue;
		if (!strncasecmp(base, "mmproj", 6)) {
			if (!mmproj)
				mmproj = &m->files[i];
			continue;
		}
		if (!first_part(base))
			continue;
		if (!pick && name_has(base, want))
			pick = &m->files[i];
	}
	if (!pick && !strcmp(tag, "latest"))
		for (size_t i = 0; i < m->nfiles && !pick; i++) {
			const char *base = strrchr(m->files[i].path, '/');
			base = base ? base + 1 : m->files[i].path;
			if (is_gguf(base) && strncasecmp(base, "mmproj", 6) && first_part(base))
				pick = &m->files[i];
		}
	if (!pick)
		return hf_error(rq, 404, "EntryNotFound", "no GGUF file of this model matches the tag", m);
	al_buf_init(&b, 1 << 16);
	al_buf_adds(&b, "{\"ggufFile\":", NULL);
	for (int k = 0; k < 2; k++) {
		const struct sv_mfile *f = k ? mmproj : pick;
		if (k && !f)
			break;
		if (k)
			al_buf_adds(&b, ",\"mmprojFile\":", NULL);
		al_buf_adds(&b, "{\"rfilename\":", NULL);
		sv_json_str(&b, f->path, NULL);
		al_buf_addf(&b, NULL,
			    ",\"blobId\":\"%.40s\",\"size\":%llu,\"lfs\":{\"sha256\":\"%s\",\"size\":%llu,"
			    "\"pointerSize\":%d}}",
			    f->digest + 7, (unsigned long long)f->size, f->digest + 7, (unsigned long long)f->size,
			    POINTER_SIZE);
	}
	al_buf_adds(&b, "}\n", NULL);
	sv_header(rq, "X-Repo-Commit", m->commit);
	return json_reply(rq, &b);
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
