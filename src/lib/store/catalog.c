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
#include "format.h"

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
	[AL_Q_IMAGES] = "SELECT a.id, a.name, a.digest, ab.digest, ab.media_type, b.size, bu.unsigned"
			" FROM artifacts a JOIN artifact_blobs ab ON ab.artifact_id = a.id"
			" JOIN blobs b ON b.digest = ab.digest JOIN bundles bu ON bu.id = a.bundle_id"
			" WHERE a.kind = 'image'"
			" AND (?9 IS NULL OR a.id IN (SELECT artifact_id FROM release_artifacts WHERE release_id = ?9))"
			" ORDER BY a.id",
	[AL_Q_PUSHED] = "SELECT repo, digest, media_type, size FROM pushed ORDER BY rowid",
	[AL_Q_PUSHED_TAGS] = "SELECT repo, tag, digest FROM pushed_tags ORDER BY rowid",
	[AL_Q_PATHS] = "SELECT a.kind, a.name, json_extract(a.info, '$.filename'), ab.media_type, ab.digest,"
		       " b.size FROM artifacts a JOIN artifact_blobs ab ON ab.artifact_id = a.id"
		       " JOIN blobs b ON b.digest = ab.digest WHERE ((a.kind = 'wheel' AND ab.media_type IN (?1, ?2))"
		       " OR (a.kind = 'file' AND ab.media_type = ?3))"
		       " AND (?9 IS NULL OR a.id IN (SELECT artifact_id FROM release_artifacts WHERE release_id = ?9))"
		       " ORDER BY a.id DESC",
	[AL_Q_MODELS] = "SELECT a.name, a.digest, a.size, json_extract(a.info, '$.revision'), b.created"
			" FROM artifacts a JOIN bundles b ON b.id = a.bundle_id WHERE a.kind = 'model'"
			" AND (?9 IS NULL OR a.id IN (SELECT artifact_id FROM release_artifacts WHERE release_id = ?9))"
			" ORDER BY a.id DESC",
	[AL_Q_PAGES] = "SELECT project, html, json FROM pypi_pages ORDER BY project",
	[AL_Q_BLOB_TOTALS] = "SELECT count(*), coalesce(sum(size), 0) FROM blobs",
	[AL_Q_KIND_COUNTS] = "SELECT kind, count(DISTINCT name) FROM artifacts GROUP BY kind",
	[AL_Q_BUNDLE_EXPIRY] = "SELECT name, version, expires FROM bundles ORDER BY name, version",
	[AL_Q_LAST_IMPORT] = "SELECT time, result FROM events WHERE action = 'import' ORDER BY id DESC LIMIT 1",
	[AL_Q_REJECTED] = "SELECT count(*) FROM events WHERE action = 'import' AND result = 'rejected'",
	[AL_Q_HOME_ARTIFACTS] = "SELECT a.name, a.upstream, a.digest, a.content_size, b.name, b.version,"
				" b.imported_at, b.unsigned FROM artifacts a JOIN bundles b ON b.id = a.bundle_id"
				" WHERE a.kind = ?1"
				" AND (?9 IS NULL OR a.id IN (SELECT artifact_id FROM release_artifacts WHERE release_id = ?9))"
				" ORDER BY a.name, a.id DESC",
	[AL_Q_HOME_PUSHED_TAGS] = "SELECT repo, tag, digest, time FROM pushed_tags ORDER BY repo, tag",
	[AL_Q_HOME_BUNDLES] = "SELECT id, name, version, created, expires, imported_at, signers, unsigned,"
			      " files, bytes, sums_digest, policy_override FROM bundles ORDER BY id DESC",
	[AL_Q_HOME_CUSTODY] = "SELECT seq, time, event, actor, key, record FROM custody WHERE bundle_id = ?1 ORDER BY seq",
	[AL_Q_DATA_VERSION] = "PRAGMA data_version",
	[AL_Q_HEALTH] = "SELECT count(*) FROM sqlite_master",
	[AL_Q_CHANNEL_RELEASE] = "SELECT e.release_id, r.name FROM channel_events e JOIN releases r ON r.id = e.release_id"
				 " WHERE e.channel = ?1 ORDER BY e.id DESC LIMIT 1",
	[AL_Q_HOME_EVALS] = "SELECT release, score, passed, pairs, errors, time, model FROM eval_runs WHERE id IN"
			    " (SELECT max(id) FROM eval_runs WHERE release != '' GROUP BY release) ORDER BY release",
	[AL_Q_CHANNELS] = "SELECT e.channel, r.name, e.time FROM channel_events e JOIN releases r ON r.id = e.release_id"
			  " WHERE e.id IN (SELECT max(id) FROM channel_events GROUP BY channel) ORDER BY e.channel",
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

