/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.c: the HTTP side of `airlock serve`: libmicrohttpd setup, routing,
 * replies (buffers and files with ranges), the access log and the request
 * metrics. The path is taken raw (no unescaping by libmicrohttpd) and decoded
 * one segment at a time, so that an encoded '/' or '..' can never change
 * which route or which file a request names.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h> /* TCP_INFO with byte counts (glibc's netinet/tcp.h lacks them) */
#include <stddef.h>
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

static const unsigned codes[SV_CODES] = { 0,   200, 201, 202, 204, 206, 301, 304, 409, 400, 401, 403,
					  404, 405, 406, 408, 413, 414, 416, 429, 431, 500, 503, 505 };
const double sv_buckets[SV_HIST_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					     0.01,   0.025,   0.1,    0.5,   1,      5 };

unsigned sv_code_at(size_t i)
{
	return codes[i];
}

static size_t code_index(unsigned status)
{
	for (size_t i = 1; i < SV_CODES; i++)
		if (codes[i] == status)
			return i;
	return 0;
}

/* ------------------------------------------------------------------ paths and arguments */

int sv_decode(const char *in, size_t n, char **out)
{
	char *o = malloc(n + 1);
	size_t k = 0;
	*out = o;
	if (!o)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			if (i + 2 >= n || al_hexval(in[i + 1]) < 0 || al_hexval(in[i + 2]) < 0) {
				o[k] = 0;
				return -1;
			}
			c = (unsigned char)(al_hexval(in[i + 1]) * 16 + al_hexval(in[i + 2]));
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '\\') {
			o[k] = 0;
			return -1;
		}
		o[k++] = (char)c;
	}
	o[k] = 0;
	return 0;
}

static void free_segs(struct sv_req *rq)
{
	for (size_t i = 0; i < rq->nseg; i++)
		free(rq->seg[i]);
	free(rq->seg);
	rq->seg = NULL;
	rq->nseg = 0;
}

int sv_split(struct sv_req *rq, const char *rest)
{
	size_t n = 1, len = strlen(rest);
	free_segs(rq);
	rq->bad_path = 0;
	rq->slash_seg = 0;
	rq->trailing_slash = len > 0 && rest[len - 1] == '/';
	if (rq->trailing_slash)
		len--;
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += rest[i] == '/';
	rq->seg = calloc(n, sizeof(*rq->seg));
	if (!rq->seg)
		return -1;
	for (const char *p = rest, *end = rest + len; p <= end;) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		char *d;
		if (!q)
			q = end;
		if (sv_decode(p, (size_t)(q - p), &d) || !*d || !strcmp(d, ".") || !strcmp(d, ".."))
			rq->bad_path = 1;
		if (d && strchr(d, '/') && !rq->slash_seg)
			rq->slash_seg = (int)rq->nseg + 1;
		if (!d)
			return -1;
		rq->seg[rq->nseg++] = d;
		p = q + 1;
	}
	return 0;
}

const char *sv_hdr(struct sv_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

/* Query arguments arrive raw (see no_unescape); decode on lookup, once per request is plenty. */
struct arg_find {
	const char *name;
	const char *raw;
};

static enum MHD_Result find_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_find *f = cls;
	(void)kind;
	if (!f->raw && key && !strcmp(key, f->name)) {
		f->raw = value ? value : "";
		return MHD_NO;
	}
	return MHD_YES;
}

const char *sv_arg(struct sv_req *rq, const char *name)
{
	struct arg_find f = { name, NULL };
	char *raw, *d = NULL;
	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, find_arg, &f);
	if (!f.raw || rq->nkeep >= sizeof(rq->keep) / sizeof(rq->keep[0]) || !(raw = strdup(f.raw)))
		return NULL;
	for (char *p = raw; *p; p++)
		if (*p == '+')
			*p = ' ';
	if (sv_decode(raw, strlen(raw), &d)) {
		free(raw);
		free(d);
		return NULL;
	}
	free(raw);
	rq->keep[rq->nkeep++] = d; /* lives as long as the request */
	return d;
}

