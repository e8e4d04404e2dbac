/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch.c: libcurl transfers into the download cache, checked while they stream
 * (fetch.h). One single-threaded curl multi loop drives every transfer; a transfer
 * that fails transiently waits out its backoff without blocking the others.
 *
 * Cache layout (docs/cmd/bundle-create.md "Remote sources"):
 *   CACHE/blobs/sha256/<hex>     files checked by SHA-256
 *   CACHE/blobs/git-sha1/<hex>   files checked by git blob id
 *   CACHE/tmp/<alg>-<hex>.part   downloads in progress, resumed with Range
 */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "fsx.h"
#include "json.h"

enum {
	DEF_CONNECTIONS = 4,
	DEF_RETRIES = 5,
	DEF_BACKOFF_MS = 500,
	MAX_BACKOFF_MS = 30000,
	MAX_RETRY_AFTER = 60,  /* seconds: a longer Retry-After is waited for this long, then asked again */
};

/* ---- pure helpers ---- */

enum al_code al_gitblob_init(struct al_gitblob *g, uint64_t size, struct al_err *err)
{
	char head[40];
	int n = snprintf(head, sizeof(head), "blob %llu", (unsigned long long)size);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return al_fail(err, AL_ENOMEM, "out of memory (hash context)");
	if (EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1 || EVP_DigestUpdate(c, head, (size_t)n + 1) != 1) {
		EVP_MD_CTX_free(c);
		return al_fail_ssl(err, "cannot start SHA-1");
	}
	g->ctx = c;
	return AL_OK;
}

void al_gitblob_update(struct al_gitblob *g, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(g->ctx, p, n) != 1)
		AL_BUG("EVP_DigestUpdate failed");
}

void al_gitblob_final(struct al_gitblob *g, char out[41])
{
	static const char x[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(g->ctx, d, &len) != 1 || len != 20)
		AL_BUG("EVP_DigestFinal_ex failed");
	for (unsigned i = 0; i < 20; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[40] = '\0';
}

void al_gitblob_release(struct al_gitblob *g)
{
	EVP_MD_CTX_free(g->ctx);
	g->ctx = NULL;
}

static int ipv4_loopback(const char *h)
{
	int parts = 0, digits = 0, v = 0, first = -1;
	for (const char *c = h;; c++) {
		if (*c >= '0' && *c <= '9') {
			v = v * 10 + (*c - '0');
			if (++digits > 3 || v > 255)
				return 0;
		} else if (*c == '.' || *c == '\0') {
			if (!digits)
				return 0;
			if (first < 0)
				first = v;
			parts++;
			digits = v = 0;
			if (!*c)
				break;
		} else {
			return 0;
		}
	}
	return parts == 4 && first == 127;
}

char *al_url_public(const char *url)
{
	const char *p = strstr(url, "://"), *host, *at = NULL;
	size_t n;
	if (!p || strcspn(url, "/?#") < (size_t)(p - url))
		return strdup(url);
	host = p + 3;
	n = strcspn(host, "/?#");
	for (size_t i = 0; i < n; i++)
		if (host[i] == '@')
			at = host + i;
	return at ? al_strf("%.*s***%s", (int)(host - url), url, at) : strdup(url);
}

/* al_fetch_url_allowed, naming the URL as SHOWN (without its credentials) in messages. */
static enum al_code url_allowed(const char *url, const char *shown, const char *const *plain, struct al_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	enum al_code rc = AL_OK;
	if (!u)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		rc = al_fail(err, AL_EINVAL, "'%s' is not a URL airlock can fetch", shown);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		rc = al_fail(err, AL_EINVAL, "'%s': credentials in a URL are refused (they would be logged; use a token file or an auth file)", shown);
		goto out;
	}
	if (!strcasecmp(scheme, "https"))
		goto out;
	if (strcasecmp(scheme, "http")) {
		rc = al_fail(err, AL_EINVAL, "'%s': only https:// (and http:// to loopback) is fetched", shown);
		goto out;
	}
	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]") || ipv4_loopback(host))
		goto out;
	for (const char *const *p = plain; p && *p; p++)
		if (!strcasecmp(*p, host))
			goto out;
	rc = al_fail(err, AL_EINVAL,
		     "'%s': plain http:// is refused for '%s', which is not a loopback host (use https://, or allow it with --plain-http %s)",
		     shown, host, host);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

enum al_code al_fetch_url_allowed(const char *url, const char *const *plain, struct al_err *err)
{
	char *shown = al_url_public(url);
	enum al_code rc = shown ? url_allowed(url, shown, plain, err) : al_fail(err, AL_ENOMEM, "out of memory");
	free(shown);
	return rc;
}

int64_t al_retry_after_parse(const char *v, int64_t now)
{
	int64_t s = 0;
	time_t t;
	size_t n;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n)
		return -1;
	if (v[0] >= '0' && v[0] <= '9') {
		for (size_t i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			if (s > 100000000) /* more than three years: saturate */
				continue;
			s = s * 10 + (v[i] - '0');
		}
		return s;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return (int64_t)t > now ? (int64_t)t - now : 0;
}

