/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog.c: stepping SQLite statements so that every failure is an error
 * (catalog.h). Never prints; never reads a failed step as the end of rows.
 */
#include "catalog.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsx.h"

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

enum al_code al_catalog_open_read(const char *root, int extra, sqlite3 **out, struct al_err *err)
{
	char *path = al_join(root, "catalog.db"), *uri = NULL;
	enum al_code rc = AL_OK;
	*out = NULL;
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (access(root, W_OK) != 0) {
		/* no WAL index can be made here: read the file as it is */
		struct al_buf u;
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
	}
	if (sqlite3_open_v2(uri ? uri : path, out, SQLITE_OPEN_READONLY | extra | (uri ? SQLITE_OPEN_URI : 0), NULL) !=
	    SQLITE_OK)
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
