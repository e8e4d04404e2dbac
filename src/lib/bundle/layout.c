/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layout.c: the OCI layout writer. Blobs land as temp → fsync → rename; the
 * directory entries are made durable once, at the end, per directory.
 */
#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"

json_t *al_descriptor(const char *media_type, const char *digest, uint64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
			 (json_int_t)size);
}

static uint64_t path_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot of path in l->seen (an index into files, plus one; 0 when free). */
static size_t *seen_slot(const struct al_layout *l, const char *path)
{
	size_t i = path_hash(path) & (l->capseen - 1);
	while (l->seen[i] && strcmp(l->files[l->seen[i] - 1].path, path))
		i = (i + 1) & (l->capseen - 1);
	return &l->seen[i];
}

/* Keeps l->seen at most half full (a model may have tens of thousands of files). */
static enum al_code seen_grow(struct al_layout *l, struct al_err *err)
{
	size_t *old = l->seen, oldcap = l->capseen;
	if (2 * (l->nfiles + 1) <= l->capseen)
		return AL_OK;
	l->capseen = oldcap ? oldcap * 2 : 1024;
	l->seen = calloc(l->capseen, sizeof(*l->seen));
	if (!l->seen) {
		l->seen = old;
		l->capseen = oldcap;
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			*seen_slot(l, l->files[old[i] - 1].path) = old[i];
	free(old);
	return AL_OK;
}

static enum al_code record(struct al_layout *l, const char *path, const char *digest, uint64_t size,
			   struct al_err *err)
{
	struct al_layout_file *f;
	size_t *slot;
	enum al_code rc = seen_grow(l, err);
	if (rc)
		return rc;
	slot = seen_slot(l, path);
	if (*slot)
		return AL_OK; /* deduplicated blob */
	rc = al_array_grow(&l->files, &l->capfiles, l->nfiles + 1, sizeof(*l->files), err);
	if (rc)
		return rc;
	f = &l->files[l->nfiles];
	f->path = strdup(path);
	if (!f->path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	snprintf(f->digest, sizeof(f->digest), "%s", digest);
	f->size = size;
	*slot = ++l->nfiles;
	return AL_OK;
}

enum al_code al_layout_create(struct al_layout *l, const char *dir, struct al_err *err)
{
	char *blobs;
	enum al_code rc;
	memset(l, 0, sizeof(*l));
	l->threads = al_default_threads();
	if (mkdir(dir, 0755) != 0)
		return al_fail_errno(err, AL_EIO, "cannot create '%s'", dir);
	l->dir = strdup(dir);
	l->manifests = json_array();
	blobs = al_join(dir, "blobs/sha256");
	rc = l->dir && l->manifests && blobs ? al_mkdirs(blobs, err) : al_fail(err, AL_ENOMEM, "out of memory");
	free(blobs);
	if (rc) {
		/* nothing half-made is left: neither the directory nor what l holds */
		al_rmtree(dir, NULL);
		al_layout_release(l);
	}
	return rc;
}

void al_layout_release(struct al_layout *l)
{
	for (size_t i = 0; i < l->nfiles; i++)
		free(l->files[i].path);
	free(l->files);
	free(l->seen);
	free(l->dir);
	json_decref(l->manifests);
	memset(l, 0, sizeof(*l));
}

static char *blob_path(const struct al_layout *l, const char *digest)
{
	return al_strf("%s/blobs/sha256/%s", l->dir, digest + 7);
}

enum al_code al_layout_put_mem(struct al_layout *l, const void *p, size_t n,
			       char digest[7 + AL_HEX_LEN + 1], struct al_err *err)
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], rel[16 + AL_HEX_LEN];
	char *path;
	struct stat st;
	enum al_code rc;
	if ((rc = al_sha256_mem(p, n, d, err)))
		return rc;
	al_hex(d, hex);
	snprintf(digest, 7 + AL_HEX_LEN + 1, "sha256:%s", hex);
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", hex);
	path = blob_path(l, digest);
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (lstat(path, &st) != 0)
		rc = al_write_atomic(path, p, n, err);
	free(path);
	return rc ? rc : record(l, rel, digest, n, err);
}

struct copy_ctx {
	struct al_layout *l;
	struct al_copy_job *jobs;
};

