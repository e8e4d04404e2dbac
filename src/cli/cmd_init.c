/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_init.c: `airlock init` — create an embedded store (docs/cmd/init.md). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "store.h"
#include "store_wait.h"
#include "trust.h"

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "trust", required_argument, NULL, 't' },
					      { "wait", required_argument, NULL, 'w' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *store = NULL, *trust_file = NULL;
	struct al_trust trust = { 0 };
	struct al_store *s = NULL;
	struct al_err err = { 0 };
	int c, code;
	unsigned wait = CLI_WAIT_DEFAULT;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 't': trust_file = optarg; break;
		case 'w':
			if ((code = cli_wait_option("init", optarg, &wait)))
				return code;
			break;
		case 'h': return cli_help(al_doc_init);
		default: return cli_usage("init", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("init", "unexpected argument '%s'", argv[optind]);
	store = al_store_default(store);
	if (trust_file && al_trust_load(trust_file, &trust, &err))
		return cli_fail(&err);
	if (al_store_init(store, &err) ||
	    (trust_file && (al_store_open_wait(store, AL_STORE_WRITE, wait, cli_store_waiting, &s, &err) || al_store_trust_set(s, &trust, &err)))) {
		al_store_free(s);
		al_trust_release(&trust);
		return cli_fail(&err);
	}
	al_store_free(s);
	al_trust_release(&trust);
	printf("store ready at '%s'%s\n", store, trust_file ? " with its trust policy" : "");
	return 0;
}
