/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sources.c: planning and finishing artifacts from local sources: model and
 * vulndb directories, wheels, OCI image layouts, single files. Manifests are
 * deterministic: the same files always give the same digest (no timestamps).
 * Input image layouts are untrusted: every digest they name is validated
 * before it becomes a path, and every blob is checked while it is copied.
 */
#include "sources.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsx.h"
#include "json.h"

void al_copy_jobs_release(struct al_copy_jobs *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->v[i].src);
		free(j->v[i].err);
	}
	free(j->v);
	memset(j, 0, sizeof(*j));
}

void al_plan_release(struct al_plan *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].rel);
	free(p->files);
	free(p->name);
	free(p->upstream);
	free(p->index_url);
	free(p->file_url);
	al_wheel_release(&p->wheel);
	json_decref(p->top);
	memset(p, 0, sizeof(*p));
}

void al_plans_release(struct al_plans *p)
{
	for (size_t i = 0; i < p->n; i++)
		al_plan_release(&p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int al_ref_valid(const char *ref)
{
	/* component: alnum+ (sep alnum+)*, sep = one of - . _ : @ + or "--"; components joined by '/' */
	const char *p = ref;
	if (!*p || strlen(ref) > 255)
		return 0;
	for (;;) {
		int alnum = 0;
		while (*p && *p != '/') {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
				alnum = 1;
				p++;
				continue;
			}
			if (!alnum)
				return 0;
			if (p[0] == '-' && p[1] == '-')
				p += 2;
			else if (strchr("-._:@+", *p))
				p++;
			else
				return 0;
			alnum = 0;
		}
		if (!alnum)
			return 0;
		if (!*p)
			return 1;
		p++;
	}
}

const char *al_model_media_type(const char *rel)
{
	static const char *const weights[] = { ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf",
					       ".ggml", ".onnx", ".h5", ".msgpack", ".npz", ".npy",
					       ".pkl", ".pickle", ".tflite", ".mlmodel", ".ot", NULL };
	static const char *const code[] = { ".py", ".sh", ".ipynb", ".js", NULL };
	static const char *const doc[] = { ".md", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".svg",
					   ".rst", ".html", NULL };
	const char *base = strrchr(rel, '/');
	const char *dot;
	base = base ? base + 1 : rel;
	dot = strrchr(base, '.');
	if (!strncasecmp(base, "README", 6) || !strncasecmp(base, "LICENSE", 7) ||
	    !strncasecmp(base, "LICENCE", 7) || !strncasecmp(base, "NOTICE", 6) ||
	    !strncasecmp(base, "USE_POLICY", 10))
		return AL_MT_MODEL_DOC;
	if (dot) {
		for (const char *const *w = weights; *w; w++)
			if (!strcasecmp(dot, *w))
				return AL_MT_MODEL_WEIGHT;
		for (const char *const *w = code; *w; w++)
			if (!strcasecmp(dot, *w))
				return AL_MT_MODEL_CODE;
		for (const char *const *w = doc; *w; w++)
			if (!strcasecmp(dot, *w))
				return AL_MT_MODEL_DOC;
	}
	return AL_MT_MODEL_WCONFIG;
}

static enum al_code add_job(struct al_copy_jobs *jobs, const char *src, uint64_t size,
			    const char *expect, size_t *index, struct al_err *err)
{
	struct al_copy_job *j;
	enum al_code rc;
	if (expect) /* an image blob shared by two manifests is copied once */
		for (size_t i = 0; i < jobs->n; i++)
			if (!strcmp(jobs->v[i].expect, expect)) {
				*index = i;
				return AL_OK;
			}
	if ((rc = al_array_grow(&jobs->v, &jobs->cap, jobs->n + 1, sizeof(*jobs->v), err)))
		return rc;
	j = &jobs->v[jobs->n];
	memset(j, 0, sizeof(*j));
	j->src = strdup(src);
	if (!j->src)
		return al_fail(err, AL_ENOMEM, "out of memory");
	j->size = size;
	if (expect)
		snprintf(j->expect, sizeof(j->expect), "%s", expect);
	*index = jobs->n++;
	return AL_OK;
}

static enum al_code add_plan(struct al_plans *plans, const struct al_source *src,
			     struct al_plan **out, struct al_err *err)
{
	enum al_code rc = al_array_grow(&plans->v, &plans->cap, plans->n + 1, sizeof(*plans->v), err);
	if (rc)
		return rc;
	*out = &plans->v[plans->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->src = src;
	(*out)->kind = src->kind;
	return AL_OK;
}

static enum al_code plan_file_add(struct al_plan *p, const char *rel, size_t job,
				  const char *media_type, struct al_err *err)
{
	struct al_plan_file *v;
	enum al_code rc = al_array_grow(&p->files, &p->capfiles, p->nfiles + 1, sizeof(*p->files), err);
	if (rc)
		return rc;
	v = p->files;
	v[p->nfiles].rel = strdup(rel);
	v[p->nfiles].job = job;
	v[p->nfiles].media_type = media_type;
	if (!v[p->nfiles].rel)
		return al_fail(err, AL_ENOMEM, "out of memory");
	p->nfiles++;
	return AL_OK;
}

static int glob_any(char *const *globs, const char *rel, const char *base)
{
	for (char *const *p = globs; p && *p; p++)
		if (fnmatch(*p, rel, 0) == 0 || fnmatch(*p, base, 0) == 0)
			return 1;
	return 0;
}

int al_path_selected(char *const *include, char *const *exclude, const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	return (!include || glob_any(include, rel, base)) && !glob_any(exclude, rel, base);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks dir in byte order, skipping hidden entries; each included regular file becomes a job. */
static enum al_code walk(const char *root, const char *rel, int depth, struct al_plan *p,
			 struct al_copy_jobs *jobs, struct al_err *err)
{
	char *dir = rel ? al_join(root, rel) : strdup(root);
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d;
	struct dirent *e;
	enum al_code rc = AL_OK;
	if (!dir)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (depth > 32) {
		rc = al_fail(err, AL_EINVAL, "'%s' nests deeper than 32 directories", dir);
		goto out;
	}
	d = opendir(dir);
	if (!d) {
		rc = al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open directory '%s'", dir);
		goto out;
	}
	/* a listing that fails part-way would leave files out of the bundle unnoticed */
	while ((e = al_readdir(d, dir, &rc, err))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **v;
			cap = cap ? cap * 2 : 32;
			v = realloc(names, cap * sizeof(*v));
			if (!v) {
				rc = al_fail(err, AL_ENOMEM, "out of memory");
				break;
			}
			names = v;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc)
		goto out;
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		char *r = rel ? al_join(rel, names[i]) : strdup(names[i]);
		char *full = r ? al_join(root, r) : NULL;
		struct stat st, lst;
		if (!full) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		} else if (lstat(full, &lst) != 0 || stat(full, &st) != 0) {
			rc = al_fail_errno(err, AL_EIO, "cannot stat '%s'", full);
		} else if (S_ISDIR(lst.st_mode)) {
			rc = walk(root, r, depth + 1, p, jobs, err);
		} else if (S_ISREG(st.st_mode)) {
			/* symlinked files are followed: a Hugging Face cache snapshot is made of them */
			const char *bad = al_path_unsafe(r);
			size_t job;
			if (bad)
				rc = al_fail(err, AL_EINVAL, "cannot carry '%s': %s", full, bad);
			else if (al_path_selected(p->src->include, p->src->exclude, r)) {
				const char *mt = p->kind == AL_KIND_MODEL ? al_model_media_type(r)
					       : (strstr(r, ".json") ? AL_MT_OSV_JSON : AL_MT_OSV_YAML);
				if (!(rc = add_job(jobs, full, (uint64_t)st.st_size, NULL, &job, err)))
					rc = plan_file_add(p, r, job, mt, err);
			}
		} else if (S_ISDIR(st.st_mode)) {
			rc = al_fail(err, AL_EINVAL, "'%s' is a symlink to a directory; copy it or list it on its own", full);
		} else {
			rc = al_fail(err, AL_EINVAL, "'%s' is not a regular file", full);
		}
		free(r);
		free(full);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return rc;
}

static const char *base_name(const char *path)
{
	size_t n = strlen(path);
	const char *s;
	while (n > 1 && path[n - 1] == '/')
		n--;
	s = memrchr(path, '/', n - 1);
	return s ? s + 1 : path;
}

static char *default_name(const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(b);
	while (n > 1 && b[n - 1] == '/')
		n--;
	return strndup(b, n);
}

static enum al_code plan_dir(const struct al_source *src, struct al_plans *plans,
			     struct al_copy_jobs *jobs, struct al_err *err)
{
	struct al_plan *p = NULL;
	enum al_code rc = add_plan(plans, src, &p, err);
	if (rc)
		return rc;
	p->name = src->name ? strdup(src->name) : default_name(src->path);
	if (src->source && src->revision)
		p->upstream = al_strf("%s@%s", src->source, src->revision);
	else
		p->upstream = strdup(src->source ? src->source : p->name ? p->name : "");
	if (!p->name || !p->upstream)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = walk(src->path, NULL, 0, p, jobs, err)))
		return rc;
	if (p->nfiles == 0)
		return al_fail(err, AL_EINVAL, "'%s' holds no files%s", src->path,
			       src->exclude ? " that 'include' and 'exclude' select" : src->include ? " that match 'include'" : "");
	return AL_OK;
}