/* ------------------------------------------------------------------ replies */

void sv_header(struct sv_req *rq, const char *name, const char *value)
{
	if (rq->nh >= sizeof(rq->hname) / sizeof(rq->hname[0]))
		return; /* (more than any route sends) */
	rq->hname[rq->nh] = strdup(name);
	rq->hval[rq->nh] = strdup(value);
	rq->nh++;
}

static enum MHD_Result queue(struct sv_req *rq, unsigned status, struct MHD_Response *r, uint64_t len)
{
	enum MHD_Result ret;
	if (!r)
		return MHD_NO;
	for (size_t i = 0; i < rq->nh; i++)
		if (rq->hname[i] && rq->hval[i])
			MHD_add_response_header(r, rq->hname[i], rq->hval[i]);
	if (rq->up) /* the client may send its next request on another connection as soon as it reads this */
		sv_upload_release(rq);
	if (rq->has_body && !rq->final && !rq->pending) {
		/* the client is still sending: read (and drop) the rest, then answer, so it sees the answer */
		rq->pending = r;
		rq->pending_status = status;
		rq->status = status;
		rq->bytes = len;
		return MHD_YES;
	}
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	rq->status = status;
	rq->bytes = rq->method == SV_HEAD || status == 304 || status == 204 ? 0 : len;
	return ret;
}

enum MHD_Result sv_reply(struct sv_req *rq, unsigned status, const char *content_type, const void *body,
			 size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r && content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	return queue(rq, status, r, len);
}

enum MHD_Result sv_reply_text(struct sv_req *rq, unsigned status, const char *text)
{
	return sv_reply(rq, status, "text/plain; charset=utf-8", text, strlen(text));
}

enum MHD_Result sv_reply_redirect(struct sv_req *rq, unsigned status, const char *location)
{
	sv_header(rq, MHD_HTTP_HEADER_LOCATION, location);
	return sv_reply(rq, status, "text/plain; charset=utf-8", "", 0);
}

enum MHD_Result sv_oci_error(struct sv_req *rq, unsigned status, const char *code, const char *fmt, ...)
{
	struct al_buf b;
	char msg[512];
	va_list ap;
	enum MHD_Result ret;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	al_buf_init(&b, 4096);
	al_buf_addf(&b, NULL, "{\"errors\":[{\"code\":\"%s\",\"message\":", code);
	sv_json_str(&b, msg, NULL);
	al_buf_adds(&b, "}]}\n", NULL);
	ret = sv_reply(rq, status, "application/json", b.data ? b.data : "", b.len);
	al_buf_release(&b);
	return ret;
}

/* Does the If-None-Match / If-Range value V name ETAG ("…")? */
static int etag_match(const char *v, const char *etag)
{
	size_t n = strlen(etag);
	while (v && *v) {
		while (*v == ' ' || *v == ',')
			v++;
		if (*v == '*')
			return 1;
		if (!strncmp(v, "W/", 2))
			v += 2;
		if (!strncmp(v, etag, n) && (v[n] == 0 || v[n] == ',' || v[n] == ' '))
			return 1;
		v = strchr(v, ',');
	}
	return 0;
}

