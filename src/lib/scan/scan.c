/* SPDX-License-Identifier: Apache-2.0 */
/* scan.c: a verified bundle's scan: its wheels' vulnerabilities, its models, its origins, the verdict (scan.h). */
#include "scan.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "json.h"
#include "scan_internal.h"
#include "sbom.h"
#include "vercmp.h"

/* The rank of a hit's severity under the policy (UNKNOWN takes the policy's rank). */
static int hit_rank(const json_t *hit, const struct al_scan_policy *p)
{
	int r = al_sev_parse(al_json_str(json_object_get(hit, "severity"), "rating"));
	return r < 0 ? (int)p->unknown : r;
}

/* Whether exception S names HIT (its id or an alias) for the package PURL ("pkg:pypi/NAME@VERSION"). */
static int exception_names(const json_t *s, const json_t *hit, const char *purl)
{
	const char *vuln = al_json_str(json_object_get(s, "vulnerability"), "name");
	const json_t *products = json_object_get(s, "products");
	int named = !strcmp(vuln, al_json_str(hit, "id")), ok = !products;
	size_t i, at = strcspn(purl, "@");
	json_t *v;
	json_array_foreach(json_object_get(hit, "aliases"), i, v)
		named |= !strcmp(vuln, json_string_value(v));
	json_array_foreach(products, i, v) {
		const char *id = al_json_str(v, "@id");
		ok |= !strcmp(id, purl) || (strlen(id) == at && !strncmp(id, purl, at));
	}
	return named && ok;
}

/* How the policy disposes of one hit: "fail", "pass", or "suppressed" (with the exception noted in HIT). */
static const char *dispose(json_t *hit, const char *purl, const struct al_scan_policy *p, int64_t now)
{
	size_t i;
	json_t *s;
	json_array_foreach(p->exceptions, i, s) {
		int64_t until = 0;
		const char *status = al_json_str(s, "status");
		if (!exception_names(s, hit, purl) || (strcmp(status, "not_affected") && strcmp(status, "fixed")))
			continue;
		al_time_parse(al_json_str(s, "expires"), &until);
		if (until + 86400 <= now) { /* (an expiry date lasts to its end, UTC) */
			json_object_set_new(hit, "exception_expired", json_string(al_json_str(s, "expires")));
			continue;
		}
		json_object_set(hit, "exception", s);
		return "suppressed";
	}
	return hit_rank(hit, p) >= (int)p->fail_on ? "fail" : "pass";
}

/* Whether hits A and B share an id or alias (osv-scanner's groups). */
static int related(const json_t *a, const json_t *b)
{
	size_t i, j;
	json_t *x, *y;
	json_t *ia = json_object_get(a, "ids"), *ib = json_object_get(b, "ids");
	json_array_foreach(ia, i, x)
		json_array_foreach(ib, j, y)
			if (json_equal(x, y))
				return 1;
	return 0;
}

/* osv-scanner's groups: hits that share an id or an alias are one vulnerability. */
static json_t *groups_of(const json_t *hits)
{
	json_t *groups = json_array(), *h, *g;
	size_t i, j;
	json_array_foreach(hits, i, h) {
		json_t *ids = json_array();
		json_array_append_new(ids, json_string(al_json_str(h, "id")));
		json_array_extend(ids, json_object_get(h, "aliases"));
		const json_t *score = json_object_get(json_object_get(h, "severity"), "score");
		g = json_pack("{s:o, s:f}", "ids", ids, "score", score ? json_real_value(score) : -1.0);
		for (j = 0; g && j < json_array_size(groups); j++) {
			json_t *o = json_array_get(groups, j);
			if (!related(o, g))
				continue;
			json_array_extend(json_object_get(o, "ids"), json_object_get(g, "ids"));
			if (json_real_value(json_object_get(g, "score")) > json_real_value(json_object_get(o, "score")))
				json_object_set(o, "score", json_object_get(g, "score"));
			json_decref(g);
			g = NULL;
		}
		if (g)
			json_array_append_new(groups, g);
	}
	return groups;
}

/* One package (PKG: {name, version, ecosystem, purl}) in osv-scanner's shape, with airlock's judgement
 * of each hit. */
