/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_verify.c: `airlock verify` — check a bundle strictly (docs/cmd/verify.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <time.h>

#include "bundle.h"
#include "cli.h"
#include "json.h"
#include "trust.h"

/* What verify found, for the printers. */
struct verdict {
	const char *path, *trust_file;
	struct al_report rep;
	struct al_bundle_info info;
	json_t *signers;  /* the roles' summary, when a trust policy was checked */
	uint64_t total;   /* bytes checked */
};

/*
 * Checks the bundle at r->path, and its signatures against TRUST when a policy was given,
 * showing progress unless QUIET. Problems go into r->rep; the return is an operational
 * failure only.
 */
static enum al_code check_bundle(struct verdict *r, const struct al_trust *trust, int quiet, struct al_err *err)
{
	struct cli_progress pr;
	struct al_bview v;
	enum al_code rc;
	int checked;
	/* a directory's total comes from the scan's own walk; a tar's is its size */
	if (al_bundle_is_tar(r->path) && (rc = al_bundle_measure(r->path, &r->total, err)))
		return rc;
	cli_progress_start(&pr, "verifying", quiet);
	atomic_store(&pr.p.total, r->total);
	rc = al_bundle_scan_check(r->path, &v, &r->rep, &r->info, &checked, &pr.p, err);
	r->total = v.bytes;
	if (!rc && checked && r->trust_file)
		rc = al_trust_check(&v, &r->info, trust, (int64_t)time(NULL), &r->rep, &r->signers, err);
	al_bview_release(&v);
	cli_progress_stop(&pr);
	return rc;
}

/* The verdict as one JSON document on stdout; CODE, or EXIT_ERROR when it cannot be built. */
static int print_json(const struct verdict *r, int code)
{
	/* every problem kept is listed, whatever bytes it names (al_json_text escapes them), and
	 * problemCount = the list's length + problemsNotListed (past AL_REPORT_MAX) */
	json_t *probs = json_array(), *out;
	int lost = !probs;
	for (size_t i = 0; i < r->rep.n && !lost; i++)
		lost = json_array_append_new(probs, al_json_text(r->rep.msg[i])) != 0;
	out = lost ? NULL
		   : json_pack("{s:o, s:b, s:o, s:I, s:I, s:s*, s:I, s:s, s:O?, s:s*}", "bundle", al_json_text(r->path),
			       "ok", code == 0, "problems", probs, "problemCount", (json_int_t)al_report_count(&r->rep),
			       "problemsNotListed", (json_int_t)r->rep.dropped, "name", r->info.name, "version",
			       (json_int_t)r->info.version, "signatures", r->trust_file ? "checked" : "not checked",
			       "roles", r->signers, "scan", r->info.scan_verdict[0] ? r->info.scan_verdict : NULL);
	if (out && r->info.nbase)
		json_object_set_new(out, "base", json_pack("{s:I, s:I}", "blobs", (json_int_t)r->info.nbase, "bytes",
							   (json_int_t)r->info.base_bytes));
	if (lost)
		json_decref(probs);
	if (!out) {
		fprintf(stderr, "airlock: verify: out of memory writing the JSON result\n");
		code = EXIT_ERROR;
	}
	cli_json(out);
	return code;
}

/* The verdict for a person: every problem on stderr, or what was found intact on stdout. */
static void print_text(const struct verdict *r)
{
	char b[32];
	if (al_report_count(&r->rep)) {
		if (r->signers)
			cli_print_roles(r->signers);
		for (size_t i = 0; i < r->rep.n; i++)
			fprintf(stderr, "airlock: verify: %s\n", r->rep.msg[i]);
		if (r->rep.dropped)
			fprintf(stderr, "airlock: verify: … and %zu more problems\n", r->rep.dropped);
		fprintf(stderr, "airlock: bundle '%s' FAILED verification: %zu problem%s\n", r->path,
			al_report_count(&r->rep), al_report_count(&r->rep) == 1 ? "" : "s");
		return;
	}
	cli_bytes(r->total, b);
	printf("bundle '%s' is intact: %s version %lld, %zu artifacts, %s, every digest matches\n", r->path,
	       r->info.name ? r->info.name : "?", (long long)r->info.version, r->info.nartifacts, b);
	if (r->info.scan_verdict[0])
		printf("scan attached (scan.json): verdict %s\n", r->info.scan_verdict);
	if (r->info.nbase) {
		cli_bytes(r->info.base_bytes, b);
		printf("differential: %zu blobs (%s) are taken on trust from its base (base.json lists them); import "
		       "checks each against the store\n",
		       r->info.nbase, b);
	}
	if (r->signers) {
		cli_print_roles(r->signers);
		printf("signatures satisfy the trust policy '%s'\n", r->trust_file);
	} else {
		printf("note: no signature was checked (integrity only): give --trust FILE\n");
	}
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "trust", required_argument, NULL, 't' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_err err = { 0 };
	struct verdict r = { 0 };
	struct al_trust trust = { 0 };
	int json = 0, quiet = 0, c, code;
	enum al_code rc;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 't': r.trust_file = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_verify);
		default: return cli_usage("verify", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("verify", "give exactly one bundle (a directory or a tar file)");
	r.path = argv[optind];
	if (r.trust_file && al_trust_load(r.trust_file, &trust, &err))
		return cli_fail(&err);
	rc = check_bundle(&r, &trust, quiet || json, &err);
	al_trust_release(&trust);
	if (rc) {
		code = cli_fail(&err);
	} else {
		code = al_report_count(&r.rep) ? EXIT_VERIFY : 0;
		if (json)
			code = print_json(&r, code);
		else
			print_text(&r);
	}
	json_decref(r.signers);
	al_bundle_info_release(&r.info);
	al_report_release(&r.rep);
	return code;
}
