/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_wait.h: the `--wait SECONDS` option the store's writers share (import,
 * store gc, store trust set, init --trust): how long to wait for another
 * writer's lock, and the opening of the store every command shares. Defined
 * in cli_store.c.
 */
#ifndef AL_CLI_STORE_WAIT_H
#define AL_CLI_STORE_WAIT_H

enum { CLI_WAIT_DEFAULT = 5, CLI_WAIT_MAX = 86400 };

/*
 * The --wait option of command CMD: ARG (decimal seconds, 0 to CLI_WAIT_MAX) into
 * *wait. 0, or the usage error's exit code, already reported.
 */
int cli_wait_option(const char *cmd, const char *arg, unsigned *wait);
/* Says on stderr that the store is busy and for how long the command waits (al_store_open_wait's WAITING). */
void cli_store_waiting(const char *root, unsigned wait);

struct al_store;
/*
 * Opens the store at STORE (NULL: $AIRLOCK_STORE, else ./airlock-store) with
 * al_store_open_wait's FLAGS and WAIT, saying on stderr when it waits. 0 with
 * *s set (caller al_store_free), else the error is printed and its exit code
 * returned.
 */
int cli_store_open(const char *store, unsigned flags, unsigned wait, struct al_store **s);

#endif
