/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsck.c: `airlock store fsck`: SQLite's own check of the catalog, every blob
 * re-hashed in parallel, and blobs and catalog cross-checked both ways.
 */
#include "store_internal.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"

struct fsck_blob {
	char name[AL_HEX_LEN + 1];
	uint64_t size;
	int bad;
	struct al_err err;
};

struct fsck_ctx {
	const char *dir;
	struct fsck_blob *b;
	struct al_progress *prog;
};

static void fsck_one(void *ctx, size_t i, char *buf)
{
	struct fsck_ctx *c = ctx;
	struct fsck_blob *b = &c->b[i];
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	char *p = al_join(c->dir, b->name);
	int fd = p ? open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (fd < 0) {
		b->bad = 2;
		al_fail_errno(&b->err, AL_EIO, "cannot open '%s'", p ? p : b->name);
	} else if (al_hash_fd(fd, p, buf, d, &b->size, c->prog, &b->err)) {
		b->bad = 2;
	} else {
		al_hex(d, hex);
		b->bad = strcmp(hex, b->name) != 0;
	}
	if (fd >= 0)
		close(fd);
	free(p);
}

static int cmp_fsck(const void *a, const void *b)
{
	return strcmp(((const struct fsck_blob *)a)->name, ((const struct fsck_blob *)b)->name);
}

/*
 * A catalog query of fsck failed with RC. A catalog that SQLite finds malformed
 * is what fsck looks for: it becomes a problem of the report (exit 1) and
 * AL_EVERIFY, on which al_store_fsck stops checking and returns the report;
 * any other failure stays an error (exit 2). Never a pass.
 */
static enum al_code fsck_db_error(struct al_store *s, enum al_code rc, struct al_fsck_result *res,
				  struct al_err *err)
{
	int ec = sqlite3_errcode(s->db) & 0xff;
	if (rc == AL_ESTORE && err && err->code == AL_ESTORE && (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB)) {
		al_report_add(&res->report, "%s (the catalog is damaged: restore it from a backup)", err->msg);
		al_err_clear(err);
		return AL_EVERIFY;
	}
	return rc;
}

/* SQLite's own check of the catalog file: each line it reports other than "ok" is a problem. */
static enum al_code fsck_catalog(struct al_store *s, struct al_fsck_result *res, struct al_err *err)
{
	sqlite3_stmt *q;
	int row = 0;
	enum al_code rc;
	if ((rc = al_store_prepare(s, AL_SQL_QUICK_CHECK, &q, err)))
		return rc;
	while (!(rc = al_db_step(q, "checking the catalog", &row, err)) && row) {
		const char *m = (const char *)sqlite3_column_text(q, 0);
		if (m && strcmp(m, "ok"))
			al_report_add(&res->report, "catalog: %s", m);
	}
	sqlite3_finalize(q);
	return rc ? fsck_db_error(s, rc, res, err) : AL_OK;
}

/*
 * Lists DIR (blobs/sha256) into *out, sorted by name, with each file's size;
 * an entry that is not a regular file named by a digest is a problem of the
 * report, and a listing that fails part-way is an error.
 */
static enum al_code fsck_list(const char *dir, struct fsck_blob **out, size_t *n, uint64_t *total,
			      struct al_fsck_result *res, struct al_err *err)
{
	struct fsck_blob *v = NULL;
	size_t cap = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	enum al_code rc = AL_OK;
	*n = 0;
	*total = 0;
	if (!d)
		return al_fail_errno(err, AL_ESTORE, "cannot open '%s'", dir);
	while ((e = al_readdir(d, dir, &rc, err))) {
		unsigned char dd[AL_DIGEST_LEN];
		struct stat sb;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode)) {
			al_report_add(&res->report, "'blobs/sha256/%s' is not a regular file", e->d_name);
			continue;
		}
		if (al_unhex(e->d_name, strlen(e->d_name), dd) != 0) {
			al_report_add(&res->report, "'blobs/sha256/%s' is not named by a digest", e->d_name);
			continue;
		}
		if ((rc = al_array_grow(&v, &cap, *n + 1, sizeof(*v), err)))
			break;
		memset(&v[*n], 0, sizeof(v[*n]));
		memcpy(v[*n].name, e->d_name, AL_HEX_LEN + 1);
		v[*n].size = (uint64_t)sb.st_size;
		*total += (uint64_t)sb.st_size;
		(*n)++;
	}
	closedir(d);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_fsck);
	*out = v;
	return AL_OK;
}

