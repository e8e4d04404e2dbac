/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_internal.h: what the store's files share (open.c, import.c, fsck.c,
 * gc.c, list.c, policy.c, push.c, util.c) and nothing outside the store
 * sees: the store's struct, and the few helpers every writer uses. The SQL
 * text itself lives in catalog.c.
 */
#ifndef AL_STORE_INTERNAL_H
#define AL_STORE_INTERNAL_H

#include <dirent.h>
#include <sqlite3.h>

#include "catalog.h"
#include "store.h"

struct al_store {
	char *root;
	sqlite3 *db;
	int lock_fd; /* the writer lock on ROOT/lock, or -1 for a reader */
};

/* Test-only fault injection: AIRLOCK_FAULT=<point> kills the process there, as a crash would. */
void al_store_fault(const char *name);

/* Runs SQL (no rows; several statements allowed): AL_ESTORE naming the catalog on failure. */
enum al_code al_store_exec(struct al_store *s, const char *sql, struct al_err *err);
/* Runs the named statement Q of catalog.c, as al_store_exec does. */
enum al_code al_store_exec_q(struct al_store *s, enum al_sql q, struct al_err *err);
/* Prepares the named statement Q into *st (the caller finalizes; *st is NULL on failure). */
enum al_code al_store_prepare(struct al_store *s, enum al_sql q, sqlite3_stmt **st, struct al_err *err);
/* Rolls back the open transaction; its own failure cannot change an error already being reported. */
void al_store_rollback(struct al_store *s);

/* The current time as RFC 3339 UTC, for the catalog's rows. */
void al_store_stamp(char out[32]);
/* Records one event in the catalog's log; the caller decides whether a failure matters
 * (it does inside a transaction). All strings borrowed; DETAIL may be NULL. */
enum al_code al_store_log_event(struct al_store *s, const char *action, const char *subject, const char *result,
				const char *detail, struct al_err *err);

/*
 * Every row of SQL as a JSON array of objects, named by the columns; the columns that hold
 * JSON as text (info, signers, sources, channels, gates) parsed. NULL with err set when the
 * query fails at any row or a JSON column does not parse.
 */
json_t *al_store_rows(sqlite3 *db, const char *sql, struct al_err *err);
/* As al_store_rows, for a statement prepared (and bound) by the caller; it is finalized. */
json_t *al_store_rows_of(sqlite3_stmt *st, struct al_err *err);

/*
 * Opens ROOT/NAME for listing: *path (the caller frees it) and *d (closedir) on success,
 * both NULL on error. A directory that cannot be opened is an error naming it, except
 * that with MISSING_OK a directory that does not exist is AL_ENOENT with no error set.
 */
enum al_code al_store_open_dir(struct al_store *s, const char *name, int missing_ok, char **path, DIR **d,
			       struct al_err *err);
/* Removes every leftover of an interrupted import in ROOT/tmp (writer lock held); *count, when
 * set, is increased by the number of entries removed. A tmp/ that cannot be listed is an error. */
enum al_code al_store_clean_tmp(struct al_store *s, size_t *count, struct al_err *err);

/* The eval gate of a promotion (evaldb.c): appends {"gate": "eval", …} to GATES, sets *failed
 * when it fails; CURRENT is the channel's release, or NULL. */
enum al_code al_eval_gate(struct al_store *s, const struct al_promote_opts *o, const char *current, json_t *gates,
			  int *failed, struct al_err *err);

#endif
