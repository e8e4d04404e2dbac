/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pypi.c: the simple index pages. Files are linked relatively, from
 * /simple/<project>/ to /packages/<file>, so the pages do not depend on the
 * host name the server is reached by.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog.h"
#include "fsx.h"
#include "json.h"
#include "pypi.h"
#include "format.h"

#define API_VERSION "1.1"

struct wheel {
	char *project, *version, *filename, *requires, *sha256, *meta, *uploaded;
	sqlite3_int64 size;
};

static void wheel_free(struct wheel *w)
{
	free(w->project);
	free(w->version);
	free(w->filename);
	free(w->requires);
	free(w->sha256);
	free(w->meta);
	free(w->uploaded);
}

static char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

static const char head[] = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			   "<meta name=\"pypi:repository-version\" content=\"" API_VERSION "\">";

struct sink {
	al_pypi_sink *fn;
	void *ctx;
};

/* Hands one page to the sink; a page whose HTML buffer failed (a cap, memory) or whose JSON is missing is an error. */
static enum al_code put(const struct sink *k, const char *project, struct al_buf *html, json_t *js, struct al_err *err)
{
	char *j = NULL;
	enum al_code rc = al_buf_check(html, err);
	if (rc) {
		al_err_prefix(err, "index page of '%s'", project);
		return rc;
	}
	j = js ? json_dumps(js, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!j || !html->data)
		rc = al_fail(err, AL_ENOMEM, "cannot build the JSON index page of '%s' (out of memory, or a name that is not UTF-8)", project);
	if (!rc && (rc = k->fn(k->ctx, project, html->data, html->len, j, err)))
		al_err_prefix(err, "index page of '%s'", project);
	free(j);
	return rc;
}

/* One project's page from W[0..n) (all of that project). */
static enum al_code project_page(const struct sink *sk, const struct wheel *w, size_t n, struct al_err *err)
{
	struct al_buf h;
	json_t *js = json_pack("{s:{s:s}, s:s, s:[], s:[]}", "meta", "api-version", API_VERSION, "name", w[0].project,
			       "versions", "files");
	json_t *versions = json_object_get(js, "versions"), *files = json_object_get(js, "files");
	enum al_code rc;
	al_buf_init(&h, 64u << 20);
	al_buf_adds(&h, head, NULL);
	al_buf_adds(&h, "<title>Links for ", NULL);
	al_buf_add_html(&h, w[0].project, NULL);
	al_buf_adds(&h, "</title></head>\n<body>\n<h1>Links for ", NULL);
	al_buf_add_html(&h, w[0].project, NULL);
	al_buf_adds(&h, "</h1>\n", NULL);
	enum al_code brc = js && versions && files ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !brc; i++) {
		struct al_buf url;
		json_t *f, *v;
		size_t k;
		int have = 0;
		al_buf_init(&url, 4096);
		al_buf_adds(&url, "../../packages/", NULL);
		al_buf_add_url(&url, w[i].filename, "", NULL);
		if ((brc = al_buf_check(&url, err))) {
			al_err_prefix(err, "the link to '%s'", w[i].filename);
			al_buf_release(&url);
			break;
		}
		al_buf_adds(&h, "<a href=\"", NULL);
		al_buf_add_html(&h, url.data ? url.data : "", NULL);
		al_buf_addf(&h, NULL, "#sha256=%s\"", w[i].sha256);
		if (w[i].requires) {
			al_buf_adds(&h, " data-requires-python=\"", NULL);
			al_buf_add_html(&h, w[i].requires, NULL);
			al_buf_adds(&h, "\"", NULL);
		}
		if (w[i].meta)
			al_buf_addf(&h, NULL, " data-dist-info-metadata=\"sha256=%s\" data-core-metadata=\"sha256=%s\"",
				    w[i].meta, w[i].meta);
		al_buf_adds(&h, ">", NULL);
		al_buf_add_html(&h, w[i].filename, NULL);
		al_buf_adds(&h, "</a><br>\n", NULL);
		f = json_pack("{s:s, s:s, s:{s:s}, s:I, s:b}", "filename", w[i].filename, "url", url.data ? url.data : "",
			      "hashes", "sha256", w[i].sha256, "size", (json_int_t)w[i].size, "yanked", 0);
		al_buf_release(&url);
		if (f && w[i].requires)
			json_object_set_new(f, "requires-python", json_string(w[i].requires));
		if (f && w[i].meta) {
			/* PEP 714: only the new name in JSON (pip 23.0's reading of the old one breaks on a dict) */
			json_object_set_new(f, "core-metadata", json_pack("{s:s}", "sha256", w[i].meta));
		}
		if (f && w[i].uploaded)
			json_object_set_new(f, "upload-time", json_string(w[i].uploaded));
		if (!f || json_array_append_new(files, f)) {
			brc = al_fail(err, AL_ENOMEM, "cannot build the JSON index page of '%s' (out of memory, or a name that is not UTF-8)", w[0].project);
			break;
		}
		json_array_foreach(versions, k, v)
			if (!strcmp(json_string_value(v), w[i].version))
				have = 1;
		if (!have && json_array_append_new(versions, json_string(w[i].version))) {
			brc = al_fail(err, AL_ENOMEM, "cannot build the JSON index page of '%s' (out of memory, or a name that is not UTF-8)", w[0].project);
			break;
		}
	}
	al_buf_adds(&h, "</body></html>\n", NULL);
	rc = brc ? brc : put(sk, w[0].project, &h, js, err);
	json_decref(js);
	al_buf_release(&h);
	return rc;
}

