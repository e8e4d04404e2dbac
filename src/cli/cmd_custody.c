/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_custody.c: `airlock custody add|show|verify` (docs/cmd/custody.md). `show --store`
 * reads the catalog, where an imported bundle's signed chain is followed by the store's
 * own records (received, verified), which nobody signed: they are shown apart.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "cli.h"
#include "custody.h"
#include "fsx.h"
#include "json.h"
#include "media.h"
#include "store.h"
#include "trust.h"

static const char *or_q(const char *s)
{
	return s ? s : "?";
}

/* Reads custody.log (empty when absent) and the digest of SHA256SUMS of a directory bundle,
 * or of the bundle a media volume carries (its copy of the log, the digest MEDIA.json records). */
static int load(const char *bundle, struct al_buf *log, char sums[AL_DIGEST_STR], struct al_err *err)
{
	struct al_buf b;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	enum al_code rc;
	if (al_media_is_volume(bundle)) {
		rc = al_media_volume_sums(bundle, sums, err);
	} else {
		al_buf_init(&b, AL_MAX_SUMS);
		rc = al_bundle_read_raw(bundle, "SHA256SUMS", &b, err);
		if (!rc)
			rc = al_sha256_mem(b.data, b.len, d, err);
		al_buf_release(&b);
		if (!rc) {
			al_hex(d, hex);
			snprintf(sums, AL_DIGEST_STR, "sha256:%s", hex);
		}
	}
	if (rc)
		return rc;
	rc = al_bundle_read_raw(bundle, "custody.log", log, err);
	if (rc == AL_ENOENT) {
		al_err_clear(err);
		rc = al_buf_add(log, "", 0, err);
	}
	return rc;
}

static int check(const char *bundle, const char *trust_file, int json, int list)
{
	struct al_buf log;
	struct al_report rep = { 0 };
	struct al_trust t = { 0 };
	struct al_err err = { 0 };
	char sums[AL_DIGEST_STR];
	json_t *records = NULL, *r;
	size_t i;
	int code;
	al_buf_init(&log, AL_MAX_SUMS);
	if ((trust_file && al_trust_load(trust_file, &t, &err)) || load(bundle, &log, sums, &err) ||
	    al_custody_check(log.data, log.len, sums, t.custody, t.ncustody, &rep, &records, &err)) {
		al_buf_release(&log);
		al_trust_release(&t);
		return cli_fail(&err);
	}
	/* a chain that holds must also end where the policy says (a cut tail chains fine) */
	if (t.custody_last && !al_report_count(&rep))
		al_custody_require_last(records, t.custody_last, &rep);
	code = al_report_count(&rep) ? EXIT_VERIFY : 0;
	if (json) {
		json_t *probs = json_array();
		for (i = 0; i < rep.n; i++)
			json_array_append_new(probs, json_string(rep.msg[i]));
		cli_json(json_pack("{s:s, s:b, s:O, s:o, s:b}", "bundle", bundle, "ok", code == 0, "records", records,
				   "problems", probs, "keysChecked", t.custody != NULL));
	} else {
		json_array_foreach(records, i, r) {
			if (!list)
				break;
			const char *m = al_json_str(r, "medium"), *sl = al_json_str(r, "seal"), *nt = al_json_str(r, "note");
			cli_line(stdout, "%3lld  %s  %-11s %-24s key %s%s%s%s%s%s%s%s",
				 (long long)json_integer_value(json_object_get(r, "seq")), or_q(al_json_str(r, "time")),
				 or_q(al_json_str(r, "event")), or_q(al_json_str(r, "actor")), or_q(al_json_str(r, "key")),
				 m ? "  medium " : "", m ? m : "", sl ? "  seal " : "", sl ? sl : "", nt ? "  \"" : "",
				 nt ? nt : "", nt ? "\"" : "");
		}
		for (i = 0; i < rep.n; i++)
			fprintf(stderr, "airlock: custody: %s\n", rep.msg[i]);
		if (code)
			fprintf(stderr, "airlock: the custody chain of '%s' FAILED verification\n", bundle);
		else
			printf("custody chain of '%s': %zu records, intact%s%s%s%s\n", bundle, json_array_size(records),
			       t.custody ? ", every key allowed by the trust policy"
			       : trust_file ? " (keys not checked: the trust policy lists no custody_keys)"
					    : " (keys not checked against a policy: give --trust FILE)",
			       t.custody_last ? ", ends with '" : "", t.custody_last ? t.custody_last : "",
			       t.custody_last ? "' as the policy requires" : "");
	}
	json_decref(records);
	al_report_release(&rep);
	al_trust_release(&t);
	al_buf_release(&log);
	return code;
}

