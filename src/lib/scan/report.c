/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c: `airlock report` (scan.h): one page for the reviewer, HTML that loads nothing
 * (no script, no style sheet, image or font from anywhere: the style is inline), readable
 * in a browser and printable. Every text from the bundle, the advisories and the policy is
 * escaped.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"
#include "scan.h"

static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:78em;padding:0 1em;color:#111}"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:2px solid #444;margin-top:1.8em}"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #bbb;padding:.25em .5em;"
	"text-align:left;vertical-align:top}th{background:#eee}code{font-size:.92em;word-break:break-all}"
	".verdict{font-size:1.3em;font-weight:bold;padding:.5em .8em;border:3px solid}"
	".v-pass{border-color:#2a7a2a;color:#1d5c1d}.v-review{border-color:#b07a00;color:#7a5400}"
	".v-fail{border-color:#b00020;color:#8a0019}.d-fail,.d-denied{color:#8a0019;font-weight:bold}"
	".d-review{color:#7a5400;font-weight:bold}.none{color:#555;font-style:italic}"
	"@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}tr{break-inside:avoid}}";

struct page {
	struct al_buf *b;
};

static void h(struct page *p, const char *s) { al_buf_add_html(p->b, s ? s : "", NULL); }
static void raw(struct page *p, const char *s) { al_buf_adds(p->b, s, NULL); }

/* <td>TEXT</td>, escaped; CLS when given. */
static void td(struct page *p, const char *text, const char *cls)
{
	if (cls)
		al_buf_addf(p->b, NULL, "<td class=\"%s\">", cls);
	else
		raw(p, "<td>");
	h(p, text);
	raw(p, "</td>");
}

static void td_code(struct page *p, const char *text)
{
	raw(p, "<td><code>");
	h(p, text);
	raw(p, "</code></td>");
}

static void head_row(struct page *p, const char *const *cols)
{
	raw(p, "<table><tr>");
	for (; *cols; cols++) {
		raw(p, "<th>");
		h(p, *cols);
		raw(p, "</th>");
	}
	raw(p, "</tr>\n");
}

static void section(struct page *p, const char *id, const char *title)
{
	al_buf_addf(p->b, NULL, "<section id=\"%s\"><h2>", id);
	h(p, title);
	raw(p, "</h2>\n");
}

static void none(struct page *p, const char *what)
{
	raw(p, "<p class=\"none\">");
	h(p, what);
	raw(p, "</p>\n");
}

/* A JSON list of strings as "a, b, c". */
static void td_list(struct page *p, const json_t *l)
{
	size_t i;
	json_t *v;
	raw(p, "<td>");
	json_array_foreach(l, i, v) {
		if (i)
			raw(p, ", ");
		h(p, json_string_value(v));
	}
	raw(p, "</td>");
}

/* An artifact's manifest and every blob it references. */
static uint64_t artifact_bytes(const struct al_bundle_info *info, size_t i)
{
	uint64_t n = info->artifacts[i].size;
	for (size_t k = 0; k < info->nblobs; k++)
		if (info->blobs[k].artifact == i)
			n += info->blobs[k].size;
	return n;
}

static void summary(struct page *p, const json_t *scan, const struct al_bundle_info *info, const char *bundle)
{
	const json_t *v = json_object_get(scan, "verdict"), *air = json_object_get(scan, "airlock");
	const char *res = al_json_str(v, "result");
	char created[32], expires[32];
	uint64_t total = 0;
	for (size_t i = 0; i < info->nartifacts; i++)
		total += artifact_bytes(info, i);
	al_time_fmt(info->created, created);
	al_time_fmt(info->expires, expires);
	al_buf_addf(p->b, NULL, "<p class=\"verdict v-%s\" id=\"verdict\">Verdict: %s &mdash; %lld failing, %lld to review</p>\n",
		    res, !strcmp(res, "pass") ? "PASS" : !strcmp(res, "review") ? "NEEDS REVIEW" : "FAIL",
		    (long long)json_integer_value(json_object_get(v, "failing")),
		    (long long)json_integer_value(json_object_get(v, "to_review")));
	section(p, "summary", "Summary");
	raw(p, "<table>\n<tr><th>Bundle</th>");
	td_code(p, bundle);
	raw(p, "</tr>\n<tr><th>Name and version</th>");
	raw(p, "<td>");
	h(p, info->name);
	al_buf_addf(p->b, NULL, " version %lld</td></tr>\n<tr><th>Created / expires</th><td>%s / %s</td></tr>\n",
		    (long long)info->version, created, expires);
	raw(p, "<tr><th>SHA256SUMS</th>");
	td_code(p, info->sums_digest);
	al_buf_addf(p->b, NULL, "</tr>\n<tr><th>Artifacts</th><td>%zu, %llu bytes in all (verified: every digest matches)</td></tr>\n",
		    info->nartifacts, (unsigned long long)total);
	raw(p, "<tr><th>Policy</th>");
	td(p, al_json_str(air, "policy"), NULL);
	raw(p, "</tr>\n<tr><th>Advisory data</th>");
	if (json_is_true(json_object_get(json_object_get(air, "vulndb"), "checked")))
		al_buf_addf(p->b, NULL, "<td>%lld OSV records</td>",
			    (long long)json_integer_value(json_object_get(json_object_get(air, "vulndb"), "records")));
	else
		raw(p, "<td class=\"d-review\">NOT CHECKED: no advisory data was given</td>");
	raw(p, "</tr>\n</table></section>\n");
}

