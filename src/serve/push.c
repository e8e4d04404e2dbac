/* SPDX-License-Identifier: Apache-2.0 */
/*
 * push.c: OCI push (docs/protocols/oci-distribution.md), only with the token. A blob is hashed
 * as it arrives into STORE/uploads/, and only a blob whose digest matches is
 * renamed into blobs/ (fsynced first) and recorded in the catalog, under the
 * store's writer lock so that gc never sees a blob the catalog does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"
#include "serve.h"
#include "store.h"
#include "sv_internal.h"

#define MAX_MANIFEST (4u << 20)
#define UPLOAD_IDLE 3600

struct sv_upload {
	char id[33];
	char *repo;
	char *path;
	int fd;
	uint64_t size;
	struct al_sha256 h;
	int64_t touched;
	int busy;
	struct sv_upload *next;
};

static void upload_free(struct sv_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (u->path)
		unlink(u->path);
	al_sha256_release(&u->h);
	free(u->path);
	free(u->repo);
	free(u);
}

void sv_uploads_expire(struct sv_server *srv, int64_t now)
{
	struct sv_upload **p, *dead = NULL;
	pthread_mutex_lock(&srv->lock);
	for (p = &srv->uploads; *p;) {
		struct sv_upload *u = *p;
		if (!u->busy && (now == INT64_MAX || now - u->touched > UPLOAD_IDLE)) {
			*p = u->next;
			u->next = dead;
			dead = u;
		} else {
			p = &u->next;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	while (dead) {
		struct sv_upload *n = dead->next;
		upload_free(dead);
		dead = n;
	}
}

/* The request is done with its upload: let others use it (or drop it if it was cancelled). */
void sv_upload_release(struct sv_req *rq)
{
	pthread_mutex_lock(&rq->srv->lock);
	rq->up->busy = 0;
	rq->up->touched = (int64_t)time(NULL);
	pthread_mutex_unlock(&rq->srv->lock);
	rq->up = NULL;
}

static struct sv_upload *upload_take(struct sv_server *srv, const char *id, const char *repo, int *busy)
{
	struct sv_upload *u;
	*busy = 0;
	pthread_mutex_lock(&srv->lock);
	for (u = srv->uploads; u; u = u->next)
		if (!strcmp(u->id, id) && !strcmp(u->repo, repo))
			break;
	if (u && u->busy) {
		*busy = 1;
		u = NULL;
	} else if (u) {
		u->busy = 1;
	}
	pthread_mutex_unlock(&srv->lock);
	return u;
}

static void upload_drop(struct sv_server *srv, struct sv_upload *u)
{
	struct sv_upload **p;
	pthread_mutex_lock(&srv->lock);
	for (p = &srv->uploads; *p && *p != u; p = &(*p)->next)
		;
	if (*p)
		*p = u->next;
	pthread_mutex_unlock(&srv->lock);
	upload_free(u);
}

/*
 * A new file in STORE/uploads/ (made on first use), named KIND and 32 random
 * hex digits (also put in ID when given): open for writing, or -1 and *path NULL.
 */
static int uploads_file(struct sv_server *srv, const char *kind, char id_out[33], char **path)
{
	unsigned char r[16];
	char id[33], *dir = al_join(srv->root, "uploads");
	int fd = -1;
	*path = NULL;
	if (dir && RAND_bytes(r, sizeof(r)) == 1) {
		for (size_t i = 0; i < sizeof(r); i++)
			snprintf(id + 2 * i, 3, "%02x", r[i]);
		mkdir(dir, 0750); /* (EEXIST after the first time) */
		*path = al_strf("%s/%s%s", dir, kind, id);
		fd = *path ? open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;
	}
	free(dir);
	if (fd < 0) {
		free(*path);
		*path = NULL;
	} else if (id_out) {
		memcpy(id_out, id, sizeof(id));
	}
	return fd;
}

static struct sv_upload *upload_new(struct sv_server *srv, const char *repo)
{
	struct sv_upload *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->fd = -1;
	if (al_sha256_init(&u->h, NULL)) {
		free(u);
		return NULL;
	}
	u->repo = strdup(repo);
	u->fd = uploads_file(srv, "", u->id, &u->path);
	if (!u->repo || u->fd < 0) {
		upload_free(u);
		return NULL;
	}
	u->touched = (int64_t)time(NULL);
	u->busy = 1;
	pthread_mutex_lock(&srv->lock);
	u->next = srv->uploads;
	srv->uploads = u;
	pthread_mutex_unlock(&srv->lock);
	return u;
}

