/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve.h: `airlock serve` (docs/cmd/serve.md; the protocols in docs/protocols/,
 * its place in docs/ARCHITECTURE.md "Source layout"). libmicrohttpd
 * does HTTP; everything a request needs comes from an immutable in-memory
 * snapshot of the catalog (struct sv_snap), taken in one read transaction and
 * swapped whole when the catalog changes. Requests hold a reference to the
 * snapshot they started with, so an import never shows half of itself.
 *
 * Bodies of blobs are sent from the file (sendfile) and never read into
 * memory; small things (manifests, index pages, model info) are in the
 * snapshot.
 */
#ifndef AL_SERVE_H
#define AL_SERVE_H

#include <microhttpd.h>
#include <sqlite3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "bundle.h"
#include "err.h"
#include "hash.h"

/* ------------------------------------------------------------------ snapshot */

struct sv_blob {              /* one blob, as a member of an OCI repository */
	const char *repo;
	char digest[AL_DIGEST_STR];
	const char *media_type;
	uint64_t size;
	char *body;               /* manifests and indexes: their exact bytes; else NULL */
};

struct sv_tag {
	const char *repo, *tag;
	const struct sv_blob *manifest;
	int pushed;               /* from a push, not a bundle: an imported tag always wins */
	int unsigned_;            /* from a bundle imported with --allow-unsigned */
};

struct sv_referrer {          /* a manifest whose subject is another (distribution-spec 1.1) */
	const char *repo;
	char subject[AL_DIGEST_STR];
	const struct sv_blob *manifest;
	const char *artifact_type; /* or NULL */
	const char *annotations;  /* JSON object text, or NULL */
};

struct sv_path {              /* a file served by path: packages/…, files/… */
	const char *path;
	char digest[AL_DIGEST_STR];
	const char *media_type;
	uint64_t size;
};

struct sv_mfile {             /* a file of a model */
	const char *path;
	char digest[AL_DIGEST_STR];
	uint64_t size;
};

struct sv_model {
	const char *repo;
	char commit[41];
	const char *revision;     /* as recorded, or NULL */
	const char *created;
	struct sv_mfile *files;   /* sorted by path */
	size_t nfiles;
	char *info, *info_blobs;  /* /api/models JSON, without and with ?blobs=true */
};

struct sv_page {
	const char *project;      /* "" for the root */
	char *html, *json;
};

struct sv_snap {
	atomic_uint refs;
	struct sv_blob *blobs;    /* sorted by repo, digest */
	size_t nblobs;
	struct sv_tag *tags;      /* sorted by repo, tag */
	size_t ntags;
	struct sv_referrer *referrers; /* sorted by repo, subject */
	size_t nreferrers;
	const char **repos;       /* sorted, unique */
	size_t nrepos;
	struct sv_path *paths;    /* sorted by path */
	size_t npaths;
	struct sv_model *models;  /* sorted by repo */
	size_t nmodels;
	struct sv_page *pages;    /* sorted by project */
	size_t npages;
	char *home;               /* the / page */
	size_t home_len;
	/* for /metrics */
	uint64_t store_blobs, store_bytes;
	uint64_t artifacts[8];    /* by enum al_kind */
	int64_t last_import;      /* 0 when none */
	int last_import_ok;
	uint64_t failures;
	int64_t loaded;
	struct sv_expiry {        /* each imported bundle's expiry, for an alert before it comes */
		const char *name;
		int64_t version, expires;
	} *expiry;
	size_t nexpiry;
	struct sv_channel {       /* each release channel and the release on it (the top of its stack) */
		const char *name, *release;
		int64_t since;
	} *channels;
	size_t nchannels;
	const char *channel;      /* serve --channel: the channel served, or NULL (everything) */
	const char *channel_release; /* and the release on it now */
	int64_t release_id;       /* its row, or 0 */
	char **strings;           /* every string the tables point into, freed with the snapshot */
	size_t nstrings, cstrings;
};

/*
 * Loads the whole snapshot from the catalog at ROOT/catalog.db, in one read transaction.
 * With CHANNEL, only the artifacts of the release on that channel now (images, wheels and
 * their index pages, files, models), and nothing pushed; a channel with no release is
 * AL_ENOENT.
 */
enum al_code sv_snap_load(const char *root, const char *channel, struct sv_snap **out, struct al_err *err);
void sv_snap_put(struct sv_snap *s);

const struct sv_blob *sv_snap_blob(const struct sv_snap *s, const char *repo, const char *digest);
const struct sv_tag *sv_snap_tag(const struct sv_snap *s, const char *repo, const char *tag);
/* The first tag of REPO after LAST (or the first at all), as an index into s->tags. */
size_t sv_snap_tags_from(const struct sv_snap *s, const char *repo, const char *last);
/* The first referrer of SUBJECT in REPO, as an index into s->referrers (== n when none). */
size_t sv_snap_referrers(const struct sv_snap *s, const char *repo, const char *subject);
int sv_snap_has_repo(const struct sv_snap *s, const char *repo);
const struct sv_path *sv_snap_path(const struct sv_snap *s, const char *path);
const struct sv_model *sv_snap_model(const struct sv_snap *s, const char *repo);
const struct sv_page *sv_snap_page(const struct sv_snap *s, const char *project);

