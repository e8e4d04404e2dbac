/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.c: the daemon of `airlock serve`: libmicrohttpd's setup and its
 * callbacks (a request's life from its head to its end), the snapshot kept
 * fresh against the catalog, /healthz, and the main loop (signals, reloads,
 * slow clients). HTTP plumbing is in http.c, blobs and ranges in range.c,
 * connection tracking in conn.c, the access log and metrics in log.c, the
 * route table in routes.c and the protocols in oci.c, push.c, simple.c, hf.c
 * and web.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "catalog.h"
#include "fsx.h"
#include "serve.h"
#include "store.h"
#include "sv_internal.h"

/* ------------------------------------------------------------------ snapshot */

struct sv_snap *sv_snap_current(struct sv_server *srv)
{
	struct sv_snap *s;
	pthread_mutex_lock(&srv->lock);
	s = srv->snap;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&srv->lock);
	return s;
}

/* PRAGMA data_version of the shared watch connection (serialized by SQLite); -2 when it cannot be
 * read, which differs from every version seen, so the caller loads the catalog again. */
static int64_t catalog_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t v = -2;
	int row = 0;
	if (!al_catalog_prepare(db, AL_Q_DATA_VERSION, &st, NULL)) {
		if (!al_db_step(st, "reading the data version", &row, NULL) && row)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

/* Loads the catalog again unless a load that started after NOT_BEFORE (monotonic ns) is in place. */
static enum al_code reload_after(struct sv_server *srv, int64_t not_before, struct al_err *err)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	struct sv_snap *s, *old;
	enum al_code rc = AL_OK;
	int64_t start, version;
	pthread_mutex_lock(&once);
	start = sv_mono_ns();
	if (atomic_load(&srv->loaded_ns) > not_before) {
		pthread_mutex_unlock(&once);
		return AL_OK;
	}
	version = catalog_version(srv->watch);
	rc = sv_snap_load(srv->root, srv->channel, &s, err);
	if (!rc) {
		pthread_mutex_lock(&srv->lock);
		old = srv->snap;
		srv->snap = s;
		pthread_mutex_unlock(&srv->lock);
		atomic_store(&srv->loaded_ns, start);
		atomic_store(&srv->watch_seen, version);
		sv_snap_put(old);
	}
	pthread_mutex_unlock(&once);
	return rc;
}

enum al_code sv_reload(struct sv_server *srv, struct al_err *err)
{
	return reload_after(srv, sv_mono_ns(), err);
}

/*
 * Each worker thread keeps a read-only connection to the catalog and asks it,
 * per request, whether another connection has committed since it last asked
 * (PRAGMA data_version, a read of the WAL index: microseconds). So an import
 * is served from the next request on. A thread's first request asks the
 * shared connection the snapshot was loaded against instead.
 */
struct watch {
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t seen;
};
static pthread_key_t watch_key;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

static void watch_free(void *p)
{
	struct watch *w = p;
	sqlite3_finalize(w->st);
	sqlite3_close(w->db);
	free(w);
}

static void watch_init(void)
{
	pthread_key_create(&watch_key, watch_free);
}

static void freshen(struct sv_server *srv)
{
	struct watch *w;
	int64_t t, v;
	pthread_once(&watch_once, watch_init);
	w = pthread_getspecific(watch_key);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w || al_catalog_open_read(srv->root, SQLITE_OPEN_NOMUTEX, &w->db, NULL) ||
		    al_catalog_prepare(w->db, AL_Q_DATA_VERSION, &w->st, NULL)) {
			if (w)
				watch_free(w);
			return;
		}
		sqlite3_busy_timeout(w->db, 1000);
		w->seen = -1;
		pthread_setspecific(watch_key, w);
	}
	t = sv_mono_ns();
	{
		struct al_err e = { 0 };
		int row = 0;
		if (al_db_step(w->st, "reading the data version", &row, &e) || !row) {
			sqlite3_reset(w->st);
			sv_logf(srv, SV_LOG_WARNING, "%s (serving the previous state)",
				e.code ? e.msg : "the catalog's data version is missing");
			return;
		}
	}
	v = sqlite3_column_int64(w->st, 0);
	sqlite3_reset(w->st);
	if (w->seen == -1 ? catalog_version(srv->watch) != atomic_load(&srv->watch_seen) : v != w->seen) {
		struct al_err e = { 0 };
		if (reload_after(srv, t, &e))
			sv_logf(srv, SV_LOG_WARNING, "the catalog changed but cannot be read: %s (serving the previous state)",
				e.msg);
	}
	w->seen = v;
}

