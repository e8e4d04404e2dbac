/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sbom_doc.c: `airlock sbom` (scan.h): a verified bundle's bill of materials as CycloneDX
 * 1.6 or SPDX 2.3 JSON. Every artifact with its purl and SHA-256; models with what their
 * card states (licence, base model, datasets); wheels with the dependencies their
 * METADATA declares (Requires-Dist), each a package of its own.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"
#include "sbom.h"
#include "scan.h"
#include "scan_internal.h"
#include "wheel.h"

/* SPDX ids of the licence names model cards use, where the two differ only in case. */
static const char *spdx_id(const char *hf)
{
	static const char *const ids[] = { "Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0",
					   "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0",
					   "CC-BY-NC-ND-4.0", "MPL-2.0", "Unlicense", "ISC", "Zlib",
					   "AFL-3.0", "Artistic-2.0", "BSL-1.0", "ECL-2.0", "EPL-2.0", "EUPL-1.2",
					   "WTFPL", "PostgreSQL", "OpenRAIL", NULL };
	for (const char *const *i = ids; *i; i++)
		if (!strcasecmp(hf, *i) && strcmp(*i, "OpenRAIL"))
			return *i;
	return NULL;
}

/* The Requires-Dist lines of a wheel's METADATA (its manifest's config blob), as strings. */
static enum al_code requires(const char *dir, const struct al_artifact *a, json_t *out, struct al_err *err)
{
	char *mpath = al_scan_blob_path(dir, a->digest), *cpath = NULL;
	json_t *m = NULL;
	struct al_buf b;
	enum al_code rc;
	const char *p, *end;
	al_buf_init(&b, AL_MAX_METADATA);
	rc = mpath ? al_scan_read_json(mpath, AL_MAX_MANIFEST, a->name, &m, err) : al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && !al_json_str(json_object_get(m, "config"), "digest"))
		rc = al_fail(err, AL_EVERIFY, "wheel %s: a manifest without a config", a->name);
	if (!rc && !(cpath = al_scan_blob_path(dir, al_json_str(json_object_get(m, "config"), "digest"))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc)
		rc = al_read_file(cpath, AL_NOFOLLOW, &b, err);
	for (p = b.data, end = b.data ? b.data + b.len : NULL; !rc && p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n == 0 || (n == 1 && *p == '\r'))
			break; /* (the headers end at the first empty line) */
		if (n > 15 && !strncasecmp(p, "Requires-Dist:", 14)) {
			const char *v = p + 14;
			size_t vn = n - 14;
			while (vn && (*v == ' ' || *v == '\t'))
				v++, vn--;
			while (vn && isspace((unsigned char)v[vn - 1]))
				vn--;
			if (vn && json_array_append_new(out, json_stringn(v, vn)))
				rc = al_fail(err, AL_ENOMEM, "out of memory");
		}
		p = nl ? nl + 1 : end;
	}
	al_buf_release(&b);
	json_decref(m);
	free(mpath);
	free(cpath);
	return rc;
}

/* The distribution name a requirement line starts with (PEP 508), PEP 503 normalized: fresh. */
static char *req_name(const char *line)
{
	size_t n = 0;
	while (isalnum((unsigned char)line[n]) || line[n] == '-' || line[n] == '_' || line[n] == '.')
		n++;
	return n ? al_pep503_normalize(line, n) : NULL;
}

/* What the SBOM says of each artifact besides the bundle's own list: {licenses, base_model?, datasets?,
 * requires}. One object per artifact, in order. */
static enum al_code facts(const char *dir, const struct al_bundle_info *info, json_t **out, struct al_err *err)
{
	struct al_scan_policy p;
	enum al_code rc = AL_OK;
	al_scan_policy_default(&p);
	*out = json_array();
	for (size_t i = 0; !rc && *out && i < info->nartifacts; i++) {
		const struct al_artifact *a = &info->artifacts[i];
		json_t *f = json_pack("{s:[], s:[]}", "licenses", "requires"), *lic = json_array(), *l;
		size_t k;
		if (!f || !lic)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (a->kind == AL_KIND_MODEL)
			rc = al_scan_model(dir, a, &p, NULL, lic, NULL, err); /* (the licences only) */
		else if (a->kind == AL_KIND_WHEEL)
			rc = requires(dir, a, json_object_get(f, "requires"), err);
		else if (a->kind == AL_KIND_IMAGE) {
			json_t *pk = NULL;
			if (!(rc = al_image_packages(dir, a, &pk, err)))
				json_object_set_new(f, "packages", pk);
		}
		json_array_foreach(rc ? NULL : lic, k, l) {
			if (al_json_str(l, "license"))
				json_array_append(json_object_get(f, "licenses"), json_object_get(l, "license"));
			if (json_object_get(l, "base_model"))
				json_object_set(f, "base_model", json_object_get(l, "base_model"));
			if (json_object_get(l, "datasets"))
				json_object_set(f, "datasets", json_object_get(l, "datasets"));
		}
		json_decref(lic);
		if (!rc && json_array_append_new(*out, f))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (rc)
			json_decref(f);
	}
	if (!*out)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	return rc;
}

