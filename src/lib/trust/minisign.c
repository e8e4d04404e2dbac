/* SPDX-License-Identifier: Apache-2.0 */
/*
 * minisign.c: the minisign key and signature formats on libsodium
 * (Ed25519, BLAKE2b, scrypt). Layouts (all packed, little-endian numbers):
 *   public key  "Ed" | keynum[8] | pk[32]                                   (42)
 *   signature   "ED"|"Ed" | keynum[8] | sig[64]                             (74)
 *   secret key  "Ed" | "Sc"|"\0\0" | "B2" | salt[32] | ops[8] | mem[8]
 *               | keynum[8] | sk[64] | chk[32]                              (158)
 * chk = BLAKE2b-256("Ed" | keynum | sk); the last 104 bytes are XORed with
 * scrypt(passphrase, salt, ops, mem). Secrets are wiped after use.
 */
#include "minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fsx.h"

enum { PUB_LEN = 42, SIG_LEN = 74, SEC_LEN = 158, KEYNUM_SK = 104, LINE_MAX_BYTES = 8192 + 64 };

enum al_code al_crypto_init(struct al_err *err)
{
	if (sodium_init() < 0)
		return al_fail(err, AL_EIO, "cannot initialize libsodium");
	return AL_OK;
}

static void key_id(const unsigned char keynum[AL_KEYNUM], char id[AL_KEYID])
{
	static const char x[] = "0123456789ABCDEF";
	/* minisign prints the little-endian number: the bytes reversed */
	for (int i = 0; i < AL_KEYNUM; i++) {
		id[2 * i] = x[keynum[AL_KEYNUM - 1 - i] >> 4];
		id[2 * i + 1] = x[keynum[AL_KEYNUM - 1 - i] & 15];
	}
	id[16] = '\0';
}

/* Splits text into lines (without "\n" or a final "\r"); returns the count, at most max. */
static size_t lines(const char *text, size_t n, const char **start, size_t *len, size_t max)
{
	size_t k = 0;
	const char *p = text, *end = text + n;
	while (p < end && k < max) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t l = eol ? (size_t)(eol - p) : (size_t)(end - p);
		start[k] = p;
		len[k] = (l && p[l - 1] == '\r') ? l - 1 : l;
		k++;
		p = eol ? eol + 1 : end;
	}
	return k;
}

static int b64_decode(const char *s, size_t n, unsigned char *out, size_t want)
{
	size_t got = 0;
	if (sodium_base642bin(out, want, s, n, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return got == want ? 0 : -1;
}

static void b64_encode(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, p, n, sodium_base64_VARIANT_ORIGINAL);
}

enum al_code al_pubkey_parse(const char *text, size_t n, struct al_pubkey *pk, struct al_err *err)
{
	const char *st[3];
	size_t ln[3], k = lines(text, n, st, ln, 3);
	unsigned char raw[PUB_LEN];
	const char *b = NULL;
	size_t bl = 0;
	if (k >= 1 && ln[0] > 0 && !(ln[0] >= 19 && !memcmp(st[0], "untrusted comment: ", 19))) {
		b = st[0];
		bl = ln[0];
	} else if (k >= 2) {
		b = st[1];
		bl = ln[1];
	}
	if (!b || b64_decode(b, bl, raw, PUB_LEN) != 0)
		return al_fail(err, AL_EINVAL, "not a minisign public key (expected a base64 line of 42 bytes)");
	if (raw[0] != 'E' || raw[1] != 'd')
		return al_fail(err, AL_EINVAL, "unsupported public key algorithm (expected Ed25519)");
	memcpy(pk->keynum, raw + 2, AL_KEYNUM);
	memcpy(pk->pk, raw + 10, AL_PK);
	key_id(pk->keynum, pk->id);
	return AL_OK;
}

enum al_code al_pubkey_load(const char *path, struct al_pubkey *pk, struct al_err *err)
{
	struct al_buf b;
	enum al_code rc;
	al_buf_init(&b, 4096);
	rc = al_read_file(path, 0, &b, err);
	if (!rc && (rc = al_pubkey_parse(b.data, b.len, pk, err)))
		al_err_prefix(err, "'%s'", path);
	al_buf_release(&b);
	return rc;
}

void al_pubkey_b64(const struct al_pubkey *pk, char out[64])
{
	unsigned char raw[PUB_LEN] = { 'E', 'd' };
	memcpy(raw + 2, pk->keynum, AL_KEYNUM);
	memcpy(raw + 10, pk->pk, AL_PK);
	b64_encode(raw, PUB_LEN, out, 64);
}

enum al_code al_pubkey_format(const struct al_pubkey *pk, struct al_buf *out, struct al_err *err)
{
	char b[64];
	al_pubkey_b64(pk, b);
	return al_buf_addf(out, err, "untrusted comment: minisign public key %s\n%s\n", pk->id, b);
}

static void checksum(const unsigned char keynum[AL_KEYNUM], const unsigned char sk[AL_SK],
		     unsigned char chk[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const unsigned char *)"Ed", 2);
	crypto_generichash_update(&st, keynum, AL_KEYNUM);
	crypto_generichash_update(&st, sk, AL_SK);
	crypto_generichash_final(&st, chk, 32);
	sodium_memzero(&st, sizeof(st));
}