/* ok only while the catalog opens and reads (by path: a moved or deleted store shows) and blobs/ is there. */
enum MHD_Result sv_healthz(struct sv_req *rq)
{
	char *db = al_join(rq->srv->root, "catalog.db"), *blobs = al_join(rq->srv->root, "blobs/sha256");
	sqlite3 *h = NULL;
	struct stat st;
	const char *why = NULL;
	enum MHD_Result ret;
	if (!db || !blobs)
		why = "out of memory";
	else if (stat(blobs, &st) != 0 || !S_ISDIR(st.st_mode))
		why = "the store's blobs directory is missing";
	else if (al_catalog_open_read(rq->srv->root, 0, &h, NULL) ||
		 sqlite3_busy_timeout(h, 2000) != SQLITE_OK) /* many probes at once wait for each other */
		why = "the catalog cannot be read";
	else {
		sqlite3_stmt *q = NULL;
		int row = 0;
		if (al_catalog_prepare(h, AL_Q_HEALTH, &q, NULL) || al_db_step(q, "health", &row, NULL) || !row)
			why = "the catalog cannot be read";
		sqlite3_finalize(q);
	}
	if (h)
		sqlite3_close(h);
	free(db);
	free(blobs);
	if (why) {
		char msg[128];
		snprintf(msg, sizeof(msg), "unhealthy: %s\n", why);
		return sv_reply_text(rq, 503, msg);
	}
	ret = sv_reply_text(rq, 200, "ok\n");
	return ret;
}

