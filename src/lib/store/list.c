/* SPDX-License-Identifier: Apache-2.0 */
/*
 * list.c: what the store holds, as JSON for `airlock store ls`: bundles,
 * artifacts, custody, events and totals, read in one transaction so that the
 * lists agree with each other.
 */
#include "store_internal.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "json.h"

/*
 * Column I of the current row as JSON; NULL with err set when it cannot be
 * read. The columns "info", "signers", "sources", "channels", "gates" and "tags" hold JSON as text: an empty text is
 * no value, and a text that does not parse is an error, never a quiet null.
 */
static int json_column(const char *name)
{
	static const char *const names[] = { "info", "signers", "sources", "channels", "gates", "tags" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

static json_t *column(sqlite3_stmt *st, int i, struct al_err *err)
{
	const char *name = sqlite3_column_name(st, i), *text;
	json_error_t jerr;
	json_t *j;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		j = json_integer(sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT: /* a number, not the text of one */
		j = json_real(sqlite3_column_double(st, i));
		break;
	case SQLITE_NULL:
		j = json_null();
		break;
	default:
		text = (const char *)sqlite3_column_text(st, i);
		if (!text)
			j = NULL;
		else if (!json_column(name))
			j = al_json_text(text);
		else if (!*text)
			j = json_null();
		else if (!(j = json_loads(text, 0, &jerr))) {
			al_fail(err, AL_ESTORE, "catalog: column '%s' holds malformed JSON (%s at offset %d): run 'airlock store fsck'",
				name, jerr.text, jerr.position);
			return NULL;
		}
	}
	if (!j)
		al_fail(err, AL_ENOMEM, "out of memory");
	return j;
}

json_t *al_store_rows_of(sqlite3_stmt *st, struct al_err *err)
{
	json_t *arr = json_array();
	enum al_code rc = AL_OK;
	int row = 0;
	if (!arr) {
		sqlite3_finalize(st);
		al_fail(err, AL_ENOMEM, "out of memory");
		return NULL;
	}
	while (!(rc = al_db_step(st, "listing the store", &row, err)) && row) {
		json_t *o = json_object();
		if (!o || json_array_append_new(arr, o)) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		for (int i = 0; i < sqlite3_column_count(st) && !rc; i++) {
			json_t *val = column(st, i, err);
			if (!val || json_object_set_new(o, sqlite3_column_name(st, i), val))
				rc = val ? al_fail(err, AL_ENOMEM, "out of memory") : AL_ESTORE;
		}
		if (rc)
			break;
	}
	sqlite3_finalize(st);
	if (rc) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *al_store_rows(sqlite3 *db, const char *sql, struct al_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		al_db_fail(db, "prepare", err);
		return NULL;
	}
	return al_store_rows_of(st, err);
}

enum al_code al_store_list(struct al_store *s, json_t **out, struct al_err *err)
{
	json_t *b = NULL, *a = NULL, *e = NULL, *tot = NULL, *c = NULL;
	enum al_code rc;
	*out = NULL;
	/* one read transaction: the lists agree with each other */
	if ((rc = al_store_exec_q(s, AL_SQL_BEGIN_READ, err)))
		return rc;
	if ((b = al_store_rows(s->db, al_sql(AL_SQL_LIST_BUNDLES), err)) &&
	    (a = al_store_rows(s->db, al_sql(AL_SQL_LIST_ARTIFACTS),
		      err)) &&
	    (e = al_store_rows(s->db, al_sql(AL_SQL_LIST_EVENTS),
		      err)) &&
	    (tot = al_store_rows(s->db, al_sql(AL_SQL_LIST_TOTALS), err)))
		c = al_store_rows(s->db, al_sql(AL_SQL_LIST_CUSTODY), err);
	if (!c || json_array_size(tot) != 1)
		rc = al_fail(err, AL_ESTORE, "catalog '%s/catalog.db': cannot list the store", s->root);
	else
		rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
	if (rc) {
		al_store_rollback(s);
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

enum al_code al_store_inventory(struct al_store *s, int64_t now, json_t **out, struct al_err *err)
{
	json_t *blobs;
	char when[32];
	*out = NULL;
	if (!(blobs = al_store_rows(s->db, al_sql(AL_SQL_INVENTORY), err)))
		return err->code ? err->code : AL_ESTORE;
	al_time_fmt(now, when);
	*out = json_pack("{s:i, s:s, s:o}", "airlock_inventory", 1, "created", when, "blobs", blobs);
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

static int cmp_id(const void *key, const void *elem)
{
	json_int_t k = *(const json_int_t *)key;
	json_int_t e = json_integer_value(json_object_get(*(json_t *const *)elem, "id"));
	return (k > e) - (k < e);
}

/* Hangs each blob row on its artifact (arts: sorted by id, as the query returns them). */
static enum al_code attach_blobs(json_t *arts, json_t *blobs, struct al_err *err)
{
	size_t n = json_array_size(arts), i;
	json_t **v = calloc(n + 1, sizeof(*v)), *b, **a;
	enum al_code rc = v ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	for (i = 0; i < n && !rc; i++)
		if (json_object_set_new((v[i] = json_array_get(arts, i)), "blobs", json_array()))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_array_foreach(blobs, i, b) {
		json_int_t id = json_integer_value(json_object_get(b, "artifact"));
		if (rc)
			break;
		if (!json_is_integer(json_object_get(b, "size")))
			rc = al_fail(err, AL_ESTORE, "catalog: an artifact names the blob %s, which the catalog does not record: run 'airlock store fsck'",
				     al_json_str(b, "digest"));
		else if ((a = n ? bsearch(&id, v, n, sizeof(*v), cmp_id) : NULL) &&
			 (json_object_del(b, "artifact") || json_array_append(json_object_get(*a, "blobs"), b)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	free(v);
	return rc;
}

enum al_code al_store_contents(struct al_store *s, json_t **out, struct al_err *err)
{
	json_t *a = NULL, *b = NULL;
	enum al_code rc;
	*out = NULL;
	if ((rc = al_store_exec_q(s, AL_SQL_BEGIN_READ, err)))
		return rc;
	if ((a = al_store_rows(s->db, al_sql(AL_SQL_CONTENTS), err)))
		b = al_store_rows(s->db, al_sql(AL_SQL_CONTENTS_BLOBS), err);
	rc = b ? al_store_exec_q(s, AL_SQL_COMMIT, err) : err->code;
	if (!rc)
		rc = attach_blobs(a, b, err);
	if (rc) {
		al_store_rollback(s);
		json_decref(a);
	} else {
		*out = a;
	}
	json_decref(b);
	return rc;
}

/* Whether an artifact is selected: no patterns, or one matching NAME or KIND/NAME (which it marks hit). */
static int selected(const json_t *a, char *const *patterns, unsigned char *hit)
{
	const char *kind = al_json_str(a, "kind"), *name = al_json_str(a, "name");
	char *kn = kind && name ? al_strf("%s/%s", kind, name) : NULL;
	int any = !patterns;
	for (size_t i = 0; patterns && patterns[i]; i++)
		if ((name && !fnmatch(patterns[i], name, 0)) || (kn && !fnmatch(patterns[i], kn, 0))) {
			hit[i] = 1;
			any = 1;
		}
	free(kn);
	return any;
}

enum al_code al_store_select(const json_t *contents, char *const *patterns, const char *what, json_t **out,
			     struct al_err *err)
{
	size_t np = 0, i;
	unsigned char *hit;
	const json_t *a;
	enum al_code rc = AL_OK;
	while (patterns && patterns[np])
		np++;
	hit = calloc(np + 1, 1);
	*out = json_array();
	if (!hit || !*out) {
		free(hit);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	json_array_foreach(contents, i, a)
		if (selected(a, patterns, hit) && json_array_append(*out, (json_t *)a))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (i = 0; i < np && !rc; i++)
		if (!hit[i])
			rc = al_fail(err, AL_ENOENT, "no artifact of the store matches '%s' (its NAME or KIND/NAME; see 'airlock store ls')",
				     patterns[i]);
	if (!rc && !json_array_size(*out))
		rc = al_fail(err, AL_ENOENT, "the store holds no artifact %s", what);
	free(hit);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}