static enum al_code package_entry(const struct al_artifact *a, json_t *pkg, json_t *hits, const struct al_scan_opts *o,
				  json_t *packages, int *fails, struct al_err *err)
{
	json_t *records = json_array(), *judged = json_array(), *groups = groups_of(hits), *g, *h;
	const char *purl = al_json_str(pkg, "purl");
	size_t i;
	json_array_foreach(hits, i, h) {
		const char *d = dispose(h, purl, o->policy, o->now);
		*fails += !strcmp(d, "fail");
		json_array_append(records, json_object_get(h, "record"));
		json_array_append_new(judged, json_pack("{s:s, s:O, s:O, s:O, s:s, s:O?, s:O?, s:O?}", "id",
							al_json_str(h, "id"), "aliases", json_object_get(h, "aliases"),
							"severity", json_object_get(h, "severity"), "fixed",
							json_object_get(h, "fixed"), "disposition", d, "exception",
							json_object_get(h, "exception"), "exception_expired",
							json_object_get(h, "exception_expired"), "note",
							json_object_get(h, "note")));
	}
	json_array_foreach(groups, i, g) {
		double s = json_real_value(json_object_get(g, "score"));
		char buf[16] = "";
		if (s >= 0)
			snprintf(buf, sizeof(buf), "%.1f", s);
		json_object_set_new(g, "max_severity", json_string(buf));
		json_object_del(g, "score");
		json_object_set(g, "aliases", json_object_get(g, "ids"));
	}
	return al_scan_add(packages,
			   json_pack("{s:O, s:o, s:o, s:{s:o, s:o}}", "package", pkg, "vulnerabilities", records, "groups",
				     groups, "airlock", "artifact", al_json_text(a->name), "findings", judged),
			   err);
}

/* The packages installed in an image, each matched in its own ecosystem. An ecosystem airlock
 * has no version order for (Alpine's apk) is not matched: that is a finding to review. */
static enum al_code scan_image(const char *dir, const struct al_artifact *a, const struct al_scan_opts *o,
			       json_t *packages, json_t *unmatched, int *fails, struct al_err *err)
{
	json_t *pkgs = NULL, *p;
	enum al_code rc = al_image_packages(dir, a, &pkgs, err);
	size_t i, skipped = 0;
	json_array_foreach(rc || !o->osv ? NULL : pkgs, i, p) {
		const char *eco = al_json_str(p, "ecosystem");
		json_t *hits = NULL, *pk;
		const char *name = al_json_str(p, "source") ? al_json_str(p, "source") : al_json_str(p, "name");
		char src[256], ver[256];
		/* (a distribution without its release, no os-release in the image, would match every
		 * release's advisories: not matched, and said so) */
		if (al_vorder_of(eco) == AL_VORDER_NONE || (strcmp(eco, "PyPI") && !strchr(eco, ':'))) {
			skipped++;
			continue;
		}
		/* (dpkg's "Source: NAME (VERSION)": OSV's Debian records name source packages and their
		 * versions, which differ from the binary's after a binary-only rebuild) */
		const char *paren = strchr(name, '(');
		snprintf(src, sizeof(src), "%.*s", (int)strcspn(name, " ("), name);
		snprintf(ver, sizeof(ver), "%.*s", paren ? (int)strcspn(paren + 1, ")") : (int)strlen(al_json_str(p, "version")),
			 paren ? paren + 1 : al_json_str(p, "version"));
		if ((rc = al_osv_match(o->osv, eco, src, ver, &hits, err)))
			break;
		pk = json_pack("{s:s, s:s, s:s, s:s}", "name", src, "version", ver, "ecosystem", eco,
			       "purl", al_json_str(p, "purl") ? al_json_str(p, "purl") : "");
		if (json_array_size(hits))
			rc = package_entry(a, pk, hits, o, packages, fails, err);
		json_decref(pk);
		json_decref(hits);
		if (rc)
			break;
	}
	if (!rc && skipped)
		rc = al_scan_add(unmatched, json_pack("{s:o, s:I, s:s, s:s}", "artifact", al_json_text(a->name), "packages",
						     (json_int_t)skipped, "why",
						     "airlock has no version order for their ecosystem, or the image does not say its release",
						     "disposition", "review"), err);
	json_decref(pkgs);
	return rc;
}

