/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_scan.c: `airlock scan` — what is known to be wrong with a bundle, judged by a policy (docs/cmd/scan.md). */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "fsx.h"
#include "json.h"
#include "scan.h"
#include "store.h"
#include "trust.h"
#include "custody.h"
#include "hash.h"

struct scan_run {
	const char *bundle, *out_file;
	const char *store;  /* --store: scan what the store holds (bundle is then NULL) */
	char **patterns;    /* its artifacts to scan (NULL-terminated; NULL: all) */
	int attach;         /* --attach: scan.json into the (unsigned) bundle directory */
	const char *vulndb[16];
	size_t nvulndb;
	struct al_osv osv;
	struct al_osv_stats stats;
	struct al_scan_policy policy;
	struct al_report rep;
	struct al_bundle_info info;
	char *tmp;      /* the staging directory of a tar bundle, removed at the end */
	char *stage;    /* the bundle unpacked in it */
	char *own_db;   /* the store's vulndb.db, when it is the one used */
	const char *trust_file; /* report --trust: the signatures are checked as the bundle is */
	struct al_trust trust;
	json_t *signers;
	json_t *doc;
};

/* Everything a run holds, released (its staging directory removed). */
static void run_release(struct scan_run *r)
{
	if (r->tmp)
		al_rmtree(r->tmp, NULL);
	free(r->tmp);
	free(r->stage);
	free(r->own_db);
	json_decref(r->doc);
	json_decref(r->signers);
	al_trust_release(&r->trust);
	if (r->osv.db)
		al_osv_close(&r->osv);
	al_scan_policy_release(&r->policy);
	al_bundle_info_release(&r->info);
	al_report_release(&r->rep);
}

/* --vulndb PATH for command CMD: 0, or the usage error's exit code. */
static int add_vulndb(struct scan_run *r, const char *cmd, const char *path)
{
	if (r->nvulndb == sizeof(r->vulndb) / sizeof(r->vulndb[0]))
		return cli_usage(cmd, "at most 16 --vulndb");
	r->vulndb[r->nvulndb++] = path;
	return 0;
}

/* Verifies the bundle (staging a tar in $TMPDIR): every byte scanned is a verified byte. *dir is where it is. */
static enum al_code verified(struct scan_run *r, const char **dir, int quiet, struct al_err *err)
{
	struct cli_progress pr;
	struct al_bview v;
	enum al_code rc;
	*dir = r->bundle;
	if (al_bundle_is_tar(r->bundle)) {
		if (al_mkdtemp("airlock-scan", &r->tmp, err))
			return al_err_prefix(err, "unpacking the bundle");
		if (!(r->stage = al_strf("%s/bundle", r->tmp)))
			return al_fail(err, AL_ENOMEM, "out of memory");
	}
	cli_progress_start(&pr, "verifying", quiet);
	rc = r->stage ? al_bundle_stage(r->bundle, r->stage, &v, &r->rep, &pr.p, err)
		   : al_bundle_scan(r->bundle, &v, &r->rep, &pr.p, err);
	if (!rc && !al_report_count(&r->rep)) {
		rc = al_bundle_check(&v, &r->rep, &r->info, err);
		rc = rc == AL_EVERIFY ? AL_OK : rc;
	}
	if (!rc && !al_report_count(&r->rep) && r->trust_file)
		rc = al_trust_check(&v, &r->info, &r->trust, (int64_t)time(NULL), &r->rep, &r->signers, err);
	if (!rc && !al_report_count(&r->rep) && r->info.nbase)
		rc = al_fail(err, AL_EINVAL,
			     "bundle '%s' is differential: %zu of the blobs it references are taken from its base, not "
			     "carried, and a scan reads them all; scan the full bundle, or scan inside after the import "
			     "(`airlock scan --store`)",
			     r->bundle, r->info.nbase);
	al_bview_release(&v);
	cli_progress_stop(&pr);
	if (r->stage)
		*dir = r->stage;
	return rc;
}