/* ------------------------------------------------------------------ auth */

/* 0 when the request carries the push token; else the status to answer (401 or 403). */
static unsigned auth(struct sv_req *rq)
{
	const char *h = sv_hdr(rq, MHD_HTTP_HEADER_AUTHORIZATION), *tok = rq->srv->token;
	unsigned char dec[1024];
	const char *given = NULL;
	size_t glen = 0;
	if (!tok || !h)
		return 401;
	if (!strncasecmp(h, "Bearer ", 7)) {
		given = h + 7;
		glen = strlen(given);
	} else if (!strncasecmp(h, "Basic ", 6)) {
		size_t n = strlen(h + 6);
		int len;
		const char *colon;
		if (n > 4 * (sizeof(dec) / 3) - 8)
			return 403;
		len = EVP_DecodeBlock(dec, (const unsigned char *)h + 6, (int)n);
		if (len < 0)
			return 403;
		while (len > 0 && n > 0 && h[6 + n - 1] == '=') { /* EVP_DecodeBlock counts the padding */
			len--;
			n--;
		}
		dec[len] = 0;
		colon = memchr(dec, ':', (size_t)len);
		if (!colon)
			return 403;
		given = colon + 1;
		glen = (size_t)len - (size_t)(given - (const char *)dec);
	} else {
		return 401;
	}
	if (!glen)
		return 401; /* "user:" with no password: no credentials */
	if (glen != strlen(tok) || CRYPTO_memcmp(given, tok, glen))
		return 403;
	return 0;
}

static enum MHD_Result deny(struct sv_req *rq, unsigned status)
{
	if (status == 401) {
		sv_header(rq, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"airlock\"");
		return sv_oci_error(rq, 401, "UNAUTHORIZED",
				    rq->srv->token ? "pushing needs the push token (Authorization: Bearer TOKEN)"
						   : "this registry is read-only (start 'airlock serve' with --push-token-file to allow pushes)");
	}
	return sv_oci_error(rq, 403, "DENIED", "the push token is wrong");
}

enum MHD_Result sv_push_base(struct sv_req *rq)
{
	if (rq->srv->token && sv_hdr(rq, MHD_HTTP_HEADER_AUTHORIZATION) == NULL) {
		/* a challenge, so that clients with credentials send them; pulls stay anonymous */
		sv_header(rq, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"airlock\"");
		return sv_oci_error(rq, 401, "UNAUTHORIZED", "send the push token to push; pulls need none");
	}
	if (rq->srv->token && auth(rq))
		return deny(rq, auth(rq));
	return sv_reply(rq, 200, "application/json", "{}\n", 3);
}

/* ------------------------------------------------------------------ committing */

/*
 * Moves TMP into blobs/ as DIGEST and records it (and TAG) as pushed to REPO, in one
 * transaction: the library does it (al_store_push_commit) under the store's writer lock,
 * waited for up to 10 s (an import or gc holds it while it works).
 */
static int commit(struct sv_server *srv, const char *tmp, const char *repo, const char *digest, const char *mt,
		  uint64_t size, const char *tag, char *why, size_t whylen)
{
	struct al_push p = { .repo = repo, .digest = digest, .media_type = mt, .tag = tag, .size = size };
	struct al_err e = { 0 };
	if (al_store_push_commit(srv->root, tmp, &p, 10, &e)) {
		snprintf(why, whylen, "cannot commit the push: %.200s", e.msg);
		return 0;
	}
	{
		struct al_err re = { 0 };
		sv_reload(srv, &re);
	}
	return 1;
}

/* ------------------------------------------------------------------ blobs */

static enum MHD_Result upload_status(struct sv_req *rq, unsigned status, const char *name, struct sv_upload *u)
{
	char *loc = al_strf("/v2/%s/blobs/uploads/%s", name, u->id), range[48];
	snprintf(range, sizeof(range), "0-%llu", (unsigned long long)(u->size ? u->size - 1 : 0));
	if (loc)
		sv_header(rq, MHD_HTTP_HEADER_LOCATION, loc);
	sv_header(rq, "Range", range);
	sv_header(rq, "Docker-Upload-UUID", u->id);
	free(loc);
	return sv_reply(rq, status, NULL, "", 0);
}

