/* SPDX-License-Identifier: Apache-2.0 */
/* osv.c: OSV records into SQLite, indexed by package; matching a version (osv.h). */
#include "osv.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "catalog.h"
#include "fsx.h"
#include "json.h"
#include "vercmp.h"
#include "wheel.h"

/* One record file is at most this (the largest in OSV's exports are a few hundred KiB). */
enum { OSV_MAX_RECORD = 16u << 20 };

static const char schema[] =
	"PRAGMA journal_mode=OFF;"
	"CREATE TABLE IF NOT EXISTS vuln(id TEXT PRIMARY KEY, modified TEXT NOT NULL, record TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS affected(vuln TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
	" entry TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS affected_pkg ON affected(ecosystem, name);";

/* ?1 ecosystem (exact, or the base of "Debian:12"), ?2 name */
static const char q_find[] = "SELECT a.vuln, a.ecosystem, a.entry FROM affected a WHERE a.name = ?2 AND "
			     "(a.ecosystem = ?1 OR a.ecosystem LIKE ?1 || ':%') ORDER BY a.vuln";
static const char q_record[] = "SELECT record FROM vuln WHERE id = ?1";
static const char q_held[] = "SELECT modified FROM vuln WHERE id = ?1";
static const char q_del[] = "DELETE FROM affected WHERE vuln = ?1";
static const char q_put[] = "INSERT OR REPLACE INTO vuln(id, modified, record) VALUES (?1, ?2, ?3)";
static const char q_aff[] = "INSERT INTO affected(vuln, ecosystem, name, entry) VALUES (?1, ?2, ?3, ?4)";

enum al_code al_osv_open(const char *path, struct al_osv *o, struct al_err *err)
{
	char *msg = NULL;
	memset(o, 0, sizeof(*o));
	if (!(o->path = strdup(path ? path : "(in memory)")))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path ? path : ":memory:", &o->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		al_fail(err, AL_EIO, "cannot open the advisory database '%s': %s", o->path,
			o->db ? sqlite3_errmsg(o->db) : "out of memory");
		al_osv_close(o);
		return err->code;
	}
	if (sqlite3_exec(o->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_find, -1, &o->find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_record, -1, &o->record, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_held, -1, &o->held, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_del, -1, &o->del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_put, -1, &o->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_aff, -1, &o->aff, NULL) != SQLITE_OK) {
		al_fail(err, AL_EIO, "advisory database '%s': %s", o->path, msg ? msg : sqlite3_errmsg(o->db));
		sqlite3_free(msg);
		al_osv_close(o);
		return err->code;
	}
	return AL_OK;
}

int al_osv_is_db(const char *path)
{
	char head[16] = { 0 };
	FILE *f = fopen(path, "rbe");
	size_t n = f ? fread(head, 1, sizeof(head), f) : 0;
	if (f)
		fclose(f);
	return n == sizeof(head) && !memcmp(head, "SQLite format 3", 16);
}

