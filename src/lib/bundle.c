/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.c: reading bundles (directory or pax tar) into a hashed view,
 * creating bundles from a spec, and writing the tar form. A tar is read in
 * one streaming pass and never unpacked; a directory is hashed in parallel,
 * largest file first.
 */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/rand.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "json.h"
#include "layout.h"
#include "sbom.h"
#include "sources.h"

int al_mt_is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, AL_MT_OCI_MANIFEST) || !strcmp(mt, AL_MT_DOCKER_MANIFEST));
}

int al_mt_is_index(const char *mt)
{
	return mt && (!strcmp(mt, AL_MT_OCI_INDEX) || !strcmp(mt, AL_MT_DOCKER_LIST));
}

void al_report_add(struct al_report *r, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;
	if (r->n >= AL_REPORT_MAX) {
		r->dropped++;
		return;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		char **v = realloc(r->msg, cap * sizeof(*v));
		if (!v) {
			r->dropped++;
			return;
		}
		r->msg = v;
		r->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (!m) {
		r->dropped++;
		return;
	}
	r->msg[r->n++] = m;
}

size_t al_report_count(const struct al_report *r)
{
	return r->n + r->dropped;
}

void al_report_release(struct al_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->msg[i]);
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

enum al_code al_bview_add(struct al_bview *v, const char *path, uint64_t size, const char *digest,
			  struct al_err *err)
{
	struct al_bfile *f;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct al_bfile *p = realloc(v->files, cap * sizeof(*p));
		if (!p)
			return al_fail(err, AL_ENOMEM, "out of memory");
		v->files = p;
		v->cap = cap;
	}
	f = &v->files[v->n];
	f->path = strdup(path);
	if (!f->path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	f->size = size;
	snprintf(f->digest, sizeof(f->digest), "%s", digest ? digest : "");
	v->n++;
	return AL_OK;
}

static int cmp_bfile(const void *a, const void *b)
{
	return strcmp(((const struct al_bfile *)a)->path, ((const struct al_bfile *)b)->path);
}

void al_bview_sort(struct al_bview *v)
{
	qsort(v->files, v->n, sizeof(*v->files), cmp_bfile);
}

const struct al_bfile *al_bview_find(const struct al_bview *v, const char *path)
{
	struct al_bfile key = { .path = (char *)path };
	return v->n ? bsearch(&key, v->files, v->n, sizeof(*v->files), cmp_bfile) : NULL;
}

void al_bview_release(struct al_bview *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->files[i].path);
	free(v->files);
	free(v->root);
	memset(v, 0, sizeof(*v));
}

void al_artifact_release(struct al_artifact *a)
{
	free(a->name);
	free(a->upstream);
	free(a->ref);
	free(a->media_type);
	json_decref(a->info);
	memset(a, 0, sizeof(*a));
}

void al_bundle_info_release(struct al_bundle_info *info)
{
	for (size_t i = 0; i < info->nartifacts; i++)
		al_artifact_release(&info->artifacts[i]);
	free(info->artifacts);
	for (size_t i = 0; i < info->nblobs; i++)
		free(info->blobs[i].media_type);
	free(info->blobs);
	free(info->name);
	json_decref(info->meta);
	memset(info, 0, sizeof(*info));
}

int al_bundle_is_tar(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- reading back one file of a view, re-verified ---- */

static enum al_code verify_mem(const struct al_bfile *f, const struct al_buf *b, const char *where,
			       struct al_err *err)
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	enum al_code rc = al_sha256_mem(b->data, b->len, d, err);
	if (rc)
		return rc;
	al_hex(d, hex);
	if (strcmp(hex, f->digest + 7) != 0)
		return al_fail(err, AL_EVERIFY, "'%s' in '%s' changed while it was being verified", f->path, where);
	return AL_OK;
}

static enum al_code dir_read(struct al_bview *v, const struct al_bfile *f, struct al_buf *out,
			     struct al_err *err)
{
	char *p = al_join(v->root, f->path);
	enum al_code rc;
	if (!p)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_read_file(p, AL_NOFOLLOW, out, err);
	free(p);
	return rc ? rc : verify_mem(f, out, v->root, err);
}

