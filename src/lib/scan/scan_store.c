/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_store.c: the inside's half of the scan (scan.h): what a store holds, laid out as a
 * bundle's artifact list over the store's blobs, and the advisory data that crossed as
 * vulndb artifacts, into the store's own advisory database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "format.h"
#include "fsx.h"
#include "json.h"
#include "scan.h"
#include "scan_internal.h"
#include "wheel.h"

/* The digest of ITEM's blob of media type MT, or NULL. */
static const char *blob_of(const json_t *item, const char *mt)
{
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(item, "blobs"), i, b) {
		const char *m = al_json_str(b, "mediaType");
		if (m && !strcmp(m, mt))
			return al_json_str(b, "digest");
	}
	return NULL;
}

/* A wheel's details (as airlock.json gives them) from its .whl blob's METADATA. */
static enum al_code wheel_info(const char *root, const json_t *item, json_t **info, struct al_err *err)
{
	const char *d = blob_of(item, AL_MT_WHEEL), *fn = al_json_str(item, "filename");
	struct al_wheel w = { 0 };
	char *path;
	enum al_code rc;
	if (!d || !fn)
		return al_fail(err, AL_ESTORE, "wheel %s: the store records no .whl blob or file name",
			       al_json_str(item, "name"));
	if (!(path = al_scan_blob_path(root, d)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_wheel_read_as(path, fn, &w, err);
	free(path);
	if (!rc && !(*info = json_pack("{s:s, s:s, s:s, s:s}", "project", w.name, "version", w.version, "filename", fn,
				       "sha256", d + 7)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	al_wheel_release(&w);
	return rc;
}

enum al_code al_scan_store_info(const char *root, const json_t *items, struct al_bundle_info *info, struct al_err *err)
{
	size_t i;
	json_t *it;
	memset(info, 0, sizeof(*info));
	if (!(info->name = strdup("store")) ||
	    !(info->artifacts = calloc(json_array_size(items) + 1, sizeof(*info->artifacts))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	json_array_foreach(items, i, it) {
		struct al_artifact *a = &info->artifacts[info->nartifacts];
		enum al_code rc = AL_OK;
		if (al_kind_parse(al_json_str(it, "kind"), &a->kind) || !al_json_str(it, "digest") ||
		    strlen(al_json_str(it, "digest")) >= sizeof(a->digest))
			rc = al_fail(err, AL_ESTORE, "the store lists an artifact of no known kind or digest");
		else if (!(a->name = strdup(al_json_str(it, "name"))) ||
			 (al_json_str(it, "upstream") && !(a->upstream = strdup(al_json_str(it, "upstream")))))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (a->kind == AL_KIND_WHEEL)
			rc = wheel_info(root, it, &a->info, err);
		else if (!(a->info = json_object()))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		info->nartifacts++;
		if (rc)
			return rc;
		memcpy(a->digest, al_json_str(it, "digest"), strlen(al_json_str(it, "digest")) + 1);
	}
	return AL_OK;
}

enum al_code al_osv_import_store(struct al_osv *o, const char *root, const json_t *items, struct al_osv_stats *st,
				 struct al_err *err)
{
	size_t i, j;
	json_t *it, *b;
	json_array_foreach(items, i, it) {
		if (strcmp(al_json_str(it, "kind"), "vulndb"))
			continue;
		json_array_foreach(json_object_get(it, "blobs"), j, b) {
			const char *mt = al_json_str(b, "mediaType"), *d = al_json_str(b, "digest");
			int yaml = mt && !strcmp(mt, AL_MT_OSV_YAML);
			struct al_buf buf;
			char *path, *what;
			enum al_code rc;
			if (!mt || (!yaml && strcmp(mt, AL_MT_OSV_JSON)))
				continue;
			if (!(path = al_scan_blob_path(root, d)))
				return al_fail(err, AL_ENOMEM, "out of memory");
			what = al_strf("%s (record %s of vulndb %s)", path, d, al_json_str(it, "name"));
			al_buf_init(&buf, 16u << 20);
			rc = what ? al_read_file(path, AL_NOFOLLOW, &buf, err) : al_fail(err, AL_ENOMEM, "out of memory");
			if (!rc)
				rc = al_osv_add(o, buf.data ? buf.data : "", buf.len, yaml, what, st, err);
			al_buf_release(&buf);
			free(path);
			free(what);
			if (rc)
				return rc;
		}
	}
	return AL_OK;
}
