/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c: the embedded store. Import = stage (copy while hashing) → check →
 * rename blobs into place → fsync → one catalog transaction. Rejects go to
 * quarantine/ and are never served. Never prints.
 */
#include "store.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "catalog.h"
#include "custody.h"
#include "fsx.h"
#include "json.h"
#include "pypi.h"

struct al_store {
	char *root;
	sqlite3 *db;
	int lock_fd;
};


const char *al_store_default(const char *explicit_path)
{
	const char *env = getenv("AIRLOCK_STORE");
	if (explicit_path && *explicit_path)
		return explicit_path;
	return env && *env ? env : "./airlock-store";
}

/* Test-only fault injection: AIRLOCK_FAULT=<point> kills the process there, as a crash would. */
static void fault_point(const char *name)
{
	const char *f = getenv("AIRLOCK_FAULT");
	if (f && !strcmp(f, name))
		raise(SIGKILL);
}

static enum al_code db_fail(struct al_store *s, struct al_err *err, const char *what)
{
	return al_db_fail(s->db, what, err);
}

static enum al_code db_exec(struct al_store *s, const char *sql, struct al_err *err)
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

/* Version 0 -> 1: the schema as it was before versions (idempotent on any store made since). */
static enum al_code migrate_1(struct al_store *s, struct al_err *err)
{
	sqlite3_stmt *st;
	int have = 0, missing = 0, row = 0;
	enum al_code rc = db_exec(s, al_sql(AL_SQL_SCHEMA_1), err);
	if (rc)
		return rc;
	/* stores made by 0.1.0 lack the trust columns */
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_HAS_TRUST_COLUMNS), -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	rc = al_db_step(st, "reading the columns of 'bundles'", &have, err);
	sqlite3_finalize(st);
	if (!rc && !have)
		rc = db_exec(s, al_sql(AL_SQL_MIGRATE_TRUST_COLUMNS), err);
	if (rc)
		return rc;
	/* stores made before the index pages existed get them once */
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_PAGES_MISSING), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
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
	return db_exec(s, al_sql(AL_SQL_MIGRATE_2), err);
}

/* The ladder: step i takes a catalog from version i to i + 1. */
static enum al_code (*const migrations[AL_CATALOG_VERSION])(struct al_store *, struct al_err *) = { migrate_1,
												 migrate_2 };

static enum al_code catalog_version(struct al_store *s, int64_t *v, struct al_err *err)
{
	sqlite3_stmt *st;
	int row = 0;
	enum al_code rc;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_USER_VERSION), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
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
		return db_exec(s, al_sql(AL_SQL_READER_PRAGMAS), err);
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
	if ((rc = db_exec(s, al_sql(AL_SQL_WRITER_PRAGMAS), err)))
		return rc;
	if (v == AL_CATALOG_VERSION)
		return AL_OK;
	/* WAL cannot be turned on inside a transaction; the ladder runs in one */
	if ((rc = db_exec(s, al_sql(AL_SQL_WAL), err)) || (rc = db_exec(s, al_sql(AL_SQL_BEGIN_WRITE), err)))
		return rc;
	if (!(rc = catalog_version(s, &v, err)) && v > AL_CATALOG_VERSION)
		rc = too_new(s, v, err);
	for (int64_t i = v < 0 ? 0 : v; !rc && i < AL_CATALOG_VERSION; i++)
		rc = migrations[i](s, err);
	if (!rc && v < AL_CATALOG_VERSION)
		rc = db_exec(s, al_sql(AL_SQL_SET_VERSION), err);
	if (!rc)
		rc = db_exec(s, al_sql(AL_SQL_COMMIT), err);
	if (rc) {
		db_exec(s, al_sql(AL_SQL_ROLLBACK), NULL);
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

void al_import_result_release(struct al_import_result *r)
{
	al_bundle_info_release(&r->info);
	json_decref(r->signers);
	json_decref(r->custody);
	al_report_release(&r->report);
	free(r->quarantine);
	memset(r, 0, sizeof(*r));
}

/* Removes leftovers of interrupted imports; only called with the writer lock held. */
static enum al_code clean_tmp(struct al_store *s, size_t *count, struct al_err *err)
{
	char *tmp = al_join(s->root, "tmp");
	DIR *d;
	struct dirent *e;
	enum al_code rc = AL_OK;
	if (!tmp)
		return al_fail(err, AL_ENOMEM, "out of memory");
	d = opendir(tmp);
	while (d && !rc && (e = readdir(d))) {
		char *p;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (count)
			(*count)++;
		p = al_join(tmp, e->d_name);
		rc = p ? al_rmtree(p, err) : al_fail(err, AL_ENOMEM, "out of memory");
		free(p);
	}
	if (d)
		closedir(d);
	free(tmp);
	return rc;
}

static void stamp(char out[32])
{
	al_time_fmt((int64_t)time(NULL), out);
}

/* Records one event; the caller decides whether a failure matters (it does inside a transaction). */
static enum al_code log_event(struct al_store *s, const char *action, const char *subject, const char *result,
			      const char *detail, struct al_err *err)
{
	sqlite3_stmt *st;
	char now[32];
	enum al_code rc;
	stamp(now);
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_ADD_EVENT),
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_STATIC);
	rc = al_db_run(st, "recording an event", err);
	sqlite3_finalize(st);
	return rc;
}