static const char *tar_path(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	return p;
}

static enum al_code tar_open(const char *path, struct archive **out, struct al_err *err)
{
	struct archive *a = archive_read_new();
	if (!a)
		return al_fail(err, AL_ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1u << 20) != ARCHIVE_OK) {
		enum al_code rc = al_fail(err, AL_EIO, "cannot read tar '%s': %s", path, archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	*out = a;
	return AL_OK;
}

static enum al_code tar_read_named(const char *tar, const char *name, struct al_buf *out,
				   struct al_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	enum al_code rc = tar_open(tar, &a, err);
	int r;
	if (rc)
		return rc;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (strcmp(tar_path(archive_entry_pathname(e)), name) != 0 ||
		    archive_entry_filetype(e) != AE_IFREG)
			continue;
		al_buf_reset(out);
		for (;;) {
			const void *blk;
			size_t len;
			la_int64_t off;
			r = archive_read_data_block(a, &blk, &len, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK) {
				rc = al_fail(err, AL_EVERIFY, "tar '%s' is damaged at '%s': %s", tar, name,
					     archive_error_string(a));
				goto out;
			}
			if ((rc = al_buf_add(out, blk, len, err)))
				goto out;
		}
		if (!out->data)
			rc = al_buf_add(out, "", 0, err);
		goto out;
	}
	rc = r == ARCHIVE_EOF ? al_fail(err, AL_ENOENT, "'%s' is not in tar '%s'", name, tar)
			      : al_fail(err, AL_EVERIFY, "tar '%s' is damaged: %s", tar, archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}

static enum al_code tar_read(struct al_bview *v, const struct al_bfile *f, struct al_buf *out,
			     struct al_err *err)
{
	enum al_code rc = tar_read_named(v->root, f->path, out, err);
	return rc ? rc : verify_mem(f, out, v->root, err);
}

enum al_code al_bundle_read_raw(const char *path, const char *name, struct al_buf *out,
				struct al_err *err)
{
	char *p;
	enum al_code rc;
	if (al_bundle_is_tar(path))
		return tar_read_named(path, name, out, err);
	p = al_join(path, name);
	if (!p)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_read_file(p, AL_NOFOLLOW, out, err);
	free(p);
	return rc;
}

/* ---- scanning: directory ---- */

static const char *kind_of_mode(mode_t m)
{
	if (S_ISLNK(m))
		return "is a symbolic link";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "is a device node";
	if (S_ISFIFO(m))
		return "is a named pipe";
	if (S_ISSOCK(m))
		return "is a socket";
	return "is not a regular file";
}

static enum al_code dir_walk(const char *root, const char *rel, int depth, struct al_bview *v,
			     struct al_report *rep, struct al_err *err)
{
	char *dir = rel ? al_join(root, rel) : strdup(root);
	DIR *d;
	struct dirent *e;
	enum al_code rc = AL_OK;
	if (!dir)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (depth > 16) {
		al_report_add(rep, "'%s' nests too deep", rel);
		free(dir);
		return AL_OK;
	}
	d = opendir(dir);
	if (!d) {
		rc = al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open bundle directory '%s'", dir);
		free(dir);
		return rc;
	}
	while (!rc && (e = readdir(d))) {
		struct stat st;
		char *r;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		r = rel ? al_join(rel, e->d_name) : strdup(e->d_name);
		if (!r) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			rc = al_fail_errno(err, AL_EIO, "cannot stat '%s' in '%s'", r, root);
		else if (al_path_unsafe(r))
			al_report_add(rep, "'%s': %s", r, al_path_unsafe(r));
		else if (S_ISDIR(st.st_mode))
			rc = dir_walk(root, r, depth + 1, v, rep, err);
		else if (S_ISREG(st.st_mode))
			rc = al_bview_add(v, r, (uint64_t)st.st_size, NULL, err);
		else
			al_report_add(rep, "'%s' %s (a bundle holds only regular files and directories)", r,
				      kind_of_mode(st.st_mode));
		free(r);
	}
	closedir(d);
	free(dir);
	return rc;
}

struct hash_ctx {
	struct al_bview *v;
	struct al_progress *prog;
	enum al_code *rc;
	struct al_err *errs;
};

static void hash_one(void *ctx, size_t i, char *buf)
{
	struct hash_ctx *c = ctx;
	struct al_bfile *f = &c->v->files[i];
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	uint64_t size = 0;
	char *p = al_join(c->v->root, f->path);
	int fd = p ? open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (!p) {
		c->rc[i] = al_fail(&c->errs[i], AL_ENOMEM, "out of memory");
	} else if (fd < 0) {
		c->rc[i] = al_fail_errno(&c->errs[i], AL_EIO, "cannot open '%s'", p);
	} else if (!(c->rc[i] = al_hash_fd(fd, p, buf, d, &size, c->prog, &c->errs[i]))) {
		al_hex(d, hex);
		snprintf(f->digest, sizeof(f->digest), "sha256:%s", hex);
		f->size = size;
	}
	if (fd >= 0)
		close(fd);
	free(p);
}

static int cmp_size_desc(const void *a, const void *b, void *ctx)
{
	const struct al_bfile *f = ctx;
	uint64_t x = f[*(const size_t *)a].size, y = f[*(const size_t *)b].size;
	return x < y ? 1 : x > y ? -1 : 0;
}

static enum al_code scan_dir(const char *path, struct al_bview *v, struct al_report *rep,
			     struct al_progress *prog, struct al_err *err)
{
	struct hash_ctx c = { v, prog, NULL, NULL };
	size_t *order = NULL;
	enum al_code rc;
	v->root = strdup(path);
	v->read = dir_read;
	if (!v->root)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = dir_walk(path, NULL, 0, v, rep, err)))
		return rc;
	order = malloc((v->n + 1) * sizeof(*order));
	c.rc = calloc(v->n + 1, sizeof(*c.rc));
	c.errs = calloc(v->n + 1, sizeof(*c.errs));
	if (!order || !c.rc || !c.errs) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		order[i] = i;
		v->bytes += v->files[i].size;
	}
	qsort_r(order, v->n, sizeof(*order), cmp_size_desc, v->files);
	rc = al_parallel(hash_one, &c, order, v->n, al_default_threads(), err);
	for (size_t i = 0; !rc && i < v->n; i++)
		if (c.rc[i]) {
			*err = c.errs[i];
			rc = c.rc[i];
		}
	al_bview_sort(v);