/* A bundle that failed verification: its problems on stderr, then that nothing WHAT; exit 1. */
static int refused(const struct scan_run *r, const char *cmd, const char *what)
{
	for (size_t i = 0; i < r->rep.n; i++)
		fprintf(stderr, "airlock: %s: %s\n", cmd, r->rep.msg[i]);
	fprintf(stderr, "airlock: bundle '%s' FAILED verification: %s\n", r->bundle, what);
	return EXIT_VERIFY;
}

/* The advisory data: one database made by `vulndb import` (given, or the store's own), or
 * every --vulndb directory or zip read into one database in memory. */
static enum al_code load_vulndb(struct scan_run *r, struct al_err *err)
{
	enum al_code rc = AL_OK;
	char *own = r->store && !r->nvulndb ? al_strf("%s/vulndb.db", al_store_default(r->store)) : NULL;
	if (own && access(own, F_OK) == 0) {
		r->vulndb[r->nvulndb++] = own;
		r->own_db = own;
	} else {
		free(own);
	}
	for (size_t i = 0; i < r->nvulndb; i++)
		if (al_osv_is_db(r->vulndb[i]) && r->nvulndb > 1)
			return al_fail(err, AL_EUSAGE, "--vulndb: an advisory database ('%s') cannot be combined with other data",
				       r->vulndb[i]);
	if (r->nvulndb == 1 && al_osv_is_db(r->vulndb[0]))
		return al_osv_open_ro(r->vulndb[0], &r->osv, &r->stats.records, err);
	if (r->nvulndb && (rc = al_osv_open(NULL, &r->osv, err)))
		return rc;
	for (size_t i = 0; !rc && i < r->nvulndb; i++)
		rc = al_osv_import(&r->osv, r->vulndb[i], &r->stats, err);
	return rc;
}

static const char *upper_disp(const char *d)
{
	return !strcmp(d, "fail") || !strcmp(d, "denied") ? "FAIL" : !strcmp(d, "review") ? "REVIEW" : d;
}

/* The vulnerabilities, one line per advisory. */
static void print_vulns(const json_t *doc)
{
	const json_t *pkgs = json_object_get(json_array_get(json_object_get(doc, "results"), 0), "packages"), *p, *f;
	size_t i, j;
	json_array_foreach(pkgs, i, p) {
		const json_t *pk = json_object_get(p, "package"), *air = json_object_get(p, "airlock");
		json_array_foreach(json_object_get(air, "findings"), j, f) {
			const json_t *sev = json_object_get(f, "severity");
			char *aliases = json_dumps(json_object_get(f, "aliases"), JSON_COMPACT);
			char *fixed = json_dumps(json_object_get(f, "fixed"), JSON_COMPACT);
			char score[16] = "";
			if (json_object_get(sev, "score"))
				snprintf(score, sizeof(score), " %.1f", json_real_value(json_object_get(sev, "score")));
			cli_line(stdout, "  %s %s: %s %s %s%s, fixed in %s: %s%s%s", al_json_str(pk, "name"),
				 al_json_str(pk, "version"), al_json_str(f, "id"), aliases ? aliases : "",
				 al_json_str(sev, "rating"), score, fixed ? fixed : "?", upper_disp(al_json_str(f, "disposition")),
				 al_json_str(f, "note") ? " — " : "", al_json_str(f, "note") ? al_json_str(f, "note") : "");
			free(aliases);
			free(fixed);
		}
	}
}

/* The outside hosts of one artifact on one line, at its first (the JSON lists each with its place). */
static void hosts_line(const json_t *l, size_t i)
{
	const char *art = al_json_str(json_array_get(l, i), "artifact");
	char shown[512] = "";
	size_t n = 0, len = 0;
	for (size_t j = 0; j < json_array_size(l); j++) {
		const json_t *f = json_array_get(l, j);
		if (strcmp(al_json_str(f, "artifact"), art) || strcmp(al_json_str(f, "kind"), "outside-host"))
			continue;
		if (j < i)
			return; /* (shown with the first) */
		if (n++ < 4 && len < sizeof(shown) - 1)
			len += (size_t)snprintf(shown + len, sizeof(shown) - len, "%s%s", n > 1 ? ", " : "", al_json_str(f, "what"));
	}
	cli_line(stdout, "  %s: %zu outside host%s in its code (%s%s): reported", art, n, n == 1 ? "" : "s", shown,
		 n > 4 ? ", …" : "");
}

