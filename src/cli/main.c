/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: the command table. Each command lives in its own cmd_<name>.c and
 * gets argv from its own name on; `--help` anywhere prints its page. What a
 * command needs first (CLI_CRYPTO) is set up here, once, from its row.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "minisign.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("airlock %s\n", AL_VERSION);
	return 0;
}

static const struct cli_cmd commands[] = {
	{ "init", cmd_init, al_doc_init, "create an embedded store", CLI_CRYPTO },
	{ "bundle", cmd_bundle, al_doc_airlock, "create or inspect a bundle", 0 },
	{ "key", cmd_key, al_doc_key, "make a signing key pair", CLI_CRYPTO },
	{ "sign", cmd_sign, al_doc_sign, "sign a bundle in a role", CLI_CRYPTO },
	{ "custody", cmd_custody, al_doc_custody, "add, show or verify custody records", CLI_CRYPTO },
	{ "scan", cmd_scan, al_doc_scan, "scan a bundle: vulnerabilities, model files, licences, origins", CLI_CRYPTO },
	{ "report", cmd_report, al_doc_report, "write one HTML page for the reviewer of a bundle", CLI_CRYPTO },
	{ "sbom", cmd_sbom, al_doc_sbom, "write a bundle's bill of materials (CycloneDX or SPDX)", CLI_CRYPTO },
	{ "vulndb", cmd_vulndb, al_doc_vulndb, "import advisory data into the store's advisory database", CLI_CRYPTO },
	{ "media", cmd_media, al_doc_media, "split a bundle into volumes with parity, check one, join them", CLI_CRYPTO },
	{ "diode", cmd_diode, al_doc_diode, "send a bundle through a one-way link, or receive one", CLI_CRYPTO },
	{ "verify", cmd_verify, al_doc_verify, "check a bundle strictly", CLI_CRYPTO },
	{ "import", cmd_import, al_doc_import, "verify and install a bundle", CLI_CRYPTO },
	{ "store", cmd_store, al_doc_store, "list, check and clean the store", CLI_CRYPTO },
	{ "release", cmd_release, al_doc_release, "name what runs, promote it through gates, roll it back", CLI_CRYPTO },
	{ "deploy", cmd_deploy, al_doc_deploy, "render configs pinned to a release's artifacts inside", CLI_CRYPTO },
	{ "eval", cmd_eval, al_doc_eval, "ask a model golden questions, score, record, compare", CLI_CRYPTO },
	{ "drill", cmd_drill, al_doc_drill, "rehearse the next update on a scratch copy of the store", CLI_CRYPTO },
	{ "push", cmd_push, al_doc_push, "copy the store's artifacts into an OCI registry", CLI_CRYPTO },
	{ "serve", cmd_serve, al_doc_serve, "serve the store as OCI, PyPI and Hugging Face endpoints", CLI_CRYPTO },
	{ "version", cmd_version, al_doc_airlock, "print the version", 0 },
};

/* Sets up what the command needs (its table entry's CLI_* flags), then runs it. */
static int run(const struct cli_cmd *c, int argc, char **argv)
{
	struct al_err err = { 0 };
	if ((c->needs & CLI_CRYPTO) && al_crypto_init(&err))
		return cli_fail(&err);
	return c->run(argc, argv);
}

/*
 * A write through a memory mapping into a file system with no room left
 * arrives as SIGBUS, not as an error of write(2): SQLite maps its WAL index,
 * and where blocks are smaller than a page (ext4 with 1 KiB blocks) the blocks
 * it did not write are allocated only when the mapping is written. That is a
 * full disk like any other: the catalog's transaction was not committed, and
 * SQLite rebuilds its WAL index on the next open as after a crash. So it ends
 * with a message and exit 2 (the code of a failed write), never a signal. Any
 * other SIGBUS is a bug and keeps its default action.
 */
static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	static const char msg[] =
		"airlock: a write to a memory-mapped file failed (SIGBUS): its file system is full (or the file "
		"was cut short); nothing more was committed (make room, then run the command again)\n";
	(void)ctx;
	if (si && si->si_code == BUS_ADRERR) {
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* nothing more can be said */
		}
		_exit(EXIT_ERROR);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	struct sigaction bus;
	memset(&bus, 0, sizeof(bus));
	bus.sa_sigaction = on_sigbus;
	bus.sa_flags = SA_SIGINFO;
	sigemptyset(&bus.sa_mask);
	sigaction(SIGBUS, &bus, NULL);
	if (argc < 2) {
		fputs(al_doc_airlock, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		/* help CMD [SUB]: the command's own page, as CMD [SUB] --help prints it */
		char *args[4];
		int n = argc - 2 > 2 ? 2 : argc - 2;
		for (int i = 0; i < n; i++)
			args[i] = argv[2 + i];
		args[n] = "--help";
		args[n + 1] = NULL;
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[2], commands[i].name))
				return run(&commands[i], n + 1, args);
		return cli_usage("", "unknown command '%s'", argv[2]);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return cli_help(al_doc_airlock);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return run(&commands[i], argc - 1, argv + 1);
	return cli_usage("", "unknown command '%s'", argv[1]);
}