out:
	free(order);
	free(c.rc);
	free(c.errs);
	return rc;
}

/* ---- scanning: tar, one streaming pass ---- */

static enum al_code scan_tar(const char *path, struct al_bview *v, struct al_report *rep,
			     struct al_progress *prog, struct al_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	enum al_code rc;
	int r;
	v->root = strdup(path);
	v->read = tar_read;
	if (!v->root)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = tar_open(path, &a, err)))
		return rc;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *raw = archive_entry_pathname(e);
		const char *name = raw ? tar_path(raw) : "";
		char tmp[AL_PATH_MAX + 1];
		size_t len = strlen(name);
		const char *bad;
		mode_t type = archive_entry_filetype(e);
		if (raw && raw[0] == '/') {
			al_report_add(rep, "tar entry '%s': the path is absolute", raw);
			continue;
		}
		if (len && name[len - 1] == '/' && len <= AL_PATH_MAX) { /* directory entries end in '/' */
			memcpy(tmp, name, len - 1);
			tmp[len - 1] = '\0';
			name = tmp;
		}
		if (!*name && type == AE_IFDIR)
			continue;
		if ((bad = al_path_unsafe(name))) {
			al_report_add(rep, "tar entry '%s': %s", raw ? raw : "", bad);
			continue;
		}
		if (archive_entry_hardlink(e)) {
			al_report_add(rep, "'%s' is a hard link (a bundle holds only regular files and directories)", name);
			continue;
		}
		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG) {
			al_report_add(rep, "'%s' %s (a bundle holds only regular files and directories)", name,
				      type == AE_IFLNK ? "is a symbolic link"
				      : (type == AE_IFCHR || type == AE_IFBLK) ? "is a device node"
				      : "is not a regular file");
			continue;
		}
		{
			struct al_sha256 h;
			unsigned char d[AL_DIGEST_LEN];
			char hex[AL_HEX_LEN + 1], digest[AL_DIGEST_STR];
			uint64_t size = 0;
			if ((rc = al_sha256_init(&h, err)))
				goto out;
			for (;;) {
				const void *blk;
				size_t n;
				la_int64_t off;
				r = archive_read_data_block(a, &blk, &n, &off);
				if (r == ARCHIVE_EOF)
					break;
				if (r != ARCHIVE_OK) {
					al_sha256_release(&h);
					rc = al_fail(err, AL_EVERIFY, "tar '%s' is damaged or truncated at '%s': %s",
						     path, name, archive_error_string(a));
					goto out;
				}
				al_sha256_update(&h, blk, n);
				size += n;
				al_progress_add(prog, n);
			}
			al_sha256_final(&h, d);
			al_sha256_release(&h);
			if (size != (uint64_t)archive_entry_size(e)) {
				rc = al_fail(err, AL_EVERIFY, "tar '%s' is truncated at '%s'", path, name);
				goto out;
			}
			al_hex(d, hex);
			snprintf(digest, sizeof(digest), "sha256:%s", hex);
			v->bytes += size;
			if ((rc = al_bview_add(v, name, size, digest, err)))
				goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = al_fail(err, AL_EVERIFY, "tar '%s' is damaged or truncated: %s", path, archive_error_string(a));
	al_bview_sort(v);
	for (size_t i = 1; !rc && i < v->n; i++)
		if (!strcmp(v->files[i].path, v->files[i - 1].path))
			al_report_add(rep, "'%s' appears more than once in the tar", v->files[i].path);
out:
	archive_read_free(a);
	return rc;
}

