/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pypi.c: the index pages (src/lib/pypi.h) are whole or not written.
 * A catalog is made by hand with the columns the page builder reads (not by
 * the store code), holding one wheel. A page that fits is written with its
 * link; a page that does not fit its buffer's cap (a Requires-Python that
 * grows past 64 MiB when HTML-escaped) makes al_pypi_rebuild fail with
 * AL_ELIMIT instead of storing a truncated page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pypi.h"
#include "sources.h"
#include "unit.h"

static sqlite3 *catalog(const char *requires, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	char *info;
	static const char head[] = "{\"project\":\"demo\",\"version\":\"1.0\",\"filename\":\"demo-1.0-py3-none-any.whl\","
				   "\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
				   "\"requiresPython\":\"";
	static const char ddl[] =
		"CREATE TABLE bundles(id INTEGER PRIMARY KEY, created TEXT NOT NULL);"
		"CREATE TABLE artifacts(id INTEGER PRIMARY KEY, bundle_id INTEGER NOT NULL, kind TEXT NOT NULL,"
		" info TEXT NOT NULL);"
		"CREATE TABLE blobs(digest TEXT PRIMARY KEY, size INTEGER NOT NULL);"
		"CREATE TABLE artifact_blobs(artifact_id INTEGER NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL);"
		"CREATE TABLE pypi_pages(project TEXT PRIMARY KEY, html TEXT NOT NULL, json TEXT NOT NULL);"
		"CREATE TABLE release_artifacts(release_id INTEGER NOT NULL, artifact_id INTEGER NOT NULL);"
		"INSERT INTO release_artifacts VALUES(7, 1);"
		"INSERT INTO bundles VALUES(1, '2026-01-01T00:00:00Z');"
		"INSERT INTO blobs VALUES('sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 10);";
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_exec(db, ddl, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("cannot make the catalog");
	info = malloc(sizeof(head) + n + 3);
	if (!info)
		fail_msg("out of memory");
	memcpy(info, head, sizeof(head) - 1);
	memcpy(info + sizeof(head) - 1, requires, n);
	memcpy(info + sizeof(head) - 1 + n, "\"}", 3);
	if (sqlite3_prepare_v2(db, "INSERT INTO artifacts VALUES(1, 1, 'wheel', ?1)", -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare");
	sqlite3_bind_text(st, 1, info, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("insert");
	sqlite3_finalize(st);
	free(info);
	if (sqlite3_prepare_v2(db, "INSERT INTO artifact_blobs VALUES(1, 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', ?1)",
			       -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare");
	sqlite3_bind_text(st, 1, AL_MT_WHEEL, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("insert");
	sqlite3_finalize(st);
	return db;
}

static int pages(sqlite3 *db)
{
	sqlite3_stmt *st;
	int n = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pypi_pages", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_page_written(void **state)
{
	sqlite3 *db = catalog(">=3.8", 5);
	struct al_err err = { 0 };
	sqlite3_stmt *st;
	assert_int_equal(al_pypi_rebuild(db, &err), AL_OK);
	assert_int_equal(pages(db), 2);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT html FROM pypi_pages WHERE project = 'demo'", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_contains((const char *)sqlite3_column_text(st, 0),
			"href=\"../../packages/demo-1.0-py3-none-any.whl#sha256=aaaa");
	assert_contains((const char *)sqlite3_column_text(st, 0), "data-requires-python=\"&gt;=3.8\"");
	assert_contains((const char *)sqlite3_column_text(st, 0), "</body></html>");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Collects the projects al_pypi_build hands over, as "a,b,…" ("" is the root). */
static enum al_code collect(void *ctx, const char *project, const char *html, size_t hlen, const char *json,
			    struct al_err *err)
{
	char *got = ctx;
	size_t n = strlen(got);
	(void)html, (void)hlen, (void)json, (void)err;
	snprintf(got + n, 256 - n, "[%s]", project);
	return AL_OK;
}

/* A release's pages hold its wheels only (serve --channel); without one, every wheel. */
static void test_pages_of_release(void **state)
{
	sqlite3 *db = catalog(">=3.8", 5);
	struct al_err err = { 0 };
	char got[256] = "";
	assert_int_equal(al_pypi_build(db, 7, collect, got, &err), AL_OK);
	assert_string_equal(got, "[demo][]");
	got[0] = '\0';
	assert_int_equal(al_pypi_build(db, 8, collect, got, &err), AL_OK); /* pins no wheel */
	assert_string_equal(got, "[]");
	got[0] = '\0';
	assert_int_equal(al_pypi_build(db, -1, collect, got, &err), AL_OK);
	assert_string_equal(got, "[demo][]");
	assert_int_equal(pages(db), 0); /* a build writes nothing itself */
	sqlite3_close(db);
}

/* 14 MiB of "'" is 70 MiB as &#39;: past the page's 64 MiB cap */
static void test_page_too_big(void **state)
{
	size_t n = 14u << 20;
	char *q = malloc(n);
	sqlite3 *db;
	struct al_err err = { 0 };
	if (!q)
		fail_msg("out of memory");
	memset(q, '\'', n);
	db = catalog(q, n);
	free(q);
	assert_int_equal(al_pypi_rebuild(db, &err), AL_ELIMIT);
	assert_contains(err.msg, "index page of 'demo'");
	assert_int_equal(pages(db), 0);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_written),
		cmocka_unit_test(test_page_too_big),
		cmocka_unit_test(test_pages_of_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
