/* SPDX-License-Identifier: Apache-2.0 */
/*
 * routes.c: the route table of `airlock serve`. A route is one row: how its
 * paths look, the methods it takes, and its handler; adding a route is one row
 * and one handler. A path is matched against the rows in order, on the raw
 * path (nothing decoded yet): the handler splits and decodes it as it needs.
 */
#include <stdlib.h>
#include <string.h>

#include "fsx.h"

#include "serve.h"
#include "sv_internal.h"

enum { M_READ = 1 << SV_GET | 1 << SV_HEAD, M_ANY = ~0 };

/* How a row matches a path. */
enum match {
	EXACT,     /* the path is the pattern */
	TREE,      /* the path is the pattern, or starts with the pattern and '/' */
	UNDER,     /* the path starts with the pattern (which ends with '/') */
	HF_FILE,   /* /REPO/resolve|raw/… or /ORG/REPO/resolve|raw/… */
	LLAMA,     /* llama.cpp asking a model's GGUF manifest (see llama_manifest) */
	ANYTHING,  /* every path (the last row) */
};

struct route {
	enum sv_route id;
	enum match match;
	const char *pattern;
	unsigned methods;   /* others are 405 */
	enum MHD_Result (*handler)(struct sv_req *rq, const char *upload, size_t *upload_size);
};

static enum MHD_Result page(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	/* the page has no script, no outside resource and no form: say so to the browser */
	sv_header(rq, "Content-Security-Policy",
		  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; "
		  "frame-ancestors 'none'");
	sv_header(rq, "X-Content-Type-Options", "nosniff");
	sv_header(rq, "Referrer-Policy", "no-referrer");
	return sv_reply(rq, 200, "text/html; charset=utf-8", rq->snap->home, rq->snap->home_len);
}

static enum MHD_Result healthz(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	return sv_healthz(rq);
}

static enum MHD_Result metrics(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	return sv_metrics(rq);
}

static enum MHD_Result oci(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	return sv_oci(rq, upload, upload_size); /* checks its own methods: push is per operation */
}

static enum MHD_Result pypi(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	return sv_pypi(rq);
}

static enum MHD_Result packages(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	return sv_packages(rq);
}

static enum MHD_Result files(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	return sv_files(rq);
}

/*
 * The Hub API: reads, and one POST (paths-info) whose body is read whole
 * (up to SV_SMALL_BODY) before it is answered, in on_request.
 */