static enum al_code quarantine(struct al_store *s, const char *bundle, const char *stage,
			       struct al_import_result *res, struct al_err *err)
{
	unsigned char r[3];
	char now[32], *base, *dest, *reason;
	const char *b = strrchr(bundle, '/');
	struct al_buf text;
	enum al_code rc = AL_OK;
	size_t n;
	b = b && b[1] ? b + 1 : bundle;
	stamp(now);
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	base = strdup(b);
	if (!base)
		return al_fail(err, AL_ENOMEM, "out of memory");
	n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		base[--n] = '\0';
	for (char *p = base; *p; p++)
		if (*p == '/' || *p == ':' || (unsigned char)*p < 0x20)
			*p = '_';
	dest = al_strf("%s/quarantine/%s-%s-%02x%02x%02x", s->root, base, now, r[0], r[1], r[2]);
	free(base);
	if (!dest)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (rename(stage, dest) != 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot move the rejected bundle to '%s'", dest);
		free(dest);
		return rc;
	}
	al_buf_init(&text, 1u << 20);
	al_buf_addf(&text, NULL, "bundle: %s\nrejected: %s\nproblems:\n", bundle, now);
	for (size_t i = 0; i < res->report.n; i++)
		al_buf_addf(&text, NULL, "  %s\n", res->report.msg[i]);
	if (res->report.dropped)
		al_buf_addf(&text, NULL, "  … and %zu more\n", res->report.dropped);
	reason = al_join(dest, "REASON");
	if (!reason)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (!(rc = al_buf_check(&text, err)))
		rc = al_write_atomic(reason, text.data ? text.data : "", text.len, err);
	free(reason);
	al_buf_release(&text);
	res->quarantine = dest;
	return rc;
}

static enum al_code bind_run(struct al_store *s, sqlite3_stmt *st, struct al_err *err)
{
	return al_db_run(st, "write failed", err);
}

static const struct al_bfile *view_file(const struct al_bview *v, const char *path)
{
	return al_bview_find(v, path);
}

