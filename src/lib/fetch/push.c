/* SPDX-License-Identifier: Apache-2.0 */
/*
 * push.c: the store's artifacts into an OCI distribution registry (push.h). An artifact's
 * blobs go in parallel, on a pool of kept-alive connections; each is looked for (HEAD), else
 * mounted from a repository of this run that holds it, else uploaded (POST, then one PUT
 * or PATCH chunks and a closing PUT); manifests follow, children before the index, the
 * tag last. Bearer tokens are asked for when a 401 says so, per repository, and again
 * when one expires.
 */
#include "push.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bundle.h"
#include "format.h"
#include "fsx.h"
#include "json.h"
#include "registry.h"
#include "store.h"

/* ---- names ---- */

/* s lower-cased, every character outside [a-z0-9._/-] as '-'; fresh. */
static char *repo_part(const char *s)
{
	char *r = strdup(s);
	for (char *p = r; p && *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._/-", *p)))
			*p = '-';
	}
	return r;
}

/* A wheel's tag: its file name without the project and ".whl" ("1.2-py3-none-any"). */
static char *wheel_tag(const char *filename)
{
	const char *dash = filename ? strchr(filename, '-') : NULL;
	size_t n;
	char *t;
	if (!dash)
		return NULL;
	n = strlen(dash + 1);
	if (n > 4 && !strcmp(dash + 1 + n - 4, ".whl"))
		n -= 4;
	if (n > 128)
		n = 128;
	if (!(t = strndup(dash + 1, n)))
		return NULL;
	for (char *p = t; *p; p++) /* '+' of a local version, '!' of an epoch */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-' || *p == '_'))
			*p = '_';
	return t;
}