/* Prints one catalog custody row. */
static void store_row(const json_t *r)
{
	const char *key = al_json_str(r, "key");
	cli_line(stdout, "%3lld  %s  %-11s %-24s %s%s", (long long)json_integer_value(json_object_get(r, "seq")),
		 or_q(al_json_str(r, "time")), or_q(al_json_str(r, "event")), or_q(al_json_str(r, "actor")),
		 key && *key ? "key " : "not signed (the store's own record)", key && *key ? key : "");
}

/*
 * `custody show --store STORE NAME[@VERSION]`: what the catalog keeps of a bundle's
 * custody, the signed chain (checked at import) apart from the store's own records.
 */
static int store_show(const char *store, const char *what, int json)
{
	struct al_store *s = NULL;
	struct al_err err = { 0 };
	json_t *all = NULL, *chain = json_array(), *own = json_array(), *r;
	const char *at = strchr(what, '@');
	char *name = at ? strndup(what, (size_t)(at - what)) : strdup(what);
	int64_t version = 0, latest = 0;
	size_t i;
	int code = 0;
	if (!name || !chain || !own) {
		fprintf(stderr, "airlock: out of memory\n");
		code = EXIT_ERROR;
		goto out;
	}
	for (const char *p = at ? at + 1 : ""; at && (*p || p == at + 1); p++) {
		if (*p < '0' || *p > '9' || version > 100000000) {
			code = cli_usage("custody", "bad version in '%s' (NAME or NAME@VERSION)", what);
			goto out;
		}
		version = version * 10 + (*p - '0');
	}
	if (at && version < 1) {
		code = cli_usage("custody", "bad version in '%s' (NAME or NAME@VERSION)", what);
		goto out;
	}
	if (al_store_open(store, 0, &s, &err) || al_store_list(s, &all, &err)) {
		code = cli_fail(&err);
		goto out;
	}
	/* without a version: the highest imported */
	json_array_foreach(json_object_get(all, "custody"), i, r) {
		if (!strcmp(or_q(al_json_str(r, "bundle")), name) &&
		    json_integer_value(json_object_get(r, "bundleVersion")) > latest)
			latest = json_integer_value(json_object_get(r, "bundleVersion"));
	}
	if (!version)
		version = latest;
	json_array_foreach(json_object_get(all, "custody"), i, r) {
		const char *key = al_json_str(r, "key");
		if (strcmp(or_q(al_json_str(r, "bundle")), name) ||
		    json_integer_value(json_object_get(r, "bundleVersion")) != version)
			continue;
		json_array_append(key && *key ? chain : own, r);
	}
	if (!json_array_size(chain) && !json_array_size(own)) {
		fprintf(stderr, "airlock: the store '%s' has no custody records of bundle '%s'%s\n", store, name,
			at ? " at that version" : "");
		code = EXIT_ERROR;
		goto out;
	}
	if (json) {
		cli_json(json_pack("{s:s, s:s, s:I, s:O, s:O}", "store", store, "bundle", name, "version",
				   (json_int_t)version, "chain", chain, "store_records", own));
		goto out;
	}
	printf("signed custody chain of '%s' version %lld, as checked at import: %zu records\n", name,
	       (long long)version, json_array_size(chain));
	json_array_foreach(chain, i, r) {
		store_row(r);
	}
	printf("the store's own records (not signed, not part of the chain): %zu\n", json_array_size(own));
	json_array_foreach(own, i, r) {
		store_row(r);
	}
out:
	json_decref(all);
	json_decref(chain);
	json_decref(own);
	free(name);
	if (s)
		al_store_free(s);
	return code;
}