static enum MHD_Result hf_api(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	if (rq->method == SV_POST) {
		enum MHD_Result ret = MHD_YES;
		const char *cl = sv_hdr(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
		char *end = NULL;
		unsigned long long n = cl ? strtoull(cl, &end, 10) : 0;
		if (!sv_hf_post(rq, &ret))
			return ret;
		if (cl && (!end || *end || n > SV_SMALL_BODY)) {
			sv_header(rq, MHD_HTTP_HEADER_CONNECTION, "close");
			return sv_reply_text(rq, 413, "the request body is over 1 MiB\n");
		}
		rq->small_body = 1;
		al_buf_init(&rq->sbody, SV_SMALL_BODY);
		return MHD_YES;
	}
	return sv_hf_api(rq);
}

static enum MHD_Result hf_file(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	return sv_hf_resolve(rq, rq->resolve_at);
}

/*
 * llama.cpp (and node-llama-cpp) resolve `user/model:TAG` with GET
 * /v2/{user}/{model}/manifests/{tag} and User-Agent llama-cpp, the way the
 * public Hub answers it: with the Hub's GGUF manifest, not an OCI one. Only a
 * request of exactly that shape, from that client, naming a model this store
 * serves, goes here; everything else under /v2/ stays OCI.
 */
static const struct sv_model *llama_model(struct sv_req *rq, char **tag)
{
	const char *ua = sv_hdr(rq, MHD_HTTP_HEADER_USER_AGENT), *p = rq->path + 4, *a, *b, *c;
	const struct sv_model *m;
	char *repo;
	if (!ua || strncmp(ua, "llama-cpp", 9) || (rq->method != SV_GET && rq->method != SV_HEAD) ||
	    !sv_starts(rq->path, "/v2/"))
		return NULL;
	a = strchr(p, '/');
	b = a ? strchr(a + 1, '/') : NULL;
	c = b ? strchr(b + 1, '/') : NULL;
	if (!b || !c || strncmp(b, "/manifests/", 11) || strchr(c + 1, '/') || !c[1])
		return NULL;
	if (!(repo = al_memdup(p, (size_t)(b - p))))
		return NULL;
	m = sv_hf_repo_valid(repo) ? sv_snap_model(rq->snap, repo) : NULL;
	free(repo);
	if (m && sv_decode(c + 1, strlen(c + 1), tag)) {
		free(*tag);
		*tag = NULL;
		return NULL;
	}
	return m;
}

static enum MHD_Result llama_manifest(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	char *tag = NULL;
	const struct sv_model *m = llama_model(rq, &tag);
	enum MHD_Result ret;
	(void)upload;
	(void)upload_size;
	if (!m || !tag) {
		free(tag);
		return MHD_NO; /* matched a moment ago: only out of memory gets here */
	}
	ret = sv_hf_gguf_manifest(rq, m, tag);
	free(tag);
	return ret;
}

static enum MHD_Result not_found(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	(void)upload;
	(void)upload_size;
	return sv_reply_text(rq, 404, "not found\n");
}

static const struct route routes[] = {
	{ SV_R_PAGE, EXACT, "/", M_READ, page },
	{ SV_R_HEALTHZ, EXACT, "/healthz", M_READ, healthz },
	{ SV_R_METRICS, EXACT, "/metrics", M_READ, metrics },
	{ SV_R_HF_API, LLAMA, NULL, M_READ, llama_manifest },
	{ SV_R_OCI, TREE, "/v2", M_ANY, oci },
	{ SV_R_PYPI, TREE, "/simple", M_READ, pypi },
	{ SV_R_PACKAGES, UNDER, "/packages/", M_READ, packages },
	{ SV_R_FILES, UNDER, "/files/", M_READ, files },
	{ SV_R_HF_API, TREE, "/api", M_READ | 1 << SV_POST, hf_api },
	{ SV_R_HF_RESOLVE, HF_FILE, NULL, M_READ, hf_file },
	{ SV_R_OTHER, ANYTHING, NULL, M_READ, not_found },
};

/* Where /resolve/ or /raw/ starts the third or fourth segment: 1 or 2 segments of repo, else 0. */
static size_t hf_file_at(const char *p)
{
	const char *a = strchr(p + 1, '/'), *b = a ? strchr(a + 1, '/') : NULL;
	if (a && (sv_starts(a, "/resolve/") || sv_starts(a, "/raw/")))
		return 1;
	if (b && (sv_starts(b, "/resolve/") || sv_starts(b, "/raw/")))
		return 2;
	return 0;
}

static int matches(const struct route *r, struct sv_req *rq)
{
	const char *p = rq->path;
	size_t n;
	switch (r->match) {
	case EXACT:
		return !strcmp(p, r->pattern);
	case TREE:
		n = strlen(r->pattern);
		return !strncmp(p, r->pattern, n) && (p[n] == '\0' || p[n] == '/');
	case UNDER:
		return sv_starts(p, r->pattern);
	case HF_FILE:
		return (rq->resolve_at = hf_file_at(p)) != 0;
	case LLAMA: {
		char *tag = NULL;
		int hit = llama_model(rq, &tag) != NULL;
		free(tag);
		return hit;
	}
	case ANYTHING:
		return 1;
	}
	return 0;
}

enum MHD_Result sv_dispatch(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	const struct route *r = routes;
	rq->route_done = 1;
	while (!matches(r, rq))
		r++; /* the last row matches every path */
	rq->route = r->id;
	if (!((unsigned)r->methods & 1u << rq->method)) {
		sv_header(rq, MHD_HTTP_HEADER_ALLOW, r->methods & 1 << SV_POST ? "GET, HEAD, POST" : "GET, HEAD");
		return sv_reply_text(rq, 405, "this server is read-only here: only GET and HEAD\n");
	}
	return r->handler(rq, upload, upload_size);
}
