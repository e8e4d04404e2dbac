/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sign.c: `airlock sign` — sign a bundle's SHA256SUMS in a role (docs/cmd/sign.md).
 * What is signed is exactly the SHA256SUMS the verification hashed: its bytes are read
 * once more through the verified view, which refuses them unless they still have the
 * digest the verification saw, and the signature is made over those bytes in memory.
 */
#include <getopt.h>
#include <signal.h>
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

/*
 * The prehash of the SHA256SUMS bytes the verification hashed: read once more through the
 * view, which refuses them (AL_EVERIFY) unless they still have the verified digest, and
 * hashed in memory, so the bytes signed are the bytes checked.
 */
static enum al_code verified_hash(struct al_bview *v, const char *path, struct al_buf *sums,
				  unsigned char hash[64], struct al_err *err)
{
	const struct al_bfile *f = al_bview_find(v, "SHA256SUMS");
	enum al_code rc;
	if (!f)
		return al_fail(err, AL_EVERIFY, "bundle '%s' has no SHA256SUMS", path);
	if ((rc = v->read(v, f, sums, err)))
		return rc;
	al_prehash_mem(sums->data, sums->len, hash);
	return AL_OK;
}

/*
 * Never sign what does not verify: scans and checks the bundle at PATH, pinning in *v the
 * digests the check saw, and *info. 0, or an exit code once every problem is printed (and
 * *v and *info are released).
 */
static int check_before_signing(const char *path, struct al_bview *v, struct al_bundle_info *info)
{
	struct al_report rep = { 0 };
	struct al_err err = { 0 };
	int checked = 0;
	enum al_code rc = al_bundle_scan_check(path, v, &rep, info, &checked, NULL, &err);
	if (!rc && (al_report_count(&rep) || !checked))
		rc = AL_EVERIFY;
	for (size_t i = 0; rc && i < rep.n; i++)
		fprintf(stderr, "airlock: sign: %s\n", rep.msg[i]);
	al_report_release(&rep);
	if (!rc)
		return 0;
	al_bview_release(v);
	al_bundle_info_release(info);
	if (rc == AL_EVERIFY)
		fprintf(stderr, "airlock: refusing to sign '%s': it does not verify\n", path);
	return rc == AL_EVERIFY ? EXIT_VERIFY : cli_fail(&err);
}

/*
 * Signs the verified bundle's SHA256SUMS, read again through V (which pins its digest),
 * with secret key file KEY (PASS: its passphrase, or "") as ROLE, and writes the
 * signature under PATH/signatures/. 0 or an exit code (reported).
 */
static int sign_verified(const char *path, struct al_bview *v, const struct al_bundle_info *info,
			 const char *key, const char *pass, const char *role)
{
	char tc[AL_TC_MAX], *dir = al_join(path, "signatures"), *out = NULL;
	unsigned char hash[64];
	struct al_seckey sk;
	struct al_pubkey pk;
	struct al_buf sig, sums;
	struct al_err err = { 0 };
	enum al_code rc;
	int code = 0;
	al_buf_init(&sig, 16384);
	al_buf_init(&sums, AL_MAX_SUMS);
	if (!dir) {
		code = EXIT_ERROR;
	} else if (al_seckey_load(key, *pass ? pass : NULL, &sk, &pk, &err)) {
		code = cli_fail(&err);
	} else {
		al_fault("sign-before-hash", SIGSTOP); /* (test-only: a test swaps files here) */
		if ((rc = verified_hash(v, path, &sums, hash, &err)) == AL_EVERIFY) {
			fprintf(stderr, "airlock: sign: %s\n", err.msg);
			fprintf(stderr, "airlock: refusing to sign '%s': it changed after it was verified\n", path);
			code = EXIT_VERIFY;
		} else if (rc || al_trusted_comment(info, role, tc, sizeof(tc), &err) ||
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
	al_buf_release(&sig);
	al_buf_release(&sums);
	free(dir);
	free(out);
	return code;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = { { "key", required_argument, NULL, 'k' },
					      { "role", required_argument, NULL, 'r' },
					      { "passphrase-file", required_argument, NULL, 'p' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *key = NULL, *role = NULL, *pfile = NULL, *path, *bad;
	char pass[1024] = "";
	struct al_bundle_info info = { 0 };
	struct al_bview v = { 0 };
	int c, code;
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
	if ((code = check_before_signing(path, &v, &info)))
		return code;
	if (al_seckey_encrypted(key) && cli_passphrase(pfile, "passphrase: ", 0, pass, sizeof(pass)))
		code = EXIT_ERROR;
	else
		code = sign_verified(path, &v, &info, key, pass, role);
	cli_secret_wipe(pass, sizeof(pass));
	al_bview_release(&v);
	al_bundle_info_release(&info);
	return code;
}
