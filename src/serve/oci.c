/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci.c: the OCI distribution API (docs/protocols/oci-distribution.md). Pull is
 * served from the snapshot; push (push.c) only with the token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "serve.h"
#include "sv_internal.h"

#define MT_INDEX "application/vnd.oci.image.index.v1+json"

/* Splits /v2/NAME/... into the operation, the repository name and the last segment. */
static enum sv_oci_op parse(struct sv_req *rq, char **name, const char **ref)
{
	size_t n, k;
	struct al_buf b;
	*name = NULL;
	*ref = NULL;
	if (sv_split(rq, rq->path + (rq->path[3] == '/' ? 4 : 3)) || rq->bad_path || rq->slash_seg)
		return OP_BAD;
	n = rq->nseg;
	if (n == 0)
		return OP_BASE;
	if (n == 1 && !strcmp(rq->seg[0], "_catalog"))
		return OP_CATALOG;
	if (n >= 3 && !strcmp(rq->seg[n - 3], "blobs") && !strcmp(rq->seg[n - 2], "uploads")) {
		k = n - 3;
		*ref = rq->seg[n - 1];
	} else if (n >= 3 && !strcmp(rq->seg[n - 2], "blobs") && !strcmp(rq->seg[n - 1], "uploads")) {
		k = n - 2;
	} else if (n >= 3 && (!strcmp(rq->seg[n - 2], "manifests") || !strcmp(rq->seg[n - 2], "blobs") ||
			      !strcmp(rq->seg[n - 2], "referrers"))) {
		k = n - 2;
		*ref = rq->seg[n - 1];
	} else if (n >= 3 && !strcmp(rq->seg[n - 2], "tags") && !strcmp(rq->seg[n - 1], "list")) {
		k = n - 2;
	} else {
		return OP_BAD;
	}
	al_buf_init(&b, 512);
	for (size_t i = 0; i < k; i++) {
		if (i)
			al_buf_add(&b, "/", 1, NULL);
		al_buf_adds(&b, rq->seg[i], NULL);
	}
	if (al_buf_check(&b, NULL)) { /* a name too long for the registry: never a shorter one */
		al_buf_release(&b);
		return OP_BAD;
	}
	*name = al_buf_take(&b, NULL);
	if (!*name)
		return OP_BAD;
	if (*ref && (!strcmp(rq->seg[n - 3], "blobs") && !strcmp(rq->seg[n - 2], "uploads")))
		return OP_UPLOAD;
	if (!*ref && !strcmp(rq->seg[n - 1], "uploads"))
		return OP_UPLOAD_NEW;
	if (!*ref)
		return OP_TAGS;
	if (!strcmp(rq->seg[n - 2], "manifests"))
		return OP_MANIFEST;
	if (!strcmp(rq->seg[n - 2], "blobs"))
		return OP_BLOB;
	return OP_REFERRERS;
}

int sv_digest_ok(const char *d)
{
	return al_digest_valid(d);
}

/* ?n= and ?last= : -1 on a bad n. */
static long page_n(struct sv_req *rq)
{
	const char *v = sv_arg(rq, "n");
	char *end;
	long n;
	if (!v)
		return 1000000;
	n = strtol(v, &end, 10);
	if (!*v || *end || n < 0)
		return -1;
	return n;
}

static void next_link(struct sv_req *rq, const char *base, long n, const char *last)
{
	struct al_buf b;
	al_buf_init(&b, 4096);
	al_buf_addf(&b, NULL, "<%s?n=%ld&last=", base, n);
	al_buf_add_url(&b, last, "", NULL);
	al_buf_adds(&b, ">; rel=\"next\"", NULL);
	if (!al_buf_check(&b, NULL) && b.data)
		sv_header(rq, "Link", b.data);
	al_buf_release(&b);
}