/* Catalog rows for one verified, installed bundle; the caller holds the transaction. */
static enum al_code catalog_add(struct al_store *s, const char *source, const struct al_bview *v,
				const struct al_bundle_info *info, const json_t *signers, const char *override,
				sqlite3_int64 *bid_out, struct al_err *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 bid, *aids = NULL;
	char now[32], created[32], expires[32];
	const struct al_bfile *meta = view_file(v, "airlock.json");
	enum al_code rc = AL_OK;
	stamp(now);
	al_time_fmt(info->created, created);
	al_time_fmt(info->expires, expires);
	char *who = signers ? json_dumps(signers, JSON_COMPACT) : NULL;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_ADD_BUNDLE),
			       -1, &st, NULL) != SQLITE_OK) {
		free(who);
		return db_fail(s, err, "prepare");
	}
	sqlite3_bind_text(st, 11, who ? who : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 12, signers ? 0 : 1);
	sqlite3_bind_text(st, 13, override ? override : "", -1, SQLITE_STATIC);
	free(who);
	sqlite3_bind_text(st, 1, info->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, info->version);
	sqlite3_bind_text(st, 3, info->sums_digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, meta ? meta->digest : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, expires, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)v->n);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)v->bytes);
	rc = bind_run(s, st, err);
	sqlite3_finalize(st);
	if (rc)
		return rc;
	bid = sqlite3_last_insert_rowid(s->db);
	*bid_out = bid;

	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_ADD_BLOB), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	for (size_t i = 0; i < v->n && !rc; i++) {
		sqlite3_bind_text(st, 1, v->files[i].digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)v->files[i].size);
		rc = bind_run(s, st, err);
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_ADD_REF), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	for (size_t i = 0; i < v->n && !rc; i++) {
		sqlite3_bind_int64(st, 1, bid);
		sqlite3_bind_text(st, 2, v->files[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, v->files[i].digest, -1, SQLITE_STATIC);
		rc = bind_run(s, st, err);
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;

	aids = calloc(info->nartifacts + 1, sizeof(*aids));
	if (!aids)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_ADD_ARTIFACT),
			       -1, &st, NULL) != SQLITE_OK) {
		free(aids);
		return db_fail(s, err, "prepare");
	}
	for (size_t i = 0; i < info->nartifacts && !rc; i++) {
		const struct al_artifact *a = &info->artifacts[i];
		char *js = json_dumps(a->info, JSON_COMPACT);
		uint64_t content = 0;
		for (size_t k = 0; k < info->nblobs; k++)
			if (info->blobs[k].artifact == i)
				content += info->blobs[k].size;
		sqlite3_bind_int64(st, 1, bid);
		sqlite3_bind_text(st, 2, al_kind_name(a->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, a->upstream, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a->ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, a->media_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, a->digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)a->size);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)content);
		sqlite3_bind_text(st, 10, js ? js : "{}", -1, SQLITE_TRANSIENT);
		free(js);
		rc = bind_run(s, st, err);
		aids[i] = sqlite3_last_insert_rowid(s->db);
	}
	sqlite3_finalize(st);
	if (!rc && sqlite3_prepare_v2(s->db, al_sql(AL_SQL_ADD_ARTIFACT_BLOB), -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(s, err, "prepare");
	else if (!rc) {
		for (size_t k = 0; k < info->nblobs && !rc; k++) {
			sqlite3_bind_int64(st, 1, aids[info->blobs[k].artifact]);
			sqlite3_bind_text(st, 2, info->blobs[k].digest, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, info->blobs[k].media_type, -1, SQLITE_STATIC);
			rc = bind_run(s, st, err);
		}
		sqlite3_finalize(st);
	}
	free(aids);
	return rc;
}

/* The bundle's custody records, for the bundle just inserted (same transaction). */
static enum al_code custody_add(struct al_store *s, sqlite3_int64 bid, const json_t *records,
				struct al_err *err)
{
	sqlite3_stmt *st;
	size_t i;
	json_t *r;
	enum al_code rc = AL_OK;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_ADD_CUSTODY), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	json_array_foreach(records, i, r) {
		char *js = json_dumps(r, JSON_COMPACT);
		sqlite3_bind_int64(st, 1, bid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)json_integer_value(json_object_get(r, "seq")));
		sqlite3_bind_text(st, 3, al_json_str(r, "time") ? al_json_str(r, "time") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, al_json_str(r, "event") ? al_json_str(r, "event") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, al_json_str(r, "actor") ? al_json_str(r, "actor") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, al_json_str(r, "key") ? al_json_str(r, "key") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, js ? js : "{}", -1, SQLITE_TRANSIENT);
		free(js);
		if ((rc = bind_run(s, st, err)))
			break;
	}
	/* the store's own records, after the carried chain: kept in the catalog, not signed */
	for (int k = 0; k < 2 && !rc; k++) {
		static const char *const ev[] = { "received", "verified" };
		char now[32], js[160];
		stamp(now);
		snprintf(js, sizeof(js), "{\"event\":\"%s\",\"actor\":\"airlock import\",\"time\":\"%s\"}", ev[k], now);
		sqlite3_bind_int64(st, 1, bid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(json_array_size(records) + 1 + (size_t)k));
		sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, ev[k], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, "airlock import", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, js, -1, SQLITE_TRANSIENT);
		rc = bind_run(s, st, err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Has this name and version been imported? 1 same content, 2 other content, 0 no; *maxv the highest version. */
static enum al_code lookup(struct al_store *s, const struct al_bundle_info *info, int *found,
			   int64_t *maxv, struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc;
	int row = 0;
	*found = 0;
	*maxv = 0;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_VERSIONS_OF), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	sqlite3_bind_text(st, 1, info->name, -1, SQLITE_STATIC);
	while (!(rc = al_db_step(st, "looking up the versions imported", &row, err)) && row) {
		int64_t ver = sqlite3_column_int64(st, 0);
		const char *d = (const char *)sqlite3_column_text(st, 1);
		if (ver > *maxv)
			*maxv = ver;
		if (ver == info->version)
			*found = d && !strcmp(d, info->sums_digest) ? 1 : 2;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Is the blob at PATH whole: a regular file (no symlink followed) whose bytes hash to HEX? */
static int blob_intact(const char *path, const char *hex)
{
	unsigned char d[AL_DIGEST_LEN];
	char got[AL_HEX_LEN + 1];
	uint64_t size = 0;
	if (al_hash_file(path, d, &size, NULL, NULL))
		return 0; /* missing, a link, unreadable: not a copy to keep */
	al_hex(d, got);
	return !strcmp(got, hex);
}

/*
 * Moves every staged file into blobs/ under its digest. A blob already there
 * is re-hashed before its verified staged copy is thrown away: a blob that
 * rotted, went missing or became something else is replaced by the staged
 * copy (counted in *repaired), so the next import that carries a blob heals it.
 */
static enum al_code install_blobs(struct al_store *s, const struct al_bview *v, size_t *added, size_t *repaired,
				  struct al_err *err)
{
	char *blobs = al_join(s->root, "blobs/sha256");
	enum al_code rc = AL_OK;
	if (!blobs)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < v->n && !rc; i++) {
		char *from = al_join(v->root, v->files[i].path);
		char *to = al_strf("%s/%s", blobs, v->files[i].digest + 7);
		struct stat st;
		int existed = 0;
		if (!from || !to)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if ((existed = lstat(to, &st) == 0) && blob_intact(to, v->files[i].digest + 7))
			; /* content-addressed, and re-hashed: already here */
		else if (rename(from, to) != 0)
			rc = al_fail_errno(err, AL_EIO, "cannot move '%s' into the store", from);
		else if (existed)
			(*repaired)++;
		else
			(*added)++;
		free(from);
		free(to);
		if (!rc && i == v->n / 2)
			fault_point("mid-blobs");
	}
	if (!rc)
		rc = al_fsync_dir(blobs, err);
	free(blobs);
	return rc;
}

/*
 * A bundle inside the store (tmp/, quarantine/, blobs/, reached through any
 * symlink) is refused before anything is cleaned: tmp/ is emptied by every
 * writer and a bundle there would be deleted, and nothing else in the store is
 * an input. A path that does not resolve is left to the import to report.
 */
static enum al_code refuse_inside(struct al_store *s, const char *bundle, struct al_err *err)
{
	char *b = realpath(bundle, NULL), *r = realpath(s->root, NULL);
	enum al_code rc = AL_OK;
	size_t n = r ? strlen(r) : 0;
	if (!r)
		rc = al_fail_errno(err, AL_ESTORE, "cannot resolve store '%s'", s->root);
	else if (b && !strncmp(b, r, n) && (b[n] == '/' || b[n] == '\0' || (n == 1 && r[0] == '/')))
		rc = al_fail(err, AL_EINVAL,
			     "bundle '%s' is inside store '%s' ('%s'): nothing was imported or cleaned (move it out of the store, then import it)",
			     bundle, s->root, b);
	free(b);
	free(r);
	return rc;
}

/* Per staged file: its directory entry, inode and the last partial block, counted generously. */
enum { STAGE_OVERHEAD = 8192, STAGE_RESERVE = 16u << 20 };

static _Thread_local uint64_t walk_bytes;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_NS || type == FTW_DNR)
		return -1;
	/* the apparent size: a sparse file is copied whole, holes and all */
	walk_bytes += (type == FTW_F && S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0) + STAGE_OVERHEAD;
	return 0;
}

