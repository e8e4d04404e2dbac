/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_import.c: `airlock import` — verify and install a bundle (docs/cmd/import.md). */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <string.h>

#include "cli.h"
#include "media.h"
#include "store.h"
#include "store_wait.h"

static const char *const status[] = { "imported", "already imported", "rejected" };

/* The outcome of importing PATH into STORE as one JSON document on stdout. */
static void print_json(const struct al_import_result *res, const char *path, const char *store)
{
	json_t *probs = json_array();
	for (size_t i = 0; i < res->report.n; i++)
		json_array_append_new(probs, json_string(res->report.msg[i]));
	cli_json(json_pack("{s:s, s:s, s:s, s:s*, s:I, s:o, s:s*, s:I, s:I, s:I, s:O?, s:b, s:s*}", "bundle", path,
			   "store", store, "status", status[res->status], "name", res->info.name, "version",
			   (json_int_t)res->info.version, "problems", probs, "quarantine", res->quarantine, "bytes",
			   (json_int_t)res->bytes, "newBlobs", (json_int_t)res->new_blobs, "repairedBlobs",
			   (json_int_t)res->repaired, "signers", res->signers, "unsigned", res->signers == NULL, "scan",
			   res->info.scan_verdict[0] ? res->info.scan_verdict : NULL));
}

/* The outcome for a person: a rejection's problems (and ERR, why) on stderr, else what was
 * installed, the policy override and the signers on stdout. */
static void print_text(const struct al_import_result *res, const struct al_err *err, const char *store,
		       const char *trust_file)
{
	char b[32];
	if (res->status == AL_REJECTED) {
		for (size_t i = 0; i < res->report.n; i++)
			fprintf(stderr, "airlock: import: %s\n", res->report.msg[i]);
		if (res->report.dropped)
			fprintf(stderr, "airlock: import: … and %zu more problems\n", res->report.dropped);
		fprintf(stderr, "airlock: %s\n", err->msg);
		return;
	}
	cli_bytes(res->bytes, b);
	printf("%s %s version %lld into '%s': %zu artifacts, %s, %zu new blobs", status[res->status], res->info.name,
	       (long long)res->info.version, store, res->info.nartifacts, b, res->new_blobs);
	if (res->repaired)
		printf(", %zu damaged or missing blob%s repaired from the bundle", res->repaired,
		       res->repaired == 1 ? "" : "s");
	printf("\n");
	if (trust_file && res->status == AL_IMPORTED)
		cli_line(stdout, "POLICY OVERRIDE: checked against '%s' (--trust), not the store's policy; recorded in the catalog",
			 trust_file);
	if (res->signers)
		cli_print_roles(res->signers);
	else if (res->status == AL_IMPORTED)
		printf("WARNING: imported UNSIGNED (--allow-unsigned); this is recorded in the catalog\n");
	if (res->info.scan_verdict[0])
		printf("scan attached to the bundle (scan.json, covered by its signatures): verdict %s\n",
		       res->info.scan_verdict);
	else
		printf("no scan attached to the bundle\n");
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "trust", required_argument, NULL, 't' },
					      { "allow-unsigned", no_argument, NULL, 'u' },
					      { "json", no_argument, NULL, 'j' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "wait", required_argument, NULL, 'w' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *store = NULL, *path, *trust_file = NULL;
	struct al_trust trust = { 0 };
	struct al_import_opts io = { 0 };
	int json = 0, quiet = 0, c, code;
	unsigned wait = CLI_WAIT_DEFAULT;
	struct al_store *s = NULL;
	struct al_import_result res;
	struct cli_progress pr;
	struct al_err err = { 0 };
	enum al_code rc;
	struct al_media_join *join = NULL;
	int volumes = 0;
	struct al_tar_source media_tar;
	static int stdin_fd = STDIN_FILENO;
	static const struct al_tar_source stdin_tar = { "standard input", al_tar_source_fd, &stdin_fd };
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 't': trust_file = optarg; break;
		case 'u': io.allow_unsigned = 1; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'w':
			if ((code = cli_wait_option("import", optarg, &wait)))
				return code;
			break;
		case 'h': return cli_help(al_doc_import);
		default: return cli_usage("import", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage("import", "give one bundle (a directory or a tar file), or the volumes of one");
	path = argv[optind];
	if (optind + 1 < argc || al_media_is_volume(path)) {
		/* volumes of `airlock media split`: joined as they are read, straight into the importer */
		for (int i = optind; i < argc; i++)
			if (!al_media_is_volume(argv[i]))
				return cli_usage("import", "'%s' is not a volume (a directory with MEDIA.json): give one "
						 "bundle, or the volumes of one", argv[i]);
		volumes = 1;
	} else if (!strcmp(path, "-")) {
		/* a tar on standard input: a pipe from `bundle create -o -`, from joined media, from ssh */
		if (isatty(STDIN_FILENO))
			return cli_usage("import", "'-' reads a tar bundle from standard input, which is a terminal");
		io.stream = &stdin_tar;
		path = "stdin";
	}
	store = al_store_default(store); /* named in what import prints */
	if (io.allow_unsigned && trust_file)
		return cli_usage("import", "--trust and --allow-unsigned exclude each other");
	if (trust_file) {
		if (al_trust_load(trust_file, &trust, &err))
			return cli_fail(&err);
		io.trust = &trust;
	}
	io.now = (int64_t)time(NULL);
	if (volumes && al_media_join_open(argv + optind, (size_t)(argc - optind), &join, &err)) {
		al_trust_release(&trust);
		return cli_fail(&err);
	}
	if (join) {
		al_media_join_source(join, &media_tar);
		io.stream = &media_tar;
		path = "volumes";
	}
	if ((code = cli_store_open(store, AL_STORE_WRITE, wait, &s))) {
		al_trust_release(&trust);
		al_media_join_free(join);
		return code;
	}
	cli_progress_start(&pr, "importing", quiet || json);
	rc = al_store_import(s, path, &io, &pr.p, &res, &err);
	cli_progress_stop(&pr);
	al_store_free(s);
	al_trust_release(&trust);
	al_media_join_free(join);
	if (rc && res.status != AL_REJECTED) {
		al_import_result_release(&res);
		return cli_fail(&err);
	}
	code = rc ? al_code_exit(rc) : 0;
	if (json)
		print_json(&res, path, store);
	else
		print_text(&res, &err, store, trust_file);
	al_import_result_release(&res);
	return code;
}