/* One wheel at path, named `filename` (NULL: path's own name); expect (or NULL) is the
 * "sha256:…" the copy must find, for a verified download. */
static enum al_code plan_wheel_as(const struct al_source *src, const char *path, const char *filename,
				  const char *expect, struct al_plans *plans, struct al_copy_jobs *jobs,
				  struct al_err *err)
{
	struct al_plan *p = NULL;
	struct stat st;
	size_t job;
	enum al_code rc;
	if (stat(path, &st) != 0)
		return al_fail_errno(err, AL_EIO, "cannot stat '%s'", path);
	if ((rc = add_plan(plans, src, &p, err)) ||
	    (rc = filename ? al_wheel_read_as(path, filename, &p->wheel, err) : al_wheel_read(path, &p->wheel, err)))
		return rc;
	p->name = strdup(src->name ? src->name : p->wheel.normalized);
	p->upstream = al_strf("pypi:%s==%s", p->wheel.normalized, p->wheel.version);
	if (!p->name || !p->upstream)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = add_job(jobs, path, (uint64_t)st.st_size, expect, &job, err)))
		return rc;
	return plan_file_add(p, p->wheel.filename, job, AL_MT_WHEEL, err);
}

static enum al_code plan_wheel(const struct al_source *src, const char *path, struct al_plans *plans,
			       struct al_copy_jobs *jobs, struct al_err *err)
{
	return plan_wheel_as(src, path, NULL, NULL, plans, jobs, err);
}

