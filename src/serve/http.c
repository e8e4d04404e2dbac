/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c: the HTTP plumbing of `airlock serve` that every route shares: the
 * status codes the metrics count, the request path taken raw and decoded one
 * segment at a time (so an encoded '/' or '..' can never change which route
 * or which file a request names), query arguments and headers, the replies,
 * and the framing checks that refuse an ambiguous request before it is
 * routed. It never touches the store.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "serve.h"
#include "sv_internal.h"

static const unsigned codes[SV_CODES] = { 0,   200, 201, 202, 204, 206, 301, 304, 409, 400, 401, 403,
					  404, 405, 406, 408, 413, 414, 416, 429, 431, 500, 503, 505 };
const double sv_buckets[SV_HIST_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					     0.01,   0.025,   0.1,    0.5,   1,      5 };

unsigned sv_code_at(size_t i)
{
	return codes[i];
}

size_t sv_code_index(unsigned status)
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

void sv_free_segs(struct sv_req *rq)
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
	sv_free_segs(rq);
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

enum MHD_Result sv_queue(struct sv_req *rq, unsigned status, struct MHD_Response *r, uint64_t len)
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
		/*
		 * The client is still sending: read (and drop) the rest, then answer, so
		 * it sees the answer. The rest must come within the timeout, however
		 * slowly it trickles (the connection's deadline, as for a head).
		 */
		struct sv_conn *conn = sv_conn_of(rq->conn);
		if (conn)
			atomic_store(&conn->since_ns, sv_mono_ns());
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
	return sv_queue(rq, status, r, len);
}

enum MHD_Result sv_reply_buf(struct sv_req *rq, unsigned status, const char *content_type, struct al_buf *b)
{
	enum MHD_Result ret;
	if (al_buf_check(b, NULL) || !b->data) {
		/* a body that could not be built whole is never sent in part */
		al_buf_release(b);
		return sv_reply_text(rq, 500, "internal error: the answer could not be built\n");
	}
	ret = sv_reply(rq, status, content_type, b->data, b->len);
	al_buf_release(b);
	return ret;
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
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	al_buf_init(&b, 4096);
	al_buf_addf(&b, NULL, "{\"errors\":[{\"code\":\"%s\",\"message\":", code);
	sv_json_str(&b, msg, NULL);
	al_buf_adds(&b, "}]}\n", NULL);
	return sv_reply_buf(rq, status, "application/json", &b);
}


/* ------------------------------------------------------------------ methods and framing */

enum sv_method sv_method_of(const char *m)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(m, names[i]))
			return (enum sv_method)i;
	return SV_M_OTHER;
}

int sv_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
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
int sv_framing_ok(struct sv_req *rq)
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