static void le64_put(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t le64_get(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* XORs the 104 bytes keynum|sk|chk with scrypt(passphrase, salt, ops, mem). */
static enum al_code kdf_xor(unsigned char *keynum_sk, const char *pass, const unsigned char *salt,
			    uint64_t ops, uint64_t mem, struct al_err *err)
{
	unsigned char *stream = sodium_malloc(KEYNUM_SK);
	if (!stream)
		return al_fail(err, AL_ENOMEM, "out of memory (key stream)");
	if (crypto_pwhash_scryptsalsa208sha256(stream, KEYNUM_SK, pass, strlen(pass), salt, ops,
					       (size_t)mem) != 0) {
		sodium_free(stream);
		return al_fail(err, AL_ENOMEM, "cannot derive the key from the passphrase (scrypt needs %llu MiB)",
			       (unsigned long long)(mem >> 20));
	}
	for (int i = 0; i < KEYNUM_SK; i++)
		keynum_sk[i] ^= stream[i];
	sodium_free(stream);
	return AL_OK;
}

enum al_code al_key_generate(const char *passphrase, const char *comment, struct al_buf *pub_text,
			     struct al_buf *sec_text, struct al_pubkey *pk, struct al_err *err)
{
	unsigned char *sec = sodium_malloc(SEC_LEN);
	unsigned char *p;
	char *b64;
	size_t b64len = sodium_base64_ENCODED_LEN(SEC_LEN, sodium_base64_VARIANT_ORIGINAL);
	int encrypt = passphrase && *passphrase;
	enum al_code rc = AL_OK;
	if (!sec)
		return al_fail(err, AL_ENOMEM, "out of memory");
	memset(sec, 0, SEC_LEN);
	sec[0] = 'E';
	sec[1] = 'd';
	if (encrypt) {
		sec[2] = 'S';
		sec[3] = 'c';
	}
	sec[4] = 'B';
	sec[5] = '2';
	p = sec + 6; /* salt[32] ops[8] mem[8] */
	if (encrypt) {
		randombytes_buf(p, 32);
		le64_put(p + 32, crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE);
		le64_put(p + 40, crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE);
	}
	p = sec + 54; /* keynum[8] sk[64] chk[32] */
	randombytes_buf(p, AL_KEYNUM);
	crypto_sign_keypair(pk->pk, p + AL_KEYNUM);
	memcpy(pk->keynum, p, AL_KEYNUM);
	key_id(pk->keynum, pk->id);
	if (encrypt) {
		checksum(p, p + AL_KEYNUM, p + AL_KEYNUM + AL_SK);
		rc = kdf_xor(p, passphrase, sec + 6, le64_get(sec + 38), le64_get(sec + 46), err);
	}
	b64 = rc ? NULL : sodium_malloc(b64len);
	if (!rc && !b64)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc) {
		b64_encode(sec, SEC_LEN, b64, b64len);
		rc = al_buf_addf(sec_text, err, "untrusted comment: %s\n%s\n",
				 comment && *comment ? comment : "minisign encrypted secret key", b64);
		sodium_free(b64);
	}
	if (!rc)
		rc = al_pubkey_format(pk, pub_text, err);
	sodium_free(sec);
	return rc;
}

static enum al_code read_seckey(const char *path, unsigned char *sec, struct al_err *err)
{
	struct al_buf b;
	const char *st[2];
	size_t ln[2];
	enum al_code rc;
	al_buf_init(&b, 4096);
	rc = al_read_file(path, AL_NOFOLLOW, &b, err);
	if (!rc && (lines(b.data, b.len, st, ln, 2) != 2 || b64_decode(st[1], ln[1], sec, SEC_LEN) != 0))
		rc = al_fail(err, AL_EINVAL, "'%s' is not a minisign secret key", path);
	if (!rc && (sec[0] != 'E' || sec[1] != 'd' || sec[4] != 'B' || sec[5] != '2' ||
		    !((sec[2] == 'S' && sec[3] == 'c') || (sec[2] == 0 && sec[3] == 0))))
		rc = al_fail(err, AL_EINVAL, "'%s': unsupported secret key algorithms", path);
	sodium_memzero(b.data, b.len);
	al_buf_release(&b);
	return rc;
}

int al_seckey_encrypted(const char *path)
{
	unsigned char *sec = sodium_malloc(SEC_LEN);
	int enc = 0;
	if (sec && read_seckey(path, sec, NULL) == AL_OK)
		enc = sec[2] == 'S';
	if (sec)
		sodium_free(sec);
	return enc;
}

enum al_code al_seckey_load(const char *path, const char *passphrase, struct al_seckey *sk,
			    struct al_pubkey *pk, struct al_err *err)
{
	unsigned char *sec = sodium_malloc(SEC_LEN), chk[32];
	enum al_code rc;
	if (!sec)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = read_seckey(path, sec, err);
	if (!rc && sec[2] == 'S') {
		if (!passphrase)
			rc = al_fail(err, AL_EINVAL, "'%s' is encrypted: a passphrase is needed", path);
		else
			rc = kdf_xor(sec + 54, passphrase, sec + 6, le64_get(sec + 38), le64_get(sec + 46), err);
		if (!rc) {
			checksum(sec + 54, sec + 62, chk);
			if (sodium_memcmp(chk, sec + 126, 32) != 0)
				rc = al_fail(err, AL_EVERIFY, "wrong passphrase for '%s'", path);
			sodium_memzero(chk, sizeof(chk));
		}
	}
	if (!rc) {
		memcpy(sk->keynum, sec + 54, AL_KEYNUM);
		memcpy(sk->sk, sec + 62, AL_SK);
		memcpy(pk->keynum, sk->keynum, AL_KEYNUM);
		crypto_sign_ed25519_sk_to_pk(pk->pk, sk->sk);
		key_id(pk->keynum, pk->id);
	}
	sodium_free(sec);
	return rc;
}

void al_seckey_wipe(struct al_seckey *sk)
{
	sodium_memzero(sk, sizeof(*sk));
}

void al_prehash_mem(const void *p, size_t n, unsigned char out[64])
{
	crypto_generichash(out, 64, p, n, NULL, 0);
}

enum al_code al_prehash_file(const char *path, unsigned char out[64], struct al_err *err)
{
	crypto_generichash_state st;
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot open '%s'", path);
	crypto_generichash_init(&st, NULL, 0, 64);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return al_fail_errno(err, AL_EIO, "cannot read '%s'", path);
		}
		if (n == 0)
			break;
		crypto_generichash_update(&st, buf, (size_t)n);
	}
	close(fd);
	crypto_generichash_final(&st, out, 64);
	return AL_OK;
}

