/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_minisign.c: minisign-compatible keys and signatures (src/lib/trust/minisign.h).
 * The known-answer vectors of jedisct1/rust-minisign(-verify) (reference notes
 * §1.3, public key RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3,
 * message "test") must verify and every edit of them must not; the parser
 * refuses what minisign refuses; keys made here round-trip, an encrypted key
 * (at scrypt's lowest cost; the full cost is paid only in t0801 and t0802)
 * needs its passphrase; and, when the minisign binary is installed, keys and
 * signatures cross between it and the library in both directions.
 *
 * Expected values (ids, key bytes, file headers) are written out here or
 * decoded with libsodium directly, never computed with the library under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <sys/wait.h>

#include "buf.h"
#include "fsx.h"
#include "minisign.h"
#include "unit.h"

/* ---- the known-answer vectors ---- */

#define KAT_PK "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"
#define KAT_ID "E7620F1842B4E81F"
#define KAT_ED "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo="
#define KAT_ED_TC1 "timestamp:1556193335\tfile:test"
#define KAT_ED_G1 "y/rUw2y8/hOUYjZU71eHp/Wo1KZ40fGy2VJEDl34XMJM+TX48Ss/17u3IvIfbVR1FkZZSNCisQbuQY+bHwhEBg=="
#define KAT_ED_TC2 "timestamp:1633700835\tfile:test\tprehashed"
#define KAT_ED_G2 "wLMDjy9FLAuxZ3q4NlEvkgtyhrr0gtTu6KC4KBJdITbbOeAi1zBIYo0v4iTgt8jJpIidRJnp94ABQkJAgAooBQ=="
#define KAT_LEG "RWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA="
#define KAT_LEG_TC "timestamp:1555779966\tfile:test"
#define KAT_LEG_G "QtKMXWyYcwdpZAlPF7tE2ENJkRd1ujvKjlj1m9RtHTBnZPa5WKU5uWRs5GoP5M/VqE81QFuMKI5k/SfNQUaOAA=="

static const unsigned char kat_keynum[AL_KEYNUM] = { 0x1f, 0xe8, 0xb4, 0x42, 0x18, 0x0f, 0x62, 0xe7 };

/* The 4-line .minisig text (caller frees). */
static char *sig_text(const char *line2, const char *trusted, const char *global)
{
	char *p = NULL;
	if (asprintf(&p, "untrusted comment: signature from minisign secret key\n%s\ntrusted comment: %s\n%s\n",
		     line2, trusted, global) < 0)
		fail_msg("out of memory");
	return p;
}

static void kat_pubkey(struct al_pubkey *pk)
{
	struct al_err err = { 0 };
	if (al_pubkey_parse(KAT_PK, strlen(KAT_PK), pk, &err) != AL_OK)
		fail_msg("the known-answer public key was refused: %s", err.msg);
}

/* Runs a shell command; its exit status, or -1 when it did not exit normally. */
static int run(const char *cmd)
{
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int have_minisign(void)
{
	return run("command -v minisign >/dev/null 2>&1") == 0;
}

static int setup_dir(void **state)
{
	*state = unit_tmpdir();
	return 0;
}

static int teardown_dir(void **state)
{
	char *dir = *state;
	int rc = al_rmtree(dir, NULL) == AL_OK ? 0 : -1;
	free(dir);
	return rc;
}

/* Decodes base64 (original variant) of exactly want bytes with libsodium, or fails the test. */
static void b64_exact(const char *s, size_t n, unsigned char *out, size_t want)
{
	size_t got = 0;
	if (sodium_base642bin(out, want, s, n, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != want)
		fail_msg("'%.*s' is not base64 of %zu bytes", (int)n, s, want);
}

/* The second line of a two-line key text, decoded (want bytes). */
static void key_blob(const char *text, unsigned char *out, size_t want)
{
	const char *l2 = strchr(text, '\n'), *e;
	assert_non_null(l2);
	l2++;
	e = strchr(l2, '\n');
	assert_non_null(e);
	assert_string_equal(e, "\n"); /* exactly two lines */
	b64_exact(l2, (size_t)(e - l2), out, want);
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- init and public keys ---- */

static void test_init(void **state)
{
	struct al_err err = { 0 };
	(void)state;
	assert_int_equal(al_crypto_init(&err), AL_OK);
	assert_int_equal(al_crypto_init(&err), AL_OK); /* again is fine */
}

static void test_kat_pubkey(void **state)
{
	static const char *const forms[] = {
		KAT_PK,
		KAT_PK "\n",
		KAT_PK "\r\n",
		"untrusted comment: minisign public key " KAT_ID "\n" KAT_PK "\n",
		"untrusted comment: minisign public key " KAT_ID "\r\n" KAT_PK "\r\n",
		"untrusted comment: minisign public key " KAT_ID "\n" KAT_PK, /* no final newline */
		"untrusted comment: anything at all\n" KAT_PK "\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct al_pubkey pk;
		struct al_err err = { 0 };
		char b[64];
		memset(&pk, 0xaa, sizeof(pk));
		if (al_pubkey_parse(forms[i], strlen(forms[i]), &pk, &err) != AL_OK)
			fail_msg("form %zu refused: %s", i, err.msg);
		assert_string_equal(pk.id, KAT_ID);
		assert_memory_equal(pk.keynum, kat_keynum, AL_KEYNUM);
		al_pubkey_b64(&pk, b);
		assert_string_equal(b, KAT_PK);
	}
}

static void test_pubkey_format_roundtrip(void **state)
{
	struct al_pubkey pk, back;
	struct al_err err = { 0 };
	struct al_buf b;
	(void)state;
	kat_pubkey(&pk);
	al_buf_init(&b, 4096);
	assert_int_equal(al_pubkey_format(&pk, &b, &err), AL_OK);
	assert_string_equal(b.data, "untrusted comment: minisign public key " KAT_ID "\n" KAT_PK "\n");
	assert_int_equal(al_pubkey_parse(b.data, b.len, &back, &err), AL_OK);
	assert_memory_equal(&back, &pk, sizeof(pk));
	/* format appends */
	assert_int_equal(al_pubkey_format(&pk, &b, &err), AL_OK);
	assert_int_equal(b.len, 2 * (39 + 16 + 1 + 56 + 1));
	al_buf_release(&b);
}

static const struct {
	const char *text, *why;
} pubkey_bad[] = {
	{ "", "not a minisign public key" },
	{ "\n", "not a minisign public key" },
	{ "untrusted comment: minisign public key\n", "not a minisign public key" },
	{ "untrusted comment: x\n\n", "not a minisign public key" },
	{ "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO", "not a minisign public key" },  /* cut */
	{ "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3A", "not a minisign public key" }, /* extra */
	{ "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3==", "not a minisign public key" },
	{ "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GF!3", "not a minisign public key" },
	{ "RWQf6LRCGA9i53mlYecO4IzT51TGPpv WucNSCh1CBM0QTaLn73Y7GFO3", "not a minisign public key" },
	{ "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\r\r\n", "not a minisign public key" },
	{ "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO\r3", "not a minisign public key" },
	/* a signature line (74 bytes) is not a key */
	{ KAT_ED, "not a minisign public key" },
	/* "Ec" instead of "Ed": RWM... */
	{ "RWMf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3", "unsupported public key algorithm" },
};

static void test_pubkey_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pubkey_bad) / sizeof(pubkey_bad[0]); i++) {
		struct al_pubkey pk;
		struct al_err err = { 0 };
		const char *t = pubkey_bad[i].text;
		enum al_code rc = al_pubkey_parse(t, strlen(t), &pk, &err);
		if (rc != AL_EINVAL)
			fail_msg("row %zu ('%s') gave %d, want AL_EINVAL", i, t, rc);
		assert_contains(err.msg, pubkey_bad[i].why);
	}
}

static void test_pubkey_load(void **state)
{
	const char *dir = *state;
	char *p = unit_path(dir, "k.pub"), *missing = unit_path(dir, "none.pub");
	struct al_pubkey pk;
	struct al_err err = { 0 };
	unit_write_str(p, "untrusted comment: minisign public key " KAT_ID "\n" KAT_PK "\n");
	assert_int_equal(al_pubkey_load(p, &pk, &err), AL_OK);
	assert_string_equal(pk.id, KAT_ID);
	assert_int_not_equal(al_pubkey_load(missing, &pk, &err), AL_OK);
	assert_contains(err.msg, "none.pub");
	al_err_clear(&err);
	unit_write_str(p, "untrusted comment: nothing\ngarbage\n");
	assert_int_equal(al_pubkey_load(p, &pk, &err), AL_EINVAL);
	assert_contains(err.msg, "k.pub");
	assert_contains(err.msg, "not a minisign public key");
	free(p);
	free(missing);
}

/* ---- the known-answer signatures ---- */

static const struct {
	const char *line2, *trusted, *global, *msg;
	int allow_legacy, msg_null;
	enum al_code want;
	const char *why;
} kat_verify[] = {
	{ KAT_ED, KAT_ED_TC1, KAT_ED_G1, "test", 0, 0, AL_OK, NULL },
	{ KAT_ED, KAT_ED_TC2, KAT_ED_G2, "test", 0, 0, AL_OK, NULL },
	{ KAT_ED, KAT_ED_TC1, KAT_ED_G1, "test", 1, 0, AL_OK, NULL }, /* allowing legacy changes nothing */
	{ KAT_ED, KAT_ED_TC1, KAT_ED_G1, "test", 0, 1, AL_OK, NULL },  /* "ED" needs only the hash */
	{ KAT_ED, KAT_ED_TC1, KAT_ED_G1, "Test", 0, 0, AL_EVERIFY, "does not match the signed file" },
	{ KAT_ED, KAT_ED_TC2, KAT_ED_G2, "Test", 0, 0, AL_EVERIFY, "does not match the signed file" },
	{ KAT_ED, KAT_ED_TC1, KAT_ED_G1, "", 0, 0, AL_EVERIFY, "does not match the signed file" },
	/* the trusted comment edited, or another signature's global line */
	{ KAT_ED, "timestamp:1556193336\tfile:test", KAT_ED_G1, "test", 0, 0, AL_EVERIFY, "was altered" },
	{ KAT_ED, "timestamp:1556193335\tfile:test ", KAT_ED_G1, "test", 0, 0, AL_EVERIFY, "was altered" },
	{ KAT_ED, "timestamp:1556193335\tfile:tes", KAT_ED_G1, "test", 0, 0, AL_EVERIFY, "was altered" },
	{ KAT_ED, "", KAT_ED_G1, "test", 0, 0, AL_EVERIFY, "was altered" },
	{ KAT_ED, KAT_ED_TC1, KAT_ED_G2, "test", 0, 0, AL_EVERIFY, "was altered" },
	{ KAT_ED, KAT_ED_TC2, KAT_ED_G1, "test", 0, 0, AL_EVERIFY, "was altered" },
	/* legacy "Ed": only when allowed, and only with the message bytes */
	{ KAT_LEG, KAT_LEG_TC, KAT_LEG_G, "test", 1, 0, AL_OK, NULL },
	{ KAT_LEG, KAT_LEG_TC, KAT_LEG_G, "test", 0, 0, AL_EVERIFY, "legacy" },
	{ KAT_LEG, KAT_LEG_TC, KAT_LEG_G, "test", 1, 1, AL_EVERIFY, "legacy" },
	{ KAT_LEG, KAT_LEG_TC, KAT_LEG_G, "Test", 1, 0, AL_EVERIFY, "does not match the signed file" },
	{ KAT_LEG, "timestamp:1555779967\tfile:test", KAT_LEG_G, "test", 1, 0, AL_EVERIFY, "was altered" },
	{ KAT_LEG, KAT_ED_TC1, KAT_ED_G1, "test", 1, 0, AL_EVERIFY, "was altered" },
};

static void test_kat_verify(void **state)
{
	struct al_pubkey pk;
	(void)state;
	kat_pubkey(&pk);
	for (size_t i = 0; i < sizeof(kat_verify) / sizeof(kat_verify[0]); i++) {
		char *t = sig_text(kat_verify[i].line2, kat_verify[i].trusted, kat_verify[i].global);
		const char *m = kat_verify[i].msg;
		unsigned char h[64];
		struct al_sig sig;
		struct al_err err = { 0 };
		enum al_code rc;
		if (al_sig_parse(t, strlen(t), &sig, &err) != AL_OK)
			fail_msg("row %zu: parse refused: %s", i, err.msg);
		assert_string_equal(sig.id, KAT_ID);
		assert_memory_equal(sig.keynum, kat_keynum, AL_KEYNUM);
		assert_int_equal(sig.legacy, !strcmp(kat_verify[i].line2, KAT_LEG));
		assert_string_equal(sig.trusted, kat_verify[i].trusted);
		al_prehash_mem(m, strlen(m), h);
		rc = al_sig_verify(&pk, &sig, h, kat_verify[i].msg_null ? NULL : m,
				   kat_verify[i].msg_null ? 0 : strlen(m), kat_verify[i].allow_legacy, &err);
		if (rc != kat_verify[i].want)
			fail_msg("row %zu (msg '%s', legacy %d): got %d, want %d: %s", i, m,
				 kat_verify[i].allow_legacy, rc, kat_verify[i].want, err.msg);
		if (kat_verify[i].why)
			assert_contains(err.msg, kat_verify[i].why);
		free(t);
	}
}

/* A key with another keynum (same Ed25519 key) is refused before any signature check, naming both ids. */
static void test_kat_other_keynum(void **state)
{
	unsigned char raw[42];
	char b64[64];
	struct al_pubkey pk;
	struct al_sig sig;
	struct al_err err = { 0 };
	unsigned char h[64];
	char *t = sig_text(KAT_ED, KAT_ED_TC1, KAT_ED_G1);
	(void)state;
	b64_exact(KAT_PK, strlen(KAT_PK), raw, sizeof(raw));
	raw[2] = 0x20; /* keynum 20 e8 b4 42 18 0f 62 e7: id E7620F1842B4E820 */
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(al_pubkey_parse(b64, strlen(b64), &pk, &err), AL_OK);
	assert_string_equal(pk.id, "E7620F1842B4E820");
	assert_int_equal(al_sig_parse(t, strlen(t), &sig, &err), AL_OK);
	al_prehash_mem("test", 4, h);
	assert_int_equal(al_sig_verify(&pk, &sig, h, "test", 4, 1, &err), AL_EVERIFY);
	assert_contains(err.msg, KAT_ID);
	assert_contains(err.msg, "E7620F1842B4E820");
	free(t);
}

/* CRLF line ends are minisign's trim(): the signature still verifies, over the comment without "\r". */
static void test_kat_crlf(void **state)
{
	const char *t = "untrusted comment: signature from minisign secret key\r\n" KAT_ED "\r\n"
			"trusted comment: " KAT_ED_TC1 "\r\n" KAT_ED_G1 "\r\n";
	const char *nofinal = "untrusted comment: x\n" KAT_ED "\ntrusted comment: " KAT_ED_TC1 "\n" KAT_ED_G1;
	struct al_pubkey pk;
	struct al_sig sig;
	struct al_err err = { 0 };
	unsigned char h[64];
	(void)state;
	kat_pubkey(&pk);
	al_prehash_mem("test", 4, h);
	assert_int_equal(al_sig_parse(t, strlen(t), &sig, &err), AL_OK);
	assert_string_equal(sig.trusted, KAT_ED_TC1);
	assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_OK);
	assert_int_equal(al_sig_parse(nofinal, strlen(nofinal), &sig, &err), AL_OK);
	assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_OK);
}

