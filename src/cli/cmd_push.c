/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_push.c: `airlock push` (docs/cmd/push.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fetch.h"
#include "fsx.h"
#include "json.h"
#include "push.h"
#include "store.h"
#include "store_wait.h"

enum { MAX_PLAIN_HOSTS = 16, MAX_PATTERNS = 256 };

/* "64M", "1G", "1048576": bytes, from 1 MiB to 4 GiB (K, M, G are powers of 1024). 0, or -1. */
static int size_parse(const char *v, uint64_t *out)
{
	uint64_t n = 0;
	const char *p = v;
	for (; *p >= '0' && *p <= '9' && n < (UINT64_C(1) << 40); p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (p == v)
		return -1;
	if (*p == 'K' || *p == 'k')
		n <<= 10, p++;
	else if (*p == 'M' || *p == 'm')
		n <<= 20, p++;
	else if (*p == 'G' || *p == 'g')
		n <<= 30, p++;
	if (*p && strcmp(p, "iB") && strcmp(p, "B"))
		return -1;
	if (n < (UINT64_C(1) << 20) || n > (UINT64_C(4) << 30))
		return -1;
	*out = n;
	return 0;
}

/* The mapping, one line per artifact, and the totals. */
static void report(const json_t *r, double t0)
{
	const json_t *a, *b = json_object_get(r, "blobs"), *m = json_object_get(r, "manifests");
	size_t i;
	char sz[32];
	json_array_foreach(json_object_get(r, "artifacts"), i, a) {
		const char *tag = al_json_str(a, "tag"), *up = al_json_str(a, "upstream");
		cli_line(stdout, "  %-7s %s", al_json_str(a, "kind"), al_json_str(a, "name"));
		cli_line(stdout, "          from    %s", up ? up : "(no upstream recorded)");
		cli_line(stdout, "          pushed  %s", al_json_str(a, "reference"));
		if (tag)
			cli_line(stdout, "          tag     %s", tag);
	}
	cli_bytes((uint64_t)json_integer_value(json_object_get(r, "bytesSent")), sz);
	cli_line(stdout, "pushed %zu artifacts to %s%s%s in %.1fs: blobs: %lld sent (%s), %lld already there, %lld mounted; manifests: %lld sent, %lld already there",
		 json_array_size(json_object_get(r, "artifacts")), al_json_str(r, "registry"),
		 *al_json_str(r, "namespace") ? "/" : "", al_json_str(r, "namespace"), cli_now() - t0,
		 (long long)json_integer_value(json_object_get(b, "sent")), sz,
		 (long long)json_integer_value(json_object_get(b, "present")),
		 (long long)json_integer_value(json_object_get(b, "mounted")),
		 (long long)json_integer_value(json_object_get(m, "sent")),
		 (long long)json_integer_value(json_object_get(m, "present")));
	if (!json_integer_value(json_object_get(b, "sent")) && !json_integer_value(json_object_get(b, "mounted")) &&
	    !json_integer_value(json_object_get(m, "sent")))
		printf("nothing was uploaded: the registry held every blob and manifest already\n");
}

struct push_args {
	const char *store;
	char *patterns[MAX_PATTERNS + 1];
	const char *plain[MAX_PLAIN_HOSTS + 1];
	size_t npat, nplain;
	int json, quiet;
};

/* Opens the store read-only, reads what it holds, pushes. */
static int run_push(struct push_args *a, struct al_fetch_opts *fo, struct al_push_opts *po)
{
	struct al_store *s = NULL;
	struct cli_progress pr;
	struct al_err err = { 0 };
	json_t *contents = NULL, *res = NULL;
	double t0 = cli_now();
	int ret = cli_store_open(a->store, 0, 0, &s);
	if (ret)
		return ret;
	po->store = al_store_default(a->store);
	if (al_store_contents(s, &contents, &err)) {
		al_store_free(s);
		return cli_fail(&err);
	}
	cli_progress_start(&pr, "pushing", a->quiet || a->json);
	fo->prog = &pr.p;
	ret = al_registry_push(fo, po, contents, &res, &err) ? cli_fail(&err) : 0;
	cli_progress_stop(&pr);
	if (!ret && a->json)
		cli_json(res);
	else if (!ret && !a->quiet)
		report(res, t0);
	if (!ret && a->json)
		res = NULL; /* (cli_json consumed it) */
	json_decref(res);
	json_decref(contents);
	al_store_free(s);
	return ret;
}

int cmd_push(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "to", required_argument, NULL, 't' },
					      { "artifacts", required_argument, NULL, 'a' },
					      { "registry-auth", required_argument, NULL, 'R' },
					      { "ca-file", required_argument, NULL, 'A' },
					      { "plain-http", required_argument, NULL, 'P' },
					      { "chunk-size", required_argument, NULL, 'c' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct push_args a = { 0 };
	struct al_fetch_opts fo = { 0 };
	struct al_push_opts po = { 0 };
	const char *auth = NULL;
	char *auth_def = NULL;
	int c, ret;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': a.store = optarg; break;
		case 't': po.dest = optarg; break;
		case 'R': auth = optarg; break;
		case 'A': fo.ca_file = optarg; break;
		case 'j': a.json = 1; break;
		case 'q': a.quiet = 1; break;
		case 'h': return cli_help(al_doc_push);
		case 'a':
			if (a.npat == MAX_PATTERNS)
				return cli_usage("push", "at most %d --artifacts patterns", MAX_PATTERNS);
			a.patterns[a.npat++] = optarg;
			break;
		case 'P':
			if (a.nplain == MAX_PLAIN_HOSTS)
				return cli_usage("push", "at most %d --plain-http hosts", MAX_PLAIN_HOSTS);
			a.plain[a.nplain++] = optarg;
			break;
		case 'c':
			if (size_parse(optarg, &po.chunk))
				return cli_usage("push", "--chunk-size wants a size from 1M to 4G (e.g. 16M), not '%s'", optarg);
			break;
		default: return cli_usage("push", "bad option");
		}
	}
	for (; optind < argc; optind++) { /* --artifacts A B C: the patterns that follow it */
		if (!a.npat)
			return cli_usage("push", "unexpected argument '%s'", argv[optind]);
		if (a.npat == MAX_PATTERNS)
			return cli_usage("push", "at most %d --artifacts patterns", MAX_PATTERNS);
		a.patterns[a.npat++] = argv[optind];
	}
	if (!po.dest || !*po.dest)
		return cli_usage("push", "--to oci://REGISTRY[/NAMESPACE] is required");
	if (fo.ca_file && access(fo.ca_file, R_OK) != 0)
		return cli_usage("push", "cannot read --ca-file '%s': %s", fo.ca_file, strerror(errno));
	fo.plain_http = a.plain;
	po.patterns = a.npat ? a.patterns : NULL;
	if (!(ret = cli_registry_auth("push", auth, &fo, &auth_def)))
		ret = run_push(&a, &fo, &po);
	free(auth_def);
	return ret;
}
