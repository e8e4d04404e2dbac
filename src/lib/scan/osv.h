/* SPDX-License-Identifier: Apache-2.0 */
/*
 * osv.h: OSV advisory records in SQLite, and matching a package version against them
 * (docs/protocols/osv.md).
 *
 * Records come as JSON or YAML files, from a directory (searched to any depth) or from
 * a zip as OSV exports them (an ecosystem's all.zip). Each is checked before it is kept:
 * a record that is not OSV (no id, events that are not one of introduced, fixed,
 * last_affected or limit, a package without an ecosystem) is an error naming the file,
 * never skipped. Withdrawn records are counted and left out. When two files hold the
 * same id, the one modified last is kept.
 *
 * The affected packages are indexed by (ecosystem, name): a match reads only the rows
 * of its own package. PyPI names are kept and looked up PEP 503 normalized.
 *
 * A version is affected when it is listed in an entry's `versions`, or when a range of
 * type ECOSYSTEM or SEMVER holds it under the ecosystem's order (vercmp.h), by OSV's
 * evaluation: the events sorted by version, `introduced` "0" first; a version at or after
 * `introduced` is affected, at or after `fixed` or after `last_affected` not, and nothing
 * at or after a `limit`. A range whose events the order cannot read (a PyPI record with
 * "2019-09-12") cannot be ruled out, so it counts as affecting, with a note that says
 * why. GIT ranges need the repository's history and are not evaluated (OSV's exports list
 * the affected tags in `versions`).
 */
#ifndef AL_OSV_H
#define AL_OSV_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>

#include "err.h"

struct al_osv {
	sqlite3 *db;
	char *path;       /* for messages */
	sqlite3_stmt *find, *record;
	sqlite3_stmt *held, *del, *put, *aff; /* the import's statements (NULL when opened read-only) */
};

struct al_osv_stats {
	size_t files;     /* record files read */
	size_t records;   /* kept */
	size_t withdrawn; /* left out */
	size_t older;     /* left out: a later version of the same id was kept */
};

/* Opens (creating) the database at PATH, or one in memory when PATH is NULL. */
enum al_code al_osv_open(const char *path, struct al_osv *o, struct al_err *err);
/* Opens an advisory database made by al_osv_open(PATH) read-only; *records is how many
 * records it holds. A file that is not one is AL_EINVAL. */
enum al_code al_osv_open_ro(const char *path, struct al_osv *o, size_t *records, struct al_err *err);
/* Whether PATH is an SQLite file (by its first 16 bytes). */
int al_osv_is_db(const char *path);
void al_osv_close(struct al_osv *o);

/* Imports every record under PATH (a directory or a zip), in one transaction. */
enum al_code al_osv_import(struct al_osv *o, const char *path, struct al_osv_stats *st, struct al_err *err);
/* Imports one record file's text (YAML when YAML is set); WHAT names it in messages. */
enum al_code al_osv_add(struct al_osv *o, const char *data, size_t n, int yaml, const char *what,
			struct al_osv_stats *st, struct al_err *err);

/*
 * The records that affect VERSION of ECOSYSTEM/NAME: *hits is a new array (caller
 * json_decref) of {"id", "aliases": [...], "record": {the OSV record}, "severity":
 * {"rating", "score"?, "vector"?, "source"}, "fixed": [...], "note"?}, in id order, one per
 * id. An error of the database or of a stored record is an error, never "no match".
 */
enum al_code al_osv_match(struct al_osv *o, const char *ecosystem, const char *name, const char *version,
			  json_t **hits, struct al_err *err);

/*
 * The severity of one record: the highest CVSS score (v2, v3 or v4, cvss.h) of its
 * `severity` (and its affected entries' `severity`), computed from the vector; else the
 * rating the record itself gives (database_specific.severity, e.g. GitHub's "HIGH"), else
 * an Ubuntu priority; else "UNKNOWN". New object {"rating", "score"?, "vector"?, "source"}.
 * A CVSS vector that does not parse is an error.
 */
enum al_code al_osv_severity(const json_t *record, json_t **out, struct al_err *err);

#endif
