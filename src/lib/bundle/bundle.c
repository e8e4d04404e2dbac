/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.c: reading bundles (directory or pax tar) into a hashed view,
 * creating bundles from a spec, and writing the tar form. A tar is read in
 * one streaming pass and never unpacked; a directory is hashed in parallel,
 * largest file first.
 */
#include "bundle.h"
#include "base.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/rand.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
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

int al_json_is_manifest(const json_t *m)
{
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	const json_t *sv = json_object_get(m, "schemaVersion");
	return json_is_object(m) && (al_mt_is_manifest(mt) || al_mt_is_index(mt) ||
				     (json_is_integer(sv) && json_integer_value(sv) == 2));
}

int al_json_may_be_manifest(const char *p, size_t n)
{
	return memmem(p, n, "mediaType", 9) || memmem(p, n, "schemaVersion", 13) || memmem(p, n, "\\u", 2);
}

void al_report_add(struct al_report *r, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;
	if (r->n >= AL_REPORT_MAX) {
		r->dropped++;
		return;
	}
	if (al_array_grow(&r->msg, &r->cap, r->n + 1, sizeof(*r->msg), NULL)) {
		r->dropped++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (!m) {
		r->dropped++;
		return;
	}
	for (char *c = m; *c; c++) /* one line each: control characters from input become '?' */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
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
	enum al_code rc = al_array_grow(&v->files, &v->cap, v->n + 1, sizeof(*v->files), err);
	if (rc)
		return rc;
	f = &v->files[v->n];
	memset(f, 0, sizeof(*f));
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
	if (v->n)
		qsort(v->files, v->n, sizeof(*v->files), cmp_bfile);
}

const struct al_bfile *al_bview_find(const struct al_bview *v, const char *path)
{
	struct al_bfile key = { .path = (char *)path };
	return v->n ? bsearch(&key, v->files, v->n, sizeof(*v->files), cmp_bfile) : NULL;
}

void al_bview_release(struct al_bview *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->files[i].path);
		free(v->files[i].data);
		json_decref(v->files[i].parsed);
	}
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
	if ((rc = al_spec_meta_add(spec, meta, err))) {
		json_decref(meta);
		return rc;
	}
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

/*
 * Renames FROM to TO only if TO does not exist, atomically where the file
 * system can (RENAME_NOREPLACE): a path that appeared since the caller
 * checked it is never replaced, be it a file or an empty directory.
 */
static enum al_code rename_new(const char *from, const char *to, struct al_err *err)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return AL_OK;
	if (errno == EEXIST || errno == ENOTEMPTY)
		return al_fail(err, AL_EINVAL, "'%s' already exists; choose a new output path (nothing was written there)", to);
	if (errno != EINVAL && errno != ENOSYS)
		return al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", from, to);
	/* a file system without RENAME_NOREPLACE: a link cannot replace either (files only) */
	if (link(from, to) == 0)
		return unlink(from) == 0 ? AL_OK : al_fail_errno(err, AL_EIO, "cannot remove '%s'", from);
	if (errno == EEXIST)
		return al_fail(err, AL_EINVAL, "'%s' already exists; choose a new output path (nothing was written there)", to);
	return al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s' without replacing what may be there", from, to);
}

/* What bundle create refuses before it starts: a bundle verify could not read back, or an OUT that exists. */
static enum al_code create_check(const struct al_spec *spec, const char *out, const struct al_create_opts *opts,
				 struct al_err *err)
{
	struct stat st;
	if (spec->version < 1 || spec->version > AL_VERSION_MAX)
		return al_fail(err, AL_EINVAL,
			       "bundle '%s': version %lld is out of range (1 to %lld, 2^53-1; docs/FORMAT.md §3)",
			       spec->name, (long long)spec->version, (long long)AL_VERSION_MAX);
	if (spec->expires > AL_TIME_MAX || spec->expires <= opts->now)
		return al_fail(err, AL_EINVAL,
			       "bundle '%s': 'expires' must be after now and at the latest 9999-12-31T23:59:59Z "
			       "(choose a nearer date or a shorter time)",
			       spec->name);
	if (!opts->sink && lstat(out, &st) == 0)
		return al_fail(err, AL_EINVAL, "'%s' already exists; choose a new output path", out);
	return AL_OK;
}

/*
 * Where the layout is made: beside OUT (its parent created), so that the last
 * step is a rename; or, for a sink, in $TMPDIR. *tmp is the caller's to free.
 */