static void copy_one(void *ctx, size_t i, char *buf)
{
	struct copy_ctx *c = ctx;
	struct al_copy_job *j = &c->jobs[i];
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	char *tmp = al_strf("%s/blobs/sha256/.tmp-%zu", c->l->dir, i), *dst = NULL;
	struct al_err e = { 0 };
	uint64_t size = 0;
	int in = -1, out = -1;
	if (!tmp) {
		j->rc = AL_ENOMEM;
		return;
	}
	in = open(j->src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		j->rc = al_fail_errno(&e, AL_EIO, "cannot open '%s'", j->src);
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0) {
		j->rc = al_fail_errno(&e, AL_EIO, "cannot create '%s'", tmp);
		goto out;
	}
	j->rc = al_copy_hash_fd(in, out, j->src, buf, d, &size, c->l->prog, &e);
	if (j->rc)
		goto out;
	al_hex(d, hex);
	snprintf(j->digest, sizeof(j->digest), "sha256:%s", hex);
	if (j->expect[0] && strcmp(j->expect, j->digest) != 0) {
		j->rc = al_fail(&e, AL_EVERIFY, "digest mismatch for '%s': expected %s, got %s",
				j->src, j->expect, j->digest);
		goto out;
	}
	if (size != j->size) {
		j->rc = al_fail(&e, AL_EIO, "'%s' changed size while it was copied", j->src);
		goto out;
	}
	dst = blob_path(c->l, j->digest);
	if (!dst) {
		j->rc = al_fail(&e, AL_ENOMEM, "out of memory");
		goto out;
	}
	if (rename(tmp, dst) != 0)
		j->rc = al_fail_errno(&e, AL_EIO, "cannot rename '%s'", tmp);
out:
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (j->rc || dst == NULL)
		unlink(tmp);
	free(tmp);
	free(dst);
	if (j->rc && (j->err = malloc(sizeof(*j->err))))
		*j->err = e;
}

static int cmp_size_desc(const void *a, const void *b, void *ctx)
{
	const struct al_copy_job *j = ctx;
	uint64_t x = j[*(const size_t *)a].size, y = j[*(const size_t *)b].size;
	return x < y ? 1 : x > y ? -1 : 0;
}

enum al_code al_layout_put_files(struct al_layout *l, struct al_copy_job *jobs, size_t n,
				 struct al_err *err)
{
	struct copy_ctx c = { l, jobs };
	size_t *order;
	char *blobs;
	enum al_code rc;
	if (n == 0)
		return AL_OK;
	order = malloc(n * sizeof(*order));
	if (!order)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (n)
		qsort_r(order, n, sizeof(*order), cmp_size_desc, jobs);
	rc = al_parallel(copy_one, &c, order, n, l->threads, err);
	free(order);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].rc) {
			if (!jobs[i].err)
				return al_fail(err, jobs[i].rc, "cannot copy '%s': out of memory", jobs[i].src);
			if (err && err->code == AL_OK)
				*err = *jobs[i].err;
			return jobs[i].rc;
		}
	for (size_t i = 0; i < n; i++) {
		char rel[16 + AL_HEX_LEN], *path = blob_path(l, jobs[i].digest);
		snprintf(rel, sizeof(rel), "blobs/sha256/%s", jobs[i].digest + 7);
		rc = path ? al_sync_file(path, err) : al_fail(err, AL_ENOMEM, "out of memory");
		free(path);
		if (rc || (rc = record(l, rel, jobs[i].digest, jobs[i].size, err)))
			return rc;
	}
	blobs = al_join(l->dir, "blobs/sha256");
	if (!blobs)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_fsync_dir(blobs, err);
	free(blobs);
	return rc;
}

enum al_code al_layout_add_index(struct al_layout *l, json_t *desc, struct al_err *err)
{
	if (json_array_append(l->manifests, desc) != 0)
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

enum al_code al_layout_put_top(struct al_layout *l, const char *name, const void *p, size_t n,
			       struct al_err *err)
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], digest[7 + AL_HEX_LEN + 1];
	char *path = al_join(l->dir, name);
	enum al_code rc;
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_write_atomic(path, p, n, err);
	free(path);
	if (rc || (rc = al_sha256_mem(p, n, d, err)))
		return rc;
	al_hex(d, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	return record(l, name, digest, n, err);
}

enum al_code al_layout_write_index(struct al_layout *l, struct al_err *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	json_t *idx;
	struct al_buf b;
	enum al_code rc;
	if ((rc = al_layout_put_top(l, "oci-layout", layout, sizeof(layout) - 1, err)))
		return rc;
	idx = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
			"application/vnd.oci.image.index.v1+json", "manifests", l->manifests);
	if (!idx)
		return al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&b, AL_MAX_SMALL);
	rc = al_json_dump(idx, AL_JSON_PRETTY, &b, err);
	json_decref(idx);
	if (!rc)
		rc = al_layout_put_top(l, "index.json", b.data, b.len, err);
	al_buf_release(&b);
	return rc;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct al_layout_file *)a)->path, ((const struct al_layout_file *)b)->path);
}

enum al_code al_layout_write_sums(struct al_layout *l, struct al_err *err)
{
	struct al_buf b;
	char *path;
	enum al_code rc = AL_OK;
	if (l->nfiles)
		qsort(l->files, l->nfiles, sizeof(*l->files), cmp_file);
	al_buf_init(&b, AL_MAX_SUMS);
	for (size_t i = 0; i < l->nfiles && !rc; i++)
		rc = al_buf_addf(&b, err, "%s  %s\n", l->files[i].digest + 7, l->files[i].path);
	path = al_join(l->dir, "SHA256SUMS");
	if (!path)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc)
		rc = al_write_atomic(path, b.data ? b.data : "", b.len, err);
	free(path);
	al_buf_release(&b);
	return rc;
}