/* What staging BUNDLE will write: the sum of the apparent sizes of its files (tar: of its members). */
static enum al_code staged_size(const char *bundle, uint64_t *need, struct al_err *err)
{
	struct stat st;
	*need = 0;
	if (stat(bundle, &st) != 0)
		return AL_OK; /* staging reports a missing bundle */
	if (S_ISDIR(st.st_mode)) {
		walk_bytes = 0;
		if (nftw(bundle, walk_one, 32, FTW_PHYS) != 0)
			return al_fail_errno(err, AL_EIO, "cannot measure bundle '%s'", bundle);
		*need = walk_bytes;
		return AL_OK;
	}
	*need = (uint64_t)st.st_size;
	if (S_ISREG(st.st_mode)) {
		/* a tar member's size is what it expands to (a sparse member too); a damaged tar is reported by staging */
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		uint64_t sum = 0;
		if (!a)
			return al_fail(err, AL_ENOMEM, "out of memory");
		archive_read_support_format_tar(a);
		if (archive_read_open_filename(a, bundle, 1u << 20) == ARCHIVE_OK)
			while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
				int64_t n = archive_entry_size(e);
				sum += (n > 0 ? (uint64_t)n : 0) + STAGE_OVERHEAD;
				if (archive_read_data_skip(a) != ARCHIVE_OK)
					break;
			}
		archive_read_free(a);
		if (sum > *need)
			*need = sum;
	}
	return AL_OK;
}

/*
 * Quarantine is bounded by the room there is: staging (which becomes the
 * quarantined copy when the bundle is rejected) writes every byte of every
 * file, so the bundle is measured first, sparse files at their apparent size,
 * and refused before a byte is copied when the store's file system lacks room.
 */