/* Content-Range of a chunk ("START-END", no unit): the start must be where the upload is. */
static int chunk_ok(struct sv_req *rq, const struct sv_upload *u)
{
	const char *cr = sv_hdr(rq, MHD_HTTP_HEADER_CONTENT_RANGE), *dash;
	uint64_t a, b;
	if (!cr)
		return 1;
	if (!strncmp(cr, "bytes ", 6))
		cr += 6;
	/* digits, '-', digits: no sign, no space, nothing after (sscanf took all three) */
	dash = strchr(cr, '-');
	if (!dash || sv_parse_u64(cr, dash, &a) || sv_parse_u64(dash + 1, dash + 1 + strlen(dash + 1), &b) || b < a)
		return 0;
	return a == u->size;
}

static enum MHD_Result finish_blob(struct sv_req *rq)
{
	struct sv_upload *u = rq->up;
	const char *want = sv_arg(rq, "digest");
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], digest[AL_DIGEST_STR], why[256], *loc;
	enum MHD_Result ret;
	if (!want || !sv_digest_ok(want)) {
		ret = sv_oci_error(rq, 400, "DIGEST_INVALID", "give ?digest=sha256:<64 hex> to finish an upload");
		rq->up = NULL;
		upload_drop(rq->srv, u);
		return ret;
	}
	al_sha256_final(&u->h, d);
	al_hex(d, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	if (strcmp(digest, want)) {
		ret = sv_oci_error(rq, 400, "DIGEST_INVALID", "the upload's digest is %s, not %s; nothing was stored",
				   digest, want);
		rq->up = NULL;
		upload_drop(rq->srv, u);
		return ret;
	}
	if (fsync(u->fd) != 0) {
		ret = sv_oci_error(rq, 500, "BLOB_UPLOAD_INVALID", "cannot write the upload: %s", strerror(errno));
		rq->up = NULL;
		upload_drop(rq->srv, u);
		return ret;
	}
	if (!commit(rq->srv, u->path, rq->oname, digest, "application/octet-stream", u->size, NULL, why,
		    sizeof(why))) {
		ret = sv_oci_error(rq, 503, "BLOB_UPLOAD_INVALID", "%s", why);
		rq->up = NULL;
		upload_drop(rq->srv, u);
		return ret;
	}
	free(u->path); /* renamed: nothing to unlink */
	u->path = NULL;
	rq->up = NULL;
	upload_drop(rq->srv, u);
	loc = al_strf("/v2/%s/blobs/%s", rq->oname, digest);
	if (loc)
		sv_header(rq, MHD_HTTP_HEADER_LOCATION, loc);
	free(loc);
	sv_header(rq, "Docker-Content-Digest", digest);
	atomic_fetch_add(&rq->srv->m.push_blobs, 1);
	return sv_reply(rq, 201, NULL, "", 0);
}

static enum MHD_Result mount(struct sv_req *rq, const char *name, const char *digest, const char *from, int *done)
{
	struct sv_snap *s = sv_snap_current(rq->srv);
	const struct sv_blob *b = NULL;
	char why[256], *loc, *tmp = NULL;
	enum MHD_Result ret = MHD_NO;
	*done = 0;
	if (from && sv_oci_name_valid(from))
		b = sv_snap_blob(s, from, digest);
	for (size_t i = 0; !b && !from && i < s->nblobs; i++)
		if (!strcmp(s->blobs[i].digest, digest))
			b = &s->blobs[i];
	if (b) {
		/* record it as pushed to NAME: the file is already there; link a temporary name to it */
		char *src = al_strf("%s/blobs/sha256/%s", rq->srv->root, digest + 7);
		int fd = uploads_file(rq->srv, "mount-", NULL, &tmp);
		if (fd >= 0) { /* the name is ours; the link takes its place */
			close(fd);
			unlink(tmp);
		}
		if (src && tmp && link(src, tmp) == 0 &&
		    commit(rq->srv, tmp, name, digest, b->media_type, b->size, NULL, why, sizeof(why))) {
			loc = al_strf("/v2/%s/blobs/%s", name, digest);
			if (loc)
				sv_header(rq, MHD_HTTP_HEADER_LOCATION, loc);
			free(loc);
			sv_header(rq, "Docker-Content-Digest", digest);
			atomic_fetch_add(&rq->srv->m.push_mounts, 1);
			ret = sv_reply(rq, 201, NULL, "", 0);
			*done = 1;
		} else if (tmp) {
			unlink(tmp);
		}
		free(src);
	}
	free(tmp);
	sv_snap_put(s);
	return ret;
}