enum al_code al_bundle_scan(const char *path, struct al_bview *v, struct al_report *rep,
			    struct al_progress *prog, struct al_err *err)
{
	struct stat st;
	memset(v, 0, sizeof(*v));
	if (stat(path, &st) != 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open bundle '%s'", path);
	if (S_ISDIR(st.st_mode))
		return scan_dir(path, v, rep, prog, err);
	if (S_ISREG(st.st_mode))
		return scan_tar(path, v, rep, prog, err);
	return al_fail(err, AL_EINVAL, "'%s' is neither a bundle directory nor a tar file", path);
}

static enum al_code measure_dir(const char *path, uint64_t *bytes, int depth)
{
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d || depth > 16) {
		if (d)
			closedir(d);
		return AL_OK;
	}
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			*bytes += (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode)) {
			char *p = al_join(path, e->d_name);
			if (p)
				measure_dir(p, bytes, depth + 1);
			free(p);
		}
	}
	closedir(d);
	return AL_OK;
}

enum al_code al_bundle_measure(const char *path, uint64_t *bytes, struct al_err *err)
{
	struct stat st;
	*bytes = 0;
	if (stat(path, &st) != 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open bundle '%s'", path);
	if (S_ISREG(st.st_mode)) {
		*bytes = (uint64_t)st.st_size; /* close enough: headers are small */
		return AL_OK;
	}
	return measure_dir(path, bytes, 0);
}

enum al_code al_bundle_verify(const char *path, struct al_report *rep, struct al_bundle_info *info,
			      struct al_progress *prog, struct al_err *err)
{
	struct al_bview v;
	enum al_code rc = al_bundle_scan(path, &v, rep, prog, err);
	if (!rc) {
		enum al_code c = al_bundle_check(&v, rep, info, err);
		rc = c == AL_EVERIFY ? AL_OK : c;
	}
	al_bview_release(&v);
	if (!rc && al_report_count(rep))
		return AL_EVERIFY;
	return rc;
}

/* ---- creating ---- */

static enum al_code write_meta(struct al_layout *l, const struct al_spec *spec, int64_t now,
			       struct al_artifact *arts, size_t n, json_t **meta_out, struct al_err *err)
{
	char created[32], expires[32];
	json_t *list = json_array(), *meta, *sbom = NULL;
	struct al_buf b;
	enum al_code rc;
	/* only the spec's file name: the connected side's directories are not the inside's business */
	const char *spec_base = spec->spec_path ? strrchr(spec->spec_path, '/') : NULL;
	spec_base = spec_base ? spec_base + 1 : spec->spec_path ? spec->spec_path : "";
	al_time_fmt(now, created);
	al_time_fmt(spec->expires, expires);
	for (size_t i = 0; i < n && list; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O}", "kind",
				      al_kind_name(arts[i].kind), "name", arts[i].name, "upstream",
				      arts[i].upstream, "ref", arts[i].ref, "mediaType", arts[i].media_type,
				      "digest", arts[i].digest, "size", (json_int_t)arts[i].size,
				      "contentSize", (json_int_t)arts[i].content_size, "info", arts[i].info);
		if (!o || json_array_append_new(list, o)) {
			json_decref(list);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
	}
	meta = json_pack("{s:i, s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:s, s:o}", "airlockBundle", 1, "name",
			 spec->name, "version", (json_int_t)spec->version, "created", created, "expires",
			 expires, "spec", "file", spec_base, "digest",
			 spec->spec_digest, "tool", "airlock " AL_VERSION, "artifacts", list);
	if (!meta)
		return al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&b, AL_MAX_SMALL);
	rc = al_json_dump(meta, AL_JSON_PRETTY, &b, err);
	if (!rc)
		rc = al_layout_put_top(l, "airlock.json", b.data, b.len, err);
	if (!rc)
		rc = al_sbom_build(spec->name, spec->version, now, arts, n, &sbom, err);
	al_buf_reset(&b);
	if (!rc)
		rc = al_json_dump(sbom, AL_JSON_PRETTY, &b, err);
	if (!rc)
		rc = al_layout_put_top(l, "sbom.cdx.json", b.data, b.len, err);
	json_decref(sbom);
	al_buf_release(&b);
	if (rc)
		json_decref(meta);
	else
		*meta_out = meta;
	return rc;
}