/* A SigStruct like the "ED" vector's with its algorithm bytes replaced (base64 into out). */
static void sig_with_alg(char a, char b, char out[128])
{
	unsigned char raw[74];
	b64_exact(KAT_ED, strlen(KAT_ED), raw, sizeof(raw));
	raw[0] = (unsigned char)a;
	raw[1] = (unsigned char)b;
	sodium_bin2base64(out, 128, raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
}

static const struct {
	const char *l1, *l2, *l3, *l4; /* whole lines, without "\n" */
	const char *why;
} sig_bad[] = {
	{ "untrusted comment: x", KAT_ED, "trusted comment: " KAT_ED_TC1, NULL, "expected 4 lines" },
	{ "untrusted comment x", KAT_ED, "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 1" },
	{ "Untrusted comment: x", KAT_ED, "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 1" },
	{ "", KAT_ED, "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 1" },
	{ "untrusted comment: x", KAT_ED "=", "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 2" },
	{ "untrusted comment: x", "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZw==",
	  "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 2" }, /* 73 bytes */
	{ "untrusted comment: x", "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLz!wo=",
	  "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 2" },
	{ "untrusted comment: x", "", "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 2" },
	{ "untrusted comment: x", KAT_PK, "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 2" }, /* a key */
	{ "untrusted comment: x", "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7Srl\rQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=",
	  "trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 2" }, /* a "\r" inside the base64 */
	{ "untrusted comment: x", KAT_ED, "trusted comment:" KAT_ED_TC1, KAT_ED_G1, "line 3" },
	{ "untrusted comment: x", KAT_ED, "Trusted comment: " KAT_ED_TC1, KAT_ED_G1, "line 3" },
	{ "untrusted comment: x", KAT_ED, KAT_ED_TC1, KAT_ED_G1, "line 3" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: " KAT_ED_TC1, KAT_ED_G1 "=", "line 4" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: " KAT_ED_TC1, "y/rUw2y8/hOUYjZU71eHp/Wo1KZ40fGy2VJEDl34XMJM+TX48Ss/17u3IvIfbVR1FkZZSNCisQbuQY+bHwhE",
	  "line 4" }, /* 63 bytes */
	{ "untrusted comment: x", KAT_ED, "trusted comment: " KAT_ED_TC1, "", "line 4" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: " KAT_ED_TC1, KAT_ED, "line 4" },
	/* control characters (TAB is the only one allowed), DEL, "\r" left inside, bad UTF-8 */
	{ "untrusted comment: x", KAT_ED, "trusted comment: a\x01" "b", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: a\x1b[31mred", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: a\x7f", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: a\rb", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: ab\r\r", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: a\vb", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: caf\xe9", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: \xc0\xaf", KAT_ED_G1, "not printable" },
	{ "untrusted comment: x", KAT_ED, "trusted comment: \xed\xa0\x80", KAT_ED_G1, "not printable" },
};

static char *join4(const char *a, const char *b, const char *c, const char *d)
{
	char *p = NULL;
	if ((d ? asprintf(&p, "%s\n%s\n%s\n%s\n", a, b, c, d) : asprintf(&p, "%s\n%s\n%s\n", a, b, c)) < 0)
		fail_msg("out of memory");
	return p;
}

static void test_sig_parse_bad(void **state)
{
	char alg[128], *t;
	struct al_sig sig;
	struct al_err err = { 0 };
	(void)state;
	for (size_t i = 0; i < sizeof(sig_bad) / sizeof(sig_bad[0]); i++) {
		enum al_code rc;
		t = join4(sig_bad[i].l1, sig_bad[i].l2, sig_bad[i].l3, sig_bad[i].l4);
		al_err_clear(&err);
		rc = al_sig_parse(t, strlen(t), &sig, &err);
		if (rc != AL_EVERIFY)
			fail_msg("row %zu: got %d, want AL_EVERIFY (\"%s\")", i, rc, sig_bad[i].why);
		if (!strstr(err.msg, sig_bad[i].why))
			fail_msg("row %zu: \"%s\" does not say \"%s\"", i, err.msg, sig_bad[i].why);
		free(t);
	}
	/* algorithms other than "ED" and "Ed" */
	{
		static const char algs[][2] = { { 'E', 'E' }, { 'e', 'd' }, { 'E', 'c' }, { 0, 0 }, { 'S', 'c' } };
		for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
			sig_with_alg(algs[i][0], algs[i][1], alg);
			t = join4("untrusted comment: x", alg, "trusted comment: " KAT_ED_TC1, KAT_ED_G1);
			al_err_clear(&err);
			assert_int_equal(al_sig_parse(t, strlen(t), &sig, &err), AL_EVERIFY);
			assert_contains(err.msg, "unsupported signature algorithm");
			free(t);
		}
	}
	/* a NUL inside the trusted comment (text given by length) */
	{
		static const char nul[] = "untrusted comment: x\n" KAT_ED "\ntrusted comment: a\0b\n" KAT_ED_G1 "\n";
		al_err_clear(&err);
		assert_int_equal(al_sig_parse(nul, sizeof(nul) - 1, &sig, &err), AL_EVERIFY);
		assert_contains(err.msg, "not printable");
	}
	/* limits: an untrusted comment line of at most 1024 bytes, a trusted comment under 8192 */
	{
		char *big = malloc(9000);
		assert_non_null(big);
		memset(big, 'a', 8999);
		big[8999] = '\0';
		memcpy(big, "untrusted comment: ", 19);
		big[1025] = '\0';
		t = join4(big, KAT_ED, "trusted comment: " KAT_ED_TC1, KAT_ED_G1);
		al_err_clear(&err);
		assert_int_equal(al_sig_parse(t, strlen(t), &sig, &err), AL_EVERIFY);
		assert_contains(err.msg, "line 1");
		free(t);
		big[1024] = '\0';
		t = join4(big, KAT_ED, "trusted comment: " KAT_ED_TC1, KAT_ED_G1);
		assert_int_equal(al_sig_parse(t, strlen(t), &sig, &err), AL_OK);
		free(t);
		memset(big, 'a', 8999);
		memcpy(big, "trusted comment: ", 17);
		big[17 + AL_TC_MAX] = '\0';
		t = join4("untrusted comment: x", KAT_ED, big, KAT_ED_G1);
		al_err_clear(&err);
		assert_int_equal(al_sig_parse(t, strlen(t), &sig, &err), AL_EVERIFY);
		assert_contains(err.msg, "line 3");
		free(t);
		free(big);
	}
}

/* Things that parse (what is refused is in sig_bad): a comment with UTF-8 and TAB, an empty one. */
static void test_sig_parse_good(void **state)
{
	static const char *const trusted[] = { "", "caf\xc3\xa9\tfile:x", "\t", "a b  c", "\xf0\x9f\x94\x92" };
	struct al_sig sig;
	struct al_err err = { 0 };
	(void)state;
	for (size_t i = 0; i < sizeof(trusted) / sizeof(trusted[0]); i++) {
		char *t = sig_text(KAT_ED, trusted[i], KAT_ED_G1);
		if (al_sig_parse(t, strlen(t), &sig, &err) != AL_OK)
			fail_msg("'%s' refused: %s", trusted[i], err.msg);
		assert_string_equal(sig.trusted, trusted[i]);
		assert_int_equal(sig.legacy, 0);
		free(t);
	}
	/* an empty untrusted comment; a "\r" inside the untrusted comment is not authenticated anyway */
	{
		const char *t = "untrusted comment: \n" KAT_ED "\ntrusted comment: x\n" KAT_ED_G1 "\n";
		assert_int_equal(al_sig_parse(t, strlen(t), &sig, &err), AL_OK);
	}
}

static char *make_key(const char *dir, const char *name, struct al_pubkey *pk);

/*
 * Interoperability edge cases kept apart so that each names one behaviour.
 * minisign reads a .pub file's first line and ignores its content, so an
 * empty comment ("untrusted comment: " and nothing else) is a valid key file,
 * as it is for a signature file.
 */
static void test_pubkey_empty_comment(void **state)
{
	const char *t = "untrusted comment: \n" KAT_PK "\n";
	struct al_pubkey pk;
	struct al_err err = { 0 };
	(void)state;
	if (al_pubkey_parse(t, strlen(t), &pk, &err) != AL_OK)
		fail_msg("a .pub file with an empty untrusted comment was refused: %s", err.msg);
	assert_string_equal(pk.id, KAT_ID);
}

/*
 * C1 controls (U+0080-U+009F, e.g. U+0085 NEL, U+009B CSI) are control
 * characters: minisign 0.12 refuses them in a trusted comment (reference
 * notes section 1.3), so the parser must refuse them and signing must not
 * produce them.
 */
static void test_trusted_c1_controls(void **state)
{
	static const char *const c1[] = { "a\xc2\x85" "b", "\xc2\x9b" "31m", "\xc2\x80" };
	const char *dir = *state;
	struct al_sig sig;
	struct al_err err = { 0 };
	for (size_t i = 0; i < sizeof(c1) / sizeof(c1[0]); i++) {
		char *t = sig_text(KAT_ED, c1[i], KAT_ED_G1);
		al_err_clear(&err);
		if (al_sig_parse(t, strlen(t), &sig, &err) != AL_EVERIFY)
			fail_msg("a trusted comment with C1 control %zu was accepted by al_sig_parse", i);
		assert_contains(err.msg, "not printable");
		free(t);
	}
	/* and what the parser refuses is never signed */
	{
		struct al_pubkey pk, loaded;
		struct al_seckey sk;
		struct al_buf b;
		unsigned char h[64];
		char *kp = make_key(dir, "c1", &pk);
		assert_int_equal(al_seckey_load(kp, NULL, &sk, &loaded, &err), AL_OK);
		al_prehash_mem("x", 1, h);
		al_buf_init(&b, 1 << 16);
		for (size_t i = 0; i < sizeof(c1) / sizeof(c1[0]); i++) {
			al_err_clear(&err);
			if (al_sign_prehashed(&sk, h, c1[i], NULL, &b, &err) != AL_EINVAL)
				fail_msg("a trusted comment with C1 control %zu was signed", i);
		}
		al_seckey_wipe(&sk);
		al_buf_release(&b);
		free(kp);
	}
}

/* ---- keys made here ---- */

/* Writes the two texts of a fresh unencrypted key pair into dir/name.{pub,key}; returns the key path. */
static char *make_key(const char *dir, const char *name, struct al_pubkey *pk)
{
	struct al_buf pub, sec;
	struct al_err err = { 0 };
	char *pp, *sp, *p = NULL;
	al_buf_init(&pub, 4096);
	al_buf_init(&sec, 4096);
	if (al_key_generate(NULL, NULL, &pub, &sec, pk, &err) != AL_OK)
		fail_msg("generate: %s", err.msg);
	if (asprintf(&p, "%s.pub", name) < 0)
		fail_msg("out of memory");
	pp = unit_path(dir, p);
	free(p);
	if (asprintf(&p, "%s.key", name) < 0)
		fail_msg("out of memory");
	sp = unit_path(dir, p);
	free(p);
	unit_write(pp, pub.data, pub.len);
	unit_write(sp, sec.data, sec.len);
	al_buf_release(&pub);
	al_buf_release(&sec);
	free(pp);
	return sp;
}

static void test_generate_unencrypted(void **state)
{
	const char *dir = *state;
	struct al_buf pub, sec;
	struct al_pubkey pk, back, loaded;
	struct al_seckey sk;
	struct al_err err = { 0 };
	unsigned char raw[158], zero[32] = { 0 };
	char id[17], *kp = unit_path(dir, "w.key"), *line = NULL;
	al_buf_init(&pub, 4096);
	al_buf_init(&sec, 4096);
	assert_int_equal(al_key_generate(NULL, "a comment", &pub, &sec, &pk, &err), AL_OK);
	/* the public key text, as minisign writes it */
	snprintf(id, sizeof(id), "%02X%02X%02X%02X%02X%02X%02X%02X", pk.keynum[7], pk.keynum[6], pk.keynum[5],
		 pk.keynum[4], pk.keynum[3], pk.keynum[2], pk.keynum[1], pk.keynum[0]);
	assert_string_equal(pk.id, id);
	if (asprintf(&line, "untrusted comment: minisign public key %s\n", id) < 0)
		fail_msg("out of memory");
	assert_int_equal(strncmp(pub.data, line, strlen(line)), 0);
	assert_int_equal(pub.len, strlen(line) + 57);
	assert_int_equal(al_pubkey_parse(pub.data, pub.len, &back, &err), AL_OK);
	assert_memory_equal(&back, &pk, sizeof(pk));
	/* the secret key text: the comment, then "Ed" "\0\0" "B2" with no salt or limits (minisign -W) */
	assert_int_equal(strncmp(sec.data, "untrusted comment: a comment\n", 29), 0);
	key_blob(sec.data, raw, sizeof(raw));
	assert_memory_equal(raw, "Ed\0\0B2", 6);
	assert_memory_equal(raw + 6, zero, 32);
	assert_int_equal(le64(raw + 38), 0);
	assert_int_equal(le64(raw + 46), 0);
	assert_memory_equal(raw + 54, pk.keynum, AL_KEYNUM);
	assert_memory_equal(raw + 62 + 32, pk.pk, AL_PK); /* sk = seed || pk */
	/* loads, not encrypted, and gives the same public key */
	unit_write(kp, sec.data, sec.len);
	chmod(kp, 0600);
	assert_int_equal(al_seckey_encrypted(kp), 0);
	assert_int_equal(al_seckey_load(kp, NULL, &sk, &loaded, &err), AL_OK);
	assert_memory_equal(&loaded, &pk, sizeof(pk));
	assert_memory_equal(sk.keynum, pk.keynum, AL_KEYNUM);
	/* a passphrase given for an unencrypted key is not needed, and not an error */
	assert_int_equal(al_seckey_load(kp, "ignored", &sk, &loaded, &err), AL_OK);
	al_seckey_wipe(&sk);
	{
		static const unsigned char zsk[sizeof(sk)] = { 0 };
		assert_memory_equal(&sk, zsk, sizeof(sk));
	}
	/* the default comment */
	al_buf_release(&pub);
	al_buf_release(&sec);
	assert_int_equal(al_key_generate(NULL, NULL, &pub, &sec, &pk, &err), AL_OK);
	assert_int_equal(strncmp(sec.data, "untrusted comment: minisign encrypted secret key\n", 49), 0);
	/* two keys differ */
	assert_memory_not_equal(pk.keynum, back.keynum, AL_KEYNUM);
	assert_memory_not_equal(pk.pk, back.pk, AL_PK);
	al_buf_release(&pub);
	al_buf_release(&sec);
	free(line);
	free(kp);
}

static void test_seckey_load_bad(void **state)
{
	const char *dir = *state;
	struct al_pubkey pk;
	struct al_seckey sk;
	struct al_err err = { 0 };
	char *kp = make_key(dir, "good", &pk), *bad = unit_path(dir, "bad.key"), *link = unit_path(dir, "link.key");
	char *missing = unit_path(dir, "missing.key"), b64[256];
	size_t n;
	char *text = unit_read(kp, &n);
	unsigned char raw[158];
	key_blob(text, raw, sizeof(raw));
	/* a symbolic link to a good key is refused (O_NOFOLLOW) */
	assert_int_equal(symlink(kp, link), 0);
	assert_int_not_equal(al_seckey_load(link, NULL, &sk, &pk, &err), AL_OK);
	assert_int_equal(al_seckey_encrypted(link), 0);
	al_err_clear(&err);
	assert_int_not_equal(al_seckey_load(missing, NULL, &sk, &pk, &err), AL_OK);
	assert_contains(err.msg, "missing.key");
	al_err_clear(&err);
	/* not a key */
	unit_write_str(bad, "untrusted comment: x\nnot base64\n");
	assert_int_equal(al_seckey_load(bad, NULL, &sk, &pk, &err), AL_EINVAL);
	assert_contains(err.msg, "not a minisign secret key");
	al_err_clear(&err);
	unit_write_str(bad, "untrusted comment: x\n" KAT_PK "\n");
	assert_int_equal(al_seckey_load(bad, NULL, &sk, &pk, &err), AL_EINVAL);
	al_err_clear(&err);
	unit_write_str(bad, text + (strchr(text, '\n') - text) + 1); /* the base64 line alone */
	assert_int_equal(al_seckey_load(bad, NULL, &sk, &pk, &err), AL_EINVAL);
	al_err_clear(&err);
	/* unsupported algorithms: sig "Ex", kdf "Xx", chk "B3" */
	{
		static const struct {
			size_t off;
			char c;
		} edits[] = { { 1, 'x' }, { 2, 'X' }, { 3, 'c' }, { 5, '3' } };
		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			unsigned char r2[158];
			char *t = NULL;
			memcpy(r2, raw, sizeof(r2));
			r2[edits[i].off] = (unsigned char)edits[i].c;
			sodium_bin2base64(b64, sizeof(b64), r2, sizeof(r2), sodium_base64_VARIANT_ORIGINAL);
			if (asprintf(&t, "untrusted comment: x\n%s\n", b64) < 0)
				fail_msg("out of memory");
			unit_write_str(bad, t);
			al_err_clear(&err);
			assert_int_equal(al_seckey_load(bad, NULL, &sk, &pk, &err), AL_EINVAL);
			assert_contains(err.msg, "unsupported");
			assert_int_equal(al_seckey_encrypted(bad), 0);
			free(t);
		}
	}
	free(text);
	free(kp);
	free(bad);
	free(link);
	free(missing);
}

/* Generate, load, sign, parse, verify; signing is deterministic; the comment is checked. */
static void test_sign_roundtrip(void **state)
{
	const char *dir = *state;
	struct al_pubkey pk, pk2, loaded;
	struct al_seckey sk, sk2;
	struct al_err err = { 0 };
	struct al_buf a, b;
	struct al_sig sig;
	unsigned char h[64], h2[64];
	char *kp = make_key(dir, "one", &pk), *kp2 = make_key(dir, "two", &pk2);
	const char *tc = "airlock bundle=x version=1 role=builder expires=2030-01-01T00:00:00Z";
	assert_int_equal(al_seckey_load(kp, NULL, &sk, &loaded, &err), AL_OK);
	assert_int_equal(al_seckey_load(kp2, NULL, &sk2, &loaded, &err), AL_OK);
	al_prehash_mem("SHA256SUMS content\n", 19, h);
	al_prehash_mem("SHA256SUMS content!", 19, h2);
	al_buf_init(&a, 1 << 16);
	al_buf_init(&b, 1 << 16);
	assert_int_equal(al_sign_prehashed(&sk, h, tc, NULL, &a, &err), AL_OK);
	assert_int_equal(al_sign_prehashed(&sk, h, tc, NULL, &b, &err), AL_OK);
	assert_string_equal(a.data, b.data); /* deterministic */
	assert_int_equal(strncmp(a.data, "untrusted comment: signature from airlock secret key\nRU", 55), 0); /* "ED" */
	assert_int_equal(al_sig_parse(a.data, a.len, &sig, &err), AL_OK);
	assert_int_equal(sig.legacy, 0);
	assert_string_equal(sig.trusted, tc);
	assert_string_equal(sig.id, pk.id);
	assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_OK);
	/* another message, another key */
	assert_int_equal(al_sig_verify(&pk, &sig, h2, NULL, 0, 0, &err), AL_EVERIFY);
	assert_contains(err.msg, "does not match");
	al_err_clear(&err);
	assert_int_equal(al_sig_verify(&pk2, &sig, h, NULL, 0, 0, &err), AL_EVERIFY);
	assert_contains(err.msg, pk.id);
	assert_contains(err.msg, pk2.id);
	al_err_clear(&err);
	/* another comment gives another text; another untrusted comment changes only line 1 */
	al_buf_reset(&b);
	assert_int_equal(al_sign_prehashed(&sk, h, "x", "my comment", &b, &err), AL_OK);
	assert_int_equal(strncmp(b.data, "untrusted comment: my comment\n", 30), 0);
	assert_string_not_equal(strchr(a.data, '\n'), strchr(b.data, '\n'));
	al_buf_reset(&b);
	assert_int_equal(al_sign_prehashed(&sk, h, tc, "my comment", &b, &err), AL_OK);
	assert_string_equal(strchr(a.data, '\n'), strchr(b.data, '\n'));
	/* the text has the exact shape: 4 lines of the right lengths */
	{
		const char *l2 = strchr(a.data, '\n') + 1, *l3 = strchr(l2, '\n') + 1, *l4 = strchr(l3, '\n') + 1;
		assert_int_equal(l3 - l2, 101);
		assert_int_equal(strncmp(l3, "trusted comment: ", 17), 0);
		assert_int_equal(l4 - l3, 17 + (long)strlen(tc) + 1);
		assert_int_equal(strlen(l4), 89);
	}
	/* trusted comments that are refused: newline, control, bad UTF-8; nothing is written */
	{
		static const char *const bad[] = { "a\nb", "a\rb", "\x01", "a\x7f", "caf\xe9", "\xed\xa0\x80" };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			al_buf_reset(&b);
			al_err_clear(&err);
			if (al_sign_prehashed(&sk, h, bad[i], NULL, &b, &err) != AL_EINVAL)
				fail_msg("trusted comment %zu was signed", i);
			assert_int_equal(b.len, 0);
		}
	}
	/* the longest comment minisign takes: AL_TC_LIMIT bytes; one more is refused */
	{
		char *big = malloc(AL_TC_MAX + 1);
		assert_non_null(big);
		memset(big, 'x', AL_TC_MAX);
		big[AL_TC_LIMIT + 1] = '\0';
		al_buf_reset(&b);
		al_err_clear(&err);
		assert_int_equal(al_sign_prehashed(&sk, h, big, NULL, &b, &err), AL_EINVAL);
		assert_int_equal(b.len, 0);
		big[AL_TC_LIMIT] = '\0';
		al_buf_reset(&b);
		assert_int_equal(al_sign_prehashed(&sk, h, big, NULL, &b, &err), AL_OK);
		assert_int_equal(al_sig_parse(b.data, b.len, &sig, &err), AL_OK);
		assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_OK);
		free(big);
	}
	al_seckey_wipe(&sk);
	al_seckey_wipe(&sk2);
	al_buf_release(&a);
	al_buf_release(&b);
	free(kp);
	free(kp2);
}

