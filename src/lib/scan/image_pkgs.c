/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_pkgs.c: the packages installed in an image (scan.h), read from its layer tars as
 * streams, never unpacked: dpkg's status database, apk's installed database and Python's
 * *.dist-info/METADATA, with /etc/os-release naming the distribution. Layers apply in
 * order: a later copy of a file replaces an earlier one, and an OCI whiteout (.wh.NAME)
 * removes it.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "format.h"
#include "fsx.h"
#include "json.h"
#include "scan.h"
#include "scan_internal.h"
#include "wheel.h"

enum { DB_MAX = 64u << 20, META_MAX = 1u << 20 };

/* What the layers leave: the files airlock reads, by path (value: their text, or null once removed). */
struct fsview {
	json_t *files;
};

/* Whether PATH (normalized) is one of the files read. */
static int wanted(const char *p)
{
	size_t n = strlen(p);
	if (!strcmp(p, "var/lib/dpkg/status") || !strcmp(p, "lib/apk/db/installed") || !strcmp(p, "etc/os-release") ||
	    !strcmp(p, "usr/lib/os-release"))
		return 1;
	return n > 19 && !strcmp(p + n - 19, ".dist-info/METADATA");
}

/* Removes what a whiteout at PATH (".wh.NAME" or ".wh..wh..opq") hides. */
static void whiteout(struct fsview *v, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t dirlen = (size_t)(base - path);
	const char *k;
	json_t *val;
	void *tmp;
	int opaque = !strcmp(base, ".wh..wh..opq");
	json_object_foreach_safe(v->files, tmp, k, val) {
		if (strncmp(k, path, dirlen))
			continue;
		if (opaque || (!strncmp(k + dirlen, base + 4, strlen(base + 4)) &&
			       (k[dirlen + strlen(base + 4)] == '/' || !k[dirlen + strlen(base + 4)])))
			json_object_del(v->files, k);
	}
}

/* One layer, read as a stream. */
static enum al_code layer(const char *path, const char *what, struct fsview *v, struct al_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct al_buf b;
	enum al_code rc = AL_OK;
	int r = ARCHIVE_OK;
	if (!a)
		return al_fail(err, AL_ENOMEM, "out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	al_buf_init(&b, DB_MAX);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
		rc = al_fail(err, AL_EIO, "%s: a layer libarchive cannot read: %s", what, archive_error_string(a));
	while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e), *base;
		la_int64_t size = archive_entry_size(e);
		while (p && (*p == '/' || !strncmp(p, "./", 2)))
			p += *p == '/' ? 1 : 2;
		if (!p)
			continue;
		base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		if (!strncmp(base, ".wh.", 4)) {
			whiteout(v, p);
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG || !wanted(p))
			continue;
		if (size < 0 || (uint64_t)size > (strstr(p, ".dist-info/") ? META_MAX : DB_MAX)) {
			rc = al_fail(err, AL_ELIMIT, "%s: '%s' is too large to read (%lld bytes)", what, p, (long long)size);
			break;
		}
		b.len = 0;
		if ((rc = al_buf_grow(&b, (size_t)size + 1, err)))
			break;
		if (archive_read_data(a, b.data, (size_t)size) != size) {
			rc = al_fail(err, AL_EIO, "%s: cannot read '%s': %s", what, p, archive_error_string(a));
			break;
		}
		json_object_set_new(v->files, p, json_stringn_nocheck(b.data, (size_t)size));
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = al_fail(err, AL_EIO, "%s: the layer is damaged: %s", what, archive_error_string(a));
	al_buf_release(&b);
	archive_read_free(a);
	return rc;
}

/* The value of KEY= in os-release text, unquoted, into out. */
static void osrel(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	out[0] = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, "\n"), i = 0;
		if (n <= kl || strncmp(l, key, kl) || l[kl] != '=')
			continue;
		for (const char *q = l + kl + 1; q < l + n && i + 1 < cap; q++)
			if (*q != '"' && *q != '\'')
				out[i++] = *q;
		out[i] = 0;
		return;
	}
}

