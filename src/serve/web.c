/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web.c: the / page (built with the snapshot, so a request only sends it)
 * and /metrics (Prometheus text format 0.0.4, protocols.md §4).
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

/* ------------------------------------------------------------------ metrics */

static const char *const route_names[SV_R_COUNT] = { "oci",   "pypi",    "packages", "hf_api", "hf_resolve",
						     "files", "metrics", "healthz",  "page",   "other" };
static const char *const method_names[SV_M_COUNT] = { "GET",    "HEAD",    "POST",  "PUT",
						      "PATCH",  "DELETE",  "OPTIONS", "other" };

enum MHD_Result sv_metrics(struct sv_req *rq)
{
	struct sv_metrics *m = &rq->srv->m;
	const struct sv_snap *s = rq->snap;
	struct al_buf b;
	enum MHD_Result ret;
	al_buf_init(&b, 16u << 20);
	al_buf_adds(&b, "# HELP airlock_http_requests_total HTTP requests answered, by route, method and status code.\n"
			"# TYPE airlock_http_requests_total counter\n", NULL);
	for (int r = 0; r < SV_R_COUNT; r++)
		for (int me = 0; me < SV_M_COUNT; me++)
			for (int c = 0; c < SV_CODES; c++) {
				unsigned long v = atomic_load(&m->requests[r][me][c]);
				if (v)
					al_buf_addf(&b, NULL,
						    "airlock_http_requests_total{route=\"%s\",method=\"%s\",code=\"%u\"} %lu\n",
						    route_names[r], method_names[me], sv_code_at((size_t)c), v);
			}
	al_buf_adds(&b, "# HELP airlock_http_sent_bytes_total Bytes of response bodies sent, by route.\n"
			"# TYPE airlock_http_sent_bytes_total counter\n", NULL);
	for (int r = 0; r < SV_R_COUNT; r++)
		al_buf_addf(&b, NULL, "airlock_http_sent_bytes_total{route=\"%s\"} %lu\n", route_names[r],
			    atomic_load(&m->sent[r]));
	al_buf_adds(&b, "# HELP airlock_http_request_duration_seconds Time from request to response done, by route.\n"
			"# TYPE airlock_http_request_duration_seconds histogram\n", NULL);
	for (int r = 0; r < SV_R_COUNT; r++) {
		unsigned long cum = 0;
		for (int k = 0; k <= SV_HIST_BUCKETS; k++) {
			cum += atomic_load(&m->hist[r][k]);
			if (k < SV_HIST_BUCKETS)
				al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
					    route_names[r], sv_buckets[k], cum);
			else
				al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n",
					    route_names[r], cum);
		}
		al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n", route_names[r],
			    (double)atomic_load(&m->sum_ns[r]) / 1e9);
		al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_count{route=\"%s\"} %lu\n", route_names[r], cum);
	}
	al_buf_addf(&b, NULL,
		    "# HELP airlock_store_blobs Blobs the catalog holds.\n# TYPE airlock_store_blobs gauge\n"
		    "airlock_store_blobs %llu\n"
		    "# HELP airlock_store_blob_bytes Bytes of the blobs the catalog holds.\n# TYPE airlock_store_blob_bytes gauge\n"
		    "airlock_store_blob_bytes %llu\n"
		    "# HELP airlock_store_artifacts Artifacts in the store, by kind.\n# TYPE airlock_store_artifacts gauge\n",
		    (unsigned long long)s->store_blobs, (unsigned long long)s->store_bytes);
	for (int k = AL_KIND_MODEL; k <= AL_KIND_VULNDB; k++)
		al_buf_addf(&b, NULL, "airlock_store_artifacts{kind=\"%s\"} %llu\n", al_kind_name((enum al_kind)k),
			    (unsigned long long)s->artifacts[k]);
	al_buf_addf(&b, NULL,
		    "# HELP airlock_last_import_timestamp_seconds When the last import was tried (0: never).\n"
		    "# TYPE airlock_last_import_timestamp_seconds gauge\nairlock_last_import_timestamp_seconds %lld\n"
		    "# HELP airlock_last_import_success Whether the last import was installed (1) or refused (0).\n"
		    "# TYPE airlock_last_import_success gauge\nairlock_last_import_success %d\n"
		    "# HELP airlock_verification_failures_total Imports the store refused because verification failed.\n"
		    "# TYPE airlock_verification_failures_total counter\nairlock_verification_failures_total %llu\n"
		    "# HELP airlock_snapshot_timestamp_seconds When the server last loaded the catalog.\n"
		    "# TYPE airlock_snapshot_timestamp_seconds gauge\nairlock_snapshot_timestamp_seconds %lld\n",
		    (long long)s->last_import, s->last_import ? s->last_import_ok : 0, (unsigned long long)s->failures,
		    (long long)s->loaded);
	/* a page that did not fit is not sent in part */
	if (al_buf_check(&b, NULL))
		ret = sv_reply_text(rq, 500, "internal error: the metrics page cannot be built\n");
	else
		ret = sv_reply(rq, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	al_buf_release(&b);
	return ret;
}