static enum al_code check_room(struct al_store *s, const char *bundle, struct al_err *err)
{
	struct statvfs vfs;
	uint64_t need = 0, avail;
	char *tmp = al_join(s->root, "tmp");
	enum al_code rc;
	if (!tmp)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (statvfs(tmp, &vfs) != 0) {
		rc = al_fail_errno(err, AL_ESTORE, "cannot read the free space of '%s'", tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	if ((rc = staged_size(bundle, &need, err)))
		return rc;
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	if (need > UINT64_MAX - STAGE_RESERVE || need + STAGE_RESERVE > avail)
		return al_fail(err, AL_ELIMIT,
			       "bundle '%s' needs %llu bytes in store '%s', which has %llu free: refused before anything was copied (make room; sparse files count at their full size)",
			       bundle, (unsigned long long)need, s->root, (unsigned long long)avail);
	return AL_OK;
}

enum al_code al_store_import(struct al_store *s, const char *bundle, const struct al_import_opts *opts,
			     struct al_progress *prog, struct al_import_result *res, struct al_err *err)
{
	struct al_trust stored = { 0 };
	const struct al_trust *policy = opts->trust;
	unsigned char r[6];
	char *stage = NULL;
	struct al_bview v = { 0 };
	struct al_buf override;
	enum al_code rc;
	int found = 0;
	int64_t maxv = 0;
	memset(res, 0, sizeof(*res));
	al_buf_init(&override, 1u << 20);
	if (s->lock_fd < 0)
		AL_BUG("import needs the writer lock");
	if ((rc = refuse_inside(s, bundle, err)) || (rc = clean_tmp(s, NULL, err)) ||
	    (rc = check_room(s, bundle, err)))
		return rc;
	if (prog) {
		uint64_t total = 0;
		if ((rc = al_bundle_measure(bundle, &total, err)))
			return rc;
		atomic_store(&prog->total, total);
	}
	if (!policy) {
		rc = al_store_trust_get(s, &stored, NULL, err);
		if (rc == AL_ENOENT) {
			al_err_clear(err);
			if (!opts->allow_unsigned)
				return al_fail(err, AL_EVERIFY,
					       "store '%s' has no trust policy, so no signature can be checked: set one with 'airlock store trust set' (or 'airlock init --trust'), give '--trust FILE', or import unsigned with '--allow-unsigned' (recorded)",
					       s->root);
		} else if (rc) {
			return rc;
		} else {
			policy = &stored;
		}
	}
	if (policy && opts->allow_unsigned) {
		al_trust_release(&stored);
		return al_fail(err, AL_EUSAGE, "'--allow-unsigned' is refused: a trust policy applies to this import");
	}
	if (RAND_bytes(r, sizeof(r)) != 1) {
		al_trust_release(&stored);
		return al_fail_ssl(err, "cannot make a staging name");
	}
	stage = al_strf("%s/tmp/import-%02x%02x%02x%02x%02x%02x", s->root, r[0], r[1], r[2], r[3], r[4], r[5]);
	if (!stage) {
		al_trust_release(&stored);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	rc = al_bundle_stage(bundle, stage, &v, &res->report, prog, err);
	res->bytes = v.bytes;
	if (rc == AL_EVERIFY) {
		/* a damaged tar: keep what arrived, with the reason */
		al_report_add(&res->report, "%s", err->msg);
	} else if (rc) {
		goto out;
	}
	fault_point("after-stage");
	if (!rc) {
		enum al_code c = al_bundle_check(&v, &res->report, &res->info, err);
		if (c && c != AL_EVERIFY) {
			rc = c;
			goto out;
		}
		if (!c && policy && (rc = al_trust_check(&v, &res->info, policy, opts->now, &res->report,
							 &res->signers, err)))
			goto out;
		if (!c && !rc) {
			/* the custody chain, when the bundle carries one, must be unbroken */
			const struct al_bfile *cl = al_bview_find(&v, "custody.log");
			if (cl) {
				struct al_buf b;
				al_buf_init(&b, AL_MAX_SUMS);
				rc = v.read(&v, cl, &b, err);
				if (!rc)
					rc = al_custody_check(b.data, b.len, res->info.sums_digest,
							      policy ? policy->custody : NULL, policy ? policy->ncustody : 0,
							      &res->report, &res->custody, err);
				al_buf_release(&b);
				if (rc)
					goto out;
			}
		}
		if (!c && !policy && res->info.expires <= opts->now) {
			char when[32];
			al_time_fmt(res->info.expires, when);
			al_report_add(&res->report, "bundle '%s' version %lld expired on %s", res->info.name,
				      (long long)res->info.version, when);
		}
	}
	if (al_report_count(&res->report)) {
		res->status = AL_REJECTED;
		al_err_clear(err);
		rc = quarantine(s, bundle, stage, res, err);
		/* the answer is already a refusal; a failure to record it does not change it */
		log_event(s, "import", bundle, "rejected", res->report.n ? res->report.msg[0] : "", NULL);
		if (!rc)
			rc = al_fail(err, AL_EVERIFY, "bundle '%s' failed verification (%zu problem%s); it was moved to '%s'",
				     bundle, al_report_count(&res->report), al_report_count(&res->report) == 1 ? "" : "s",
				     res->quarantine);
		goto out;
	}
	if ((rc = lookup(s, &res->info, &found, &maxv, err)))
		goto out;
	if (found == 1) {
		/* the same bundle again: its verified copy still repairs what rotted since */
		if ((rc = install_blobs(s, &v, &res->new_blobs, &res->repaired, err)))
			goto out;
		res->repaired += res->new_blobs; /* a blob the catalog names that had gone */
		res->new_blobs = 0;
		if (res->repaired) {
			char detail[128];
			snprintf(detail, sizeof(detail), "%s version %lld: %zu blobs repaired", res->info.name,
				 (long long)res->info.version, res->repaired);
			if ((rc = log_event(s, "import", bundle, "repaired", detail, err)))
				goto out;
		}
		res->status = AL_ALREADY;
		goto out;
	}
	if (found == 2) {
		rc = al_fail(err, AL_ECONFLICT,
			     "bundle '%s' version %lld is already imported with different content; a new bundle needs a higher version",
			     res->info.name, (long long)res->info.version);
		log_event(s, "import", bundle, "refused", err->msg, NULL);
		goto out;
	}
	if (res->info.version < maxv) {
		rc = al_fail(err, AL_ECONFLICT,
			     "bundle '%s' version %lld is older than version %lld already imported (rollback refused; roll back a release instead)",
			     res->info.name, (long long)res->info.version, (long long)maxv);
		log_event(s, "import", bundle, "refused", err->msg, NULL);
		goto out;
	}
	if ((rc = install_blobs(s, &v, &res->new_blobs, &res->repaired, err)))
		goto out;
	/* an import checked against --trust instead of the store's policy is recorded with that policy */
	if (opts->trust && ((rc = al_trust_format(opts->trust, &override, err)) || (rc = al_buf_check(&override, err))))
		goto out;
	fault_point("before-commit");
	if ((rc = db_exec(s, al_sql(AL_SQL_BEGIN_WRITE), err)))
		goto out;
	{
		sqlite3_int64 bid = 0;
		rc = catalog_add(s, bundle, &v, &res->info, res->signers, override.data, &bid, err);
		if (!rc)
			rc = custody_add(s, bid, res->custody, err);
		if (!rc)
			rc = al_pypi_rebuild(s->db, err);
	}
	if (!rc) {
		char detail[128];
		snprintf(detail, sizeof(detail), "%s version %lld%s", res->info.name, (long long)res->info.version,
			 opts->trust ? " (checked against --trust, not the store's policy)" : "");
		rc = log_event(s, "import", bundle, "imported", detail, err);
		if (!rc)
			rc = db_exec(s, al_sql(AL_SQL_COMMIT), err);
	}
	if (rc)
		db_exec(s, al_sql(AL_SQL_ROLLBACK), NULL);
	else
		res->status = AL_IMPORTED;
	fault_point("after-commit");
out:
	if (stage && res->status != AL_REJECTED)
		al_rmtree(stage, NULL);
	al_buf_release(&override);
	al_bview_release(&v);
	al_trust_release(&stored);
	free(stage);
	return rc;
}

/* Every row of SQL as a JSON array of objects; NULL with err set when the query fails at any row. */
static json_t *rows(sqlite3 *db, const char *sql, struct al_err *err)
{
	sqlite3_stmt *st;
	json_t *arr = json_array();
	enum al_code rc;
	int row = 0;
	if (!arr) {
		al_fail(err, AL_ENOMEM, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		al_db_fail(db, "prepare", err);
		json_decref(arr);
		return NULL;
	}
	while (!(rc = al_db_step(st, "listing the store", &row, err)) && row) {
		json_t *o = json_object();
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				json_object_set_new(o, name, json_integer(sqlite3_column_int64(st, i)));
				break;
			case SQLITE_NULL:
				json_object_set_new(o, name, json_null());
				break;
			default:
				if (!strcmp(name, "info") || !strcmp(name, "signers")) {
					/* JSON kept as text; an empty text is no value */
					json_t *j = json_loads((const char *)sqlite3_column_text(st, i), 0, NULL);
					json_object_set_new(o, name, j ? j : json_null());
				} else {
					json_object_set_new(o, name, json_string((const char *)sqlite3_column_text(st, i)));
				}
			}
		}
		if (!o || json_array_append_new(arr, o)) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

enum al_code al_store_list(struct al_store *s, json_t **out, struct al_err *err)
{
	json_t *b = NULL, *a = NULL, *e = NULL, *tot = NULL, *c = NULL;
	enum al_code rc;
	*out = NULL;
	/* one read transaction: the lists agree with each other */
	if ((rc = db_exec(s, al_sql(AL_SQL_BEGIN_READ), err)))
		return rc;
	if ((b = rows(s->db, al_sql(AL_SQL_LIST_BUNDLES), err)) &&
	    (a = rows(s->db, al_sql(AL_SQL_LIST_ARTIFACTS),
		      err)) &&
	    (e = rows(s->db, al_sql(AL_SQL_LIST_EVENTS),
		      err)) &&
	    (tot = rows(s->db, al_sql(AL_SQL_LIST_TOTALS), err)))
		c = rows(s->db, al_sql(AL_SQL_LIST_CUSTODY), err);
	if (!c || json_array_size(tot) != 1) {
		rc = al_fail(err, AL_ESTORE, "catalog '%s/catalog.db': cannot list the store", s->root);
		db_exec(s, al_sql(AL_SQL_ROLLBACK), NULL);
		json_decref(c);
		json_decref(b);
		json_decref(a);
		json_decref(e);
		json_decref(tot);
		return rc;
	}
	if ((rc = db_exec(s, al_sql(AL_SQL_COMMIT), err))) {
		db_exec(s, al_sql(AL_SQL_ROLLBACK), NULL);
		json_decref(c);
		json_decref(b);
		json_decref(a);
		json_decref(e);
		json_decref(tot);
		return rc;
	}
	*out = json_pack("{s:s, s:o, s:o, s:o, s:o, s:O}", "store", s->root, "bundles", b, "artifacts", a,
			 "custody", c, "events", e, "totals", json_array_get(tot, 0));
	json_decref(tot);
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

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
 * is what fsck looks for: it becomes a problem of the report (exit 1) and the
 * check stops; any other failure stays an error (exit 2). Never a pass.
 */
static enum al_code fsck_db_error(struct al_store *s, enum al_code rc, struct al_fsck_result *res,
				  struct al_err *err)
{
	int ec = sqlite3_errcode(s->db) & 0xff;
	if (rc == AL_ESTORE && err && err->code == AL_ESTORE && (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB)) {
		al_report_add(&res->report, "%s (the catalog is damaged: restore it from a backup)", err->msg);
		al_err_clear(err);
		return AL_OK;
	}
	return rc;
}

enum al_code al_store_fsck(struct al_store *s, struct al_progress *prog, struct al_fsck_result *res,
			   struct al_err *err)
{
	struct fsck_ctx c = { NULL, NULL, prog };
	struct fsck_blob *v = NULL;
	size_t n = 0, cap = 0;
	char *dir = al_join(s->root, "blobs/sha256"), *tmp = al_join(s->root, "tmp");
	DIR *d;
	struct dirent *e;
	sqlite3_stmt *st;
	enum al_code rc = AL_OK;
	uint64_t total = 0;
	memset(res, 0, sizeof(*res));
	if (!dir || !tmp) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	{
		sqlite3_stmt *q;
		int row = 0;
		if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_QUICK_CHECK), -1, &q, NULL) != SQLITE_OK) {
			rc = db_fail(s, err, "prepare");
			goto out;
		}
		while (!(rc = al_db_step(q, "checking the catalog", &row, err)) && row) {
			const char *m = (const char *)sqlite3_column_text(q, 0);
			if (m && strcmp(m, "ok"))
				al_report_add(&res->report, "catalog: %s", m);
		}
		sqlite3_finalize(q);
		if (rc) {
			rc = fsck_db_error(s, rc, res, err);
			goto out;
		}
	}
	if (!(d = opendir(dir))) {
		rc = al_fail_errno(err, AL_ESTORE, "cannot open '%s'", dir);
		goto out;
	}
	while ((e = readdir(d))) {
		unsigned char dd[AL_DIGEST_LEN];
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode)) {
			al_report_add(&res->report, "'blobs/sha256/%s' is not a regular file", e->d_name);
			continue;
		}
		if (al_unhex(e->d_name, strlen(e->d_name), dd) != 0) {
			al_report_add(&res->report, "'blobs/sha256/%s' is not named by a digest", e->d_name);
			continue;
		}
		if (n == cap) {
			struct fsck_blob *nv;
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				closedir(d);
				rc = al_fail(err, AL_ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		memcpy(v[n].name, e->d_name, AL_HEX_LEN + 1);
		v[n].size = (uint64_t)sb.st_size;
		total += (uint64_t)sb.st_size;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_fsck);
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
	/* every blob the catalog names must be present with its size */
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_FSCK_BLOBS), -1, &st, NULL) != SQLITE_OK) {
		rc = db_fail(s, err, "query failed");
		goto out;
	}
	{
		size_t known = 0;
		int row = 0;
		while (!(rc = al_db_step(st, "reading the blobs", &row, err)) && row) {
			const char *dg = (const char *)sqlite3_column_text(st, 0);
			struct fsck_blob key, *hit;
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
			known++;
		}
		sqlite3_finalize(st);
		if (rc) {
			rc = fsck_db_error(s, rc, res, err);
			goto out;
		}
		res->unreferenced = n > known ? n - known : 0;
	}
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_FSCK_DANGLING_REFS), -1, &st, NULL) != SQLITE_OK) {
		rc = db_fail(s, err, "prepare");
		goto out;
	}
	{
		int row = 0;
		while (!(rc = al_db_step(st, "reading the references", &row, err)) && row)
			al_report_add(&res->report, "catalog: bundle '%s' references unknown blob '%s'",
				      sqlite3_column_text(st, 1), sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (rc) {
			rc = fsck_db_error(s, rc, res, err);
			goto out;
		}
	}
	if ((d = opendir(tmp))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				res->stale_tmp++;
		closedir(d);
	}
out:
	free(v);
	free(dir);
	free(tmp);
	return rc;
}

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
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_GC_KEEP), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
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