static enum MHD_Result tags(struct sv_req *rq, const char *name)
{
	const struct sv_snap *s = rq->snap;
	long n = page_n(rq), count = 0;
	const char *last = sv_arg(rq, "last");
	struct al_buf b;
	enum MHD_Result ret;
	size_t i;
	if (n < 0)
		return sv_oci_error(rq, 400, "UNSUPPORTED", "n must be a number of 0 or more");
	al_buf_init(&b, 64u << 20);
	al_buf_adds(&b, "{\"name\":", NULL);
	sv_json_str(&b, name, NULL);
	al_buf_adds(&b, ",\"tags\":[", NULL);
	for (i = sv_snap_tags_from(s, name, last); i < s->ntags && !strcmp(s->tags[i].repo, name) && count < n;
	     i++, count++) {
		if (count)
			al_buf_add(&b, ",", 1, NULL);
		sv_json_str(&b, s->tags[i].tag, NULL);
	}
	al_buf_adds(&b, "]}\n", NULL);
	if (count && i < s->ntags && !strcmp(s->tags[i].repo, name)) {
		char *base = al_strf("/v2/%s/tags/list", name);
		if (base)
			next_link(rq, base, n, s->tags[i - 1].tag);
		free(base);
	}
	ret = sv_reply_buf(rq, 200, "application/json", &b);
	al_buf_release(&b);
	return ret;
}

static enum MHD_Result catalog(struct sv_req *rq)
{
	const struct sv_snap *s = rq->snap;
	long n = page_n(rq), count = 0;
	const char *last = sv_arg(rq, "last");
	struct al_buf b;
	enum MHD_Result ret;
	size_t i = 0;
	if (n < 0)
		return sv_oci_error(rq, 400, "UNSUPPORTED", "n must be a number of 0 or more");
	while (last && i < s->nrepos && strcmp(s->repos[i], last) <= 0)
		i++;
	al_buf_init(&b, 64u << 20);
	al_buf_adds(&b, "{\"repositories\":[", NULL);
	for (; i < s->nrepos && count < n; i++, count++) {
		if (count)
			al_buf_add(&b, ",", 1, NULL);
		sv_json_str(&b, s->repos[i], NULL);
	}
	al_buf_adds(&b, "]}\n", NULL);
	if (count && i < s->nrepos)
		next_link(rq, "/v2/_catalog", n, s->repos[i - 1]);
	ret = sv_reply_buf(rq, 200, "application/json", &b);
	al_buf_release(&b);
	return ret;
}