enum al_code al_bundle_create(const struct al_spec *spec, const char *out,
			      const struct al_create_opts *opts, struct al_bundle_info *info,
			      struct al_err *err)
{
	struct al_layout l;
	struct al_plans plans = { 0 };
	struct al_copy_jobs jobs = { 0 };
	struct stat st;
	char *tmp;
	enum al_code rc;
	unsigned char r[4];
	memset(info, 0, sizeof(*info));
	if (lstat(out, &st) == 0)
		return al_fail(err, AL_EINVAL, "'%s' already exists; choose a new output path", out);
	if (RAND_bytes(r, sizeof(r)) != 1)
		return al_fail_ssl(err, "cannot make a temporary name");
	tmp = al_strf("%s.partial-%02x%02x%02x%02x", out, r[0], r[1], r[2], r[3]);
	if (!tmp)
		return al_fail(err, AL_ENOMEM, "out of memory");
	{
		char *parent = al_dirname(out);
		rc = parent ? al_mkdirs(parent, err) : al_fail(err, AL_ENOMEM, "out of memory");
		free(parent);
		if (rc) {
			free(tmp);
			return rc;
		}
	}
	if ((rc = al_layout_create(&l, tmp, err))) {
		free(tmp);
		return rc;
	}
	l.prog = opts->prog;
	for (size_t i = 0; i < spec->nsources && !rc; i++)
		rc = al_plan_source(&l, &spec->sources[i], &plans, &jobs, err);
	if (!rc && opts->prog) {
		uint64_t total = 0;
		for (size_t i = 0; i < jobs.n; i++)
			total += jobs.v[i].size;
		atomic_store(&opts->prog->total, total);
	}
	if (!rc)
		rc = al_layout_put_files(&l, jobs.v, jobs.n, err);
	if (!rc) {
		info->artifacts = calloc(plans.n, sizeof(*info->artifacts));
		if (!info->artifacts)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < plans.n && !rc; i++) {
		rc = al_plan_finish(&l, &plans.v[i], &jobs, &info->artifacts[i], err);
		info->nartifacts = i + 1;
		for (size_t k = 0; !rc && k < i; k++)
			if (!strcmp(info->artifacts[k].ref, info->artifacts[i].ref))
				rc = al_fail(err, AL_EINVAL,
					     "two artifacts would both be '%s': give one of them another 'name'",
					     info->artifacts[i].ref);
	}
	if (!rc)
		rc = write_meta(&l, spec, opts->now, info->artifacts, info->nartifacts, &info->meta, err);
	if (!rc)
		rc = al_layout_write_index(&l, err);
	if (!rc)
		rc = al_layout_write_sums(&l, err);
	if (!rc) {
		info->name = strdup(spec->name);
		info->version = spec->version;
		info->created = opts->now;
		info->expires = spec->expires;
	}
	if (!rc && opts->tar) {
		rc = al_bundle_write_tar(tmp, out, opts->now, err);
		al_rmtree(tmp, NULL);
	} else if (!rc) {
		char *parent = al_dirname(out);
		if (rename(tmp, out) != 0)
			rc = al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", tmp, out);
		else if (parent)
			rc = al_fsync_dir(parent, err);
		free(parent);
	}
	if (rc)
		al_rmtree(tmp, NULL);
	al_plans_release(&plans);
	al_copy_jobs_release(&jobs);
	al_layout_release(&l);
	free(tmp);
	return rc;
}