/* The next entry of D (listing DIR), "." and ".." skipped; NULL at the end, or on an error (then *RC is set). */
static struct dirent *next_entry(DIR *d, const char *dir, enum al_code *rc, struct al_err *err)
{
	struct dirent *e;
	for (;;) {
		errno = 0;
		if (!(e = readdir(d))) {
			if (errno)
				*rc = al_fail_errno(err, AL_EIO, "cannot list '%s'", dir);
			return NULL;
		}
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			return e;
	}
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
	char *dir = al_join(s->root, "blobs/sha256");
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
	if (!dir)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (s->lock_fd < 0)
		AL_BUG("gc needs the writer lock");
	if ((rc = db_exec(s, al_sql(AL_SQL_BEGIN_WRITE), err)))
		goto out;
	in_tx = 1;
	if ((rc = db_exec(s, al_sql(AL_SQL_GC_DROP_UNREFERENCED), err)) ||
	    (rc = keep_set(s, &keep, &nkeep, err)))
		goto out;
	if (!(d = opendir(dir))) {
		rc = al_fail_errno(err, AL_ESTORE, "cannot open '%s'", dir);
		goto out;
	}
	for (;;) {
		struct stat sb;
		if (!(e = next_entry(d, dir, &rc, err)))
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
		if ((rc = log_event(s, "gc", s->root, "ok", detail, err)) || (rc = db_exec(s, al_sql(AL_SQL_COMMIT), err)))
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
		rc = clean_tmp(s, NULL, err);
	if (!rc)
		al_store_sweep_uploads(s->root, (int64_t)time(NULL) - 3600);
out:
	if (in_tx)
		db_exec(s, al_sql(AL_SQL_ROLLBACK), NULL);
	if (d)
		closedir(d);
	for (size_t i = 0; i < ndoomed; i++)
		free(doomed[i]);
	free(doomed);
	free(keep);
	free(dir);
	return rc;
}

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
	stamp(now);
	if (!(dst = al_strf("%s/blobs/sha256/%s", root, p->digest + 7)) || !(blobs = al_join(root, "blobs/sha256"))) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	if (rename(tmp, dst) != 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot store the pushed blob '%s'", p->digest);
		goto out;
	}
	unlink(tmp); /* (a mount's link to the very blob: rename(2) onto the same file leaves both names) */
	if ((rc = al_fsync_dir(blobs, err)) || (rc = db_exec(s, al_sql(AL_SQL_BEGIN_WRITE), err)))
		goto out;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_PUSH_BLOB), -1, &st[0], NULL) ||
	    sqlite3_prepare_v2(s->db, al_sql(AL_SQL_PUSH), -1, &st[1], NULL) ||
	    (p->tag && sqlite3_prepare_v2(s->db, al_sql(AL_SQL_PUSH_TAG), -1, &st[2], NULL))) {
		rc = db_fail(s, err, "prepare");
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
		rc = db_exec(s, al_sql(AL_SQL_COMMIT), err);
	if (rc)
		db_exec(s, al_sql(AL_SQL_ROLLBACK), NULL); /* the blob stays, unreferenced: gc removes it */
out:
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(st[i]);
	al_store_free(s);
	free(dst);
	free(blobs);
	return rc;
}