/* One "Key: value" field of a paragraph [p, end) into out (first line only). */
static int field(const char *p, const char *end, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *l = p; l < end; l = memchr(l, '\n', (size_t)(end - l)) ? (const char *)memchr(l, '\n', (size_t)(end - l)) + 1 : end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l), i = 0;
		const char *q = l + kl;
		if (n <= kl || strncasecmp(l, key, kl))
			continue;
		while (q < l + n && (*q == ' ' || *q == '\t'))
			q++;
		for (; q < l + n && i + 1 < cap; q++)
			out[i++] = *q;
		while (i && (out[i - 1] == ' ' || out[i - 1] == '\r'))
			i--;
		out[i] = 0;
		return 1;
	}
	return 0;
}

/* purl (ECMA-427): pkg:deb/debian/NAME@VERSION?distro=debian-12, pkg:apk/alpine/…, pkg:pypi/NAME@VERSION;
 * a ':' of a Debian epoch is percent-encoded. */
static void add_pkg(json_t *out, const char *eco, const char *name, const char *version, const char *source,
		    const char *purl_type, const char *vendor, const char *distro)
{
	char ver[512];
	size_t n = 0;
	for (const char *c = version; *c && n + 4 < sizeof(ver); c++) {
		if (*c == ':') {
			memcpy(ver + n, "%3A", 3);
			n += 3;
		} else {
			ver[n++] = *c;
		}
	}
	ver[n] = 0;
	char *purl = al_strf("pkg:%s/%s%s%s@%s%s%s", purl_type, vendor ? vendor : "", vendor ? "/" : "", name, ver,
			     distro ? "?distro=" : "", distro ? distro : "");
	json_t *p = json_pack("{s:s, s:o, s:o, s:o}", "ecosystem", eco, "name", al_json_text(name), "version",
			      al_json_text(version), "purl", purl ? al_json_text(purl) : json_null());
	if (p && source && *source)
		json_object_set_new(p, "source", al_json_text(source));
	json_array_append_new(out, p);
	free(purl);
}

/* dpkg's status: every package whose Status says installed; OSV's Debian names source packages. */
static void dpkg(const char *text, const char *eco, const char *vendor, const char *distro, json_t *out)
{
	const char *p = text, *end;
	for (; p && *p; p = end && *end ? end : NULL) {
		char pkg[256], ver[256], st[256], src[512];
		const char *gap = strstr(p, "\n\n");
		end = gap ? gap + 2 : p + strlen(p);
		if (!field(p, end, "Package:", pkg, sizeof(pkg)) || !field(p, end, "Version:", ver, sizeof(ver)) ||
		    !field(p, end, "Status:", st, sizeof(st)) || !strstr(st, " installed"))
			continue;
		if (!field(p, end, "Source:", src, sizeof(src)))
			src[0] = 0;
		add_pkg(out, eco, pkg, ver, src, "deb", vendor, distro);
	}
}

/* apk's installed database: P: name, V: version, o: origin. */
static void apk(const char *text, const char *eco, const char *vendor, const char *distro, json_t *out)
{
	const char *p = text, *end;
	for (; p && *p; p = end && *end ? end : NULL) {
		char pkg[256], ver[256], origin[256];
		const char *gap = strstr(p, "\n\n");
		end = gap ? gap + 2 : p + strlen(p);
		if (!field(p, end, "P:", pkg, sizeof(pkg)) || !field(p, end, "V:", ver, sizeof(ver)))
			continue;
		if (!field(p, end, "o:", origin, sizeof(origin)))
			origin[0] = 0;
		add_pkg(out, eco, pkg, ver, origin, "apk", vendor, distro);
	}
}