/* ---- the tar form ---- */

static enum al_code tar_add(struct archive *a, const char *dir, const char *rel, int64_t mtime,
			    char *buf, struct al_err *err)
{
	struct archive_entry *e = archive_entry_new();
	char *p = al_join(dir, rel);
	struct stat st;
	enum al_code rc = AL_OK;
	int fd = -1;
	if (!e || !p) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if (lstat(p, &st) != 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot stat '%s'", p);
		goto out;
	}
	archive_entry_set_pathname(e, rel);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (S_ISDIR(st.st_mode)) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
		archive_entry_set_size(e, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			rc = al_fail(err, AL_EIO, "cannot write tar: %s", archive_error_string(a));
		goto out;
	}
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot open '%s'", p);
		goto out;
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		rc = al_fail(err, AL_EIO, "cannot write tar: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, AL_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = al_fail_errno(err, AL_EIO, "cannot read '%s'", p);
			break;
		}
		if (n == 0)
			break;
		if (archive_write_data(a, buf, (size_t)n) != n) {
			rc = al_fail(err, AL_EIO, "cannot write tar: %s", archive_error_string(a));
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	free(p);
	return rc;
}

enum al_code al_bundle_write_tar(const char *dir, const char *out, int64_t mtime, struct al_err *err)
{
	static const char *const first[] = { "oci-layout", "index.json", "airlock.json", "sbom.cdx.json",
					     "SHA256SUMS", NULL };
	struct al_bview v = { 0 };
	struct al_report rep = { 0 };
	struct archive *a = NULL;
	char *tmp = al_strf("%s.partial", out), *buf = malloc(AL_IO_CHUNK), *parent = al_dirname(out);
	enum al_code rc;
	int fd = -1;
	if (!tmp || !buf || !parent) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = dir_walk(dir, NULL, 0, &v, &rep, err)))
		goto out;
	if (al_report_count(&rep)) {
		rc = al_fail(err, AL_EINVAL, "'%s': %s", dir, rep.msg[0]);
		goto out;
	}
	al_bview_sort(&v);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot create '%s'", tmp);
		goto out;
	}
	a = archive_write_new();
	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = al_fail(err, AL_EIO, "cannot start tar '%s'", tmp);
		goto out;
	}
	for (const char *const *f = first; *f && !rc; f++)
		if (al_bview_find(&v, *f))
			rc = tar_add(a, dir, *f, mtime, buf, err);
	if (!rc)
		rc = tar_add(a, dir, "blobs", mtime, buf, err);
	if (!rc)
		rc = tar_add(a, dir, "blobs/sha256", mtime, buf, err);
	for (size_t i = 0; i < v.n && !rc; i++) {
		int top = 0;
		for (const char *const *f = first; *f; f++)
			top |= !strcmp(*f, v.files[i].path);
		if (!top)
			rc = tar_add(a, dir, v.files[i].path, mtime, buf, err);
	}
	if (!rc && archive_write_close(a) != ARCHIVE_OK)
		rc = al_fail(err, AL_EIO, "cannot finish tar '%s': %s", tmp, archive_error_string(a));
	if (!rc && fsync(fd) != 0)
		rc = al_fail_errno(err, AL_EIO, "cannot flush '%s'", tmp);
	if (!rc && rename(tmp, out) != 0)
		rc = al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", tmp, out);
	if (!rc)
		rc = al_fsync_dir(parent, err);
