/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_key.c: `airlock key generate` — a minisign-compatible key pair (docs/cmd/key.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fsx.h"
#include "minisign.h"

/* Writes a new file (never over an existing one, never through a link), then fsyncs it. */
static int write_new(const char *path, const char *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	const char *p = data;
	if (fd < 0) {
		fprintf(stderr, "airlock: cannot create '%s': %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (keys are never overwritten)" : "");
		return -1;
	}
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fprintf(stderr, "airlock: cannot write '%s': %s\n", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fprintf(stderr, "airlock: cannot flush '%s': %s\n", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int cmd_key(int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { "comment", required_argument, NULL, 'c' },
					      { "passphrase-file", required_argument, NULL, 'p' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *out = NULL, *comment = NULL, *pfile = NULL;
	int nopass = 0, c, code = 0;
	char pass[1024] = "", *pubp = NULL, *secp = NULL;
	struct al_buf pub, sec;
	struct al_pubkey pk;
	struct al_err err = { 0 };
	if (argc < 2 || strcmp(argv[1], "generate") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
			return cli_help(al_doc_key);
		return cli_usage("key", "give a subcommand: generate");
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "o:c:Wh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': comment = optarg; break;
		case 'p': pfile = optarg; break;
		case 'W': nopass = 1; break;
		case 'h': return cli_help(al_doc_key);
		default: return cli_usage("key", "bad option");
		}
	}
	if (!out || !*out || optind != argc)
		return cli_usage("key", "give -o PREFIX (writes PREFIX.key and PREFIX.pub)");
	if (nopass && pfile)
		return cli_usage("key", "-W (no passphrase) and --passphrase-file exclude each other");
	if (comment) {
		/* the comment is a line of the key file: minisign reads at most 1024 bytes of it */
		if (strlen(comment) > 1003 || al_utf8_bad(comment, strlen(comment)))
			return cli_usage("key", "the comment must be UTF-8 text of at most 1003 bytes (what minisign reads)");
		for (const char *p = comment; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return cli_usage("key", "the comment must be one line without control characters");
	}
	if (!nopass && cli_passphrase(pfile, "passphrase for the new key: ", 1, pass, sizeof(pass)))
		return EXIT_ERROR;
	if (!nopass && !*pass) {
		fprintf(stderr, "airlock: an empty passphrase; use -W for a key without one\n");
		return EXIT_USAGE;
	}
	al_buf_init(&pub, 4096);
	al_buf_init(&sec, 4096);
	pubp = al_strf("%s.pub", out);
	secp = al_strf("%s.key", out);
	if (!pubp || !secp) {
		code = EXIT_ERROR;
	} else if (al_key_generate(nopass ? NULL : pass, comment, &pub, &sec, &pk, &err)) {
		code = cli_fail(&err);
	} else if (write_new(secp, sec.data, sec.len, 0600) != 0) {
		code = EXIT_ERROR;
	} else if (write_new(pubp, pub.data, pub.len, 0644) != 0) {
		unlink(secp);
		code = EXIT_ERROR;
	} else {
		printf("key %s: secret key '%s' (%s), public key '%s'\n", pk.id, secp,
		       nopass ? "NOT encrypted" : "encrypted", pubp);
	}
	cli_secret_wipe(pass, sizeof(pass));
	if (sec.data)
		cli_secret_wipe(sec.data, sec.len);
	al_buf_release(&pub);
	al_buf_release(&sec);
	free(pubp);
	free(secp);
	return code;
}