static enum MHD_Result manifest(struct sv_req *rq, const char *name, const char *ref)
{
	const struct sv_blob *m = NULL;
	if (strchr(ref, ':')) {
		if (!sv_digest_ok(ref))
			return sv_oci_error(rq, 400, "DIGEST_INVALID", "'%s' is not a sha256 digest", ref);
		m = sv_snap_blob(rq->snap, name, ref);
		if (m && !m->body)
			m = NULL;
	} else {
		const struct sv_tag *t;
		if (!sv_oci_tag_valid(ref))
			return sv_oci_error(rq, 404, "MANIFEST_UNKNOWN", "'%s' is neither a valid tag nor a digest", ref);
		t = sv_snap_tag(rq->snap, name, ref);
		m = t ? t->manifest : NULL;
	}
	if (!m)
		return sv_oci_error(rq, 404, "MANIFEST_UNKNOWN", "manifest '%s' is not in repository '%s'", ref, name);
	{
		char etag[AL_DIGEST_STR + 2];
		const char *inm = sv_hdr(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
		snprintf(etag, sizeof(etag), "\"%s\"", m->digest);
		sv_header(rq, "Docker-Content-Digest", m->digest);
		sv_header(rq, MHD_HTTP_HEADER_ETAG, etag);
		if (inm && strstr(inm, m->digest))
			return sv_reply(rq, 304, NULL, "", 0);
	}
	return sv_reply(rq, 200, m->media_type, m->body, m->size);
}

static enum MHD_Result blob(struct sv_req *rq, const char *name, const char *digest)
{
	const struct sv_blob *b;
	const char *hdr[3];
	if (!sv_digest_ok(digest))
		return sv_oci_error(rq, 400, "DIGEST_INVALID", "'%s' is not a sha256 digest", digest);
	b = sv_snap_blob(rq->snap, name, digest);
	if (!b)
		return sv_oci_error(rq, 404, "BLOB_UNKNOWN", "blob '%s' is not in repository '%s'", digest, name);
	hdr[0] = "Docker-Content-Digest";
	hdr[1] = b->digest;
	hdr[2] = NULL;
	return sv_reply_blob(rq, b->digest, b->size, "application/octet-stream", hdr);
}

static enum MHD_Result referrers(struct sv_req *rq, const char *name, const char *digest)
{
	const struct sv_snap *s = rq->snap;
	const char *want = sv_arg(rq, "artifactType");
	struct al_buf b;
	enum MHD_Result ret;
	int n = 0;
	if (!sv_digest_ok(digest))
		return sv_oci_error(rq, 400, "DIGEST_INVALID", "'%s' is not a sha256 digest", digest);
	if (want)
		sv_header(rq, "OCI-Filters-Applied", "artifactType");
	al_buf_init(&b, 64u << 20);
	al_buf_adds(&b, "{\"schemaVersion\":2,\"mediaType\":\"" MT_INDEX "\",\"manifests\":[", NULL);
	for (size_t i = sv_snap_referrers(s, name, digest);
	     i < s->nreferrers && !strcmp(s->referrers[i].repo, name) && !strcmp(s->referrers[i].subject, digest); i++) {
		const struct sv_referrer *r = &s->referrers[i];
		if (want && (!r->artifact_type || strcmp(want, r->artifact_type)))
			continue;
		al_buf_adds(&b, n++ ? ",{\"mediaType\":" : "{\"mediaType\":", NULL);
		sv_json_str(&b, r->manifest->media_type, NULL);
		al_buf_addf(&b, NULL, ",\"digest\":\"%s\",\"size\":%llu", r->manifest->digest,
			    (unsigned long long)r->manifest->size);
		if (r->artifact_type) {
			al_buf_adds(&b, ",\"artifactType\":", NULL);
			sv_json_str(&b, r->artifact_type, NULL);
		}
		if (r->annotations) {
			al_buf_adds(&b, ",\"annotations\":", NULL);
			al_buf_adds(&b, r->annotations, NULL);
		}
		al_buf_add(&b, "}", 1, NULL);
	}
	al_buf_adds(&b, "]}\n", NULL);
	ret = sv_reply_buf(rq, 200, MT_INDEX, &b);
	al_buf_release(&b);
	return ret;
}

enum MHD_Result sv_oci(struct sv_req *rq, const char *upload, size_t *upload_size)
{
	char *name = NULL;
	const char *ref = NULL;
	enum sv_oci_op op;
	enum MHD_Result ret;
	if (rq->body_started)
		return sv_push(rq, OP_PUSH_CONTINUE, NULL, NULL, upload, upload_size);
	sv_header(rq, "Docker-Distribution-API-Version", "registry/2.0");
	op = parse(rq, &name, &ref);
	if (op == OP_BAD) {
		free(name);
		return sv_oci_error(rq, rq->bad_path || rq->slash_seg ? 400 : 404,
				    rq->bad_path || rq->slash_seg ? "NAME_INVALID" : "NAME_UNKNOWN",
				    "'%s' is not a path of the distribution API", rq->path);
	}
	if (rq->method != SV_GET && rq->method != SV_HEAD) {
		ret = sv_push(rq, (int)op, name, ref, upload, upload_size);
		free(name);
		return ret;
	}
	if (name && !sv_oci_name_valid(name)) {
		ret = sv_oci_error(rq, 400, "NAME_INVALID", "'%s' is not a valid repository name", name);
		free(name);
		return ret;
	}
	switch (op) {
	case OP_BASE:
		ret = sv_push_base(rq);
		break;
	case OP_CATALOG:
		ret = catalog(rq);
		break;
	case OP_UPLOAD:
	case OP_UPLOAD_NEW:
		ret = sv_push(rq, (int)op, name, ref, upload, upload_size);
		break;
	default:
		if (!sv_snap_has_repo(rq->snap, name)) {
			ret = sv_oci_error(rq, 404, "NAME_UNKNOWN", "repository '%s' is not in this store", name);
			break;
		}
		if (op == OP_TAGS)
			ret = tags(rq, name);
		else if (op == OP_MANIFEST)
			ret = manifest(rq, name, ref);
		else if (op == OP_BLOB)
			ret = blob(rq, name, ref);
		else
			ret = referrers(rq, name, ref);
	}
	free(name);
	return ret;
}