/* ------------------------------------------------------------------ manifests */

/* A descriptor's blob is in REPO with the size the descriptor says. */
static int present(const struct sv_snap *s, const char *repo, json_t *desc)
{
	const char *d = al_json_str(desc, "digest");
	const struct sv_blob *b = d ? sv_snap_blob(s, repo, d) : NULL;
	int64_t size = -1;
	return b && !al_json_int(desc, "size", &size) && (uint64_t)size == b->size;
}

/* NULL when the manifest is well formed and everything it names is in REPO; else why not, and *missing. */
static const char *check_manifest(const struct sv_snap *s, const char *repo, const char *mt, json_t *man,
				  int *missing)
{
	int64_t version = 0;
	json_t *list, *v;
	size_t i;
	int index = strstr(mt, "index") || strstr(mt, "list");
	*missing = 0;
	if (al_json_int(man, "schemaVersion", &version) || version != 2)
		return "schemaVersion must be 2";
	if (!index) {
		json_t *config = json_object_get(man, "config");
		list = json_object_get(man, "layers");
		if (!json_is_object(config) || !json_is_array(list))
			return "an image manifest needs a config and a layers array";
		if (!present(s, repo, config))
			return *missing = 1, "its config";
	} else {
		list = json_object_get(man, "manifests");
		if (!json_is_array(list))
			return "an index needs a manifests array";
	}
	json_array_foreach(list, i, v)
		if (!present(s, repo, v))
			return *missing = 1, index ? "a manifest it lists" : "a layer";
	return NULL;
}

static enum MHD_Result finish_manifest(struct sv_req *rq)
{
	const char *ct = sv_hdr(rq, MHD_HTTP_HEADER_CONTENT_TYPE), *bad, *subject, *ref = rq->oref;
	char subject_digest[AL_DIGEST_STR] = "";
	int missing;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], digest[AL_DIGEST_STR], mt[128], why[256], *tmp = NULL, *loc;
	json_t *man = NULL;
	struct al_err e = { 0 };
	struct sv_snap *s;
	enum MHD_Result ret;
	size_t n;
	if (rq->mtoo_big)
		return sv_oci_error(rq, 413, "SIZE_INVALID", "a manifest may be at most %u bytes", MAX_MANIFEST);
	al_sha256_mem(rq->mbody ? rq->mbody : "", rq->mlen, d, NULL);
	al_hex(d, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	if (strchr(ref, ':') && strcmp(ref, digest))
		return sv_oci_error(rq, 400, "DIGEST_INVALID", "the manifest's digest is %s, not %s", digest, ref);
	n = ct ? strcspn(ct, "; ") : 0;
	if (!ct || n >= sizeof(mt))
		return sv_oci_error(rq, 400, "MANIFEST_INVALID", "a manifest needs its media type as Content-Type");
	memcpy(mt, ct, n);
	mt[n] = 0;
	if (!sv_is_manifest_type(mt))
		return sv_oci_error(rq, 400, "MANIFEST_INVALID", "'%s' is not a manifest media type this registry takes", mt);
	if (al_json_parse(rq->mbody ? rq->mbody : "", rq->mlen, "manifest", &man, &e) || !json_is_object(man)) {
		json_decref(man);
		return sv_oci_error(rq, 400, "MANIFEST_INVALID", "%s", e.msg[0] ? e.msg : "the manifest is not a JSON object");
	}
	if (al_json_str(man, "mediaType") && strcmp(al_json_str(man, "mediaType"), mt)) {
		json_decref(man);
		return sv_oci_error(rq, 400, "MANIFEST_INVALID", "the manifest's mediaType is not its Content-Type '%s'", mt);
	}
	s = sv_snap_current(rq->srv);
	if ((bad = check_manifest(s, rq->oname, mt, man, &missing))) {
		ret = missing ? sv_oci_error(rq, 400, "MANIFEST_BLOB_UNKNOWN",
					     "%s is not in repository '%s' with the size the manifest gives; push it first",
					     bad, rq->oname)
			      : sv_oci_error(rq, 400, "MANIFEST_INVALID", "%s", bad);
		sv_snap_put(s);
		json_decref(man);
		return ret;
	}
	sv_snap_put(s);
	subject = al_json_str(json_object_get(man, "subject"), "digest");
	if (subject && al_digest_valid(subject))
		snprintf(subject_digest, sizeof(subject_digest), "%s", subject);
	json_decref(man);
	{
		int fd = uploads_file(rq->srv, "manifest-", NULL, &tmp);
		if (fd < 0 || write(fd, rq->mbody ? rq->mbody : "", rq->mlen) != (ssize_t)rq->mlen || fsync(fd) != 0) {
			if (fd >= 0)
				close(fd);
			if (tmp)
				unlink(tmp);
			free(tmp);
			return sv_oci_error(rq, 500, "MANIFEST_INVALID", "cannot write the manifest: %s", strerror(errno));
		}
		close(fd);
	}
	if (!commit(rq->srv, tmp, rq->oname, digest, mt, rq->mlen, strchr(ref, ':') ? NULL : ref, why, sizeof(why))) {
		unlink(tmp);
		free(tmp);
		return sv_oci_error(rq, 503, "MANIFEST_INVALID", "%s", why);
	}
	free(tmp);
	loc = al_strf("/v2/%s/manifests/%s", rq->oname, digest);
	if (loc)
		sv_header(rq, MHD_HTTP_HEADER_LOCATION, loc);
	free(loc);
	sv_header(rq, "Docker-Content-Digest", digest);
	if (subject_digest[0]) /* it is listed by the referrers API at once */
		sv_header(rq, "OCI-Subject", subject_digest);
	atomic_fetch_add(&rq->srv->m.push_manifests, 1);
	return sv_reply(rq, 201, NULL, "", 0);
}