/* Printable UTF-8 without control characters other than TAB (what minisign 0.12 accepts). */
static int trusted_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	if (n > AL_TC_LIMIT)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return 0;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return 0; /* C1 controls, U+0080 to U+009F, as minisign 0.12 refuses them */
	}
	return al_utf8_bad(s, n) == 0;
}

enum al_code al_sign_prehashed(const struct al_seckey *sk, const unsigned char hash[64],
			       const char *trusted, const char *untrusted, struct al_buf *out,
			       struct al_err *err)
{
	unsigned char raw[SIG_LEN], *gm;
	unsigned char global[AL_SIG];
	size_t tl = strlen(trusted);
	char b1[128], b2[128];
	struct al_pubkey pk;
	struct al_sig check;
	struct al_buf text;
	enum al_code rc;
	if (!trusted_ok(trusted))
		return al_fail(err, AL_EINVAL, "the trusted comment must be printable UTF-8 on one line");
	raw[0] = 'E';
	raw[1] = 'D';
	memcpy(raw + 2, sk->keynum, AL_KEYNUM);
	crypto_sign_detached(raw + 10, NULL, hash, 64, sk->sk);
	gm = malloc(AL_SIG + tl);
	if (!gm)
		return al_fail(err, AL_ENOMEM, "out of memory");
	memcpy(gm, raw + 10, AL_SIG);
	memcpy(gm + AL_SIG, trusted, tl);
	crypto_sign_detached(global, NULL, gm, AL_SIG + tl, sk->sk);
	free(gm);
	b64_encode(raw, SIG_LEN, b1, sizeof(b1));
	b64_encode(global, AL_SIG, b2, sizeof(b2));
	al_buf_init(&text, AL_TC_MAX + 1024);
	rc = al_buf_addf(&text, err, "untrusted comment: %s\n%s\ntrusted comment: %s\n%s\n",
			 untrusted && *untrusted ? untrusted : "signature from airlock secret key", b1,
			 trusted, b2);
	/* a signature is verified before anyone sees it */
	memcpy(pk.keynum, sk->keynum, AL_KEYNUM);
	crypto_sign_ed25519_sk_to_pk(pk.pk, sk->sk);
	key_id(pk.keynum, pk.id);
	if (!rc)
		rc = al_sig_parse(text.data, text.len, &check, err);
	if (!rc && (rc = al_sig_verify(&pk, &check, hash, NULL, 0, 0, err)))
		al_err_prefix(err, "the signature just made does not verify");
	if (!rc)
		rc = al_buf_add(out, text.data, text.len, err);
	al_buf_release(&text);
	return rc;
}

