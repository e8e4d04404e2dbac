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

enum al_code al_wheel_read(const char *path, struct al_wheel *w, struct al_err *err)
{
	const char *base = strrchr(path, '/');
	const char *dash1, *dash2;
	struct archive *a;
	struct archive_entry *e;
	struct al_buf meta;
	char *fname_norm = NULL, *fname_ver = NULL;
	enum al_code rc = AL_OK;
	int found = 0, r;
	memset(w, 0, sizeof(*w));
	base = base ? base + 1 : path;
	/* {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl */
	{
		size_t n = strlen(base), dashes = 0;
		if (n < 5 || strcmp(base + n - 4, ".whl") != 0)
			return al_fail(err, AL_EINVAL, "'%s' is not a wheel: the name does not end in .whl", path);
		for (const char *p = base; *p; p++)
			dashes += *p == '-';
		if (dashes != 4 && dashes != 5)
			return al_fail(err, AL_EINVAL, "'%s' is not a wheel: the file name does not have the form NAME-VERSION-PY-ABI-PLATFORM.whl", path);
	}
	dash1 = strchr(base, '-');
	dash2 = strchr(dash1 + 1, '-');
	fname_norm = al_pep503_normalize(base, (size_t)(dash1 - base));
	fname_ver = strndup(dash1 + 1, (size_t)(dash2 - dash1 - 1));
	w->filename = strdup(base);
	if (!fname_norm || !fname_ver || !w->filename) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out_noarchive;
	}
	al_buf_init(&meta, AL_MAX_METADATA);
	a = archive_read_new();
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = al_fail(err, AL_EINVAL, "cannot read wheel '%s': %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		const char *slash = p ? strchr(p, '/') : NULL;
		/* the one top-level NAME-VERSION.dist-info/METADATA */
		if (!slash || strcmp(slash, "/METADATA") != 0 || slash - p < 11 ||
		    strncmp(slash - 10, ".dist-info", 10) != 0)
			continue;
		if (archive_entry_size(e) > (la_int64_t)AL_MAX_METADATA) {
			rc = al_fail(err, AL_ELIMIT, "'%s' in '%s' is larger than %u bytes", p, path, AL_MAX_METADATA);
			goto out;
		}
		for (;;) {
			char chunk[16384];
			la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
			if (n < 0) {
				rc = al_fail(err, AL_EINVAL, "cannot read '%s' in '%s': %s", p, path,
					     archive_error_string(a));
				goto out;
			}
			if (n == 0)
				break;
			if ((rc = al_buf_add(&meta, chunk, (size_t)n, err)))
				goto out;
		}
		found = 1;
		break;
	}
	if (!found) {
		rc = al_fail(err, AL_EINVAL, "'%s' has no *.dist-info/METADATA%s", path,
			     r == ARCHIVE_OK || r == ARCHIVE_EOF ? "" : " (the zip is damaged)");
		goto out;
	}
	w->metadata_len = meta.len;
	w->metadata = al_buf_take(&meta, NULL);
	if (!w->metadata) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = al_metadata_header(w->metadata, w->metadata_len, "Name", &w->name, err)) ||
	    (rc = al_metadata_header(w->metadata, w->metadata_len, "Version", &w->version, err)) ||
	    (rc = al_metadata_header(w->metadata, w->metadata_len, "Requires-Python", &w->requires_python, err)))
		goto out;
	if (!w->name || !w->version) {
		rc = al_fail(err, AL_EINVAL, "'%s': METADATA lacks Name or Version", path);
		goto out;
	}
	w->normalized = al_pep503_normalize(w->name, strlen(w->name));
	if (!w->normalized) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if (strcmp(w->normalized, fname_norm) != 0 || strcmp(w->version, fname_ver) != 0)
		rc = al_fail(err, AL_EINVAL,
			     "'%s': the file name says %s %s but METADATA says %s %s", path, fname_norm,
			     fname_ver, w->name, w->version);
out:
	archive_read_free(a);
	al_buf_release(&meta);
out_noarchive:
	free(fname_norm);
	free(fname_ver);
	if (rc)
		al_wheel_release(w);
	return rc;
}