static enum al_code plan_wheels(const struct al_source *src, struct al_plans *plans,
				struct al_copy_jobs *jobs, struct al_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	enum al_code rc = AL_OK;
	if (stat(src->path, &st) != 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot stat '%s'", src->path);
	if (!S_ISDIR(st.st_mode))
		return plan_wheel(src, src->path, plans, jobs, err);
	if (src->name)
		return al_fail(err, AL_EINVAL, "'name' cannot be given for a directory of wheels ('%s')", src->path);
	if (!(d = opendir(src->path)))
		return al_fail_errno(err, AL_EIO, "cannot open directory '%s'", src->path);
	while ((e = al_readdir(d, src->path, &rc, err))) {
		size_t len = strlen(e->d_name);
		char **v;
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".whl"))
			continue;
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v || !(v[n] = strdup(e->d_name))) {
			names = v ? v : names;
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (!rc && n == 0)
		rc = al_fail(err, AL_EINVAL, "'%s' holds no .whl files", src->path);
	if (!rc && n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		char *full = al_join(src->path, names[i]);
		rc = full ? plan_wheel(src, full, plans, jobs, err) : al_fail(err, AL_ENOMEM, "out of memory");
		free(full);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static enum al_code plan_file(const struct al_source *src, struct al_plans *plans,
			      struct al_copy_jobs *jobs, struct al_err *err)
{
	struct al_plan *p = NULL;
	struct stat st;
	size_t job;
	enum al_code rc;
	if (stat(src->path, &st) != 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot stat '%s'", src->path);
	if (!S_ISREG(st.st_mode))
		return al_fail(err, AL_EINVAL, "'%s' is not a regular file", src->path);
	if ((rc = add_plan(plans, src, &p, err)))
		return rc;
	p->name = src->name ? strdup(src->name) : default_name(src->path);
	p->upstream = p->name ? al_strf("file:%s", p->name) : NULL;
	if (!p->name || !p->upstream)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = add_job(jobs, src->path, (uint64_t)st.st_size, NULL, &job, err)))
		return rc;
	return plan_file_add(p, p->name, job, AL_MT_FILE, err);
}

/* Images: copy manifests (verified in memory) and queue the other blobs, recursively. */
static enum al_code image_walk(struct al_layout *l, struct al_plan *p, const char *root,
			       const json_t *desc, int depth, struct al_copy_jobs *jobs,
			       struct al_err *err)
{
	const char *mt = al_json_str(desc, "mediaType"), *digest = al_json_str(desc, "digest");
	json_int_t size = json_integer_value(json_object_get(desc, "size"));
	char *path;
	enum al_code rc = AL_OK;
	if (!mt || !al_digest_valid(digest) || !json_is_integer(json_object_get(desc, "size")) || size < 0)
		return al_fail(err, AL_EINVAL, "image '%s': a descriptor lacks a valid mediaType, digest or size", root);
	if (depth > 4)
		return al_fail(err, AL_EINVAL, "image '%s': indexes nest deeper than 4 levels", root);
	path = al_strf("%s/blobs/sha256/%s", root, digest + 7);
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	p->image_bytes += (uint64_t)size;
	if (al_mt_is_manifest(mt) || al_mt_is_index(mt)) {
		struct al_buf b;
		char got[AL_DIGEST_STR];
		json_t *m = NULL;
		al_buf_init(&b, AL_MAX_MANIFEST);
		rc = al_read_file(path, AL_NOFOLLOW, &b, err);
		if (!rc)
			rc = al_layout_put_mem(l, b.data, b.len, got, err);
		if (!rc && (strcmp(got, digest) != 0 || b.len != (size_t)size))
			rc = al_fail(err, AL_EVERIFY, "image '%s': blob %s does not match its descriptor (got %s, %zu bytes)",
				     root, digest, got, b.len);
		if (!rc)
			rc = al_json_parse(b.data, b.len, path, &m, err);
		al_buf_release(&b);
		if (!rc && al_mt_is_index(mt)) {
			json_t *arr = json_object_get(m, "manifests"), *c;
			size_t i;
			json_array_foreach(arr, i, c) {
				if ((rc = image_walk(l, p, root, c, depth + 1, jobs, err)))
					break;
			}
		} else if (!rc) {
			json_t *arr = json_object_get(m, "layers"), *c;
			size_t i;
			if (!json_is_object(json_object_get(m, "config")))
				rc = al_fail(err, AL_EINVAL, "image '%s': manifest %s has no config", root, digest);
			else
				rc = image_walk(l, p, root, json_object_get(m, "config"), depth + 1, jobs, err);
			json_array_foreach(arr, i, c) {
				if (rc || (rc = image_walk(l, p, root, c, depth + 1, jobs, err)))
					break;
			}
		}
		json_decref(m);
	} else {
		size_t job;
		struct stat st;
		if (lstat(path, &st) != 0)
			rc = al_fail_errno(err, AL_ENOENT, "image '%s': blob %s is missing", root, digest);
		else if (!S_ISREG(st.st_mode) || st.st_size != size)
			rc = al_fail(err, AL_EVERIFY, "image '%s': blob %s is not a regular file of %lld bytes",
				     root, digest, (long long)size);
		else
			rc = add_job(jobs, path, (uint64_t)size, digest, &job, err);
	}
	free(path);
	return rc;
}

static enum al_code plan_image(struct al_layout *l, const struct al_source *src, struct al_plans *plans,
			       struct al_copy_jobs *jobs, struct al_err *err)
{
	struct al_buf b;
	json_t *idx = NULL, *arr, *d, *pick = NULL;
	char *ipath = al_join(src->path, "index.json");
	struct al_plan *p = NULL;
	size_t i, count = 0;
	enum al_code rc;
	if (!ipath)
		return al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&b, AL_MAX_MANIFEST);
	rc = al_read_file(ipath, AL_NOFOLLOW, &b, err);
	if (rc == AL_ENOENT)
		al_err_prefix(err, "'%s' is not an OCI image layout", src->path);
	if (!rc)
		rc = al_json_parse(b.data, b.len, ipath, &idx, err);
	al_buf_release(&b);
	free(ipath);
	if (rc)
		return rc == AL_EVERIFY ? AL_EINVAL : rc;
	arr = json_object_get(idx, "manifests");
	json_array_foreach(arr, i, d) {
		const char *ref = al_json_str(json_object_get(d, "annotations"), AL_ANN_REF);
		if (src->tag ? (ref && !strcmp(ref, src->tag)) : 1) {
			if (!pick)
				pick = d;
			count++;
		}
	}
	if (!pick || (!src->tag && count != 1)) {
		if (src->tag)
			rc = al_fail(err, AL_EINVAL, "image layout '%s' has no tag '%s'", src->path, src->tag);
		else
			rc = al_fail(err, AL_EINVAL, "image layout '%s' holds %zu images: name one as PATH:TAG",
				     src->path, count);
		json_decref(idx);
		return rc;
	}
	if ((rc = add_plan(plans, src, &p, err))) {
		json_decref(idx);
		return rc;
	}
	if (src->name)
		p->name = strdup(src->name);
	else
		p->name = al_strf("%s:%s", base_name(src->path), src->tag ? src->tag : "latest");
	if (src->from) /* pulled from a registry: the reference, pinned to what it held */
		p->upstream = strchr(src->from, '@') ? strdup(src->from) : al_strf("%s@%s", src->from, src->revision);
	else
		p->upstream = p->name ? strdup(p->name) : NULL;
	p->top = json_pack("{s:O, s:O, s:O}", "mediaType", json_object_get(pick, "mediaType"),
			   "digest", json_object_get(pick, "digest"), "size", json_object_get(pick, "size"));
	if (!p->name || !p->upstream || !p->top)
		rc = al_fail(err, AL_EINVAL, "image layout '%s': the chosen descriptor is incomplete", src->path);
	else
		rc = image_walk(l, p, src->path, pick, 0, jobs, err);
	json_decref(idx);
	return rc;
}