static void test_prehash(void **state)
{
	const char *dir = *state;
	char *p = unit_path(dir, "big"), *missing = unit_path(dir, "none");
	size_t n = 3 * 65536 + 17;
	unsigned char *data = malloc(n), a[64], b[64], c[64];
	struct al_err err = { 0 };
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 9));
	unit_write(p, data, n);
	al_prehash_mem(data, n, a);
	assert_int_equal(al_prehash_file(p, b, &err), AL_OK);
	assert_memory_equal(a, b, 64);
	crypto_generichash(c, 64, data, n, NULL, 0); /* unkeyed BLAKE2b-512 */
	assert_memory_equal(a, c, 64);
	unit_write(p, "", 0);
	assert_int_equal(al_prehash_file(p, b, &err), AL_OK);
	al_prehash_mem("", 0, a);
	assert_memory_equal(a, b, 64);
	assert_int_equal(al_prehash_file(missing, b, &err), AL_EIO);
	assert_contains(err.msg, "none");
	free(data);
	free(p);
	free(missing);
}

/*
 * An encrypted secret key file, written here from minisign's layout with
 * libsodium alone ("Ed" "Sc" "B2", salt, scrypt limits, then keynum|sk|chk
 * XORed with scrypt(passphrase, salt, ops, mem), chk = BLAKE2b-256("Ed" ||
 * keynum || sk)) at scrypt's lowest cost: a reader takes the limits from the
 * file, so the library and minisign decrypt it in milliseconds instead of the
 * seconds and 1 GiB of minisign's own setting. Keys at that setting, made by
 * `airlock key generate` and by `minisign -G`, cross between the two tools in
 * t0801 and t0802; that is the only place the full cost is paid.
 */