/* A list of strings from a string or an array. */
static json_t *as_list(const json_t *v)
{
	json_t *a = json_array();
	if (json_is_string(v))
		json_array_append(a, (json_t *)v);
	else if (json_is_array(v))
		for (size_t i = 0; i < json_array_size(v); i++)
			if (json_is_string(json_array_get(v, i)))
				json_array_append(a, json_array_get(v, i));
	return a;
}

/* ---------------------------------------------------------------- CycloneDX 1.6 */

/* The licences of component C, as CycloneDX writes them. */
static void cdx_licenses(json_t *c, const json_t *lics)
{
	json_t *out = json_array(), *l;
	size_t i;
	json_array_foreach(lics, i, l) {
		const char *id = spdx_id(json_string_value(l));
		json_array_append_new(out, id ? json_pack("{s:{s:s}}", "license", "id", id)
					      : json_pack("{s:{s:O}}", "license", "name", l));
	}
	if (json_array_size(out))
		json_object_set(c, "licenses", out);
	json_decref(out);
}

/* Model card facts into the component's modelCard and pedigree. */
static void cdx_model(json_t *c, const json_t *f)
{
	json_t *ds = as_list(json_object_get(f, "datasets")), *bm = as_list(json_object_get(f, "base_model")), *v;
	json_t *card = json_object_get(c, "modelCard"), *sets = json_array(), *anc = json_array();
	size_t i;
	json_array_foreach(ds, i, v)
		json_array_append_new(sets, json_pack("{s:s, s:O}", "type", "dataset", "name", v));
	json_array_foreach(bm, i, v)
		json_array_append_new(anc, json_pack("{s:s, s:O}", "type", "machine-learning-model", "name", v));
	if (card && json_array_size(sets))
		json_object_set_new(card, "modelParameters", json_pack("{s:O}", "datasets", sets));
	if (json_array_size(anc))
		json_object_set_new(c, "pedigree", json_pack("{s:O}", "ancestors", anc));
	json_decref(ds);
	json_decref(bm);
	json_decref(sets);
	json_decref(anc);
}

/* Declared dependencies: a component for each distinct one that the bundle does not carry, and the graph. */
static void cdx_requires(json_t *doc, const struct al_bundle_info *info, const json_t *fx)
{
	json_t *comps = json_object_get(doc, "components"), *deps = json_array(), *seen = json_object();
	for (size_t i = 0; i < info->nartifacts; i++) {
		const json_t *reqs = json_object_get(json_array_get(fx, i), "requires"), *r;
		json_t *on = json_array();
		size_t k;
		json_array_foreach(reqs, k, r) {
			char *name = req_name(json_string_value(r)), *ref = name ? al_strf("pypi-requirement:%s", name) : NULL;
			const char *target = ref;
			for (size_t j = 0; name && j < info->nartifacts; j++)
				if (info->artifacts[j].kind == AL_KIND_WHEEL && al_json_str(info->artifacts[j].info, "project")) {
					char *pn = al_pep503_normalize(al_json_str(info->artifacts[j].info, "project"),
								       strlen(al_json_str(info->artifacts[j].info, "project")));
					if (pn && !strcmp(pn, name))
						target = info->artifacts[j].ref;
					free(pn);
				}
			if (target == ref && ref && !json_object_get(seen, ref)) {
				char *purl = al_strf("pkg:pypi/%s", name);
				json_object_set_new(seen, ref, json_true());
				json_array_append_new(comps, json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:O}]}", "type",
								       "library", "bom-ref", ref, "name", name, "purl", purl,
								       "scope", "required", "properties", "name",
								       "airlock:requirement", "value", r));
				free(purl);
			}
			int listed = 0;
			for (size_t j = 0; target && j < json_array_size(on); j++)
				listed |= !strcmp(json_string_value(json_array_get(on, j)), target);
			if (target && !listed) /* (one name may be required under several markers) */
				json_array_append_new(on, json_string(target));
			free(name);
			free(ref);
		}
		if (json_array_size(on))
			json_array_append_new(deps, json_pack("{s:s, s:O}", "ref", info->artifacts[i].ref, "dependsOn", on));
		json_decref(on);
	}
	if (json_array_size(deps))
		json_object_set(doc, "dependencies", deps);
	json_decref(deps);
	json_decref(seen);
}

