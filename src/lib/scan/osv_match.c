/* SPDX-License-Identifier: Apache-2.0 */
/* osv_match.c: does an OSV record affect a version? Its ranges and versions, and its severity (osv.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "cvss.h"
#include "fsx.h"
#include "json.h"
#include "osv.h"
#include "vercmp.h"
#include "wheel.h"

/* One event of a range. */
struct event {
	const char *kind;   /* "introduced", "fixed", "last_affected", "limit" */
	const char *ver;
	int min, max;       /* introduced "0" (before everything), limit "*" (after everything) */
	size_t at;          /* its place in the record: ties keep the record's order */
};

static int cmp_events(const void *pa, const void *pb, void *order)
{
	const struct event *a = pa, *b = pb;
	struct al_err e = { 0 };
	int c = 0;
	if (a->min || b->min || a->max || b->max)
		c = (b->min - a->min) + (a->max - b->max);
	else
		al_vercmp(*(enum al_vorder *)order, a->ver, b->ver, &c, &e); /* (every version was read before the sort) */
	return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* Reads range R's events into ev (at most cap); 0, or -1 with *why when one cannot be read under ORDER. */
static int read_events(const json_t *r, enum al_vorder order, const char *version, struct event *ev,
		       size_t *n, char **why)
{
	size_t i;
	json_t *e;
	*n = 0;
	json_array_foreach(json_object_get(r, "events"), i, e) {
		const char *k;
		json_t *v;
		json_object_foreach(e, k, v) {
			struct event *x = &ev[(*n)++];
			struct al_err err = { 0 };
			int c;
			x->at = *n - 1;
			x->kind = k;
			x->ver = json_string_value(v);
			x->min = !strcmp(k, "introduced") && !strcmp(x->ver, "0");
			x->max = !strcmp(k, "limit") && !strcmp(x->ver, "*");
			if (!x->min && !x->max && al_vercmp(order, version, x->ver, &c, &err)) {
				*why = al_strf("the range holds a version its order cannot read (%s)", err.msg);
				return -1;
			}
		}
	}
	return 0;
}

/* OSV's evaluation of one range over the sorted events. */
static int in_range(const struct event *ev, size_t n, enum al_vorder order, const char *version)
{
	struct al_err e = { 0 };
	int limited = 0, before_limit = 0, vuln = 0;
	for (size_t i = 0; i < n; i++) {
		int c = 0;
		if (!ev[i].min && !ev[i].max)
			al_vercmp(order, version, ev[i].ver, &c, &e);
		if (!strcmp(ev[i].kind, "limit")) {
			limited = 1;
			before_limit |= ev[i].max || c < 0;
		}
	}
	if (limited && !before_limit)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = 0;
		if (ev[i].min)
			c = 1;
		else if (!ev[i].max)
			al_vercmp(order, version, ev[i].ver, &c, &e);
		if (!strcmp(ev[i].kind, "introduced") && c >= 0)
			vuln = 1;
		else if (!strcmp(ev[i].kind, "fixed") && c >= 0)
			vuln = 0;
		else if (!strcmp(ev[i].kind, "last_affected") && c > 0)
			vuln = 0;
	}
	return vuln;
}

/* Whether range R of an entry of ECOSYSTEM holds VERSION: 1 yes, 0 no, and 1 with *note when it
 * cannot be evaluated (an order airlock lacks, a version the order cannot read). */
static int range_affects(const json_t *r, const char *eco, const char *version, char **note)
{
	const char *type = al_json_str(r, "type");
	size_t n = json_array_size(json_object_get(r, "events")), got;
	enum al_vorder order = !strcmp(type, "SEMVER") ? AL_VORDER_SEMVER : al_vorder_of(eco);
	struct event *ev;
	int yes;
	if (!strcmp(type, "GIT"))
		return 0;
	if (strcmp(type, "SEMVER") && strcmp(type, "ECOSYSTEM")) {
		*note = al_strf("a range of type %s, which airlock cannot evaluate", type);
		return 1;
	}
	if (order == AL_VORDER_NONE) {
		*note = al_strf("airlock has no version order for the ecosystem %s", eco);
		return 1;
	}
	if (!(ev = calloc(n ? n : 1, sizeof(*ev))))
		return -1;
	if (read_events(r, order, version, ev, &got, note)) {
		free(ev);
		return *note ? 1 : -1;
	}
	qsort_r(ev, got, sizeof(*ev), cmp_events, &order);
	yes = in_range(ev, got, order, version);
	free(ev);
	return yes;
}