enum al_code al_push_target(const char *ns, const char *kind, const char *name, const char *revision,
			    const char *filename, char **repo, char **tag, struct al_err *err)
{
	char *base = NULL, *t = NULL, *r = NULL;
	const char *sub = NULL;
	*repo = *tag = NULL;
	if (!strcmp(kind, "image")) {
		const char *slash = strrchr(name, '/'), *at = strchr(name, '@');
		const char *colon = strchr(slash ? slash : name, ':');
		size_t n = at ? (size_t)(at - name) : colon ? (size_t)(colon - name) : strlen(name);
		base = strndup(name, n);
		if (colon && !at)
			t = strdup(colon + 1);
	} else {
		sub = !strcmp(kind, "model") ? "models/" : !strcmp(kind, "wheel") ? "wheels/" : !strcmp(kind, "file") ? "files/"
		      : "vulndb/";
		base = repo_part(name);
		t = !strcmp(kind, "wheel")				    ? wheel_tag(filename)
		    : !strcmp(kind, "model") && revision && al_oci_tag_valid(revision) ? strdup(revision)
										    : strdup("latest");
	}
	if (base)
		r = al_strf("%s%s%s%s", ns, *ns ? "/" : "", sub ? sub : "", base);
	free(base);
	if (!r || (!t && strcmp(kind, "image"))) {
		free(r);
		free(t);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	if (!al_oci_repo_valid(r) || (t && !al_oci_tag_valid(t))) {
		al_fail(err, AL_EINVAL, "%s '%s' gives no valid registry name ('%s%s%s'): rename it in the spec", kind, name, r,
			t ? ":" : "", t ? t : "");
		free(r);
		free(t);
		return AL_EINVAL;
	}
	*repo = r;
	*tag = t;
	return AL_OK;
}

/* ---- a small string table: "REPO@DIGEST" present, DIGEST → a repository holding it ---- */

struct table {
	char **keys, **vals;
	size_t n, cap; /* cap: a power of two, or 0 */
};

static size_t slot_of(const struct table *t, const char *k)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	for (size_t i = (size_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
		if (!t->keys[i] || !strcmp(t->keys[i], k))
			return i;
}

static const char *tab_get(const struct table *t, const char *k, int *found)
{
	size_t i;
	*found = 0;
	if (!t->cap)
		return NULL;
	i = slot_of(t, k);
	*found = t->keys[i] != NULL;
	return t->vals[i];
}

static void tab_free(struct table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		free(t->keys[i]);
		free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

/* Adds k (and v, may be NULL) unless k is there. */
static enum al_code tab_put(struct table *t, const char *k, const char *v, struct al_err *err)
{
	size_t i;
	if (2 * (t->n + 1) > t->cap) {
		struct table g = { calloc(t->cap ? 2 * t->cap : 64, sizeof(char *)),
				   calloc(t->cap ? 2 * t->cap : 64, sizeof(char *)), t->n, t->cap ? 2 * t->cap : 64 };
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		for (size_t j = 0; j < t->cap; j++)
			if (t->keys[j]) {
				size_t s = slot_of(&g, t->keys[j]);
				g.keys[s] = t->keys[j];
				g.vals[s] = t->vals[j];
			}
		free(t->keys);
		free(t->vals);
		*t = g;
	}
	i = slot_of(t, k);
	if (t->keys[i])
		return AL_OK;
	if (!(t->keys[i] = strdup(k)) || (v && !(t->vals[i] = strdup(v)))) {
		free(t->keys[i]);
		t->keys[i] = NULL;
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	t->n++;
	return AL_OK;
}

/* ---- the session ---- */

struct counts {
	json_int_t sent, present, mounted, bytes, msent, mpresent;
};

enum { MAX_LANES = 16, DEF_LANES = 4 };

/* Shared by the workers: everything below `mu` is read and written under it. */
struct pusher {
	const struct al_push_opts *po;
	char *host, *ns, *api;           /* api: "https://HOST/v2/" (set once, before any worker) */
	struct al_registry_cred cred;    /* (read only once set) */
	int have_cred;
	unsigned nconns;
	_Atomic int stop;                /* a worker failed: the others start nothing new */
	pthread_mutex_t mu;
	struct al_fetch_opts o;          /* the caller's, with the credential in use */
	int basic;
	char *token, *token_from;
	unsigned gen;                    /* bumped by each authentication */
	enum al_code auth_rc;            /* an authentication that failed: every later 401 ends so */
	struct al_err auth_err;
	struct al_fetch_conn *conns[MAX_LANES];
	int busy[MAX_LANES];
	struct table present, where;
	struct counts total;
};

static void pusher_release(struct pusher *p)
{
	for (unsigned i = 0; i < p->nconns; i++)
		al_fetch_conn_free(p->conns[i]);
	pthread_mutex_destroy(&p->mu);
	free(p->host);
	free(p->ns);
	free(p->api);
	al_registry_cred_wipe(&p->cred);
	if (p->token)
		sodium_memzero(p->token, strlen(p->token));
	free(p->token);
	free(p->token_from);
	tab_free(&p->present);
	tab_free(&p->where);
}

/* oci://HOST[:PORT][/NAMESPACE] */
static enum al_code pusher_init(struct pusher *p, const struct al_fetch_opts *o, const struct al_push_opts *po,
				struct al_err *err)
{
	const char *d = po->dest, *h, *slash;
	int found = 0;
	unsigned want;
	enum al_code rc;
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	al_registry_opts(&p->o, o);
	p->po = po;
	if (strncmp(d, "oci://", 6))
		return al_fail(err, AL_EINVAL, "'%s' is not oci://HOST[:PORT][/NAMESPACE]", d);
	h = d + 6;
	slash = strchr(h, '/');
	p->host = slash ? strndup(h, (size_t)(slash - h)) : strdup(h);
	p->ns = strdup(slash ? slash + 1 : "");
	if (!p->host || !p->ns)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t n = strlen(p->ns); n && p->ns[n - 1] == '/'; n--)
		p->ns[n - 1] = '\0';
	if (!al_oci_host_valid(p->host) || (*p->ns && !al_oci_repo_valid(p->ns)))
		return al_fail(err, AL_EINVAL, "'%s': the host or the namespace is not valid (oci://HOST[:PORT][/NAMESPACE], lower case)",
			       d);
	p->api = al_strf("%s://%s/v2/", al_registry_plain(p->host, o->plain_http) ? "http" : "https", p->host);
	if (!p->api)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (o->registry_auth && (rc = al_registry_auth_lookup(o->registry_auth, o->registry_auth_from == NULL, p->host,
							       &p->cred, &found, err)))
		return rc;
	p->have_cred = found;
	/* every connection made here, before any worker (libcurl's global setup is not thread-safe) */
	want = o->connections ? o->connections : DEF_LANES;
	for (rc = AL_OK; !rc && p->nconns < want && p->nconns < MAX_LANES;)
		if (!(rc = al_fetch_conn_new(&p->conns[p->nconns], err)))
			p->nconns++;
	return rc;
}

/* A free connection of the pool (there is always one: no more workers than connections). */
static struct al_fetch_conn *conn_take(struct pusher *p)
{
	for (unsigned i = 0; i < p->nconns; i++)
		if (!p->busy[i]) {
			p->busy[i] = 1;
			return p->conns[i];
		}
	AL_BUG("no free connection in the push pool");
}

static void conn_give(struct pusher *p, struct al_fetch_conn *c)
{
	for (unsigned i = 0; i < p->nconns; i++)
		if (p->conns[i] == c)
			p->busy[i] = 0;
}

/* Answers a 401: a token for REPO (push and pull, and pull on FROM for a mount), or Basic. */
static enum al_code authenticate(struct pusher *p, const char *repo, const char *from, const char *challenge,
				 const char *url, const char *what, struct al_err *err)
{
	struct al_challenge c;
	char *mine = al_strf("repository:%s:pull,push", repo), *theirs = from ? al_strf("repository:%s:pull", from) : NULL;
	enum al_code rc;
	if (!challenge[0] || !mine || (from && !theirs)) {
		rc = !mine || (from && !theirs) ? al_fail(err, AL_ENOMEM, "out of memory")
						: al_fail(err, AL_EIO, "'%s': HTTP 401 from %s without a WWW-Authenticate challenge", what, url);
	} else if ((rc = al_challenge_parse(challenge, &c, err))) {
		al_err_prefix(err, "'%s' (%s)", what, url);
	} else {
		const char *scopes[] = { mine, c.scope ? c.scope : "", theirs, NULL };
		if (!strcasecmp(c.scheme, "Bearer") && c.realm) {
			if (p->token)
				sodium_memzero(p->token, strlen(p->token));
			free(p->token);
			free(p->token_from);
			p->token = p->token_from = NULL;
			rc = al_registry_token(&p->o, p->have_cred ? &p->cred : NULL, &c, scopes, what, &p->token,
					       &p->token_from, err);
			p->o.token = p->token;
			p->o.token_from = p->token_from;
		} else if (!strcasecmp(c.scheme, "Basic") && p->have_cred) {
			p->basic = 1;
			p->o.user = p->cred.user;
			p->o.password = p->cred.password;
			p->o.token_from = p->cred.from;
		} else if (!strcasecmp(c.scheme, "Basic")) {
			rc = al_fail(err, AL_EINVAL, "'%s': the registry %s asks for a password (HTTP 401 from %s) and %s%s%s holds none for it (give --registry-auth FILE)",
				     what, p->host, url, p->o.registry_auth ? "'" : "there is no auth file", p->o.registry_auth ? p->o.registry_auth : "",
				     p->o.registry_auth ? "'" : "");
		} else {
			rc = al_fail(err, AL_EINVAL, "'%s': the registry %s asks for '%s' authentication (HTTP 401 from %s), which airlock does not speak",
				     what, p->host, c.scheme, url);
		}
		al_challenge_release(&c);
	}
	free(mine);
	free(theirs);
	return rc;
}

/* Sends q about REPO on a connection of the pool with the credential of the moment. */
static enum al_code send_once(struct pusher *p, struct al_fetch_req *q, struct al_fetch_answer *ans, unsigned *gen,
			      struct al_err *err)
{
	struct al_fetch_opts o;
	struct al_fetch_conn *c;
	char *tok = NULL, *from = NULL;
	enum al_code rc = AL_OK;
	pthread_mutex_lock(&p->mu);
	o = p->o;
	*gen = p->gen;
	q->auth = p->token || p->basic;
	if ((p->token && !(tok = strdup(p->token))) || (p->token_from && !(from = strdup(p->token_from))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	c = rc ? NULL : conn_take(p);
	pthread_mutex_unlock(&p->mu);
	o.token = tok; /* (copies: another worker may renew the token meanwhile) */
	if (tok)
		o.token_from = from;
	if (c)
		rc = al_fetch_send(&o, c, q, ans, err);
	pthread_mutex_lock(&p->mu);
	if (c)
		conn_give(p, c);
	pthread_mutex_unlock(&p->mu);
	if (tok)
		sodium_memzero(tok, strlen(tok));
	free(tok);
	free(from);
	return rc;
}

/* Sends q about REPO, answering a 401 once (and once more for a token that expired meanwhile). */
static enum al_code ask(struct pusher *p, const char *repo, const char *from, struct al_fetch_req *q,
			 struct al_fetch_answer *ans, struct al_err *err)
{
	int allow_404 = ans->allow_404;
	unsigned gen = 0;
	enum al_code rc;
	for (int round = 0;; round++) {
		memset(ans, 0, sizeof(*ans));
		ans->allow_404 = allow_404;
		ans->allow_401 = round < 2;
		if ((rc = send_once(p, q, ans, &gen, err)) || ans->status != 401)
			return rc;
		pthread_mutex_lock(&p->mu);
		if (p->auth_rc) { /* (the same refusal for every worker, not a second guess at it) */
			*err = p->auth_err;
			rc = p->auth_rc;
		} else if (gen == p->gen) { /* (else another worker has just answered the challenge: try again) */
			if ((rc = authenticate(p, repo, from, ans->challenge, q->url, q->what, err))) {
				p->auth_rc = rc;
				p->auth_err = *err;
			}
			p->gen++;
		}
		pthread_mutex_unlock(&p->mu);
		if (rc)
			return rc;
	}
}

/* ---- blobs ---- */

enum how { SENT, PRESENT, MOUNTED };

/* "URL?digest=D" or "URL&digest=D" for the closing PUT of an upload; fresh. */
static char *with_digest(const char *loc, const char *digest)
{
	return al_strf("%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', digest);
}

/* Sends the blob's bytes to an upload begun at *loc: one PUT, or PATCH chunks and a PUT. */
static enum al_code upload(struct pusher *p, const char *repo, const char *what, int fd, uint64_t size,
			   const char *digest, char *loc, struct al_err *err)
{
	struct al_fetch_answer ans = { 0 };
	struct al_fetch_req q = { .what = what, .ctype = "application/octet-stream", .fd = fd };
	uint64_t chunk = p->po->chunk, off = 0;
	enum al_code rc = AL_OK;
	char *url, range[64];
	while (chunk && size > chunk && off < size && !rc) {
		uint64_t n = size - off < chunk ? size - off : chunk;
		snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off, (unsigned long long)(off + n - 1));
		q.method = "PATCH";
		q.url = loc;
		q.content_range = range;
		q.off = off;
		q.n = n;
		if (!(rc = ask(p, repo, NULL, &q, &ans, err)) && !ans.location[0])
			rc = al_fail(err, AL_EIO, "'%s': PATCH %s answered no Location to go on with", what, loc);
		if (!rc)
			memcpy(loc, ans.location, sizeof(ans.location));
		off += n;
	}
	if (rc)
		return rc;
	if (!(url = with_digest(loc, digest)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	q.method = "PUT";
	q.url = url;
	q.content_range = NULL;
	q.off = off;
	q.n = size - off;
	if (!(rc = ask(p, repo, NULL, &q, &ans, err)) && ans.digest[0] && strcmp(ans.digest, digest))
		rc = al_fail(err, AL_EVERIFY, "'%s': the registry stored the blob as %s", what, ans.digest);
	free(url);
	return rc;
}

/* Whether REPO holds the blob: known from this run, else asked (HEAD). */
static enum al_code blob_there(struct pusher *p, const char *repo, const char *key, const char *digest,
			       const char *what, int *there, struct al_err *err)
{
	struct al_fetch_answer ans = { .allow_404 = 1 };
	struct al_fetch_req q = { .method = "HEAD", .what = what, .fd = -1 };
	char *url;
	enum al_code rc;
	pthread_mutex_lock(&p->mu);
	tab_get(&p->present, key, there);
	pthread_mutex_unlock(&p->mu);
	if (*there)
		return AL_OK;
	if (!(url = al_strf("%s%s/blobs/%s", p->api, repo, digest)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	q.url = url;
	rc = ask(p, repo, NULL, &q, &ans, err);
	*there = !rc && ans.status == 200;
	free(url);
	return rc;
}

/* POST: a mount from a repository of this run that holds the blob (201), or an upload begun
 * (202, its Location into loc). */
static enum al_code blob_begin(struct pusher *p, const char *repo, const char *digest, const char *what,
			       char *loc, size_t cap, enum how *how, struct al_err *err)
{
	struct al_fetch_answer ans = { 0 };
	struct al_fetch_req q = { .method = "POST", .what = what, .fd = -1 };
	int known = 0;
	const char *from;
	char *url;
	enum al_code rc;
	pthread_mutex_lock(&p->mu);
	from = tab_get(&p->where, digest, &known); /* (the string itself stays until the end) */
	pthread_mutex_unlock(&p->mu);
	url = from ? al_strf("%s%s/blobs/uploads/?mount=%s&from=%s", p->api, repo, digest, from)
			 : al_strf("%s%s/blobs/uploads/", p->api, repo);
	if (!url)
		return al_fail(err, AL_ENOMEM, "out of memory");
	q.url = url;
	rc = ask(p, repo, from, &q, &ans, err);
	if (!rc && ans.status == 201 && from)
		*how = MOUNTED;
	else if (!rc && (ans.status != 202 || !ans.location[0] || strlen(ans.location) >= cap))
		rc = al_fail(err, AL_EIO, "'%s': POST %s answered HTTP %ld without an upload Location", what, url, ans.status);
	else if (!rc)
		memcpy(loc, ans.location, strlen(ans.location) + 1);
	free(url);
	return rc;
}

/* The blob's bytes from the store into the upload at loc. */
static enum al_code blob_send(struct pusher *p, const char *repo, const char *digest, uint64_t size,
			      const char *what, char *loc, struct al_err *err)
{
	char *path = al_strf("%s/blobs/sha256/%s", p->po->store, digest + 7);
	struct stat st;
	enum al_code rc;
	int fd = -1;
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)
		rc = al_fail_errno(err, AL_ESTORE, "cannot read the blob '%s' of the store", path);
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		rc = al_fail(err, AL_ESTORE, "the blob '%s' of the store is not the regular file of %llu bytes the catalog names: run 'airlock store fsck'",
			     path, (unsigned long long)size);
	else if ((rc = upload(p, repo, what, fd, size, digest, loc, err)) && rc != AL_ENOMEM)
		al_err_prefix(err, "pushing the store's '%s'", path);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* One blob into REPO: there already, mounted, or uploaded from the store. */
static enum al_code put_blob(struct pusher *p, const char *repo, const char *digest, uint64_t size, enum how *how,
			     struct al_err *err)
{
	char *key = al_strf("%s@%s", repo, digest), *what = al_strf("oci://%s/%s@%s", p->host, repo, digest);
	char loc[sizeof(((struct al_fetch_answer *)0)->location)];
	int there = 0;
	enum al_code rc = key && what ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	*how = PRESENT;
	if (!rc)
		rc = blob_there(p, repo, key, digest, what, &there, err);
	if (!rc && !there) {
		*how = SENT;
		rc = blob_begin(p, repo, digest, what, loc, sizeof(loc), how, err);
		if (!rc && *how == SENT)
			rc = blob_send(p, repo, digest, size, what, loc, err);
	}
	pthread_mutex_lock(&p->mu);
	if (!rc)
		rc = tab_put(&p->present, key, NULL, err);
	if (!rc)
		rc = tab_put(&p->where, digest, repo, err);
	pthread_mutex_unlock(&p->mu);
	free(key);
	free(what);
	return rc;
}

/* ---- manifests ---- */

/* The manifest DIGEST from the store, which must hash to its name. */
static enum al_code read_manifest(struct pusher *p, const char *digest, struct al_buf *b, struct al_err *err)
{
	char *path = al_strf("%s/blobs/sha256/%s", p->po->store, digest + 7), hex[AL_HEX_LEN + 1];
	unsigned char d[AL_DIGEST_LEN];
	enum al_code rc = path ? al_read_file(path, AL_NOFOLLOW, b, err) : al_fail(err, AL_ENOMEM, "out of memory");
	if (rc == AL_ENOENT || rc == AL_ELIMIT || rc == AL_EIO)
		rc = err->code = AL_ESTORE;
	if (!rc && !(rc = al_sha256_mem(b->data ? b->data : "", b->len, d, err))) {
		al_hex(d, hex);
		if (strcmp(hex, digest + 7))
			rc = al_fail(err, AL_ESTORE, "the manifest '%s' of the store does not hash to its name: run 'airlock store fsck'",
				     path);
	}
	free(path);
	return rc;
}

/* The manifest DIGEST (media type MT) into REPO under REF (its tag, or the digest), unless
 * REF already names it there. */
static enum al_code put_manifest(struct pusher *p, const char *repo, const char *ref, const char *digest,
				 const char *mt, enum how *how, struct al_err *err)
{
	struct al_fetch_answer ans = { .allow_404 = 1 };
	struct al_fetch_req q = { .method = "HEAD", .accept = mt, .fd = -1 };
	char *url = al_strf("%s%s/manifests/%s", p->api, repo, ref);
	char *what = al_strf("oci://%s/%s%s%s", p->host, repo, ref == digest ? "@" : ":", ref);
	struct al_buf b;
	enum al_code rc = url && what ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&b, AL_MAX_MANIFEST);
	q.url = url;
	q.what = what;
	*how = PRESENT;
	if (!rc)
		rc = ask(p, repo, NULL, &q, &ans, err);
	if (!rc && (ans.status != 200 || strcmp(ans.digest, digest))) {
		*how = SENT;
		memset(&ans, 0, sizeof(ans));
		q.method = "PUT";
		q.accept = NULL;
		q.ctype = mt;
		if (!(rc = read_manifest(p, digest, &b, err))) {
			q.data = b.data;
			q.len = b.len;
			rc = ask(p, repo, NULL, &q, &ans, err);
		}
		if (!rc && ans.digest[0] && strcmp(ans.digest, digest))
			rc = al_fail(err, AL_EVERIFY, "'%s': the registry stored the manifest %s as %s", what, digest, ans.digest);
	}
	al_buf_release(&b);
	free(url);
	free(what);
	return rc;
}

/* ---- artifacts ---- */

static int is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, AL_MT_OCI_MANIFEST) || !strcmp(mt, AL_MT_DOCKER_MANIFEST) || al_mt_is_index(mt));
}

static void count(struct counts *c, enum how how, uint64_t size, int manifest)
{
	if (manifest) {
		c->msent += how == SENT;
		c->mpresent += how != SENT;
		return;
	}
	c->sent += how == SENT;
	c->present += how == PRESENT;
	c->mounted += how == MOUNTED;
	if (how == SENT)
		c->bytes += (json_int_t)size;
}

/* An artifact's blobs (not its manifests), pushed by workers in parallel. */
struct blob_work {
	struct pusher *p;
	const char *repo;
	const json_t **b;                /* the blobs */
	enum al_code *rc;
	struct al_err *errs;
	struct counts *c;
};

static void blob_one(void *ctx, size_t i, char *buf)
{
	struct blob_work *w = ctx;
	const char *d = al_json_str(w->b[i], "digest");
	uint64_t size = (uint64_t)json_integer_value(json_object_get(w->b[i], "size"));
	enum how how;
	(void)buf;
	if (atomic_load(&w->p->stop))
		return; /* (another blob failed: its error is the one reported) */
	if ((w->rc[i] = put_blob(w->p, w->repo, d, size, &how, &w->errs[i]))) {
		atomic_store(&w->p->stop, 1);
		return;
	}
	pthread_mutex_lock(&w->p->mu);
	count(w->c, how, size, 0);
	pthread_mutex_unlock(&w->p->mu);
	al_progress_add(w->p->o.prog, how == SENT ? 0 : size); /* (sent bytes counted as they go) */
}

static enum al_code push_blobs(struct pusher *p, const json_t *a, const char *repo, struct counts *c,
			       struct al_err *err)
{
	const char *top = al_json_str(a, "digest");
	const json_t *blobs = json_object_get(a, "blobs"), *b;
	size_t n = 0, i, all = json_array_size(blobs);
	struct blob_work w = { p, repo, calloc(all + 1, sizeof(*w.b)), calloc(all + 1, sizeof(*w.rc)),
			       calloc(all + 1, sizeof(*w.errs)), c };
	enum al_code rc = w.b && w.rc && w.errs ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	json_array_foreach(blobs, i, b) if (!rc && strcmp(al_json_str(b, "digest"), top) &&
					     !is_manifest(al_json_str(b, "mediaType"))) w.b[n++] = b;
	if (!rc && n)
		rc = al_parallel(blob_one, &w, NULL, n, n < p->nconns ? (unsigned)n : p->nconns, err);
	for (i = 0; !rc && i < n; i++)
		if (w.rc[i]) {
			*err = w.errs[i];
			rc = w.rc[i];
		}
	free(w.b);
	free(w.rc);
	free(w.errs);
	return rc;
}

/* Its blobs, then its child manifests (manifests before indexes), then itself under its tag. */
static enum al_code push_parts(struct pusher *p, const json_t *a, const char *repo, const char *tag,
			       struct counts *c, struct al_err *err)
{
	const char *top = al_json_str(a, "digest"), *mt = al_json_str(a, "mediaType");
	const json_t *blobs = json_object_get(a, "blobs"), *b;
	enum al_code rc = push_blobs(p, a, repo, c, err);
	enum how how;
	size_t i;
	for (int pass = 0; pass < 2 && !rc; pass++)
		json_array_foreach(blobs, i, b) {
			const char *d = al_json_str(b, "digest"), *bmt = al_json_str(b, "mediaType");
			if (rc || !strcmp(d, top) || !is_manifest(bmt) || al_mt_is_index(bmt) != pass)
				continue;
			if (!(rc = put_manifest(p, repo, d, d, bmt, &how, err)))
				count(c, how, 0, 1);
		}
	if (!rc && !(rc = put_manifest(p, repo, tag ? tag : top, top, mt, &how, err)))
		count(c, how, 0, 1);
	return rc;
}

static json_t *counts_json(const struct counts *c, int blobs)
{
	return blobs ? json_pack("{s:I, s:I, s:I}", "sent", c->sent, "present", c->present, "mounted", c->mounted)
		     : json_pack("{s:I, s:I}", "sent", c->msent, "present", c->mpresent);
}

/* One artifact of the contents: pushed, and its line of the mapping appended to out. */
static enum al_code push_artifact(struct pusher *p, const json_t *a, json_t *out, struct al_err *err)
{
	const char *kind = al_json_str(a, "kind"), *name = al_json_str(a, "name"), *top = al_json_str(a, "digest");
	char *repo = NULL, *tag = NULL, *ref = NULL, *tref = NULL;
	struct counts c = { 0 };
	json_t *row;
	enum al_code rc;
	if (!kind || !name || !al_digest_valid(top) || strncmp(top, "sha256:", 7) || !al_json_str(a, "mediaType"))
		return al_fail(err, AL_ESTORE, "the store's catalog lists an artifact without kind, name, digest or media type");
	rc = al_push_target(p->ns, kind, name, al_json_str(a, "revision"), al_json_str(a, "filename"), &repo, &tag, err);
	if (!rc && (rc = push_parts(p, a, repo, tag, &c, err)) && rc != AL_ENOMEM)
		al_err_prefix(err, "%s '%s'", kind, name);
	if (!rc) {
		ref = al_strf("%s/%s@%s", p->host, repo, top);
		tref = tag ? al_strf("%s/%s:%s", p->host, repo, tag) : NULL;
		row = ref && (tref || !tag)
			      ? json_pack("{s:s, s:s, s:s?, s:s+++, s:s, s:s?, s:s, s:o, s:I, s:o}", "kind", kind, "name", name,
					  "upstream", al_json_str(a, "upstream"), "repository", p->host, "/", repo, "", "reference",
					  ref, "tag", tref, "digest", top, "blobs", counts_json(&c, 1), "bytesSent", c.bytes,
					  "manifests", counts_json(&c, 0))
			      : NULL;
		if (!row || json_array_append_new(out, row))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	p->total.sent += c.sent;
	p->total.present += c.present;
	p->total.mounted += c.mounted;
	p->total.bytes += c.bytes;
	p->total.msent += c.msent;
	p->total.mpresent += c.mpresent;
	free(repo);
	free(tag);
	free(ref);
	free(tref);
	return rc;
}

enum al_code al_registry_push(const struct al_fetch_opts *o, const struct al_push_opts *po, const json_t *contents,
			      json_t **result, struct al_err *err)
{
	struct pusher p;
	json_t *chosen = NULL, *arts = json_array(), *a;
	enum al_code rc = arts ? pusher_init(&p, o, po, err) : al_fail(err, AL_ENOMEM, "out of memory");
	uint64_t total = 0;
	size_t i;
	*result = NULL;
	if (!rc)
		rc = al_store_select(contents, po->patterns, "to push", &chosen, err);
	json_array_foreach(chosen, i, a) {
		const json_t *b;
		size_t k;
		json_array_foreach(json_object_get(a, "blobs"), k, b) if (!is_manifest(al_json_str(b, "mediaType"))) total +=
			(uint64_t)json_integer_value(json_object_get(b, "size"));
	}
	if (o->prog) {
		atomic_store(&o->prog->total, total);
		atomic_store(&o->prog->done, 0);
	}
	json_array_foreach(chosen, i, a) if (!rc) rc = push_artifact(&p, a, arts, err);
	if (!rc) {
		*result = json_pack("{s:s, s:s, s:O, s:o, s:I, s:o}", "registry", p.host, "namespace", p.ns, "artifacts", arts,
				    "blobs", counts_json(&p.total, 1), "bytesSent", p.total.bytes, "manifests",
				    counts_json(&p.total, 0));
		if (!*result)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	json_decref(chosen);
	json_decref(arts);
	if (arts)
		pusher_release(&p);
	return rc;
}