/* Digits only; a value past UINT64_MAX saturates (a position past any body means "to the end"). */
static int parse_u64(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	if (s == end)
		return -1;
	for (; s < end; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (*s < '0' || *s > '9')
			return -1;
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*out = v;
	return 0;
}

enum sv_range sv_parse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len)
{
	const char *spec, *dash, *end;
	uint64_t a, b;
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "bytes=", 6))
		return SV_RANGE_NONE;
	spec = h + 6;
	while (*spec == ' ')
		spec++;
	if (strchr(spec, ','))
		return SV_RANGE_NONE;
	end = spec + strlen(spec);
	while (end > spec && end[-1] == ' ')
		end--;
	dash = memchr(spec, '-', (size_t)(end - spec));
	if (!dash)
		return SV_RANGE_BAD;
	if (dash == spec) { /* suffix: -N */
		if (parse_u64(dash + 1, end, &b) || b == 0 || size == 0)
			return SV_RANGE_BAD;
		if (b > size)
			b = size;
		*start = size - b;
		*len = b;
		return SV_RANGE_OK;
	}
	if (parse_u64(spec, dash, &a) || a >= size)
		return SV_RANGE_BAD;
	if (dash + 1 == end)
		b = size - 1;
	else if (parse_u64(dash + 1, end, &b) || b < a)
		return SV_RANGE_BAD;
	if (b >= size)
		b = size - 1;
	*start = a;
	*len = b - a + 1;
	return SV_RANGE_OK;
}

enum MHD_Result sv_reply_blob(struct sv_req *rq, const char *digest, uint64_t size, const char *content_type,
			      const char *const *headers)
{
	char etag[AL_DIGEST_STR + 2], cr[96];
	const char *inm = sv_hdr(rq, MHD_HTTP_HEADER_IF_NONE_MATCH), *range = sv_hdr(rq, MHD_HTTP_HEADER_RANGE);
	const char *ifr = sv_hdr(rq, "If-Range");
	struct MHD_Response *r;
	struct stat st;
	uint64_t start = 0, len = size;
	unsigned status = 200;
	int fd;
	snprintf(etag, sizeof(etag), "\"%s\"", strncmp(digest, "sha256:", 7) ? digest : digest + 7);
	for (const char *const *h = headers; h && *h; h += 2)
		sv_header(rq, h[0], h[1]);
	sv_header(rq, MHD_HTTP_HEADER_ETAG, etag);
	sv_header(rq, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (inm && etag_match(inm, etag))
		return sv_reply(rq, 304, NULL, "", 0);
	if (range && ifr && !etag_match(ifr, etag))
		range = NULL;
	if (range && size == 0) {
		sv_header(rq, MHD_HTTP_HEADER_CONTENT_RANGE, "bytes */0");
		range = NULL;
	}
	if (range) {
		switch (sv_parse_range(range, size, &start, &len)) {
		case SV_RANGE_NONE:
			start = 0;
			len = size;
			break;
		case SV_RANGE_BAD:
			snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
			sv_header(rq, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
			return sv_reply(rq, 416, "text/plain; charset=utf-8", "range not satisfiable\n", 22);
		case SV_RANGE_OK:
			status = 206;
			snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)start,
				 (unsigned long long)(start + len - 1), (unsigned long long)size);
			sv_header(rq, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
			break;
		}
	}
	if (strncmp(digest, "sha256:", 7) || strlen(digest) != 7 + AL_HEX_LEN)
		return sv_reply_text(rq, 500, "bad digest in the catalog\n");
	fd = openat(rq->srv->blobs_fd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		char line[256];
		int n = snprintf(line, sizeof(line),
				 "airlock serve: blob %s is %s; not sent (run 'airlock store fsck')\n", digest,
				 fd < 0 ? "missing" : "not the size the catalog records");
		if (fd >= 0)
			close(fd);
		if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) {
			/* nothing more to do */
		}
		return sv_reply_text(rq, 500, "this blob is damaged in the store; the operator must run 'airlock store fsck'\n");
	}
	if (len == 0) {
		close(fd);
		if (content_type)
			sv_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
		return sv_reply(rq, status, NULL, "", 0);
	}
	r = MHD_create_response_from_fd_at_offset64(len, fd, start);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	return queue(rq, status, r, len);
}

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

