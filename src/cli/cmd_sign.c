/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_sign.c: `airlock sign` — sign a bundle's SHA256SUMS in a role (docs/cmd/sign.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bundle.h"
#include "cli.h"
#include "fsx.h"
#include "minisign.h"
#include "trust.h"

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument, NULL, 'k' },
					      { "role", required_argument, NULL, 'r' },
					      { "passphrase-file", required_argument, NULL, 'p' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *key = NULL, *role = NULL, *pfile = NULL, *path, *bad;
	char pass[1024] = "", tc[AL_TC_MAX], *sums = NULL, *dir = NULL, *out = NULL;
	unsigned char hash[64];
	struct al_seckey sk;
	struct al_pubkey pk;
	struct al_report rep = { 0 };
	struct al_bundle_info info = { 0 };
	struct al_buf sig;
	struct al_err err = { 0 };
	enum al_code rc;
	int c, code = 0;
	while ((c = getopt_long(argc, argv, "k:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'r': role = optarg; break;
		case 'p': pfile = optarg; break;
		case 'h': return cli_help(al_doc_sign);
		default: return cli_usage("sign", "bad option");
		}
	}
	if (!key || !role || optind + 1 != argc)
		return cli_usage("sign", "give a bundle, --key FILE and --role ROLE");
	if ((bad = al_role_bad(role)))
		return cli_usage("sign", "bad role '%s': %s", role, bad);
	path = argv[optind];
	if (al_bundle_is_tar(path)) {
		fprintf(stderr, "airlock: '%s' is a tar: sign the directory form, then make the tar\n", path);
		return EXIT_ERROR;
	}
	if (al_crypto_init(&err))
		return cli_fail(&err);
	/* never sign what does not verify */
	rc = al_bundle_verify(path, &rep, &info, NULL, &err);
	if (rc) {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "airlock: sign: %s\n", rep.msg[i]);
		al_report_release(&rep);
		if (rc == AL_EVERIFY)
			fprintf(stderr, "airlock: refusing to sign '%s': it does not verify\n", path);
		return rc == AL_EVERIFY ? EXIT_VERIFY : cli_fail(&err);
	}
	if (al_seckey_encrypted(key) && cli_passphrase(pfile, "passphrase: ", 0, pass, sizeof(pass))) {
		al_bundle_info_release(&info);
		return EXIT_ERROR;
	}
	al_buf_init(&sig, 16384);
	sums = al_join(path, "SHA256SUMS");
	dir = al_join(path, "signatures");
	if (!sums || !dir) {
		code = EXIT_ERROR;
	} else if (al_seckey_load(key, *pass ? pass : NULL, &sk, &pk, &err)) {
		code = cli_fail(&err);
	} else {
		if (al_prehash_file(sums, hash, &err) || al_trusted_comment(&info, role, tc, sizeof(tc), &err) ||
		    al_sign_prehashed(&sk, hash, tc, NULL, &sig, &err) || al_mkdirs(dir, &err)) {
			code = cli_fail(&err);
		} else if (!(out = al_strf("%s/%s.%s.minisig", dir, role, pk.id))) {
			code = EXIT_ERROR;
		} else if (al_write_atomic(out, sig.data, sig.len, &err)) {
			code = cli_fail(&err);
		} else {
			printf("signed '%s' as role '%s' with key %s: %s\n", path, role, pk.id, out);
		}
		al_seckey_wipe(&sk);
	}
	cli_secret_wipe(pass, sizeof(pass));
	al_buf_release(&sig);
	al_bundle_info_release(&info);
	free(sums);
	free(dir);
	free(out);
	return code;
}