enum al_code al_store_quarantine_clear(struct al_store *s, size_t *removed, struct al_err *err)
{
	char *dir = al_join(s->root, "quarantine");
	DIR *d;
	struct dirent *e;
	enum al_code rc = AL_OK;
	*removed = 0;
	if (!dir)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (s->lock_fd < 0)
		AL_BUG("clearing quarantine needs the writer lock");
	if (!(d = opendir(dir))) {
		rc = errno == ENOENT ? AL_OK : al_fail_errno(err, AL_ESTORE, "cannot open '%s'", dir);
		free(dir);
		return rc;
	}
	for (;;) {
		char *p;
		if (!(e = next_entry(d, dir, &rc, err)))
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
		rc = log_event(s, "quarantine", s->root, "cleared", detail, err);
	}
	return rc;
}

enum al_code al_store_trust_set(struct al_store *s, const struct al_trust *t, struct al_err *err)
{
	struct al_buf b;
	sqlite3_stmt *st;
	enum al_code rc;
	al_buf_init(&b, 1u << 20);
	if ((rc = al_trust_format(t, &b, err))) {
		al_buf_release(&b);
		return rc;
	}
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_SET_TRUST), -1, &st,
			       NULL) != SQLITE_OK) {
		al_buf_release(&b);
		return db_fail(s, err, "prepare");
	}
	sqlite3_bind_text(st, 1, b.data, (int)b.len, SQLITE_STATIC);
	if (!(rc = db_exec(s, al_sql(AL_SQL_BEGIN_WRITE), err))) {
		rc = bind_run(s, st, err);
		if (!rc)
			rc = log_event(s, "trust", s->root, "set", b.data, err);
		if (!rc)
			rc = db_exec(s, al_sql(AL_SQL_COMMIT), err);
		if (rc)
			db_exec(s, al_sql(AL_SQL_ROLLBACK), NULL);
	}
	sqlite3_finalize(st);
	al_buf_release(&b);
	return rc;
}

enum al_code al_store_trust_get(struct al_store *s, struct al_trust *t, struct al_buf *text,
				struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc;
	memset(t, 0, sizeof(*t));
	int row = 0;
	if (sqlite3_prepare_v2(s->db, al_sql(AL_SQL_GET_TRUST), -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	/* only a query that ran to its end without a row means "no policy" */
	if ((rc = al_db_step(st, "reading the trust policy", &row, err)) || !row) {
		sqlite3_finalize(st);
		return rc ? rc : al_fail(err, AL_ENOENT, "store '%s' has no trust policy", s->root);
	}
	{
		const char *v = (const char *)sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		rc = al_trust_parse(v ? v : "", n, "the store's trust policy", NULL, t, err);
		if (!rc && text)
			rc = al_buf_add(text, v ? v : "", n, err);
	}
	sqlite3_finalize(st);
	return rc;
}
