/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scratch.c: a scratch copy of a store for `airlock drill` (store.h): the catalog copied
 * through SQLite's online backup from a read transaction of the live one, the blobs hard
 * linked (copied across file systems). Blobs are never changed in place, so nothing done
 * to the copy reaches the live store; the live store is only read.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsx.h"
#include "hash.h"

/* Links (or, across file systems, copies) blobs/sha256/NAME of FROM into TO's. */
static enum al_code link_blob(int from, int to, const char *name, const char *root, struct al_err *err)
{
	int in, out;
	unsigned char d[AL_DIGEST_LEN];
	uint64_t size;
	char *buf;
	enum al_code rc = AL_OK;
	if (!linkat(from, name, to, name, 0))
		return AL_OK;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		return al_fail_errno(err, AL_EIO, "cannot link blob '%s' of '%s' into the scratch copy", name, root);
	if ((in = openat(from, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return al_fail_errno(err, AL_EIO, "cannot read blob '%s' of '%s'", name, root);
	if ((out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0)
		rc = al_fail_errno(err, AL_EIO, "cannot write blob '%s' into the scratch copy", name);
	else {
		rc = (buf = malloc(AL_IO_CHUNK)) ? al_copy_hash_fd(in, out, name, buf, d, &size, NULL, err)
						 : al_fail(err, AL_ENOMEM, "out of memory");
		free(buf);
		if (close(out) && !rc)
			rc = al_fail_errno(err, AL_EIO, "cannot write blob '%s' into the scratch copy", name);
	}
	close(in);
	return rc;
}

static enum al_code link_blobs(struct al_store *s, const char *dir, struct al_err *err)
{
	char *path = NULL, *to = al_strf("%s/blobs/sha256", dir);
	DIR *d = NULL;
	int tfd = to ? open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	enum al_code rc = tfd >= 0 ? al_store_open_dir(s, "blobs/sha256", 0, &path, &d, err)
				   : al_fail_errno(err, AL_EIO, "cannot open '%s'", to ? to : dir);
	for (struct dirent *e; !rc && d && (e = al_readdir(d, path, &rc, err));)
		if (e->d_name[0] != '.') /* (as gc: nothing of the store's is hidden there) */
			rc = link_blob(dirfd(d), tfd, e->d_name, s->root, err);
	if (d)
		closedir(d);
	if (tfd >= 0)
		close(tfd);
	free(path);
	free(to);
	return rc;
}

enum al_code al_store_scratch(struct al_store *s, const char *dir, struct al_err *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	char *db = al_join(dir, "catalog.db");
	enum al_code rc = db ? al_store_init(dir, err) : al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && sqlite3_open_v2(db, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		rc = al_fail(err, AL_ESTORE, "cannot open the scratch catalog '%s': %s", db, dst ? sqlite3_errmsg(dst) : "out of memory");
	if (!rc && !(b = sqlite3_backup_init(dst, "main", s->db, "main")))
		rc = al_db_fail(dst, "copying the catalog", err);
	else if (!rc) {
		int r = sqlite3_backup_step(b, -1);
		if (sqlite3_backup_finish(b) != SQLITE_OK || r != SQLITE_DONE)
			rc = al_db_fail(dst, "copying the catalog", err);
	}
	if (dst && sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = al_fail(err, AL_ESTORE, "cannot close the scratch catalog '%s'", db);
	if (!rc)
		rc = link_blobs(s, dir, err);
	free(db);
	return rc;
}