static int64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Loads the catalog again unless a load that started after NOT_BEFORE (monotonic ns) is in place. */
static enum al_code reload_after(struct sv_server *srv, int64_t not_before, struct al_err *err)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	struct sv_snap *s, *old;
	enum al_code rc = AL_OK;
	int64_t start, version;
	pthread_mutex_lock(&once);
	start = mono_ns();
	if (atomic_load(&srv->loaded_ns) > not_before) {
		pthread_mutex_unlock(&once);
		return AL_OK;
	}
	version = catalog_version(srv->watch);
	rc = sv_snap_load(srv->root, &s, err);
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
	return reload_after(srv, mono_ns(), err);
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
	t = mono_ns();
	{
		struct al_err e = { 0 };
		int row = 0;
		if (al_db_step(w->st, "reading the data version", &row, &e) || !row) {
			sqlite3_reset(w->st);
			fprintf(stderr, "airlock serve: %s (serving the previous state)\n",
				e.code ? e.msg : "the catalog's data version is missing");
			return;
		}
	}
	v = sqlite3_column_int64(w->st, 0);
	sqlite3_reset(w->st);
	if (w->seen == -1 ? catalog_version(srv->watch) != atomic_load(&srv->watch_seen) : v != w->seen) {
		struct al_err e = { 0 };
		if (reload_after(srv, t, &e))
			fprintf(stderr, "airlock serve: the catalog changed but cannot be read: %s (serving the previous state)\n",
				e.msg);
	}
	w->seen = v;
}

/* ------------------------------------------------------------------ routing */

static enum sv_method method_of(const char *m)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(m, names[i]))
			return (enum sv_method)i;
	return SV_M_OTHER;
}

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* ok only while the catalog opens and reads (by path: a moved or deleted store shows) and blobs/ is there. */
static enum MHD_Result healthz(struct sv_req *rq)
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

static enum MHD_Result page(struct sv_req *rq)
{
	return sv_reply(rq, 200, "text/html; charset=utf-8", rq->snap->home, rq->snap->home_len);
}

/* Which route a path belongs to; the handler re-splits it as it needs. */
static enum sv_route route_of(const char *p, size_t *resolve_at)
{
	if (!strcmp(p, "/"))
		return SV_R_PAGE;
	if (!strcmp(p, "/healthz"))
		return SV_R_HEALTHZ;
	if (!strcmp(p, "/metrics"))
		return SV_R_METRICS;
	if (!strcmp(p, "/v2") || starts(p, "/v2/"))
		return SV_R_OCI;
	if (!strcmp(p, "/simple") || starts(p, "/simple/"))
		return SV_R_PYPI;
	if (starts(p, "/packages/"))
		return SV_R_PACKAGES;
	if (starts(p, "/files/"))
		return SV_R_FILES;
	if (starts(p, "/api/models/"))
		return SV_R_HF_API;
	/* /REPO/resolve/… or /ORG/REPO/resolve/… */
	{
		const char *a = strchr(p + 1, '/'), *b = a ? strchr(a + 1, '/') : NULL;
		if (a && starts(a, "/resolve/")) {
			*resolve_at = 1;
			return SV_R_HF_RESOLVE;
		}
		if (b && starts(b, "/resolve/")) {
			*resolve_at = 2;
			return SV_R_HF_RESOLVE;
		}
	}
	return SV_R_OTHER;
}

