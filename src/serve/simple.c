/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simple.c: the PyPI simple API (protocols.md §2) from the pages import wrote,
 * the wheels and their METADATA under /packages/, and /files/.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fsx.h"
#include "serve.h"
#include "sv_internal.h"

#define MT_JSON "application/vnd.pypi.simple.v1+json"
#define MT_HTML1 "application/vnd.pypi.simple.v1+html"
#define MT_HTML "text/html"

char *sv_pypi_normalize(const char *name)
{
	char *o = malloc(strlen(name) + 1), *p = o;
	if (!o)
		return NULL;
	for (const char *s = name; *s; s++) {
		if (*s == '-' || *s == '_' || *s == '.') {
			if (p == o || p[-1] != '-')
				*p++ = '-';
			continue;
		}
		*p++ = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
	}
	*p = 0;
	return o;
}

static enum sv_fmt fmt_of(const char *t, size_t n)
{
	static const struct {
		const char *type;
		enum sv_fmt f;
	} types[] = {
		{ MT_JSON, F_JSON },       { "application/vnd.pypi.simple.latest+json", F_JSON },
		{ MT_HTML1, F_HTML1 },     { "application/vnd.pypi.simple.latest+html", F_HTML1 },
		{ MT_HTML, F_HTML },       { "text/*", F_HTML },
		{ "*/*", F_HTML },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].type) == n && !strncasecmp(t, types[i].type, n))
			return types[i].f;
	return F_NONE;
}

enum sv_fmt sv_pypi_negotiate(const char *accept)
{
	enum sv_fmt best = F_NONE;
	double bestq = 0;
	if (!accept || !*accept)
		return F_HTML;
	for (const char *p = accept; *p;) {
		const char *end = strchr(p, ','), *semi;
		size_t len, tl;
		double q = 1;
		enum sv_fmt f;
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		semi = memchr(p, ';', len);
		tl = semi ? (size_t)(semi - p) : len;
		while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
			tl--;
		for (const char *a = semi; a && a < p + len; a = memchr(a + 1, ';', (size_t)(p + len - a - 1))) {
			const char *v = a + 1;
			while (*v == ' ')
				v++;
			if (!strncasecmp(v, "q=", 2))
				q = strtod(v + 2, NULL);
		}
		f = fmt_of(p, tl);
		if (f != F_NONE && q > bestq) {
			best = f;
			bestq = q;
		}
		p = *end ? end + 1 : end;
	}
	return best;
}

static enum MHD_Result send_page(struct sv_req *rq, const struct sv_page *pg)
{
	const char *f = sv_arg(rq, "format");
	enum sv_fmt fm = f ? fmt_of(f, strlen(f)) : sv_pypi_negotiate(sv_hdr(rq, MHD_HTTP_HEADER_ACCEPT));
	sv_header(rq, MHD_HTTP_HEADER_VARY, "Accept");
	switch (fm) {
	case F_JSON:
		return sv_reply(rq, 200, MT_JSON, pg->json, strlen(pg->json));
	case F_HTML1:
		return sv_reply(rq, 200, MT_HTML1, pg->html, strlen(pg->html));
	case F_HTML:
		return sv_reply(rq, 200, "text/html; charset=utf-8", pg->html, strlen(pg->html));
	default:
		return sv_reply_text(rq, 406,
				     "none of the accepted types is served: ask for " MT_JSON ", " MT_HTML1 " or text/html\n");
	}
}

enum MHD_Result sv_pypi(struct sv_req *rq)
{
	const struct sv_page *pg;
	char *norm, *loc;
	enum MHD_Result ret;
	if (!strcmp(rq->path, "/simple"))
		return sv_reply_redirect(rq, 301, "/simple/");
	if (sv_split(rq, rq->path + 8))
		return MHD_NO;
	if (rq->bad_path || rq->slash_seg)
		return sv_reply_text(rq, 400, "bad path\n");
	if (rq->nseg == 0) {
		pg = sv_snap_page(rq->snap, "");
		if (!pg) {
			static const struct sv_page empty = {
				"", (char *)"<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\">"
					    "<title>Simple index</title></head>\n<body>\n</body></html>\n",
				(char *)"{\"meta\":{\"api-version\":\"1.1\"},\"projects\":[]}"
			};
			pg = &empty;
		}
		return send_page(rq, pg);
	}
	if (rq->nseg != 1)
		return sv_reply_text(rq, 404, "not found\n");
	if (!(norm = sv_pypi_normalize(rq->seg[0])))
		return MHD_NO;
	if (strcmp(norm, rq->seg[0]) || !rq->trailing_slash) {
		loc = al_strf("/simple/%s/", norm);
		ret = loc ? sv_reply_redirect(rq, 301, loc) : MHD_NO;
		free(loc);
		free(norm);
		return ret;
	}
	pg = sv_snap_page(rq->snap, norm);
	free(norm);
	if (!pg)
		return sv_reply_text(rq, 404, "no such project in this index\n");
	return send_page(rq, pg);
}

/* PREFIX/segments joined: one lookup in the snapshot's paths. */
static enum MHD_Result by_path(struct sv_req *rq, const char *prefix, size_t skip, int one_segment)
{
	struct al_buf b;
	const struct sv_path *p;
	enum MHD_Result ret;
	if (sv_split(rq, rq->path + skip))
		return MHD_NO;
	if (rq->bad_path || rq->slash_seg || rq->trailing_slash || !rq->nseg)
		return sv_reply_text(rq, rq->nseg ? 400 : 404, rq->nseg ? "bad path\n" : "not found\n");
	if (one_segment && rq->nseg != 1)
		return sv_reply_text(rq, 404, "not found\n");
	al_buf_init(&b, 8192);
	al_buf_adds(&b, prefix, NULL);
	for (size_t i = 0; i < rq->nseg; i++) {
		if (i)
			al_buf_add(&b, "/", 1, NULL);
		al_buf_adds(&b, rq->seg[i], NULL);
	}
	p = b.data ? sv_snap_path(rq->snap, b.data) : NULL;
	al_buf_release(&b);
	if (!p)
		return sv_reply_text(rq, 404, "not found\n");
	ret = sv_reply_blob(rq, p->digest, p->size, p->media_type, NULL);
	return ret;
}

enum MHD_Result sv_packages(struct sv_req *rq)
{
	return by_path(rq, "packages/", 10, 1);
}

enum MHD_Result sv_files(struct sv_req *rq)
{
	return by_path(rq, "files/", 7, 0);
}