static enum al_code too_big(const struct al_plan *p, const char *what, enum al_code rc, struct al_err *err);

/*
 * Before anything is copied: a directory's manifest has one layer descriptor
 * per file, each at least 180 bytes plus its media type and the path twice
 * (compact JSON); if that already passes the manifest limit, say so now
 * rather than after copying every file. (The exact size is checked again
 * when the manifest is written.)
 */
static enum al_code manifest_fits(const struct al_plan *p, struct al_err *err)
{
	uint64_t least = 0;
	for (size_t i = 0; i < p->nfiles; i++)
		least += 180 + strlen(p->files[i].media_type) + 2 * strlen(p->files[i].rel);
	if (least <= AL_MAX_MANIFEST)
		return AL_OK;
	return too_big(p, "manifest", al_fail(err, AL_ELIMIT, "at least %llu bytes", (unsigned long long)least), err);
}

enum al_code al_plan_source(struct al_layout *l, const struct al_source *src, struct al_plans *plans,
			    struct al_copy_jobs *jobs, struct al_err *err)
{
	enum al_code rc;
	switch (src->kind) {
	case AL_KIND_MODEL:
	case AL_KIND_VULNDB:
		rc = plan_dir(src, plans, jobs, err);
		break;
	case AL_KIND_WHEEL:
		rc = plan_wheels(src, plans, jobs, err);
		break;
	case AL_KIND_IMAGE:
		rc = plan_image(l, src, plans, jobs, err);
		break;
	case AL_KIND_FILE:
		rc = plan_file(src, plans, jobs, err);
		break;
	default:
		AL_BUG("unknown kind");
	}
	if (!rc && (src->kind == AL_KIND_MODEL || src->kind == AL_KIND_VULNDB) && plans->n)
		rc = manifest_fits(&plans->v[plans->n - 1], err);
	if (rc)
		al_err_prefix(err, "artifacts[%u] (%s '%s')", src->line, al_kind_name(src->kind),
			      src->from ? src->from : src->path);
	return rc;
}