out:
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	al_bview_release(&v);
	al_report_release(&rep);
	free(tmp);
	free(buf);
	free(parent);
	return rc;
}

/* ---- staging for import: one copy, hashed as it passes ---- */

static const struct al_bfile *al_bview_find_unsorted(const struct al_bview *v, const char *path)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->files[i].path, path))
			return &v->files[i];
	return NULL;
}

static enum al_code stage_parent(const char *stage, const char *rel, struct al_err *err)
{
	const char *slash = strrchr(rel, '/');
	char *dir;
	enum al_code rc;
	if (!slash)
		return AL_OK;
	dir = al_strf("%s/%.*s", stage, (int)(slash - rel), rel);
	if (!dir)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_mkdirs(dir, err);
	free(dir);
	return rc;
}

struct stage_ctx {
	const char *src;
	struct al_bview *v;
	struct al_progress *prog;
	enum al_code *rc;
	struct al_err *errs;
};

static void stage_one(void *ctx, size_t i, char *buf)
{
	struct stage_ctx *c = ctx;
	struct al_bfile *f = &c->v->files[i];
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	char *from = al_join(c->src, f->path), *to = al_join(c->v->root, f->path);
	int in = -1, out = -1;
	uint64_t size = 0;
	if (!from || !to) {
		c->rc[i] = al_fail(&c->errs[i], AL_ENOMEM, "out of memory");
		goto out;
	}
	in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		c->rc[i] = al_fail_errno(&c->errs[i], AL_EIO, "cannot open '%s'", from);
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		c->rc[i] = al_fail_errno(&c->errs[i], AL_EIO, "cannot create '%s'", to);
		goto out;
	}
	c->rc[i] = al_copy_hash_fd(in, out, from, buf, d, &size, c->prog, &c->errs[i]);
	if (!c->rc[i]) {
		al_hex(d, hex);
		snprintf(f->digest, sizeof(f->digest), "sha256:%s", hex);
		f->size = size;
	}
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(from);
	free(to);
}

static enum al_code stage_dir(const char *path, struct al_bview *v, struct al_report *rep,
			      struct al_progress *prog, struct al_err *err)
{
	struct stage_ctx c = { path, v, prog, NULL, NULL };
	size_t *order;
	enum al_code rc = dir_walk(path, NULL, 0, v, rep, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < v->n && !rc; i++)
		rc = stage_parent(v->root, v->files[i].path, err);
	if (rc)
		return rc;
	order = malloc((v->n + 1) * sizeof(*order));
	c.rc = calloc(v->n + 1, sizeof(*c.rc));
	c.errs = calloc(v->n + 1, sizeof(*c.errs));
	if (!order || !c.rc || !c.errs) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		order[i] = i;
		v->bytes += v->files[i].size;
	}
	qsort_r(order, v->n, sizeof(*order), cmp_size_desc, v->files);
	rc = al_parallel(stage_one, &c, order, v->n, al_default_threads(), err);
	for (size_t i = 0; !rc && i < v->n; i++)
		if (c.rc[i]) {
			*err = c.errs[i];
			rc = c.rc[i];
		}
	al_bview_sort(v);
out:
	free(order);
	free(c.rc);
	free(c.errs);
	return rc;
}