/* Whether VERSION is listed in entry A's versions: the same string, or equal under the order. */
static int listed(const json_t *a, const char *eco, const char *version)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(a, "versions"), i, v) {
		struct al_err e = { 0 };
		int c = 1;
		if (!strcmp(json_string_value(v), version))
			return 1;
		if (al_vorder_of(eco) != AL_VORDER_NONE && !al_vercmp(al_vorder_of(eco), version, json_string_value(v), &c, &e) &&
		    !c)
			return 1;
	}
	return 0;
}

/* Adds the fixed versions of A's ranges to FIXED (once each). */
static void add_fixed(const json_t *a, json_t *fixed)
{
	size_t i, j, k;
	json_t *r, *e, *f;
	json_array_foreach(json_object_get(a, "ranges"), i, r)
		json_array_foreach(json_object_get(r, "events"), j, e) {
			const char *v = al_json_str(e, "fixed");
			int seen = 0;
			if (!v)
				continue;
			json_array_foreach(fixed, k, f)
				seen |= !strcmp(json_string_value(f), v);
			if (!seen)
				json_array_append_new(fixed, json_string(v));
		}
}

/* Whether entry A (of ECOSYSTEM) affects VERSION: 1, 0, or -1 out of memory; *note as range_affects. */
static int entry_affects(const json_t *a, const char *eco, const char *version, char **note)
{
	size_t i;
	json_t *r;
	if (listed(a, eco, version))
		return 1;
	json_array_foreach(json_object_get(a, "ranges"), i, r) {
		int yes = range_affects(r, eco, version, note);
		if (yes)
			return yes;
	}
	return 0;
}

/* The stored record ID, parsed: a new reference. */
static enum al_code load_record(struct al_osv *o, const char *id, json_t **out, struct al_err *err)
{
	enum al_code rc;
	int row = 0;
	*out = NULL;
	sqlite3_reset(o->record);
	sqlite3_bind_text(o->record, 1, id, -1, SQLITE_TRANSIENT);
	rc = al_db_step(o->record, "advisory record", &row, err);
	if (!rc && !row)
		rc = al_fail(err, AL_ESTORE, "advisory database '%s': the record %s is missing", o->path, id);
	if (!rc)
		rc = al_json_parse((const char *)sqlite3_column_text(o->record, 0),
				   (size_t)sqlite3_column_bytes(o->record, 0), id, out, err);
	sqlite3_reset(o->record);
	return rc;
}

/* Adds one hit for record ID (or extends the last one, when the record lists the package twice). */
static enum al_code add_hit(struct al_osv *o, const char *id, const json_t *entry, char *note, json_t *hits,
			    struct al_err *err)
{
	json_t *last = json_array_get(hits, json_array_size(hits) - 1), *rec = NULL, *sev = NULL, *hit;
	enum al_code rc;
	if (last && !strcmp(al_json_str(last, "id"), id)) {
		add_fixed(entry, json_object_get(last, "fixed"));
		if (note && !json_object_get(last, "note"))
			json_object_set_new(last, "note", json_string(note));
		return AL_OK;
	}
	if ((rc = load_record(o, id, &rec, err)) || (rc = al_osv_severity(rec, &sev, err))) {
		json_decref(rec);
		return rc;
	}
	hit = json_pack("{s:s, s:o, s:o, s:o, s:[]}", "id", id, "aliases",
			json_object_get(rec, "aliases") ? json_incref(json_object_get(rec, "aliases")) : json_array(),
			"record", rec, "severity", sev, "fixed");
	if (!hit || json_array_append_new(hits, hit))
		return al_fail(err, AL_ENOMEM, "out of memory");
	add_fixed(entry, json_object_get(hit, "fixed"));
	if (note)
		json_object_set_new(hit, "note", json_string(note));
	return AL_OK;
}

