/* SPDX-License-Identifier: Apache-2.0 */
/*
 * minisign.h: keys and signatures byte-compatible with minisign (Ed25519;
 * "ED" signatures over the BLAKE2b-512 of the message; secret keys
 * scrypt-encrypted with a BLAKE2b-256 checksum), so keys made by
 * `minisign -G` sign here and signatures made here verify with
 * `minisign -V`. Formats: docs/FORMAT.md "Keys and signatures".
 *
 * Secret key material lives only in struct al_seckey, which the caller wipes
 * with al_seckey_wipe(); nothing here prints or writes a secret anywhere but
 * the key file (0600, O_EXCL|O_NOFOLLOW).
 */
#ifndef AL_MINISIGN_H
#define AL_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* AL_TC_LIMIT: the longest trusted comment minisign accepts (its 8192-byte line less the prefix and newline). */
enum { AL_KEYNUM = 8, AL_PK = 32, AL_SK = 64, AL_SIG = 64, AL_KEYID = 17, AL_TC_MAX = 8192, AL_TC_LIMIT = 8173 };

struct al_pubkey {
	unsigned char keynum[AL_KEYNUM];
	unsigned char pk[AL_PK];
	char id[AL_KEYID];           /* 16 upper-case hex digits, as minisign prints it */
};

struct al_seckey {
	unsigned char keynum[AL_KEYNUM];
	unsigned char sk[AL_SK];     /* libsodium layout: seed || public key */
};

struct al_sig {
	int legacy;                  /* "Ed": over the raw message, accepted only when asked */
	unsigned char keynum[AL_KEYNUM];
	unsigned char sig[AL_SIG];
	char trusted[AL_TC_MAX];     /* the trusted comment, without its prefix */
	unsigned char global[AL_SIG];
	char id[AL_KEYID];
};

/* Initializes libsodium; call once before anything below (safe to call again). */
enum al_code al_crypto_init(struct al_err *err);

/* A public key from a .pub file's text, or from its base64 line alone. The al_pubkey,
 * al_seckey and al_sig structs hold no pointers: nothing to release. */
enum al_code al_pubkey_parse(const char *text, size_t n, struct al_pubkey *pk, struct al_err *err);
enum al_code al_pubkey_load(const char *path, struct al_pubkey *pk, struct al_err *err);
/* "untrusted comment: minisign public key ID\n<base64>\n" into out (appends). */
enum al_code al_pubkey_format(const struct al_pubkey *pk, struct al_buf *out, struct al_err *err);
/* The base64 line alone (56 characters and a NUL). */
void al_pubkey_b64(const struct al_pubkey *pk, char out[64]);

/*
 * Makes a key pair. With a passphrase (not NULL, not empty) the secret key is
 * encrypted exactly as minisign does (scrypt with its default limits, about
 * 1 GiB of memory for a moment); without, it is stored unencrypted (minisign -W).
 * The two texts are appended to the caller's buffers; on error they may hold part
 * of them (see buf.h) and must not be written anywhere.
 */
enum al_code al_key_generate(const char *passphrase, const char *comment, struct al_buf *pub_text,
			     struct al_buf *sec_text, struct al_pubkey *pk, struct al_err *err);
/* Reads a secret key file; passphrase may be NULL for an unencrypted key. On success the
 * caller wipes *sk with al_seckey_wipe; on error *sk and *pk are untouched and no copy of
 * the secret is left in memory. */
enum al_code al_seckey_load(const char *path, const char *passphrase, struct al_seckey *sk,
			    struct al_pubkey *pk, struct al_err *err);
/* True if the key file is encrypted (needs a passphrase). */
int al_seckey_encrypted(const char *path);
void al_seckey_wipe(struct al_seckey *sk);

/* BLAKE2b-512 of a file, streamed. */
enum al_code al_prehash_file(const char *path, unsigned char out[64], struct al_err *err);
/* BLAKE2b-512 of memory. */
void al_prehash_mem(const void *p, size_t n, unsigned char out[64]);

/*
 * Signs a prehashed message ("ED") with a trusted comment (printable UTF-8,
 * no newline) and writes the 4-line .minisig text into out. The signature is
 * verified with the key's public half before it is returned. Appended to out; on
 * error out may hold part of it (see buf.h).
 */
enum al_code al_sign_prehashed(const struct al_seckey *sk, const unsigned char hash[64],
			       const char *trusted, const char *untrusted, struct al_buf *out,
			       struct al_err *err);
/* Parses .minisig text. */
enum al_code al_sig_parse(const char *text, size_t n, struct al_sig *sig, struct al_err *err);
/*
 * Verifies sig with pk over a message given by its prehash (and, for legacy
 * "Ed" signatures when allow_legacy, by its bytes msg/msglen). AL_EVERIFY with
 * the reason when it does not hold.
 */
enum al_code al_sig_verify(const struct al_pubkey *pk, const struct al_sig *sig,
			   const unsigned char hash[64], const void *msg, size_t msglen, int allow_legacy,
			   struct al_err *err);

#endif
