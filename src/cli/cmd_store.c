/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_store.c: `airlock store ls|fsck|gc` (docs/cmd/store.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fsx.h"
#include "json.h"
#include "minisign.h"
#include "store.h"
#include "store_wait.h"
#include "trust.h"

static int ls(struct al_store *s, int json)
{
	struct al_err err = { 0 };
	json_t *j, *x;
	size_t i;
	char b[32];
	if (al_store_list(s, &j, &err))
		return cli_fail(&err);
	if (json) {
		cli_json(j);
		return 0;
	}
	printf("bundles:\n");
	json_array_foreach(json_object_get(j, "bundles"), i, x) {
		cli_bytes((uint64_t)json_integer_value(json_object_get(x, "bytes")), b);
		cli_line(stdout, "  %-24s v%-5lld imported %s  %5lld files  %10s", al_json_str(x, "name"),
		       (long long)json_integer_value(json_object_get(x, "version")), al_json_str(x, "imported"),
		       (long long)json_integer_value(json_object_get(x, "files")), b);
		if (json_integer_value(json_object_get(x, "unsigned")))
			printf("    UNSIGNED: imported with --allow-unsigned\n");
		else if (json_is_object(json_object_get(x, "signers")))
			cli_print_roles(json_object_get(x, "signers"));
		if (json_is_string(json_object_get(x, "policyOverride")))
			printf("    POLICY OVERRIDE: checked against 'import --trust FILE', not the store's policy"
			       " ('store ls --json' shows the policy used)\n");
	}
	printf("artifacts:\n");
	json_array_foreach(json_object_get(j, "artifacts"), i, x) {
		cli_bytes((uint64_t)json_integer_value(json_object_get(x, "contentSize")), b);
		cli_line(stdout, "  %-7s %-40s %10s  %.19s…  (%s v%lld)", al_json_str(x, "kind"), al_json_str(x, "name"), b,
		       al_json_str(x, "digest"), al_json_str(x, "bundle"),
		       (long long)json_integer_value(json_object_get(x, "bundleVersion")));
	}
	x = json_object_get(j, "totals");
	cli_bytes((uint64_t)json_integer_value(json_object_get(x, "bytes")), b);
	printf("store '%s': %lld blobs, %s\n", al_json_str(j, "store"),
	       (long long)json_integer_value(json_object_get(x, "blobs")), b);
	json_decref(j);
	return 0;
}

static int fsck(struct al_store *s, const char *store, int json, int quiet)
{
	struct al_err err = { 0 };
	struct al_fsck_result res;
	struct cli_progress pr;
	enum al_code rc;
	int code;
	char b[32];
	cli_progress_start(&pr, "checking", quiet || json);
	rc = al_store_fsck(s, &pr.p, &res, &err);
	cli_progress_stop(&pr);
	if (rc) {
		al_report_release(&res.report);
		return cli_fail(&err);
	}
	code = al_report_count(&res.report) ? EXIT_VERIFY : 0;
	if (json) {
		json_t *p = json_array();
		for (size_t i = 0; i < res.report.n; i++)
			json_array_append_new(p, json_string(res.report.msg[i]));
		cli_json(json_pack("{s:s, s:b, s:o, s:I, s:I, s:I, s:I}", "store", store, "ok", code == 0, "problems", p,
				   "blobs", (json_int_t)res.blobs, "bytes", (json_int_t)res.bytes, "unreferenced",
				   (json_int_t)res.unreferenced, "staleTmp", (json_int_t)res.stale_tmp));
	} else {
		for (size_t i = 0; i < res.report.n; i++)
			fprintf(stderr, "airlock: fsck: %s\n", res.report.msg[i]);
		cli_bytes(res.bytes, b);
		if (code)
			fprintf(stderr, "airlock: store '%s' FAILED fsck: %zu problem%s\n", store, al_report_count(&res.report),
				al_report_count(&res.report) == 1 ? "" : "s");
		else
			printf("store '%s' is consistent: %zu blobs, %s re-hashed", store, res.blobs, b);
		if (!code && (res.unreferenced || res.stale_tmp))
			printf(" (%zu unreferenced blobs, %zu interrupted imports: 'airlock store gc' removes them)",
			       res.unreferenced, res.stale_tmp);
		if (!code)
			printf("\n");
	}
	al_report_release(&res.report);
	return code;
}

static int trust(struct al_store *s, const char *store, const char *verb, const char *file)
{
	struct al_err err = { 0 };
	struct al_trust t = { 0 };
	struct al_buf text;
	int code = 0;
	al_buf_init(&text, 1u << 20);
	if (!strcmp(verb, "set")) {
		if (al_trust_load(file, &t, &err) || al_store_trust_set(s, &t, &err))
			code = cli_fail(&err);
		else
			printf("store '%s' now enforces the trust policy from '%s'\n", store, file);
	} else if (al_store_trust_get(s, &t, &text, &err)) {
		code = err.code == AL_ENOENT ? (printf("store '%s' has no trust policy\n", store), 0) : cli_fail(&err);
	} else {
		fputs(text.data, stdout);
	}
	al_trust_release(&t);
	al_buf_release(&text);
	return code;
}

static int gc(struct al_store *s, int json, int quarantine)
{
	struct al_err err = { 0 };
	size_t removed, rejected = 0;
	uint64_t bytes;
	char b[32];
	if (al_store_gc(s, &removed, &bytes, &err) || (quarantine && al_store_quarantine_clear(s, &rejected, &err)))
		return cli_fail(&err);
	if (json) {
		cli_json(json_pack("{s:I, s:I, s:I}", "removed", (json_int_t)removed, "bytes", (json_int_t)bytes,
				   "quarantineRemoved", (json_int_t)rejected));
	} else {
		cli_bytes(bytes, b);
		printf("removed %zu unreferenced blobs (%s)\n", removed, b);
		if (quarantine)
			printf("removed %zu rejected bundles from quarantine\n", rejected);
	}
	return 0;
}

/* Signs the inventory's bytes B with KEY into OUTPUT.minisig; 0 or the exit code (reported). */
static int sign_inventory(const struct al_buf *b, const char *output, const char *created, const char *key,
			  const char *pfile)
{
	char pass[1024] = "", tc[128], *path = al_strf("%s.minisig", output);
	unsigned char hash[64];
	struct al_seckey sk;
	struct al_pubkey pk;
	struct al_buf sig;
	struct al_err err = { 0 };
	int code = 0;
	al_buf_init(&sig, 16384);
	if (!path)
		code = EXIT_ERROR;
	else if (al_seckey_encrypted(key) && cli_passphrase(pfile, "passphrase: ", 0, pass, sizeof(pass)))
		code = EXIT_ERROR;
	else if (al_seckey_load(key, *pass ? pass : NULL, &sk, &pk, &err))
		code = cli_fail(&err);
	else {
		snprintf(tc, sizeof(tc), "airlock inventory of %s", created);
		al_prehash_mem(b->data, b->len, hash);
		if (al_sign_prehashed(&sk, hash, tc, NULL, &sig, &err) || al_write_atomic(path, sig.data, sig.len, &err))
			code = cli_fail(&err);
		else
			printf("signed it with key %s: %s\n", pk.id, path);
		al_seckey_wipe(&sk);
	}
	cli_secret_wipe(pass, sizeof(pass));
	al_buf_release(&sig);
	free(path);
	return code;
}

/* `store inventory -o FILE [--key KEY]`: what the store holds, for `bundle create --base` outside. */
static int inventory(struct al_store *s, const char *output, const char *key, const char *pfile)
{
	struct al_err err = { 0 };
	struct al_buf b;
	json_t *inv = NULL;
	int code = 0;
	al_buf_init(&b, AL_MAX_SUMS * 4);
	if (al_store_inventory(s, (int64_t)time(NULL), &inv, &err) || al_json_dump(inv, AL_JSON_PRETTY, &b, &err) ||
	    al_write_atomic(output, b.data, b.len, &err))
		code = cli_fail(&err);
	else
		printf("wrote the inventory '%s': %zu blobs, digests and sizes only\n", output,
		       json_array_size(json_object_get(inv, "blobs")));
	if (!code && key)
		code = sign_inventory(&b, output, al_json_str(inv, "created"), key, pfile);
	json_decref(inv);
	al_buf_release(&b);
	return code;
}

int cmd_store(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "wait", required_argument, NULL, 'w' },
					      { "quarantine", no_argument, NULL, 'Q' },
					      { "output", required_argument, NULL, 'o' },
					      { "key", required_argument, NULL, 'k' },
					      { "passphrase-file", required_argument, NULL, 'p' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *store = NULL, *sub, *output = NULL, *key = NULL, *pfile = NULL;
	int json = 0, quiet = 0, c, code, writer, quarantine = 0;
	unsigned wait = CLI_WAIT_DEFAULT;
	struct al_store *s = NULL;
	if (argc < 2)
		return cli_usage("store", "give a subcommand: ls, fsck, gc or trust");
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return cli_help(al_doc_store);
	if (strcmp(sub, "ls") && strcmp(sub, "fsck") && strcmp(sub, "gc") && strcmp(sub, "trust") &&
	    strcmp(sub, "inventory"))
		return cli_usage("store", "unknown subcommand '%s' (ls, fsck, gc, trust or inventory)", sub);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'o': output = optarg; break;
		case 'k': key = optarg; break;
		case 'p': pfile = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'Q': quarantine = 1; break;
		case 'w':
			if ((code = cli_wait_option("store", optarg, &wait)))
				return code;
			break;
		case 'h': return cli_help(al_doc_store);
		default: return cli_usage("store", "bad option");
		}
	}
	if (quarantine && strcmp(sub, "gc"))
		return cli_usage("store", "--quarantine goes with 'store gc'");
	if (!output != !!strcmp(sub, "inventory") || ((key || pfile) && !output))
		return cli_usage("store", "'store inventory' needs -o FILE, and -o, --key go only with it");
	if (!strcmp(sub, "trust")) {
		const char *verb = optind < argc ? argv[optind] : "";
		if (!((!strcmp(verb, "set") && optind + 2 == argc) || (!strcmp(verb, "show") && optind + 1 == argc)))
			return cli_usage("store", "use 'store trust set FILE' or 'store trust show'");
	} else if (optind != argc) {
		return cli_usage("store", "unexpected argument '%s'", argv[optind]);
	}
	store = al_store_default(store);
	writer = !strcmp(sub, "gc") || (!strcmp(sub, "trust") && !strcmp(argv[optind], "set"));
	if ((code = cli_store_open(store, writer ? AL_STORE_WRITE : 0, wait, &s)))
		return code;
	if (!strcmp(sub, "trust"))
		code = trust(s, store, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL);
	else if (!strcmp(sub, "ls"))
		code = ls(s, json);
	else if (!strcmp(sub, "fsck"))
		code = fsck(s, store, json, quiet);
	else if (!strcmp(sub, "inventory"))
		code = inventory(s, output, key, pfile);
	else
		code = gc(s, json, quarantine);
	al_store_free(s);
	return code;
}