static enum al_code root_page(const struct sink *k, const struct wheel *w, size_t n, struct al_err *err)
{
	struct al_buf h;
	json_t *js = json_pack("{s:{s:s}, s:[]}", "meta", "api-version", API_VERSION, "projects");
	json_t *projects = json_object_get(js, "projects");
	enum al_code rc;
	al_buf_init(&h, 64u << 20);
	al_buf_adds(&h, head, NULL);
	al_buf_adds(&h, "<title>Simple index</title></head>\n<body>\n", NULL);
	enum al_code brc = js && projects ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !brc; i++) {
		if (i && !strcmp(w[i - 1].project, w[i].project))
			continue;
		al_buf_adds(&h, "<a href=\"", NULL);
		al_buf_add_url(&h, w[i].project, "", NULL);
		al_buf_adds(&h, "/\">", NULL);
		al_buf_add_html(&h, w[i].project, NULL);
		al_buf_adds(&h, "</a><br>\n", NULL);
		if (json_array_append_new(projects, json_pack("{s:s}", "name", w[i].project)))
			brc = al_fail(err, AL_ENOMEM, "cannot build the JSON root index page (out of memory, or a name that is not UTF-8)");
	}
	al_buf_adds(&h, "</body></html>\n", NULL);
	rc = brc ? brc : put(k, "", &h, js, err);
	json_decref(js);
	al_buf_release(&h);
	return rc;
}

enum al_code al_pypi_build(sqlite3 *db, int64_t release, al_pypi_sink *fn, void *ctx, struct al_err *err)
{
	const struct sink k = { fn, ctx };
	sqlite3_stmt *st = NULL;
	struct wheel *w = NULL;
	size_t n = 0, cap = 0;
	enum al_code rc = AL_OK;
	/* every wheel once (the newest import of a file name wins), by project then file: AL_SQL_WHEELS */
	if (sqlite3_prepare_v2(db, al_sql(AL_SQL_WHEELS), -1, &st, NULL) != SQLITE_OK)
		return al_fail(err, AL_ESTORE, "catalog: cannot build the index pages: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, AL_MT_WHEEL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, AL_MT_WHEEL_METADATA, -1, SQLITE_STATIC);
	if (release > 0)
		sqlite3_bind_int64(st, 3, release);
	for (int row = 0; !rc && !(rc = al_db_step(st, "reading the wheels", &row, err)) && row;) {
		struct wheel *x;
		if ((rc = al_array_grow(&w, &cap, n + 1, sizeof(*w), err)))
			break;
		x = &w[n++];
		memset(x, 0, sizeof(*x));
		x->project = col(st, 0);
		x->version = col(st, 1);
		x->filename = col(st, 2);
		x->requires = col(st, 3);
		x->sha256 = col(st, 4);
		x->meta = col(st, 5);
		x->size = sqlite3_column_int64(st, 6);
		x->uploaded = col(st, 7);
		if (!x->project || !x->version || !x->filename || !x->sha256)
			rc = al_fail(err, AL_ESTORE, "catalog: a wheel lacks its project, version, file name or hash");
	}
	for (size_t i = 0; !rc && i < n;) {
		size_t j = i + 1;
		while (j < n && !strcmp(w[j].project, w[i].project))
			j++;
		rc = project_page(&k, w + i, j - i, err);
		i = j;
	}
	if (!rc)
		rc = root_page(&k, w, n, err);
	for (size_t i = 0; i < n; i++)
		wheel_free(&w[i]);
	free(w);
	sqlite3_finalize(st);
	return rc;
}

/* The sink of al_pypi_rebuild: a row of pypi_pages. */
static enum al_code insert(void *ctx, const char *project, const char *html, size_t hlen, const char *json,
			   struct al_err *err)
{
	sqlite3_stmt *ins = ctx;
	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, html, (int)hlen, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, json, -1, SQLITE_STATIC);
	return al_db_run(ins, "writing an index page", err);
}

enum al_code al_pypi_rebuild(sqlite3 *db, struct al_err *err)
{
	sqlite3_stmt *ins = NULL;
	enum al_code rc;
	if (sqlite3_exec(db, al_sql(AL_SQL_DROP_PAGES), NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, al_sql(AL_SQL_ADD_PAGE), -1, &ins, NULL) != SQLITE_OK)
		return al_fail(err, AL_ESTORE, "catalog: cannot rebuild the index pages: %s", sqlite3_errmsg(db));
	rc = al_pypi_build(db, -1, insert, ins, err);
	sqlite3_finalize(ins);
	return rc;
}
