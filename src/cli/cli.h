/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: what the commands share: the command table entry, usage and error
 * reporting with the documented exit codes, JSON output and the progress
 * display. Only src/cli prints and exits.
 */
#ifndef AL_CLI_H
#define AL_CLI_H

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>

#include "err.h"
#include "eval.h"
#include "hash.h"

enum { EXIT_VERIFY = 1, EXIT_ERROR = 2, EXIT_USAGE = 64 };

/* What a command needs before it runs, set up once by main (the command table). */
enum { CLI_CRYPTO = 1 << 0 /* libsodium and OpenSSL ready (al_crypto_init) */ };

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *doc; /* the docs/cmd page, printed by --help */
	const char *summary;
	unsigned needs;  /* CLI_* */
};

/* Pages embedded from docs/cmd by scripts/embed-docs.py. */
extern const char al_doc_airlock[], al_doc_init[], al_doc_bundle_create[], al_doc_bundle_inspect[],
	al_doc_verify[], al_doc_import[], al_doc_store[], al_doc_key[], al_doc_sign[], al_doc_custody[], al_doc_serve[],
	al_doc_push[], al_doc_scan[], al_doc_vulndb[], al_doc_sbom[], al_doc_report[], al_doc_media[], al_doc_diode[], al_doc_release[], al_doc_deploy[], al_doc_drill[], al_doc_eval[];

int cmd_init(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_custody(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_vulndb(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_media(int argc, char **argv);
int cmd_diode(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_drill(int argc, char **argv);
int cmd_eval(int argc, char **argv);

struct al_fetch_opts;
/*
 * Where registry credentials come from, for command CMD: FILE (--registry-auth), else
 * $REGISTRY_AUTH_FILE, else ~/.docker/config.json, which may be absent (*def, the
 * caller's to free, holds that path). Read only when a registry is spoken to. 0, or the
 * exit code of what was reported.
 */
int cli_registry_auth(const char *cmd, const char *file, struct al_fetch_opts *fo, char **def);

/*
 * `airlock scan BUNDLE --attach` for `bundle create --scan`: the new bundle directory scanned
 * with the advisory data VULNDB (NVULNDB paths) under POLICY (NULL: the defaults), the scan
 * attached. The exit code: 0 when the verdict is pass.
 */
int cli_scan_attach(const char *bundle, const char *const *vulndb, size_t nvulndb, const char *policy, int quiet);

/*
 * `airlock custody add BUNDLE --event EVENT --actor ACTOR --key KEY [--medium M]
 * [--passphrase-file F]`, for the commands that record their own step of the custody chain
 * (media split, diode send). 0 or the exit code (reported).
 */
int cli_custody_record(const char *bundle, const char *event, const char *actor, const char *key, const char *medium,
		       const char *pfile);

/*
 * The eval that `eval run` and `release promote --eval` share (cmd_eval.c): the options
 * below, the golden set loaded and asked, the run recorded in the store.
 */
enum { CLI_EV_GOLDEN = 1000, CLI_EV_ENDPOINT, CLI_EV_MODEL, CLI_EV_TOKEN, CLI_EV_API, CLI_EV_TOLERANCE,
       CLI_EV_CONCURRENCY, CLI_EV_TIMEOUT, CLI_EV_RETRIES, CLI_EV_MAX_TOKENS };
#define CLI_EVAL_OPTIONS                                                                                         \
	{ "golden", required_argument, NULL, CLI_EV_GOLDEN }, { "endpoint", required_argument, NULL, CLI_EV_ENDPOINT }, \
	{ "model", required_argument, NULL, CLI_EV_MODEL }, { "token-file", required_argument, NULL, CLI_EV_TOKEN }, \
	{ "api", required_argument, NULL, CLI_EV_API }, { "tolerance", required_argument, NULL, CLI_EV_TOLERANCE }, \
	{ "concurrency", required_argument, NULL, CLI_EV_CONCURRENCY },                                          \
	{ "timeout", required_argument, NULL, CLI_EV_TIMEOUT }, { "retries", required_argument, NULL, CLI_EV_RETRIES }, \
	{ "max-tokens", required_argument, NULL, CLI_EV_MAX_TOKENS }
struct cli_eval {
	const char *golden, *token_file;
	struct al_eval_opts o;
	double tolerance;
	char token[4096];
	struct al_golden g;
	struct al_eval_run run;
	int loaded, ran;
};
/* Takes option C (a CLI_EV_*) with ARG for command CMD: 0 or the usage error's exit code. */
int cli_eval_option(struct cli_eval *e, const char *cmd, int c, const char *arg);
/* Loads the golden set (once: what is asked is what a baseline was found for): 0 or the exit code. */
int cli_eval_load(struct cli_eval *e);
/* Loads the golden set unless loaded, and asks the endpoint (failed pairs listed unless QUIET): 0 or the exit code. */
int cli_eval_ask(struct cli_eval *e, const char *cmd, int quiet);
struct al_store;
/* Records the run in the store (writer) for RELEASE ("" for none): 0 or the exit code. */
int cli_eval_record(struct al_store *s, struct cli_eval *e, const char *release, const char *actor);
void cli_eval_release(struct cli_eval *e);

/* Reads a passphrase from file, else from the terminal (echo off; twice asks again). 0 or -1 (reported). */
int cli_passphrase(const char *file, const char *prompt, int twice, char *out, size_t n);
void cli_secret_wipe(char *p, size_t n);

/* "airlock: <msg>\n" on stderr, a usage hint, returns 64. */
int cli_usage(const char *cmd, const char *fmt, ...) AL_PRINTF(2, 3);
/* Prints err ("airlock: <msg>") and returns its exit code. */
int cli_fail(const struct al_err *err);
/* Prints the page and returns 0. */
int cli_help(const char *doc);
/* Prints JSON to stdout (pretty, with a newline) and consumes the reference. */
void cli_json(json_t *j);
/* As cli_json, to F (standard error when standard output carries data). */
void cli_json_to(FILE *f, json_t *j);
/*
 * Prints one line built from untrusted text (names from a bundle, custody notes): control
 * characters, newlines included, become '?', so input can neither forge lines nor drive
 * the terminal.
 */
void cli_line(FILE *f, const char *fmt, ...) AL_PRINTF(2, 3);
/* One line per role: how many distinct keys signed, of how many needed, which. */
void cli_print_roles(const json_t *signers);
/* Who is acting, when not said (--actor): the login name of the user running the command. */
const char *cli_login_name(void);
/* "1.2 GiB" etc. into out. */
void cli_bytes(uint64_t n, char out[32]);

/* A progress line on stderr, only when stderr is a terminal and not quiet. */
struct cli_progress {
	struct al_progress p;
	const char *label;
	int active;
	_Atomic int stop;
	pthread_t thread;
	double started;
};
void cli_progress_start(struct cli_progress *pr, const char *label, int quiet);
void cli_progress_stop(struct cli_progress *pr);
double cli_now(void);

#endif