static enum al_code cyclonedx(const struct al_bundle_info *info, const json_t *fx, json_t **out, struct al_err *err)
{
	json_t *comps;
	enum al_code rc = al_sbom_build(info->name, info->version, info->created, info->artifacts, info->nartifacts, out,
					err);
	if (rc)
		return rc;
	comps = json_object_get(*out, "components");
	for (size_t i = 0; i < info->nartifacts; i++) {
		json_t *c = json_array_get(comps, i);
		const json_t *f = json_array_get(fx, i);
		const json_t *pk;
		json_t *nested = json_array();
		size_t k;
		cdx_licenses(c, json_object_get(f, "licenses"));
		if (info->artifacts[i].kind == AL_KIND_MODEL)
			cdx_model(c, f);
		/* the packages installed in an image, as components of its component */
		json_array_foreach(json_object_get(f, "packages"), k, pk) {
			char *ref = al_strf("%s#%s", info->artifacts[i].ref, al_json_str(pk, "purl"));
			json_array_append_new(nested, json_pack("{s:s, s:s?, s:O, s:O, s:O, s:[{s:s, s:O}]}", "type", "library",
								"bom-ref", ref, "name", json_object_get(pk, "name"), "version",
								json_object_get(pk, "version"), "purl", json_object_get(pk, "purl"),
								"properties", "name", "airlock:ecosystem", "value",
								json_object_get(pk, "ecosystem")));
			free(ref);
		}
		if (json_array_size(nested))
			json_object_set(c, "components", nested);
		json_decref(nested);
	}
	cdx_requires(*out, info, fx);
	return AL_OK;
}

/* ---------------------------------------------------------------- SPDX 2.3 */

/* An SPDX licence expression for the licences LICS, adding each one SPDX has no id for to
 * EXTRACTED (as LicenseRef-…, which SPDX requires to be declared there). */
static json_t *spdx_license(const json_t *lics, json_t *extracted)
{
	struct al_buf b;
	json_t *out, *l;
	size_t i;
	if (!json_array_size(lics))
		return json_string("NOASSERTION");
	al_buf_init(&b, 1u << 16);
	json_array_foreach(lics, i, l) {
		const char *id = spdx_id(json_string_value(l));
		if (i)
			al_buf_adds(&b, " AND ", NULL);
		if (id) {
			al_buf_adds(&b, id, NULL);
			continue;
		}
		char ref[160] = "LicenseRef-";
		size_t n = strlen(ref);
		for (const char *p = json_string_value(l); *p && n + 1 < sizeof(ref); p++)
			ref[n++] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '-';
		ref[n] = 0;
		al_buf_adds(&b, ref, NULL);
		int have = 0;
		for (size_t k = 0; k < json_array_size(extracted); k++)
			have |= !strcmp(al_json_str(json_array_get(extracted, k), "licenseId"), ref);
		if (!have)
			json_array_append_new(extracted, json_pack("{s:s, s:s, s:O}", "licenseId", ref, "extractedText",
								   "The licence a model card names (not an SPDX licence)",
								   "name", l));
	}
	out = al_buf_check(&b, NULL) ? NULL : json_string(b.data);
	al_buf_release(&b);
	return out;
}

/* SPDX 2.3's primaryPackagePurpose is a closed set: it has no DATA or MODEL (SPDX 3 has). */
static const char *spdx_purpose(enum al_kind k)
{
	switch (k) {
	case AL_KIND_WHEEL: return "LIBRARY";
	case AL_KIND_IMAGE: return "CONTAINER";
	case AL_KIND_FILE: return "FILE";
	default: return "OTHER";
	}
}