enum al_code al_osv_match(struct al_osv *o, const char *eco, const char *name, const char *version, json_t **hits,
			  struct al_err *err)
{
	char *key = al_vorder_of(eco) == AL_VORDER_PEP440 ? al_pep503_normalize(name, strlen(name)) : strdup(name);
	enum al_code rc = AL_OK;
	int row = 1;
	*hits = json_array();
	if (!key || !*hits) {
		free(key);
		json_decref(*hits);
		*hits = NULL;
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	sqlite3_reset(o->find);
	sqlite3_bind_text(o->find, 1, eco, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(o->find, 2, key, -1, SQLITE_TRANSIENT);
	while (!rc && !(rc = al_db_step(o->find, "advisory match", &row, err)) && row) {
		char *id = strdup((const char *)sqlite3_column_text(o->find, 0)), *note = NULL;
		const char *row_eco = (const char *)sqlite3_column_text(o->find, 1);
		json_t *entry = NULL;
		int yes = 0;
		if (!id)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (!(rc = al_json_parse((const char *)sqlite3_column_text(o->find, 2),
					      (size_t)sqlite3_column_bytes(o->find, 2), id, &entry, err)) &&
			 (yes = entry_affects(entry, row_eco, version, &note)) < 0)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		if (!rc && yes)
			rc = add_hit(o, id, entry, note, *hits, err);
		json_decref(entry);
		free(note);
		free(id);
	}
	sqlite3_reset(o->find);
	free(key);
	if (rc) {
		json_decref(*hits);
		*hits = NULL;
	}
	return rc;
}

/* The highest CVSS score among SEV (a `severity` array) into *best, with its vector and type;
 * an Ubuntu priority into *word. */
static enum al_code best_cvss(const json_t *sev, double *best, const char **vector, const char **type_out,
			      const char **word, struct al_err *err)
{
	size_t i;
	json_t *s;
	json_array_foreach(sev, i, s) {
		const char *type = al_json_str(s, "type"), *score = al_json_str(s, "score");
		double v;
		enum al_code rc;
		if (!type || !score)
			continue;
		if (!strcmp(type, "Ubuntu"))
			*word = score;
		if ((rc = al_cvss_score(type, score, &v, err)) == AL_ENOENT)
			continue;
		if (rc)
			return rc;
		if (v > *best) {
			*best = v;
			*vector = score;
			*type_out = type;
		}
	}
	return AL_OK;
}

/* The rating a record or its database gives in words, upper case, or NULL for none known. */
static const char *own_rating(const char *w)
{
	static const char *const words[][2] = { { "CRITICAL", "CRITICAL" }, { "HIGH", "HIGH" }, { "MODERATE", "MEDIUM" },
						{ "MEDIUM", "MEDIUM" },	    { "LOW", "LOW" },	{ "NEGLIGIBLE", "LOW" } };
	for (size_t i = 0; w && i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(w, words[i][0]))
			return words[i][1];
	return NULL;
}

enum al_code al_osv_severity(const json_t *r, json_t **out, struct al_err *err)
{
	const char *vector = NULL, *type = NULL, *word = NULL;
	const char *own = own_rating(al_json_str(json_object_get(r, "database_specific"), "severity"));
	const char *own_source = "database_specific";
	double best = -1;
	enum al_code rc = best_cvss(json_object_get(r, "severity"), &best, &vector, &type, &word, err);
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(r, "affected"), i, a)
		if (!rc)
			rc = best_cvss(json_object_get(a, "severity"), &best, &vector, &type, &word, err);
	if (rc)
		return al_err_prefix(err, "advisory %s", al_json_str(r, "id"));
	if (!own && (own = own_rating(word)))
		own_source = "Ubuntu";
	if (vector)
		*out = json_pack("{s:s, s:f, s:s, s:s}", "rating", al_cvss_rating(best), "score", best, "vector", vector,
				 "source", type);
	else if (own)
		*out = json_pack("{s:s, s:s}", "rating", own, "source", own_source);
	else
		*out = json_pack("{s:s, s:s}", "rating", "UNKNOWN", "source", "none");
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}
