/* SPDX-License-Identifier: Apache-2.0 */
/*
 * open.c: creating and opening a store: the writer lock (waited for up to a
 * bound), the catalog opened read-only for readers, and for writers the
 * ladder of migrations that brings an older catalog up to this version in one
 * transaction. A newer catalog is refused by both.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsx.h"
#include "pypi.h"

const char *al_store_default(const char *explicit_path)
{
	const char *env = getenv("AIRLOCK_STORE");
	if (explicit_path && *explicit_path)
		return explicit_path;
	return env && *env ? env : "./airlock-store";
}

/* Version 0 -> 1: the schema as it was before versions (idempotent on any store made since). */
static enum al_code migrate_1(struct al_store *s, struct al_err *err)
{
	sqlite3_stmt *st;
	int have = 0, missing = 0, row = 0;
	enum al_code rc = al_store_exec_q(s, AL_SQL_SCHEMA_1, err);
	if (rc)
		return rc;
	/* stores made by 0.1.0 lack the trust columns */
	if ((rc = al_store_prepare(s, AL_SQL_HAS_TRUST_COLUMNS, &st, err)))
		return rc;
	rc = al_db_step(st, "reading the columns of 'bundles'", &have, err);
	sqlite3_finalize(st);
	if (!rc && !have)
		rc = al_store_exec_q(s, AL_SQL_MIGRATE_TRUST_COLUMNS, err);
	if (rc)
		return rc;
	/* stores made before the index pages existed get them once */
	if ((rc = al_store_prepare(s, AL_SQL_PAGES_MISSING, &st, err)))
		return rc;
	if (!(rc = al_db_step(st, "looking for the index pages", &row, err)))
		missing = row && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!rc && missing)
		rc = al_pypi_rebuild(s->db, err);
	return rc;
}

/* Version 1 -> 2: the trust policy an import was checked against when --trust overrode the store's. */
static enum al_code migrate_2(struct al_store *s, struct al_err *err)
{
	return al_store_exec_q(s, AL_SQL_MIGRATE_2, err);
}

/* Version 2 -> 3: releases and channels (docs/cmd/release.md). */
static enum al_code migrate_3(struct al_store *s, struct al_err *err)
{
	return al_store_exec_q(s, AL_SQL_MIGRATE_3, err);
}

/* Version 3 -> 4: eval runs and their results (docs/cmd/eval.md). */
static enum al_code migrate_4(struct al_store *s, struct al_err *err)
{
	return al_store_exec_q(s, AL_SQL_MIGRATE_4, err);
}

/* The ladder: step i takes a catalog from version i to i + 1. */
static enum al_code (*const migrations[AL_CATALOG_VERSION])(struct al_store *, struct al_err *) = { migrate_1,
												 migrate_2, migrate_3,
												 migrate_4 };

static enum al_code catalog_version(struct al_store *s, int64_t *v, struct al_err *err)
{
	sqlite3_stmt *st;
	int row = 0;
	enum al_code rc;
	if ((rc = al_store_prepare(s, AL_SQL_USER_VERSION, &st, err)))
		return rc;
	rc = al_db_step(st, "reading the catalog version", &row, err);
	*v = row ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (!rc && !row)
		rc = al_fail(err, AL_ESTORE, "catalog '%s/catalog.db': it has no version", s->root);
	return rc;
}

static enum al_code too_new(struct al_store *s, int64_t v, struct al_err *err)
{
	return al_fail(err, AL_ESTORE, "store '%s' has catalog version %lld; this airlock reads up to %d: upgrade airlock",
		       s->root, (long long)v, AL_CATALOG_VERSION);
}

/*
 * Opens the catalog. A writer (WRITE) brings an older catalog up the ladder in
 * one transaction (CREATE: the file may be new); a reader opens it read-only
 * and never writes: no DDL, no migration, no page rebuild. Both refuse a
 * catalog newer than this binary knows.
 */