/* ------------------------------------------------------------------ the entry */

static enum MHD_Result body(struct sv_req *rq, const char *data, size_t *size)
{
	if (rq->deferred_status)
		return *size = 0, MHD_YES;
	if (rq->up) {
		size_t off = 0;
		while (off < *size) {
			ssize_t n = write(rq->up->fd, data + off, *size - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rq->deferred_status = 500;
				rq->deferred_code = strdup("BLOB_UPLOAD_INVALID");
				rq->deferred_msg = al_strf("cannot write the upload: %s", strerror(errno));
				break;
			}
			off += (size_t)n;
		}
		al_sha256_update(&rq->up->h, data, *size);
		rq->up->size += *size;
		atomic_fetch_add(&rq->srv->m.upload_bytes, *size);
	} else if (rq->op == OP_MANIFEST) {
		if (rq->mlen + *size > MAX_MANIFEST) {
			rq->mtoo_big = 1;
		} else {
			char *p = realloc(rq->mbody, rq->mlen + *size + 1);
			if (!p) {
				rq->mtoo_big = 1;
			} else {
				memcpy(p + rq->mlen, data, *size);
				rq->mbody = p;
				rq->mlen += *size;
			}
		}
	}
	*size = 0;
	return MHD_YES;
}

static enum MHD_Result finish(struct sv_req *rq)
{
	if (rq->deferred_status) {
		enum MHD_Result ret = sv_oci_error(rq, rq->deferred_status, rq->deferred_code ? rq->deferred_code : "UNKNOWN",
						   "%s", rq->deferred_msg ? rq->deferred_msg : "error");
		if (rq->up) {
			struct sv_upload *u = rq->up;
			rq->up = NULL;
			upload_drop(rq->srv, u);
		}
		return ret;
	}
	if (rq->op == OP_MANIFEST)
		return finish_manifest(rq);
	if (rq->method == SV_PATCH)
		return upload_status(rq, 202, rq->oname, rq->up);
	/* PUT on the upload, or a single POST with ?digest= */
	return finish_blob(rq);
}

/* Starts streaming the body of this request. */
static enum MHD_Result start_body(struct sv_req *rq, int op, const char *name, const char *ref)
{
	rq->op = op;
	rq->oname = strdup(name);
	rq->oref = ref ? strdup(ref) : NULL;
	rq->body_started = 1;
	if (!rq->oname || (ref && !rq->oref))
		return MHD_NO;
	return MHD_YES;
}

