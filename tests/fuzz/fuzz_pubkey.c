/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_pubkey.c: the minisign public key parser (al_pubkey_parse), which
 * reads every key a trust policy names, inline or from a .pub file.
 *
 * Checks: a failure is AL_EINVAL with a message; an accepted key has the id
 * minisign prints (its keynum reversed, upper-case hex), and its base64 line
 * and its .pub text (al_pubkey_b64, al_pubkey_format) each read back as the
 * same key.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "minisign.h"

static void check_id(const struct al_pubkey *pk)
{
	static const char x[] = "0123456789ABCDEF";
	if (strlen(pk->id) != 16)
		AL_BUG("a key id is not 16 characters");
	for (int i = 0; i < AL_KEYNUM; i++)
		if (pk->id[2 * i] != x[pk->keynum[AL_KEYNUM - 1 - i] >> 4] ||
		    pk->id[2 * i + 1] != x[pk->keynum[AL_KEYNUM - 1 - i] & 15])
			AL_BUG("a key id is not its keynum reversed, in upper-case hex");
}

static void same_key(const struct al_pubkey *a, const struct al_pubkey *b, const char *what)
{
	if (memcmp(a->keynum, b->keynum, AL_KEYNUM) || memcmp(a->pk, b->pk, AL_PK) || strcmp(a->id, b->id))
		AL_BUG(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct al_pubkey pk, back;
	struct al_err err = { 0 };
	struct al_buf b;
	char line[64];
	if (!ready) {
		if (al_crypto_init(NULL) != AL_OK)
			AL_BUG("libsodium does not initialize");
		ready = 1;
	}
	enum al_code rc;
	FUZZ_ON();
	rc = al_pubkey_parse((const char *)data, size, &pk, &err);
	FUZZ_OFF();
	if (rc != AL_OK) {
		if ((err.code != AL_EINVAL && err.code != AL_ENOMEM) || !err.msg[0])
			AL_BUG("a refused key is not AL_EINVAL with a message");
		return 0;
	}
	check_id(&pk);
	al_pubkey_b64(&pk, line);
	if (strlen(line) != 56)
		AL_BUG("a key's base64 line is not 56 characters");
	if (al_pubkey_parse(line, strlen(line), &back, &err) != AL_OK)
		AL_BUG("a key's own base64 line is refused");
	same_key(&pk, &back, "a key changes through its base64 line");
	al_buf_init(&b, 4096);
	if (al_pubkey_format(&pk, &b, &err) != AL_OK)
		AL_BUG("a key cannot be formatted");
	if (al_pubkey_parse(b.data, b.len, &back, &err) != AL_OK)
		AL_BUG("a key's own .pub text is refused");
	same_key(&pk, &back, "a key changes through its .pub text");
	al_buf_release(&b);
	return 0;
}