/* ------------------------------------------------------------------ server */

/*
 * What the server reports while it runs goes to the caller's log callback,
 * one line (no newline) at a time, never printed by the server itself:
 * SV_LOG_LISTENING once, with "http://HOST:PORT/" (or https), when it
 * accepts connections; SV_LOG_WARNING for what an operator should see (a
 * catalog that changed but cannot be read, a refused non-HTTP request).
 * The callback may be called from any thread, and must not block for long.
 * With no callback, nothing is reported.
 */
enum sv_log_kind { SV_LOG_LISTENING, SV_LOG_WARNING };
typedef void sv_log_fn(void *ctx, enum sv_log_kind kind, const char *line);


enum sv_route {
	SV_R_OCI, SV_R_PYPI, SV_R_PACKAGES, SV_R_HF_API, SV_R_HF_RESOLVE, SV_R_FILES, SV_R_METRICS,
	SV_R_HEALTHZ, SV_R_PAGE, SV_R_OTHER, SV_R_COUNT
};
enum sv_method { SV_GET, SV_HEAD, SV_POST, SV_PUT, SV_PATCH, SV_DELETE, SV_OPTIONS, SV_M_OTHER, SV_M_COUNT };

#define SV_HIST_BUCKETS 12
#define SV_CODES 24

struct sv_metrics {
	atomic_ulong requests[SV_R_COUNT][SV_M_COUNT][SV_CODES];
	atomic_ulong sent[SV_R_COUNT];
	atomic_ulong hist[SV_R_COUNT][SV_HIST_BUCKETS + 1];
	atomic_ulong sum_ns[SV_R_COUNT];
	atomic_ulong push_blobs, push_mounts, push_manifests; /* committed by pushes */
	atomic_ulong upload_bytes; /* body bytes received by uploads (kept or not) */
};

struct sv_upload;

/*
 * A client may pause for the timeout, plus one second for each SV_PAUSE_RATE
 * bytes it took (or sent) in its last burst: clients that read in bursts
 * (curl --limit-rate drains the socket, then sleeps until its average rate
 * allows more) are not cut off, and one that took nothing is cut on time.
 */
#define SV_PAUSE_RATE (1u << 20)

/*
 * One connection, while it is open: for cutting off clients too slow to send a
 * head, and clients that make no progress at all (see cut_slow in server.c).
 * The progress fields are touched only by the main loop, under conns_lock.
 */
struct sv_conn {
	int fd;
	_Atomic int64_t since_ns; /* waiting for a request head (or a refused body) since (monotonic), or 0 */
	int64_t moved_ns;         /* when the kernel last saw bytes move either way */
	int64_t grace_ns;         /* the pause those bytes bought (SV_PAUSE_RATE) */
	uint64_t rx, acked;       /* TCP_INFO byte counts as of moved_ns */
	struct sv_conn *prev, *next;
};

struct sv_server {
	char *root;
	char *channel;            /* serve --channel, or NULL */
	int blobs_fd;             /* ROOT/blobs/sha256 */
	char *token;              /* push token, or NULL: read-only */
	int log_fd;
	pthread_mutex_t lock;     /* guards snap and the uploads list */
	struct sv_snap *snap;
	struct sv_upload *uploads;
	struct sv_metrics m;
	struct MHD_Daemon *daemon;
	int tls;
	_Atomic int64_t loaded_ns; /* when the current snapshot's load started (monotonic) */
	sqlite3 *watch;           /* read-only, serialized: data_version as of each load */
	pthread_mutex_t conns_lock;
	struct sv_conn *conns;    /* every open connection */
	atomic_ulong nconns;      /* how many (for /metrics) */
	sv_log_fn *log;           /* see struct sv_opts */
	void *log_ctx;
	double started;           /* when the server started (epoch seconds) */
	int64_t head_timeout_ns;
	_Atomic int64_t watch_seen;
};

