/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_serve.c: `airlock serve` — serve the store (docs/cmd/serve.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "minisign.h"
#include "serve.h"
#include "store.h"

static int number(const char *opt, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (!*v || *end || n < lo || n > hi)
		return cli_usage("serve", "%s wants a number from %u to %u, not '%s'", opt, lo, hi, v);
	*out = (unsigned)n;
	return 0;
}

/* The server's reports: the listening line on stdout (scripts wait for it), the rest on stderr. */
static void report(void *ctx, enum sv_log_kind kind, const char *line)
{
	(void)ctx;
	if (kind == SV_LOG_LISTENING) {
		printf("listening on %s\n", line);
		fflush(stdout);
	} else {
		fprintf(stderr, "airlock serve: %s\n", line);
	}
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "listen", required_argument, NULL, 'l' },
					      { "push-token-file", required_argument, NULL, 'p' },
					      { "tls-cert", required_argument, NULL, 'c' },
					      { "tls-key", required_argument, NULL, 'k' },
					      { "access-log", required_argument, NULL, 'a' },
					      { "threads", required_argument, NULL, 't' },
					      { "timeout", required_argument, NULL, 'T' },
					      { "max-connections", required_argument, NULL, 'm' },
					      { "channel", required_argument, NULL, 'C' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct sv_opts o = { .listen = "127.0.0.1:8080", .threads = al_default_threads(), .timeout = 30,
			     .max_conn = 4096, .log = report };
	struct al_store *s = NULL;
	struct al_err err = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.root = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'p': o.token_file = optarg; break;
		case 'c': o.tls_cert = optarg; break;
		case 'k': o.tls_key = optarg; break;
		case 'a': o.access_log = optarg; break;
		case 'C': o.channel = optarg; break;
		case 't':
			if (number("--threads", optarg, 1, 256, &o.threads))
				return EXIT_USAGE;
			break;
		case 'T':
			if (number("--timeout", optarg, 1, 3600, &o.timeout))
				return EXIT_USAGE;
			break;
		case 'm':
			if (number("--max-connections", optarg, 1, 1000000, &o.max_conn))
				return EXIT_USAGE;
			break;
		case 'h': return cli_help(al_doc_serve);
		default: return cli_usage("serve", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	if (!o.tls_cert != !o.tls_key)
		return cli_usage("serve", "--tls-cert and --tls-key go together");
	if (o.channel && o.token_file)
		return cli_usage("serve", "--channel serves a release, and nothing pushed is in one: drop --push-token-file");
	o.root = al_store_default(o.root);
	/* opening the store once brings an older catalog's schema up to date */
	if (al_store_open(o.root, 0, &s, &err))
		return cli_fail(&err);
	al_store_free(s);
	if (sv_run(&o, &err))
		return cli_fail(&err);
	return 0;
}