enum al_code al_osv_open_ro(const char *path, struct al_osv *o, size_t *records, struct al_err *err)
{
	sqlite3_stmt *st = NULL;
	enum al_code rc;
	int row = 0;
	memset(o, 0, sizeof(*o));
	if (!(o->path = strdup(path)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_find, -1, &o->find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, q_record, -1, &o->record, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(o->db, "SELECT count(*) FROM vuln", -1, &st, NULL) != SQLITE_OK) {
		al_fail(err, AL_EINVAL, "'%s' is not an advisory database made by 'airlock vulndb import': %s", path,
			o->db ? sqlite3_errmsg(o->db) : "out of memory");
		sqlite3_finalize(st);
		al_osv_close(o);
		return err->code;
	}
	rc = al_db_step(st, "advisory count", &row, err);
	*records = !rc && row ? (size_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc)
		al_osv_close(o);
	return rc;
}

void al_osv_close(struct al_osv *o)
{
	sqlite3_finalize(o->find);
	sqlite3_finalize(o->record);
	sqlite3_finalize(o->held);
	sqlite3_finalize(o->del);
	sqlite3_finalize(o->put);
	sqlite3_finalize(o->aff);
	sqlite3_close(o->db);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

/* ---------------------------------------------------------------- checking a record */

static enum al_code bad(const char *what, const char *why, struct al_err *err)
{
	return al_fail(err, AL_EINVAL, "advisory '%s' is not an OSV record: %s", what, why);
}

/* An array of strings, or absent. */
static int strings_ok(const json_t *a)
{
	size_t i;
	json_t *v;
	if (!a)
		return 1;
	if (!json_is_array(a))
		return 0;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

/* One range: a type, and events that each hold exactly one known key with a string. */
static enum al_code check_range(const json_t *r, const char *what, struct al_err *err)
{
	static const char *const keys[] = { "introduced", "fixed", "last_affected", "limit" };
	const json_t *ev = json_object_get(r, "events");
	size_t i;
	json_t *e;
	if (!json_is_object(r) || !json_is_string(json_object_get(r, "type")) || !json_is_array(ev) ||
	    !json_array_size(ev))
		return bad(what, "a range without a type or events", err);
	json_array_foreach(ev, i, e) {
		const char *k;
		json_t *v;
		int known = 0;
		if (!json_is_object(e) || json_object_size(e) != 1)
			return bad(what, "an event that is not one key and its version", err);
		json_object_foreach((json_t *)e, k, v)
			for (size_t j = 0; j < 4; j++)
				known |= !strcmp(k, keys[j]) && json_is_string(v);
		if (!known)
			return bad(what, "an event other than introduced, fixed, last_affected or limit", err);
	}
	return AL_OK;
}

static enum al_code check_record(const json_t *r, const char *what, struct al_err *err)
{
	const json_t *aff = json_object_get(r, "affected");
	size_t i, j;
	json_t *a, *rg;
	enum al_code rc;
	if (!json_is_object(r) || !json_is_string(json_object_get(r, "id")) ||
	    !json_string_length(json_object_get(r, "id")) || !json_is_string(json_object_get(r, "modified")))
		return bad(what, "no id or modified", err);
	if (al_json_depth(r) > AL_JSON_MAX_DEPTH)
		return bad(what, "nested too deep", err);
	if (!strings_ok(json_object_get(r, "aliases")) || (aff && !json_is_array(aff)))
		return bad(what, "aliases or affected of the wrong type", err);
	json_array_foreach(aff, i, a) {
		const json_t *pkg = json_object_get(a, "package"), *ranges = json_object_get(a, "ranges");
		if (!json_is_object(a) || (pkg && (!json_is_string(json_object_get(pkg, "ecosystem")) ||
						   !json_is_string(json_object_get(pkg, "name")))))
			return bad(what, "a package without an ecosystem and a name", err);
		if (!strings_ok(json_object_get(a, "versions")) || (ranges && !json_is_array(ranges)))
			return bad(what, "versions or ranges of the wrong type", err);
		json_array_foreach(ranges, j, rg)
			if ((rc = check_range(rg, what, err)))
				return rc;
	}
	return AL_OK;
}

/* ---------------------------------------------------------------- storing */

/* The name a package is indexed under: PEP 503 for PyPI, as given otherwise. Fresh. */
static char *index_name(const char *eco, const char *name)
{
	return al_vorder_of(eco) == AL_VORDER_PEP440 ? al_pep503_normalize(name, strlen(name)) : strdup(name);
}

/* Whether the database already holds ID modified at or after MODIFIED. */
static enum al_code newer_held(struct al_osv *o, const char *id, const char *modified, int *held,
			       struct al_err *err)
{
	enum al_code rc;
	int row = 0;
	*held = 0;
	sqlite3_bind_text(o->held, 1, id, -1, SQLITE_STATIC);
	rc = al_db_step(o->held, "advisory lookup", &row, err);
	if (!rc && row)
		*held = strcmp((const char *)sqlite3_column_text(o->held, 0), modified) >= 0;
	sqlite3_reset(o->held);
	sqlite3_clear_bindings(o->held);
	return rc;
}

/* Runs the prepared ST with up to four text parameters (NULL: not bound). */
static enum al_code run_sql(sqlite3_stmt *st, const char *a, const char *b, const char *c, const char *d,
			    struct al_err *err)
{
	const char *v[] = { a, b, c, d };
	for (int i = 0; i < 4; i++)
		if (v[i])
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	return al_db_run(st, "advisory store", err);
}

/* Replaces what the database holds of record R (checked) with R. */
static enum al_code store_record(struct al_osv *o, const json_t *r, struct al_err *err)
{
	const char *id = al_json_str(r, "id");
	struct al_buf b;
	enum al_code rc;
	size_t i;
	json_t *a;
	al_buf_init(&b, 4 * (size_t)OSV_MAX_RECORD);
	if ((rc = al_json_dump(r, 0, &b, err)) ||
	    (rc = run_sql(o->del, id, NULL, NULL, NULL, err)) ||
	    (rc = run_sql(o->put, id, al_json_str(r, "modified"), b.data, NULL, err)))
		goto out;
	json_array_foreach(json_object_get(r, "affected"), i, a) {
		const json_t *pkg = json_object_get(a, "package");
		char *name;
		if (!pkg)
			continue; /* (a GIT-only entry names no package to match) */
		b.len = 0;
		if (!(name = index_name(al_json_str(pkg, "ecosystem"), al_json_str(pkg, "name")))) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			goto out;
		}
		if (!(rc = al_json_dump(a, 0, &b, err)))
			rc = run_sql(o->aff, id, al_json_str(pkg, "ecosystem"), name, b.data, err);
		free(name);
		if (rc)
			goto out;
	}
out:
	al_buf_release(&b);
	return rc;
}

static enum al_code savepoint(struct al_osv *o, const char *sql, struct al_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(o->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return AL_OK;
	al_fail(err, AL_EIO, "advisory database '%s': %s", o->path, msg ? msg : sqlite3_errmsg(o->db));
	sqlite3_free(msg);
	return AL_EIO;
}

enum al_code al_osv_add(struct al_osv *o, const char *data, size_t n, int yaml, const char *what,
			struct al_osv_stats *st, struct al_err *err)
{
	json_t *r = NULL;
	enum al_code rc;
	int held = 0;
	st->files++;
	rc = yaml ? al_yaml_parse(data, n, what, &r, err) : al_json_parse(data, n, what, &r, err);
	if (!rc)
		rc = check_record(r, what, err);
	if (!rc && json_is_string(json_object_get(r, "withdrawn"))) {
		st->withdrawn++;
		json_decref(r);
		return AL_OK;
	}
	if (!rc)
		rc = newer_held(o, al_json_str(r, "id"), al_json_str(r, "modified"), &held, err);
	if (!rc && held)
		st->older++;
	else if (!rc && !(rc = savepoint(o, "SAVEPOINT osv_record", err))) {
		/* (a record goes in whole or not at all: its affected rows with it) */
		rc = store_record(o, r, err);
		if (rc)
			savepoint(o, "ROLLBACK TO osv_record", NULL);
		if (savepoint(o, "RELEASE osv_record", rc ? NULL : err) && !rc)
			rc = err->code;
		if (!rc)
			st->records++;
	}
	json_decref(r);
	return rc;
}

/* ---------------------------------------------------------------- importing files */

static int is_record_name(const char *name, int *yaml)
{
	size_t n = strlen(name);
	*yaml = (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
	return *yaml || (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in DIR, sorted (so that a tie between two copies of one id is settled the same way). */
static enum al_code list_dir(const char *dir, char ***out, size_t *n, struct al_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	enum al_code rc = AL_OK;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!d)
		return al_fail_errno(err, AL_EIO, "cannot read the advisory directory '%s'", dir);
	while ((e = al_readdir(d, dir, &rc, err))) {
		if (*n == cap) {
			char **g = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof(**out));
			if (!g) {
				rc = al_fail(err, AL_ENOMEM, "out of memory");
				break;
			}
			*out = g;
		}
		if (!((*out)[*n] = strdup(e->d_name))) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (!rc)
		qsort(*out, *n, sizeof(**out), cmp_names);
	return rc;
}

static enum al_code import_file(struct al_osv *o, const char *path, int yaml, struct al_osv_stats *st,
				struct al_err *err)
{
	struct al_buf b;
	enum al_code rc;
	al_buf_init(&b, OSV_MAX_RECORD);
	if (!(rc = al_read_file(path, AL_NOFOLLOW, &b, err)))
		rc = al_osv_add(o, b.data ? b.data : "", b.len, yaml, path, st, err);
	al_buf_release(&b);
	return rc;
}

/* Every record file under DIR, to any depth; links are refused, other files are left alone. */
static enum al_code import_dir(struct al_osv *o, const char *dir, struct al_osv_stats *st, struct al_err *err)
{
	char **names;
	size_t n, i;
	enum al_code rc = list_dir(dir, &names, &n, err);
	for (i = 0; !rc && i < n; i++) {
		char *p = al_join(dir, names[i]);
		struct stat sb;
		int yaml;
		if (!p)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (lstat(p, &sb))
			rc = al_fail_errno(err, AL_EIO, "cannot stat '%s'", p);
		else if (S_ISLNK(sb.st_mode))
			rc = al_fail(err, AL_EINVAL, "'%s' is a symbolic link: advisory data must be plain files", p);
		else if (S_ISDIR(sb.st_mode))
			rc = import_dir(o, p, st, err);
		else if (S_ISREG(sb.st_mode) && is_record_name(names[i], &yaml))
			rc = import_file(o, p, yaml, st, err);
		free(p);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Every *.json or *.yaml member of the zip at PATH (an OSV all.zip), read as a stream. */
static enum al_code import_zip(struct al_osv *o, const char *path, struct al_osv_stats *st, struct al_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct al_buf b;
	enum al_code rc = AL_OK;
	int r;
	if (!a)
		return al_fail(err, AL_ENOMEM, "out of memory");
	archive_read_support_format_zip(a);
	al_buf_init(&b, OSV_MAX_RECORD);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
		rc = al_fail(err, AL_EIO, "cannot read the advisory zip '%s': %s", path, archive_error_string(a));
	while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		char *what;
		int yaml;
		if (archive_entry_filetype(e) != AE_IFREG || !name || !is_record_name(name, &yaml))
			continue;
		b.len = 0;
		if (archive_entry_size(e) > (la_int64_t)OSV_MAX_RECORD) {
			rc = al_fail(err, AL_ELIMIT, "'%s' in '%s' is larger than %u bytes", name, path, OSV_MAX_RECORD);
			break;
		}
		if ((rc = al_buf_grow(&b, (size_t)archive_entry_size(e) + 1, err)))
			break;
		if (archive_read_data(a, b.data, (size_t)archive_entry_size(e)) != archive_entry_size(e)) {
			rc = al_fail(err, AL_EIO, "cannot read '%s' in '%s': %s", name, path, archive_error_string(a));
			break;
		}
		if (!(what = al_strf("%s:%s", path, name)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else
			rc = al_osv_add(o, b.data, (size_t)archive_entry_size(e), yaml, what, st, err);
		free(what);
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = al_fail(err, AL_EIO, "the advisory zip '%s' is damaged: %s", path, archive_error_string(a));
	al_buf_release(&b);
	archive_read_free(a);
	return rc;
}

enum al_code al_osv_import(struct al_osv *o, const char *path, struct al_osv_stats *st, struct al_err *err)
{
	struct stat sb;
	enum al_code rc;
	char *msg = NULL;
	if (stat(path, &sb))
		return al_fail_errno(err, AL_ENOENT, "cannot read the advisory data '%s'", path);
	if (sqlite3_exec(o->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK) {
		al_fail(err, AL_EIO, "advisory database '%s': %s", o->path, msg);
		sqlite3_free(msg);
		return err->code;
	}
	rc = S_ISDIR(sb.st_mode) ? import_dir(o, path, st, err) : import_zip(o, path, st, err);
	if (sqlite3_exec(o->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, &msg) != SQLITE_OK && !rc)
		rc = al_fail(err, AL_EIO, "advisory database '%s': %s", o->path, msg);
	sqlite3_free(msg);
	return rc;
}