/* One request: what the router and the log need. */
struct sv_req {
	struct sv_server *srv;
	struct MHD_Connection *conn;
	struct sv_snap *snap;
	enum sv_method method;
	const char *method_name;
	char *path;               /* the raw path as received (no query) */
	enum sv_route route;
	unsigned status;
	uint64_t bytes;           /* the body to send; after an abort, what the client took */
	uint64_t acked0;          /* the connection's TCP bytes acknowledged when the head came */
	int aborted;              /* the exchange ended before the whole answer was sent */
	struct timespec t0;
	/* decoded path segments (after the route prefix is known) */
	char **seg;
	size_t nseg;
	int trailing_slash;
	int bad_path;             /* a segment was '.', '..', empty, or decoded to a NUL/control */
	int slash_seg;            /* index + 1 of the first segment with an encoded '/', or 0 */
	char *hname[16], *hval[16]; /* headers for the next reply */
	size_t nh;
	char *keep[16];           /* decoded query arguments */
	size_t nkeep;
	const char *uri_end;      /* where the target's C string ends (see on_uri) */
	int started, route_done;
	/* a request body (push) */
	int op;
	char *oname, *oref;
	struct sv_upload *up;
	int body_started;
	int has_body;             /* data came with the call that dispatched */
	int final;                /* the body is complete */
	struct MHD_Response *pending; /* an answer given before the body ended, sent when it has */
	unsigned pending_status;
	unsigned deferred_status; /* an error found while the body streamed in */
	char *deferred_code, *deferred_msg;
	struct al_sha256 *mhash;  /* manifest body hash */
	char *mbody;              /* a manifest body being received */
	size_t mlen;
	int mtoo_big;
	/* a small body read whole before the answer (paths-info) */
	int small_body;
	struct al_buf sbody;
	size_t resolve_at;        /* HF files: how many segments name the repo (1 or 2) */
};

/* The most a small body (paths-info) may hold. */
#define SV_SMALL_BODY (1u << 20)
/* A body up to this size (a manifest, paths-info) is read before it is answered, refused or not. */
#define SV_READ_FIRST (256u << 10)

/* Replies (each queues a response and records status and bytes in RQ). */
enum MHD_Result sv_reply(struct sv_req *rq, unsigned status, const char *content_type, const void *body,
			 size_t len);
enum MHD_Result sv_reply_text(struct sv_req *rq, unsigned status, const char *text);
/* B's bytes (B is released), or a 500 when B failed (sticky buffer error): never a part of an answer. */
enum MHD_Result sv_reply_buf(struct sv_req *rq, unsigned status, const char *content_type, struct al_buf *b);
enum MHD_Result sv_reply_redirect(struct sv_req *rq, unsigned status, const char *location);
/* A blob of the store, with Range, ETag and If-None-Match; HEADERS are extra "Name", "value" pairs. */
enum MHD_Result sv_reply_blob(struct sv_req *rq, const char *digest, uint64_t size, const char *content_type,
			      const char *const *headers);
/* The OCI error body. */
enum MHD_Result sv_oci_error(struct sv_req *rq, unsigned status, const char *code, const char *fmt, ...)
	AL_PRINTF(4, 5);
/* Adds a header to the response about to be queued (up to 16). */
void sv_header(struct sv_req *rq, const char *name, const char *value);

const char *sv_arg(struct sv_req *rq, const char *name); /* a decoded query argument, or NULL */
const char *sv_hdr(struct sv_req *rq, const char *name);
/* Percent-decodes N bytes of IN into a new string; -1 on a bad escape, a NUL or a control. */
int sv_decode(const char *in, size_t n, char **out);
/* Splits REST (the path after a route's prefix) into rq->seg. */
int sv_split(struct sv_req *rq, const char *rest);

/* Handlers: return the MHD result of the queued reply. */
enum MHD_Result sv_oci(struct sv_req *rq, const char *upload, size_t *upload_size);
enum MHD_Result sv_pypi(struct sv_req *rq);
enum MHD_Result sv_packages(struct sv_req *rq);
enum MHD_Result sv_files(struct sv_req *rq);
enum MHD_Result sv_hf_api(struct sv_req *rq);
/* A POST under /api/: 1 when its body is to be read (paths-info), else 0 with *RET queued. */
int sv_hf_post(struct sv_req *rq, enum MHD_Result *ret);
enum MHD_Result sv_hf_paths_info(struct sv_req *rq, const char *body, size_t len);
/* llama.cpp's GGUF manifest (GET /v2/{user}/{model}/manifests/{tag} with User-Agent llama-cpp). */
enum MHD_Result sv_hf_gguf_manifest(struct sv_req *rq, const struct sv_model *m, const char *tag);
enum MHD_Result sv_hf_resolve(struct sv_req *rq, size_t resolve_at);
enum MHD_Result sv_metrics(struct sv_req *rq);
void sv_uploads_expire(struct sv_server *srv, int64_t now);
void sv_upload_release(struct sv_req *rq);
enum al_code sv_reload(struct sv_server *srv, struct al_err *err);
struct sv_conn *sv_conn_of(struct MHD_Connection *c);
unsigned sv_code_at(size_t i);
extern const double sv_buckets[SV_HIST_BUCKETS];

struct sv_opts {
	const char *root, *listen, *token_file, *tls_cert, *tls_key, *access_log;
	const char *channel;      /* serve only this channel's release, or NULL */
	unsigned threads, timeout, max_conn;
	sv_log_fn *log;           /* borrowed; may be NULL */
	void *log_ctx;
};
/* Runs until SIGINT/SIGTERM. */
enum al_code sv_run(const struct sv_opts *o, struct al_err *err);

#endif
