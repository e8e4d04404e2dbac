/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_init.c: `airlock init` — create an embedded store (docs/cmd/init.md). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "store.h"

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *store = NULL;
	struct al_err err = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'h': return cli_help(al_doc_init);
		default: return cli_usage("init", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("init", "unexpected argument '%s'", argv[optind]);
	store = al_store_default(store);
	if (al_store_init(store, &err))
		return cli_fail(&err);
	printf("store ready at '%s'\n", store);
	return 0;
}
