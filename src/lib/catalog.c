/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog.c: stepping SQLite statements so that every failure is an error
 * (catalog.h). Never prints; never reads a failed step as the end of rows.
 */
#include "catalog.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "buf.h"
#include "fsx.h"
#include "sources.h"

static const char *db_name(sqlite3 *db)
{
	const char *f = db ? sqlite3_db_filename(db, "main") : NULL;
	return f && *f ? f : "catalog.db";
}

enum al_code al_db_fail(sqlite3 *db, const char *what, struct al_err *err)
{
	return al_fail(err, AL_ESTORE, "catalog '%s': %s: %s", db_name(db), what,
		       db ? sqlite3_errmsg(db) : "out of memory");
}

/* AIRLOCK_FAULT=catalog-step:N: the N-th step of the process fails (tests only). */
static int injected(void)
{
	static atomic_ulong count;
	const char *f = getenv("AIRLOCK_FAULT");
	static const char prefix[] = "catalog-step:";
	unsigned long n = 0;
	if (!f || strncmp(f, prefix, sizeof(prefix) - 1))
		return 0;
	for (const char *p = f + sizeof(prefix) - 1; *p >= '0' && *p <= '9' && n < 100000000ul; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	return atomic_fetch_add(&count, 1) + 1 == n;
}

enum al_code al_db_step(sqlite3_stmt *st, const char *what, int *row, struct al_err *err)
{
	int r;
	*row = 0;
	if (injected())
		return al_fail(err, AL_ESTORE, "catalog '%s': %s: injected fault (AIRLOCK_FAULT)",
			       db_name(sqlite3_db_handle(st)), what);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*row = 1;
		return AL_OK;
	}
	if (r == SQLITE_DONE)
		return AL_OK;
	return al_db_fail(sqlite3_db_handle(st), what, err);
}

static const char *const queries[AL_Q_COUNT] = {
	[AL_Q_IMAGES] = "SELECT a.id, a.name, a.digest, ab.digest, ab.media_type, b.size"
			" FROM artifacts a JOIN artifact_blobs ab ON ab.artifact_id = a.id"
			" JOIN blobs b ON b.digest = ab.digest WHERE a.kind = 'image' ORDER BY a.id",
	[AL_Q_PUSHED] = "SELECT repo, digest, media_type, size FROM pushed ORDER BY rowid",
	[AL_Q_PUSHED_TAGS] = "SELECT repo, tag, digest FROM pushed_tags ORDER BY rowid",
	[AL_Q_PATHS] = "SELECT a.kind, a.name, json_extract(a.info, '$.filename'), ab.media_type, ab.digest,"
		       " b.size FROM artifacts a JOIN artifact_blobs ab ON ab.artifact_id = a.id"
		       " JOIN blobs b ON b.digest = ab.digest WHERE (a.kind = 'wheel' AND ab.media_type IN (?1, ?2))"
		       " OR (a.kind = 'file' AND ab.media_type = ?3) ORDER BY a.id DESC",
	[AL_Q_MODELS] = "SELECT a.name, a.digest, a.size, json_extract(a.info, '$.revision'), b.created"
			" FROM artifacts a JOIN bundles b ON b.id = a.bundle_id WHERE a.kind = 'model'"
			" ORDER BY a.id DESC",
	[AL_Q_PAGES] = "SELECT project, html, json FROM pypi_pages ORDER BY project",
	[AL_Q_BLOB_TOTALS] = "SELECT count(*), coalesce(sum(size), 0) FROM blobs",
	[AL_Q_KIND_COUNTS] = "SELECT kind, count(*) FROM artifacts GROUP BY kind",
	[AL_Q_LAST_IMPORT] = "SELECT time, result FROM events WHERE action = 'import' ORDER BY id DESC LIMIT 1",
	[AL_Q_REJECTED] = "SELECT count(*) FROM events WHERE action = 'import' AND result = 'rejected'",
	[AL_Q_HOME_ARTIFACTS] = "SELECT a.name, a.upstream, a.digest, a.content_size, b.name, b.version,"
				" b.imported_at, b.unsigned FROM artifacts a JOIN bundles b ON b.id = a.bundle_id"
				" WHERE a.kind = ?1 ORDER BY a.name, a.id DESC",
	[AL_Q_HOME_PUSHED_TAGS] = "SELECT repo, tag, digest, time FROM pushed_tags ORDER BY repo, tag",
	[AL_Q_HOME_BUNDLES] = "SELECT id, name, version, created, expires, imported_at, signers, unsigned,"
			      " files, bytes FROM bundles ORDER BY id DESC",
	[AL_Q_HOME_CUSTODY] = "SELECT seq, time, event, actor, key FROM custody WHERE bundle_id = ?1 ORDER BY seq",
	[AL_Q_DATA_VERSION] = "PRAGMA data_version",
	[AL_Q_HEALTH] = "SELECT count(*) FROM sqlite_master",
};

