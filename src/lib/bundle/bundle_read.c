/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle_read.c: reading a bundle (directory or pax tar) into a hashed view,
 * either in place (verify) or into a staging copy (import). A directory is
 * hashed in parallel, largest file first; a tar is read in one streaming
 * pass and never unpacked. Entries that are not regular files or
 * directories, and unsafe names, are reported and never created.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "fsx.h"
#include "json.h"

/* A manifest at least this large is parsed while it is hashed (a directory's worker, a tar's
 * scan) and the tree kept for the check; a smaller one parses faster than it would be kept. */
enum { PARSE_IN_WORKER = 64 << 10 };

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

/* The compressed formats a bundle tar may arrive in by mistake, by their magic numbers. */
static const char *compressed_as(const unsigned char *p, size_t n)
{
	static const struct {
		const char *name;
		size_t len;
		unsigned char magic[6];
	} m[] = {
		{ "gzip", 2, { 0x1f, 0x8b } },         { "xz", 6, { 0xfd, '7', 'z', 'X', 'Z', 0 } },
		{ "zstd", 4, { 0x28, 0xb5, 0x2f, 0xfd } }, { "bzip2", 3, { 'B', 'Z', 'h' } },
		{ "lz4", 4, { 0x04, 0x22, 0x4d, 0x18 } }, { "lzip", 4, { 'L', 'Z', 'I', 'P' } },
		{ "compress", 2, { 0x1f, 0x9d } },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (n >= m[i].len && !memcmp(p, m[i].magic, m[i].len))
			return m[i].name;
	return NULL;
}

/* ---- tar streams ---- */

ssize_t al_tar_source_fd(void *ctx, void *buf, size_t n, struct al_err *err)
{
	int fd = *(int *)ctx;
	for (;;) {
		ssize_t got = read(fd, buf, n);
		if (got >= 0)
			return got;
		if (errno != EINTR) {
			al_fail_errno(err, AL_EIO, "cannot read");
			return -1;
		}
	}
}

/*
 * What libarchive reads a tar stream through. Each chunk is filled whole
 * (a pipe gives a few KiB at a time) and the one before it is kept, so that
 * when libarchive stops at the end-of-archive marker the bytes it read ahead
 * past that point are still here to be checked: a tar has no length of its
 * own, and the bytes after its end must be seen as other tar readers see them.
 */
struct tar_in {
	const struct al_tar_source *src;
	unsigned char *buf[2];
	size_t len[2];
	uint64_t off[2];   /* stream offset of each chunk */
	int cur;           /* the chunk libarchive reads now */
	uint64_t total;    /* bytes taken from the source */
	int at_end;
	int primed;        /* chunk 0 was read by tar_in_open and not yet handed to libarchive */
	int failed;        /* the source failed: its error is in err, not libarchive's */
	struct al_err err;
};

/* Fills B with up to N bytes from the source (less only at its end); -1 when the source failed. */
static ssize_t tar_in_fill(struct tar_in *in, unsigned char *b, size_t n)
{
	size_t have = 0;
	while (have < n && !in->at_end) {
		ssize_t got = in->src->read(in->src->ctx, b + have, n - have, &in->err);
		if (got < 0) {
			in->failed = 1;
			al_err_prefix(&in->err, "tar '%s'", in->src->name);
			return -1;
		}
		if (got == 0)
			in->at_end = 1;
		have += (size_t)got;
	}
	in->total += have;
	return (ssize_t)have;
}

static la_ssize_t tar_in_read(struct archive *a, void *ctx, const void **out)
{
	struct tar_in *in = ctx;
	int next = !in->cur;
	ssize_t got;
	(void)a;
	if (in->primed) {
		in->primed = 0;
		*out = in->buf[0];
		return (la_ssize_t)in->len[0];
	}
	in->off[next] = in->total;
	if ((got = tar_in_fill(in, in->buf[next], AL_IO_CHUNK)) < 0)
		return -1;
	in->len[next] = (size_t)got;
	in->cur = next;
	*out = in->buf[next];
	return got;
}

/* libarchive failed at entry NAME (or between entries): the source's own error, or a damaged tar. */
static enum al_code tar_in_damaged(struct tar_in *in, struct archive *a, const char *name, struct al_err *err)
{
	if (in->failed)
		return al_fail(err, in->err.code, "%s", in->err.msg);
	if (name)
		return al_fail(err, AL_EVERIFY, "tar '%s' is damaged or truncated at '%s': %s", in->src->name, name,
			       archive_error_string(a));
	return al_fail(err, AL_EVERIFY, "tar '%s' is damaged or truncated: %s", in->src->name, archive_error_string(a));
}

static void tar_in_release(struct tar_in *in)
{
	free(in->buf[0]);
	free(in->buf[1]);
	al_err_clear(&in->err);
}

/*
 * Opens SRC for one pass into *out. A source that fails is reported as its
 * own error; a stream that is compressed or not a tar is AL_EVERIFY.
 */
static enum al_code tar_in_open(struct tar_in *in, const struct al_tar_source *src, struct archive **out,
				struct al_err *err)
{
	const char *comp;
	struct archive *a;
	memset(in, 0, sizeof(*in));
	in->src = src;
	in->cur = 1; /* the first read fills chunk 0 */
	if (!(in->buf[0] = malloc(AL_IO_CHUNK)) || !(in->buf[1] = malloc(AL_IO_CHUNK)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	/* the first chunk is read here, to say what a compressed stream is rather than "unrecognized format" */
	in->off[0] = 0;
	if (tar_in_fill(in, in->buf[0], AL_IO_CHUNK) < 0)
		return al_fail(err, in->err.code, "%s", in->err.msg);
	in->len[0] = (size_t)in->total;
	in->cur = 0;
	in->primed = 1;
	if (!in->len[0])
		return al_fail(err, AL_EVERIFY, "damaged or not a tar '%s': it is empty (no bundle arrived)", src->name);
	if ((comp = compressed_as(in->buf[0], in->len[0])))
		return al_fail(err, AL_EVERIFY, "tar '%s' is %s-compressed: compressed tars are not accepted (decompress it first)",
			       src->name, comp);
	if (!(a = archive_read_new()))
		return al_fail(err, AL_ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	if (archive_read_open(a, in, NULL, tar_in_read, NULL) != ARCHIVE_OK) {
		/* a stream we can read that is no tar is untrustworthy input, not a failure of ours */
		enum al_code rc = in->failed ? al_fail(err, in->err.code, "%s", in->err.msg)
					     : al_fail(err, AL_EVERIFY, "damaged or not a tar '%s': %s", src->name,
						       archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	*out = a;
	return AL_OK;
}

/*
 * After libarchive's ARCHIVE_EOF: everything from where it stopped to the end
 * of the stream must be zero bytes (the end-of-archive blocks and the record
 * padding). libarchive stops at the first zero block and ignores the rest;
 * GNU tar -i, or a reader of a second archive appended, would not.
 */
static enum al_code tar_in_check_tail(struct tar_in *in, struct archive *a, struct al_err *err)
{
	la_int64_t pos = archive_filter_bytes(a, -1);
	int prev = !in->cur;
	uint64_t p;
	if (pos < 0)
		return al_fail(err, AL_EIO, "tar '%s': cannot tell where the archive ended", in->src->name);
	p = (uint64_t)pos;
	/* what libarchive read ahead: the rest of the chunk before the current one, then the current one */
	if (p < in->off[in->cur] && (!in->len[prev] || p < in->off[prev]))
		return al_fail(err, AL_EIO, "tar '%s': cannot check the bytes after its end-of-archive marker",
			       in->src->name);
	for (;;) {
		int k = p < in->off[in->cur] ? prev : in->cur;
		uint64_t end = in->off[k] + in->len[k];
		for (; p < end; p++)
			if (in->buf[k][p - in->off[k]])
				return al_fail(err, AL_EVERIFY,
					       "tar '%s' has data after its end-of-archive marker, at byte %llu "
					       "(a second archive or hidden members that other tar readers would see)",
					       in->src->name, (unsigned long long)p);
		if (k == in->cur) {
			if (in->at_end)
				return AL_OK;
			/* the rest of the stream, chunk by chunk into the current one */
			in->off[k] = in->total;
			if (tar_in_fill(in, in->buf[k], AL_IO_CHUNK) < 0)
				return al_fail(err, in->err.code, "%s", in->err.msg);
			in->len[k] = (size_t)(in->total - in->off[k]);
			if (!in->len[k])
				return AL_OK;
		}
	}
}

/* A tar entry's path without a leading "./" and a trailing '/'; into tmp. */
static const char *tar_name(struct archive_entry *e, char tmp[AL_PATH_MAX + 1])
{
	const char *p = archive_entry_pathname(e);
	size_t len;
	if (!p)
		return "";
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	len = strlen(p);
	if (len && p[len - 1] == '/' && len <= AL_PATH_MAX) {
		memcpy(tmp, p, len - 1);
		tmp[len - 1] = '\0';
		return tmp;
	}
	return p;
}

/*
 * Classifies a tar entry: returns its name if it is a regular file to read or
 * a directory (*is_dir set), or NULL to skip it (the top directory, or a
 * problem now in rep).
 */
static const char *tar_entry_file(struct archive_entry *e, char tmp[AL_PATH_MAX + 1], int *is_dir,
				  struct al_report *rep)
{
	const char *raw = archive_entry_pathname(e), *name = tar_name(e, tmp), *bad;
	mode_t type = archive_entry_filetype(e);
	if (raw && raw[0] == '/') {
		al_report_add(rep, "tar entry '%s': the path is absolute", raw);
		return NULL;
	}
	if (!*name && type == AE_IFDIR)
		return NULL;
	if ((bad = al_path_unsafe(name))) {
		al_report_add(rep, "tar entry '%s': %s", raw ? raw : "", bad);
		return NULL;
	}
	if (archive_entry_hardlink(e)) {
		al_report_add(rep, "'%s' is a hard link (a bundle holds only regular files and directories)", name);
		return NULL;
	}
	*is_dir = type == AE_IFDIR;
	if (type == AE_IFDIR)
		return name;
	if (type != AE_IFREG) {
		al_report_add(rep, "'%s' %s (a bundle holds only regular files and directories)", name,
			      type == AE_IFLNK ? "is a symbolic link"
			      : (type == AE_IFCHR || type == AE_IFBLK) ? "is a device node"
			      : "is not a regular file");
		return NULL;
	}
	return name;
}

/*
 * Streams the current entry's data, hashing it and, if fd >= 0, writing it
 * there (then fdatasync). A short or damaged entry is AL_EVERIFY.
 */
static enum al_code tar_entry_data(struct tar_in *in, struct archive *a, struct archive_entry *e,
				   const char *name, int fd, struct al_buf *keep, char digest[AL_DIGEST_STR],
				   uint64_t *size, enum al_sniff *sniff, struct al_progress *prog,
				   struct al_err *err)
{
	struct al_sha256 h;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	enum al_code rc = al_sha256_init(&h, err);
	*size = 0;
	if (rc)
		return rc;
	for (;;) {
		const void *blk;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &blk, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			rc = tar_in_damaged(in, a, name, err);
			break;
		}
		al_sha256_update(&h, blk, n);
		al_sniff_update(sniff, blk, n);
		*size += n;
		al_progress_add(prog, n);
		/* only what may be JSON, and the top-level files, are kept; a keep that fails stays
		 * failed (checked by the caller) */
		if (keep && keep->max && (*sniff != AL_SNIFF_OTHER || !strchr(name, '/')))
			al_buf_add(keep, blk, n, NULL);
		for (const char *p = blk; fd >= 0 && n > 0;) {
			ssize_t w = write(fd, p, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = al_fail_errno(err, AL_EIO, "cannot stage '%s'", name);
				break;
			}
			p += w;
			n -= (size_t)w;
		}
		if (rc)
			break;
	}
	al_sha256_final(&h, d);
	al_sha256_release(&h);
	if (!rc && fd >= 0)
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* made durable by sync_staged() */
	if (!rc && *size != (uint64_t)archive_entry_size(e))
		rc = al_fail(err, AL_EVERIFY, "tar '%s' is truncated at '%s'", in->src->name, name);
	al_hex(d, hex);
	snprintf(digest, AL_DIGEST_STR, "sha256:%s", hex);
	return rc;
}

static enum al_code tar_read_named(const char *tar, const char *name, struct al_buf *out,
				   struct al_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	char tmp[AL_PATH_MAX + 1];
	int fd = open(tar, O_RDONLY | O_CLOEXEC), r;
	struct al_tar_source src = { tar, al_tar_source_fd, &fd };
	struct tar_in in;
	enum al_code rc;
	if (fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot read tar '%s'", tar);
	if ((rc = tar_in_open(&in, &src, &a, err)))
		goto out;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (strcmp(tar_name(e, tmp), name) != 0 || archive_entry_filetype(e) != AE_IFREG)
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
				rc = tar_in_damaged(&in, a, name, err);
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
			      : tar_in_damaged(&in, a, NULL, err);
out:
	if (a)
		archive_read_free(a);
	tar_in_release(&in);
	close(fd);
	return rc;
}

static enum al_code tar_read(struct al_bview *v, const struct al_bfile *f, struct al_buf *out,
			     struct al_err *err)
{
	enum al_code rc;
	if (f->data) {
		al_buf_reset(out);
		rc = al_buf_add(out, f->data, f->size, err);
	} else {
		rc = tar_read_named(v->root, f->path, out, err);
	}
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

/* Waits for the staged copies to be on disk (their writeback was started as they were written). */
static enum al_code sync_staged(const struct al_bview *v, struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (size_t i = 0; i < v->n && !rc; i++) {
		char *p = al_join(v->root, v->files[i].path);
		rc = p ? al_sync_file(p, err) : al_fail(err, AL_ENOMEM, "out of memory");
		free(p);
	}
	return rc;
}

/*
 * The names a tar has shown so far, each as a file or a directory (named by
 * an entry, or implied as the parent of one). A name may be only one of the
 * two, and only once a file: extracting such a tar fails or overwrites, so it
 * is refused before anything of it is staged.
 */
enum { NAME_FILE = 1, NAME_DIR = 2 };
struct names {
	struct name_slot {
		char *name;
		int kind;
	} *slot;
	size_t n, cap; /* cap is a power of two; slot[i].name == NULL when free */
};

static uint64_t name_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static struct name_slot *names_find(const struct names *t, const char *s, size_t len)
{
	if (!t->cap)
		return NULL;
	for (size_t i = name_hash(s, len) & (t->cap - 1); t->slot[i].name; i = (i + 1) & (t->cap - 1))
		if (!strncmp(t->slot[i].name, s, len) && !t->slot[i].name[len])
			return &t->slot[i];
	return NULL;
}

/* Adds s[0..len) as kind (the caller checked it is not there); takes no ownership of s. */
static enum al_code names_add(struct names *t, const char *s, size_t len, int kind, struct al_err *err)
{
	size_t i;
	char *copy;
	if (2 * (t->n + 1) > t->cap) {
		struct names bigger = { NULL, 0, t->cap ? t->cap * 2 : 1024 };
		bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
		if (!bigger.slot)
			return al_fail(err, AL_ENOMEM, "out of memory");
		for (size_t k = 0; k < t->cap; k++)
			if (t->slot[k].name) {
				const char *nm = t->slot[k].name;
				for (i = name_hash(nm, strlen(nm)) & (bigger.cap - 1); bigger.slot[i].name;
				     i = (i + 1) & (bigger.cap - 1))
					;
				bigger.slot[i] = t->slot[k];
			}
		free(t->slot);
		bigger.n = t->n;
		*t = bigger;
	}
	if (!(copy = al_memdup(s, len)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (i = name_hash(s, len) & (t->cap - 1); t->slot[i].name; i = (i + 1) & (t->cap - 1))
		;
	t->slot[i].name = copy;
	t->slot[i].kind = kind;
	t->n++;
	return AL_OK;
}

static void names_release(struct names *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].name);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/*
 * Records the entry `name` (a file, or a directory) and the directories above
 * it. Returns AL_OK with *clash set (and the problem in rep) when the name, or
 * a directory above it, was already seen as the other kind, or the file was
 * already seen.
 */
static enum al_code names_enter(struct names *t, const char *name, int kind, int *clash,
				struct al_report *rep, struct al_err *err)
{
	struct name_slot *s;
	enum al_code rc;
	*clash = 0;
	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		size_t len = (size_t)(p - name);
		if (!(s = names_find(t, name, len))) {
			if ((rc = names_add(t, name, len, NAME_DIR, err)))
				return rc;
		} else if (s->kind == NAME_FILE) {
			al_report_add(rep, "'%.*s' is a file in the tar, and also a directory above '%s'", (int)len,
				      name, name);
			*clash = 1;
			return AL_OK;
		}
	}
	s = names_find(t, name, strlen(name));
	if (!s)
		return names_add(t, name, strlen(name), kind, err);
	if (s->kind == NAME_FILE && kind == NAME_FILE)
		al_report_add(rep, "'%s' appears more than once in the tar", name);
	else if (s->kind != kind)
		al_report_add(rep, "'%s' is both a file and a directory in the tar", name);
	else
		return AL_OK; /* a directory named again: harmless */
	*clash = 1;
	return AL_OK;
}

/*
 * Reads a whole tar once. Each regular file is hashed and, when stage is set,
 * written below it. The view lists what was read, sorted.
 */
static enum al_code tar_each_source(const struct al_tar_source *src, const char *stage, struct al_bview *v,
				    struct al_report *rep, struct al_progress *prog, struct al_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	struct names seen = { NULL, 0, 0 };
	struct tar_in in;
	enum al_code rc;
	int r = ARCHIVE_OK;
	if ((rc = tar_in_open(&in, src, &a, err))) {
		tar_in_release(&in);
		return rc;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		char tmp[AL_PATH_MAX + 1], digest[AL_DIGEST_STR], *to = NULL;
		int is_dir = 0, clash = 0;
		const char *name = tar_entry_file(e, tmp, &is_dir, rep);
		struct al_buf keep;
		uint64_t size = 0;
		enum al_sniff sniff = AL_SNIFF_WS;
		json_t *j = NULL; /* a manifest's tree, parsed as it passed */
		int fd = -1;
		if (!name)
			continue;
		/* name clashes are found here, before anything of the entry is staged */
		if ((rc = names_enter(&seen, name, is_dir ? NAME_DIR : NAME_FILE, &clash, rep, err)))
			break;
		if (clash || is_dir)
			continue;
		if (stage) {
			if ((rc = al_mkdirs_for(stage, name, err)))
				break;
			if (!(to = al_join(stage, name))) {
				rc = al_fail(err, AL_ENOMEM, "out of memory");
				break;
			}
			fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			free(to);
			if (fd < 0) {
				rc = al_fail_errno(err, AL_EIO, "cannot stage '%s'", name);
				break;
			}
		}
		/*
		 * A scan holds on to what may be JSON (up to a manifest's size) while it passes, to
		 * tell a manifest from other data now: the check re-reads only what may be a manifest,
		 * and re-reading one from a tar means reading the tar again. Manifests and the
		 * top-level files (within AL_VIEW_CACHE) are kept so the check need not do even that.
		 */
		al_buf_init(&keep, !stage && archive_entry_size(e) >= 0 && archive_entry_size(e) <= AL_MAX_MANIFEST
				   ? (size_t)archive_entry_size(e) : 0);
		rc = tar_entry_data(&in, a, e, name, fd, &keep, digest, &size, &sniff, prog, err);
		if (fd >= 0)
			close(fd);
		if (!rc && sniff == AL_SNIFF_WS)
			sniff = AL_SNIFF_OTHER; /* blank from start to end: no JSON object */
		if (!rc && sniff == AL_SNIFF_OBJECT && keep.max && !al_buf_check(&keep, NULL) && keep.len == size) {
			if (!al_json_may_be_manifest(keep.data, keep.len) ||
			    al_json_parse(keep.data, keep.len, name, &j, NULL) || !al_json_is_manifest(j))
				sniff = AL_SNIFF_OTHER; /* JSON, but no manifest: the check follows nothing in it */
		}
		if (!rc)
			rc = al_bview_add(v, name, size, digest, err);
		if (!rc)
			v->files[v->n - 1].sniff = sniff;
		if (!rc && sniff == AL_SNIFF_OBJECT && j && size >= PARSE_IN_WORKER) {
			v->files[v->n - 1].parsed = j; /* the tree of the bytes just hashed: not parsed twice */
			j = NULL;
		}
		json_decref(j);
		if (!rc && keep.max && !al_buf_check(&keep, NULL) && keep.len == size && keep.len &&
		    (sniff == AL_SNIFF_OBJECT || !strchr(name, '/')) && size <= AL_VIEW_CACHE_FILE &&
		    v->cached + size <= AL_VIEW_CACHE) {
			v->files[v->n - 1].data = al_buf_take(&keep, NULL);
			v->cached += size;
		}
		al_buf_release(&keep);
		if (rc)
			break;
		v->bytes += size;
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = tar_in_damaged(&in, a, NULL, err);
	if (!rc)
		rc = tar_in_check_tail(&in, a, err);
	archive_read_free(a);
	tar_in_release(&in);
	names_release(&seen);
	al_bview_sort(v);
	if (!rc && stage)
		rc = sync_staged(v, err);
	return rc;
}

/* tar_each_source over the tar file at PATH. */
static enum al_code tar_each(const char *path, const char *stage, struct al_bview *v, struct al_report *rep,
			     struct al_progress *prog, struct al_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct al_tar_source src = { path, al_tar_source_fd, &fd };
	enum al_code rc;
	if (fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot read tar '%s'", path);
	rc = tar_each_source(&src, stage, v, rep, prog, err);
	close(fd);
	return rc;
}

/* ---- directories ---- */

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

/*
 * Opens NAME in the directory DFD as a directory, never through a symbolic
 * link, and checks that it is the one ST (from fstatat) described: a
 * directory swapped for a link or another directory between the two is not
 * followed. -1 with errno set, ESTALE for a swap.
 */
static int open_subdir(int dfd, const char *name, const struct stat *st)
{
	struct stat now;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

/*
 * What readdir says is a regular file is stat'ed later, by workers in parallel (a model of
 * thousands of small files spends most of its walk in fstatat): each such entry is in the
 * view with its size still unknown, and here with the directory it is in.
 */
struct pending {
	size_t file;          /* index into v->files */
	int dir;              /* index into walk.dirs */
	struct stat st;
	int err;              /* errno of fstatat, or 0 */
};
struct walk {
	struct pending *p;
	size_t n, cap;
	int *dirs;            /* directory descriptors the pending entries are in (owned) */
	size_t ndirs, capdirs;
};

/* Records that v's last file, NAME in the directory D (dup'ed once per directory), waits for its stat. */
static enum al_code defer_stat(struct walk *w, struct al_bview *v, int d, int *dslot, struct al_err *err)
{
	enum al_code rc;
	if (*dslot < 0) {
		int fd = dup(d);
		if (fd < 0)
			return al_fail_errno(err, AL_EIO, "cannot keep a directory of the bundle open");
		if ((rc = al_array_grow(&w->dirs, &w->capdirs, w->ndirs + 1, sizeof(*w->dirs), err))) {
			close(fd);
			return rc;
		}
		w->dirs[w->ndirs] = fd;
		*dslot = (int)w->ndirs++;
	}
	if ((rc = al_array_grow(&w->p, &w->cap, w->n + 1, sizeof(*w->p), err)))
		return rc;
	memset(&w->p[w->n], 0, sizeof(w->p[w->n]));
	w->p[w->n].file = v->n - 1;
	w->p[w->n].dir = *dslot;
	w->n++;
	return AL_OK;
}

/*
 * Lists the directory open at DFD (taken: closed here), which is ROOT/REL,
 * into v. Subdirectories are opened relative to it (open_subdir), so what was
 * checked is what is read; an error of readdir is an error, not the end.
 */
static enum al_code dir_walk_fd(int dfd, const char *root, const char *rel, int depth, struct al_bview *v,
				struct walk *w, struct al_report *rep, struct al_err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	enum al_code rc = AL_OK;
	int dslot = -1;
	if (!d) {
		rc = al_fail_errno(err, AL_EIO, "cannot read bundle directory '%s/%s'", root, rel ? rel : "");
		close(dfd);
		return rc;
	}
	for (;;) {
		struct stat st;
		char *r;
		int sub;
		errno = 0;
		if (!(e = readdir(d))) {
			if (errno)
				rc = al_fail_errno(err, AL_EIO, "cannot list '%s' in '%s'", rel ? rel : ".", root);
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!(r = rel ? al_join(rel, e->d_name) : strdup(e->d_name))) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		if (e->d_type == DT_REG && !al_path_unsafe(r)) {
			if (!(rc = al_bview_add(v, r, 0, NULL, err)))
				rc = defer_stat(w, v, dirfd(d), &dslot, err);
		} else if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			rc = al_fail_errno(err, AL_EIO, "cannot stat '%s' in '%s'", r, root);
		else if (al_path_unsafe(r))
			al_report_add(rep, "'%s': %s", r, al_path_unsafe(r));
		else if (S_ISDIR(st.st_mode) && depth >= 16)
			al_report_add(rep, "'%s' nests too deep", r);
		else if (S_ISDIR(st.st_mode) && (sub = open_subdir(dirfd(d), e->d_name, &st)) < 0)
			rc = al_fail_errno(err, AL_EIO, "cannot open '%s' in '%s' (a directory that changed while it was read is not followed)",
					   r, root);
		else if (S_ISDIR(st.st_mode))
			rc = dir_walk_fd(sub, root, r, depth + 1, v, w, rep, err);
		else if (S_ISREG(st.st_mode) && st.st_nlink > 1)
			/* a second name for the same bytes: what is hashed under one may change under the other */
			al_report_add(rep, "'%s' is a hard link (a bundle holds only regular files and directories)", r);
		else if (S_ISREG(st.st_mode))
			rc = al_bview_add(v, r, (uint64_t)st.st_size, NULL, err);
		else
			al_report_add(rep, "'%s' %s (a bundle holds only regular files and directories)", r,
				      kind_of_mode(st.st_mode));
		free(r);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

enum { STAT_IN_PARALLEL = 256 };

/* The deferred stats, in parallel; then each entry is kept (a regular file with one link: its
 * size is set) or reported and dropped from v, in the order of the walk. */
struct stat_work {
	struct walk *w;
	struct al_bview *v;
};

static void stat_one(void *ctx, size_t i, char *buf)
{
	struct stat_work *sw = ctx;
	struct pending *p = &sw->w->p[i];
	const char *path = sw->v->files[p->file].path, *base = strrchr(path, '/');
	(void)buf;
	if (fstatat(sw->w->dirs[p->dir], base ? base + 1 : path, &p->st, AT_SYMLINK_NOFOLLOW) != 0)
		p->err = errno ? errno : EIO;
}

static enum al_code stat_pending(struct walk *w, const char *root, struct al_bview *v, struct al_report *rep,
				 struct al_err *err)
{
	struct stat_work sw = { w, v };
	size_t k = 0, j = 0;
	enum al_code rc = AL_OK;
	if (w->n >= STAT_IN_PARALLEL)
		rc = al_parallel(stat_one, &sw, NULL, w->n, al_default_threads(), err);
	for (size_t i = 0; w->n < STAT_IN_PARALLEL && i < w->n; i++) /* (fewer: not worth a thread) */
		stat_one(&sw, i, NULL);
	for (size_t i = 0; !rc && i < w->n; i++) {
		struct pending *p = &w->p[i];
		const char *r = v->files[p->file].path;
		if (p->err) {
			errno = p->err;
			rc = al_fail_errno(err, AL_EIO, "cannot stat '%s' in '%s'", r, root);
		} else if (S_ISREG(p->st.st_mode) && p->st.st_nlink > 1) {
			/* a second name for the same bytes: what is hashed under one may change under the other */
			al_report_add(rep, "'%s' is a hard link (a bundle holds only regular files and directories)", r);
		} else if (!S_ISREG(p->st.st_mode)) { /* (it changed since readdir) */
			al_report_add(rep, "'%s' %s (a bundle holds only regular files and directories)", r,
				      kind_of_mode(p->st.st_mode));
		} else {
			v->files[p->file].size = (uint64_t)p->st.st_size;
			continue;
		}
		free(v->files[p->file].path);
		v->files[p->file].path = NULL; /* dropped below */
	}
	for (; k < v->n; k++) { /* the view without the dropped entries */
		if (v->files[k].path)
			v->files[j++] = v->files[k];
	}
	v->n = j;
	return rc;
}

/* Lists the bundle directory ROOT (which may be given through a link) into v. */
static enum al_code dir_walk(const char *root, struct al_bview *v, struct al_report *rep, struct al_err *err)
{
	struct walk w = { 0 };
	enum al_code rc;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open bundle directory '%s'", root);
	rc = dir_walk_fd(fd, root, NULL, 0, v, &w, rep, err);
	if (!rc)
		rc = stat_pending(&w, root, v, rep, err);
	for (size_t i = 0; i < w.ndirs; i++)
		close(w.dirs[i]);
	free(w.dirs);
	free(w.p);
	return rc;
}

enum al_code al_bview_walk(const char *root, struct al_bview *v, struct al_report *rep,
			   struct al_err *err)
{
	return dir_walk(root, v, rep, err);
}

/* Work over the files of a directory view, in parallel, largest first. */
struct file_work {
	struct al_bview *v;
	const char *src;      /* staging: where the files are read from; else NULL (v->root) */
	struct al_progress *prog;
	enum al_code *rc;
	struct al_err *errs;
};

/* Hashes one file of the view; with src set, copies it from src into v->root as it goes. */
static void file_one(void *ctx, size_t i, char *buf)
{
	struct file_work *w = ctx;
	struct al_bfile *f = &w->v->files[i];
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	char *from = al_join(w->src ? w->src : w->v->root, f->path);
	char *to = w->src ? al_join(w->v->root, f->path) : NULL;
	struct al_buf keep;
	int in = -1, out = -1;
	uint64_t size = 0;
	if (!from || (w->src && !to)) {
		w->rc[i] = al_fail(&w->errs[i], AL_ENOMEM, "out of memory");
		goto out;
	}
	/* (O_NONBLOCK: a file swapped for a named pipe since the walk cannot make this wait) */
	in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (in < 0) {
		w->rc[i] = al_fail_errno(&w->errs[i], AL_EIO, "cannot open '%s'", from);
		goto out;
	}
	if (to && (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		w->rc[i] = al_fail_errno(&w->errs[i], AL_EIO, "cannot create '%s'", to);
		goto out;
	}
	f->sniff = AL_SNIFF_WS;
	/*
	 * What may be JSON is kept as it is hashed, so the workers, in parallel, rule out the
	 * JSON that cannot be a manifest, and the check re-reads and parses only the rest (a
	 * manifest is parsed once, there).
	 */
	al_buf_init(&keep, f->size <= AL_MAX_MANIFEST ? (size_t)f->size : 0);
	w->rc[i] = al_copy_hash_fd_sniff(in, out, from, buf, d, &size, &f->sniff, &keep, w->prog, &w->errs[i]);
	if (!w->rc[i] && f->sniff == AL_SNIFF_OBJECT && keep.max && !al_buf_check(&keep, NULL) && keep.len == size) {
		if (!al_json_may_be_manifest(keep.data, keep.len))
			f->sniff = AL_SNIFF_OTHER; /* JSON, but no manifest: the check follows nothing in it */
		else if (size >= PARSE_IN_WORKER) { /* parsed here, beside the other workers' hashing */
			struct al_err ignored = { 0 }; /* (what does not parse is read again, and reported, by the check) */
			if (al_json_parse(keep.data, keep.len, from, &f->parsed, &ignored))
				f->parsed = NULL;
		}
	}
	al_buf_release(&keep);
	if (!w->rc[i]) {
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

static int cmp_size_desc(const void *a, const void *b, void *ctx)
{
	const struct al_bfile *f = ctx;
	uint64_t x = f[*(const size_t *)a].size, y = f[*(const size_t *)b].size;
	return x < y ? 1 : x > y ? -1 : 0;
}

static enum al_code dir_each(const char *path, const char *stage, struct al_bview *v,
			     struct al_report *rep, struct al_progress *prog, struct al_err *err)
{
	struct file_work w = { v, stage ? path : NULL, prog, NULL, NULL };
	size_t *order = NULL;
	enum al_code rc = dir_walk(path, v, rep, err);
	for (size_t i = 0; !rc && stage && i < v->n; i++)
		rc = al_mkdirs_for(stage, v->files[i].path, err);
	if (rc)
		return rc;
	order = malloc((v->n + 1) * sizeof(*order));
	w.rc = calloc(v->n + 1, sizeof(*w.rc));
	w.errs = calloc(v->n + 1, sizeof(*w.errs));
	if (!order || !w.rc || !w.errs) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		order[i] = i;
		v->bytes += v->files[i].size;
	}
	if (prog) /* the walk measured it: no caller needs to walk the tree twice */
		atomic_store(&prog->total, v->bytes);
	if (v->n)
		qsort_r(order, v->n, sizeof(*order), cmp_size_desc, v->files);
	rc = al_parallel(file_one, &w, order, v->n, al_default_threads(), err);
	for (size_t i = 0; !rc && i < v->n; i++)
		if (w.rc[i]) {
			*err = w.errs[i];
			rc = w.rc[i];
		}
	al_bview_sort(v);
	if (!rc && stage)
		rc = sync_staged(v, err);
out:
	free(order);
	free(w.rc);
	free(w.errs);
	return rc;
}

/* ---- the entry points ---- */

static enum al_code open_kind(const char *path, int *is_dir, struct al_err *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open bundle '%s'", path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return al_fail(err, AL_EINVAL, "'%s' is neither a bundle directory nor a tar file", path);
	*is_dir = S_ISDIR(st.st_mode);
	return AL_OK;
}

enum al_code al_bundle_scan(const char *path, struct al_bview *v, struct al_report *rep,
			    struct al_progress *prog, struct al_err *err)
{
	int is_dir = 0;
	enum al_code rc;
	memset(v, 0, sizeof(*v));
	if ((rc = open_kind(path, &is_dir, err)))
		return rc;
	v->root = strdup(path);
	v->read = is_dir ? dir_read : tar_read;
	if (!v->root)
		return al_fail(err, AL_ENOMEM, "out of memory");
	return is_dir ? dir_each(path, NULL, v, rep, prog, err) : tar_each(path, NULL, v, rep, prog, err);
}

/* The view of a staging copy about to be made at STAGE (a new directory). */
static enum al_code stage_begin(const char *stage, struct al_bview *v, struct al_err *err)
{
	v->root = strdup(stage);
	v->read = dir_read;
	if (!v->root)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (mkdir(stage, 0755) != 0)
		return al_fail_errno(err, AL_EIO, "cannot create '%s'", stage);
	return AL_OK;
}

enum al_code al_bundle_stage(const char *path, const char *stage, struct al_bview *v,
			     struct al_report *rep, struct al_progress *prog, struct al_err *err)
{
	int is_dir = 0;
	enum al_code rc;
	memset(v, 0, sizeof(*v));
	if ((rc = open_kind(path, &is_dir, err)) || (rc = stage_begin(stage, v, err)))
		return rc;
	return is_dir ? dir_each(path, stage, v, rep, prog, err) : tar_each(path, stage, v, rep, prog, err);
}

enum al_code al_bundle_stage_stream(const struct al_tar_source *src, const char *stage, struct al_bview *v,
				    struct al_report *rep, struct al_progress *prog, struct al_err *err)
{
	enum al_code rc;
	memset(v, 0, sizeof(*v));
	if ((rc = stage_begin(stage, v, err)))
		return rc;
	return tar_each_source(src, stage, v, rep, prog, err);
}

static void measure_dir(const char *path, uint64_t *bytes, int depth)
{
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d)
		return;
	while (depth <= 16 && (e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
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
}

enum al_code al_bundle_measure(const char *path, uint64_t *bytes, struct al_err *err)
{
	int is_dir = 0;
	struct stat st;
	enum al_code rc = open_kind(path, &is_dir, err);
	*bytes = 0;
	if (rc)
		return rc;
	if (is_dir)
		measure_dir(path, bytes, 0);
	else if (stat(path, &st) == 0)
		*bytes = (uint64_t)st.st_size; /* close enough: tar headers are small */
	return AL_OK;
}

enum al_code al_bundle_scan_check(const char *path, struct al_bview *v, struct al_report *rep,
				  struct al_bundle_info *info, int *checked, struct al_progress *prog,
				  struct al_err *err)
{
	enum al_code rc = al_bundle_scan(path, v, rep, prog, err);
	*checked = 0;
	if (rc == AL_EVERIFY) {
		/* a damaged or truncated tar: what was read cannot be checked further */
		al_report_add(rep, "%s", err->msg);
		al_err_clear(err);
		return AL_OK;
	}
	if (rc)
		return rc;
	rc = al_bundle_check(v, rep, info, err);
	if (rc == AL_EVERIFY)
		return AL_OK;
	*checked = !rc;
	return rc;
}

enum al_code al_bundle_verify(const char *path, struct al_report *rep, struct al_bundle_info *info,
			      struct al_progress *prog, struct al_err *err)
{
	struct al_bview v;
	int checked;
	enum al_code rc = al_bundle_scan_check(path, &v, rep, info, &checked, prog, err);
	al_bview_release(&v);
	if (!rc && al_report_count(rep))
		return AL_EVERIFY;
	return rc;
}
