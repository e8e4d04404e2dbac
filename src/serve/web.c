/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web.c: the / page, built with the snapshot (so a request only sends it):
 * what the store holds by kind, with sizes for people, links to where tools
 * fetch each artifact and the command that does it; each bundle with its
 * SHA256SUMS digest, signers and custody chain (medium, seal, note), for an
 * auditor to match against the transfer paperwork.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog.h"
#include "fsx.h"
#include "json.h"
#include "serve.h"
#include "spec.h"
#include "sv_internal.h"

/*
 * No script, no outside resource (the server sends a Content-Security-Policy
 * that forbids both); tables scroll sideways inside their box rather than being
 * cut, and long digests wrap.
 */
static const char style[] =
	"<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:100%}"
	".wide{overflow-x:auto;max-width:100%}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;"
	"text-align:left;vertical-align:top}th{background:#f3f3f3}code{font-size:12px;overflow-wrap:anywhere}"
	"pre{background:#f6f6f6;padding:.5em;overflow-x:auto}nav a{margin-right:1em}"
	".warn{color:#a40}h2{margin-top:1.5em}td.num{text-align:right;white-space:nowrap}</style>";

/* The sections of artifacts, in page order, with their titles. */
static const char *const kinds[] = { "model", "image", "wheel", "file", "vulndb" };
static const char *const kind_titles[] = { "Models", "Images", "Python wheels", "Files", "Vulnerability data" };

/* How a tool reaches each kind of artifact from inside (HOST:PORT is this server). */
static const char *const hints[] = {
	"HF_ENDPOINT=http://HOST:PORT python3 -c 'import huggingface_hub as h; h.snapshot_download(\"NAME\")'",
	"skopeo copy docker://HOST:PORT/NAME:TAG oci:./NAME:TAG     # or: podman pull HOST:PORT/NAME:TAG",
	"pip install --index-url http://HOST:PORT/simple/ NAME        # add --trusted-host HOST off loopback, or serve TLS",
	"curl -O http://HOST:PORT/files/NAME",
	"# advisory data that crossed for scanning on this side; it is not served over HTTP",
};

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

/* A size for people (1 KiB = 1024 bytes). */
static void human_size(char out[32], long long bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(out, 32, "%.1f %s", v, units[u]);
	else
		snprintf(out, 32, "%lld B", bytes);
}

/* The size for people, with the exact bytes in its title. */
static void size_cell(struct al_buf *b, long long bytes)
{
	char h[32];
	human_size(h, bytes);
	al_buf_addf(b, NULL, "<td class=\"num\" title=\"%lld bytes\">%s</td>", bytes, h);
}

