/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch.h: the downloader behind `from:` sources (docs/cmd/bundle-create.md "Remote
 * sources"). libcurl's multi interface runs a bounded number of transfers at once;
 * each file streams into a `.part` in the download cache while it is hashed, and
 * becomes a cache entry (named by its digest) only once its digest matched.
 *
 * Invariants:
 * - nothing is fetched that no item names (no phone-home): the library opens no
 *   connection of its own;
 * - a cache entry always holds the bytes its name says; one that does not (damaged
 *   on disk) is discarded when it is next used, never handed out;
 * - the bearer token is sent only to the host of the URL it was given for (libcurl
 *   drops it on a redirect to another host), and never appears in a message;
 * - plain http:// only to loopback hosts or hosts the caller named;
 * - TLS peers are verified, against ca_file when given.
 *
 * Memory does not grow with file sizes: bodies go to disk in the pieces libcurl
 * hands over. Small JSON answers (al_fetch_json) are capped.
 */
#ifndef AL_FETCH_H
#define AL_FETCH_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

struct al_fetch_opts {
	const char *cache;               /* the download cache directory, created when first needed (borrowed) */
	const char *ca_file;             /* PEM bundle of trusted CAs, or NULL for the system's (borrowed) */
	const char *const *plain_http;   /* hosts allowed over http://, NULL-terminated, or NULL (borrowed) */
	const char *hf_endpoint;         /* Hugging Face Hub endpoint, no trailing '/' (borrowed) */
	const char *index_url;           /* the package index ("…/simple") given on the command line: it
					    wins over a requirements file's --index-url; or NULL (borrowed) */
	const char *index_default;       /* the index when neither gives one (PIP_INDEX_URL, or PyPI's) */
	const char *token;               /* bearer token, or NULL (borrowed; never copied into messages) */
	const char *token_from;          /* where the token (or user) came from, for messages ("HF_TOKEN") */
	const char *user;                /* HTTP Basic user, sent when there is no token (registries), or NULL (borrowed) */
	const char *password;            /* its password (borrowed; never copied into messages) */
	const char *auth_hint;           /* for a 401 when no credential was sent: what to do, " (…)"; NULL: the Hub's */
	const char *registry_auth;       /* docker-style auth file for docker:// sources, or NULL (borrowed) */
	const char *registry_auth_from;  /* how it was named ("--registry-auth"), or NULL for the default
					    (~/.docker/config.json), which may be absent */
	unsigned connections;            /* transfers at once; 0 means 4 */
	unsigned retries;                /* attempts after the first for transient errors; 0 means 5 */
	unsigned backoff_ms;             /* first retry delay, doubled each time up to 30 s; 0 means 500 */
	unsigned timeout_ms;             /* a whole attempt's limit (a timeout is retried); 0: none, only the
					    connect (30 s) and stall (60 s) limits */
	struct al_progress *prog;        /* bytes fetched, may be NULL (borrowed) */
};

/* How a fetched file is checked. */
enum al_fetch_check {
	AL_CHECK_SHA256,   /* expect: the SHA-256 of the content, 64 hex */
	AL_CHECK_GITBLOB,  /* expect: the git blob id, SHA-1 of "blob <size>\0" + content, 40 hex; size required */
};

struct al_fetch_item {
	/* in */
	char *url;                       /* owned */
	char *what;                      /* owned: the reference for messages ("hf://org/m@c/x.json") */
	enum al_fetch_check check;
	char expect[AL_HEX_LEN + 1];     /* lower-case hex */
	int64_t size;                    /* the size upstream declared, or -1 */
	int auth;                        /* send the credential (bearer token, else Basic user) */
	/* out, once al_fetch_all succeeded */
	char *path;                      /* the verified cache entry (owned) */
	char sha256[AL_HEX_LEN + 1];     /* of the content */
	uint64_t got;                    /* its size */
	int cached;                      /* it was in the cache already */
};
void al_fetch_item_release(struct al_fetch_item *it);

/*
 * Fetches every item into the cache, at most o->connections at a time, each
 * verified as above. Items already cached are re-hashed, not downloaded. On the
 * first permanent failure (an HTTP error other than 408, 429 and 5xx, a digest or
 * size mismatch, retries used up) the rest are stopped and that error is returned,
 * naming the item's `what` and URL; partial downloads stay in the cache's `tmp/`
 * and are resumed with Range next time.
 */
enum al_code al_fetch_all(const struct al_fetch_opts *o, struct al_fetch_item *items, size_t n,
			  struct al_err *err);

/*
 * GETs a JSON document (at most `max` bytes) with the same rules and retries, and
 * parses it into *out (new reference). With `next`, the URL of a `Link: <…>;
 * rel="next"` header is returned there (resolved against url; caller frees), or
 * NULL. `what` names the reference for messages.
 */
enum al_code al_fetch_json(const struct al_fetch_opts *o, const char *url, int auth, const char *what,
			   size_t max, json_t **out, char **next, struct al_err *err);

/* What a server answered besides the body (al_fetch_get). */
struct al_fetch_answer {
	int allow_401;                   /* in: a 401 is an answer (status 401, challenge set), not an error */
	int allow_404;                   /* in: a 404 too (al_fetch_send: "not there") */
	long status;                     /* out: the final HTTP status */
	char ctype[128];                 /* out: Content-Type, or "" */
	char digest[128];                /* out: Docker-Content-Digest, or "" */
	char challenge[1024];            /* out: the first WWW-Authenticate, or "" */
	char location[2048];             /* out: Location resolved to a URL on the same server (al_fetch_send), or "" */
	char range[64];                  /* out: Range (al_fetch_send), or "" */
};

/*
 * GETs a document into b (al_buf_init'ed by the caller; its cap bounds it) with the same
 * rules and retries as al_fetch_json, sending `Accept: accept` when given and the
 * credential when `auth`; fills ans (see there). `what` names the reference.
 */
enum al_code al_fetch_get(const struct al_fetch_opts *o, const char *url, const char *accept, int auth,
			  const char *what, struct al_buf *b, struct al_fetch_answer *ans, struct al_err *err);

/*
 * A connection kept between requests (one at a time: not shared between threads), for
 * al_fetch_send. al_fetch_conn_free(NULL) is a no-op.
 */
struct al_fetch_conn;
enum al_code al_fetch_conn_new(struct al_fetch_conn **out, struct al_err *err);
void al_fetch_conn_free(struct al_fetch_conn *c);

/* A request with a method and, for POST, PUT and PATCH, a body (empty when neither is given). */
struct al_fetch_req {
	const char *method;              /* "HEAD", "GET", "POST", "PUT", "PATCH" */
	const char *url, *what;          /* what: the reference, for messages */
	int auth;                        /* send the credential of the options */
	const char *accept, *ctype, *content_range; /* those headers, when given */
	const void *data;                /* a body in memory, len bytes; or */
	size_t len;
	int fd;                          /* a body of n bytes read from fd at off (-1: none) */
	uint64_t off, n;
	struct al_buf *reply;            /* a 2xx body goes here (capped), or NULL: dropped */
};

/*
 * Sends q on c with the rules and retries of al_fetch_get (a body is sent again from its
 * start on a retry; body bytes count into o->prog), and fills ans. A 2xx is AL_OK; so are a
 * 401 and a 404 when ans allows them. Any other status is the error, naming q->what, the URL
 * and the registry's error code when its body gives one. A Location on another server is
 * refused: a request goes on only to the server it began with.
 */
enum al_code al_fetch_send(const struct al_fetch_opts *o, struct al_fetch_conn *c, const struct al_fetch_req *q,
			   struct al_fetch_answer *ans, struct al_err *err);

/* ---- pure helpers, exposed for tests ---- */

/*
 * Whether a URL may be fetched: https://, or http:// to a loopback host (localhost,
 * 127.0.0.0/8, ::1) or one of `plain`. AL_OK or AL_EINVAL with a message naming the URL.
 */
enum al_code al_fetch_url_allowed(const char *url, const char *const *plain, struct al_err *err);
/*
 * A Retry-After value: delay-seconds or an HTTP-date (against `now`). The delay in
 * seconds (0 for a date in the past), or -1 when it is neither.
 */
int64_t al_retry_after_parse(const char *v, int64_t now);
/* URL with the user and password it may carry shown as "***" (for messages), fresh (caller
 * frees), or NULL when out of memory. */
char *al_url_public(const char *url);
/* The URL of rel="next" in a Link header value, fresh (caller frees), or NULL. */
char *al_link_next(const char *v);

/* A git blob id, computed as the content streams. */
struct al_gitblob {
	void *ctx; /* EVP_MD_CTX, owned */
};
enum al_code al_gitblob_init(struct al_gitblob *g, uint64_t size, struct al_err *err);
void al_gitblob_update(struct al_gitblob *g, const void *p, size_t n);
/* Writes the 40 hex digits and a NUL. */
void al_gitblob_final(struct al_gitblob *g, char out[41]);
void al_gitblob_release(struct al_gitblob *g);

#endif