enum MHD_Result sv_push(struct sv_req *rq, int op, const char *name, const char *ref, const char *upload,
			size_t *upload_size)
{
	unsigned a;
	int busy = 0;
	if (op == OP_PUSH_CONTINUE)
		return *upload_size ? body(rq, upload, upload_size) : finish(rq);
	if (op == OP_BASE || op == OP_CATALOG || op == OP_TAGS || op == OP_REFERRERS) {
		sv_header(rq, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return sv_oci_error(rq, 405, "UNSUPPORTED", "%s is not allowed here", rq->method_name);
	}
	if (rq->method == SV_DELETE && (op == OP_MANIFEST || op == OP_BLOB)) {
		sv_header(rq, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return sv_oci_error(rq, 405, "UNSUPPORTED", "deleting is not supported: the store changes by import and gc");
	}
	if ((a = auth(rq)))
		return deny(rq, a);
	if (!sv_oci_name_valid(name))
		return sv_oci_error(rq, 400, "NAME_INVALID", "'%s' is not a valid repository name", name);
	if (op == OP_UPLOAD_NEW && rq->method == SV_POST) {
		const char *m = sv_arg(rq, "mount"), *digest = sv_arg(rq, "digest");
		struct sv_upload *u;
		if (m && sv_digest_ok(m)) {
			int done;
			enum MHD_Result ret = mount(rq, name, m, sv_arg(rq, "from"), &done);
			if (done)
				return ret;
		}
		if (digest && !sv_digest_ok(digest))
			return sv_oci_error(rq, 400, "DIGEST_INVALID", "'%s' is not a sha256 digest", digest);
		if (sv_arg(rq, "digest-algorithm") && strcmp(sv_arg(rq, "digest-algorithm"), "sha256"))
			return sv_oci_error(rq, 400, "DIGEST_INVALID", "only sha256 is supported");
		if (!(u = upload_new(rq->srv, name)))
			return sv_oci_error(rq, 500, "BLOB_UPLOAD_INVALID", "cannot start an upload in the store");
		rq->up = u;
		if (digest)
			return start_body(rq, OP_UPLOAD, name, u->id);
		/* a plain POST opens the session (a body, if any, is not read) */
		return upload_status(rq, 202, name, u);
	}
	if (op == OP_UPLOAD) {
		struct sv_upload *u = upload_take(rq->srv, ref, name, &busy);
		if (!u)
			return sv_oci_error(rq, busy ? 409 : 404, "BLOB_UPLOAD_UNKNOWN",
					    busy ? "upload '%s' is in use by another request" : "no upload '%s' in repository '%s'",
					    ref, name);
		rq->up = u;
		if (rq->method == SV_GET || rq->method == SV_HEAD)
			return upload_status(rq, 204, name, u);
		if (rq->method == SV_DELETE) {
			rq->up = NULL;
			upload_drop(rq->srv, u);
			return sv_reply(rq, 204, NULL, "", 0);
		}
		if (rq->method != SV_PATCH && rq->method != SV_PUT)
			return sv_oci_error(rq, 405, "UNSUPPORTED", "%s is not allowed on an upload", rq->method_name);
		if (!chunk_ok(rq, u))
			return upload_status(rq, 416, name, u);
		return start_body(rq, OP_UPLOAD, name, ref);
	}
	if (op == OP_MANIFEST && rq->method == SV_PUT) {
		const struct sv_tag *t;
		if (!strchr(ref, ':') && !sv_oci_tag_valid(ref))
			return sv_oci_error(rq, 400, "MANIFEST_INVALID", "'%s' is not a valid tag", ref);
		/* what crossed signed is not replaced by a push */
		if (!strchr(ref, ':') && (t = sv_snap_tag(rq->snap, name, ref)) && !t->pushed)
			return sv_oci_error(rq, 403, "DENIED", "%s:%s came in a bundle%s; a push cannot replace it (push another tag)",
					    name, ref,
					    t->unsigned_ ? " (imported unsigned, with --allow-unsigned)" : " whose signatures were verified");
		if (strchr(ref, ':') && !sv_digest_ok(ref))
			return sv_oci_error(rq, 400, "DIGEST_INVALID", "'%s' is not a sha256 digest", ref);
		return start_body(rq, OP_MANIFEST, name, ref);
	}
	sv_header(rq, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return sv_oci_error(rq, 405, "UNSUPPORTED", "%s is not allowed here", rq->method_name);
}