/* Every other list: one line per finding. */
static void print_list(const json_t *doc, const char *key, const char *title)
{
	const json_t *l = json_object_get(doc, key), *f;
	size_t i;
	if (!json_array_size(l))
		return;
	printf("%s:\n", title);
	json_array_foreach(l, i, f) {
		const char *d = al_json_str(f, "disposition") ? al_json_str(f, "disposition") : al_json_str(f, "verdict");
		if (!strcmp(key, "licenses"))
			cli_line(stdout, "  %s: %s (%s%s%s): %s", al_json_str(f, "artifact"),
				 al_json_str(f, "license") ? al_json_str(f, "license") : "none stated", al_json_str(f, "source"),
				 al_json_str(f, "file") ? " " : "", al_json_str(f, "file") ? al_json_str(f, "file") : "",
				 upper_disp(d));
		else if (!strcmp(key, "phone_home") && !strcmp(al_json_str(f, "kind"), "outside-host"))
			hosts_line(l, i);
		else if (!strcmp(key, "phone_home"))
			cli_line(stdout, "  %s: %s:%lld: %s %s: %s", al_json_str(f, "artifact"), al_json_str(f, "file"),
				 (long long)json_integer_value(json_object_get(f, "line")), al_json_str(f, "kind"),
				 al_json_str(f, "what"), upper_disp(d));
		else if (!strcmp(key, "origins"))
			cli_line(stdout, "  %s: %s matches the denied origin %s: %s", al_json_str(f, "artifact"),
				 al_json_str(f, "upstream"), json_string_value(json_object_get(f, "rule")), upper_disp(d));
		else
			cli_line(stdout, "  %s: %s: %s: %s: %s", al_json_str(f, "artifact"), al_json_str(f, "file"),
				 al_json_str(f, "kind"), al_json_str(f, "detail"), upper_disp(d));
	}
}

static void print_text(const struct scan_run *r)
{
	const json_t *v = json_object_get(r->doc, "verdict");
	const json_t *pkgs = json_object_get(json_array_get(json_object_get(r->doc, "results"), 0), "packages");
	if (r->bundle)
		cli_line(stdout, "scan of bundle '%s' (%s version %lld, %zu artifacts, verified)", r->bundle, r->info.name,
			 (long long)r->info.version, r->info.nartifacts);
	else
		cli_line(stdout, "scan of the store '%s' (%zu artifacts)", al_store_default(r->store), r->info.nartifacts);
	if (r->nvulndb)
		printf("vulnerabilities (%zu advisories; %zu withdrawn left out): %zu packages affected\n", r->stats.records,
		       r->stats.withdrawn, json_array_size(pkgs));
	else
		printf("vulnerabilities: NOT CHECKED (give --vulndb DIR-or-ZIP%s)\n",
		       r->store ? ", or run 'airlock vulndb import' first" : "");
	print_vulns(r->doc);
	print_list(r->doc, "model_files", "model files");
	print_list(r->doc, "licenses", "licences");
	print_list(r->doc, "origins", "origins");
	print_list(r->doc, "phone_home", "phone home");
	cli_line(stdout, "verdict: %s (%lld failing, %lld to review) under %s%s%s", al_json_str(v, "result"),
		 (long long)json_integer_value(json_object_get(v, "failing")),
		 (long long)json_integer_value(json_object_get(v, "to_review")),
		 r->policy.path ? "the policy '" : "the default policy", r->policy.path ? r->policy.path : "",
		 r->policy.path ? "'" : "");
}

/* What the scan was run with, into its document. */
static void run_info(struct scan_run *r)
{
	json_object_set_new(r->doc, "airlock",
			    json_pack("{s:o, s:s, s:I, s:o, s:{s:b, s:I, s:I}}", r->bundle ? "bundle" : "store",
				      al_json_text(r->bundle ? r->bundle : al_store_default(r->store)), "name", r->info.name,
				      "version", (json_int_t)r->info.version, "policy",
				      r->policy.path ? al_json_text(r->policy.path) : json_string("(default)"), "vulndb",
				      "checked", r->nvulndb > 0, "records", (json_int_t)r->stats.records, "withdrawn",
				      (json_int_t)r->stats.withdrawn));
}

