/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sig.c: the minisign signature parser (al_sig_parse) and the verifier
 * behind it (al_sig_verify), which read every signatures/<role>.<id>.minisig of a
 * bundle before anything about it is trusted.
 *
 * Each accepted signature is verified over the message "test" against two
 * keys: the fixed key of the minisign known-answer vectors (reference notes
 * section 1.3; the corpus holds its signatures), and the same Ed25519 key
 * under the signature's own keynum, so that fuzzed signatures reach the
 * Ed25519 checks rather than stopping at the key id. Legacy signatures are
 * tried both refused and allowed.
 *
 * Checks: a failure is AL_EVERIFY with a message and never a crash; an
 * accepted signature has a printable UTF-8 trusted comment (TAB allowed) and
 * the id minisign prints, and written back out as .minisig text it reads
 * back the same; a verification that passes agrees with libsodium checking
 * both signatures directly, and a legacy one passes only when allowed.
 */
#include <string.h>

#include <sodium.h>

#include "fsx.h"
#include "fuzz.h"
#include "minisign.h"

/* jedisct1/minisign's test key (RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3). */
static const char kat_pk[] = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";

static void check_sig(const struct al_sig *s)
{
	static const char x[] = "0123456789ABCDEF";
	size_t n = strnlen(s->trusted, AL_TC_MAX);
	if (n >= AL_TC_MAX)
		AL_BUG("a trusted comment is not terminated");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s->trusted[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			AL_BUG("a trusted comment holds a control character");
	}
	if (al_utf8_bad(s->trusted, n))
		AL_BUG("a trusted comment is not UTF-8");
	for (int i = 0; i < AL_KEYNUM; i++)
		if (s->id[2 * i] != x[s->keynum[AL_KEYNUM - 1 - i] >> 4] ||
		    s->id[2 * i + 1] != x[s->keynum[AL_KEYNUM - 1 - i] & 15])
			AL_BUG("a signature's key id is not its keynum reversed, in upper-case hex");
	if (s->id[16])
		AL_BUG("a signature's key id is not 16 characters");
}

/* Writes s back out as .minisig text and parses it again: the same signature. */
static void round_trip(const struct al_sig *s)
{
	unsigned char raw[74];
	char l2[128], l4[128];
	struct al_buf b;
	struct al_sig back;
	struct al_err err = { 0 };
	raw[0] = 'E';
	raw[1] = s->legacy ? 'd' : 'D';
	memcpy(raw + 2, s->keynum, AL_KEYNUM);
	memcpy(raw + 10, s->sig, AL_SIG);
	sodium_bin2base64(l2, sizeof(l2), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(l4, sizeof(l4), s->global, AL_SIG, sodium_base64_VARIANT_ORIGINAL);
	al_buf_init(&b, 2 * AL_TC_MAX);
	if (al_buf_addf(&b, &err, "untrusted comment: round trip\n%s\ntrusted comment: %s\n%s\n", l2, s->trusted,
			l4) != AL_OK)
		AL_BUG("cannot write a signature back out");
	if (al_sig_parse(b.data, b.len, &back, &err) != AL_OK)
		AL_BUG("an accepted signature, written back out, is refused");
	if (back.legacy != s->legacy || memcmp(back.keynum, s->keynum, AL_KEYNUM) ||
	    memcmp(back.sig, s->sig, AL_SIG) || memcmp(back.global, s->global, AL_SIG) ||
	    strcmp(back.trusted, s->trusted) || strcmp(back.id, s->id))
		AL_BUG("a signature changes when written back out");
	al_buf_release(&b);
}

/* What al_sig_verify must decide, computed with libsodium alone. */
static int really_valid(const struct al_pubkey *pk, const struct al_sig *s, const unsigned char h[64],
			const char *msg, size_t msglen)
{
	unsigned char gm[AL_SIG + AL_TC_MAX];
	size_t tl = strlen(s->trusted);
	if (memcmp(pk->keynum, s->keynum, AL_KEYNUM))
		return 0;
	if (s->legacy ? crypto_sign_verify_detached(s->sig, (const unsigned char *)msg, msglen, pk->pk)
		      : crypto_sign_verify_detached(s->sig, h, 64, pk->pk))
		return 0;
	memcpy(gm, s->sig, AL_SIG);
	memcpy(gm + AL_SIG, s->trusted, tl);
	return crypto_sign_verify_detached(s->global, gm, AL_SIG + tl, pk->pk) == 0;
}

static void verify(const struct al_pubkey *pk, const struct al_sig *s)
{
	static const char msg[] = "test";
	unsigned char h[64];
	int valid;
	al_prehash_mem(msg, 4, h);
	valid = really_valid(pk, s, h, msg, 4);
	for (int allow = 0; allow < 2; allow++) {
		struct al_err err = { 0 };
		enum al_code rc = al_sig_verify(pk, s, h, msg, 4, allow, &err);
		if (rc == AL_OK && (!valid || (s->legacy && !allow)))
			AL_BUG("a signature that does not hold was accepted");
		if (rc != AL_OK && valid && (!s->legacy || allow))
			AL_BUG("a signature that holds was refused");
		if (rc != AL_OK && (rc != AL_EVERIFY || !err.msg[0]))
			AL_BUG("a refused signature is not AL_EVERIFY with a message");
	}
	/* without the message, a legacy signature can never pass */
	if (s->legacy) {
		struct al_err err = { 0 };
		if (al_sig_verify(pk, s, h, NULL, 0, 1, &err) == AL_OK)
			AL_BUG("a legacy signature passed without its message");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static struct al_pubkey kat;
	struct al_pubkey other;
	struct al_sig sig;
	struct al_err err = { 0 };
	if (!ready) {
		if (al_crypto_init(NULL) != AL_OK || al_pubkey_parse(kat_pk, strlen(kat_pk), &kat, NULL) != AL_OK)
			AL_BUG("the fixed key does not load");
		ready = 1;
	}
	enum al_code rc;
	FUZZ_ON();
	rc = al_sig_parse((const char *)data, size, &sig, &err);
	FUZZ_OFF();
	if (rc != AL_OK) {
		if ((err.code != AL_EVERIFY && err.code != AL_ENOMEM) || !err.msg[0])
			AL_BUG("a refused signature is not AL_EVERIFY with a message");
		return 0;
	}
	check_sig(&sig);
	round_trip(&sig);
	verify(&kat, &sig);
	other = kat;
	memcpy(other.keynum, sig.keynum, AL_KEYNUM);
	memcpy(other.id, sig.id, AL_KEYID);
	verify(&other, &sig);
	return 0;
}
