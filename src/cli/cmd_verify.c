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

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "trust", required_argument, NULL, 't' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_err err = { 0 };
	struct al_report rep = { 0 };
	struct al_bundle_info info = { 0 };
	struct cli_progress pr;
	const char *path, *trust_file = NULL;
	struct al_trust trust = { 0 };
	json_t *signers = NULL;
	int json = 0, quiet = 0, c, code;
	uint64_t total = 0;
	enum al_code rc;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 't': trust_file = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_verify);
		default: return cli_usage("verify", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("verify", "give exactly one bundle (a directory or a tar file)");
	path = argv[optind];
	if (trust_file && al_trust_load(trust_file, &trust, &err))
		return cli_fail(&err);
	/* a directory's total comes from the scan's own walk; a tar's is its size */
	if (al_bundle_is_tar(path) && al_bundle_measure(path, &total, &err)) {
		al_trust_release(&trust);
		return cli_fail(&err);
	}
	cli_progress_start(&pr, "verifying", quiet || json);
	atomic_store(&pr.p.total, total);
	{
		struct al_bview v;
		int checked;
		rc = al_bundle_scan_check(path, &v, &rep, &info, &checked, &pr.p, &err);
		total = v.bytes;
		if (!rc && checked && trust_file)
			rc = al_trust_check(&v, &info, &trust, (int64_t)time(NULL), &rep, &signers, &err);
		al_bview_release(&v);
	}
	cli_progress_stop(&pr);
	al_trust_release(&trust);
	if (rc) {
		al_report_release(&rep);
		json_decref(signers);
		return cli_fail(&err);
	}
	code = al_report_count(&rep) ? EXIT_VERIFY : 0;
	if (json) {
		/* every problem kept is listed, whatever bytes it names (al_json_text escapes them), and
		 * problemCount = the list's length + problemsNotListed (past AL_REPORT_MAX) */
		json_t *probs = json_array(), *out;
		int lost = !probs;
		for (size_t i = 0; i < rep.n && !lost; i++)
			lost = json_array_append_new(probs, al_json_text(rep.msg[i])) != 0;
		out = lost ? NULL
			   : json_pack("{s:o, s:b, s:o, s:I, s:I, s:s*, s:I, s:s, s:O?}", "bundle", al_json_text(path),
				       "ok", code == 0, "problems", probs, "problemCount",
				       (json_int_t)al_report_count(&rep), "problemsNotListed", (json_int_t)rep.dropped,
				       "name", info.name, "version", (json_int_t)info.version, "signatures",
				       trust_file ? "checked" : "not checked", "roles", signers);
		if (lost)
			json_decref(probs);
		if (!out) {
			fprintf(stderr, "airlock: verify: out of memory writing the JSON result\n");
			code = EXIT_ERROR;
		}
		cli_json(out);
	} else if (code) {
		if (signers)
			cli_print_roles(signers);
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "airlock: verify: %s\n", rep.msg[i]);
		if (rep.dropped)
			fprintf(stderr, "airlock: verify: … and %zu more problems\n", rep.dropped);
		fprintf(stderr, "airlock: bundle '%s' FAILED verification: %zu problem%s\n", path,
			al_report_count(&rep), al_report_count(&rep) == 1 ? "" : "s");
	} else {
		char b[32];
		cli_bytes(total, b);
		printf("bundle '%s' is intact: %s version %lld, %zu artifacts, %s, every digest matches\n", path,
		       info.name ? info.name : "?", (long long)info.version, info.nartifacts, b);
		if (signers) {
			cli_print_roles(signers);
			printf("signatures satisfy the trust policy '%s'\n", trust_file);
		} else {
			printf("note: no signature was checked (integrity only): give --trust FILE\n");
		}
	}
	json_decref(signers);
	al_bundle_info_release(&info);
	al_report_release(&rep);
	return code;
}
