/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gc.c: removing what nothing references: blobs outside the keep-set (decided
 * in one transaction before anything is unlinked), stale staging, pushes never
 * finished, and on request the rejected bundles kept in quarantine/.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsx.h"

size_t al_store_sweep_uploads(const char *root, int64_t before)
{
	char *dir = al_join(root, "uploads");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	size_t n = 0;
	while (d && (e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode) && (int64_t)st.st_mtime < before && unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}

static int cmp_hex(const void *a, const void *b)
{
	return memcmp(a, b, AL_HEX_LEN);
}

/*
 * The digests gc must keep, as sorted hex names: every blob the catalog still
 * holds after unreferenced rows were deleted, and every digest a bundle or a
 * push references. Read in the caller's transaction; any failed step is an
 * error, so an incomplete set is never used.
 */
static enum al_code keep_set(struct al_store *s, char (**out)[AL_HEX_LEN], size_t *n, struct al_err *err)
{
	sqlite3_stmt *st;
	char(*v)[AL_HEX_LEN] = NULL;
	size_t cap = 0;
	int row = 0;
	enum al_code rc;
	*out = NULL;
	*n = 0;
	if ((rc = al_store_prepare(s, AL_SQL_GC_KEEP, &st, err)))
		return rc;
	while (!(rc = al_db_step(st, "reading the blobs to keep", &row, err)) && row) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		if (!d || !al_digest_valid(d)) {
			rc = al_fail(err, AL_ESTORE, "catalog '%s/catalog.db': a referenced digest is malformed ('%.80s'): nothing was removed (run 'airlock store fsck')",
				     s->root, d ? d : "");
			break;
		}
		if ((rc = al_array_grow(&v, &cap, *n + 1, sizeof(*v), err)))
			break;
		memcpy(v[(*n)++], d + 7, AL_HEX_LEN);
	}
	sqlite3_finalize(st);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_hex);
	*out = v;
	return AL_OK;
}


/*
 * gc decides before it destroys: in one write transaction it drops the
 * catalog rows of unreferenced blobs, reads the whole keep-set and lists
 * blobs/; only when all of that worked and committed does it unlink, and it
 * unlinks only what is outside the keep-set. Any failure before that point
 * removes nothing.
 */
enum al_code al_store_gc(struct al_store *s, size_t *removed, uint64_t *bytes, struct al_err *err)
{
	char *dir = NULL;
	char(*keep)[AL_HEX_LEN] = NULL;
	char **doomed = NULL;
	size_t nkeep = 0, ndoomed = 0, cdoomed = 0;
	uint64_t doomed_bytes = 0;
	DIR *d = NULL;
	struct dirent *e;
	enum al_code rc = AL_OK;
	int in_tx = 0;
	*removed = 0;
	*bytes = 0;
	if (s->lock_fd < 0)
		AL_BUG("gc needs the writer lock");
	if ((rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err)))
		goto out;
	in_tx = 1;
	if ((rc = al_store_exec_q(s, AL_SQL_GC_DROP_UNREFERENCED, err)) ||
	    (rc = keep_set(s, &keep, &nkeep, err)))
		goto out;
	if ((rc = al_store_open_dir(s, "blobs/sha256", 0, &dir, &d, err)))
		goto out;
	for (;;) {
		struct stat sb;
		if (!(e = al_readdir(d, dir, &rc, err)))
			break;
		if (strlen(e->d_name) == AL_HEX_LEN && nkeep && bsearch(e->d_name, keep, nkeep, sizeof(*keep), cmp_hex))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = al_fail_errno(err, AL_EIO, "cannot stat 'blobs/sha256/%s'", e->d_name);
			break;
		}
		if ((rc = al_array_grow(&doomed, &cdoomed, ndoomed + 1, sizeof(*doomed), err)))
			break;
		if (!(doomed[ndoomed] = strdup(e->d_name))) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		ndoomed++;
		doomed_bytes += (uint64_t)sb.st_size;
	}
	if (rc)
		goto out;
	{
		char detail[64];
		snprintf(detail, sizeof(detail), "%zu blobs removed", ndoomed);
		if ((rc = al_store_log_event(s, "gc", s->root, "ok", detail, err)) || (rc = al_store_exec_q(s, AL_SQL_COMMIT, err)))
			goto out;
		in_tx = 0;
	}
	/* decided and committed: now destroy, and only what is outside the keep-set */
	for (size_t i = 0; i < ndoomed && !rc; i++) {
		if (unlinkat(dirfd(d), doomed[i], 0) != 0 && errno != ENOENT)
			rc = al_fail_errno(err, AL_EIO, "cannot remove 'blobs/sha256/%s'", doomed[i]);
		else
			(*removed)++;
	}
	if (!rc)
		*bytes = doomed_bytes;
	if (!rc)
		rc = al_fsync_dir(dir, err);
	if (!rc)
		rc = al_store_clean_tmp(s, NULL, err);
	if (!rc)
		al_store_sweep_uploads(s->root, (int64_t)time(NULL) - 3600);
out:
	if (in_tx)
		al_store_rollback(s);
	if (d)
		closedir(d);
	for (size_t i = 0; i < ndoomed; i++)
		free(doomed[i]);
	free(doomed);
	free(keep);
	free(dir);
	return rc;
}

enum al_code al_store_quarantine_clear(struct al_store *s, size_t *removed, struct al_err *err)
{
	char *dir;
	DIR *d;
	struct dirent *e;
	enum al_code rc;
	*removed = 0;
	if (s->lock_fd < 0)
		AL_BUG("clearing quarantine needs the writer lock");
	if ((rc = al_store_open_dir(s, "quarantine", 1, &dir, &d, err)))
		return rc == AL_ENOENT ? AL_OK : rc;
	for (;;) {
		char *p;
		if (!(e = al_readdir(d, dir, &rc, err)))
			break;
		if (!(p = al_join(dir, e->d_name))) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		rc = al_rmtree(p, err);
		free(p);
		if (rc)
			break;
		(*removed)++;
	}
	closedir(d);
	if (!rc)
		rc = al_fsync_dir(dir, err);
	free(dir);
	if (!rc && *removed) {
		char detail[64];
		snprintf(detail, sizeof(detail), "%zu rejected bundles removed", *removed);
		rc = al_store_log_event(s, "quarantine", s->root, "cleared", detail, err);
	}
	return rc;
}