enum al_code al_catalog_prepare(sqlite3 *db, enum al_query q, sqlite3_stmt **out, struct al_err *err)
{
	*out = NULL;
	if ((unsigned)q >= AL_Q_COUNT || !queries[q])
		AL_BUG("unknown catalog query");
	if (sqlite3_prepare_v2(db, queries[q], -1, out, NULL) != SQLITE_OK)
		return al_db_fail(db, "prepare", err);
	if (q == AL_Q_PATHS) {
		sqlite3_bind_text(*out, 1, AL_MT_WHEEL, -1, SQLITE_STATIC);
		sqlite3_bind_text(*out, 2, AL_MT_WHEEL_METADATA, -1, SQLITE_STATIC);
		sqlite3_bind_text(*out, 3, AL_MT_FILE, -1, SQLITE_STATIC);
	}
	return AL_OK;
}

enum al_code al_catalog_read_begin(sqlite3 *db, struct al_err *err)
{
	return sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? AL_OK : al_db_fail(db, "begin", err);
}

enum al_code al_catalog_read_end(sqlite3 *db, int ok, struct al_err *err)
{
	if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return AL_OK;
	if (ok)
		al_db_fail(db, "end of the read", err);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ok ? AL_ESTORE : AL_OK;
}

/* Opens PATH read-only and reads the schema once, so that a catalog that cannot be read shows here. */
static int try_read(const char *name, int flags, sqlite3 **out)
{
	sqlite3_stmt *st = NULL;
	int r = sqlite3_open_v2(name, out, flags, NULL);
	/* many readers opening at once wait for the one that rebuilds the WAL index; callers may set their own */
	if (r == SQLITE_OK)
		sqlite3_busy_timeout(*out, 5000);
	if (r == SQLITE_OK && (r = sqlite3_prepare_v2(*out, "PRAGMA schema_version", -1, &st, NULL)) == SQLITE_OK) {
		r = sqlite3_step(st);
		r = r == SQLITE_ROW ? SQLITE_OK : r;
	}
	sqlite3_finalize(st);
	return r;
}

enum al_code al_catalog_open_read(const char *root, int extra, sqlite3 **out, struct al_err *err)
{
	char *path = al_join(root, "catalog.db"), *uri = NULL;
	struct statvfs vfs;
	enum al_code rc = AL_OK;
	int r;
	*out = NULL;
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	r = try_read(path, SQLITE_OPEN_READONLY | extra, out);
	if (r != SQLITE_OK && statvfs(root, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
		/* a read-only mount: no WAL index can be made here, and nothing writes through it */
		struct al_buf u;
		sqlite3_close(*out);
		*out = NULL;
		al_buf_init(&u, 16384);
		al_buf_adds(&u, "file:", NULL);
		al_buf_add_url(&u, path, "/", NULL);
		al_buf_adds(&u, "?immutable=1", NULL);
		if ((rc = al_buf_check(&u, err))) {
			al_buf_release(&u);
			free(path);
			return rc;
		}
		uri = al_buf_take(&u, NULL);
		r = try_read(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | extra, out);
	}
	if (r != SQLITE_OK)
		rc = al_fail(err, AL_ESTORE, "cannot open catalog '%s': %s", path,
			     *out ? sqlite3_errmsg(*out) : "out of memory");
	else
		sqlite3_extended_result_codes(*out, 1);
	free(uri);
	free(path);
	return rc;
}

enum al_code al_db_run(sqlite3_stmt *st, const char *what, struct al_err *err)
{
	int row = 0;
	enum al_code rc = al_db_step(st, what, &row, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!rc && row)
		rc = al_fail(err, AL_ESTORE, "catalog '%s': %s: a write returned a row",
			     db_name(sqlite3_db_handle(st)), what);
	return rc;
}