static void low_cost_key(const char *keypath, const char *pubpath, const char *pass,
			 struct al_pubkey *pk)
{
	unsigned char raw[158], stream[104], pkb[42];
	const uint64_t ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN;
	const uint64_t mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN;
	crypto_generichash_state st;
	char b64[256], *text = NULL;
	memcpy(raw, "EdScB2", 6);
	randombytes_buf(raw + 6, 32);
	for (int i = 0; i < 8; i++) {
		raw[38 + i] = (unsigned char)(ops >> (8 * i));
		raw[46 + i] = (unsigned char)(mem >> (8 * i));
	}
	randombytes_buf(raw + 54, AL_KEYNUM);
	crypto_sign_keypair(pk->pk, raw + 62);
	memcpy(pk->keynum, raw + 54, AL_KEYNUM);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const unsigned char *)"Ed", 2);
	crypto_generichash_update(&st, raw + 54, AL_KEYNUM + AL_SK);
	crypto_generichash_final(&st, raw + 126, 32);
	if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), pass, strlen(pass), raw + 6, ops,
					       (size_t)mem) != 0)
		fail_msg("scrypt at its lowest cost failed");
	for (size_t i = 0; i < sizeof(stream); i++)
		raw[54 + i] ^= stream[i];
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&text, "untrusted comment: minisign encrypted secret key\n%s\n", b64) < 0)
		fail_msg("out of memory");
	unit_write_str(keypath, text);
	free(text);
	memcpy(pkb, "Ed", 2);
	memcpy(pkb + 2, pk->keynum, AL_KEYNUM);
	memcpy(pkb + 10, pk->pk, AL_PK);
	sodium_bin2base64(b64, sizeof(b64), pkb, sizeof(pkb), sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&text, "untrusted comment: minisign public key\n%s\n", b64) < 0)
		fail_msg("out of memory");
	unit_write_str(pubpath, text);
	free(text);
}

