/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan.h: what a security officer reads before a bundle crosses (docs/cmd/scan.md):
 * known vulnerabilities of its wheels (osv.h), what its model files would run or how
 * their headers lie (pickle.h, tensors.h), code a model needs to be trusted with,
 * licences, where it came from, each judged by a policy into a verdict.
 *
 * The scan reads a bundle that has been verified (a directory, or a tar staged by the
 * caller): every byte it judges is a byte the signatures cover. A file it cannot read,
 * a record it cannot parse, an advisory it cannot evaluate is never "nothing found":
 * it is an error, or a finding that says what could not be ruled out.
 */
#ifndef AL_SCAN_H
#define AL_SCAN_H

#include <jansson.h>
#include <stdint.h>

#include "bundle.h"
#include "err.h"
#include "osv.h"

/* Severities, ranked; AL_SEV_NEVER as fail_on fails on none. */
enum al_sev { AL_SEV_NONE = 0, AL_SEV_LOW, AL_SEV_MEDIUM, AL_SEV_HIGH, AL_SEV_CRITICAL, AL_SEV_NEVER };

struct al_scan_policy {
	char *path;            /* the file, or NULL for the defaults */
	enum al_sev fail_on;   /* a vulnerability at or above fails (default HIGH) */
	enum al_sev unknown;   /* the rank of a vulnerability without a severity (default HIGH) */
	const char *remote_code; /* "review" (default), "fail" or "allow" */
	const char *telemetry;   /* the same, for a telemetry SDK a wheel imports */
	json_t *licenses_allow, *licenses_review; /* lower-case ids; NULL: licences are only reported */
	json_t *origins_deny;  /* fnmatch patterns over an artifact's upstream */
	json_t *exceptions;    /* OpenVEX statements, each with "expires" (checked) */
	json_t *doc;           /* the parsed file, owning the above */
};

/* The defaults (no file). */
void al_scan_policy_default(struct al_scan_policy *p);
/* Reads policy.yaml; every key checked, unknown keys refused; exceptions need a justification
 * (or an impact statement) and an expiry date. */
enum al_code al_scan_policy_load(const char *path, struct al_scan_policy *p, struct al_err *err);
void al_scan_policy_release(struct al_scan_policy *p);
/* "LOW" … "CRITICAL", "NONE", "UNKNOWN" → rank (UNKNOWN is the policy's); -1 when not a severity. */
int al_sev_parse(const char *s);

struct al_scan_opts {
	struct al_osv *osv;                   /* NULL: vulnerabilities are not matched (said in the result) */
	const struct al_scan_policy *policy;
	int64_t now;                          /* for exception expiry */
};

/*
 * Scans the verified bundle directory DIR whose check gave INFO. *out is the scan document
 * (docs/cmd/scan.md: osv-scanner's `results`, then `model_files`, `licenses`, `origins`,
 * `phone_home` and `verdict`), a new reference. Errors: reading, memory, the database.
 */
enum al_code al_scan_bundle(const char *dir, const struct al_bundle_info *info, const struct al_scan_opts *o,
			    json_t **out, struct al_err *err);

/* ---- the parts (scan_model.c), each appending its findings to the arrays given */

/* The files of model artifact A, read from DIR's blobs (PHONE_HOME, when given, gets what its code
 * and config files would reach: the text files' telemetry imports and outside hosts). Without
 * MODEL_FILES only the licences are read (the card, GGUF headers), as the SBOM needs them. */
enum al_code al_scan_model(const char *dir, const struct al_artifact *a, const struct al_scan_policy *p,
			   json_t *model_files, json_t *licenses, json_t *phone_home, struct al_err *err);
/* Telemetry SDK imports (disposed of as TELEMETRY says) and hard-coded outside hosts (reported)
 * in the Python files of the wheel at PATH. */
enum al_code al_scan_wheel_code(const char *path, const char *artifact, const char *telemetry, json_t *phone_home,
				struct al_err *err);

/*
 * The packages installed in image artifact A (image_pkgs.c), read from its layers as
 * streams: *out a new array of {ecosystem ("Debian:12", "Alpine:v3.19", "PyPI"), name,
 * version, source?, purl}; an index's platforms each once.
 */
enum al_code al_image_packages(const char *dir, const struct al_artifact *a, json_t **out, struct al_err *err);
/* The packages that these texts of an image describe (each may be NULL): os-release, dpkg's
 * status, apk's installed database. A new array (NULL only when out of memory). */
json_t *al_image_packages_text(const char *os_release, const char *dpkg_status, const char *apk_installed);

/* The same for one text file of a model (code, a config): FILE names it in the findings. */
enum al_code al_scan_text_file(const char *path, const char *artifact, const char *file, const char *telemetry,
			       json_t *phone_home, struct al_err *err);

/* ---- the bill of materials (sbom_doc.c) */

/*
 * The verified bundle at DIR (INFO from its check) as a bill of materials: FORMAT
 * "cyclonedx" (CycloneDX 1.6 JSON) or "spdx" (SPDX 2.3 JSON), created at NOW. Every
 * artifact with its purl and SHA-256; models with their card's licence, base model and
 * datasets; wheels with the requirements their METADATA declares, each a package that
 * the wheel depends on. *out is a new reference.
 */
enum al_code al_sbom_document(const char *dir, const struct al_bundle_info *info, const char *format, int64_t now,
			      json_t **out, struct al_err *err);

/* ---- the reviewer's page (report.c) */

/*
 * The review page of the bundle at BUNDLE (INFO from its check, SCAN its scan document):
 * the verdict, a summary, the artifacts with their sources and pins, vulnerabilities by
 * severity, model files, licences, origins, phone-home, the signatures (the trust check's
 * SIGNERS, or else the SIG_FILES present, unchecked) and the custody records with their
 * problems. One self-contained HTML page appended to OUT.
 */
enum al_code al_report_page(const json_t *scan, const struct al_bundle_info *info, const char *bundle,
			    const json_t *signers, const json_t *sig_files, const json_t *custody_records,
			    const struct al_report *custody_problems, int64_t now, struct al_buf *out, struct al_err *err);

/* ---- the inside (scan_store.c) */

/* ITEMS (al_store_select over al_store_contents) as a bundle's artifact list over the store
 * at ROOT, for al_scan_bundle(ROOT, …): wheels get their project and version from their
 * METADATA. *info is zeroed first and released with al_bundle_info_release in every case. */
enum al_code al_scan_store_info(const char *root, const json_t *items, struct al_bundle_info *info,
				struct al_err *err);
/* Every OSV record blob of every vulndb artifact among ITEMS, into O. */
enum al_code al_osv_import_store(struct al_osv *o, const char *root, const json_t *items, struct al_osv_stats *st,
				 struct al_err *err);

#endif