enum al_code al_sig_parse(const char *text, size_t n, struct al_sig *sig, struct al_err *err)
{
	const char *st[4];
	size_t ln[4];
	unsigned char raw[SIG_LEN];
	memset(sig, 0, sizeof(*sig));
	if (lines(text, n, st, ln, 4) != 4)
		return al_fail(err, AL_EVERIFY, "not a minisign signature (expected 4 lines)");
	if (ln[0] < 19 || memcmp(st[0], "untrusted comment: ", 19) != 0 || ln[0] > 1024)
		return al_fail(err, AL_EVERIFY, "not a minisign signature (line 1 must be the untrusted comment)");
	if (b64_decode(st[1], ln[1], raw, SIG_LEN) != 0)
		return al_fail(err, AL_EVERIFY, "not a minisign signature (line 2 is not a 74-byte base64 signature)");
	if (raw[0] != 'E' || (raw[1] != 'D' && raw[1] != 'd'))
		return al_fail(err, AL_EVERIFY, "unsupported signature algorithm");
	sig->legacy = raw[1] == 'd';
	memcpy(sig->keynum, raw + 2, AL_KEYNUM);
	memcpy(sig->sig, raw + 10, AL_SIG);
	key_id(sig->keynum, sig->id);
	if (ln[2] < 17 || memcmp(st[2], "trusted comment: ", 17) != 0 || ln[2] - 17 >= AL_TC_MAX)
		return al_fail(err, AL_EVERIFY, "not a minisign signature (line 3 must be the trusted comment)");
	memcpy(sig->trusted, st[2] + 17, ln[2] - 17);
	sig->trusted[ln[2] - 17] = '\0';
	if (memchr(st[2] + 17, '\0', ln[2] - 17) || !trusted_ok(sig->trusted))
		return al_fail(err, AL_EVERIFY, "the trusted comment is not printable UTF-8");
	if (b64_decode(st[3], ln[3], sig->global, AL_SIG) != 0)
		return al_fail(err, AL_EVERIFY, "not a minisign signature (line 4 is not a 64-byte base64 signature)");
	return AL_OK;
}

enum al_code al_sig_verify(const struct al_pubkey *pk, const struct al_sig *sig,
			   const unsigned char hash[64], const void *msg, size_t msglen, int allow_legacy,
			   struct al_err *err)
{
	size_t tl = strlen(sig->trusted);
	unsigned char *gm;
	int ok;
	if (memcmp(pk->keynum, sig->keynum, AL_KEYNUM) != 0)
		return al_fail(err, AL_EVERIFY, "signed by key %s, not by key %s", sig->id, pk->id);
	if (sig->legacy) {
		if (!allow_legacy || !msg)
			return al_fail(err, AL_EVERIFY, "a legacy (non-prehashed) signature; refused unless legacy signatures are allowed");
		ok = crypto_sign_verify_detached(sig->sig, msg, msglen, pk->pk) == 0;
	} else {
		ok = crypto_sign_verify_detached(sig->sig, hash, 64, pk->pk) == 0;
	}
	if (!ok)
		return al_fail(err, AL_EVERIFY, "the signature by key %s does not match the signed file", pk->id);
	gm = malloc(AL_SIG + tl);
	if (!gm)
		return al_fail(err, AL_ENOMEM, "out of memory");
	memcpy(gm, sig->sig, AL_SIG);
	memcpy(gm + AL_SIG, sig->trusted, tl);
	ok = crypto_sign_verify_detached(sig->global, gm, AL_SIG + tl, pk->pk) == 0;
	free(gm);
	if (!ok)
		return al_fail(err, AL_EVERIFY, "the trusted comment of the signature by key %s was altered", pk->id);
	return AL_OK;
}