char *al_link_next(const char *v)
{
	const char *p = v;
	while (*p) {
		const char *lt, *gt, *end;
		int next = 0;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p != '<')
			return NULL;
		lt = p + 1;
		gt = strchr(lt, '>');
		if (!gt)
			return NULL;
		/* the parameters run to the next ',' outside quotes */
		for (end = gt + 1; *end && *end != ','; end++)
			if (*end == '"') {
				const char *q = strchr(end + 1, '"');
				if (!q)
					return NULL;
				end = q;
			}
		for (const char *s = gt + 1; s < end; s++) {
			if (strncasecmp(s, "rel", 3))
				continue;
			s += 3;
			while (*s == ' ')
				s++;
			if (*s != '=')
				continue;
			s++;
			while (*s == ' ')
				s++;
			/* rel="next", rel=next, or "next" among space-separated relations */
			{
				int quoted = *s == '"';
				const char *w = s + quoted;
				while (w < end && *w != '"' && *w != ';') {
					const char *we = w;
					while (we < end && *we != ' ' && *we != '"' && *we != ';')
						we++;
					if (we - w == 4 && !strncasecmp(w, "next", 4))
						next = 1;
					if (!quoted)
						break;
					w = we;
					while (w < end && *w == ' ')
						w++;
				}
			}
		}
		if (next)
			return strndup(lt, (size_t)(gt - lt));
		p = end;
	}
	return NULL;
}

/* ---- transfers ---- */

enum xstate { X_WAIT, X_RUN, X_DONE };

struct xfer {
	struct al_fetch_item *it;      /* file transfers; NULL for JSON */
	const char *url, *what;
	int auth;
	CURL *h;
	enum xstate state;
	unsigned attempt;
	double not_before;
	/* file sink */
	int fd;
	char *part, *final;
	uint64_t off;                  /* bytes in the .part */
	uint64_t req_from;             /* the Range start of this request */
	struct al_sha256 sha;
	struct al_gitblob git;
	int hashing, restarted, counted;
	/* memory sink */
	struct al_buf *mem;
	/* the current response */
	long status;
	int body_started;
	int64_t cr_start;              /* Content-Range start, -1 when absent */
	char retry_after[64];
	char error_code[64];           /* X-Error-Code (the Hub's) */
	char ctype[128];               /* Content-Type */
	char digest[128];              /* Docker-Content-Digest */
	char challenge[1024];          /* the first WWW-Authenticate */
	int allow_401;                 /* a 401 ends the transfer as an answer */
	int allow_404;                 /* a 404 too */
	char location[2048];           /* Location */
	char range[64];                /* Range (an upload's progress) */
	char errbody[1024];            /* the start of an error response's body */
	size_t nerrbody;
	char *link;
	/* a request with a method and a body (al_fetch_send), or NULL for a GET */
	const struct al_fetch_req *req;
	uint64_t up_done;              /* body bytes handed to libcurl */
	/* request headers (Accept), or NULL */
	struct curl_slist *hdrs;
	struct al_err werr;            /* a failure inside a callback */
	char curlerr[CURL_ERROR_SIZE];
};

struct run {
	const struct al_fetch_opts *o;
	CURLM *m;
	char *buf;
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t n)
{
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++) /* they go into messages */
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

static int header_is(const char *line, size_t n, const char *name, const char **val, size_t *vn)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return 0;
	*val = line + k + 1;
	*vn = n - k - 1;
	return 1;
}

static size_t on_header(char *line, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm, vn;
	const char *v;
	if (n >= 5 && !strncmp(line, "HTTP/", 5)) { /* a new response (after a redirect, a 100) */
		x->body_started = 0;
		x->cr_start = -1;
		x->retry_after[0] = x->error_code[0] = x->ctype[0] = x->digest[0] = x->challenge[0] = '\0';
		x->location[0] = x->range[0] = '\0';
		x->nerrbody = 0;
		free(x->link);
		x->link = NULL;
	} else if (header_is(line, n, "Content-Type", &v, &vn)) {
		copy_header_value(x->ctype, sizeof(x->ctype), v, vn);
	} else if (header_is(line, n, "Content-Range", &v, &vn)) {
		char cr[96];
		uint64_t a = 0;
		const char *c;
		copy_header_value(cr, sizeof(cr), v, vn);
		if (!strncmp(cr, "bytes ", 6) && cr[6] >= '0' && cr[6] <= '9') {
			for (c = cr + 6; *c >= '0' && *c <= '9' && a < (UINT64_C(1) << 60); c++)
				a = a * 10 + (uint64_t)(*c - '0');
			if (*c == '-')
				x->cr_start = (int64_t)a;
		}
	} else if (header_is(line, n, "Docker-Content-Digest", &v, &vn)) {
		copy_header_value(x->digest, sizeof(x->digest), v, vn);
	} else if (header_is(line, n, "WWW-Authenticate", &v, &vn) && !x->challenge[0]) {
		copy_header_value(x->challenge, sizeof(x->challenge), v, vn);
	} else if (header_is(line, n, "Location", &v, &vn)) {
		copy_header_value(x->location, sizeof(x->location), v, vn);
	} else if (header_is(line, n, "Range", &v, &vn)) {
		copy_header_value(x->range, sizeof(x->range), v, vn);
	} else if (header_is(line, n, "Retry-After", &v, &vn)) {
		copy_header_value(x->retry_after, sizeof(x->retry_after), v, vn);
	} else if (header_is(line, n, "X-Error-Code", &v, &vn)) {
		copy_header_value(x->error_code, sizeof(x->error_code), v, vn);
	} else if (header_is(line, n, "Link", &v, &vn)) {
		char *s = strndup(v, vn);
		if (s) {
			free(x->link);
			x->link = al_link_next(s);
			free(s);
		}
	}
	return n;
}

static enum al_code hash_start(struct xfer *x, struct al_err *err)
{
	enum al_code rc;
	if (x->hashing) {
		al_sha256_release(&x->sha);
		al_gitblob_release(&x->git);
		x->hashing = 0;
	}
	if ((rc = al_sha256_init(&x->sha, err)))
		return rc;
	if (x->it->check == AL_CHECK_GITBLOB && (rc = al_gitblob_init(&x->git, (uint64_t)x->it->size, err))) {
		al_sha256_release(&x->sha);
		return rc;
	}
	x->hashing = 1;
	return AL_OK;
}