static enum al_code open_db(struct al_store *s, int write, int create, struct al_err *err)
{
	char *path;
	int64_t v = 0;
	enum al_code rc = AL_OK;
	if (!write) {
		if ((rc = al_catalog_open_read(s->root, SQLITE_OPEN_NOMUTEX, &s->db, err)))
			return rc;
		sqlite3_busy_timeout(s->db, 10000);
		if ((rc = catalog_version(s, &v, err)))
			return rc;
		if (v > AL_CATALOG_VERSION)
			return too_new(s, v, err);
		if (v < AL_CATALOG_VERSION)
			return al_fail(err, AL_ESTORE,
				       "store '%s' has catalog version %lld, older than this airlock's %d: upgrade it with 'airlock init --store %s' (a read-only command never changes a store)",
				       s->root, (long long)v, AL_CATALOG_VERSION, s->root);
		return al_store_exec_q(s, AL_SQL_READER_PRAGMAS, err);
	}
	if (!(path = al_join(s->root, "catalog.db")))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = al_fail(err, AL_ESTORE, "cannot open catalog '%s': %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		free(path);
		return rc;
	}
	free(path);
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	if ((rc = catalog_version(s, &v, err)))
		return rc;
	if (v > AL_CATALOG_VERSION)
		return too_new(s, v, err);
	if ((rc = al_store_exec_q(s, AL_SQL_WRITER_PRAGMAS, err)))
		return rc;
	if (v == AL_CATALOG_VERSION)
		return AL_OK;
	/* WAL cannot be turned on inside a transaction; the ladder runs in one */
	if ((rc = al_store_exec_q(s, AL_SQL_WAL, err)) || (rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err)))
		return rc;
	if (!(rc = catalog_version(s, &v, err)) && v > AL_CATALOG_VERSION)
		rc = too_new(s, v, err);
	for (int64_t i = v < 0 ? 0 : v; !rc && i < AL_CATALOG_VERSION; i++)
		rc = migrations[i](s, err);
	if (!rc && v < AL_CATALOG_VERSION)
		rc = al_store_exec_q(s, AL_SQL_SET_VERSION, err);
	if (!rc)
		rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
	if (rc) {
		al_store_rollback(s);
		al_err_prefix(err, "store '%s': cannot bring the catalog to version %d", s->root, AL_CATALOG_VERSION);
	}
	return rc;
}

void al_store_free(struct al_store *s)
{
	if (!s)
		return;
	if (s->db)
		sqlite3_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->root);
	free(s);
}

static enum al_code store_new(const char *root, struct al_store **out, struct al_err *err)
{
	struct al_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->root = strdup(root))) {
		free(s);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	s->lock_fd = -1;
	*out = s;
	return AL_OK;
}

enum al_code al_store_init(const char *root, struct al_err *err)
{
	static const char *const dirs[] = { "blobs/sha256", "tmp", "quarantine", NULL };
	struct al_store *s = NULL;
	enum al_code rc;
	if ((rc = al_mkdirs(root, err)))
		return rc;
	for (const char *const *d = dirs; *d; d++) {
		char *p = al_join(root, *d);
		if (!p)
			return al_fail(err, AL_ENOMEM, "out of memory");
		rc = al_mkdirs(p, err);
		free(p);
		if (rc)
			return rc;
	}
	if ((rc = store_new(root, &s, err)))
		return rc;
	rc = open_db(s, 1, 1, err);
	al_store_free(s);
	if (!rc)
		rc = al_fsync_dir(root, err);
	return rc;
}

/* Takes the writer lock, waiting up to WAIT seconds for another writer to finish (polled every 20 ms). */
static enum al_code take_lock(struct al_store *s, unsigned wait, void (*waiting)(const char *root, unsigned wait),
			      struct al_err *err)
{
	struct timespec start, now;
	int told = 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct timespec tick = { 0, 20000000 };
		if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
			return AL_OK;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return al_fail_errno(err, AL_ESTORE, "cannot lock store '%s'", s->root);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 >= (double)wait)
			break;
		if (!told && waiting)
			waiting(s->root, wait);
		told = 1;
		nanosleep(&tick, NULL);
	}
	if (!wait)
		return al_fail(err, AL_ESTORE, "store '%s' is busy: another import or gc is running (give '--wait SECONDS' to wait for it)",
			       s->root);
	return al_fail(err, AL_ESTORE, "store '%s' is busy: another import or gc is running, still after %u s (give a longer '--wait SECONDS')",
		       s->root, wait);
}

enum al_code al_store_open(const char *root, unsigned flags, struct al_store **out, struct al_err *err)
{
	return al_store_open_wait(root, flags, 0, NULL, out, err);
}

enum al_code al_store_open_wait(const char *root, unsigned flags, unsigned wait,
				void (*waiting)(const char *root, unsigned wait), struct al_store **out,
				struct al_err *err)
{
	struct al_store *s = NULL;
	struct stat st;
	char *db = al_join(root, "catalog.db");
	enum al_code rc;
	if (!db)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (stat(db, &st) != 0) {
		rc = al_fail(err, AL_ESTORE, "no store at '%s' (create one with 'airlock init --store %s')", root, root);
		free(db);
		return rc;
	}
	free(db);
	if ((rc = store_new(root, &s, err)))
		return rc;
	if (flags & AL_STORE_WRITE) {
		char *lock = al_join(root, "lock");
		s->lock_fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;
		free(lock);
		if (s->lock_fd < 0) {
			rc = al_fail_errno(err, AL_ESTORE, "cannot open the lock of store '%s'", root);
			al_store_free(s);
			return rc;
		}
		if ((rc = take_lock(s, wait, waiting, err))) {
			al_store_free(s);
			return rc;
		}
	}
	if ((rc = open_db(s, (flags & AL_STORE_WRITE) != 0, 0, err))) {
		al_store_free(s);
		return rc;
	}
	*out = s;
	return AL_OK;
}