static json_t *layer_desc(const struct al_plan *p, const struct al_plan_file *f,
			  const struct al_copy_job *j)
{
	json_t *d = al_descriptor(f->media_type, j->digest, j->size), *ann = json_object();
	if (!d || !ann) {
		json_decref(d);
		json_decref(ann);
		return NULL;
	}
	if (p->kind == AL_KIND_MODEL)
		json_object_set_new(ann, AL_ANN_FILEPATH, json_string(f->rel));
	else if (p->kind != AL_KIND_WHEEL)
		json_object_set_new(ann, AL_ANN_PATH, json_string(f->rel));
	json_object_set_new(ann, AL_ANN_TITLE, json_string(f->rel));
	json_object_set_new(d, "annotations", ann);
	return d;
}

/* Says which artifact's manifest (or config) outgrew the manifest limit, and what to do. */
static enum al_code too_big(const struct al_plan *p, const char *what, enum al_code rc, struct al_err *err)
{
	if (rc != AL_ELIMIT)
		return rc;
	return al_err_prefix(err, "%s '%s' (%zu files): its %s would be larger than %u bytes (4 MiB), the most a registry "
			     "accepts for one manifest (split it into several artifacts, or leave files out with 'include:')",
			     al_kind_name(p->kind), p->name, p->nfiles, what, (unsigned)AL_MAX_MANIFEST);
}