static void artifacts(struct page *p, const struct al_bundle_info *info)
{
	static const char *const cols[] = { "Kind", "Name", "Source (pin)", "Version", "Digest", "Bytes", NULL };
	section(p, "artifacts", "Artifacts");
	head_row(p, cols);
	for (size_t i = 0; i < info->nartifacts; i++) {
		const struct al_artifact *a = &info->artifacts[i];
		const char *ver = al_json_str(a->info, "version") ? al_json_str(a->info, "version")
								 : al_json_str(a->info, "revision");
		char n[32];
		raw(p, "<tr>");
		td(p, al_kind_name(a->kind), NULL);
		td(p, a->name, NULL);
		td_code(p, a->upstream);
		td(p, ver ? ver : "", NULL);
		td_code(p, a->digest);
		snprintf(n, sizeof(n), "%llu", (unsigned long long)artifact_bytes(info, i));
		td(p, n, NULL);
		raw(p, "</tr>\n");
	}
	raw(p, "</table></section>\n");
}

/* The vulnerabilities, most severe first. */
static void vulns(struct page *p, const json_t *scan)
{
	static const char *const ranks[] = { "CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "UNKNOWN" };
	static const char *const cols[] = { "Severity", "Package", "Advisory", "Aliases", "Fixed in", "Disposition",
					    "Summary", NULL };
	const json_t *pkgs = json_object_get(json_array_get(json_object_get(scan, "results"), 0), "packages"), *pk, *f;
	size_t i, j, n = 0;
	section(p, "vulnerabilities", "Vulnerabilities (OSV)");
	head_row(p, cols);
	for (size_t r = 0; r < 6; r++)
		json_array_foreach(pkgs, i, pk) json_array_foreach(json_object_get(json_object_get(pk, "airlock"), "findings"), j, f) {
			const json_t *sev = json_object_get(f, "severity"), *rec = json_array_get(json_object_get(pk, "vulnerabilities"), j);
			char s[48], pv[512];
			if (strcmp(al_json_str(sev, "rating"), ranks[r]))
				continue;
			n++;
			snprintf(s, sizeof(s), json_object_get(sev, "score") ? "%s %.1f" : "%s", ranks[r],
				 json_real_value(json_object_get(sev, "score")));
			snprintf(pv, sizeof(pv), "%s %s", al_json_str(json_object_get(pk, "package"), "name"),
				 al_json_str(json_object_get(pk, "package"), "version"));
			raw(p, "<tr>");
			td(p, s, NULL);
			td(p, pv, NULL);
			td(p, al_json_str(f, "id"), NULL);
			td_list(p, json_object_get(f, "aliases"));
			td_list(p, json_object_get(f, "fixed"));
			al_buf_addf(p->b, NULL, "<td class=\"d-%s\">", al_json_str(f, "disposition"));
			h(p, al_json_str(f, "disposition"));
			if (al_json_str(f, "exception_expired")) {
				raw(p, " (exception expired ");
				h(p, al_json_str(f, "exception_expired"));
				raw(p, ")");
			}
			raw(p, "</td>");
			td(p, al_json_str(rec, "summary") ? al_json_str(rec, "summary") : al_json_str(rec, "details"), NULL);
			raw(p, "</tr>\n");
		}
	raw(p, "</table>");
	if (!n)
		none(p, "No known vulnerability in the wheels (with the advisory data given).");
	raw(p, "</section>\n");
}

/* One of the other lists: COLS name the columns, KEYS the members shown in them. */
static void list(struct page *p, const json_t *scan, const char *key, const char *title, const char *const *cols,
		 const char *const *keys, const char *empty)
{
	const json_t *l = json_object_get(scan, key), *f;
	size_t i;
	section(p, key, title);
	if (!json_array_size(l)) {
		none(p, empty);
		raw(p, "</section>\n");
		return;
	}
	head_row(p, cols);
	json_array_foreach(l, i, f) {
		raw(p, "<tr>");
		for (const char *const *k = keys; *k; k++) {
			const json_t *v = json_object_get(f, *k);
			char num[32];
			if (json_is_integer(v)) {
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
				td(p, num, NULL);
			} else if (!strcmp(*k, "disposition") || !strcmp(*k, "verdict")) {
				char cls[32];
				snprintf(cls, sizeof(cls), "d-%s", json_string_value(v) ? json_string_value(v) : "");
				td(p, json_string_value(v), cls);
			} else {
				td(p, json_string_value(v) ? json_string_value(v) : "", NULL);
			}
		}
		raw(p, "</tr>\n");
	}
	raw(p, "</table></section>\n");
}

static void signatures(struct page *p, const json_t *signers, const json_t *present)
{
	const char *role;
	json_t *r;
	size_t i;
	section(p, "signatures", "Signatures");
	if (!signers) {
		al_buf_addf(p->b, NULL, "<p class=\"d-review\">Not checked against a trust policy (give --trust). "
					"Signature files in the bundle: %zu.</p>\n", json_array_size(present));
		json_array_foreach(present, i, r) {
			raw(p, i ? ", <code>" : "<p><code>");
			h(p, json_string_value(r));
			raw(p, "</code>");
		}
		raw(p, json_array_size(present) ? "</p></section>\n" : "</section>\n");
		return;
	}
	static const char *const cols[] = { "Role", "Signed by (key ids)", "Needed", NULL };
	head_row(p, cols);
	json_object_foreach((json_t *)signers, role, r) {
		char need[32];
		snprintf(need, sizeof(need), "%lld", (long long)json_integer_value(json_object_get(r, "threshold")));
		raw(p, "<tr>");
		td(p, role, NULL);
		td_list(p, json_object_get(r, "keys"));
		td(p, need, NULL);
		raw(p, "</tr>\n");
	}
	raw(p, "</table></section>\n");
}

static void custody(struct page *p, const json_t *records, const struct al_report *problems)
{
	static const char *const cols[] = { "#", "Time", "Event", "Actor", "Medium", "Seal", "Note", "Key", NULL };
	static const char *const keys[] = { "seq", "time", "event", "actor", "medium", "seal", "note", "key", NULL };
	json_t *wrap = json_pack("{s:O}", "custody", records ? records : json_null());
	list(p, wrap, "custody", "Chain of custody", cols, keys, "No custody record in the bundle.");
	json_decref(wrap);
	for (size_t i = 0; problems && i < problems->n; i++) {
		raw(p, "<p class=\"d-fail\">Custody problem: ");
		h(p, problems->msg[i]);
		raw(p, "</p>\n");
	}
}

enum al_code al_report_page(const json_t *scan, const struct al_bundle_info *info, const char *bundle,
			    const json_t *signers, const json_t *sig_files, const json_t *custody_records,
			    const struct al_report *custody_problems, int64_t now, struct al_buf *out, struct al_err *err)
{
	static const char *const mcols[] = { "Artifact", "File", "Finding", "Severity", "Disposition", "Detail", NULL };
	static const char *const mkeys[] = { "artifact", "file", "kind", "severity", "disposition", "detail", NULL };
	static const char *const lcols[] = { "Artifact", "Licence", "Stated in", "File", "Verdict", NULL };
	static const char *const lkeys[] = { "artifact", "license", "source", "file", "verdict", NULL };
	static const char *const ocols[] = { "Artifact", "Upstream", "Denied by", "Disposition", NULL };
	static const char *const okeys[] = { "artifact", "upstream", "rule", "disposition", NULL };
	static const char *const pcols[] = { "Artifact", "File", "Line", "Finding", "What", "Disposition", NULL };
	static const char *const pkeys[] = { "artifact", "file", "line", "kind", "what", "disposition", NULL };
	struct page p = { out };
	char when[32];
	al_time_fmt(now, when);
	raw(&p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Review: ");
	h(&p, info->name);
	al_buf_addf(out, NULL, " version %lld</title>\n<style>%s</style></head>\n<body>\n<h1>Review of bundle ",
		    (long long)info->version, style);
	h(&p, info->name);
	al_buf_addf(out, NULL, ", version %lld</h1>\n", (long long)info->version);
	summary(&p, scan, info, bundle);
	artifacts(&p, info);
	vulns(&p, scan);
	list(&p, scan, "model_files", "Model files", mcols, mkeys, "No finding in the model files.");
	list(&p, scan, "licenses", "Licences", lcols, lkeys, "No licence to report (no model).");
	list(&p, scan, "origins", "Origins", ocols, okeys, "No artifact comes from a denied origin.");
	list(&p, scan, "phone_home", "Phone-home", pcols, pkeys, "Nothing in the wheels' code talks to the outside.");
	signatures(&p, signers, sig_files);
	custody(&p, custody_records, custody_problems);
	al_buf_addf(out, NULL, "<footer><p>Written by airlock %s at %s. This page loads nothing from anywhere.</p></footer>\n"
			       "</body></html>\n", AL_VERSION, when);
	return al_buf_check(out, err);
}