static enum MHD_Result dispatch(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	size_t resolve_at = 0;
	rq->route_done = 1;
	rq->route = route_of(rq->path, &resolve_at);
	if (rq->route == SV_R_OCI)
		return sv_oci(rq, upload, upload_size);
	if (rq->method != SV_GET && rq->method != SV_HEAD) {
		sv_header(rq, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		return sv_reply_text(rq, 405, "this server is read-only here: only GET and HEAD\n");
	}
	switch (rq->route) {
	case SV_R_PAGE:
		return page(rq);
	case SV_R_HEALTHZ:
		return healthz(rq);
	case SV_R_METRICS:
		return sv_metrics(rq);
	case SV_R_PYPI:
		return sv_pypi(rq);
	case SV_R_PACKAGES:
		return sv_packages(rq);
	case SV_R_FILES:
		return sv_files(rq);
	case SV_R_HF_API:
		return sv_hf_api(rq);
	case SV_R_HF_RESOLVE:
		return sv_hf_resolve(rq, resolve_at);
	default:
		return sv_reply_text(rq, 404, "not found\n");
	}
}

struct framing {
	const char *length;
	int lengths_differ, encodings, hosts, empty_name;
	const char *encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;
	(void)kind;
	if (!key || !*key)
		f->empty_name = 1;
	if (!key || !value)
		return MHD_YES;
	if (!strcasecmp(key, MHD_HTTP_HEADER_HOST))
		f->hosts++;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (f->length && strcmp(f->length, value))
			f->lengths_differ = 1;
		f->length = value;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		f->encodings++;
		f->encoding = value;
	}
	return MHD_YES;
}

/*
 * RFC 9112 §6 and §3.2: a message whose length is ambiguous (two different
 * Content-Lengths, or both headers: the shape of request smuggling), with two
 * Host headers or a header without a name is 400 and the connection closes; a
 * transfer coding other than chunked is 501. Checked before libmicrohttpd
 * waits for a body it cannot delimit.
 */
static int framing_ok(struct sv_req *rq)
{
	struct framing f = { 0 };
	const char *why = NULL;
	unsigned status = 400;
	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.lengths_differ)
		why = "two different Content-Length headers\n";
	else if (f.encodings && f.length)
		why = "both Transfer-Encoding and Content-Length\n";
	else if (f.hosts > 1)
		why = "more than one Host header\n";
	else if (f.empty_name)
		why = "a header line without a name\n";
	else if (f.encodings > 1 || (f.encodings && strcasecmp(f.encoding, "chunked"))) {
		why = "only the chunked transfer coding is supported\n";
		status = 501;
	}
	if (!why)
		return 1;
	sv_header(rq, MHD_HTTP_HEADER_CONNECTION, "close");
	sv_reply_text(rq, status, why);
	return 0;
}

/* ------------------------------------------------------------------ slow clients */

/*
 * libmicrohttpd's own timeout counts only what it reads and writes itself, so
 * it gets both slow clients wrong: a client that sends its head a byte at a
 * time (or never finishes a TLS handshake) holds its connection for ever, and
 * a client that reads a large answer slowly but steadily is cut off as soon
 * as the kernel's send buffer (megabytes on a fast link) stays full for
 * longer than the timeout. So libmicrohttpd's timeout is off, and the main
 * loop judges every open connection once a second, by what the kernel saw:
 *   - one waiting for a request head is cut once it has waited longer than
 *     the timeout, whatever trickles in;
 *   - any other is cut once no byte has moved either way (none received,
 *     none acknowledged by the client) for longer than the timeout, plus the
 *     pause that its last burst bought (SV_PAUSE_RATE in serve.h).
 * Cutting is a shutdown(2) of the socket under the registry's lock, and a
 * connection leaves the registry (in the CLOSED notification) before
 * libmicrohttpd closes its descriptor, so the number can never be another
 * connection's.
 */

/* The connection's TCP byte counts: received from the client, and sent and
 * acknowledged by it. Returns -1 when the kernel cannot say. */
static int tcp_counts(int fd, uint64_t *rx, uint64_t *acked)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return -1;
	*rx = ti.tcpi_bytes_received;
	*acked = ti.tcpi_bytes_acked;
	return 0;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sv_server *srv = cls;
	struct sv_conn *conn = *socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(conn = calloc(1, sizeof(*conn))))
			return;
		conn->fd = ci->connect_fd;
		conn->moved_ns = mono_ns();
		atomic_init(&conn->since_ns, conn->moved_ns);
		pthread_mutex_lock(&srv->conns_lock);
		conn->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = conn;
		srv->conns = conn;
		pthread_mutex_unlock(&srv->conns_lock);
		*socket_ctx = conn;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && conn) {
		pthread_mutex_lock(&srv->conns_lock);
		if (conn->prev)
			conn->prev->next = conn->next;
		else
			srv->conns = conn->next;
		if (conn->next)
			conn->next->prev = conn->prev;
		pthread_mutex_unlock(&srv->conns_lock);
		free(conn);
		*socket_ctx = NULL;
	}
}