/* An anchor id for a bundle (name and version, only [a-z0-9-] kept). */
static void bundle_anchor(struct al_buf *b, const char *name, long long version)
{
	al_buf_adds(b, "bundle-", NULL);
	for (const char *p = name; *p; p++)
		al_buf_add(b, (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? p : "-", 1, NULL);
	al_buf_addf(b, NULL, "-%lld", version);
}

/* Where a tool fetches an artifact of KIND named NAME: the link of its name cell. */
static void artifact_link(struct al_buf *b, const char *kind, const char *name)
{
	if (!strcmp(kind, "model")) {
		al_buf_adds(b, "/api/models/", NULL);
		al_buf_add_url(b, name, "/", NULL);
	} else if (!strcmp(kind, "image")) {
		const char *colon = strrchr(name, ':');
		char *repo = al_memdup(name, colon && !strchr(colon, '/') ? (size_t)(colon - name) : strlen(name));
		al_buf_adds(b, "/v2/", NULL);
		al_buf_add_url(b, repo ? repo : "", "/", NULL);
		al_buf_adds(b, "/tags/list", NULL);
		free(repo);
	} else if (!strcmp(kind, "wheel")) {
		al_buf_adds(b, "/simple/", NULL);
	} else {
		al_buf_adds(b, "/files/", NULL);
		al_buf_add_url(b, name, "/", NULL);
	}
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

/* The page's head: title, style, navigation, the store's size and the endpoints. */
static void home_head(struct al_buf *b, const struct sv_snap *s)
{
	char h[32];
	al_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>airlock store</title>", NULL);
	al_buf_adds(b, style, NULL);
	al_buf_adds(b, "</head><body><h1>airlock store</h1>\n<nav><a href=\"#model\">models</a><a href=\"#image\">images</a>"
		       "<a href=\"#wheel\">wheels</a><a href=\"#file\">files</a><a href=\"#bundles\">bundles and custody</a>"
		       "<a href=\"/metrics\">metrics</a></nav>\n<p>", NULL);
	human_size(h, (long long)s->store_bytes);
	al_buf_addf(b, NULL, "%llu blobs, %s (%llu bytes)", (unsigned long long)s->store_blobs, h,
		    (unsigned long long)s->store_bytes);
	al_buf_adds(b, ". Endpoints: <a href=\"/v2/_catalog\"><code>/v2/</code></a> (OCI),"
		       " <a href=\"/simple/\"><code>/simple/</code></a> (PyPI), <a href=\"/api/models\"><code>/api/models</code></a>"
		       " (Hugging Face), <a href=\"/metrics\"><code>/metrics</code></a>. In the commands below, HOST:PORT is"
		       " the address this page was reached at.</p>\n", NULL);
	al_buf_adds(b, s->nchannels ? "<p>Releases: " : "<p>No release is on a channel yet (<code>airlock release</code>).", NULL);
	for (size_t i = 0; i < s->nchannels; i++) {
		char when[32];
		al_time_fmt(s->channels[i].since, when);
		al_buf_adds(b, i ? "; <b>" : "<b>", NULL);
		al_buf_add_html(b, s->channels[i].name, NULL);
		al_buf_adds(b, "</b>: <code>", NULL);
		al_buf_add_html(b, s->channels[i].release, NULL);
		al_buf_addf(b, NULL, "</code> since %s", when);
	}
	al_buf_adds(b, "</p>\n", NULL);
	if (s->channel) {
		al_buf_adds(b, "<p class=\"warn\">This server serves the channel <b>", NULL);
		al_buf_add_html(b, s->channel, NULL);
		al_buf_adds(b, "</b> only: the artifacts of release <code>", NULL);
		al_buf_add_html(b, s->channel_release, NULL);
		al_buf_adds(b, "</code>, which the lists below show.</p>\n", NULL);
	}
}

/* One row of the artifacts of KIND, from an AL_Q_HOME_ARTIFACTS row: the name links to
 * where a client fetches it (vulnerability data has no such place). */
static void artifact_row(struct al_buf *b, const char *kind, sqlite3_stmt *st)
{
	if (strcmp(kind, "vulndb")) {
		al_buf_adds(b, "<tr><td><a href=\"", NULL);
		artifact_link(b, kind, text(st, 0));
		al_buf_adds(b, "\">", NULL);
		al_buf_add_html(b, text(st, 0), NULL);
		al_buf_adds(b, "</a></td>", NULL);
	} else {
		al_buf_adds(b, "<tr>", NULL);
		cell(b, text(st, 0));
	}
	cell(b, text(st, 1));
	code_cell(b, text(st, 2));
	size_cell(b, (long long)sqlite3_column_int64(st, 3));
	al_buf_adds(b, "<td><a href=\"#", NULL);
	bundle_anchor(b, text(st, 4), (long long)sqlite3_column_int64(st, 5));
	al_buf_adds(b, "\">", NULL);
	al_buf_add_html(b, text(st, 4), NULL);
	al_buf_addf(b, NULL, " v%lld</a>%s</td>", (long long)sqlite3_column_int64(st, 5),
		    sqlite3_column_int(st, 7) ? " <span class=\"warn\">(unsigned)</span>" : "");
	cell(b, text(st, 6));
	al_buf_adds(b, "</tr>\n", NULL);
}

/* The section of one kind of artifact (kinds[K]): a title, how to fetch, and a table; nothing
 * when the store has none of that kind. */
static enum al_code home_kind(sqlite3 *db, const struct sv_snap *s, struct al_buf *b, size_t k, struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc;
	int row = 0, rows = 0;
	if ((rc = al_catalog_prepare(db, AL_Q_HOME_ARTIFACTS, &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, kinds[k], -1, SQLITE_STATIC);
	if (s->release_id)
		sqlite3_bind_int64(st, 9, s->release_id);
	while (!(rc = al_db_step(st, "reading the artifacts for the / page", &row, err)) && row) {
		if (!rows++) {
			al_buf_addf(b, NULL, "<h2 id=\"%s\">%s</h2>\n<pre>", kinds[k], kind_titles[k]);
			al_buf_add_html(b, hints[k], NULL);
			al_buf_adds(b, "</pre>\n<div class=\"wide\"><table><tr><th>name</th><th>upstream</th>"
				       "<th>digest</th><th>size</th><th>bundle</th><th>imported</th></tr>\n", NULL);
		}
		artifact_row(b, kinds[k], st);
	}
	sqlite3_finalize(st);
	if (rows)
		al_buf_adds(b, "</table></div>\n", NULL);
	return rc;
}

/* Images pushed to the server rather than imported from a signed bundle; nothing when none. */
static enum al_code home_pushed(sqlite3 *db, struct al_buf *b, struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc;
	int row = 0, rows = 0;
	if ((rc = al_catalog_prepare(db, AL_Q_HOME_PUSHED_TAGS, &st, err)))
		return rc;
	while (!(rc = al_db_step(st, "reading the pushed tags for the / page", &row, err)) && row) {
		if (!rows++)
			al_buf_adds(b, "<h2 id=\"pushed\">Pushed images (not from a signed bundle)</h2>\n<div class=\"wide\">"
				       "<table><tr><th>repository</th><th>tag</th><th>digest</th><th>pushed</th></tr>\n",
				    NULL);
		al_buf_adds(b, "<tr>", NULL);
		cell(b, text(st, 0));
		cell(b, text(st, 1));
		code_cell(b, text(st, 2));
		cell(b, text(st, 3));
		al_buf_adds(b, "</tr>\n", NULL);
	}
	sqlite3_finalize(st);
	if (rows)
		al_buf_adds(b, "</table></div>\n", NULL);
	return rc;
}

/* A bundle's heading, override warning, SHA256SUMS digest and facts, from an
 * AL_Q_HOME_BUNDLES row. */
static void bundle_head(struct al_buf *b, sqlite3_stmt *st)
{
	char num[64];
	al_buf_adds(b, "<h3 id=\"", NULL);
	bundle_anchor(b, text(st, 1), (long long)sqlite3_column_int64(st, 2));
	al_buf_adds(b, "\">", NULL);
	al_buf_add_html(b, text(st, 1), NULL);
	al_buf_addf(b, NULL, " version %lld</h3>\n", (long long)sqlite3_column_int64(st, 2));
	if (text(st, 11)[0])
		al_buf_adds(b, "<p class=\"warn\">POLICY OVERRIDE: imported with a trust policy given on the "
			       "command line instead of the store's</p>\n", NULL);
	/* the SHA256SUMS digest an auditor matches against the transfer paperwork */
	al_buf_adds(b, "<p>SHA256SUMS: <code>", NULL);
	al_buf_add_html(b, text(st, 10), NULL);
	al_buf_adds(b, "</code></p>\n<div class=\"wide\"><table><tr><th>created</th><th>expires</th>"
		       "<th>imported</th><th>files</th><th>size</th><th>signers</th></tr><tr>", NULL);
	cell(b, text(st, 3));
	cell(b, text(st, 4));
	cell(b, text(st, 5));
	snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, 8));
	cell(b, num);
	size_cell(b, (long long)sqlite3_column_int64(st, 9));
	signers_cell(b, text(st, 6), sqlite3_column_int(st, 7));
	al_buf_adds(b, "</tr></table></div>\n", NULL);
}

/* The custody chain of bundle ID as a table, through CS (AL_Q_HOME_CUSTODY, reset after). */
static enum al_code custody_table(struct al_buf *b, sqlite3_stmt *cs, sqlite3_int64 id, struct al_err *err)
{
	enum al_code rc;
	int row = 0, rows = 0;
	sqlite3_bind_int64(cs, 1, id);
	while (!(rc = al_db_step(cs, "reading the custody records for the / page", &row, err)) && row) {
		json_t *rec = json_loads(text(cs, 5), 0, NULL);
		char num[64];
		if (!rows++)
			al_buf_adds(b, "<div class=\"wide\"><table><caption>custody chain</caption><tr><th>#</th>"
				       "<th>time</th><th>event</th><th>actor</th><th>medium</th><th>seal</th>"
				       "<th>note</th><th>key</th></tr>\n", NULL);
		snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(cs, 0));
		al_buf_adds(b, "<tr>", NULL);
		cell(b, num);
		cell(b, text(cs, 1));
		cell(b, text(cs, 2));
		cell(b, text(cs, 3));
		cell(b, al_json_str(rec, "medium"));
		cell(b, al_json_str(rec, "seal"));
		cell(b, al_json_str(rec, "note"));
		if (text(cs, 4)[0])
			code_cell(b, text(cs, 4));
		else
			al_buf_adds(b, "<td>(the store's own record, unsigned)</td>", NULL);
		al_buf_adds(b, "</tr>\n", NULL);
		json_decref(rec);
	}
	sqlite3_reset(cs);
	if (!rc)
		al_buf_adds(b, rows ? "</table></div>\n" : "<p>No custody records.</p>\n", NULL);
	return rc;
}

/* Every bundle with its facts, signers and custody chain. */
static enum al_code home_bundles(sqlite3 *db, struct al_buf *b, struct al_err *err)
{
	sqlite3_stmt *st, *cs = NULL;
	enum al_code rc;
	int row = 0;
	if ((rc = al_catalog_prepare(db, AL_Q_HOME_BUNDLES, &st, err)))
		return rc;
	rc = al_catalog_prepare(db, AL_Q_HOME_CUSTODY, &cs, err);
	while (!rc && !(rc = al_db_step(st, "reading the bundles for the / page", &row, err)) && row) {
		bundle_head(b, st);
		rc = custody_table(b, cs, sqlite3_column_int64(st, 0), err);
	}
	sqlite3_finalize(cs);
	sqlite3_finalize(st);
	return rc;
}

/* Each release's newest eval run (airlock eval run --store --release), one line. */
static enum al_code home_evals(sqlite3 *db, struct al_buf *b, struct al_err *err)
{
	sqlite3_stmt *st;
	int row = 0, rows = 0;
	enum al_code rc = al_catalog_prepare(db, AL_Q_HOME_EVALS, &st, err);
	while (!rc && !(rc = al_db_step(st, "reading the eval runs for the / page", &row, err)) && row) {
		al_buf_adds(b, rows++ ? "; <b>" : "<p>Newest eval of each release: <b>", NULL);
		al_buf_add_html(b, text(st, 0), NULL);
		al_buf_addf(b, NULL, "</b>: score %.4f (%lld of %lld passed, %lld without an answer; model ", sqlite3_column_double(st, 1),
			    (long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3),
			    (long long)sqlite3_column_int64(st, 4));
		al_buf_add_html(b, text(st, 6), NULL);
		al_buf_adds(b, ", ", NULL);
		al_buf_add_html(b, text(st, 5), NULL);
		al_buf_adds(b, ")", NULL);
	}
	if (rows)
		al_buf_adds(b, "</p>\n", NULL);
	sqlite3_finalize(st);
	return rc;
}

enum al_code sv_home_build(sqlite3 *db, struct sv_snap *s, struct al_err *err)
{
	struct al_buf b;
	enum al_code rc = AL_OK;
	al_buf_init(&b, 256u << 20);
	home_head(&b, s);
	rc = home_evals(db, &b, err);
	for (size_t k = 0; !rc && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		rc = home_kind(db, s, &b, k, err);
	if (!rc && !s->channel)
		rc = home_pushed(db, &b, err);
	al_buf_adds(&b, "<h2 id=\"bundles\">Bundles</h2>\n", NULL);
	if (!rc)
		rc = home_bundles(db, &b, err);
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