/* Adds what the scan was run with, and writes -o / --json; the exit code from the verdict. */
static int finish(struct scan_run *r, int json)
{
	struct al_err err = { 0 };
	struct al_buf b;
	const char *res = al_json_str(json_object_get(r->doc, "verdict"), "result");
	if (r->out_file) {
		al_buf_init(&b, 4 * (size_t)AL_MAX_SMALL);
		if (al_json_dump(r->doc, AL_JSON_PRETTY, &b, &err) || al_write_atomic(r->out_file, b.data, b.len, &err)) {
			al_buf_release(&b);
			return cli_fail(&err);
		}
		al_buf_release(&b);
	}
	if (json)
		cli_json(json_incref(r->doc));
	else
		print_text(r);
	return strcmp(res, "pass") ? EXIT_VERIFY : 0;
}

/* The lines of SUMS (SHA256SUMS text) without scan.json's, plus LINE, sorted by path (as
 * sha256sum writes them, which the format requires). */
static int cmp_sum_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + AL_HEX_LEN + 2, *(char *const *)b + AL_HEX_LEN + 2);
}

static enum al_code sums_with(const char *sums, size_t n, const char *line, struct al_buf *out, struct al_err *err)
{
	char *copy = al_memdup(sums, n), **lines = calloc(n / (AL_HEX_LEN + 3) + 2, sizeof(*lines)), *p, *end;
	size_t k = 0;
	enum al_code rc = AL_OK;
	if (!copy || !lines) {
		free(copy);
		free(lines);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	for (p = copy, end = copy + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl)
			*nl = 0;
		if (strlen(p) > AL_HEX_LEN + 2 && strcmp(p + AL_HEX_LEN + 2, "scan.json"))
			lines[k++] = p;
		p = nl ? nl + 1 : end;
	}
	lines[k++] = (char *)line;
	qsort(lines, k, sizeof(*lines), cmp_sum_lines);
	for (size_t i = 0; i < k && !rc; i++)
		if (!(rc = al_buf_adds(out, lines[i], err)))
			rc = al_buf_adds(out, "\n", err);
	free(copy);
	free(lines);
	return rc;
}

/*
 * --attach: the scan document into the bundle directory as scan.json, and its line into
 * SHA256SUMS, so that the signatures made next cover it. A signed bundle is refused (its
 * signatures are over the SHA256SUMS that would change), as is a tar.
 */
static enum al_code attach(const struct scan_run *r, struct al_err *err)
{
	char *sums = al_strf("%s/SHA256SUMS", r->bundle), *dest = al_strf("%s/scan.json", r->bundle);
	char *sigdir = al_strf("%s/signatures", r->bundle), hex[AL_HEX_LEN + 1], line[AL_HEX_LEN + 16];
	unsigned char d[AL_DIGEST_LEN];
	struct al_buf doc, old, out;
	DIR *sd;
	enum al_code rc = sums && dest && sigdir ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&doc, 4 * (size_t)AL_MAX_SMALL);
	al_buf_init(&old, AL_MAX_SUMS);
	al_buf_init(&out, AL_MAX_SUMS);
	if (!rc && al_bundle_is_tar(r->bundle))
		rc = al_fail(err, AL_EUSAGE, "--attach needs the bundle as a directory (attach, sign, then make the tar)");
	if (!rc && (sd = opendir(sigdir))) {
		struct dirent *e;
		while (!rc && (e = al_readdir(sd, sigdir, &rc, err)))
			rc = al_fail(err, AL_ECONFLICT,
				     "'%s' is already signed: attaching a scan would change SHA256SUMS and void its "
				     "signatures; scan with --attach before signing",
				     r->bundle);
		closedir(sd);
	}
	if (!rc && !(rc = al_json_dump(r->doc, AL_JSON_PRETTY, &doc, err)) &&
	    !(rc = al_sha256_mem(doc.data, doc.len, d, err)) && !(rc = al_read_file(sums, AL_NOFOLLOW, &old, err))) {
		al_hex(d, hex);
		snprintf(line, sizeof(line), "%s  scan.json", hex);
		if (!(rc = sums_with(old.data ? old.data : "", old.len, line, &out, err)) &&
		    !(rc = al_write_atomic(dest, doc.data, doc.len, err)))
			rc = al_write_atomic(sums, out.data, out.len, err);
	}
	al_buf_release(&doc);
	al_buf_release(&old);
	al_buf_release(&out);
	free(sums);
	free(dest);
	free(sigdir);
	return rc;
}

