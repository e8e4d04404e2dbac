/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simple.c: the PyPI simple API (docs/protocols/pypi-simple.md) from the pages
 * import wrote, the wheels and their METADATA under /packages/, and /files/.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fsx.h"
#include "serve.h"
#include "sv_internal.h"
#include "wheel.h"

#define MT_JSON "application/vnd.pypi.simple.v1+json"
#define MT_HTML1 "application/vnd.pypi.simple.v1+html"
#define MT_HTML "text/html"

/* What ?format= names. */
static enum sv_fmt fmt_of(const char *t)
{
	if (!strcasecmp(t, MT_JSON) || !strcasecmp(t, "application/vnd.pypi.simple.latest+json"))
		return F_JSON;
	if (!strcasecmp(t, MT_HTML1) || !strcasecmp(t, "application/vnd.pypi.simple.latest+html"))
		return F_HTML1;
	if (!strcasecmp(t, MT_HTML))
		return F_HTML;
	return F_NONE;
}

/* How specifically the media range R (length N) matches TYPE: 3 exactly, 2 by its major type
 * with a wildcard subtype, 1 by the wildcard of everything. */
static int match(const char *r, size_t n, const char *type)
{
	const char *slash = strchr(type, '/');
	if (n == strlen(type) && !strncasecmp(r, type, n))
		return 3;
	if (n == (size_t)(slash - type) + 2 && !strncasecmp(r, type, (size_t)(slash - type) + 1) && r[n - 1] == '*')
		return 2;
	return n == 3 && !strncmp(r, "*/*", 3) ? 1 : 0;
}

enum sv_fmt sv_pypi_negotiate(const char *accept)
{
	/* in the order that wins a tie: a browser that also takes anything at q=0.8 still gets HTML */
	static const struct {
		enum sv_fmt f;
		const char *types[2];
	} cands[] = {
		{ F_HTML, { MT_HTML, NULL } },
		{ F_JSON, { MT_JSON, "application/vnd.pypi.simple.latest+json" } },
		{ F_HTML1, { MT_HTML1, "application/vnd.pypi.simple.latest+html" } },
	};
	enum sv_fmt best = F_NONE;
	double bestq = 0;
	if (!accept || !*accept)
		return F_HTML;
	for (size_t c = 0; c < sizeof(cands) / sizeof(cands[0]); c++) {
		int spec = 0;
		double q = 0;
		/* the most specific range that names this type gives its q (RFC 9110 §12.5.1) */
		for (const char *p = accept; *p;) {
			const char *end = strchr(p, ','), *semi;
			size_t len, tl;
			double rq = 1;
			if (!end)
				end = p + strlen(p);
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			len = (size_t)(end - p);
			semi = memchr(p, ';', len);
			tl = semi ? (size_t)(semi - p) : len;
			while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
				tl--;
			for (const char *a = semi; a && a < end; a = memchr(a + 1, ';', (size_t)(end - a - 1))) {
				const char *v = a + 1;
				while (*v == ' ')
					v++;
				if (!strncasecmp(v, "q=", 2)) {
					rq = strtod(v + 2, NULL);
					if (!(rq >= 0 && rq <= 1)) /* also NaN */
						rq = 0;
				}
			}
			for (size_t t = 0; t < 2 && cands[c].types[t]; t++) {
				int m = match(p, tl, cands[c].types[t]);
				if (m > spec || (m && m == spec && rq > q)) {
					spec = m;
					q = rq;
				}
			}
			p = *end ? end + 1 : end;
		}
		if (spec && q > bestq) {
			best = cands[c].f;
			bestq = q;
		}
	}
	return best;
}

/* A name PEP 508 allows: letters, digits, '.', '_', '-'. */
static int name_ok(const char *s)
{
	if (!*s || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return 0;
	return 1;
}

static enum MHD_Result send_page(struct sv_req *rq, const struct sv_page *pg)
{
	const char *f = sv_arg(rq, "format");
	enum sv_fmt fm = f ? fmt_of(f) : sv_pypi_negotiate(sv_hdr(rq, MHD_HTTP_HEADER_ACCEPT));
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
	if (!name_ok(rq->seg[0]))
		return sv_reply_text(rq, 404, "no such project in this index (not a valid project name)\n");
	if (!(norm = al_pep503_normalize(rq->seg[0], strlen(rq->seg[0]))))
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
	p = !al_buf_check(&b, NULL) && b.data ? sv_snap_path(rq->snap, b.data) : NULL; /* never a shorter path */
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
