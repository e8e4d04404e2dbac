/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_store.c: opening the store the way every command does: the path from
 * --store, $AIRLOCK_STORE or ./airlock-store; writers wait for another's lock
 * up to --wait SECONDS, saying so; a failure is printed with its exit code.
 */
#include <stdio.h>

#include "cli.h"
#include "store.h"
#include "store_wait.h"

static int wait_parse(const char *v, unsigned *out)
{
	unsigned long n = 0;
	if (!*v)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		n = n * 10 + (unsigned long)(*v - '0');
		if (n > CLI_WAIT_MAX)
			return -1;
	}
	*out = (unsigned)n;
	return 0;
}

int cli_wait_option(const char *cmd, const char *arg, unsigned *wait)
{
	if (wait_parse(arg, wait))
		return cli_usage(cmd, "--wait wants whole seconds from 0 to %u, not '%s'", CLI_WAIT_MAX, arg);
	return 0;
}

void cli_store_waiting(const char *root, unsigned wait)
{
	cli_line(stderr, "airlock: store '%s' is busy (another import or gc); waiting up to %u s for it", root, wait);
	fflush(stderr);
}

int cli_store_open(const char *store, unsigned flags, unsigned wait, struct al_store **s)
{
	struct al_err err = { 0 };
	if (al_store_open_wait(al_store_default(store), flags, wait, cli_store_waiting, s, &err))
		return cli_fail(&err);
	return 0;
}
