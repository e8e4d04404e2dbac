/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c: the helpers the store's files share: running and preparing the
 * catalog's named statements, the event log, listing a directory so that an
 * error of readdir is an error, and emptying tmp/.
 */
#include "store_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsx.h"

void al_store_fault(const char *name)
{
	al_fault(name, SIGKILL);
}

enum al_code al_store_exec(struct al_store *s, const char *sql, struct al_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum al_code rc = al_fail(err, AL_ESTORE, "catalog '%s/catalog.db': %s", s->root,
					  msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return AL_OK;
}

enum al_code al_store_exec_q(struct al_store *s, enum al_sql q, struct al_err *err)
{
	return al_store_exec(s, al_sql(q), err);
}

enum al_code al_store_prepare(struct al_store *s, enum al_sql q, sqlite3_stmt **st, struct al_err *err)
{
	if (sqlite3_prepare_v2(s->db, al_sql(q), -1, st, NULL) != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return al_db_fail(s->db, "prepare", err);
	}
	return AL_OK;
}

void al_store_rollback(struct al_store *s)
{
	al_store_exec_q(s, AL_SQL_ROLLBACK, NULL);
}

void al_store_stamp(char out[32])
{
	al_time_fmt((int64_t)time(NULL), out);
}

enum al_code al_store_log_event(struct al_store *s, const char *action, const char *subject, const char *result,
				const char *detail, struct al_err *err)
{
	sqlite3_stmt *st;
	char now[32];
	enum al_code rc;
	al_store_stamp(now);
	if ((rc = al_store_prepare(s, AL_SQL_ADD_EVENT, &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_STATIC);
	rc = al_db_run(st, "recording an event", err);
	sqlite3_finalize(st);
	return rc;
}

enum al_code al_store_open_dir(struct al_store *s, const char *name, int missing_ok, char **path, DIR **d,
			       struct al_err *err)
{
	enum al_code rc;
	*d = NULL;
	if (!(*path = al_join(s->root, name)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((*d = opendir(*path)))
		return AL_OK;
	rc = missing_ok && errno == ENOENT ? AL_ENOENT : al_fail_errno(err, AL_ESTORE, "cannot open '%s'", *path);
	free(*path);
	*path = NULL;
	return rc;
}

enum al_code al_store_clean_tmp(struct al_store *s, size_t *count, struct al_err *err)
{
	char *tmp;
	DIR *d;
	struct dirent *e;
	enum al_code rc;
	if ((rc = al_store_open_dir(s, "tmp", 0, &tmp, &d, err)))
		return rc;
	while (!rc && (e = al_readdir(d, tmp, &rc, err))) {
		char *p = al_join(tmp, e->d_name);
		if (count)
			(*count)++;
		rc = p ? al_rmtree(p, err) : al_fail(err, AL_ENOMEM, "out of memory");
		free(p);
	}
	closedir(d);
	free(tmp);
	return rc;
}
