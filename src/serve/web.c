/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web.c: the / page (built with the snapshot, so a request only sends it)
 * and /metrics (Prometheus text format 0.0.4, docs/protocols/prometheus.md).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog.h"
#include "fsx.h"
#include "serve.h"
#include "spec.h"
#include "sv_internal.h"

static const char style[] =
	"<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;"
	"text-align:left;vertical-align:top}th{background:#f3f3f3}code{font-size:12px}"
	".warn{color:#a40}h2{margin-top:1.5em}</style>";

static void cell(struct al_buf *b, const char *s)
{
	al_buf_adds(b, "<td>", NULL);
	al_buf_add_html(b, s ? s : "", NULL);
	al_buf_adds(b, "</td>", NULL);
}

static void code_cell(struct al_buf *b, const char *s)
{
	al_buf_adds(b, "<td><code>", NULL);
	al_buf_add_html(b, s ? s : "", NULL);
	al_buf_adds(b, "</code></td>", NULL);
}

static const char *text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* The signers JSON import recorded ({"role":{"keys":[…],"threshold":k,"of":n,…}}) as
 * "role: k of n: KEY, KEY" lines. */
static void signers_cell(struct al_buf *b, const char *js, int unsigned_)
{
	json_t *j, *v, *key;
	const char *role;
	size_t i;
	int first = 1;
	al_buf_adds(b, "<td>", NULL);
	if (unsigned_) {
		al_buf_adds(b, "<span class=\"warn\">UNSIGNED (imported with --allow-unsigned)</span></td>", NULL);
		return;
	}
	j = json_loads(js, 0, NULL);
	json_object_foreach(j, role, v) {
		json_int_t k = json_integer_value(json_object_get(v, "threshold")), n = json_integer_value(json_object_get(v, "of"));
		if (!first)
			al_buf_adds(b, "<br>", NULL);
		first = 0;
		al_buf_add_html(b, role, NULL);
		al_buf_addf(b, NULL, ": %lld of %lld", (long long)k, (long long)n);
		if (json_is_false(json_object_get(v, "satisfied")))
			al_buf_adds(b, " <span class=\"warn\">(not satisfied)</span>", NULL);
		al_buf_adds(b, ":", NULL);
		json_array_foreach(json_object_get(v, "keys"), i, key) {
			al_buf_adds(b, i ? ", <code>" : " <code>", NULL);
			al_buf_add_html(b, json_is_string(key) ? json_string_value(key) : "?", NULL);
			al_buf_adds(b, "</code>", NULL);
		}
	}
	if (first && js[0])
		al_buf_add_html(b, js, NULL);
	json_decref(j);
	al_buf_adds(b, "</td>", NULL);
}

enum al_code sv_home_build(sqlite3 *db, struct sv_snap *s, struct al_err *err)
{
	struct al_buf b;
	sqlite3_stmt *st;
	enum al_code rc = AL_OK;
	int row = 0;
	static const char *const kinds[] = { "model", "image", "wheel", "file", "vulndb" };
	static const char *const kind_titles[] = { "Models", "Images", "Python wheels", "Files", "Vulnerability data" };
	al_buf_init(&b, 256u << 20);
	al_buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>airlock store</title>", NULL);
	al_buf_adds(&b, style, NULL);
	al_buf_adds(&b, "</head><body><h1>airlock store</h1>\n<p>", NULL);
	al_buf_addf(&b, NULL, "%llu blobs, %llu bytes. Endpoints: <code>/v2/</code> (OCI), <code>/simple/</code> (PyPI),"
			      " <code>/api/models/</code> (Hugging Face), <code>/metrics</code>.</p>\n",
		    (unsigned long long)s->store_blobs, (unsigned long long)s->store_bytes);