static enum al_code put_json(struct al_layout *l, json_t *j, char digest[AL_DIGEST_STR],
			     uint64_t *size, struct al_err *err)
{
	struct al_buf b;
	enum al_code rc;
	if (!j)
		return al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&b, AL_MAX_MANIFEST);
	rc = al_json_dump(j, 0, &b, err);
	if (!rc)
		rc = al_layout_put_mem(l, b.data, b.len, digest, err);
	if (size)
		*size = b.len;
	al_buf_release(&b);
	return rc;
}

/* The artifact's identity from the plan: kind, names, upstream, index ref; A is zeroed first.
 * A holds what was made so far on error (the caller releases it). */
static enum al_code artifact_start(const struct al_plan *p, struct al_artifact *a, struct al_err *err)
{
	memset(a, 0, sizeof(*a));
	a->kind = p->kind;
	a->name = strdup(p->name);
	a->upstream = strdup(p->upstream);
	a->ref = al_strf("%s/%s", al_kind_name(p->kind), p->kind == AL_KIND_WHEEL ? p->wheel.filename : p->name);
	a->info = json_object();
	if (!a->name || !a->upstream || !a->ref || !a->info)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!al_ref_valid(a->ref))
		return al_fail(err, AL_EINVAL,
			       "artifacts[%u]: the name '%s' cannot be an OCI reference name (use letters, digits and single '.', '_', '-', ':', '@', '+' between them, '/' between parts)",
			       p->src->line, a->name);
	return AL_OK;
}

/* The config blob a manifest points at, and the artifact type that goes with it. */
struct config {
	const char *artifact_type, *media_type;
	char digest[AL_DIGEST_STR];
	uint64_t size;
};

/* A model's config (ModelPack: its name, revision and the layers' digests), written into L;
 * the source and revision annotations into ANN; revision and file count into a->info. */
static enum al_code model_config(struct al_layout *l, const struct al_plan *p, const json_t *layers, json_t *ann,
				 struct al_artifact *a, struct config *c, struct al_err *err)
{
	json_t *diff = json_array(), *cfg, *v;
	enum al_code rc;
	size_t i;
	c->artifact_type = AL_MT_MODEL_ARTIFACT;
	c->media_type = AL_MT_MODEL_CONFIG;
	json_array_foreach(layers, i, v)
		json_array_append(diff, json_object_get(v, "digest"));
	cfg = json_pack("{s:{s:s}, s:{s:s, s:o}}", "descriptor", "name", p->name, "modelfs", "type", "layers",
			"diffIds", diff);
	if (cfg && p->src->revision)
		json_object_set_new(json_object_get(cfg, "descriptor"), "revision", json_string(p->src->revision));
	rc = put_json(l, cfg, c->digest, &c->size, err);
	json_decref(cfg);
	if (rc)
		return too_big(p, "config", rc, err);
	if (p->src->source)
		json_object_set_new(ann, "org.opencontainers.image.source", json_string(p->src->source));
	if (p->src->revision) {
		json_object_set_new(ann, "org.opencontainers.image.revision", json_string(p->src->revision));
		json_object_set_new(a->info, "revision", json_string(p->src->revision));
	}
	json_object_set_new(a->info, "files", json_integer((json_int_t)p->nfiles));
	return AL_OK;
}

/* A wheel's config is its own METADATA, written into L; its name, version, file name and
 * Requires-Python go into ANN and a->info. */
static enum al_code wheel_config(struct al_layout *l, const struct al_plan *p, const struct al_copy_jobs *jobs,
				 json_t *ann, struct al_artifact *a, struct config *c, struct al_err *err)
{
	enum al_code rc;
	c->artifact_type = AL_MT_WHEEL_ARTIFACT;
	c->media_type = AL_MT_WHEEL_METADATA;
	if ((rc = al_layout_put_mem(l, p->wheel.metadata, p->wheel.metadata_len, c->digest, err)))
		return rc;
	c->size = p->wheel.metadata_len;
	json_object_set_new(ann, "io.airlock.python.name", json_string(p->wheel.normalized));
	json_object_set_new(ann, "io.airlock.python.version", json_string(p->wheel.version));
	json_object_set_new(ann, "io.airlock.python.filename", json_string(p->wheel.filename));
	if (p->wheel.requires_python)
		json_object_set_new(ann, "io.airlock.python.requires-python", json_string(p->wheel.requires_python));
	json_object_set_new(a->info, "project", json_string(p->wheel.normalized));
	json_object_set_new(a->info, "version", json_string(p->wheel.version));
	json_object_set_new(a->info, "filename", json_string(p->wheel.filename));
	if (p->wheel.requires_python)
		json_object_set_new(a->info, "requiresPython", json_string(p->wheel.requires_python));
	json_object_set_new(a->info, "sha256", json_string(jobs->v[p->files[0].job].digest + 7));
	if (p->index_url) { /* where it came from: the index, and the file's own URL */
		json_object_set_new(ann, "io.airlock.python.index", al_json_text(p->index_url));
		json_object_set_new(a->info, "index", al_json_text(p->index_url));
		json_object_set_new(a->info, "url", al_json_text(p->file_url));
	}
	return AL_OK;
}