/*
 * Called with the request target as libmicrohttpd cut it out of the request
 * line: the target is followed by the NUL that replaced the space before the
 * version. If the target itself held a NUL byte, its C string ends early, and
 * the handler sees that the version does not start right after it.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct sv_req *rq = calloc(1, sizeof(*rq));
	if (!rq)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &rq->t0);
	rq->srv = cls;
	rq->conn = c;
	rq->route = SV_R_OTHER;
	rq->method = SV_M_OTHER;
	rq->uri_end = uri ? uri + strlen(uri) : NULL;
	return rq;
}

static int body_method(enum sv_method m)
{
	return m == SV_POST || m == SV_PUT || m == SV_PATCH || m == SV_DELETE || m == SV_M_OTHER;
}

/* Read before it is answered: a declared body of at most SV_READ_FIRST bytes, not a blob upload. */
static int small_body(struct sv_req *rq)
{
	const char *cl = sv_hdr(rq, MHD_HTTP_HEADER_CONTENT_LENGTH), *p = rq->path;
	char *end = NULL;
	unsigned long long n;
	if (!cl || sv_hdr(rq, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return 0;
	n = strtoull(cl, &end, 10);
	if (!end || *end || end == cl || n > SV_READ_FIRST)
		return 0;
	/* /v2/NAME/blobs/uploads/…: refused before the body, whatever its size */
	return !(sv_starts(p, "/v2/") && strstr(p, "/blobs/uploads"));
}

/* The first call: the head is complete, no body has been read. */
static enum MHD_Result start(struct sv_req *rq, const char *url, const char *method, const char *version)
{
	struct sv_conn *conn = sv_conn_of(rq->conn);
	rq->started = 1;
	rq->method_name = method;
	rq->method = sv_method_of(method);
	rq->path = strdup(url);
	if (conn) {
		uint64_t rx;
		atomic_store(&conn->since_ns, 0); /* the head arrived in time */
		if (sv_tcp_counts(conn->fd, &rx, &rq->acked0))
			rq->acked0 = UINT64_MAX; /* unknown: an abort is then logged with no byte count */
	}
	freshen(rq->srv);
	rq->snap = sv_snap_current(rq->srv);
	if (!rq->path)
		return MHD_NO;
	if (!rq->uri_end || rq->uri_end + 1 != version) {
		sv_header(rq, MHD_HTTP_HEADER_CONNECTION, "close");
		return sv_reply_text(rq, 400, "the request target holds a NUL byte\n");
	}
	if (!sv_framing_ok(rq))
		return rq->status ? MHD_YES : MHD_NO;
	/*
	 * A request that may carry a body is routed now, so that a refusal (401,
	 * 403, 405, 404 of an upload) of a large body (a blob upload, or any body
	 * of unknown or large size) goes out before the client sends the body: it
	 * gets no 100 Continue, and the connection closes. The refusal of a small
	 * body (a manifest) waits until the body is read and dropped, and the
	 * connection is kept, as Go registries do: clients that write the whole
	 * body before they read (containerd) would otherwise wait for ever. Other
	 * requests are routed on the next call, which keeps their connection alive.
	 */
	if (!body_method(rq->method))
		return MHD_YES;
	rq->has_body = small_body(rq); /* a refusal then waits for the body (sv_queue) */
	return sv_dispatch(rq, NULL, &(size_t){ 0 });
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	struct sv_req *rq = *ctx;
	(void)cls;
	(void)c;
	if (!rq)
		return MHD_NO; /* on_uri ran out of memory */
	if (!rq->started)
		return start(rq, url, method, version);
	if (rq->pending) {
		enum MHD_Result ret;
		struct sv_conn *conn = sv_conn_of(c);
		if (*upload_size)
			return *upload_size = 0, MHD_YES;
		if (conn) /* the body came in time: no deadline while the answer goes out */
			atomic_store(&conn->since_ns, 0);
		ret = MHD_queue_response(c, rq->pending_status, rq->pending);
		MHD_destroy_response(rq->pending);
		rq->pending = NULL;
		return ret;
	}
	if (rq->status) /* answered: the rest of a body is not read */
		return *upload_size = 0, MHD_YES;
	if (rq->small_body) {
		if (*upload_size) {
			if (al_buf_add(&rq->sbody, upload, *upload_size, NULL)) {
				sv_header(rq, MHD_HTTP_HEADER_CONNECTION, "close");
				return sv_reply_text(rq, 413, "the request body is over 1 MiB\n");
			}
			return *upload_size = 0, MHD_YES;
		}
		return sv_hf_paths_info(rq, rq->sbody.data ? rq->sbody.data : "", rq->sbody.len);
	}
	if (rq->body_started) {
		rq->final = *upload_size == 0;
		return sv_oci(rq, upload, upload_size);
	}
	if (rq->route_done) /* routed in the first call, nothing to stream: drop any body */
		return *upload_size = 0, MHD_YES;
	/* a GET or HEAD (or OPTIONS): answered here, not in the first call, to keep the connection */
	rq->has_body = *upload_size > 0;
	{
		enum MHD_Result ret = sv_dispatch(rq, upload, upload_size);
		if (rq->pending)
			*upload_size = 0; /* answered early: this part of the body is dropped */
		return ret;
	}
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe)
{
	struct sv_req *rq = *ctx;
	if (!rq)
		return;
	sv_log_done(cls, rq, c, toe);
	sv_free_segs(rq);
	for (size_t i = 0; i < rq->nh; i++) {
		free(rq->hname[i]);
		free(rq->hval[i]);
	}
	for (size_t i = 0; i < rq->nkeep; i++)
		free(rq->keep[i]);
	if (rq->up)
		sv_upload_release(rq);
	if (rq->pending)
		MHD_destroy_response(rq->pending);
	free(rq->oname);
	free(rq->oref);
	free(rq->deferred_code);
	free(rq->deferred_msg);
	free(rq->mbody);
	al_buf_release(&rq->sbody);
	if (rq->mhash) {
		al_sha256_release(rq->mhash);
		free(rq->mhash);
	}
	sv_snap_put(rq->snap);
	free(rq->path);
	free(rq);
	*ctx = NULL;
}

/* The path as sent: libmicrohttpd must not decode it (see the file comment). */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

void sv_logf(struct sv_server *srv, enum sv_log_kind kind, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (!srv->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++) /* one line: no controls from a request (or libmicrohttpd) */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = *p == '\n' && !p[1] ? '\0' : '?';
	srv->log(srv->log_ctx, kind, line);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	if (strstr(line, "Request malformed")) /* libmicrohttpd quotes its whole HTML page here */
		snprintf(line, sizeof(line),
			 "refused a request that is not HTTP (400); a client trying HTTPS on this plain-HTTP port looks like this");
	sv_logf(cls, SV_LOG_WARNING, "%s", line);
}

/* ------------------------------------------------------------------ running */

static enum al_code listen_on(const char *addr, int *fd_out, char *shown, size_t shown_len, struct al_err *err)
{
	char host[256];
	const char *port, *colon;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, g;
	char h[INET6_ADDRSTRLEN], p[16];
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof(host))
			return al_fail(err, AL_EUSAGE, "--listen '%s': expected [IPv6]:PORT", addr);
		memcpy(host, addr + 1, (size_t)(close - addr - 1));
		host[close - addr - 1] = 0;
		port = close + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof(host))
			return al_fail(err, AL_EUSAGE, "--listen '%s': expected HOST:PORT", addr);
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = 0;
		port = colon + 1;
	}
	if ((g = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai)) != 0 || !ai)
		return al_fail(err, AL_EUSAGE, "--listen '%s': %s (give a numeric address and port)", addr,
			       gai_strerror(g));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return al_fail_errno(err, AL_EIO, "cannot make a socket for '%s'", addr);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		enum al_code rc = al_fail_errno(err, AL_EIO, "cannot listen on '%s'%s", addr,
						errno == EADDRINUSE ? " (address in use)" : "");
		close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV)) {
		close(fd);
		return al_fail_errno(err, AL_EIO, "cannot read the address of '%s'", addr);
	}
	snprintf(shown, shown_len, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
	*fd_out = fd;
	return AL_OK;
}

