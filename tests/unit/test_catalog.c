/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_catalog.c: the one step helper (src/lib/store/catalog.h): a row is a row,
 * the end is the end, and every other result of sqlite3_step — here an
 * error raised while the rows are produced — is AL_ESTORE with SQLite's
 * message, never an end of rows. A write that returns a row is an error too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "catalog.h"
#include "unit.h"

static sqlite3 *open_mem(void)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		fail_msg("cannot open an in-memory database");
	return db;
}

static void test_rows_then_done(void **state)
{
	sqlite3 *db = open_mem();
	sqlite3_stmt *st;
	struct al_err err = { 0 };
	int row = -1, n = 0;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT 1 UNION ALL SELECT 2", -1, &st, NULL), SQLITE_OK);
	while (!al_db_step(st, "two rows", &row, &err) && row)
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(row, 0);
	assert_int_equal(err.code, AL_OK);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* rows, then an error in the middle: the loop must end on AL_ESTORE, not as if done */
static void test_error_mid_rows(void **state)
{
	sqlite3 *db = open_mem();
	sqlite3_stmt *st;
	struct al_err err = { 0 };
	enum al_code rc;
	int row = -1, n = 0;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT abs(1) UNION ALL SELECT abs(-9223372036854775808)", -1, &st,
					    NULL),
			 SQLITE_OK);
	while (!(rc = al_db_step(st, "reading the numbers", &row, &err)) && row)
		n++;
	assert_int_equal(n, 1);
	assert_int_equal(rc, AL_ESTORE);
	assert_int_equal(row, 0);
	assert_contains(err.msg, "reading the numbers: integer overflow");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_run(void **state)
{
	sqlite3 *db = open_mem();
	sqlite3_stmt *st;
	struct al_err err = { 0 };
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(a INTEGER NOT NULL)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int(st, 1, 7);
	assert_int_equal(al_db_run(st, "inserting", &err), AL_OK);
	/* the bindings were cleared: NULL violates NOT NULL */
	assert_int_equal(al_db_run(st, "inserting again", &err), AL_ESTORE);
	assert_contains(err.msg, "inserting again: NOT NULL constraint failed");
	sqlite3_finalize(st);
	al_err_clear(&err);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT a FROM t", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(al_db_run(st, "a write", &err), AL_ESTORE);
	assert_contains(err.msg, "a write returned a row");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_then_done),
		cmocka_unit_test(test_error_mid_rows),
		cmocka_unit_test(test_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
