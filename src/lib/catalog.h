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
enum { AL_CATALOG_VERSION = 2 };

/*
 * Opens ROOT/catalog.db for reading only: it never creates, migrates or writes
 * anything. SQLite's WAL index needs a writable directory; where the store's
 * directory cannot be written (a read-only mount, someone else's store) the
 * catalog is opened immutable, which reads the file as it is. EXTRA is added
 * to the open flags (SQLITE_OPEN_NOMUTEX or SQLITE_OPEN_FULLMUTEX). The
 * caller closes *out with sqlite3_close (also on failure, when set).
 */
enum al_code al_catalog_open_read(const char *root, int extra, sqlite3 **out, struct al_err *err);

#endif