/* What the store holds (the artifacts the patterns select), as the scan's artifact list. */
static enum al_code store_items(struct scan_run *r, struct al_err *err)
{
	struct al_store *s = NULL;
	json_t *all = NULL, *items = NULL;
	enum al_code rc = al_store_open(al_store_default(r->store), 0, &s, err);
	if (!rc)
		rc = al_store_contents(s, &all, err);
	if (!rc)
		rc = al_store_select(all, r->patterns, "to scan", &items, err);
	if (!rc)
		rc = al_scan_store_info(al_store_default(r->store), items, &r->info, err);
	json_decref(items);
	json_decref(all);
	if (s)
		al_store_free(s);
	return rc;
}

static int run(struct scan_run *r, int json, int quiet)
{
	struct al_err err = { 0 };
	struct al_scan_opts o = { .policy = &r->policy, .now = (int64_t)time(NULL) };
	const char *dir = r->bundle ? NULL : al_store_default(r->store);
	enum al_code rc = load_vulndb(r, &err);
	if (!rc)
		rc = r->bundle ? verified(r, &dir, quiet || json, &err) : store_items(r, &err);
	if (rc)
		return cli_fail(&err);
	if (al_report_count(&r->rep))
		return refused(r, "scan", "nothing was scanned");
	o.osv = r->nvulndb ? &r->osv : NULL;
	if ((rc = al_scan_bundle(dir, &r->info, &o, &r->doc, &err)))
		return cli_fail(&err);
	run_info(r);
	if (r->attach && (rc = attach(r, &err)))
		return cli_fail(&err);
	return finish(r, json);
}

int cli_scan_attach(const char *bundle, const char *const *vulndb, size_t nvulndb, const char *policy, int quiet)
{
	struct scan_run r = { 0 };
	struct al_err err = { 0 };
	int code;
	r.bundle = bundle;
	r.attach = 1;
	for (size_t i = 0; i < nvulndb; i++)
		if ((code = add_vulndb(&r, "bundle create", vulndb[i])))
			return code;
	if (policy ? al_scan_policy_load(policy, &r.policy, &err) : (al_scan_policy_default(&r.policy), AL_OK))
		return cli_fail(&err);
	code = run(&r, 0, quiet);
	run_release(&r);
	return code;
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = { { "vulndb", required_argument, NULL, 'v' },
					      { "policy", required_argument, NULL, 'p' },
					      { "store", required_argument, NULL, 's' },
					      { "attach", no_argument, NULL, 'a' },
					      { "json", no_argument, NULL, 'j' },
					      { "output", required_argument, NULL, 'o' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct scan_run r = { 0 };
	struct al_err err = { 0 };
	const char *policy = NULL;
	int json = 0, quiet = 0, c, code;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if ((code = add_vulndb(&r, "scan", optarg)))
				return code;
			break;
		case 'p': policy = optarg; break;
		case 's': r.store = optarg; break;
		case 'a': r.attach = 1; break;
		case 'j': json = 1; break;
		case 'o': r.out_file = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_scan);
		default: return cli_usage("scan", "bad option");
		}
	}
	if (r.store && r.attach)
		return cli_usage("scan", "--attach is for a bundle, not --store");
	if (r.store)
		r.patterns = optind < argc ? argv + optind : NULL; /* (argv ends with NULL) */
	else if (optind + 1 != argc)
		return cli_usage("scan", "give exactly one bundle (a directory or a tar file), or --store DIR");
	else
		r.bundle = argv[optind];
	if (policy ? al_scan_policy_load(policy, &r.policy, &err) : (al_scan_policy_default(&r.policy), AL_OK))
		return cli_fail(&err);
	code = run(&r, json, quiet);
	run_release(&r);
	return code;
}