/* A file's or a vulnerability database's config is the empty one; a->info gets the file's
 * SHA-256 or the number of records. */
static enum al_code empty_config(struct al_layout *l, const struct al_plan *p, const struct al_copy_jobs *jobs,
				 struct al_artifact *a, struct config *c, struct al_err *err)
{
	enum al_code rc;
	c->artifact_type = p->kind == AL_KIND_FILE ? AL_MT_FILE_ARTIFACT : AL_MT_OSV_ARTIFACT;
	c->media_type = AL_MT_EMPTY;
	if ((rc = al_layout_put_mem(l, "{}", 2, c->digest, err)))
		return rc;
	c->size = 2;
	if (p->kind == AL_KIND_FILE)
		json_object_set_new(a->info, "sha256", json_string(jobs->v[p->files[0].job].digest + 7));
	else
		json_object_set_new(a->info, "records", json_integer((json_int_t)p->nfiles));
	return AL_OK;
}

/*
 * The manifest airlock writes for a model, wheel, file or vulndb: its layers (one per
 * copied file), its config and annotations. Written into L; fills a's media type,
 * digest, sizes and info, and *desc with its index descriptor (a new reference).
 */
static enum al_code write_manifest(struct al_layout *l, const struct al_plan *p, const struct al_copy_jobs *jobs,
				   struct al_artifact *a, json_t **desc, struct al_err *err)
{
	json_t *layers = json_array(), *ann = json_object(), *man = NULL;
	struct config c = { 0 };
	enum al_code rc = AL_OK;
	if (!layers || !ann)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nfiles && !rc; i++) {
		const struct al_copy_job *j = &jobs->v[p->files[i].job];
		json_t *d = layer_desc(p, &p->files[i], j);
		if (!d || json_array_append_new(layers, d))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		a->content_size += j->size;
	}
	if (!rc) {
		switch (p->kind) {
		case AL_KIND_MODEL: rc = model_config(l, p, layers, ann, a, &c, err); break;
		case AL_KIND_WHEEL: rc = wheel_config(l, p, jobs, ann, a, &c, err); break;
		case AL_KIND_FILE:
		case AL_KIND_VULNDB: rc = empty_config(l, p, jobs, a, &c, err); break;
		default: AL_BUG("unexpected kind");
		}
	}
	if (rc)
		goto out;
	json_object_set_new(ann, AL_ANN_TITLE, json_string(p->name));
	man = json_pack("{s:i, s:s, s:s, s:o, s:O, s:O}", "schemaVersion", 2, "mediaType", AL_MT_OCI_MANIFEST,
			"artifactType", c.artifact_type, "config", al_descriptor(c.media_type, c.digest, c.size),
			"layers", layers, "annotations", ann);
	a->content_size += c.size;
	a->media_type = strdup(AL_MT_OCI_MANIFEST);
	if ((rc = put_json(l, man, a->digest, &a->size, err))) {
		rc = too_big(p, "manifest", rc, err);
		goto out;
	}
	a->content_size += a->size;
	*desc = al_descriptor(AL_MT_OCI_MANIFEST, a->digest, a->size);
	if (*desc)
		json_object_set_new(*desc, "artifactType", json_string(c.artifact_type));
out:
	json_decref(man);
	json_decref(layers);
	json_decref(ann);
	return rc;
}