static enum al_code spdx(const struct al_bundle_info *info, const json_t *fx, int64_t now, json_t **out,
			 struct al_err *err)
{
	json_t *pkgs = json_array(), *rels = json_array(), *extracted = json_array();
	unsigned char u[16];
	char ts[32], ns[160];
	if (RAND_bytes(u, sizeof(u)) != 1) {
		json_decref(pkgs);
		json_decref(rels);
		json_decref(extracted);
		return al_fail_ssl(err, "cannot make a document namespace");
	}
	al_time_fmt(now, ts);
	snprintf(ns, sizeof(ns), "https://airlock.invalid/spdx/%s-%lld-%02x%02x%02x%02x%02x%02x%02x%02x",
		 info->name, (long long)info->version, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7]);
	for (size_t i = 0; i < info->nartifacts; i++) {
		const struct al_artifact *a = &info->artifacts[i];
		const json_t *f = json_array_get(fx, i);
		char id[48], *purl = al_purl(a);
		const char *ver = al_json_str(a->info, "version") ? al_json_str(a->info, "version")
								 : al_json_str(a->info, "revision");
		snprintf(id, sizeof(id), "SPDXRef-Artifact-%zu", i + 1);
		json_t *lic = spdx_license(json_object_get(f, "licenses"), extracted);
		json_t *p = json_pack("{s:s, s:o, s:s, s:b, s:[{s:s, s:s}], s:s, s:o, s:s, s:s, s:[{s:s, s:s, s:s}]}",
				      "SPDXID", id, "name", al_json_text(a->name), "downloadLocation", "NOASSERTION",
				      "filesAnalyzed", 0, "checksums", "algorithm", "SHA256", "checksumValue",
				      a->kind == AL_KIND_WHEEL || a->kind == AL_KIND_FILE ? al_json_str(a->info, "sha256")
											 : a->digest + 7,
				      "licenseConcluded", "NOASSERTION", "licenseDeclared", lic, "copyrightText",
				      "NOASSERTION", "primaryPackagePurpose", spdx_purpose(a->kind), "externalRefs",
				      "referenceCategory", "PACKAGE-MANAGER", "referenceType", "purl", "referenceLocator",
				      purl ? purl : "");
		free(purl);
		if (ver && p)
			json_object_set_new(p, "versionInfo", json_string(ver));
		json_array_append_new(pkgs, p);
		json_array_append_new(rels, json_pack("{s:s, s:s, s:s}", "spdxElementId", "SPDXRef-DOCUMENT",
						      "relationshipType", "DESCRIBES", "relatedSpdxElement", id));
		for (size_t k = 0; k < json_array_size(json_object_get(f, "packages")); k++) {
			const json_t *pk = json_array_get(json_object_get(f, "packages"), k);
			char pid[80];
			snprintf(pid, sizeof(pid), "SPDXRef-Installed-%zu-%zu", i + 1, k + 1);
			json_array_append_new(pkgs, json_pack("{s:s, s:O, s:O, s:s, s:b, s:s, s:s, s:s, s:[{s:s, s:s, s:O}]}",
							      "SPDXID", pid, "name", json_object_get(pk, "name"), "versionInfo",
							      json_object_get(pk, "version"), "downloadLocation", "NOASSERTION",
							      "filesAnalyzed", 0, "licenseConcluded", "NOASSERTION",
							      "licenseDeclared", "NOASSERTION", "copyrightText", "NOASSERTION",
							      "externalRefs", "referenceCategory", "PACKAGE-MANAGER",
							      "referenceType", "purl", "referenceLocator",
							      json_object_get(pk, "purl")));
			json_array_append_new(rels, json_pack("{s:s, s:s, s:s}", "spdxElementId", id, "relationshipType",
							      "CONTAINS", "relatedSpdxElement", pid));
		}
		for (size_t k = 0; k < json_array_size(json_object_get(f, "requires")); k++) {
			const char *r = json_string_value(json_array_get(json_object_get(f, "requires"), k));
			char did[80], *name = req_name(r), *dpurl = name ? al_strf("pkg:pypi/%s", name) : NULL;
			snprintf(did, sizeof(did), "SPDXRef-Requirement-%zu-%zu", i + 1, k + 1);
			if (name && dpurl) {
				json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}",
								      "SPDXID", did, "name", name, "downloadLocation",
								      "NOASSERTION", "filesAnalyzed", 0, "licenseConcluded",
								      "NOASSERTION", "licenseDeclared", "NOASSERTION",
								      "copyrightText", "NOASSERTION", "comment", r,
								      "externalRefs", "referenceCategory", "PACKAGE-MANAGER",
								      "referenceType", "purl", "referenceLocator", dpurl));
				json_array_append_new(rels, json_pack("{s:s, s:s, s:s}", "spdxElementId", id,
								      "relationshipType", "DEPENDS_ON", "relatedSpdxElement",
								      did));
			}
			free(name);
			free(dpurl);
		}
	}
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[s]}, s:o, s:o}", "spdxVersion", "SPDX-2.3", "dataLicense",
			 "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT", "name", info->name, "documentNamespace", ns,
			 "creationInfo", "created", ts, "creators", "Tool: airlock-" AL_VERSION, "packages", pkgs,
			 "relationships", rels);
	if (*out && json_array_size(extracted))
		json_object_set(*out, "hasExtractedLicensingInfos", extracted);
	json_decref(extracted);
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

enum al_code al_sbom_document(const char *dir, const struct al_bundle_info *info, const char *format, int64_t now,
			      json_t **out, struct al_err *err)
{
	json_t *fx = NULL;
	enum al_code rc = facts(dir, info, &fx, err);
	*out = NULL;
	if (!rc)
		rc = !strcmp(format, "spdx") ? spdx(info, fx, now, out, err) : cyclonedx(info, fx, out, err);
	json_decref(fx);
	return rc;
}
