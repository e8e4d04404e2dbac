/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c: the store's trust policy, kept in the catalog: set (recorded in
 * the event log, in one transaction) and read back (AL_ENOENT only when the
 * query ran to its end without a row).
 */
#include "store_internal.h"

#include <string.h>

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
		return al_db_fail(s->db, "prepare", err);
	}
	sqlite3_bind_text(st, 1, b.data, (int)b.len, SQLITE_STATIC);
	if (!(rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err))) {
		rc = al_db_run(st, "write failed", err);
		if (!rc)
			rc = al_store_log_event(s, "trust", s->root, "set", b.data, err);
		if (!rc)
			rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
		if (rc)
			al_store_rollback(s);
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
	if ((rc = al_store_prepare(s, AL_SQL_GET_TRUST, &st, err)))
		return rc;
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