enum al_code al_plan_finish(struct al_layout *l, struct al_plan *p, const struct al_copy_jobs *jobs,
			    struct al_artifact *a, struct al_err *err)
{
	json_t *desc = NULL, *idxann;
	enum al_code rc = artifact_start(p, a, err);
	if (!rc && p->kind == AL_KIND_IMAGE) {
		/* the image's own manifest, unchanged */
		a->media_type = strdup(al_json_str(p->top, "mediaType"));
		snprintf(a->digest, sizeof(a->digest), "%s", al_json_str(p->top, "digest"));
		a->size = (uint64_t)json_integer_value(json_object_get(p->top, "size"));
		a->content_size = p->image_bytes;
		desc = json_deep_copy(p->top);
	} else if (!rc) {
		rc = write_manifest(l, p, jobs, a, &desc, err);
	}
	if (rc)
		goto out;
	idxann = json_pack("{s:s, s:s, s:s, s:s}", AL_ANN_REF, a->ref, AL_ANN_KIND, al_kind_name(a->kind),
			   AL_ANN_NAME, a->name, AL_ANN_UPSTREAM, a->upstream);
	if (!desc || !idxann || !a->media_type) {
		json_decref(idxann);
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(desc, "annotations", idxann);
	rc = al_layout_add_index(l, desc, err);
out:
	json_decref(desc);
	if (rc)
		al_artifact_release(a);
	return rc;
}

/* The last path segment of a URL (no query or fragment), fresh; "" when it has none. */
static char *url_file_name(const char *url)
{
	const char *p = strstr(url, "://"), *end, *seg;
	p = p ? p + 3 : url;
	end = p + strcspn(p, "?#");
	p += strcspn(p, "/");
	if (p > end)
		p = end;
	seg = p;
	for (const char *c = p; c < end; c++)
		if (*c == '/')
			seg = c + 1;
	return strndup(seg, (size_t)(end - seg));
}

enum al_code al_plan_remote(const struct al_remote *rm, const struct al_fetch_item *items, struct al_plans *plans,
			    struct al_copy_jobs *jobs, struct al_err *err)
{
	const struct al_source *src = &rm->eff;
	struct al_plan *p = NULL;
	enum al_code rc = AL_OK;
	if (src->requirements) { /* one wheel artifact per chosen file */
		for (size_t i = 0; !rc && i < rm->nfiles; i++) {
			const struct al_fetch_item *it = &items[rm->files[i].item];
			char expect[7 + AL_HEX_LEN + 1];
			snprintf(expect, sizeof(expect), "sha256:%s", it->sha256);
			rc = plan_wheel_as(src, it->path, rm->files[i].rel, expect, plans, jobs, err);
			if (!rc && (!(plans->v[plans->n - 1].index_url = strdup(rm->index)) ||
				    !(plans->v[plans->n - 1].file_url = strdup(it->url))))
				rc = al_fail(err, AL_ENOMEM, "out of memory");
			if (rc)
				al_err_prefix(err, "artifacts[%u] (wheels '%s'): %s", src->line, src->requirements,
					      rm->files[i].rel);
		}
		return rc;
	}
	rc = add_plan(plans, src, &p, err);
	for (size_t i = 0; !rc && i < rm->nfiles; i++) {
		const struct al_fetch_item *it = &items[rm->files[i].item];
		char expect[7 + AL_HEX_LEN + 1];
		size_t job;
		snprintf(expect, sizeof(expect), "sha256:%s", it->sha256);
		/* the copy re-hashes the cache entry: the bundle gets exactly the bytes verified (not a
		 * hard link: a bundle holds regular files only, and verify refuses links) */
		if (!(rc = add_job(jobs, it->path, it->got, expect, &job, err)))
			rc = src->kind == AL_KIND_MODEL
				     ? plan_file_add(p, rm->files[i].rel, job, al_model_media_type(rm->files[i].rel), err)
				     : AL_OK;
		if (!rc && src->kind == AL_KIND_FILE) {
			p->name = src->name ? strdup(src->name) : url_file_name(src->from);
			p->upstream = strdup(src->from);
			if (!p->name || !p->upstream)
				rc = al_fail(err, AL_ENOMEM, "out of memory");
			else if (!*p->name)
				rc = al_fail(err, AL_EINVAL, "the URL ends in no file name: give the artifact a 'name'");
			else
				rc = plan_file_add(p, p->name, job, AL_MT_FILE, err);
		}
	}
	if (!rc && src->kind == AL_KIND_MODEL) {
		p->name = strdup(src->name ? src->name : src->source);
		p->upstream = al_strf("%s@%s", src->source, src->revision);
		if (!p->name || !p->upstream)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else
			rc = manifest_fits(p, err);
	}
	if (rc)
		al_err_prefix(err, "artifacts[%u] (%s '%s')", src->line, al_kind_name(src->kind), src->from);
	return rc;
}