static void hash_add(struct xfer *x, const void *p, size_t n)
{
	al_sha256_update(&x->sha, p, n);
	if (x->it->check == AL_CHECK_GITBLOB)
		al_gitblob_update(&x->git, p, n);
}

/* Drops what the .part holds: the server sent the whole file, or the part was bad. */
static enum al_code part_reset(struct run *r, struct xfer *x, struct al_err *err)
{
	if (ftruncate(x->fd, 0) != 0)
		return al_fail_errno(err, AL_EIO, "cannot truncate '%s'", x->part);
	if (r->o->prog)
		atomic_fetch_sub(&r->o->prog->done, x->off);
	x->off = 0;
	return hash_start(x, err);
}

/* The first byte of a 2xx body (or its end when it has none): what does the body continue? */
static enum al_code body_begin(struct run *r, struct xfer *x, struct al_err *err)
{
	x->body_started = 1;
	if (!x->it)
		return AL_OK;
	if (x->it->size < 0 && r->o->prog && !x->counted) {
		/* a size nobody declared (https files): the progress total learns it now */
		curl_off_t cl = -1;
		if (curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl > 0) {
			atomic_fetch_add(&r->o->prog->total, (uint64_t)cl + (x->status == 206 ? x->req_from : 0));
			x->counted = 1;
		}
	}
	if (x->status == 206) {
		if (x->cr_start < 0 || (uint64_t)x->cr_start != x->req_from)
			return al_fail(err, AL_EIO, "asked for bytes from %llu, got a 206 for %lld",
				       (unsigned long long)x->req_from, (long long)x->cr_start);
		return AL_OK;
	}
	if (x->req_from > 0) /* the server ignored Range: it sends everything again */
		return part_reset(r, x, err);
	return AL_OK;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	struct run *r = NULL;
	size_t n = sz * nm;
	curl_easy_getinfo(x->h, CURLINFO_PRIVATE, (char **)&r);
	if (!x->body_started) {
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
		if (x->status >= 200 && x->status < 300 && body_begin(r, x, &x->werr))
			return 0;
		x->body_started = 1;
	}
	if (x->status < 200 || x->status >= 300) {
		/* an error page: only its start is kept, for the registry's error code */
		size_t room = sizeof(x->errbody) - 1 - x->nerrbody, k = n < room ? n : room;
		memcpy(x->errbody + x->nerrbody, p, k);
		x->nerrbody += k;
		x->errbody[x->nerrbody] = '\0';
		return n;
	}
	if (!x->it && !x->mem)
		return n; /* a body nobody asked for (al_fetch_send without a reply buffer) */
	if (!x->it)
		return al_buf_add(x->mem, p, n, &x->werr) ? 0 : n;
	if (x->it->size >= 0 && x->off + n > (uint64_t)x->it->size) {
		al_fail(&x->werr, AL_EVERIFY, "the server sent more than the %lld bytes declared",
			(long long)x->it->size);
		return 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(x->fd, p + done, n - done, (off_t)(x->off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			al_fail_errno(&x->werr, AL_EIO, "cannot write '%s'", x->part);
			return 0;
		}
		done += (size_t)w;
	}
	hash_add(x, p, n);
	x->off += n;
	al_progress_add(r->o->prog, n);
	return n;
}

static const char *alg_dir(const struct al_fetch_item *it)
{
	return it->check == AL_CHECK_GITBLOB ? "git-sha1" : "sha256";
}

/* Hashes an open file from the start up to `len` bytes (or its end), into x's hashes. */
static enum al_code hash_existing(struct run *r, struct xfer *x, int fd, const char *path, uint64_t *len,
				  struct al_err *err)
{
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, r->buf, AL_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return al_fail_errno(err, AL_EIO, "cannot read '%s'", path);
		if (n == 0)
			break;
		hash_add(x, r->buf, (size_t)n);
		total += (uint64_t)n;
	}
	*len = total;
	return AL_OK;
}

/* Ends the hashes and compares; writes the content's SHA-256 into the item. */
static enum al_code hash_check(struct xfer *x, const char *where, struct al_err *err)
{
	struct al_fetch_item *it = x->it;
	unsigned char d[AL_DIGEST_LEN];
	char got[AL_HEX_LEN + 1];
	al_sha256_final(&x->sha, d);
	al_hex(d, it->sha256);
	if (it->check == AL_CHECK_GITBLOB)
		al_gitblob_final(&x->git, got);
	else
		memcpy(got, it->sha256, sizeof(got));
	al_sha256_release(&x->sha);
	al_gitblob_release(&x->git);
	x->hashing = 0;
	if (strcmp(got, it->expect))
		return al_fail(err, AL_EVERIFY, "digest mismatch for '%s' (%s%s): expected %s %s, got %s",
			       it->what, where, x->url, it->check == AL_CHECK_GITBLOB ? "git blob" : "sha256",
			       it->expect, got);
	return AL_OK;
}

/* A cache entry is used only if it still hashes to its name; one that does not is removed. */
static enum al_code try_cache(struct run *r, struct xfer *x, int *hit, struct al_err *err)
{
	struct al_err e = { 0 };
	uint64_t len = 0;
	int fd = open(x->final, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	enum al_code rc;
	*hit = 0;
	if (fd < 0)
		return errno == ENOENT ? AL_OK : al_fail_errno(err, AL_EIO, "cannot open '%s'", x->final);
	if ((rc = hash_start(x, err)) || (rc = hash_existing(r, x, fd, x->final, &len, err))) {
		close(fd);
		return rc;
	}
	close(fd);
	if ((x->it->size >= 0 && len != (uint64_t)x->it->size) || hash_check(x, "cached, ", &e)) {
		if (x->hashing) {
			al_sha256_release(&x->sha);
			al_gitblob_release(&x->git);
			x->hashing = 0;
		}
		if (unlink(x->final) != 0)
			return al_fail_errno(err, AL_EIO, "cannot remove the damaged cache entry '%s'", x->final);
		return AL_OK;
	}
	x->it->got = len;
	x->it->cached = 1;
	*hit = 1;
	return AL_OK;
}

static void set_common(struct run *r, struct xfer *x)
{
	const struct al_fetch_opts *o = r->o;
	CURL *h = x->h;
	curl_easy_setopt(h, CURLOPT_URL, x->url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, !strncasecmp(x->url, "https:", 6) ? "https" : "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "airlock/" AL_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curlerr);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	if (x->hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
	if (x->auth && o->token) {
		/* libcurl sends it to this URL's host only, never after a redirect elsewhere */
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, o->token);
	} else if (x->auth && o->user) {
		/* (the same: only to this URL's host) */
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, o->password ? o->password : "");
	}
}

