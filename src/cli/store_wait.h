/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_wait.h: the `--wait SECONDS` option the store's writers share (import,
 * store gc, store trust set, init --trust): how long to wait for another
 * writer's lock. Defined in cmd_import.c.
 */
#ifndef AL_CLI_STORE_WAIT_H
#define AL_CLI_STORE_WAIT_H

enum { CLI_WAIT_DEFAULT = 5, CLI_WAIT_MAX = 86400 };

/* Parses V (decimal seconds, 0 to CLI_WAIT_MAX) into *out: 0, or -1 when it is not one. */
int cli_wait_parse(const char *v, unsigned *out);
/* Says on stderr that the store is busy and for how long the command waits (al_store_open_wait's WAITING). */
void cli_store_waiting(const char *root, unsigned wait);

#endif