/*
 * A passphrase-protected key (low_cost_key above): it needs its passphrase, a
 * wrong one is refused, the right one gives the key back and it signs; and
 * minisign, when installed, decrypts the same file with the same passphrase.
 */
static void test_encrypted_key(void **state)
{
	const char *dir = *state;
	const char *pass = "correct horse battery staple";
	struct al_buf sigt;
	struct al_pubkey pk, loaded;
	struct al_seckey sk;
	struct al_err err = { 0 };
	struct al_sig sig;
	unsigned char h[64];
	char *kp = unit_path(dir, "enc.key"), *pp = unit_path(dir, "enc.pub");
	al_buf_init(&sigt, 1 << 16);
	low_cost_key(kp, pp, pass, &pk);
	assert_int_equal(al_seckey_encrypted(kp), 1);
	/* no passphrase: refused before any work */
	assert_int_equal(al_seckey_load(kp, NULL, &sk, &loaded, &err), AL_EINVAL);
	assert_contains(err.msg, "passphrase");
	al_err_clear(&err);
	/* the wrong one */
	assert_int_equal(al_seckey_load(kp, "correct horse battery stapler", &sk, &loaded, &err), AL_EVERIFY);
	assert_contains(err.msg, "wrong passphrase");
	al_err_clear(&err);
	/* the right one */
	if (al_seckey_load(kp, pass, &sk, &loaded, &err) != AL_OK)
		fail_msg("load with the right passphrase: %s", err.msg);
	assert_memory_equal(loaded.keynum, pk.keynum, AL_KEYNUM);
	assert_memory_equal(loaded.pk, pk.pk, AL_PK);
	al_prehash_mem("msg", 3, h);
	assert_int_equal(al_sign_prehashed(&sk, h, "t", NULL, &sigt, &err), AL_OK);
	assert_int_equal(al_sig_parse(sigt.data, sigt.len, &sig, &err), AL_OK);
	assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_OK);
	al_seckey_wipe(&sk);
	/* minisign decrypts the same file with the same passphrase (read from stdin) and signs */
	if (have_minisign()) {
		char *cmd = NULL, *m = unit_path(dir, "m.txt"), *ms = unit_path(dir, "m.txt.minisig");
		char *pw = unit_path(dir, "pw"), *log = unit_path(dir, "log"), *t;
		size_t n;
		unit_write_str(m, "signed by minisign with a key encrypted by this test\n");
		unit_write_str(pw, "correct horse battery staple\n");
		if (asprintf(&cmd, "cd '%s' && minisign -S -s enc.key -m m.txt < pw > log 2>&1", dir) < 0)
			fail_msg("out of memory");
		if (run(cmd) != 0)
			fail_msg("minisign could not use the encrypted key:\n%s", unit_read(log, NULL));
		t = unit_read(ms, &n);
		assert_int_equal(al_sig_parse(t, n, &sig, &err), AL_OK);
		assert_int_equal(al_prehash_file(m, h, &err), AL_OK);
		assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_OK);
		free(t);
		free(cmd);
		free(m);
		free(ms);
		free(pw);
		free(log);
	}
	al_buf_release(&sigt);
	free(kp);
	free(pp);
}