struct sv_conn *sv_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void cut_slow(struct sv_server *srv)
{
	int64_t now = mono_ns();
	pthread_mutex_lock(&srv->conns_lock);
	for (struct sv_conn *c = srv->conns; c; c = c->next) {
		int64_t since = atomic_load(&c->since_ns);
		uint64_t rx = 0, acked = 0;
		int cut;
		if (tcp_counts(c->fd, &rx, &acked) == 0 && (rx != c->rx || acked != c->acked)) {
			uint64_t moved = (rx - c->rx) + (acked - c->acked);
			uint64_t cap = 10 * (uint64_t)srv->head_timeout_ns / 1000000000u;
			c->grace_ns = (int64_t)((moved / SV_PAUSE_RATE < cap ? moved / SV_PAUSE_RATE : cap) * 1000000000u);
			c->rx = rx;
			c->acked = acked;
			c->moved_ns = now;
		}
		if (since)
			cut = now - since > srv->head_timeout_ns;
		else
			cut = now - c->moved_ns > srv->head_timeout_ns + c->grace_ns;
		if (cut) {
			shutdown(c->fd, SHUT_RDWR);
			atomic_store(&c->since_ns, 0);
			c->moved_ns = INT64_MAX / 2; /* once is enough */
		}
	}
	pthread_mutex_unlock(&srv->conns_lock);
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

/* The first call: the head is complete, no body has been read. */
static enum MHD_Result start(struct sv_req *rq, const char *url, const char *method, const char *version)
{
	struct sv_conn *conn = sv_conn_of(rq->conn);
	rq->started = 1;
	rq->method_name = method;
	rq->method = method_of(method);
	rq->path = strdup(url);
	if (conn) {
		uint64_t rx;
		atomic_store(&conn->since_ns, 0); /* the head arrived in time */
		if (tcp_counts(conn->fd, &rx, &rq->acked0))
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
	if (!framing_ok(rq))
		return rq->status ? MHD_YES : MHD_NO;
	/*
	 * A request that may carry a body is routed now, so that a refusal (401,
	 * 403, 405, 404 of an upload) goes out before the client sends the body: it
	 * gets no 100 Continue, and the connection closes. Other requests are
	 * routed on the next call, which keeps their connection alive.
	 */
	return body_method(rq->method) ? dispatch(rq, NULL, &(size_t){ 0 }) : MHD_YES;
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
		if (*upload_size)
			return *upload_size = 0, MHD_YES;
		ret = MHD_queue_response(c, rq->pending_status, rq->pending);
		MHD_destroy_response(rq->pending);
		rq->pending = NULL;
		return ret;
	}
	if (rq->status) /* answered: the rest of a body is not read */
		return *upload_size = 0, MHD_YES;
	if (rq->body_started) {
		rq->final = *upload_size == 0;
		return sv_oci(rq, upload, upload_size);
	}
	if (rq->route_done) /* routed in the first call, nothing to stream: drop any body */
		return *upload_size = 0, MHD_YES;
	/* a GET or HEAD (or OPTIONS): answered here, not in the first call, to keep the connection */
	rq->has_body = *upload_size > 0;
	{
		enum MHD_Result ret = dispatch(rq, upload, upload_size);
		if (rq->pending)
			*upload_size = 0; /* answered early: this part of the body is dropped */
		return ret;
	}
}

/* ------------------------------------------------------------------ log and metrics */

static void log_line(struct sv_server *srv, struct sv_req *rq, double secs, struct MHD_Connection *c)
{
	static const char *const routes[] = { "oci",     "pypi",    "packages", "hf_api", "hf_resolve",
					      "files",   "metrics", "healthz",  "page",   "other" };
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char remote[INET6_ADDRSTRLEN] = "-", when[64];
	struct timespec now;
	struct tm tm;
	struct al_buf b;
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, remote,
				  sizeof(remote));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, remote,
				  sizeof(remote));
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (now.tv_nsec / 1000000) % 1000);
	al_buf_init(&b, 64 << 10);
	al_buf_addf(&b, NULL, "{\"time\":\"%s\",\"remote\":\"%s\",\"method\":", when, remote);
	sv_json_str(&b, rq->method_name ? rq->method_name : "", NULL);
	al_buf_adds(&b, ",\"path\":", NULL);
	sv_json_str(&b, rq->path ? rq->path : "", NULL);
	al_buf_addf(&b, NULL, ",\"route\":\"%s\",\"status\":%u,\"bytes\":%llu,\"ms\":%.3f%s}\n", routes[rq->route],
		    rq->status, (unsigned long long)rq->bytes, secs * 1000, rq->aborted ? ",\"aborted\":true" : "");
	if (b.data && write(srv->log_fd, b.data, b.len) < 0) {
		/* a full log disk must not stop serving */
	}
	al_buf_release(&b);
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe)
{
	struct sv_server *srv = cls;
	struct sv_req *rq = *ctx;
	struct timespec t1;
	double secs;
	size_t b = 0;
	if (!rq)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		struct sv_conn *conn = sv_conn_of(c);
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && rq->status) {
			/*
			 * Cut off, timed out or gone: what the client got is what its TCP
			 * acknowledged since the head came (the response head included),
			 * never more than the body.
			 */
			uint64_t rx, acked, took = 0;
			rq->aborted = 1;
			if (conn && rq->acked0 != UINT64_MAX && tcp_counts(conn->fd, &rx, &acked) == 0 &&
			    acked > rq->acked0)
				took = acked - rq->acked0;
			if (took < rq->bytes)
				rq->bytes = took;
		}
		if (conn) /* a kept-alive connection now waits for its next head */
			atomic_store(&conn->since_ns, mono_ns());
	}
	secs = (double)(t1.tv_sec - rq->t0.tv_sec) + (double)(t1.tv_nsec - rq->t0.tv_nsec) / 1e9;
	atomic_fetch_add(&srv->m.requests[rq->route][rq->method][code_index(rq->status)], 1);
	atomic_fetch_add(&srv->m.sent[rq->route], rq->bytes);
	while (b < SV_HIST_BUCKETS && secs > sv_buckets[b])
		b++;
	atomic_fetch_add(&srv->m.hist[rq->route][b], 1);
	atomic_fetch_add(&srv->m.sum_ns[rq->route], (unsigned long)(secs * 1e9));
	log_line(srv, rq, secs, c);
	free_segs(rq);
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

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (strstr(line, "Request malformed")) /* libmicrohttpd quotes its whole HTML page here */
		snprintf(line, sizeof(line),
			 "refused a request that is not HTTP (400); a client trying HTTPS on this plain-HTTP port looks like this\n");
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = '?';
	fprintf(stderr, "airlock serve: %s%s", line, line[0] && line[strlen(line) - 1] == '\n' ? "" : "\n");
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