/* Builds the advisory database at ROOT/tmp, then puts it in place as ROOT/vulndb.db. */
static enum al_code vulndb_build(const char *root, const char *path, struct al_osv_stats *st, struct al_err *err)
{
	struct al_store *s = NULL;
	struct al_osv o = { 0 };
	json_t *all = NULL;
	char *tmp = al_strf("%s/tmp/vulndb-%ld.db", root, (long)getpid()), *dest = al_strf("%s/vulndb.db", root);
	enum al_code rc = tmp && dest ? al_store_open(root, AL_STORE_WRITE, &s, err) : al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc)
		unlink(tmp); /* (a file left by a killed run of the same pid) */
	if (!rc && !(rc = al_osv_open(tmp, &o, err))) {
		if (path)
			rc = al_osv_import(&o, path, st, err);
		else if (!(rc = al_store_contents(s, &all, err)) && !(rc = al_osv_import_store(&o, root, all, st, err)) &&
			 !st->files)
			rc = al_fail(err, AL_ENOENT,
				     "the store '%s' holds no vulndb artifact: import a bundle with one, or give DIR-or-ZIP", root);
		al_osv_close(&o);
	}
	if (!rc && !(rc = al_sync_file(tmp, err)) && rename(tmp, dest))
		rc = al_fail_errno(err, AL_EIO, "cannot put the advisory database in place at '%s'", dest);
	if (!rc)
		rc = al_fsync_dir(root, err);
	if (rc && tmp)
		unlink(tmp);
	json_decref(all);
	if (s)
		al_store_free(s);
	free(tmp);
	free(dest);
	return rc;
}

int cmd_vulndb(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_osv_stats st = { 0 };
	struct al_err err = { 0 };
	const char *store = NULL, *root;
	int json = 0, quiet = 0, c;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_vulndb);
		default: return cli_usage("vulndb", "bad option");
		}
	}
	if (optind >= argc || strcmp(argv[optind], "import") || argc - optind > 2)
		return cli_usage("vulndb", "use: airlock vulndb import [DIR-or-ZIP] [--store DIR]");
	root = al_store_default(store);
	if (vulndb_build(root, optind + 1 < argc ? argv[optind + 1] : NULL, &st, &err))
		return cli_fail(&err);
	if (json)
		cli_json(json_pack("{s:o, s:I, s:I, s:I, s:I}", "database", al_json_text(root), "files", (json_int_t)st.files,
				   "records", (json_int_t)st.records, "withdrawn", (json_int_t)st.withdrawn, "older",
				   (json_int_t)st.older));
	else if (!quiet)
		cli_line(stdout, "advisory database '%s/vulndb.db': %zu records from %zu files (%zu withdrawn and %zu older "
			 "copies left out), from %s",
			 root, st.records, st.files, st.withdrawn, st.older,
			 optind + 1 < argc ? argv[optind + 1] : "the store's vulndb artifacts");
	return 0;
}

int cmd_sbom(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "output", required_argument, NULL, 'o' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct scan_run r = { 0 };
	struct al_err err = { 0 };
	struct al_buf b;
	const char *format = "cyclonedx", *dir;
	json_t *doc = NULL;
	int quiet = 0, c, code = 0;
	while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': r.out_file = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_sbom);
		default: return cli_usage("sbom", "bad option");
		}
	}
	if (strcmp(format, "cyclonedx") && strcmp(format, "spdx"))
		return cli_usage("sbom", "--format is cyclonedx or spdx, not '%s'", format);
	if (optind + 1 != argc)
		return cli_usage("sbom", "give exactly one bundle (a directory or a tar file)");
	r.bundle = argv[optind];
	al_buf_init(&b, 4 * (size_t)AL_MAX_SMALL);
	if (verified(&r, &dir, quiet || !r.out_file, &err)) {
		code = cli_fail(&err);
	} else if (al_report_count(&r.rep)) {
		code = refused(&r, "sbom", "no bill of materials");
	} else if (al_sbom_document(dir, &r.info, format, (int64_t)time(NULL), &doc, &err) ||
		   al_json_dump(doc, AL_JSON_PRETTY, &b, &err) ||
		   (r.out_file ? al_write_atomic(r.out_file, b.data, b.len, &err)
			       : (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout)
					  ? al_fail_errno(&err, AL_EIO, "cannot write the bill of materials")
					  : AL_OK))) {
		code = cli_fail(&err);
	} else if (r.out_file && !quiet) {
		cli_line(stderr, "wrote the %s bill of materials of '%s' (%zu artifacts) to %s",
			 !strcmp(format, "spdx") ? "SPDX 2.3" : "CycloneDX 1.6", r.bundle, r.info.nartifacts, r.out_file);
	}
	al_buf_release(&b);
	json_decref(doc);
	run_release(&r);
	return code;
}

