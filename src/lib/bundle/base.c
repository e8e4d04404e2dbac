/* SPDX-License-Identifier: Apache-2.0 */
/* base.c: what a differential bundle takes from what the inside already holds (base.h). */
#include "base.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <unistd.h>

#include "fsx.h"
#include "json.h"
#include "layout.h"

void al_base_release(struct al_base *b)
{
	free(b->v);
	free(b->about);
	memset(b, 0, sizeof(*b));
}

static int cmp_blob(const void *a, const void *b)
{
	return strcmp(((const struct al_base_blob *)a)->digest, ((const struct al_base_blob *)b)->digest);
}

int al_base_has(const struct al_base *b, const char *digest, uint64_t size)
{
	struct al_base_blob key;
	const struct al_base_blob *hit;
	if (!b || !b->n || !al_digest_valid(digest))
		return 0;
	memcpy(key.digest, digest, AL_DIGEST_STR);
	hit = bsearch(&key, b->v, b->n, sizeof(*b->v), cmp_blob);
	return hit && hit->size == size;
}

const char *al_base_parse_blobs(const json_t *blobs, struct al_base *b)
{
	size_t i;
	json_t *e;
	if (!json_is_array(blobs))
		return "\"blobs\" is not a list";
	if (!(b->v = calloc(json_array_size(blobs) + 1, sizeof(*b->v))))
		return "out of memory";
	json_array_foreach(blobs, i, e) {
		const char *d = al_json_str(e, "digest");
		const json_t *sz = json_object_get(e, "size");
		if (!json_is_object(e) || json_object_size(e) != 2 || !al_digest_valid(d) || !json_is_integer(sz) ||
		    json_integer_value(sz) < 0)
			return "an entry of \"blobs\" is not {\"digest\": \"sha256:<64 hex>\", \"size\": N}";
		memcpy(b->v[i].digest, d, AL_DIGEST_STR);
		b->v[i].size = (uint64_t)json_integer_value(sz);
	}
	b->n = json_array_size(blobs);
	qsort(b->v, b->n, sizeof(*b->v), cmp_blob);
	for (i = 1; i < b->n; i++)
		if (!strcmp(b->v[i].digest, b->v[i - 1].digest))
			return "a digest is listed twice in \"blobs\"";
	return NULL;
}

enum al_code al_base_from_inventory(const char *text, size_t n, const char *path, const char *signer,
				    struct al_base *b, struct al_err *err)
{
	json_t *doc = NULL;
	const char *why = NULL, *created;
	int64_t fmt;
	enum al_code rc = al_json_parse(text, n, path, &doc, err);
	memset(b, 0, sizeof(*b));
	if (rc)
		return rc == AL_EVERIFY ? al_fail(err, AL_EINVAL, "'%s' is neither a bundle nor an inventory: %s", path,
						  err->msg)
					: rc;
	created = al_json_str(doc, "created");
	if (al_json_int(doc, "airlock_inventory", &fmt) || fmt != 1 || !created)
		why = "it is not an inventory of `airlock store inventory` (\"airlock_inventory\": 1, \"created\")";
	else
		why = al_base_parse_blobs(json_object_get(doc, "blobs"), b);
	if (!why && !(b->about = al_strf("the inventory '%s' of %s (%s)", path, created,
					 signer ? signer : "unsigned")))
		why = "out of memory";
	json_decref(doc);
	if (why) {
		al_base_release(b);
		return al_fail(err, AL_EINVAL, "'%s': %s", path, why);
	}
	return AL_OK;
}

/* An inventory file of `airlock store inventory`, taken without a signature. */
static enum al_code load_inventory(const char *path, struct al_base *b, struct al_err *err)
{
	struct al_buf buf;
	enum al_code rc;
	al_buf_init(&buf, AL_MAX_SUMS);
	rc = al_read_file(path, AL_NOFOLLOW, &buf, err);
	if (!rc)
		rc = al_base_from_inventory(buf.data, buf.len, path, NULL, b, err);
	al_buf_release(&buf);
	return rc;
}

int al_base_is_inventory(const char *path)
{
	char head[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), yes = 0;
	struct stat st;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (n = read(fd, head, sizeof(head))) > 0) {
		ssize_t i = 0;
		while (i < n && strchr(" \t\r\n", head[i]))
			i++;
		yes = i < n && head[i] == '{';
	}
	close(fd);
	return yes;
}