/* The whole of dir/name (caller frees). */
static char *read_in(const char *dir, const char *name, size_t *n)
{
	char *p = unit_path(dir, name), *data = unit_read(p, n);
	free(p);
	return data;
}

static void write_in(const char *dir, const char *name, const void *data, size_t n)
{
	char *p = unit_path(dir, name);
	unit_write(p, data, n);
	free(p);
}

/* Keys and signatures cross between the minisign binary and the library, both ways. */
static void test_minisign_interop(void **state)
{
	const char *dir = *state;
	struct al_pubkey pk, loaded, ours;
	struct al_seckey sk;
	struct al_err err = { 0 };
	struct al_buf sigt;
	struct al_sig sig;
	unsigned char h[64];
	char *cmd = NULL, *log = unit_path(dir, "log"), *m = unit_path(dir, "m.txt");
	char *xpub = unit_path(dir, "X.pub"), *xkey = unit_path(dir, "X.key"), *ourkey, *t;
	size_t n;
	if (!have_minisign())
		skip();
	/* 1. minisign -G -W: its key loads, its signature verifies here */
	if (asprintf(&cmd, "cd '%s' && minisign -G -W -p X.pub -s X.key > log 2>&1 < /dev/null", dir) < 0)
		fail_msg("out of memory");
	if (run(cmd) != 0)
		fail_msg("minisign -G failed:\n%s", unit_read(log, NULL));
	free(cmd);
	assert_int_equal(al_pubkey_load(xpub, &pk, &err), AL_OK);
	assert_int_equal(al_seckey_encrypted(xkey), 0);
	if (al_seckey_load(xkey, NULL, &sk, &loaded, &err) != AL_OK)
		fail_msg("minisign's key was refused: %s", err.msg);
	assert_memory_equal(&loaded, &pk, sizeof(pk));
	unit_write_str(m, "a message for minisign\n");
	assert_int_equal(al_prehash_file(m, h, &err), AL_OK);
	if (asprintf(&cmd, "cd '%s' && minisign -S -s X.key -m m.txt -x by-minisign.minisig -t 'made by minisign' > log 2>&1 < /dev/null",
		     dir) < 0)
		fail_msg("out of memory");
	if (run(cmd) != 0)
		fail_msg("minisign -S failed:\n%s", unit_read(log, NULL));
	free(cmd);
	t = read_in(dir, "by-minisign.minisig", &n);
	assert_int_equal(al_sig_parse(t, n, &sig, &err), AL_OK);
	assert_string_equal(sig.trusted, "made by minisign");
	assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_OK);
	free(t);
	/* 2. signed here with minisign's key: minisign -V accepts, and refuses a changed message */
	al_buf_init(&sigt, 1 << 16);
	assert_int_equal(al_sign_prehashed(&sk, h, "airlock\tfile:m.txt", NULL, &sigt, &err), AL_OK);
	write_in(dir, "by-airlock.minisig", sigt.data, sigt.len);
	if (asprintf(&cmd, "cd '%s' && minisign -V -p X.pub -m m.txt -x by-airlock.minisig > log 2>&1", dir) < 0)
		fail_msg("out of memory");
	if (run(cmd) != 0)
		fail_msg("minisign -V refused airlock's signature:\n%s", unit_read(log, NULL));
	t = unit_read(log, NULL);
	assert_contains(t, "airlock\tfile:m.txt");
	free(t);
	unit_write_str(m, "a message for minisign!\n");
	assert_int_equal(run(cmd), 1);
	free(cmd);
	unit_write_str(m, "a message for minisign\n");
	al_seckey_wipe(&sk);
	/* 3. a key made here (unencrypted) signs with minisign; both verify */
	ourkey = make_key(dir, "ours", &ours);
	if (asprintf(&cmd, "cd '%s' && minisign -S -s ours.key -m m.txt -x ours.minisig > log 2>&1 < /dev/null &&"
		     " minisign -V -p ours.pub -m m.txt -x ours.minisig >> log 2>&1", dir) < 0)
		fail_msg("out of memory");
	if (run(cmd) != 0)
		fail_msg("minisign could not use airlock's key:\n%s", unit_read(log, NULL));
	free(cmd);
	t = read_in(dir, "ours.minisig", &n);
	assert_int_equal(al_sig_parse(t, n, &sig, &err), AL_OK);
	assert_int_equal(al_sig_verify(&ours, &sig, h, NULL, 0, 0, &err), AL_OK);
	assert_int_equal(al_sig_verify(&pk, &sig, h, NULL, 0, 0, &err), AL_EVERIFY);
	free(t);
	/* 4. minisign -l (legacy "Ed") is refused unless allowed, then verifies over the bytes */
	if (asprintf(&cmd, "cd '%s' && minisign -S -l -s X.key -m m.txt -x legacy.minisig > log 2>&1 < /dev/null",
		     dir) < 0)
		fail_msg("out of memory");
	if (run(cmd) == 0) {
		size_t mn;
		char *msg = unit_read(m, &mn);
		t = read_in(dir, "legacy.minisig", &n);
		assert_int_equal(al_sig_parse(t, n, &sig, &err), AL_OK);
		assert_int_equal(sig.legacy, 1);
		assert_int_equal(al_sig_verify(&pk, &sig, h, msg, mn, 0, &err), AL_EVERIFY);
		assert_int_equal(al_sig_verify(&pk, &sig, h, msg, mn, 1, &err), AL_OK);
		free(t);
		free(msg);
	}
	free(cmd);
	al_buf_release(&sigt);
	free(ourkey);
	free(log);
	free(m);
	free(xpub);
	free(xkey);
}