static enum al_code stage_tar(const char *path, struct al_bview *v, struct al_report *rep,
			      struct al_progress *prog, struct al_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	enum al_code rc;
	int r;
	if ((rc = tar_open(path, &a, err)))
		return rc;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *raw = archive_entry_pathname(e);
		const char *name = raw ? tar_path(raw) : "";
		char tmp[AL_PATH_MAX + 1], *to = NULL;
		size_t len = strlen(name);
		const char *bad;
		mode_t type = archive_entry_filetype(e);
		struct al_sha256 h;
		unsigned char d[AL_DIGEST_LEN];
		char hex[AL_HEX_LEN + 1], digest[AL_DIGEST_STR];
		uint64_t size = 0;
		int fd;
		if (raw && raw[0] == '/') {
			al_report_add(rep, "tar entry '%s': the path is absolute", raw);
			continue;
		}
		if (len && name[len - 1] == '/' && len <= AL_PATH_MAX) {
			memcpy(tmp, name, len - 1);
			tmp[len - 1] = '\0';
			name = tmp;
		}
		if (!*name && type == AE_IFDIR)
			continue;
		if ((bad = al_path_unsafe(name))) {
			al_report_add(rep, "tar entry '%s': %s", raw ? raw : "", bad);
			continue;
		}
		if (archive_entry_hardlink(e)) {
			al_report_add(rep, "'%s' is a hard link (a bundle holds only regular files and directories)", name);
			continue;
		}
		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG) {
			al_report_add(rep, "'%s' %s (a bundle holds only regular files and directories)", name,
				      type == AE_IFLNK ? "is a symbolic link"
				      : (type == AE_IFCHR || type == AE_IFBLK) ? "is a device node"
				      : "is not a regular file");
			continue;
		}
		if (al_bview_find_unsorted(v, name)) {
			al_report_add(rep, "'%s' appears more than once in the tar", name);
			continue;
		}
		if ((rc = stage_parent(v->root, name, err)))
			goto out;
		to = al_join(v->root, name);
		if (!to) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			goto out;
		}
		fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = al_fail_errno(err, AL_EIO, "cannot create '%s'", to);
			free(to);
			goto out;
		}
		if ((rc = al_sha256_init(&h, err))) {
			close(fd);
			free(to);
			goto out;
		}
		for (;;) {
			const void *blk;
			size_t n;
			la_int64_t off;
			const char *p;
			r = archive_read_data_block(a, &blk, &n, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK) {
				rc = al_fail(err, AL_EVERIFY, "tar '%s' is damaged or truncated at '%s': %s", path,
					     name, archive_error_string(a));
				break;
			}
			al_sha256_update(&h, blk, n);
			size += n;
			al_progress_add(prog, n);
			for (p = blk; n > 0;) {
				ssize_t w = write(fd, p, n);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					rc = al_fail_errno(err, AL_EIO, "cannot write '%s'", to);
					break;
				}
				p += w;
				n -= (size_t)w;
			}
			if (rc)
				break;
		}
		if (!rc && fdatasync(fd) != 0)
			rc = al_fail_errno(err, AL_EIO, "cannot flush '%s' to disk", to);
		close(fd);
		free(to);
		al_sha256_final(&h, d);
		al_sha256_release(&h);
		if (!rc && size != (uint64_t)archive_entry_size(e))
			rc = al_fail(err, AL_EVERIFY, "tar '%s' is truncated at '%s'", path, name);
		if (rc)
			goto out;
		al_hex(d, hex);
		snprintf(digest, sizeof(digest), "sha256:%s", hex);
		v->bytes += size;
		if ((rc = al_bview_add(v, name, size, digest, err)))
			goto out;
	}
	if (r != ARCHIVE_EOF)
		rc = al_fail(err, AL_EVERIFY, "tar '%s' is damaged or truncated: %s", path, archive_error_string(a));
	al_bview_sort(v);
out:
	archive_read_free(a);
	return rc;
}

enum al_code al_bundle_stage(const char *path, const char *stage, struct al_bview *v,
			     struct al_report *rep, struct al_progress *prog, struct al_err *err)
{
	struct stat st;
	memset(v, 0, sizeof(*v));
	if (stat(path, &st) != 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open bundle '%s'", path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return al_fail(err, AL_EINVAL, "'%s' is neither a bundle directory nor a tar file", path);
	v->root = strdup(stage);
	v->read = dir_read;
	if (!v->root)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (mkdir(stage, 0755) != 0)
		return al_fail_errno(err, AL_EIO, "cannot create '%s'", stage);
	return S_ISDIR(st.st_mode) ? stage_dir(path, v, rep, prog, err) : stage_tar(path, v, rep, prog, err);
}