enum al_code al_base_load(const char *path, struct al_base *b, struct al_err *err)
{
	struct al_bundle_info info = { 0 };
	struct al_report rep = { 0 };
	enum al_code rc;
	memset(b, 0, sizeof(*b));
	if (al_base_is_inventory(path))
		return load_inventory(path, b, err);
	rc = al_bundle_verify(path, &rep, &info, NULL, err);
	if (rc == AL_EVERIFY)
		rc = al_fail(err, AL_EVERIFY, "the base '%s' does not verify (%s)", path, rep.n ? rep.msg[0] : err->msg);
	al_report_release(&rep);
	if (!rc && !(b->v = calloc(info.nblobs + 1, sizeof(*b->v))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < info.nblobs; i++) {
		memcpy(b->v[i].digest, info.blobs[i].digest, AL_DIGEST_STR);
		b->v[i].size = info.blobs[i].size;
	}
	if (!rc) { /* a blob of several artifacts is listed once */
		qsort(b->v, info.nblobs, sizeof(*b->v), cmp_blob);
		for (size_t i = 0; i < info.nblobs; i++)
			if (!b->n || strcmp(b->v[b->n - 1].digest, b->v[i].digest))
				b->v[b->n++] = b->v[i];
		if (!(b->about = al_strf("bundle '%s' version %lld (SHA256SUMS %s)", info.name, (long long)info.version,
					 info.sums_digest)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	al_bundle_info_release(&info);
	if (rc)
		al_base_release(b);
	return rc;
}

json_t *al_base_doc(const struct al_base *b, const struct al_base_blob *v, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:I}", "digest", v[i].digest, "size", (json_int_t)v[i].size));
	return json_pack("{s:i, s:o, s:o}", "airlock_base", 1, "base", al_json_text(b->about), "blobs", list);
}

/* Could the blob at PATH be a manifest or an index? Those always travel: their content is
 * what the checker reads to find the rest. */
static int manifest_like(const char *path, uint64_t size)
{
	struct al_buf buf;
	struct al_err ignored = { 0 };
	json_t *j = NULL;
	int yes = 0;
	if (size > AL_MAX_MANIFEST)
		return 0;
	al_buf_init(&buf, AL_MAX_MANIFEST);
	if (al_read_file(path, AL_NOFOLLOW, &buf, &ignored))
		yes = 1; /* unreadable: keep it, and let the check say why */
	else if (buf.len && !al_json_parse(buf.data, buf.len, path, &j, &ignored))
		yes = json_is_object(j) && al_json_is_manifest(j);
	json_decref(j);
	al_buf_release(&buf);
	return yes;
}

enum al_code al_layout_apply_base(struct al_layout *l, const struct al_base *b, size_t *omitted, uint64_t *bytes,
				  struct al_err *err)
{
	struct al_base_blob *out = calloc(l->nfiles + 1, sizeof(*out));
	struct al_buf doc;
	json_t *j;
	size_t n = 0, keep = 0;
	enum al_code rc = AL_OK;
	*omitted = 0, *bytes = 0;
	if (!out)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < l->nfiles; i++) {
		const struct al_layout_file *f = &l->files[i];
		char *p;
		if (strncmp(f->path, "blobs/sha256/", 13) || !al_base_has(b, f->digest, f->size))
			continue;
		if (!(p = al_join(l->dir, f->path))) {
			free(out);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		if (!manifest_like(p, f->size)) {
			memcpy(out[n].digest, f->digest, AL_DIGEST_STR);
			out[n++].size = f->size;
		}
		free(p);
	}
	if (!n) {
		free(out);
		return AL_OK;
	}
	qsort(out, n, sizeof(*out), cmp_blob);
	j = al_base_doc(b, out, n);
	al_buf_init(&doc, AL_MAX_SUMS);
	rc = j ? al_json_dump(j, AL_JSON_PRETTY, &doc, err) : al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(j);
	if (!rc)
		rc = al_layout_put_top(l, AL_BASE_FILE, doc.data, doc.len, err);
	al_buf_release(&doc);
	/* the blobs taken from the base leave the layout and SHA256SUMS */
	for (size_t i = 0; !rc && i < l->nfiles; i++) {
		struct al_layout_file *f = &l->files[i];
		struct al_base_blob key;
		char *p;
		memcpy(key.digest, f->digest, AL_DIGEST_STR);
		if (strncmp(f->path, "blobs/sha256/", 13) || !bsearch(&key, out, n, sizeof(*out), cmp_blob)) {
			l->files[keep++] = *f;
			continue;
		}
		if (!(p = al_join(l->dir, f->path)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (unlink(p))
			rc = al_fail_errno(err, AL_EIO, "cannot remove '%s'", p);
		(*omitted)++, *bytes += f->size;
		free(p);
		free(f->path);
	}
	if (!rc)
		l->nfiles = keep;
	free(out);
	return rc;
}
