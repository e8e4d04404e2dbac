/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog.h: the one way the project reads a SQLite result. Every call of
 * sqlite3_step in the tree goes through al_db_step (or al_db_run for a
 * statement that returns no rows), so that a result other than SQLITE_ROW or
 * SQLITE_DONE is always an error on top and never the end of the rows: a
 * query that fails part-way can neither hide rows (a blob reference, a
 * version already imported) nor make a caller read "nothing there".
 *
 * Test hook: with AIRLOCK_FAULT=catalog-step:N in the environment, the N-th
 * step of the process (counted from 1) fails as an I/O error would, so that
 * tests can make every query of a command fail in turn.
 */
#ifndef AL_CATALOG_H
#define AL_CATALOG_H

#include <sqlite3.h>

#include "err.h"

/*
 * One step of ST. *row is 1 when a row is ready and 0 when the statement has
 * no more rows; any other result is AL_ESTORE ("catalog 'FILE': WHAT: sqlite's
 * message") with *row 0. WHAT names the query (borrowed, for the message).
 */
enum al_code al_db_step(sqlite3_stmt *st, const char *what, int *row, struct al_err *err);
/*
 * Runs ST, which must return no row (an INSERT, UPDATE, DELETE), then resets
 * it and clears its bindings: AL_OK on SQLITE_DONE, AL_ESTORE otherwise.
 */
enum al_code al_db_run(sqlite3_stmt *st, const char *what, struct al_err *err);
/* AL_ESTORE "catalog 'FILE': WHAT: sqlite's message" for DB. */
enum al_code al_db_fail(sqlite3 *db, const char *what, struct al_err *err);

/*
 * The catalog's schema version (PRAGMA user_version). Writers migrate an older
 * catalog up a ladder of steps, one transaction; a catalog without a version
 * (made before versions existed) is version 0. Nothing opens a newer one.
 */
enum { AL_CATALOG_VERSION = 4 };

/*
 * The catalog's read API for `airlock serve`: the SQL of every query it runs
 * lives in catalog.c, under a name; the caller prepares by name, steps with
 * al_db_step and reads the columns listed here by index. Parameters the
 * library knows (media types) are bound by al_catalog_prepare; the others are
 * noted and bound by the caller. AL_Q_IMAGES, AL_Q_PATHS, AL_Q_MODELS and
 * AL_Q_HOME_ARTIFACTS take ?9, a release id: bound, only that release's artifacts
 * come (serve --channel); left NULL, all of them.
 */
enum al_query {
	AL_Q_IMAGES,          /* artifact id, name, manifest digest, blob digest, blob media type, blob size,
			       * whether its bundle was imported unsigned */
	AL_Q_PUSHED,          /* repo, digest, media type, size (oldest first) */
	AL_Q_PUSHED_TAGS,     /* repo, tag, digest (oldest first) */
	AL_Q_PATHS,           /* kind, name, wheel file name, media type, digest, size (newest first) */
	AL_Q_MODELS,          /* name, manifest digest, size, revision or NULL, bundle created (newest first) */
	AL_Q_PAGES,           /* project, html, json */
	AL_Q_BLOB_TOTALS,     /* count, bytes (one row) */
	AL_Q_KIND_COUNTS,     /* kind, count of distinct names (what is served; a name in two bundles is one) */
	AL_Q_BUNDLE_EXPIRY,   /* name, version, expires (each bundle imported) */
	AL_Q_LAST_IMPORT,     /* time, result (at most one row) */
	AL_Q_REJECTED,        /* count of rejected imports (one row) */
	AL_Q_HOME_ARTIFACTS,  /* ?1 kind: name, upstream, digest, content size, bundle, version, imported, unsigned */
	AL_Q_HOME_PUSHED_TAGS, /* repo, tag, digest, time */
	AL_Q_HOME_BUNDLES,    /* id, name, version, created, expires, imported, signers, unsigned, files, bytes,
			       * SHA256SUMS digest, policy override */
	AL_Q_HOME_CUSTODY,    /* ?1 bundle id: seq, time, event, actor, key, record (JSON) */
	AL_Q_DATA_VERSION,    /* PRAGMA data_version (one row) */
	AL_Q_HEALTH,          /* the schema's row count (one row): the catalog opens and reads */
	AL_Q_CHANNEL_RELEASE, /* ?1 channel: its release's id and name (at most one row) */
	AL_Q_HOME_EVALS,      /* each release's newest eval run: release, score, passed, pairs, errors, time, model */
	AL_Q_CHANNELS,        /* channel, its release, since when: each channel's newest event (a promotion
			       * names the release it put on, a rollback the one it went back to) */
	AL_Q_COUNT
};
/* Prepares query Q on DB into *out: the caller finalizes it on success; on error *out is NULL. */
enum al_code al_catalog_prepare(sqlite3 *db, enum al_query q, sqlite3_stmt **out, struct al_err *err);
/* A read transaction, so that every query of one load sees the same catalog; end it with OK = 1 (commit) or 0. */
enum al_code al_catalog_read_begin(sqlite3 *db, struct al_err *err);
enum al_code al_catalog_read_end(sqlite3 *db, int ok, struct al_err *err);

/*
 * Every other statement of the library (the store's writes and checks, the
 * index pages, the schema and its migrations), by name: the text lives in
 * catalog.c, so the catalog's SQL has one place. Borrowed, static.
 */