json_t *al_image_packages_text(const char *os, const char *status, const char *apkdb)
{
	char id[64], ver[64], eco[96] = "", distro[128];
	json_t *out = json_array();
	osrel(os ? os : "", "ID", id, sizeof(id));
	osrel(os ? os : "", "VERSION_ID", ver, sizeof(ver));
	snprintf(distro, sizeof(distro), "%s-%s", id, ver);
	if (!strcmp(id, "debian"))
		snprintf(eco, sizeof(eco), "Debian:%.*s", (int)strcspn(ver, "."), ver);
	else if (!strcmp(id, "ubuntu"))
		snprintf(eco, sizeof(eco), "Ubuntu:%s", ver);
	else if (!strcmp(id, "alpine"))
		snprintf(eco, sizeof(eco), "Alpine:v%.*s", (int)(strchr(ver, '.') && strchr(strchr(ver, '.') + 1, '.')
								  ? (size_t)(strchr(strchr(ver, '.') + 1, '.') - ver)
								  : strlen(ver)), ver);
	if (out && status)
		dpkg(status, *eco ? eco : "Debian", *id ? id : "debian", *id && *ver ? distro : NULL, out);
	if (out && apkdb)
		apk(apkdb, *eco ? eco : "Alpine", *id ? id : "alpine", *id && *ver ? distro : NULL, out);
	return out;
}

/* The packages the files left by the layers describe. */
static void packages(const struct fsview *v, json_t *out)
{
	const char *os = json_string_value(json_object_get(v->files, "etc/os-release"));
	json_t *sys = al_image_packages_text(os ? os : json_string_value(json_object_get(v->files, "usr/lib/os-release")),
					     json_string_value(json_object_get(v->files, "var/lib/dpkg/status")),
					     json_string_value(json_object_get(v->files, "lib/apk/db/installed")));
	const char *k;
	json_t *val;
	json_array_extend(out, sys);
	json_decref(sys);
	json_object_foreach(v->files, k, val) {
		const char *t = json_string_value(val);
		char name[256], version[256];
		if (!strstr(k, ".dist-info/METADATA"))
			continue;
		if (field(t, t + strlen(t), "Name:", name, sizeof(name)) && field(t, t + strlen(t), "Version:", version, sizeof(version))) {
			char *norm = al_pep503_normalize(name, strlen(name));
			add_pkg(out, "PyPI", norm ? norm : name, version, NULL, "pypi", NULL, NULL);
			free(norm);
		}
	}
}

/* The layers of one image manifest M, in order. */
static enum al_code manifest_layers(const char *dir, const json_t *m, const char *what, struct fsview *v,
				    struct al_err *err)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		char *path = al_scan_blob_path(dir, al_json_str(l, "digest") ? al_json_str(l, "digest") : "");
		enum al_code rc = path ? layer(path, what, v, err) : al_fail(err, AL_ENOMEM, "out of memory");
		free(path);
		if (rc)
			return rc;
	}
	return AL_OK;
}

enum al_code al_image_packages(const char *dir, const struct al_artifact *a, json_t **out, struct al_err *err)
{
	char *path = al_scan_blob_path(dir, a->digest);
	json_t *m = NULL, *sub;
	enum al_code rc = path ? al_scan_read_json(path, AL_MAX_MANIFEST, a->name, &m, err) : al_fail(err, AL_ENOMEM, "out of memory");
	size_t i;
	free(path);
	*out = json_array();
	if (!rc && !json_object_get(m, "manifests")) {
		struct fsview v = { json_object() };
		if (!(rc = manifest_layers(dir, m, a->name, &v, err)))
			packages(&v, *out);
		json_decref(v.files);
	}
	/* an index: every platform's image, each package once */
	json_array_foreach(rc ? NULL : json_object_get(m, "manifests"), i, sub) {
		struct fsview v = { json_object() };
		json_t *sm = NULL, *pk = json_array(), *p;
		size_t k, j;
		char *sp = al_scan_blob_path(dir, al_json_str(sub, "digest") ? al_json_str(sub, "digest") : "");
		rc = sp ? al_scan_read_json(sp, AL_MAX_MANIFEST, a->name, &sm, err) : al_fail(err, AL_ENOMEM, "out of memory");
		if (!rc && !(rc = manifest_layers(dir, sm, a->name, &v, err)))
			packages(&v, pk);
		json_array_foreach(pk, k, p) {
			int seen = 0;
			for (j = 0; j < json_array_size(*out); j++)
				seen |= json_equal(json_array_get(*out, j), p);
			if (!seen)
				json_array_append(*out, p);
		}
		json_decref(pk);
		json_decref(sm);
		json_decref(v.files);
		free(sp);
		if (rc)
			break;
	}
	json_decref(m);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