static int add(int argc, char **argv, FILE *report)
{
	static const struct option opts[] = { { "event", required_argument, NULL, 'e' },
					      { "actor", required_argument, NULL, 'a' },
					      { "key", required_argument, NULL, 'k' },
					      { "medium", required_argument, NULL, 'm' },
					      { "seal", required_argument, NULL, 's' },
					      { "note", required_argument, NULL, 'n' },
					      { "passphrase-file", required_argument, NULL, 'p' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_custody_event ev = { 0 };
	const char *key = NULL, *pfile = NULL, *bundle, *bad;
	char pass[1024] = "", sums[AL_DIGEST_STR], *path = NULL;
	struct al_buf log;
	struct al_report rep = { 0 };
	struct al_seckey sk;
	struct al_pubkey pk;
	struct al_err err = { 0 };
	json_t *records = NULL;
	int c, code = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': ev.event = optarg; break;
		case 'a': ev.actor = optarg; break;
		case 'k': key = optarg; break;
		case 'm': ev.medium = optarg; break;
		case 's': ev.seal = optarg; break;
		case 'n': ev.note = optarg; break;
		case 'p': pfile = optarg; break;
		case 'h': return cli_help(al_doc_custody);
		default: return cli_usage("custody", "bad option");
		}
	}
	if (!ev.event || !ev.actor || !*ev.actor || !key || optind + 1 != argc)
		return cli_usage("custody", "give a bundle, --event, --actor (not empty) and --key");
	if ((bad = al_custody_event_bad(ev.event)))
		return cli_usage("custody", "unknown event '%s': %s", ev.event, bad);
	bundle = argv[optind];
	if (al_bundle_is_tar(bundle)) {
		fprintf(stderr, "airlock: '%s' is a tar: custody records are added to the directory form\n", bundle);
		return EXIT_ERROR;
	}
	ev.time = (int64_t)time(NULL);
	al_buf_init(&log, AL_MAX_SUMS);
	if (load(bundle, &log, sums, &err) ||
	    al_custody_check(log.data, log.len, sums, NULL, 0, &rep, &records, &err)) {
		al_buf_release(&log);
		return cli_fail(&err);
	}
	json_decref(records);
	if (al_report_count(&rep)) {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "airlock: custody: %s\n", rep.msg[i]);
		fprintf(stderr, "airlock: refusing to extend a broken custody chain in '%s'\n", bundle);
		al_report_release(&rep);
		al_buf_release(&log);
		return EXIT_VERIFY;
	}
	if (al_seckey_encrypted(key) && cli_passphrase(pfile, "passphrase: ", 0, pass, sizeof(pass))) {
		al_buf_release(&log);
		return EXIT_ERROR;
	}
	if (al_seckey_load(key, *pass ? pass : NULL, &sk, &pk, &err)) {
		code = cli_fail(&err);
	} else {
		if (al_custody_append(&log, sums, &ev, &sk, &err) || !(path = al_join(bundle, "custody.log")) ||
		    al_write_atomic(path, log.data, log.len, &err))
			code = cli_fail(&err);
		else
			fprintf(report, "custody record added to '%s': %s by %s (key %s)\n", bundle, ev.event, ev.actor, pk.id);
		al_seckey_wipe(&sk);
	}
	cli_secret_wipe(pass, sizeof(pass));
	al_buf_release(&log);
	free(path);
	return code;
}

int cli_custody_record(const char *bundle, const char *event, const char *actor, const char *key, const char *medium,
		       const char *pfile)
{
	char *args[12] = { "add", "--event", (char *)event, "--actor", (char *)actor, "--key", (char *)key };
	int n = 7;
	if (medium)
		args[n++] = "--medium", args[n++] = (char *)medium;
	if (pfile)
		args[n++] = "--passphrase-file", args[n++] = (char *)pfile;
	args[n++] = (char *)bundle;
	optind = 0; /* getopt starts again */
	return add(n, args, stderr); /* standard output carries the command's own result */
}

int cmd_custody(int argc, char **argv)
{
	static const struct option opts[] = { { "trust", required_argument, NULL, 't' },
					      { "store", required_argument, NULL, 's' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *sub, *trust_file = NULL, *store = NULL;
	int json = 0, c;
	if (argc < 2)
		return cli_usage("custody", "give a subcommand: add, show or verify");
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return cli_help(al_doc_custody);
	if (!strcmp(sub, "add"))
		return add(argc - 1, argv + 1, stdout);
	if (strcmp(sub, "show") && strcmp(sub, "verify"))
		return cli_usage("custody", "unknown subcommand '%s' (add, show or verify)", sub);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': trust_file = optarg; break;
		case 's': store = optarg; break;
		case 'j': json = 1; break;
		case 'h': return cli_help(al_doc_custody);
		default: return cli_usage("custody", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("custody", "give exactly one bundle");
	if (store && (strcmp(sub, "show") || trust_file))
		return cli_usage("custody", "--store goes with show (the catalog's records, checked at import), without --trust");
	if (store)
		return store_show(store, argv[optind], json);
	return check(argv[optind], trust_file, json, !strcmp(sub, "show"));
}
