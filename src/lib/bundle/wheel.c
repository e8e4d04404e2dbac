/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wheel.c: reading a wheel's name and core metadata with libarchive's zip
 * reader. Only METADATA is read, bounded by AL_MAX_METADATA.
 */
#include "wheel.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"

char *al_pep503_normalize(const char *name, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '-' || c == '_' || c == '.') {
			if (o == out || o[-1] != '-')
				*o++ = '-';
		} else {
			*o++ = (char)tolower((unsigned char)c);
		}
	}
	*o = '\0';
	return out;
}

enum al_code al_metadata_header(const char *meta, size_t n, const char *key, char **out, struct al_err *err)
{
	size_t klen = strlen(key);
	*out = NULL;
	const char *p = meta, *end = meta + n;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '\r'))
			break; /* end of headers; the body follows */
		if (len > klen && !strncasecmp(p, key, klen) && p[klen] == ':') {
			const char *v = p + klen + 1, *ve = p + len;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*out = al_memdup(v, (size_t)(ve - v));
			return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory reading the '%s' header", key);
		}
		p = eol ? eol + 1 : end;
	}
	return AL_OK;
}

void al_wheel_release(struct al_wheel *w)
{
	free(w->filename);
	free(w->name);
	free(w->normalized);
	free(w->version);
	free(w->requires_python);
	free(w->metadata);
	memset(w, 0, sizeof(*w));
}

/*
 * The distribution name (PEP 503 normalized) and version a wheel's file name BASE gives:
 * {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl. *norm and *ver are
 * fresh strings (caller frees) on success, NULL on error.
 */
static enum al_code parse_wheel_name(const char *path, const char *base, char **norm, char **ver,
				     struct al_err *err)
{
	size_t n = strlen(base), dashes = 0;
	const char *dash1, *dash2;
	*norm = *ver = NULL;
	if (n < 5 || strcmp(base + n - 4, ".whl") != 0)
		return al_fail(err, AL_EINVAL, "'%s' is not a wheel: the name does not end in .whl", path);
	for (const char *p = base; *p; p++)
		dashes += *p == '-';
	if (dashes != 4 && dashes != 5)
		return al_fail(err, AL_EINVAL, "'%s' is not a wheel: the file name does not have the form NAME-VERSION-PY-ABI-PLATFORM.whl", path);
	dash1 = strchr(base, '-');
	dash2 = strchr(dash1 + 1, '-');
	*norm = al_pep503_normalize(base, (size_t)(dash1 - base));
	*ver = strndup(dash1 + 1, (size_t)(dash2 - dash1 - 1));
	if (!*norm || !*ver) {
		free(*norm);
		free(*ver);
		*norm = *ver = NULL;
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	return AL_OK;
}

/* The rest of the current entry of A (named P, in wheel PATH) into META. */
static enum al_code read_entry(struct archive *a, const char *p, const char *path, struct al_buf *meta,
			       struct al_err *err)
{
	for (;;) {
		char chunk[16384];
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		enum al_code rc;
		if (n < 0)
			return al_fail(err, AL_EINVAL, "cannot read '%s' in '%s': %s", p, path, archive_error_string(a));
		if (n == 0)
			return AL_OK;
		if ((rc = al_buf_add(meta, chunk, (size_t)n, err)))
			return rc;
	}
}

/* The bytes of the wheel's one top-level NAME-VERSION.dist-info/METADATA into META (capped at
 * AL_MAX_METADATA); missing is an error. */
static enum al_code read_metadata(const char *path, struct al_buf *meta, struct al_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	enum al_code rc = AL_OK;
	int found = 0, r;
	if (!a)
		return al_fail(err, AL_ENOMEM, "out of memory");
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = al_fail(err, AL_EINVAL, "cannot read wheel '%s': %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		const char *slash = p ? strchr(p, '/') : NULL;
		if (!slash || strcmp(slash, "/METADATA") != 0 || slash - p < 11 ||
		    strncmp(slash - 10, ".dist-info", 10) != 0)
			continue;
		if (archive_entry_size(e) > (la_int64_t)AL_MAX_METADATA)
			rc = al_fail(err, AL_ELIMIT, "'%s' in '%s' is larger than %u bytes", p, path, AL_MAX_METADATA);
		else
			rc = read_entry(a, p, path, meta, err);
		found = 1;
		break;
	}
	if (!found)
		rc = al_fail(err, AL_EINVAL, "'%s' has no *.dist-info/METADATA%s", path,
			     r == ARCHIVE_OK || r == ARCHIVE_EOF ? "" : " (the zip is damaged)");
out:
	archive_read_free(a);
	return rc;
}

/* Name, Version and Requires-Python from w->metadata, checked against the file name's
 * normalized name NORM and version VER. */
static enum al_code read_headers(const char *path, const char *norm, const char *ver, struct al_wheel *w,
				 struct al_err *err)
{
	enum al_code rc;
	if ((rc = al_metadata_header(w->metadata, w->metadata_len, "Name", &w->name, err)) ||
	    (rc = al_metadata_header(w->metadata, w->metadata_len, "Version", &w->version, err)) ||
	    (rc = al_metadata_header(w->metadata, w->metadata_len, "Requires-Python", &w->requires_python, err)))
		return rc;
	if (!w->name || !w->version)
		return al_fail(err, AL_EINVAL, "'%s': METADATA lacks Name or Version", path);
	if (!(w->normalized = al_pep503_normalize(w->name, strlen(w->name))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (strcmp(w->normalized, norm) != 0 || strcmp(w->version, ver) != 0)
		return al_fail(err, AL_EINVAL, "'%s': the file name says %s %s but METADATA says %s %s", path, norm,
			       ver, w->name, w->version);
	return AL_OK;
}

enum al_code al_wheel_read(const char *path, struct al_wheel *w, struct al_err *err)
{
	const char *base = strrchr(path, '/');
	return al_wheel_read_as(path, base ? base + 1 : path, w, err);
}

enum al_code al_wheel_read_as(const char *path, const char *base, struct al_wheel *w, struct al_err *err)
{
	char *norm = NULL, *ver = NULL;
	struct al_buf meta;
	enum al_code rc;
	memset(w, 0, sizeof(*w));
	if (strchr(base, '/') || strchr(base, '\\'))
		return al_fail(err, AL_EINVAL, "'%s' is not a wheel's file name: it holds a path separator", base);
	if ((rc = parse_wheel_name(path, base, &norm, &ver, err)))
		return rc;
	al_buf_init(&meta, AL_MAX_METADATA);
	if (!(w->filename = strdup(base)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && !(rc = read_metadata(path, &meta, err))) {
		w->metadata_len = meta.len;
		w->metadata = al_buf_take(&meta, NULL);
		rc = w->metadata ? read_headers(path, norm, ver, w, err) : al_fail(err, AL_ENOMEM, "out of memory");
	}
	al_buf_release(&meta);
	free(norm);
	free(ver);
	if (rc)
		al_wheel_release(w);
	return rc;
}
