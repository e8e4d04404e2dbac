/* SPDX-License-Identifier: Apache-2.0 */
/* evaldb.c: eval runs in the catalog, and the eval gate of a promotion (store.h, docs/cmd/eval.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "fsx.h"
#include "json.h"
#include "store_internal.h"

static enum al_code add_result(struct al_store *s, int64_t run, size_t i, const struct al_golden_pair *p,
			       const struct al_eval_result *r, struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc = al_store_prepare(s, AL_SQL_ADD_EVAL_RESULT, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
	sqlite3_bind_text(st, 3, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->tags, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, r->score);
	sqlite3_bind_int(st, 6, r->pass);
	sqlite3_bind_double(st, 7, r->latency);
	sqlite3_bind_text(st, 8, r->error, -1, SQLITE_STATIC); /* NULL binds NULL */
	sqlite3_bind_text(st, 9, r->answer, -1, SQLITE_STATIC);
	rc = al_db_run(st, "recording an eval result", err);
	sqlite3_finalize(st);
	return rc;
}

static enum al_code add_run(struct al_store *s, const struct al_eval_record *r, int64_t *id, struct al_err *err)
{
	sqlite3_stmt *st;
	char when[32];
	enum al_code rc = al_store_prepare(s, AL_SQL_ADD_EVAL_RUN, &st, err);
	if (rc)
		return rc;
	al_time_fmt(r->run->started, when);
	sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->release ? r->release : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->golden->digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->run->n);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->run->passed);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)r->run->errors);
	sqlite3_bind_double(st, 9, r->run->score);
	sqlite3_bind_double(st, 10, r->run->seconds);
	sqlite3_bind_text(st, 11, r->actor ? r->actor : "", -1, SQLITE_STATIC);
	if (!(rc = al_db_run(st, "recording an eval run", err)))
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return rc;
}

enum al_code al_eval_record(struct al_store *s, const struct al_eval_record *r, int64_t *id, struct al_err *err)
{
	enum al_code rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err);
	if (rc)
		return rc;
	rc = add_run(s, r, id, err);
	for (size_t i = 0; !rc && i < r->run->n; i++)
		rc = add_result(s, *id, i, &r->golden->pairs[i], &r->run->results[i], err);
	if (!rc)
		rc = al_store_log_event(s, "eval", r->release && *r->release ? r->release : r->model, r->run->errors ? "errors" : "ok",
					r->golden->digest, err);
	if (!rc)
		rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
	if (rc)
		al_store_rollback(s);
	return rc;
}

enum al_code al_eval_latest(struct al_store *s, const char *release, const char *golden, double *score, int64_t *id,
			    int *found, struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc = al_store_prepare(s, AL_SQL_EVAL_LATEST, &st, err);
	*found = 0;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, release, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, golden, -1, SQLITE_STATIC);
	if (!(rc = al_db_step(st, "reading the eval runs", found, err)) && *found) {
		*id = sqlite3_column_int64(st, 0);
		*score = sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	return rc;
}

static enum al_code with_pairs(struct al_store *s, json_t *runs, struct al_err *err)
{
	size_t i;
	json_t *r;
	enum al_code rc = AL_OK;
	json_array_foreach(runs, i, r) {
		sqlite3_stmt *st;
		json_t *pairs;
		if ((rc = al_store_prepare(s, AL_SQL_EVAL_RESULTS, &st, err)))
			break;
		sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(r, "id")));
		if (!(pairs = al_store_rows_of(st, err)) || json_object_set_new(r, "pairs", pairs)) {
			rc = err->code ? err->code : al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
	}
	return rc;
}

enum al_code al_eval_list(struct al_store *s, const char *release, size_t limit, int pairs, json_t **out,
			  struct al_err *err)
{
	sqlite3_stmt *st;
	json_t *runs = NULL;
	enum al_code rc = al_store_prepare(s, AL_SQL_LIST_EVAL_RUNS, &st, err);
	*out = NULL;
	if (rc)
		return rc;
	if (release)
		sqlite3_bind_text(st, 1, release, -1, SQLITE_STATIC);
	if (!(runs = al_store_rows_of(st, err)))
		return err->code ? err->code : al_fail(err, AL_ESTORE, "cannot read the eval runs");
	while (limit && json_array_size(runs) > limit)
		json_array_remove(runs, json_array_size(runs) - 1);
	if (pairs)
		rc = with_pairs(s, runs, err);
	if (!rc && !(*out = json_pack("{s:s, s:O}", "store", s->root, "runs", runs)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(runs);
	return rc;
}

/* The pairs that passed in run BASE and fail in run RUN, appended to OUT as "; regressed: a, b". */
static enum al_code regressed(struct al_store *s, int64_t run, int64_t base, char *out, size_t cap, struct al_err *err)
{
	sqlite3_stmt *st;
	size_t n = strlen(out), count = 0;
	int row = 0;
	enum al_code rc = al_store_prepare(s, AL_SQL_EVAL_REGRESSED, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, base);
	while (!(rc = al_db_step(st, "reading the eval results", &row, err)) && row) {
		if (n + 80 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%.64s", count ? ", " : "; regressed: ", sqlite3_column_text(st, 0));
		else if (n + 8 < cap && !strstr(out, ", …"))
			n += (size_t)snprintf(out + n, cap - n, ", …");
		count++;
	}
	sqlite3_finalize(st);
	return rc;
}

/* One side of the comparison, or the gate's failure when it has no complete run. */
static enum al_code side(struct al_store *s, const char *release, const char *golden, const char *role, double *score,
			 int64_t *id, char *why, size_t cap, struct al_err *err)
{
	int found;
	enum al_code rc = al_eval_latest(s, release, golden, score, id, &found, err);
	if (!rc && !found)
		snprintf(why, cap,
			 "%s release '%s' has no eval run on golden set %.19s… without errors: run 'airlock eval run --release %s --golden …' first",
			 role, release, golden, release);
	return rc;
}

enum al_code al_eval_gate(struct al_store *s, const struct al_promote_opts *o, const char *current, json_t *gates,
			  int *failed, struct al_err *err)
{
	double cand = 0, base = 0;
	int64_t cand_id = 0, base_id = 0;
	char why[512] = "", detail[900];
	int ok;
	enum al_code rc = side(s, o->release, o->eval_golden, "the candidate", &cand, &cand_id, why, sizeof(why), err);
	if (!rc && !why[0] && current && strcmp(current, o->release))
		rc = side(s, current, o->eval_golden, "the channel's", &base, &base_id, why, sizeof(why), err);
	if (rc)
		return rc;
	if (why[0]) {
		ok = 0;
		snprintf(detail, sizeof(detail), "%s", why);
	} else if (!current || !strcmp(current, o->release)) {
		ok = 1;
		snprintf(detail, sizeof(detail), "score %.4f; '%s' has no release to compare with", cand, o->channel);
	} else {
		ok = cand >= base - o->tolerance - 1e-9;
		snprintf(detail, sizeof(detail), "score %.4f %s %.4f of '%s' (release '%s') minus the tolerance %.4f", cand,
			 ok ? ">=" : "<", base, o->channel, current, o->tolerance);
		if ((rc = regressed(s, cand_id, base_id, detail, sizeof(detail), err)))
			return rc;
	}
	*failed |= !ok;
	if (json_array_append_new(gates, json_pack("{s:s, s:b, s:s}", "gate", "eval", "ok", ok, "detail", detail)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}
