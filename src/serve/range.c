/* SPDX-License-Identifier: Apache-2.0 */
/*
 * range.c: sending a blob of the store: one byte range (RFC 9110 §14), ETag
 * and If-None-Match / If-Range, from the file with sendfile. A blob whose
 * size on disk is not the catalog's is never sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsx.h"
#include "serve.h"
#include "sv_internal.h"

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
int sv_parse_u64(const char *s, const char *end, uint64_t *out)
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
		if (sv_parse_u64(dash + 1, end, &b) || b == 0 || size == 0)
			return SV_RANGE_BAD;
		if (b > size)
			b = size;
		*start = size - b;
		*len = b;
		return SV_RANGE_OK;
	}
	if (sv_parse_u64(spec, dash, &a) || a >= size)
		return SV_RANGE_BAD;
	if (dash + 1 == end)
		b = size - 1;
	else if (sv_parse_u64(dash + 1, end, &b) || b < a)
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
	return sv_queue(rq, status, r, len);
}