/* The body of a request, from memory or read from a file at its offset as libcurl asks. */
static size_t on_read(char *buf, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	const struct al_fetch_req *q = x->req;
	uint64_t total = q->fd >= 0 ? q->n : q->len, left = total - x->up_done;
	size_t n = sz * nm < left ? sz * nm : (size_t)left;
	struct run *r = NULL;
	if (!n)
		return 0;
	if (q->fd >= 0) {
		ssize_t got;
		do
			got = pread(q->fd, buf, n, (off_t)(q->off + x->up_done));
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			if (got == 0)
				errno = EIO; /* the file is shorter than it was said to be */
			al_fail_errno(&x->werr, AL_EIO, "cannot read the body of '%s'", x->what);
			return CURL_READFUNC_ABORT;
		}
		n = (size_t)got;
	} else {
		memcpy(buf, (const char *)q->data + x->up_done, n);
	}
	x->up_done += n;
	curl_easy_getinfo(x->h, CURLINFO_PRIVATE, (char **)&r);
	al_progress_add(r->o->prog, n);
	return n;
}

/* libcurl rewinds a body it must send again (a redirect, an authentication round). */
static int on_seek(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;
	struct run *r = NULL;
	uint64_t total = x->req->fd >= 0 ? x->req->n : x->req->len;
	if (origin != SEEK_SET || off < 0 || (uint64_t)off > total)
		return CURL_SEEKFUNC_CANTSEEK;
	curl_easy_getinfo(x->h, CURLINFO_PRIVATE, (char **)&r);
	if (r->o->prog)
		atomic_fetch_sub(&r->o->prog->done, x->up_done - (uint64_t)off);
	x->up_done = (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

/* The method and body of an al_fetch_send request (a GET needs nothing). */
static void set_method(struct run *r, struct xfer *x)
{
	const struct al_fetch_req *q = x->req;
	CURL *h = x->h;
	curl_off_t n = (curl_off_t)(q->fd >= 0 ? q->n : q->len);
	if (r->o->prog && x->up_done) /* a retry sends the body again */
		atomic_fetch_sub(&r->o->prog->done, x->up_done);
	x->up_done = 0;
	if (!strcmp(q->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		return;
	}
	if (!strcmp(q->method, "GET"))
		return;
	if (!strcmp(q->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, n);
	} else {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, n);
		if (strcmp(q->method, "PUT"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
	}
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, x);
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
}

/* Starts (or restarts) a transfer; a file already complete finishes here. */
static enum al_code x_start(struct run *r, struct xfer *x, int *finished, struct al_err *err)
{
	char range[48];
	*finished = 0;
	x->status = 0;
	x->body_started = 0;
	x->cr_start = -1;
	x->retry_after[0] = x->error_code[0] = x->curlerr[0] = '\0';
	free(x->link);
	x->link = NULL;
	if (x->it && x->it->size >= 0 && x->off == (uint64_t)x->it->size && x->off > 0) {
		*finished = 1; /* the .part is whole: nothing to ask for */
		return AL_OK;
	}
	if (x->mem)
		al_buf_reset(x->mem);
	x->req_from = x->it ? x->off : 0;
	if (x->h)
		curl_easy_reset(x->h); /* (keeps its connections) */
	else if (!(x->h = curl_easy_init()))
		return al_fail(err, AL_ENOMEM, "out of memory (curl handle)");
	set_common(r, x);
	if (x->req)
		set_method(r, x);
	if (x->req_from) {
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)x->req_from);
		curl_easy_setopt(x->h, CURLOPT_RANGE, range);
	} else {
		curl_easy_setopt(x->h, CURLOPT_RANGE, (char *)NULL);
	}
	if (curl_multi_add_handle(r->m, x->h) != CURLM_OK)
		return al_fail(err, AL_EIO, "cannot start the transfer of '%s'", x->url);
	x->state = X_RUN;
	return AL_OK;
}

/* Finds the file in the cache (re-hashed), or sets up where its download goes. */
static enum al_code x_prepare(struct run *r, struct xfer *x, int *hit, struct al_err *err)
{
	struct al_fetch_item *it = x->it;
	const char *cache = r->o->cache;
	char *dir;
	enum al_code rc;
	x->final = al_strf("%s/blobs/%s/%s", cache, alg_dir(it), it->expect);
	x->part = al_strf("%s/tmp/%s-%s.part", cache, alg_dir(it), it->expect);
	dir = al_strf("%s/blobs/%s", cache, alg_dir(it));
	if (!x->final || !x->part || !dir) {
		free(dir);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	rc = al_mkdirs(dir, err);
	free(dir);
	if (!rc && !(rc = try_cache(r, x, hit, err)) && *hit) {
		al_progress_add(r->o->prog, it->got);
		if (!(it->path = strdup(x->final)))
			return al_fail(err, AL_ENOMEM, "out of memory");
	}
	return rc;
}

/*
 * Opens the .part (locked: one writer) and hashes what it holds, to be continued. Only
 * transfers about to start hold one open, so a model of many files needs few descriptors.
 */
static enum al_code x_open(struct run *r, struct xfer *x, struct al_err *err)
{
	struct al_fetch_item *it = x->it;
	uint64_t len = 0;
	enum al_code rc;
	struct stat st;
	x->off = 0;
	x->fd = open(x->part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (x->fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot open '%s'", x->part);
	if (flock(x->fd, LOCK_EX | LOCK_NB) != 0)
		return al_fail_errno(err, AL_EIO, "cannot lock '%s' (is another airlock downloading '%s'?)",
				     x->part, it->what);
	if (fstat(x->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return al_fail_errno(err, AL_EIO, "'%s' is not a regular file", x->part);
	if ((rc = hash_start(x, err)))
		return rc;
	if (it->size >= 0 && (uint64_t)st.st_size > (uint64_t)it->size)
		return part_reset(r, x, err);
	if ((rc = hash_existing(r, x, x->fd, x->part, &len, err)))
		return rc;
	x->off = len;
	al_progress_add(r->o->prog, len);
	return AL_OK;
}

/* Closes the .part; what it holds stays for later (and leaves the progress count unless kept). */
static void x_close(struct run *r, struct xfer *x, int keep_progress)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (x->hashing) {
		al_sha256_release(&x->sha);
		al_gitblob_release(&x->git);
		x->hashing = 0;
	}
	if (!keep_progress && r->o->prog)
		atomic_fetch_sub(&r->o->prog->done, x->off);
	x->off = 0;
}

/* The verified .part becomes the cache entry. */
static enum al_code x_finish(struct run *r, struct xfer *x, struct al_err *err)
{
	struct al_fetch_item *it = x->it;
	enum al_code rc;
	char *dir;
	if (!it)
		return AL_OK;
	if (it->size >= 0 && x->off != (uint64_t)it->size)
		rc = al_fail(err, AL_EVERIFY, "size mismatch for '%s' (%s): expected %lld bytes, got %llu", it->what,
			     x->url, (long long)it->size, (unsigned long long)x->off);
	else
		rc = hash_check(x, "", err);
	if (rc) { /* bad bytes are not kept for a resume */
		unlink(x->part);
		return rc;
	}
	it->got = x->off;
	/* not flushed: a cache entry is hashed again whenever it is used, so one that a crash
	 * left torn is found and fetched anew; the bundle's copy is what is made durable */
	if (rename(x->part, x->final) != 0)
		return al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", x->part, x->final);
	x_close(r, x, 1); /* (the rename kept the lock to the end) */
	dir = al_dirname(x->final);
	rc = dir ? al_fsync_dir(dir, err) : al_fail(err, AL_ENOMEM, "out of memory");
	free(dir);
	if (!rc && !(it->path = strdup(x->final)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	return rc;
}

static int transient_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* The first of a registry's {"errors":[{"code","message"}]} in an error body, as " (CODE: message)". */
static void registry_error(const struct xfer *x, char *out, size_t cap)
{
	json_t *j = x->nerrbody ? json_loadb(x->errbody, x->nerrbody, 0, NULL) : NULL;
	const json_t *e = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = al_json_str(e, "code"), *msg = al_json_str(e, "message");
	if (code && *code) {
		snprintf(out, cap, " (%.64s%s%.200s)", code, msg && *msg ? ": " : "", msg ? msg : "");
		for (char *c = out; *c; c++) /* it goes into messages */
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	json_decref(j);
}

static enum al_code http_error(struct run *r, struct xfer *x, struct al_err *err)
{
	const struct al_fetch_opts *o = r->o;
	char code[320] = "";
	if (x->error_code[0])
		snprintf(code, sizeof(code), " (%s)", x->error_code);
	else
		registry_error(x, code, sizeof(code));
	if (x->status == 401 || x->status == 403) {
		if (x->auth && (o->token || o->user))
			return al_fail(err, AL_EINVAL, "'%s': HTTP %ld%s from %s: the %s %s was refused or lacks access",
				       x->what, x->status, code, x->url, o->token ? "bearer token from" : "password of",
				       o->token_from ? o->token_from : "the options");
		return al_fail(err, AL_EINVAL, "'%s': HTTP %ld%s from %s: no credential was sent%s", x->what, x->status,
			       code, x->url,
			       !x->auth ? "" : o->auth_hint ? o->auth_hint : " (set HF_TOKEN or give --hf-token-file)");
	}
	if (x->status == 404)
		return al_fail(err, AL_ENOENT, "'%s': not found (HTTP 404%s from %s)", x->what, code, x->url);
	return al_fail(err, AL_EIO, "'%s': HTTP %ld%s from %s", x->what, x->status, code, x->url);
}

/*
 * A transfer ended. Returns AL_OK with x->state set to X_DONE (finished) or X_WAIT
 * (to be retried after x->not_before), or the permanent error.
 */
static enum al_code x_done(struct run *r, struct xfer *x, CURLcode res, struct al_err *err)
{
	const struct al_fetch_opts *o = r->o;
	unsigned retries = o->retries ? o->retries : DEF_RETRIES;
	double delay;
	char why[CURL_ERROR_SIZE + 64];
	enum al_code rc;
	char *eff = NULL;
	curl_multi_remove_handle(r->m, x->h);
	x->state = X_WAIT;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->werr.code) {
		if (x->it && x->werr.code == AL_EIO && x->status == 206 && !x->restarted) {
			/* a 206 for other bytes than asked: start over once */
			x->restarted = 1;
			al_err_clear(&x->werr);
			if ((rc = part_reset(r, x, err)))
				return rc;
			x->not_before = 0;
			return AL_OK;
		}
		if (x->it && x->werr.code == AL_EVERIFY) /* more bytes than declared: not a prefix to resume */
			unlink(x->part);
		al_fail(err, x->werr.code, "%s", x->werr.msg);
		return al_err_prefix(err, "'%s' (%s)", x->what, x->url);
	}
	if (res == CURLE_OK && curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff &&
	    strcmp(eff, x->url) && (rc = al_fetch_url_allowed(eff, o->plain_http, err)))
		return al_err_prefix(err, "'%s' (%s) was redirected", x->what, x->url);
	if (res != CURLE_OK) {
		if (!transient_curl(res)) {
			const char *hint = (res == CURLE_PEER_FAILED_VERIFICATION || res == CURLE_SSL_CACERT_BADFILE ||
					    res == CURLE_SSL_CONNECT_ERROR)
						   ? " (TLS is verified: give the CA that signed the server's certificate with --ca-file)"
						   : "";
			return al_fail(err, AL_EIO, "'%s': cannot fetch %s: %s%s", x->what, x->url,
				       x->curlerr[0] ? x->curlerr : curl_easy_strerror(res), hint);
		}
		snprintf(why, sizeof(why), "%s", x->curlerr[0] ? x->curlerr : curl_easy_strerror(res));
	} else if (x->status >= 200 && x->status < 300) {
		if (x->it && !x->body_started && (rc = body_begin(r, x, err))) /* an empty body */
			return rc;
		x->state = X_DONE;
		return x_finish(r, x, err);
	} else if ((x->status == 401 && x->allow_401) || (x->status == 404 && x->allow_404)) {
		x->state = X_DONE; /* the caller answers the challenge, or reads "not there" */
		return AL_OK;
	} else if (x->status == 416 && x->it && x->req_from > 0 && !x->restarted) {
		x->restarted = 1; /* the .part is not a prefix the server knows: start over, once */
		if ((rc = part_reset(r, x, err)))
			return rc;
		x->not_before = 0;
		return AL_OK;
	} else if (x->status == 408 || x->status == 429 || x->status >= 500) {
		snprintf(why, sizeof(why), "HTTP %ld%s%s%s", x->status, x->error_code[0] ? " (" : "", x->error_code,
			 x->error_code[0] ? ")" : "");
	} else {
		return http_error(r, x, err);
	}
	if (x->attempt >= retries)
		return al_fail(err, AL_EIO, "'%s': cannot fetch %s: %s (gave up after %u attempts)", x->what, x->url,
			       why, x->attempt + 1);
	delay = (double)(o->backoff_ms ? o->backoff_ms : DEF_BACKOFF_MS) / 1000.0;
	for (unsigned i = 0; i < x->attempt && delay < MAX_BACKOFF_MS / 1000.0; i++)
		delay *= 2;
	if (delay > MAX_BACKOFF_MS / 1000.0)
		delay = MAX_BACKOFF_MS / 1000.0;
	if (x->retry_after[0]) {
		int64_t ra = al_retry_after_parse(x->retry_after, (int64_t)time(NULL));
		if (ra >= 0)
			delay = (double)(ra < MAX_RETRY_AFTER ? ra : MAX_RETRY_AFTER);
	}
	x->attempt++;
	x->not_before = now_mono() + delay;
	if (x->it)
		x_close(r, x, 0); /* reopened, and its bytes counted again, when it starts over */
	return AL_OK;
}

static void x_release(struct xfer *x)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	if (x->fd >= 0)
		close(x->fd);
	if (x->hashing) {
		al_sha256_release(&x->sha);
		al_gitblob_release(&x->git);
	}
	free(x->part);
	free(x->final);
	free(x->link);
	curl_slist_free_all(x->hdrs);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}

/* The loop: starts transfers as slots free up, collects their ends, waits out backoffs. */
static enum al_code run_all(struct run *r, struct xfer *xs, size_t n, struct al_err *err)
{
	unsigned conns = r->o->connections ? r->o->connections : DEF_CONNECTIONS;
	size_t done = 0, running = 0;
	enum al_code rc = AL_OK;
	for (size_t i = 0; i < n; i++)
		if (xs[i].state == X_DONE)
			done++;
	curl_multi_setopt(r->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
	while (done < n && !rc) {
		double now = now_mono(), next = now + 1.0;
		int still = 0, left = 0, timeout;
		CURLMsg *msg;
		for (size_t i = 0; i < n && running < conns && !rc; i++) {
			int fin = 0;
			if (xs[i].state != X_WAIT)
				continue;
			if (xs[i].not_before > now) {
				if (xs[i].not_before < next)
					next = xs[i].not_before;
				continue;
			}
			if (xs[i].it && xs[i].fd < 0)
				rc = x_open(r, &xs[i], err);
			if (!rc)
				rc = x_start(r, &xs[i], &fin, err);
			if (!rc && fin) {
				xs[i].state = X_DONE;
				rc = x_finish(r, &xs[i], err);
				done++;
			} else if (!rc) {
				running++;
			}
		}
		if (rc || done == n)
			break;
		if (curl_multi_perform(r->m, &still) != CURLM_OK) {
			rc = al_fail(err, AL_EIO, "the transfers failed (curl_multi_perform)");
			break;
		}
		while (!rc && (msg = curl_multi_info_read(r->m, &left))) {
			struct xfer *x = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (size_t i = 0; i < n && !x; i++)
				if (xs[i].h == msg->easy_handle && xs[i].state == X_RUN)
					x = &xs[i];
			if (!x)
				continue;
			running--;
			rc = x_done(r, x, msg->data.result, err);
			if (!rc && x->state == X_DONE)
				done++;
			if (!rc && x->state == X_WAIT && x->not_before < next)
				next = x->not_before;
		}
		if (rc || done == n)
			break;
		timeout = (int)((next - now_mono()) * 1000);
		if (timeout < 0)
			timeout = 0;
		if (timeout > 1000)
			timeout = 1000;
		if (curl_multi_poll(r->m, NULL, 0, timeout, NULL) != CURLM_OK) {
			rc = al_fail(err, AL_EIO, "the transfers failed (curl_multi_poll)");
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (xs[i].state == X_RUN && xs[i].h)
			curl_multi_remove_handle(r->m, xs[i].h);
	return rc;
}

static enum al_code run_init(struct run *r, const struct al_fetch_opts *o, struct al_err *err)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return al_fail(err, AL_EIO, "cannot start libcurl");
	r->m = curl_multi_init();
	r->buf = malloc(AL_IO_CHUNK);
	if (!r->m || !r->buf)
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

static void run_release(struct run *r)
{
	if (r->m)
		curl_multi_cleanup(r->m);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void al_fetch_item_release(struct al_fetch_item *it)
{
	free(it->url);
	free(it->what);
	free(it->path);
	memset(it, 0, sizeof(*it));
}

enum al_code al_fetch_all(const struct al_fetch_opts *o, struct al_fetch_item *items, size_t n,
			  struct al_err *err)
{
	struct run r;
	struct xfer *xs;
	enum al_code rc;
	char *tmp;
	if (!n)
		return AL_OK;
	if (!o->cache || !*o->cache)
		return al_fail(err, AL_EINVAL, "no download cache directory (give --cache DIR)");
	for (size_t i = 0; i < n; i++) {
		size_t el = items[i].check == AL_CHECK_GITBLOB ? 40 : AL_HEX_LEN;
		if (strlen(items[i].expect) != el || strspn(items[i].expect, "0123456789abcdef") != el ||
		    (items[i].check == AL_CHECK_GITBLOB && items[i].size < 0))
			return al_fail(err, AL_EINVAL, "'%s': no valid digest to check it against", items[i].what);
		if ((rc = al_fetch_url_allowed(items[i].url, o->plain_http, err)))
			return al_err_prefix(err, "'%s'", items[i].what);
	}
	if (o->prog) {
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += items[i].size > 0 ? (uint64_t)items[i].size : 0;
		atomic_store(&o->prog->total, total);
		atomic_store(&o->prog->done, 0);
	}
	tmp = al_strf("%s/tmp", o->cache);
	rc = tmp ? al_mkdirs(tmp, err) : al_fail(err, AL_ENOMEM, "out of memory");
	free(tmp);
	if (rc)
		return rc;
	xs = calloc(n, sizeof(*xs));
	if (!xs)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!(rc = run_init(&r, o, err))) {
		for (size_t i = 0; i < n && !rc; i++) {
			int hit = 0;
			xs[i].fd = -1;
			xs[i].it = &items[i];
			xs[i].url = items[i].url;
			xs[i].what = items[i].what;
			xs[i].auth = items[i].auth;
			rc = x_prepare(&r, &xs[i], &hit, err);
			xs[i].state = hit ? X_DONE : X_WAIT;
		}
		if (!rc)
			rc = run_all(&r, xs, n, err);
	}
	for (size_t i = 0; i < n; i++) {
		if (xs[i].it || xs[i].h)
			x_release(&xs[i]);
	}
	free(xs);
	run_release(&r);
	return rc;
}

/* REF (a Link or Location value) resolved against URL into *full (fresh); *same is 1 when
 * it is on URL's own origin (scheme, host and port), where a credential may follow it. */
static enum al_code resolve_ref(const char *url, const char *ref, const char *what, char **full, int *same,
				struct al_err *err)
{
	CURLU *u = curl_url(), *v = curl_url();
	char *f = NULL, *o1 = NULL, *o2 = NULL, *h1 = NULL, *h2 = NULL, *p1 = NULL, *p2 = NULL;
	enum al_code rc = AL_OK;
	*full = NULL;
	if (!u || !v || curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_set(u, CURLUPART_URL, ref, 0) ||
	    curl_url_get(u, CURLUPART_URL, &f, 0) || curl_url_set(v, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &o1, 0) || curl_url_get(v, CURLUPART_SCHEME, &o2, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &h1, 0) || curl_url_get(v, CURLUPART_HOST, &h2, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &p1, CURLU_DEFAULT_PORT) ||
	    curl_url_get(v, CURLUPART_PORT, &p2, CURLU_DEFAULT_PORT))
		rc = al_fail(err, AL_EIO, "'%s': cannot read the link '%s' that %s answered", what, ref, url);
	else if (!(*full = strdup(f)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else
		*same = !strcasecmp(o1, o2) && !strcasecmp(h1, h2) && !strcmp(p1, p2);
	curl_free(f);
	curl_free(o1);
	curl_free(o2);
	curl_free(h1);
	curl_free(h2);
	curl_free(p1);
	curl_free(p2);
	curl_url_cleanup(u);
	curl_url_cleanup(v);
	return rc;
}

/* The rel="next" link LINK of a page fetched from URL, resolved against it and only on its
 * own origin (the token goes nowhere else): a fresh string in *next. */
static enum al_code next_link(const char *url, const char *link, const char *what, char **next,
			      struct al_err *err)
{
	int same = 0;
	enum al_code rc = resolve_ref(url, link, what, next, &same, err);
	if (!rc && !same) {
		rc = al_fail(err, AL_EIO, "'%s': the next-page link of %s leads to another server (%s); refused", what,
			     url, *next);
		free(*next);
		*next = NULL;
	}
	return rc;
}

/* One GET into memory (cap b->max), with an Accept header when `accept` is given; what
 * else was answered into ans and the next-page link into *link, when asked. */
static enum al_code fetch_mem(const struct al_fetch_opts *o, const char *url, int auth, const char *what,
			      const char *accept, struct al_buf *b, struct al_fetch_answer *ans, char **link,
			      struct al_err *err)
{
	struct run r;
	struct xfer x;
	enum al_code rc;
	if ((rc = al_fetch_url_allowed(url, o->plain_http, err)))
		return al_err_prefix(err, "'%s'", what);
	memset(&x, 0, sizeof(x));
	x.fd = -1;
	x.url = url;
	x.what = what;
	x.auth = auth;
	x.mem = b;
	x.allow_401 = ans && ans->allow_401;
	if (accept) {
		char *h = al_strf("Accept: %s", accept);
		x.hdrs = h ? curl_slist_append(NULL, h) : NULL;
		free(h);
		if (!x.hdrs)
			return al_fail(err, AL_ENOMEM, "out of memory");
	}
	if (!(rc = run_init(&r, o, err)))
		rc = run_all(&r, &x, 1, err);
	if (!rc && ans) {
		ans->status = x.status;
		memcpy(ans->ctype, x.ctype, sizeof(ans->ctype));
		memcpy(ans->digest, x.digest, sizeof(ans->digest));
		memcpy(ans->challenge, x.challenge, sizeof(ans->challenge));
	}
	if (!rc && link && x.link) {
		*link = x.link;
		x.link = NULL;
	}
	x_release(&x);
	run_release(&r);
	return rc;
}

enum al_code al_fetch_get(const struct al_fetch_opts *o, const char *url, const char *accept, int auth,
			  const char *what, struct al_buf *b, struct al_fetch_answer *ans, struct al_err *err)
{
	return fetch_mem(o, url, auth, what, accept, b, ans, NULL, err);
}

enum al_code al_fetch_json(const struct al_fetch_opts *o, const char *url, int auth, const char *what,
			   size_t max, json_t **out, char **next, struct al_err *err)
{
	struct al_buf b;
	char *link = NULL;
	enum al_code rc;
	*out = NULL;
	if (next)
		*next = NULL;
	al_buf_init(&b, max);
	rc = fetch_mem(o, url, auth, what, NULL, &b, NULL, &link, err);
	if (!rc)
		rc = al_json_parse(b.data, b.len, url, out, err);
	if (rc == AL_EVERIFY) /* malformed JSON from upstream is an upstream failure, not a bad bundle */
		rc = err->code = AL_EIO;
	if (!rc && next && link)
		rc = next_link(url, link, what, next, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	free(link);
	al_buf_release(&b);
	return rc;
}

/* ---- requests with a method and a body, on a kept connection ---- */

struct al_fetch_conn {
	struct run r;
	CURL *h;                         /* kept between requests, with its connection */
};

enum al_code al_fetch_conn_new(struct al_fetch_conn **out, struct al_err *err)
{
	struct al_fetch_conn *c = calloc(1, sizeof(*c));
	enum al_code rc;
	*out = NULL;
	if (!c)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = run_init(&c->r, NULL, err))) {
		run_release(&c->r);
		free(c);
		return rc;
	}
	*out = c;
	return AL_OK;
}

void al_fetch_conn_free(struct al_fetch_conn *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	run_release(&c->r);
	free(c);
}

/* Accept, Content-Type and Content-Range as asked, and no "Expect: 100-continue" wait. */
static enum al_code req_headers(const struct al_fetch_req *q, struct curl_slist **out, struct al_err *err)
{
	const char *names[] = { "Accept", "Content-Type", "Content-Range" };
	const char *vals[] = { q->accept, q->ctype, q->content_range };
	struct curl_slist *l = curl_slist_append(NULL, "Expect:"), *t;
	for (size_t i = 0; i < 3 && l; i++) {
		char *h = vals[i] ? al_strf("%s: %s", names[i], vals[i]) : NULL;
		if (vals[i] && (!h || !(t = curl_slist_append(l, h)))) {
			curl_slist_free_all(l);
			l = NULL;
		}
		free(h);
	}
	*out = l;
	return l ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

enum al_code al_fetch_send(const struct al_fetch_opts *o, struct al_fetch_conn *c, const struct al_fetch_req *q,
			   struct al_fetch_answer *ans, struct al_err *err)
{
	struct xfer x;
	enum al_code rc;
	int same = 1;
	char *loc = NULL;
	if ((rc = al_fetch_url_allowed(q->url, o->plain_http, err)))
		return al_err_prefix(err, "'%s'", q->what);
	memset(&x, 0, sizeof(x));
	x.fd = -1;
	x.url = q->url;
	x.what = q->what;
	x.auth = q->auth;
	x.req = q;
	x.mem = q->reply;
	x.allow_401 = ans->allow_401;
	x.allow_404 = ans->allow_404;
	x.h = c->h;
	c->h = NULL;
	if (!(rc = req_headers(q, &x.hdrs, err))) {
		c->r.o = o;
		rc = run_all(&c->r, &x, 1, err);
		c->r.o = NULL;
	}
	c->h = x.h; /* kept, with its connection, for the next request */
	x.h = NULL;
	ans->status = x.status;
	memcpy(ans->ctype, x.ctype, sizeof(ans->ctype));
	memcpy(ans->digest, x.digest, sizeof(ans->digest));
	memcpy(ans->challenge, x.challenge, sizeof(ans->challenge));
	memcpy(ans->range, x.range, sizeof(ans->range));
	ans->location[0] = '\0';
	if (!rc && x.location[0] && !(rc = resolve_ref(q->url, x.location, q->what, &loc, &same, err))) {
		if (!same || strlen(loc) >= sizeof(ans->location))
			rc = al_fail(err, AL_EIO, "'%s': %s %s answered a Location on another server or too long (%.200s); "
				     "airlock sends a request on only to the server it began with", q->what, q->method,
				     q->url, loc);
		else
			memcpy(ans->location, loc, strlen(loc) + 1);
	}
	free(loc);
	x_release(&x);
	return rc;
}