enum al_sql {
	AL_SQL_SCHEMA_1,
	AL_SQL_HAS_TRUST_COLUMNS,
	AL_SQL_PAGES_MISSING,
	AL_SQL_USER_VERSION,
	AL_SQL_ADD_EVENT,
	AL_SQL_ADD_BUNDLE,
	AL_SQL_ADD_BLOB,
	AL_SQL_ADD_REF,
	AL_SQL_ADD_ARTIFACT,
	AL_SQL_ADD_ARTIFACT_BLOB,
	AL_SQL_ADD_CUSTODY,
	AL_SQL_VERSIONS_OF,
	AL_SQL_QUICK_CHECK,
	AL_SQL_FSCK_BLOBS,
	AL_SQL_FSCK_DANGLING_REFS,
	AL_SQL_GC_KEEP,
	AL_SQL_PUSH_BLOB,
	AL_SQL_PUSH,
	AL_SQL_PUSH_TAG,
	AL_SQL_SET_TRUST,
	AL_SQL_GET_TRUST,
	AL_SQL_MIGRATE_TRUST_COLUMNS,
	AL_SQL_MIGRATE_2,
	AL_SQL_READER_PRAGMAS,
	AL_SQL_WRITER_PRAGMAS,
	AL_SQL_WAL,
	AL_SQL_BEGIN_WRITE,
	AL_SQL_COMMIT,
	AL_SQL_ROLLBACK,
	AL_SQL_BEGIN_READ,
	AL_SQL_GC_DROP_UNREFERENCED,
	AL_SQL_ADD_PAGE,
	AL_SQL_DROP_PAGES,
	AL_SQL_LIST_BUNDLES,
	AL_SQL_LIST_ARTIFACTS,
	AL_SQL_LIST_EVENTS,
	AL_SQL_LIST_TOTALS,
	AL_SQL_INVENTORY,
	AL_SQL_LIST_CUSTODY,
	AL_SQL_WHEELS,
	AL_SQL_CONTENTS,        /* each distinct artifact (kind, name, digest) with what `push` needs */
	AL_SQL_CONTENTS_BLOBS,  /* every artifact's blobs, in the order they were recorded */
	AL_SQL_MIGRATE_3,       /* the release tables */
	AL_SQL_RELEASE_ID,      /* ?1 release name -> id */
	AL_SQL_ADD_RELEASE,     /* name, created, actor, sources, digest */
	AL_SQL_RELEASE_PICK,    /* ?1 bundle name, ?2 bundle version: that bundle's artifacts (id, kind, name) */
	AL_SQL_RELEASE_DIGEST,  /* ?1 release id: what its digest covers, one "kind name digest" per row */
	AL_SQL_SET_RELEASE_DIGEST, /* ?1 release id, ?2 digest */
	AL_SQL_BUNDLE_ID,       /* ?1 bundle name, ?2 version -> id */
	AL_SQL_RELEASE_DUPES,   /* ?1 release id: a kind and name pinned twice (at most one row) */
	AL_SQL_RELEASE_PIN,  /* ?1 release id, ?2 artifact id */
	AL_SQL_LIST_RELEASES,   /* every release with its artifact count and the channels it is on */
	AL_SQL_RELEASE_ROW,     /* ?1 release name: the release */
	AL_SQL_RELEASE_ARTIFACTS, /* ?1 release id: its artifacts, pinned */
	AL_SQL_RELEASE_BUNDLES, /* ?1 release id: the bundles it draws from, with what the gates read */
	AL_SQL_CHANNEL_HISTORY, /* ?1 channel: its events, newest first */
	AL_SQL_CHANNELS,        /* each channel and its current release */
	AL_SQL_ADD_CHANNEL_EVENT, /* channel, release id, action, time, actor, reason, gates */
	AL_SQL_SET_CADENCE,     /* ?1 the cadence as JSON (meta 'cadence') */
	AL_SQL_GET_CADENCE,     /* the cadence as JSON (at most one row) */
	AL_SQL_MIGRATE_4,       /* the eval tables */
	AL_SQL_ADD_EVAL_RUN,    /* time, release, model, endpoint, golden, pairs, passed, errors, score, seconds, actor */
	AL_SQL_ADD_EVAL_RESULT, /* run id, seq, pair, tags, score, pass, latency, error, answer */
	AL_SQL_EVAL_LATEST,     /* ?1 release, ?2 golden: the newest run without errors (id, score, time) */
	AL_SQL_LIST_EVAL_RUNS,  /* ?1 release or NULL: runs, newest first */
	AL_SQL_EVAL_RESULTS,    /* ?1 run id: its pairs in order */
	AL_SQL_EVAL_REGRESSED,  /* ?1 run id, ?2 baseline run id: the pairs that passed there and fail here */
	AL_SQL_SET_VERSION, /* PRAGMA user_version = AL_CATALOG_VERSION */
	AL_SQL_COUNT
};
const char *al_sql(enum al_sql q);

/*
 * Opens ROOT/catalog.db for reading only: it never creates, migrates or writes
 * anything. SQLite's WAL index needs a writable directory; on a read-only
 * mount, where none can be made, the catalog is opened immutable, which reads
 * the file as it is (a change made through another, writable mount is not
 * seen, and a torn read is an error, never a result). EXTRA is added
 * to the open flags (SQLITE_OPEN_NOMUTEX or SQLITE_OPEN_FULLMUTEX). The
 * caller closes *out with sqlite3_close (also on failure, when set).
 */
enum al_code al_catalog_open_read(const char *root, int extra, sqlite3 **out, struct al_err *err);

#endif