/* The wheels: their vulnerabilities (when there is a database) and what their code would reach. */
static enum al_code scan_wheel(const char *dir, const struct al_artifact *a, const struct al_scan_opts *o,
			       json_t *packages, json_t *phone_home, int *fails, struct al_err *err)
{
	const char *project = al_json_str(a->info, "project"), *version = al_json_str(a->info, "version");
	char *purl = project && version ? al_strf("pkg:pypi/%s@%s", project, version) : NULL;
	char *whl = al_json_str(a->info, "sha256") ? al_strf("%s/blobs/sha256/%s", dir, al_json_str(a->info, "sha256"))
						    : NULL;
	json_t *hits = NULL;
	enum al_code rc = AL_OK;
	if (!purl || !whl)
		rc = al_fail(err, AL_EVERIFY, "wheel %s: no project, version or digest in airlock.json", a->name);
	if (!rc && o->osv && !(rc = al_osv_match(o->osv, "PyPI", project, version, &hits, err)) && json_array_size(hits)) {
		json_t *pk = json_pack("{s:s, s:s, s:s, s:s}", "name", project, "version", version, "ecosystem", "PyPI",
				       "purl", purl);
		rc = package_entry(a, pk, hits, o, packages, fails, err);
		json_decref(pk);
	}
	if (!rc)
		rc = al_scan_wheel_code(whl, a->name, o->policy->telemetry, phone_home, err);
	json_decref(hits);
	free(purl);
	free(whl);
	return rc;
}

/* The origin rules over each artifact's upstream. */
static enum al_code scan_origin(const struct al_artifact *a, const struct al_scan_policy *p, json_t *origins,
				struct al_err *err)
{
	const char *up = a->upstream ? a->upstream : a->name;
	size_t i;
	json_t *pat;
	json_array_foreach(p->origins_deny, i, pat)
		if (!fnmatch(json_string_value(pat), up, 0))
			return al_scan_add(origins,
					   json_pack("{s:o, s:o, s:O, s:s}", "artifact", al_json_text(a->name), "upstream",
						     al_json_text(up), "rule", pat, "disposition", "fail"),
					   err);
	return AL_OK;
}

/* Counts what fails and what needs review, into the verdict. */
static json_t *verdict(json_t *doc, int vuln_fails)
{
	static const char *const lists[] = { "model_files", "licenses", "origins", "phone_home", "unmatched" };
	int fails = vuln_fails, reviews = 0;
	for (size_t l = 0; l < 5; l++) {
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(doc, lists[l]), i, f) {
			const char *d = al_json_str(f, "disposition") ? al_json_str(f, "disposition") : al_json_str(f, "verdict");
			fails += !strcmp(d, "fail") || !strcmp(d, "denied");
			reviews += !strcmp(d, "review");
		}
	}
	return json_pack("{s:s, s:i, s:i}", "result", fails ? "fail" : reviews ? "review" : "pass", "failing", fails,
			 "to_review", reviews);
}

enum al_code al_scan_bundle(const char *dir, const struct al_bundle_info *info, const struct al_scan_opts *o,
			    json_t **out, struct al_err *err)
{
	json_t *packages = json_array(), *model_files = json_array(), *licenses = json_array();
	json_t *origins = json_array(), *phone_home = json_array(), *unmatched = json_array();
	enum al_code rc = AL_OK;
	int fails = 0;
	*out = NULL;
	for (size_t i = 0; !rc && i < info->nartifacts; i++) {
		const struct al_artifact *a = &info->artifacts[i];
		if (a->kind == AL_KIND_WHEEL)
			rc = scan_wheel(dir, a, o, packages, phone_home, &fails, err);
		else if (a->kind == AL_KIND_MODEL)
			rc = al_scan_model(dir, a, o->policy, model_files, licenses, phone_home, err);
		else if (a->kind == AL_KIND_IMAGE)
			rc = scan_image(dir, a, o, packages, unmatched, &fails, err);
		if (!rc)
			rc = scan_origin(a, o->policy, origins, err);
	}
	if (rc) {
		json_decref(packages);
		json_decref(model_files);
		json_decref(licenses);
		json_decref(origins);
		json_decref(phone_home);
		json_decref(unmatched);
		return rc;
	}
	/* (json_pack takes the references of "o" arguments, on failure too) */
	if (!(*out = json_pack("{s:[{s:{s:o, s:s}, s:o}], s:o, s:o, s:o, s:o, s:o}", "results", "source", "path",
			       al_json_text(dir), "type", "bundle", "packages", packages, "model_files", model_files,
			       "licenses", licenses, "origins", origins, "phone_home", phone_home, "unmatched", unmatched)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	json_object_set_new(*out, "verdict", verdict(*out, fails));
	return AL_OK;
}