	for (size_t k = 0; !rc && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int rows = 0;
		if ((rc = al_catalog_prepare(db, AL_Q_HOME_ARTIFACTS, &st, err)))
			break;
		sqlite3_bind_text(st, 1, kinds[k], -1, SQLITE_STATIC);
		while (!(rc = al_db_step(st, "reading the artifacts for the / page", &row, err)) && row) {
			char ver[32];
			if (!rows++) {
				al_buf_addf(&b, NULL, "<h2 id=\"%s\">%s</h2>\n<table><tr><th>name</th><th>upstream</th>"
						      "<th>digest</th><th>bytes</th><th>bundle</th><th>imported</th></tr>\n",
					    kinds[k], kind_titles[k]);
			}
			al_buf_adds(&b, "<tr>", NULL);
			cell(&b, text(st, 0));
			cell(&b, text(st, 1));
			code_cell(&b, text(st, 2));
			snprintf(ver, sizeof(ver), "%lld", (long long)sqlite3_column_int64(st, 3));
			cell(&b, ver);
			al_buf_adds(&b, "<td>", NULL);
			al_buf_add_html(&b, text(st, 4), NULL);
			al_buf_addf(&b, NULL, " v%lld%s</td>", (long long)sqlite3_column_int64(st, 5),
				    sqlite3_column_int(st, 7) ? " <span class=\"warn\">(unsigned)</span>" : "");
			cell(&b, text(st, 6));
			al_buf_adds(&b, "</tr>\n", NULL);
		}
		sqlite3_finalize(st);
		if (rows)
			al_buf_adds(&b, "</table>\n", NULL);
	}

	if (!rc && !(rc = al_catalog_prepare(db, AL_Q_HOME_PUSHED_TAGS, &st, err))) {
		int rows = 0;
		while (!(rc = al_db_step(st, "reading the pushed tags for the / page", &row, err)) && row) {
			if (!rows++)
				al_buf_adds(&b, "<h2 id=\"pushed\">Pushed images (not from a signed bundle)</h2>\n<table><tr>"
						"<th>repository</th><th>tag</th><th>digest</th><th>pushed</th></tr>\n", NULL);
			al_buf_adds(&b, "<tr>", NULL);
			cell(&b, text(st, 0));
			cell(&b, text(st, 1));
			code_cell(&b, text(st, 2));
			cell(&b, text(st, 3));
			al_buf_adds(&b, "</tr>\n", NULL);
		}
		sqlite3_finalize(st);
		if (rows)
			al_buf_adds(&b, "</table>\n", NULL);
	}

	al_buf_adds(&b, "<h2 id=\"bundles\">Bundles</h2>\n", NULL);
	if (!rc && !(rc = al_catalog_prepare(db, AL_Q_HOME_BUNDLES, &st, err))) {
		sqlite3_stmt *cs = NULL;
		rc = al_catalog_prepare(db, AL_Q_HOME_CUSTODY, &cs, err);
		while (!rc && !(rc = al_db_step(st, "reading the bundles for the / page", &row, err)) && row) {
			char num[64];
			int rows = 0;
			al_buf_adds(&b, "<h3>", NULL);
			al_buf_add_html(&b, text(st, 1), NULL);
			al_buf_addf(&b, NULL, " version %lld</h3>\n<table><tr><th>created</th><th>expires</th><th>imported</th>"
					      "<th>files</th><th>bytes</th><th>signers</th></tr><tr>",
				    (long long)sqlite3_column_int64(st, 2));
			cell(&b, text(st, 3));
			cell(&b, text(st, 4));
			cell(&b, text(st, 5));
			snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, 8));
			cell(&b, num);
			snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, 9));
			cell(&b, num);
			signers_cell(&b, text(st, 6), sqlite3_column_int(st, 7));
			al_buf_adds(&b, "</tr></table>\n", NULL);
			sqlite3_bind_int64(cs, 1, sqlite3_column_int64(st, 0));
			while (!(rc = al_db_step(cs, "reading the custody records for the / page", &row, err)) && row) {
				if (!rows++)
					al_buf_adds(&b, "<table><caption>custody chain</caption><tr><th>#</th><th>time</th>"
							"<th>event</th><th>actor</th><th>key</th></tr>\n", NULL);
				snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(cs, 0));
				al_buf_adds(&b, "<tr>", NULL);
				cell(&b, num);
				cell(&b, text(cs, 1));
				cell(&b, text(cs, 2));
				cell(&b, text(cs, 3));
				code_cell(&b, text(cs, 4));
				al_buf_adds(&b, "</tr>\n", NULL);
			}
			sqlite3_reset(cs);
			if (rc)
				break;
			if (rows)
				al_buf_adds(&b, "</table>\n", NULL);
			else
				al_buf_adds(&b, "<p>No custody records.</p>\n", NULL);
		}
		sqlite3_finalize(cs);
		sqlite3_finalize(st);
	}
	al_buf_adds(&b, "</body></html>\n", NULL);
	if (!rc && (rc = al_buf_check(&b, err)))
		al_err_prefix(err, "the / page");
	if (rc) {
		al_buf_release(&b);
		return rc;
	}
	s->home = al_buf_take(&b, &s->home_len);
	return AL_OK;
}
