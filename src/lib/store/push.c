/* SPDX-License-Identifier: Apache-2.0 */
/*
 * push.c: the one way `airlock serve` writes: a blob or manifest pushed to
 * its registry, moved into blobs/ and recorded in the catalog under the
 * store's writer lock.
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fsx.h"

enum al_code al_store_push_commit(const char *root, const char *tmp, const struct al_push *p, unsigned wait,
				  struct al_err *err)
{
	struct al_store *s = NULL;
	sqlite3_stmt *st[3] = { 0 };
	char now[32], *dst = NULL, *blobs = NULL;
	enum al_code rc;
	if (!al_digest_valid(p->digest))
		return al_fail(err, AL_EINVAL, "push: '%s' is not a digest", p->digest);
	if ((rc = al_store_open_wait(root, AL_STORE_WRITE, wait, NULL, &s, err)))
		return rc;
	al_store_stamp(now);
	if (!(dst = al_strf("%s/blobs/sha256/%s", root, p->digest + 7)) || !(blobs = al_join(root, "blobs/sha256"))) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if (rename(tmp, dst) != 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot store the pushed blob '%s'", p->digest);
		goto out;
	}
	unlink(tmp); /* (a mount's link to the very blob: rename(2) onto the same file leaves both names) */
	if ((rc = al_fsync_dir(blobs, err)) || (rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err)))
		goto out;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_PUSH_BLOB), -1, &st[0], NULL) ||
	    sqlite3_prepare_v2(s->db, al_sql(AL_SQL_PUSH), -1, &st[1], NULL) ||
	    (p->tag && sqlite3_prepare_v2(s->db, al_sql(AL_SQL_PUSH_TAG), -1, &st[2], NULL))) {
		rc = al_db_fail(s->db, "prepare", err);
	} else {
		sqlite3_bind_text(st[0], 1, p->digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st[0], 2, (sqlite3_int64)p->size);
		sqlite3_bind_text(st[1], 1, p->repo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[1], 2, p->digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[1], 3, p->media_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st[1], 4, (sqlite3_int64)p->size);
		sqlite3_bind_text(st[1], 5, now, -1, SQLITE_STATIC);
		if (p->tag) {
			sqlite3_bind_text(st[2], 1, p->repo, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[2], 2, p->tag, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[2], 3, p->digest, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[2], 4, now, -1, SQLITE_STATIC);
		}
		for (int i = 0; i < 3 && !rc; i++)
			if (st[i])
				rc = al_db_run(st[i], "recording the push", err);
	}
	if (!rc)
		rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
	if (rc)
		al_store_rollback(s); /* the blob stays, unreferenced: gc removes it */
out:
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(st[i]);
	al_store_free(s);
	free(dst);
	free(blobs);
	return rc;
}