/*
 * The longest trusted comment al_sign_prehashed accepts must verify with
 * minisign, which reads line 3 into an 8192-byte buffer with its prefix and
 * newline, so takes at most 8192 - 17 - 2 = 8173 bytes of comment.
 */
static void test_minisign_long_comment(void **state)
{
	const char *dir = *state;
	struct al_pubkey pk, loaded;
	struct al_seckey sk;
	struct al_err err = { 0 };
	struct al_buf sigt;
	unsigned char h[64];
	char *kp, *m = unit_path(dir, "m.txt"), *sp = unit_path(dir, "long.minisig"), *log = unit_path(dir, "log");
	char *cmd = NULL, *big = malloc(AL_TC_MAX);
	if (!have_minisign())
		skip();
	assert_non_null(big);
	kp = make_key(dir, "k", &pk);
	assert_int_equal(al_seckey_load(kp, NULL, &sk, &loaded, &err), AL_OK);
	unit_write_str(m, "m\n");
	assert_int_equal(al_prehash_file(m, h, &err), AL_OK);
	al_buf_init(&sigt, 1 << 16);
	if (asprintf(&cmd, "cd '%s' && minisign -V -p k.pub -m m.txt -x long.minisig > log 2>&1", dir) < 0)
		fail_msg("out of memory");
	/* 8173 bytes: minisign's maximum, must be signed and verify */
	memset(big, 'x', 8173);
	big[8173] = '\0';
	assert_int_equal(al_sign_prehashed(&sk, h, big, NULL, &sigt, &err), AL_OK);
	unit_write(sp, sigt.data, sigt.len);
	if (run(cmd) != 0)
		fail_msg("minisign refused an 8173-byte trusted comment:\n%s", unit_read(log, NULL));
	/* anything longer that airlock signs must still verify with minisign */
	for (size_t n = 8174; n < AL_TC_MAX; n += 17) {
		memset(big, 'x', n);
		big[n] = '\0';
		al_buf_reset(&sigt);
		al_err_clear(&err);
		if (al_sign_prehashed(&sk, h, big, NULL, &sigt, &err) != AL_OK)
			continue;
		unit_write(sp, sigt.data, sigt.len);
		if (run(cmd) != 0)
			fail_msg("airlock signed a %zu-byte trusted comment that minisign cannot verify:\n%s", n,
				 unit_read(log, NULL));
	}
	al_seckey_wipe(&sk);
	al_buf_release(&sigt);
	free(cmd);
	free(big);
	free(kp);
	free(m);
	free(sp);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_kat_pubkey),
		cmocka_unit_test(test_pubkey_format_roundtrip),
		cmocka_unit_test(test_pubkey_parse_bad),
		cmocka_unit_test_setup_teardown(test_pubkey_load, setup_dir, teardown_dir),
		cmocka_unit_test(test_kat_verify),
		cmocka_unit_test(test_kat_other_keynum),
		cmocka_unit_test(test_kat_crlf),
		cmocka_unit_test(test_sig_parse_bad),
		cmocka_unit_test(test_sig_parse_good),
		cmocka_unit_test(test_pubkey_empty_comment),
		cmocka_unit_test_setup_teardown(test_trusted_c1_controls, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_generate_unencrypted, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_seckey_load_bad, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_sign_roundtrip, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_prehash, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_encrypted_key, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_minisign_interop, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_minisign_long_comment, setup_dir, teardown_dir),
	};
	if (al_crypto_init(NULL) != AL_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