_Static_assert(AL_CATALOG_VERSION == 4, "AL_SQL_SET_VERSION writes version 4");

static const char *const sql_texts[AL_SQL_COUNT] = {
	[AL_SQL_SET_VERSION] = "PRAGMA user_version = 4",
	/* version 1 of the catalog (docs/FORMAT.md §6): pypi_pages is rewritten by every import
	 * (pypi.c); pushed and pushed_tags hold what serve --push-token-file received */
	[AL_SQL_SCHEMA_1] = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);INSERT OR IGNORE "
		"INTO meta VALUES('schema', '1');CREATE TABLE IF NOT EXISTS bundles(id INTEGER PRIMARY KEY, "
		"name TEXT NOT NULL, version INTEGER NOT NULL, sums_digest TEXT NOT NULL, meta_digest TEXT NOT "
		"NULL, created TEXT NOT NULL, expires TEXT NOT NULL, imported_at TEXT NOT NULL, source TEXT NOT "
		"NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL, signers TEXT NOT NULL DEFAULT '', "
		"unsigned INTEGER NOT NULL DEFAULT 0, UNIQUE(name, version));CREATE TABLE IF NOT EXISTS "
		"artifacts(id INTEGER PRIMARY KEY, bundle_id INTEGER NOT NULL REFERENCES bundles(id), kind TEXT "
		"NOT NULL, name TEXT NOT NULL, upstream TEXT NOT NULL, ref TEXT NOT NULL, media_type TEXT NOT "
		"NULL, digest TEXT NOT NULL, size INTEGER NOT NULL, content_size INTEGER NOT NULL, info TEXT "
		"NOT NULL);CREATE INDEX IF NOT EXISTS artifacts_by_name ON artifacts(kind, name);CREATE TABLE "
		"IF NOT EXISTS blobs(digest TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;CREATE TABLE "
		"IF NOT EXISTS refs(bundle_id INTEGER NOT NULL REFERENCES bundles(id), path TEXT NOT NULL, "
		"digest TEXT NOT NULL REFERENCES blobs(digest), PRIMARY KEY(bundle_id, path));CREATE INDEX IF "
		"NOT EXISTS refs_by_digest ON refs(digest);CREATE TABLE IF NOT EXISTS "
		"artifact_blobs(artifact_id INTEGER NOT NULL REFERENCES artifacts(id), digest TEXT NOT NULL, "
		"media_type TEXT NOT NULL, PRIMARY KEY(artifact_id, digest));CREATE TABLE IF NOT EXISTS "
		"custody(bundle_id INTEGER NOT NULL REFERENCES bundles(id), seq INTEGER NOT NULL, time TEXT NOT "
		"NULL, event TEXT NOT NULL, actor TEXT NOT NULL, key TEXT NOT NULL, record TEXT NOT NULL, "
		"PRIMARY KEY(bundle_id, seq));CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, time "
		"TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, result TEXT NOT NULL, detail TEXT "
		"NOT NULL);CREATE TABLE IF NOT EXISTS pypi_pages(project TEXT PRIMARY KEY, html TEXT NOT NULL, "
		"json TEXT NOT NULL);CREATE TABLE IF NOT EXISTS pushed(repo TEXT NOT NULL, digest TEXT NOT NULL "
		"REFERENCES blobs(digest), media_type TEXT NOT NULL, size INTEGER NOT NULL, time TEXT NOT NULL, "
		"PRIMARY KEY(repo, digest));CREATE INDEX IF NOT EXISTS pushed_by_digest ON "
		"pushed(digest);CREATE TABLE IF NOT EXISTS pushed_tags(repo TEXT NOT NULL, tag TEXT NOT NULL, "
		"digest TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY(repo, tag));",
	[AL_SQL_HAS_TRUST_COLUMNS] = "SELECT 1 FROM pragma_table_info('bundles') WHERE name = 'signers'",
	[AL_SQL_PAGES_MISSING] = "SELECT EXISTS(SELECT 1 FROM artifacts WHERE kind = 'wheel') AND NOT EXISTS(SELECT 1 FROM "
		"pypi_pages)",
	[AL_SQL_USER_VERSION] = "PRAGMA user_version",
	[AL_SQL_ADD_EVENT] = "INSERT INTO events(time, action, subject, result, detail) VALUES(?,?,?,?,?)",
	[AL_SQL_ADD_BUNDLE] = "INSERT INTO bundles(name, version, sums_digest, meta_digest, created, expires, imported_at, "
		"source, files, bytes, signers, unsigned, policy_override) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[AL_SQL_ADD_BLOB] = "INSERT OR IGNORE INTO blobs(digest, size) VALUES(?,?)",
	[AL_SQL_ADD_REF] = "INSERT INTO refs(bundle_id, path, digest) VALUES(?,?,?)",
	[AL_SQL_ADD_ARTIFACT] = "INSERT INTO artifacts(bundle_id, kind, name, upstream, ref, media_type, digest, size, "
		"content_size, info) VALUES(?,?,?,?,?,?,?,?,?,?)",
	[AL_SQL_ADD_ARTIFACT_BLOB] = "INSERT OR IGNORE INTO artifact_blobs(artifact_id, digest, media_type) VALUES(?,?,?)",
	[AL_SQL_ADD_CUSTODY] = "INSERT INTO custody(bundle_id, seq, time, event, actor, key, record) VALUES(?,?,?,?,?,?,?)",
	[AL_SQL_VERSIONS_OF] = "SELECT version, sums_digest FROM bundles WHERE name = ?",
	[AL_SQL_QUICK_CHECK] = "PRAGMA quick_check",
	[AL_SQL_FSCK_BLOBS] = "SELECT digest, size, (SELECT COUNT(*) FROM refs r WHERE r.digest = b.digest) + (SELECT "
		"COUNT(*) FROM pushed p WHERE p.digest = b.digest) FROM blobs b ORDER BY digest",
	[AL_SQL_FSCK_DANGLING_REFS] = "SELECT r.digest, b.name FROM refs r JOIN bundles b ON b.id = r.bundle_id WHERE r.digest NOT IN "
		"(SELECT digest FROM blobs)",
	[AL_SQL_GC_KEEP] = "SELECT digest FROM blobs UNION SELECT digest FROM refs UNION SELECT digest FROM pushed",
	[AL_SQL_PUSH_BLOB] = "INSERT OR IGNORE INTO blobs(digest, size) VALUES(?1, ?2)",
	[AL_SQL_PUSH] = "INSERT OR REPLACE INTO pushed(repo, digest, media_type, size, time) VALUES(?1, ?2, ?3, ?4, ?5)",
	[AL_SQL_PUSH_TAG] = "INSERT OR REPLACE INTO pushed_tags(repo, tag, digest, time) VALUES(?1, ?2, ?3, ?4)",
	[AL_SQL_SET_TRUST] = "INSERT OR REPLACE INTO meta(key, value) VALUES('trust', ?)",
	[AL_SQL_GET_TRUST] = "SELECT value FROM meta WHERE key = 'trust'",
	[AL_SQL_SET_CADENCE] = "INSERT OR REPLACE INTO meta(key, value) VALUES('cadence', ?1)",
	[AL_SQL_GET_CADENCE] = "SELECT value FROM meta WHERE key = 'cadence'",
	[AL_SQL_MIGRATE_TRUST_COLUMNS] = "ALTER TABLE bundles ADD COLUMN signers TEXT NOT NULL DEFAULT '';ALTER TABLE bundles ADD COLUMN "
		"unsigned INTEGER NOT NULL DEFAULT 0;",
	[AL_SQL_MIGRATE_2] = "ALTER TABLE bundles ADD COLUMN policy_override TEXT NOT NULL DEFAULT ''",
	/* version 3 (docs/FORMAT.md §6): releases pin installed artifacts by their rows (which
	 * are never deleted); a channel is the history of its events, the newest is current */
	[AL_SQL_MIGRATE_3] = "CREATE TABLE releases(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT "
		"NULL, actor TEXT NOT NULL, sources TEXT NOT NULL, digest TEXT NOT NULL);CREATE TABLE "
		"release_artifacts(release_id INTEGER NOT NULL REFERENCES releases(id), artifact_id INTEGER NOT "
		"NULL REFERENCES artifacts(id), PRIMARY KEY(release_id, artifact_id));CREATE TABLE "
		"channel_events(id INTEGER PRIMARY KEY, channel TEXT NOT NULL, release_id INTEGER NOT NULL "
		"REFERENCES releases(id), action TEXT NOT NULL, time TEXT NOT NULL, actor TEXT NOT NULL, reason "
		"TEXT NOT NULL, gates TEXT NOT NULL);CREATE INDEX channel_events_by_channel ON "
		"channel_events(channel, id);",
	/* version 4 (docs/FORMAT.md §6): eval runs name a release by its name ('' for none), since
	 * a run may precede the release it measured; a golden set is named by its SHA-256 */
	[AL_SQL_MIGRATE_4] = "CREATE TABLE eval_runs(id INTEGER PRIMARY KEY, time TEXT NOT NULL, release TEXT NOT NULL, "
		"model TEXT NOT NULL, endpoint TEXT NOT NULL, golden TEXT NOT NULL, pairs INTEGER NOT NULL, passed INTEGER NOT "
		"NULL, errors INTEGER NOT NULL, score REAL NOT NULL, seconds REAL NOT NULL, actor TEXT NOT NULL);CREATE INDEX "
		"eval_runs_by_release ON eval_runs(release, golden, id);CREATE TABLE eval_results(run_id INTEGER NOT NULL "
		"REFERENCES eval_runs(id), seq INTEGER NOT NULL, pair TEXT NOT NULL, tags TEXT NOT NULL, score REAL NOT NULL, "
		"pass INTEGER NOT NULL, latency REAL NOT NULL, error TEXT, answer TEXT, PRIMARY KEY(run_id, seq));",
	[AL_SQL_ADD_EVAL_RUN] = "INSERT INTO eval_runs(time, release, model, endpoint, golden, pairs, passed, errors, score, "
		"seconds, actor) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[AL_SQL_ADD_EVAL_RESULT] = "INSERT INTO eval_results(run_id, seq, pair, tags, score, pass, latency, error, answer) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[AL_SQL_EVAL_LATEST] = "SELECT id, score, time FROM eval_runs WHERE release = ?1 AND golden = ?2 AND errors = 0 ORDER "
		"BY id DESC LIMIT 1",
	[AL_SQL_LIST_EVAL_RUNS] = "SELECT id, time, release, model, endpoint, golden, pairs, passed, errors, score, seconds, "
		"actor FROM eval_runs WHERE ?1 IS NULL OR release = ?1 ORDER BY id DESC",
	[AL_SQL_EVAL_RESULTS] = "SELECT seq, pair, tags, score, pass, latency, error, answer FROM eval_results WHERE run_id "
		"= ?1 ORDER BY seq",
	[AL_SQL_EVAL_REGRESSED] = "SELECT c.pair FROM eval_results c JOIN eval_results b ON b.run_id = ?2 AND b.pair = "
		"c.pair WHERE c.run_id = ?1 AND c.pass = 0 AND b.pass = 1 ORDER BY c.seq",
	[AL_SQL_RELEASE_ID] = "SELECT id FROM releases WHERE name = ?1",
	[AL_SQL_ADD_RELEASE] = "INSERT INTO releases(name, created, actor, sources, digest) VALUES(?1, ?2, ?3, ?4, '')",
	[AL_SQL_RELEASE_DIGEST] = "SELECT a.kind || ' ' || a.name || ' ' || a.digest FROM release_artifacts r JOIN "
		"artifacts a ON a.id = r.artifact_id WHERE r.release_id = ?1 ORDER BY a.kind, a.name, a.digest",
	[AL_SQL_SET_RELEASE_DIGEST] = "UPDATE releases SET digest = ?2 WHERE id = ?1",
	[AL_SQL_BUNDLE_ID] = "SELECT id FROM bundles WHERE name = ?1 AND version = ?2",
	[AL_SQL_RELEASE_PICK] = "SELECT a.id, a.kind, a.name FROM artifacts a JOIN bundles b ON b.id = a.bundle_id "
		"WHERE b.name = ?1 AND b.version = ?2 ORDER BY a.id",
	[AL_SQL_RELEASE_PIN] = "INSERT OR IGNORE INTO release_artifacts(release_id, artifact_id) VALUES(?1, ?2)",
	[AL_SQL_RELEASE_DUPES] = "SELECT a.kind, a.name, count(DISTINCT a.digest) FROM release_artifacts r JOIN artifacts a "
		"ON a.id = r.artifact_id WHERE r.release_id = ?1 GROUP BY a.kind, a.name HAVING count(DISTINCT "
		"a.digest) > 1 LIMIT 1",
	[AL_SQL_LIST_RELEASES] = "SELECT r.name, r.created, r.actor, json(r.sources) AS sources, r.digest, (SELECT "
		"count(*) FROM release_artifacts x WHERE x.release_id = r.id) AS artifacts, (SELECT "
		"json_group_array(c.channel) FROM (SELECT e.channel, e.release_id FROM channel_events e WHERE "
		"e.id IN (SELECT max(id) FROM channel_events GROUP BY channel) ORDER BY e.channel) c WHERE "
		"c.release_id = r.id) AS channels FROM releases r ORDER BY r.id",
	[AL_SQL_RELEASE_ROW] = "SELECT id, name, created, actor, json(sources) AS sources, digest FROM releases WHERE name = ?1",
	[AL_SQL_RELEASE_ARTIFACTS] = "SELECT a.kind, a.name, a.upstream, a.ref, a.digest, a.content_size AS contentSize, "
		"json_extract(a.info, '$.revision') AS revision, json_extract(a.info, '$.filename') AS filename, "
		"json_extract(a.info, '$.project') AS project, json_extract(a.info, '$.version') AS version, "
		"json_extract(a.info, '$.sha256') AS sha256, "
		"b.name AS bundle, b.version AS bundleVersion FROM release_artifacts r JOIN artifacts a ON a.id = "
		"r.artifact_id JOIN bundles b ON b.id = a.bundle_id WHERE r.release_id = ?1 ORDER BY a.kind, a.name, a.digest",
	[AL_SQL_RELEASE_BUNDLES] = "SELECT DISTINCT b.id, b.name, b.version, b.expires, b.unsigned, b.signers, (SELECT "
		"digest FROM refs WHERE bundle_id = b.id AND path = 'scan.json') AS scan FROM release_artifacts r "
		"JOIN artifacts a ON a.id = r.artifact_id JOIN bundles b ON b.id = a.bundle_id WHERE r.release_id "
		"= ?1 ORDER BY b.name, b.version",
	[AL_SQL_CHANNEL_HISTORY] = "SELECT e.id, r.name AS release, e.action, e.time, e.actor, e.reason, json(e.gates) AS "
		"gates FROM channel_events e JOIN releases r ON r.id = e.release_id WHERE e.channel = ?1 ORDER BY e.id DESC",
	[AL_SQL_CHANNELS] = "SELECT e.channel, r.name AS release, e.time, e.action FROM channel_events e JOIN releases r "
		"ON r.id = e.release_id WHERE e.id IN (SELECT max(id) FROM channel_events GROUP BY channel) ORDER BY e.channel",
	[AL_SQL_ADD_CHANNEL_EVENT] = "INSERT INTO channel_events(channel, release_id, action, time, actor, reason, gates) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[AL_SQL_READER_PRAGMAS] = "PRAGMA foreign_keys=ON",
	[AL_SQL_WRITER_PRAGMAS] = "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;",
	[AL_SQL_WAL] = "PRAGMA journal_mode=WAL",
	[AL_SQL_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[AL_SQL_COMMIT] = "COMMIT",
	[AL_SQL_ROLLBACK] = "ROLLBACK",
	[AL_SQL_BEGIN_READ] = "BEGIN",
	[AL_SQL_GC_DROP_UNREFERENCED] = "DELETE FROM blobs WHERE digest NOT IN (SELECT digest FROM refs) AND digest NOT IN (SELECT "
		"digest FROM pushed)",
	[AL_SQL_ADD_PAGE] = "INSERT INTO pypi_pages(project, html, json) VALUES(?1, ?2, ?3)",
	[AL_SQL_DROP_PAGES] = "DELETE FROM pypi_pages",
	[AL_SQL_LIST_BUNDLES] = "SELECT name, version, created, expires, imported_at AS imported, sums_digest AS sums, files, "
		"bytes, signers, unsigned, NULLIF(policy_override, '') AS policyOverride FROM bundles ORDER BY "
		"name, version",
	[AL_SQL_LIST_ARTIFACTS] = "SELECT a.kind, a.name, a.upstream, a.ref, a.digest, a.size, a.content_size AS contentSize, "
		"b.name AS bundle, b.version AS bundleVersion, a.info FROM artifacts a JOIN bundles b ON "
		"a.bundle_id = b.id ORDER BY a.kind, a.name, b.version",
	[AL_SQL_CONTENTS] = "SELECT a.id, a.kind, a.name, a.upstream, a.media_type AS mediaType, a.digest, a.size, "
		"json_extract(a.info, '$.revision') AS revision, json_extract(a.info, '$.filename') AS filename "
		"FROM artifacts a WHERE a.id IN (SELECT min(id) FROM artifacts GROUP BY kind, name, digest) ORDER BY a.id",
	[AL_SQL_CONTENTS_BLOBS] = "SELECT ab.artifact_id AS artifact, ab.digest, ab.media_type AS mediaType, b.size "
		"FROM artifact_blobs ab LEFT JOIN blobs b ON b.digest = ab.digest ORDER BY ab.artifact_id, ab.rowid",
	[AL_SQL_LIST_EVENTS] = "SELECT time, action, subject, result, detail FROM events ORDER BY id DESC LIMIT 20",
	[AL_SQL_LIST_TOTALS] = "SELECT COUNT(*) AS blobs, COALESCE(SUM(size), 0) AS bytes FROM blobs",
	[AL_SQL_INVENTORY] = "SELECT digest, size FROM blobs ORDER BY digest",
	[AL_SQL_LIST_CUSTODY] = "SELECT b.name AS bundle, b.version AS bundleVersion, c.seq, c.time, c.event, c.actor, c.key "
		"FROM custody c JOIN bundles b ON b.id = c.bundle_id ORDER BY b.name, b.version, c.seq",
	[AL_SQL_WHEELS] = "SELECT json_extract(a.info, '$.project'), json_extract(a.info, '$.version'), "
		"json_extract(a.info, '$.filename'), json_extract(a.info, '$.requiresPython'), "
		"json_extract(a.info, '$.sha256'), substr(m.digest, 8), bl.size, bu.created FROM artifacts a "
		"JOIN bundles bu ON bu.id = a.bundle_id JOIN artifact_blobs wb ON wb.artifact_id = a.id AND "
		"wb.media_type = ?1 JOIN blobs bl ON bl.digest = wb.digest LEFT JOIN artifact_blobs m ON "
		"m.artifact_id = a.id AND m.media_type = ?2 WHERE a.kind = 'wheel' AND a.id = (SELECT "
		"max(a2.id) FROM artifacts a2 WHERE a2.kind = 'wheel' AND json_extract(a2.info, '$.filename') = "
		"json_extract(a.info, '$.filename') AND (?3 IS NULL OR a2.id IN (SELECT artifact_id FROM "
		"release_artifacts WHERE release_id = ?3))) ORDER BY 1, 3",
};

const char *al_sql(enum al_sql q)
{
	if ((unsigned)q >= AL_SQL_COUNT || !sql_texts[q])
		AL_BUG("unknown catalog statement");
	return sql_texts[q];
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