/* The names under DIR/signatures/, and the custody log's records (its problems into *crep). */
static enum al_code evidence(const char *dir, const struct al_bundle_info *info, json_t **sigs, json_t **records,
			     struct al_report *crep, struct al_err *err)
{
	char *sd = al_strf("%s/signatures", dir), *cl = al_strf("%s/custody.log", dir);
	struct al_buf b;
	enum al_code rc = sd && cl ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	DIR *d = sd ? opendir(sd) : NULL;
	struct dirent *e;
	*sigs = json_array();
	while (!rc && d && (e = al_readdir(d, sd, &rc, err)))
		json_array_append_new(*sigs, al_json_text(e->d_name));
	if (d)
		closedir(d);
	al_buf_init(&b, AL_MAX_SMALL);
	if (!rc && access(cl, F_OK) == 0 && !(rc = al_read_file(cl, AL_NOFOLLOW, &b, err)))
		rc = al_custody_check(b.data ? b.data : "", b.len, info->sums_digest, NULL, 0, crep, records, err);
	al_buf_release(&b);
	free(sd);
	free(cl);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = { { "vulndb", required_argument, NULL, 'v' },
					      { "policy", required_argument, NULL, 'p' },
					      { "trust", required_argument, NULL, 't' },
					      { "output", required_argument, NULL, 'o' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct scan_run r = { 0 };
	struct al_err err = { 0 };
	struct al_report crep = { 0 };
	struct al_scan_opts o = { .policy = &r.policy, .now = (int64_t)time(NULL) };
	struct al_buf b;
	const char *policy = NULL, *dir;
	json_t *sigs = NULL, *records = NULL;
	int quiet = 0, c, code = 0;
	enum al_code rc;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if ((code = add_vulndb(&r, "report", optarg)))
				return code;
			break;
		case 'p': policy = optarg; break;
		case 't': r.trust_file = optarg; break;
		case 'o': r.out_file = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': return cli_help(al_doc_report);
		default: return cli_usage("report", "bad option");
		}
	}
	if (optind + 1 != argc || !r.out_file)
		return cli_usage("report", "give one bundle and -o review.html");
	r.bundle = argv[optind];
	if (policy ? al_scan_policy_load(policy, &r.policy, &err) : (al_scan_policy_default(&r.policy), AL_OK))
		return cli_fail(&err);
	al_buf_init(&b, 4 * (size_t)AL_MAX_SMALL);
	rc = r.trust_file ? al_trust_load(r.trust_file, &r.trust, &err) : AL_OK;
	if (!rc)
		rc = load_vulndb(&r, &err);
	if (!rc)
		rc = verified(&r, &dir, quiet, &err);
	o.osv = r.nvulndb ? &r.osv : NULL;
	if (!rc && al_report_count(&r.rep)) {
		code = refused(&r, "report", "no report");
	} else if (rc || (rc = al_scan_bundle(dir, &r.info, &o, &r.doc, &err)) ||
		   (run_info(&r), AL_OK) || (rc = evidence(dir, &r.info, &sigs, &records, &crep, &err)) ||
		   (rc = al_report_page(r.doc, &r.info, r.bundle, r.signers, sigs, records, &crep, o.now, &b, &err)) ||
		   (rc = al_write_atomic(r.out_file, b.data, b.len, &err))) {
		code = cli_fail(&err);
	} else if (!quiet) {
		cli_line(stdout, "wrote the review of '%s' (verdict %s) to %s", r.bundle,
			 al_json_str(json_object_get(r.doc, "verdict"), "result"), r.out_file);
	}
	al_buf_release(&b);
	al_report_release(&crep);
	json_decref(sigs);
	json_decref(records);
	run_release(&r);
	return code;
}