enum al_code sv_run(const struct sv_opts *o, struct al_err *err)
{
	struct sv_server srv = { .log_fd = STDERR_FILENO, .blobs_fd = -1 };
	char shown[80], *cert = NULL, *key = NULL, *dbpath = NULL;
	int lfd = -1;
	sigset_t sigs;
	struct rlimit rl;
	enum al_code rc;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	pthread_mutex_init(&srv.lock, NULL);
	pthread_mutex_init(&srv.conns_lock, NULL);
	srv.head_timeout_ns = (int64_t)o->timeout * 1000000000;
	srv.root = strdup(o->root);
	dbpath = al_join(o->root, "catalog.db");
	if (!srv.root || !dbpath) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if (o->token_file && (rc = read_token(o->token_file, &srv.token, err)))
		goto out;
	al_store_sweep_uploads(o->root, (int64_t)time(NULL) - 3600); /* what a stopped server left */
	if (o->tls_cert && ((rc = read_pem(o->tls_cert, &cert, err)) || (rc = read_pem(o->tls_key, &key, err))))
		goto out;
	if (cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		rc = al_fail(err, AL_EINVAL, "this libmicrohttpd has no TLS support");
		goto out;
	}
	if ((rc = al_catalog_open_read(o->root, SQLITE_OPEN_FULLMUTEX, &srv.watch, err)))
		goto out;
	atomic_store(&srv.loaded_ns, mono_ns());
	atomic_store(&srv.watch_seen, catalog_version(srv.watch));
	if ((rc = sv_snap_load(o->root, &srv.snap, err)))
		goto out;
	{
		char *b = al_join(o->root, "blobs/sha256");
		srv.blobs_fd = b ? open(b, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		free(b);
		if (srv.blobs_fd < 0) {
			rc = al_fail_errno(err, AL_ESTORE, "cannot open the blobs of store '%s'", o->root);
			goto out;
		}
	}
	if (o->access_log && strcmp(o->access_log, "-")) {
		srv.log_fd = open(o->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (srv.log_fd < 0) {
			srv.log_fd = STDERR_FILENO;
			rc = al_fail_errno(err, AL_EIO, "cannot open the access log '%s'", o->access_log);
			goto out;
		}
	}
	sqlite3_busy_timeout(srv.watch, 1000);
	if ((rc = listen_on(o->listen, &lfd, shown, sizeof(shown), err)))
		goto out;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* the worker threads inherit it */
	if (cert)
		flags |= MHD_USE_TLS;
	srv.tls = cert != NULL;
	srv.daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, &srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_THREAD_POOL_SIZE,
		o->threads, MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_CONNECTION_LIMIT, o->max_conn,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32u << 10), MHD_OPTION_NOTIFY_COMPLETED, on_done, &srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, &srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	if (!srv.daemon) {
		rc = al_fail(err, AL_EIO, "cannot start the HTTP server on %s%s", shown,
			     cert ? " (are the TLS certificate and key a matching PEM pair?)" : "");
		goto out;
	}
	lfd = -1; /* the daemon owns it */
	printf("listening on %s://%s/\n", cert ? "https" : "http", shown);
	fflush(stdout);
	{
		for (;;) {
			struct timespec tick = { 1, 0 };
			int sig = sigtimedwait(&sigs, NULL, &tick);
			if (sig == SIGINT || sig == SIGTERM)
				break;
			if (catalog_version(srv.watch) != atomic_load(&srv.watch_seen)) {
				struct al_err e = { 0 };
				if (sv_reload(&srv, &e))
					fprintf(stderr, "airlock serve: the catalog changed but cannot be read: %s (serving the previous state)\n",
						e.msg);
			}
			sv_uploads_expire(&srv, (int64_t)time(NULL));
			cut_slow(&srv);
		}
	}
	MHD_stop_daemon(srv.daemon);
	rc = AL_OK;
out:
	if (lfd >= 0)
		close(lfd);
	if (srv.watch)
		sqlite3_close(srv.watch);
	sv_uploads_expire(&srv, INT64_MAX);
	sv_snap_put(srv.snap);
	if (srv.blobs_fd >= 0)
		close(srv.blobs_fd);
	if (srv.log_fd != STDERR_FILENO)
		close(srv.log_fd);
	free(srv.root);
	free(srv.token);
	free(cert);
	free(key);
	free(dbpath);
	pthread_mutex_destroy(&srv.lock);
	pthread_mutex_destroy(&srv.conns_lock);
	return rc;
}