static enum al_code read_token(const char *path, char **out, struct al_err *err)
{
	struct al_buf b;
	struct stat st;
	enum al_code rc;
	size_t n;
	if (stat(path, &st) != 0)
		return al_fail_errno(err, AL_EIO, "cannot read the push token file '%s'", path);
	if (st.st_mode & 077)
		return al_fail(err, AL_EINVAL,
			       "the push token file '%s' is readable by others (mode %03o); make it 0600", path,
			       (unsigned)(st.st_mode & 0777));
	al_buf_init(&b, 4096);
	if ((rc = al_read_file(path, 0, &b, err))) {
		al_buf_release(&b);
		return rc;
	}
	n = b.len;
	while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r'))
		n--;
	if (n < 16 || memchr(b.data, '\n', n) || memchr(b.data, 0, n)) {
		al_buf_release(&b);
		return al_fail(err, AL_EINVAL, "the push token in '%s' must be one line of at least 16 characters", path);
	}
	*out = al_memdup(b.data, n);
	al_buf_release(&b);
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

static enum al_code read_pem(const char *path, char **out, struct al_err *err)
{
	struct al_buf b;
	enum al_code rc;
	al_buf_init(&b, 1 << 20);
	if ((rc = al_read_file(path, 0, &b, err))) {
		al_buf_release(&b);
		return rc;
	}
	if (!memmem(b.data ? b.data : "", b.len, "-----BEGIN ", 11)) {
		al_buf_release(&b);
		return al_fail(err, AL_EINVAL, "'%s' is not a PEM file", path);
	}
	*out = al_memdup(b.data, b.len);
	al_buf_release(&b);
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

/*
 * Everything the server reads before it listens: the push token, the TLS pair (PEM, into
 * *cert and *key), the catalog and its first snapshot, the blobs directory and the access
 * log. On error what was opened stays in SRV (and *cert, *key) for server_close to free.
 */
static enum al_code server_open(struct sv_server *srv, const struct sv_opts *o, char **cert, char **key,
				struct al_err *err)
{
	struct timespec now;
	enum al_code rc;
	char *b;
	clock_gettime(CLOCK_REALTIME, &now);
	srv->started = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (!(srv->root = strdup(o->root)) || (o->channel && !(srv->channel = strdup(o->channel))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (o->token_file && (rc = read_token(o->token_file, &srv->token, err)))
		return rc;
	al_store_sweep_uploads(o->root, (int64_t)time(NULL) - 3600); /* what a stopped server left */
	if (o->tls_cert && ((rc = read_pem(o->tls_cert, cert, err)) || (rc = read_pem(o->tls_key, key, err))))
		return rc;
	if (*cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return al_fail(err, AL_EINVAL, "this libmicrohttpd has no TLS support");
	if ((rc = al_catalog_open_read(o->root, SQLITE_OPEN_FULLMUTEX, &srv->watch, err)))
		return rc;
	atomic_store(&srv->loaded_ns, sv_mono_ns());
	atomic_store(&srv->watch_seen, catalog_version(srv->watch));
	if ((rc = sv_snap_load(o->root, o->channel, &srv->snap, err)))
		return rc;
	b = al_join(o->root, "blobs/sha256");
	srv->blobs_fd = b ? open(b, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	free(b);
	if (srv->blobs_fd < 0)
		return al_fail_errno(err, AL_ESTORE, "cannot open the blobs of store '%s'", o->root);
	if (o->access_log && strcmp(o->access_log, "-")) {
		srv->log_fd = open(o->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (srv->log_fd < 0) {
			srv->log_fd = STDERR_FILENO;
			return al_fail_errno(err, AL_EIO, "cannot open the access log '%s'", o->access_log);
		}
	}
	sqlite3_busy_timeout(srv->watch, 1000);
	return AL_OK;
}

/* As many file descriptors as the hard limit allows: each connection and each blob served holds one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The libmicrohttpd daemon on the listening socket LFD (which it then owns), with TLS when
 * CERT is given; SHOWN names the address in messages. */
static enum al_code start_daemon(struct sv_server *srv, const struct sv_opts *o, int lfd, const char *cert,
				 const char *key, const char *shown, struct al_err *err)
{
	/*
	 * poll(2), not epoll: libmicrohttpd 0.9.75's epoll loop loses readiness under a
	 * burst. In t1307, about once in 50 runs under load, exactly 128 or 384 of 1000
	 * clients (multiples of its 128-event batch) stayed unanswered for good, their
	 * requests unread in the receive queue, both workers asleep in epoll_wait; with
	 * MHD_USE_TURBO as well, it was hundreds in most runs. poll(2) is level-triggered:
	 * a socket with bytes waiting is reported on every turn until they are read, so
	 * nothing can be forgotten. Each worker polls only its own connections.
	 */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (cert)
		flags |= MHD_USE_TLS;
	srv->tls = cert != NULL;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_THREAD_POOL_SIZE,
		o->threads, MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_CONNECTION_LIMIT, o->max_conn,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32u << 10), MHD_OPTION_NOTIFY_COMPLETED, on_done, srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_CONNECTION, sv_on_connection, srv,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	if (!srv->daemon)
		return al_fail(err, AL_EIO, "cannot start the HTTP server on %s%s", shown,
			       cert ? " (are the TLS certificate and key a matching PEM pair?)" : "");
	return AL_OK;
}

/* Once a second until SIGINT or SIGTERM (blocked in SIGS): reload a changed catalog, expire
 * idle uploads, cut slow clients. */
static void serve_until_signal(struct sv_server *srv, const sigset_t *sigs)
{
	for (;;) {
		struct timespec tick = { 1, 0 };
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (catalog_version(srv->watch) != atomic_load(&srv->watch_seen)) {
			struct al_err e = { 0 };
			if (sv_reload(srv, &e))
				sv_logf(srv, SV_LOG_WARNING,
					"the catalog changed but cannot be read: %s (serving the previous state)", e.msg);
		}
		sv_uploads_expire(srv, (int64_t)time(NULL));
		sv_cut_slow(srv);
	}
}

/* Frees and closes whatever server_open left in SRV, once the daemon is stopped. */
static void server_close(struct sv_server *srv)
{
	if (srv->watch)
		sqlite3_close(srv->watch);
	sv_uploads_expire(srv, INT64_MAX);
	sv_snap_put(srv->snap);
	if (srv->blobs_fd >= 0)
		close(srv->blobs_fd);
	if (srv->log_fd != STDERR_FILENO)
		close(srv->log_fd);
	free(srv->root);
	free(srv->channel);
	free(srv->token);
	pthread_mutex_destroy(&srv->lock);
	pthread_mutex_destroy(&srv->conns_lock);
}

enum al_code sv_run(const struct sv_opts *o, struct al_err *err)
{
	struct sv_server srv = { .log_fd = STDERR_FILENO, .blobs_fd = -1 };
	char shown[80], *cert = NULL, *key = NULL;
	int lfd = -1;
	sigset_t sigs;
	enum al_code rc;
	pthread_mutex_init(&srv.lock, NULL);
	pthread_mutex_init(&srv.conns_lock, NULL);
	srv.head_timeout_ns = (int64_t)o->timeout * 1000000000;
	srv.log = o->log;
	srv.log_ctx = o->log_ctx;
	if ((rc = server_open(&srv, o, &cert, &key, err)) ||
	    (rc = listen_on(o->listen, &lfd, shown, sizeof(shown), err)))
		goto out;
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* the worker threads inherit it */
	if ((rc = start_daemon(&srv, o, lfd, cert, key, shown, err)))
		goto out;
	lfd = -1; /* the daemon owns it */
	sv_logf(&srv, SV_LOG_LISTENING, "%s://%s/", cert ? "https" : "http", shown);
	serve_until_signal(&srv, &sigs);
	MHD_stop_daemon(srv.daemon);
out:
	if (lfd >= 0)
		close(lfd);
	server_close(&srv);
	free(cert);
	free(key);
	return rc;
}