static enum al_code create_tmp(const char *out, const struct al_create_opts *opts, char **tmp, struct al_err *err)
{
	unsigned char r[4];
	const char *t = getenv("TMPDIR");
	char *parent;
	enum al_code rc;
	*tmp = NULL;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return al_fail_ssl(err, "cannot make a temporary name");
	if (opts->sink)
		*tmp = al_strf("%s/airlock-create-%02x%02x%02x%02x", t && *t ? t : "/tmp", r[0], r[1], r[2], r[3]);
	else
		*tmp = al_strf("%s.partial-%02x%02x%02x%02x", out, r[0], r[1], r[2], r[3]);
	if (!*tmp)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (opts->sink)
		return AL_OK;
	parent = al_dirname(out);
	rc = parent ? al_mkdirs(parent, err) : al_fail(err, AL_ENOMEM, "out of memory");
	free(parent);
	if (rc) {
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}

/* Plans every source (fetched ones from the cache), copies their files in while hashing, and sets the progress total. */
static enum al_code create_copy(struct al_layout *l, const struct al_spec *spec, const struct al_remotes *rem,
				struct al_plans *plans, struct al_copy_jobs *jobs, const struct al_create_opts *opts,
				struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (size_t i = 0; i < spec->nsources && !rc; i++) {
		const struct al_remote *rm = al_remotes_find(rem, &spec->sources[i]);
		rc = rm && !rm->layout ? al_plan_remote(rm, rem->items, plans, jobs, err)
				       : al_plan_source(l, rm ? &rm->eff : &spec->sources[i], plans, jobs, err);
	}
	if (!rc && opts->prog) {
		uint64_t total = 0;
		for (size_t i = 0; i < jobs->n; i++)
			total += jobs->v[i].size;
		atomic_store(&opts->prog->total, total);
		atomic_store(&opts->prog->done, 0);
	}
	if (!rc) /* test-only: a pause in which a test changes the download cache */
		al_fault("create-before-copy", SIGSTOP);
	return rc ? rc : al_layout_put_files(l, jobs->v, jobs->n, err);
}

/* Every artifact's manifest, airlock.json, index.json and SHA256SUMS; INFO filled. */
static enum al_code create_describe(struct al_layout *l, const struct al_spec *spec, struct al_plans *plans,
				    const struct al_copy_jobs *jobs, const struct al_create_opts *opts,
				    struct al_bundle_info *info, struct al_err *err)
{
	enum al_code rc = AL_OK;
	if (!(info->artifacts = calloc(plans->n, sizeof(*info->artifacts))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < plans->n && !rc; i++) {
		rc = al_plan_finish(l, &plans->v[i], jobs, &info->artifacts[i], err);
		info->nartifacts = i + 1;
		for (size_t k = 0; !rc && k < i; k++)
			if (!strcmp(info->artifacts[k].ref, info->artifacts[i].ref))
				rc = al_fail(err, AL_EINVAL,
					     "two artifacts would both be '%s': give one of them another 'name'",
					     info->artifacts[i].ref);
	}
	if (!rc)
		rc = write_meta(l, spec, opts->now, info->artifacts, info->nartifacts, &info->meta, err);
	if (!rc)
		rc = al_layout_write_index(l, err);
	if (!rc && opts->base)
		rc = al_layout_apply_base(l, opts->base, &info->nbase, &info->base_bytes, err);
	if (!rc)
		rc = al_layout_write_sums(l, err);
	if (!rc && !(info->name = strdup(spec->name)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	info->version = spec->version;
	info->created = opts->now;
	info->expires = spec->expires;
	return rc;
}

/* The finished layout at TMP becomes the bundle: streamed to the sink, written as a tar at OUT, or renamed to OUT. */
static enum al_code create_deliver(const char *tmp, const char *out, const struct al_create_opts *opts,
				   struct al_err *err)
{
	char *parent;
	enum al_code rc;
	if (opts->sink || opts->tar) {
		rc = opts->sink ? al_bundle_write_tar_stream(tmp, opts->sink, opts->now, err)
				: al_bundle_write_tar(tmp, out, opts->now, err);
		al_rmtree(tmp, NULL);
		return rc;
	}
	if ((rc = rename_new(tmp, out, err)))
		return rc;
	if (!(parent = al_dirname(out)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_fsync_dir(parent, err);
	free(parent);
	return rc;
}

enum al_code al_bundle_create(const struct al_spec *spec, const char *out,
			      const struct al_create_opts *opts, struct al_bundle_info *info,
			      struct al_err *err)
{
	struct al_layout l;
	struct al_plans plans = { 0 };
	struct al_copy_jobs jobs = { 0 };
	struct al_remotes rem = { 0 };
	char *tmp = NULL;
	enum al_code rc;
	memset(info, 0, sizeof(*info));
	if ((rc = create_check(spec, out, opts, err)) || (rc = create_tmp(out, opts, &tmp, err)))
		return rc;
	/* the network first: an interrupted or failed download leaves nothing beside OUT */
	if ((rc = al_remotes_fetch(spec, opts->fetch, &rem, err)) || (rc = al_layout_create(&l, tmp, err))) {
		al_remotes_release(&rem);
		free(tmp);
		return rc;
	}
	l.prog = opts->prog;
	if (!(rc = create_copy(&l, spec, &rem, &plans, &jobs, opts, err)) &&
	    !(rc = create_describe(&l, spec, &plans, &jobs, opts, info, err)))
		rc = create_deliver(tmp, out, opts, err);
	if (rc) {
		al_rmtree(tmp, NULL);
		al_bundle_info_release(info);
	}
	al_plans_release(&plans);
	al_remotes_release(&rem);
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

enum al_code al_tar_sink_fd(void *ctx, const void *buf, size_t n, struct al_err *err)
{
	int fd = *(int *)ctx;
	for (const char *p = buf; n > 0;) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return al_fail_errno(err, AL_EIO, "cannot write");
		p += w;
		n -= (size_t)w;
	}
	return AL_OK;
}

/* libarchive writes through this; the sink's error is kept for the caller, libarchive only sees a failure. */
struct tar_out {
	const struct al_tar_sink *sink;
	struct al_err err;
	int failed;
};

static la_ssize_t tar_out_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct tar_out *o = ctx;
	(void)a;
	if (o->sink->write(o->sink->ctx, buf, n, &o->err)) {
		o->failed = 1;
		al_err_prefix(&o->err, "tar '%s'", o->sink->name);
		return -1;
	}
	return (la_ssize_t)n;
}

/* libarchive failed while writing: the sink's own error when it was the sink, else libarchive's. */
static enum al_code tar_out_fail(struct tar_out *o, struct archive *a, const char *what, struct al_err *err)
{
	if (o->failed)
		return al_fail(err, o->err.code, "%s", o->err.msg);
	return al_fail(err, AL_EIO, "cannot %s tar '%s': %s", what, o->sink->name, archive_error_string(a));
}

enum al_code al_bundle_write_tar_stream(const char *dir, const struct al_tar_sink *sink, int64_t mtime,
					struct al_err *err)
{
	static const char *const first[] = { "oci-layout", "index.json", "airlock.json", "sbom.cdx.json",
					     "SHA256SUMS", NULL };
	struct al_bview v = { 0 };
	struct al_report rep = { 0 };
	struct tar_out o = { sink, { 0 }, 0 };
	struct archive *a = NULL;
	char *buf = malloc(AL_IO_CHUNK);
	enum al_code rc;
	if (!buf) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = al_bview_walk(dir, &v, &rep, err)))
		goto out;
	if (al_report_count(&rep)) {
		rc = al_fail(err, AL_EINVAL, "'%s': %s", dir, rep.msg[0]);
		goto out;
	}
	al_bview_sort(&v);
	a = archive_write_new();
	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &o, NULL, tar_out_write, NULL) != ARCHIVE_OK) {
		rc = a ? tar_out_fail(&o, a, "start", err) : al_fail(err, AL_ENOMEM, "out of memory");
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
		rc = tar_out_fail(&o, a, "finish", err);
out:
	if (rc && o.failed) {
		/* what libarchive said of a sink that failed is less than what the sink said */
		al_err_clear(err);
		rc = al_fail(err, o.err.code, "%s", o.err.msg);
	}
	if (a)
		archive_write_free(a);
	al_err_clear(&o.err);
	al_bview_release(&v);
	al_report_release(&rep);
	free(buf);
	return rc;
}


enum al_code al_bundle_write_tar(const char *dir, const char *out, int64_t mtime, struct al_err *err)
{
	char *tmp = al_strf("%s.partial", out), *parent = al_dirname(out);
	struct al_tar_sink sink = { NULL, al_tar_sink_fd, NULL };
	enum al_code rc;
	int fd = -1;
	if (!tmp || !parent) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot create '%s'", tmp);
		goto out;
	}
	sink.name = tmp;
	sink.ctx = &fd;
	rc = al_bundle_write_tar_stream(dir, &sink, mtime, err);
	if (!rc && fsync(fd) != 0)
		rc = al_fail_errno(err, AL_EIO, "cannot flush '%s'", tmp);
	if (!rc)
		rc = rename_new(tmp, out, err);
	if (!rc)
		rc = al_fsync_dir(parent, err);
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(parent);
	return rc;
}