/* Every blob the catalog names must be present with its size; *known counts the rows. */
static enum al_code fsck_named(struct al_store *s, const struct fsck_blob *v, size_t n, size_t *known,
			       struct al_fsck_result *res, struct al_err *err)
{
	sqlite3_stmt *st;
	int row = 0;
	enum al_code rc;
	*known = 0;
	if ((rc = al_store_prepare(s, AL_SQL_FSCK_BLOBS, &st, err)))
		return rc;
	while (!(rc = al_db_step(st, "reading the blobs", &row, err)) && row) {
		const char *dg = (const char *)sqlite3_column_text(st, 0);
		struct fsck_blob key;
		const struct fsck_blob *hit;
		if (!dg || !al_digest_valid(dg)) {
			al_report_add(&res->report, "catalog: a blob row has a bad digest");
			continue;
		}
		memcpy(key.name, dg + 7, AL_HEX_LEN + 1);
		hit = n ? bsearch(&key, v, n, sizeof(*v), cmp_fsck) : NULL;
		if (!hit)
			al_report_add(&res->report, "missing blob '%s' (named in the catalog)", dg);
		else if (hit->size != (uint64_t)sqlite3_column_int64(st, 1))
			al_report_add(&res->report, "size mismatch for blob '%s': catalog %lld, file %llu", dg,
				      (long long)sqlite3_column_int64(st, 1), (unsigned long long)hit->size);
		(*known)++;
	}
	sqlite3_finalize(st);
	return rc ? fsck_db_error(s, rc, res, err) : AL_OK;
}

/* Every file a bundle references must have its blob row. */
static enum al_code fsck_refs(struct al_store *s, struct al_fsck_result *res, struct al_err *err)
{
	sqlite3_stmt *st;
	int row = 0;
	enum al_code rc;
	if ((rc = al_store_prepare(s, AL_SQL_FSCK_DANGLING_REFS, &st, err)))
		return rc;
	while (!(rc = al_db_step(st, "reading the references", &row, err)) && row)
		al_report_add(&res->report, "catalog: bundle '%s' references unknown blob '%s'",
			      sqlite3_column_text(st, 1), sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc ? fsck_db_error(s, rc, res, err) : AL_OK;
}

/* How many leftovers of interrupted imports tmp/ holds (gc or the next import removes them). */
static enum al_code fsck_tmp(struct al_store *s, struct al_fsck_result *res, struct al_err *err)
{
	char *tmp;
	DIR *d;
	enum al_code rc;
	if ((rc = al_store_open_dir(s, "tmp", 0, &tmp, &d, err)))
		return rc;
	while (al_readdir(d, tmp, &rc, err))
		res->stale_tmp++;
	closedir(d);
	free(tmp);
	return rc;
}

enum al_code al_store_fsck(struct al_store *s, struct al_progress *prog, struct al_fsck_result *res,
			   struct al_err *err)
{
	struct fsck_ctx c = { NULL, NULL, prog };
	struct fsck_blob *v = NULL;
	size_t n = 0, known = 0;
	char *dir = al_join(s->root, "blobs/sha256");
	enum al_code rc;
	uint64_t total = 0;
	memset(res, 0, sizeof(*res));
	if (!dir)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = fsck_catalog(s, res, err)) || (rc = fsck_list(dir, &v, &n, &total, res, err)))
		goto out;
	if (prog)
		atomic_store(&prog->total, total);
	c.dir = dir;
	c.b = v;
	if ((rc = al_parallel(fsck_one, &c, NULL, n, al_default_threads(), err)))
		goto out;
	res->blobs = n;
	res->bytes = total;
	for (size_t i = 0; i < n; i++) {
		if (v[i].bad == 1)
			al_report_add(&res->report, "corrupt blob 'blobs/sha256/%s': its content no longer matches its name", v[i].name);
		else if (v[i].bad == 2)
			al_report_add(&res->report, "unreadable blob: %s", v[i].err.msg);
	}
	if ((rc = fsck_named(s, v, n, &known, res, err)) || (rc = fsck_refs(s, res, err)))
		goto out;
	res->unreferenced = n > known ? n - known : 0;
	rc = fsck_tmp(s, res, err);
out:
	if (rc == AL_EVERIFY)
		rc = AL_OK; /* a damaged catalog: reported, and nothing more can be checked */
	free(v);
	free(dir);
	return rc;
}

