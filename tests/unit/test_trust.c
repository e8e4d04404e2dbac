/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trust.c: the trust policy (src/lib/trust.h). Parsing: good policies
 * with inline keys and .pub paths, and a table of refusals each naming what
 * is wrong; format -> parse gives the same policy; role names; the trusted
 * comment. Checking: a small bundle made with al_bundle_create, signed by
 * hand (signatures/<role>.<ID>.minisig over SHA256SUMS), then checked under
 * one policy with one thing wrong at a time: a threshold not met, an unknown
 * key, a comment for another role or bundle, a file named for another key, a
 * key counted twice, a legacy signature, expiry and max_age.
 *
 * Keys are made with al_key_generate; the expected trusted comments are
 * written out here, not made with al_trusted_comment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>

#include "bundle.h"
#include "fsx.h"
#include "json.h"
#include "minisign.h"
#include "spec.h"
#include "trust.h"
#include "unit.h"

enum { NKEYS = 4, NOW = 1767225600 }; /* 2026-01-01T00:00:00Z */
#define EXPIRES_STR "2026-01-31T00:00:00Z" /* NOW + 30d, the spec's expiry */
#define EXPIRES (NOW + 30 * 86400)

struct fix {
	char *dir;
	struct al_pubkey pk[NKEYS]; /* A B C D */
	struct al_seckey sk[NKEYS];
	char b64[NKEYS][64];
	struct al_spec spec;
	char *bundle;               /* dir/bundle, made by setup_bundle */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct al_err err = { 0 };
	if (!f)
		return -1;
	f->dir = unit_tmpdir();
	for (int i = 0; i < NKEYS; i++) {
		struct al_buf pub, sec;
		struct al_pubkey back;
		char name[16], *p;
		al_buf_init(&pub, 4096);
		al_buf_init(&sec, 4096);
		if (al_key_generate(NULL, NULL, &pub, &sec, &f->pk[i], &err) != AL_OK)
			fail_msg("generate: %s", err.msg);
		snprintf(name, sizeof(name), "%c.key", 'a' + i);
		p = unit_path(f->dir, name);
		unit_write(p, sec.data, sec.len);
		if (al_seckey_load(p, NULL, &f->sk[i], &back, &err) != AL_OK)
			fail_msg("load: %s", err.msg);
		free(p);
		snprintf(name, sizeof(name), "%c.pub", 'a' + i);
		p = unit_path(f->dir, name);
		unit_write(p, pub.data, pub.len);
		free(p);
		al_pubkey_b64(&f->pk[i], f->b64[i]);
		al_buf_release(&pub);
		al_buf_release(&sec);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int rc = al_rmtree(f->dir, NULL) == AL_OK ? 0 : -1;
	for (int i = 0; i < NKEYS; i++)
		al_seckey_wipe(&f->sk[i]);
	if (f->bundle)
		al_spec_release(&f->spec);
	free(f->bundle);
	free(f->dir);
	free(f);
	return rc;
}

/* setup, plus a fresh directory bundle "trusty" version 3 made at NOW, expiring 30 days later. */
static int setup_bundle(void **state)
{
	struct fix *f;
	struct al_create_opts opts = { .tar = 0, .now = NOW, .prog = NULL };
	struct al_bundle_info info;
	struct al_err err = { 0 };
	char *p;
	if (setup(state))
		return -1;
	f = *state;
	p = unit_path(f->dir, "notes.txt");
	unit_write_str(p, "notes for the trust test\n");
	free(p);
	p = unit_path(f->dir, "airlock.yaml");
	unit_write_str(p, "name: trusty\nversion: 3\nexpires: 30d\nartifacts:\n  - kind: file\n    path: notes.txt\n");
	if (al_spec_load(p, NOW, &f->spec, &err) != AL_OK)
		fail_msg("spec: %s", err.msg);
	free(p);
	f->bundle = unit_path(f->dir, "bundle");
	memset(&info, 0, sizeof(info));
	if (al_bundle_create(&f->spec, f->bundle, &opts, &info, &err) != AL_OK)
		fail_msg("create: %s", err.msg);
	al_bundle_info_release(&info);
	p = unit_path(f->bundle, "signatures");
	assert_int_equal(al_mkdirs(p, NULL), AL_OK);
	free(p);
	return 0;
}

/* ---- policies as text ---- */

/*
 * Expands a policy template: @A @B @C @D become the keys' base64 lines, @DIR
 * the scratch directory (where a.pub ... d.pub are). Caller frees.
 */
static char *expand(const struct fix *f, const char *tpl)
{
	struct al_buf b;
	struct al_err err = { 0 };
	al_buf_init(&b, 1 << 20);
	for (const char *p = tpl; *p; p++) {
		if (!strncmp(p, "@DIR", 4)) {
			assert_int_equal(al_buf_adds(&b, f->dir, &err), AL_OK);
			p += 3;
		} else if (p[0] == '@' && p[1] >= 'A' && p[1] <= 'D') {
			assert_int_equal(al_buf_adds(&b, f->b64[p[1] - 'A'], &err), AL_OK);
			p++;
		} else {
			assert_int_equal(al_buf_add(&b, p, 1, &err), AL_OK);
		}
	}
	if (!b.data)
		assert_int_equal(al_buf_add(&b, "", 0, &err), AL_OK);
	return al_buf_take(&b, NULL);
}

static enum al_code parse(const struct fix *f, const char *tpl, const char *base, struct al_trust *t,
			  struct al_err *err)
{
	char *text = expand(f, tpl);
	enum al_code rc = al_trust_parse(text, strlen(text), "trust.yaml", base, t, err);
	free(text);
	return rc;
}

static const struct al_trust_role *role(const struct al_trust *t, const char *name)
{
	for (size_t i = 0; i < t->nroles; i++)
		if (!strcmp(t->roles[i].name, name))
			return &t->roles[i];
	fail_msg("no role '%s'", name);
	return NULL;
}

static void expect_keys(const struct fix *f, const struct al_trust_role *r, const char *which)
{
	assert_int_equal(r->nkeys, strlen(which));
	for (size_t i = 0; i < r->nkeys; i++) {
		const struct al_pubkey *want = &f->pk[which[i] - 'A'];
		assert_memory_equal(r->keys[i].keynum, want->keynum, AL_KEYNUM);
		assert_memory_equal(r->keys[i].pk, want->pk, AL_PK);
		assert_string_equal(r->keys[i].id, want->id);
	}
}

#define POLICY_2ROLES                         \
	"roles:\n"                            \
	"  builder:\n"                        \
	"    keys: [@A, @B]\n"                \
	"    threshold: 2\n"                  \
	"  security:\n"                       \
	"    keys:\n"                         \
	"      - @C\n"                        \
	"require: [builder, security]\n"

static void test_parse_good(void **state)
{
	struct fix *f = *state;
	struct al_trust t;
	struct al_err err = { 0 };
	char *keys = unit_path(f->dir, "keys"), *p;
	/* inline keys; threshold defaults to 1 */
	if (parse(f, POLICY_2ROLES, NULL, &t, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(t.nroles, 2);
	assert_int_equal(role(&t, "builder")->threshold, 2);
	expect_keys(f, role(&t, "builder"), "AB");
	assert_int_equal(role(&t, "security")->threshold, 1);
	expect_keys(f, role(&t, "security"), "C");
	assert_int_equal(t.nrequire, 2);
	assert_string_equal(t.require[0], "builder");
	assert_string_equal(t.require[1], "security");
	assert_int_equal(t.max_age, 0);
	assert_int_equal(t.allow_legacy, 0);
	al_trust_release(&t);
	/* .pub paths relative to base, an absolute one, and a whole .pub text inline */
	assert_int_equal(al_mkdirs(keys, NULL), AL_OK);
	{
		size_t n;
		char *src = unit_path(f->dir, "a.pub"), *text = unit_read(src, &n);
		p = unit_path(keys, "a.pub");
		unit_write(p, text, n);
		free(p);
		free(text);
		free(src);
	}
	if (parse(f,
		  "roles:\n"
		  "  release:\n"
		  "    keys:\n"
		  "      - keys/a.pub\n"
		  "      - @DIR/b.pub\n"
		  "      - |\n"
		  "        untrusted comment: minisign public key\n"
		  "        @C\n"
		  "      - @D\n"
		  "    threshold: \"3\"\n"
		  "  dev-ops_2:\n"
		  "    keys: [@A]\n"
		  "require:\n"
		  "  - release\n"
		  "max_age: 36h\n"
		  "allow_legacy_signatures: true\n",
		  f->dir, &t, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	expect_keys(f, role(&t, "release"), "ABCD");
	assert_int_equal(role(&t, "release")->threshold, 3);
	expect_keys(f, role(&t, "dev-ops_2"), "A");
	assert_int_equal(t.nrequire, 1);
	assert_int_equal(t.max_age, 36 * 3600);
	assert_int_equal(t.allow_legacy, 1);
	al_trust_release(&t);
	/* max_age units */
	{
		static const struct {
			const char *v;
			int64_t secs;
		} ages[] = { { "1h", 3600 }, { "120d", 120 * 86400 }, { "2w", 14 * 86400 }, { "99999h", 99999LL * 3600 } };
		for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
			char *tpl = NULL;
			if (asprintf(&tpl, POLICY_2ROLES "max_age: %s\n", ages[i].v) < 0)
				fail_msg("out of memory");
			if (parse(f, tpl, NULL, &t, &err) != AL_OK)
				fail_msg("max_age '%s' refused: %s", ages[i].v, err.msg);
			assert_int_equal(t.max_age, ages[i].secs);
			al_trust_release(&t);
			free(tpl);
		}
	}
	/* al_trust_load resolves paths against the policy file's directory */
	p = unit_path(keys, "trust.yaml");
	unit_write_str(p, "roles:\n  r:\n    keys: [a.pub]\nrequire: [r]\n");
	if (al_trust_load(p, &t, &err) != AL_OK)
		fail_msg("load refused: %s", err.msg);
	expect_keys(f, role(&t, "r"), "A");
	al_trust_release(&t);
	free(p);
	free(keys);
}

/* Refusals: AL_EINVAL and a message (a .pub file that does not exist is in parse_missing). */
static const struct {
	const char *tpl, *why;
} parse_bad[] = {
	{ "", "empty" },
	{ "- a\n- b\n", "the top level must be a mapping" },
	{ "just text", "the top level must be a mapping" },
	/* unknown keys */
	{ POLICY_2ROLES "extra: 1\n", "unknown key 'extra'" },
	{ POLICY_2ROLES "Roles: {}\n", "unknown key 'Roles'" },
	{ "roles:\n  r:\n    keys: [@A]\n    thresold: 1\nrequire: [r]\n", "unknown key 'thresold'" },
	{ "roles:\n  r:\n    keys: [@A]\n    require: [r]\nrequire: [r]\n", "unknown key 'require'" },
	/* roles */
	{ "require: [r]\n", "'roles' must map" },
	{ "roles: {}\nrequire: [r]\n", "'roles' must map" },
	{ "roles: [r]\nrequire: [r]\n", "'roles' must map" },
	{ "roles: r\nrequire: [r]\n", "'roles' must map" },
	{ "roles:\nrequire: [r]\n", "'roles' must map" },
	/* role names */
	{ "roles:\n  Builder:\n    keys: [@A]\nrequire: [Builder]\n", "role name" },
	{ "roles:\n  -x:\n    keys: [@A]\nrequire: [-x]\n", "role name" },
	{ "roles:\n  a.b:\n    keys: [@A]\nrequire: [a.b]\n", "role name" },
	{ "roles:\n  a b:\n    keys: [@A]\nrequire: [a b]\n", "role name" },
	{ "roles:\n  '':\n    keys: [@A]\nrequire: ['']\n", "role name" },
	{ "roles:\n  abcdefghijabcdefghijabcdefghijabc:\n    keys: [@A]\nrequire: [r]\n", "role name" },
	{ "roles:\n  caf\xc3\xa9:\n    keys: [@A]\nrequire: [r]\n", "role name" },
	/* keys */
	{ "roles:\n  r:\n    threshold: 1\nrequire: [r]\n", "'keys' must list at least one public key" },
	{ "roles:\n  r:\n    keys: []\nrequire: [r]\n", "'keys' must list at least one public key" },
	{ "roles:\n  r:\n    keys:\nrequire: [r]\n", "'keys' must list at least one public key" },
	{ "roles:\n  r:\n    keys: @A\nrequire: [r]\n", "'keys' must list at least one public key" },
	{ "roles:\n  r:\nrequire: [r]\n", "'keys' must list at least one public key" },
	{ "roles:\n  r: @A\nrequire: [r]\n", "'keys' must list at least one public key" },
	{ "roles:\n  r:\n    keys: [@A, [x]]\nrequire: [r]\n", "keys[1] must be a key, or {key: KEY, expires: YYYY-MM-DD}" },
	{ "roles:\n  r:\n    keys: [@A, {k: v}]\nrequire: [r]\n", "keys[1]: unknown key 'k'" },
	{ "roles:\n  r:\n    keys: [@A, ~]\nrequire: [r]\n", "keys[1] must be a key, or" },
	/* key expiry */
	{ "roles:\n  r:\n    keys: [{key: @A}]\nrequire: [r]\n", "keys[0] must be a key, or {key: KEY, expires" },
	{ "roles:\n  r:\n    keys: [{expires: 2027-01-31}]\nrequire: [r]\n", "keys[0] must be a key, or" },
	{ "roles:\n  r:\n    keys: [{key: @A, expires: 31/01/2027}]\nrequire: [r]\n", "keys[0]: 'expires' must be YYYY-MM-DD" },
	{ "roles:\n  r:\n    keys: [{key: @A, expires: 2027-02-30}]\nrequire: [r]\n", "keys[0]: 'expires' must be YYYY-MM-DD" },
	{ "roles:\n  r:\n    keys: [{key: @A, expires: [2027-01-31]}]\nrequire: [r]\n", "keys[0] must be a key, or" },
	{ "roles:\n  r:\n    keys: [{key: @A, expires: 2027-01-31, until: x}]\nrequire: [r]\n", "keys[0]: unknown key 'until'" },
	{ "roles:\n  r:\n    keys: [@A, @A]\nrequire: [r]\n", "is listed twice" },
	{ "roles:\n  r:\n    keys: [@A, @B, @DIR/a.pub]\nrequire: [r]\n", "is listed twice" },
	{ "roles:\n  r:\n    keys: [@DIR/a.key]\nrequire: [r]\n", "neither a public key nor a readable .pub file" },
	{ "roles:\n  r:\n    keys: [@DIR]\nrequire: [r]\n", "neither a public key nor a readable .pub file" },
	{ "roles:\n  r:\n    keys: ['']\nrequire: [r]\n", "neither a public key nor a readable .pub file" },
	/* thresholds */
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: 0\nrequire: [r]\n", "'threshold' must be a positive integer" },
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: -1\nrequire: [r]\n", "'threshold' must be a positive integer" },
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: one\nrequire: [r]\n", "'threshold' must be a positive integer" },
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: 1.0\nrequire: [r]\n", "'threshold' must be a positive integer" },
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: ~\nrequire: [r]\n", "'threshold' must be a positive integer" },
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: [1]\nrequire: [r]\n", "'threshold' must be a positive integer" },
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: 99999999999999999999\nrequire: [r]\n", "'threshold' must be a positive integer" },
	{ "roles:\n  r:\n    keys: [@A, @B]\n    threshold: 3\nrequire: [r]\n", "threshold 3 can never be met by 2 keys" },
	{ "roles:\n  r:\n    keys: [@A]\n    threshold: 4294967297\nrequire: [r]\n", "can never be met" },
	/* require */
	{ "roles:\n  r:\n    keys: [@A]\n", "'require' must list" },
	{ "roles:\n  r:\n    keys: [@A]\nrequire: []\n", "'require' must list" },
	{ "roles:\n  r:\n    keys: [@A]\nrequire:\n", "'require' must list" },
	{ "roles:\n  r:\n    keys: [@A]\nrequire: r\n", "'require' must list" },
	{ "roles:\n  r:\n    keys: [@A]\nrequire: [[r]]\n", "'require' must list role names" },
	{ "roles:\n  r:\n    keys: [@A]\nrequire: [r, s]\n", "required role 's' is not defined in 'roles'" },
	{ "roles:\n  r:\n    keys: [@A]\nrequire: [R]\n", "required role 'R' is not defined in 'roles'" },
	/* max_age */
	{ POLICY_2ROLES "max_age: 0h\n", "bad 'max_age' '0h'" },
	{ POLICY_2ROLES "max_age: 36\n", "bad 'max_age'" },
	{ POLICY_2ROLES "max_age: 36m\n", "bad 'max_age'" },
	{ POLICY_2ROLES "max_age: -1d\n", "bad 'max_age'" },
	{ POLICY_2ROLES "max_age: 1.5d\n", "bad 'max_age'" },
	{ POLICY_2ROLES "max_age: d\n", "bad 'max_age'" },
	{ POLICY_2ROLES "max_age: 10000000000h\n", "bad 'max_age'" },
	{ POLICY_2ROLES "max_age: ''\n", "bad 'max_age'" },
	/* YAML that is not valid, or would be ambiguous */
	{ POLICY_2ROLES "require: [r]\n", "duplicate key" },
	{ "roles: &x\n  r:\n    keys: [@A]\nrequire: [r]\nother: *x\n", "aliases" },
	{ "roles:\n  &r r:\n    keys: [@A]\n  *r :\n    keys: [@B]\nrequire: [r]\n",
	  "a YAML alias is used as a mapping key" },
	/* distinct_roles */
	{ POLICY_2ROLES "distinct_roles: yes\n", "'distinct_roles' is true or false" },
	{ POLICY_2ROLES "distinct_roles: [true]\n", "'distinct_roles' is true or false" },
	{ POLICY_2ROLES "distinct_roles:\n", "'distinct_roles' is true or false" },
	/* custody */
	{ POLICY_2ROLES "custody: received\n", "'custody' must be a mapping with 'require_last: EVENT'" },
	{ POLICY_2ROLES "custody: {}\n", "'custody' must be a mapping with 'require_last: EVENT'" },
	{ POLICY_2ROLES "custody: {require_last: lost}\n", "custody: 'require_last' must be an event: events are" },
	{ POLICY_2ROLES "custody: {require_last: [received]}\n", "custody: 'require_last' must be an event" },
	{ POLICY_2ROLES "custody: {require_last: received, also: 1}\n", "custody: unknown key 'also'" },
};

static void test_parse_bad(void **state)
{
	struct fix *f = *state;
	for (size_t i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		struct al_trust t;
		struct al_err err = { 0 };
		enum al_code rc = parse(f, parse_bad[i].tpl, f->dir, &t, &err);
		if (rc != AL_EINVAL)
			fail_msg("row %zu: got %d, want AL_EINVAL (\"%s\"): %s", i, rc, parse_bad[i].why, err.msg);
		if (!strstr(err.msg, parse_bad[i].why))
			fail_msg("row %zu: \"%s\" does not say \"%s\"", i, err.msg, parse_bad[i].why);
		/* a failed parse leaves nothing behind */
		assert_null(t.roles);
		assert_int_equal(t.nroles, 0);
		assert_null(t.require);
	}
}

/* Key entries that are neither a key nor an existing file: AL_ENOENT, naming the entry. */
static void test_parse_missing_key_file(void **state)
{
	static const char *const tpls[] = {
		"roles:\n  r:\n    keys: [nokey.pub]\nrequire: [r]\n",
		"roles:\n  r:\n    keys: [@DIR/nokey.pub]\nrequire: [r]\n",
		/* a cut key is not a key, so it is taken as a path */
		"roles:\n  r:\n    keys: [RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO]\nrequire: [r]\n",
	};
	struct fix *f = *state;
	for (size_t i = 0; i < sizeof(tpls) / sizeof(tpls[0]); i++) {
		struct al_trust t;
		struct al_err err = { 0 };
		enum al_code rc = parse(f, tpls[i], f->dir, &t, &err);
		if (rc != AL_ENOENT)
			fail_msg("row %zu: got %d, want AL_ENOENT: %s", i, rc, err.msg);
		assert_contains(err.msg, "role 'r'");
		assert_contains(err.msg, "is neither a public key nor a readable .pub file");
		assert_null(t.roles);
	}
}

/*
 * max_age is a duration (36h, 120d, 2w): an absolute date is not one and
 * must be refused, not read as the seconds since 1970 it names.
 */
static void test_parse_max_age_date(void **state)
{
	static const char *const dates[] = { "2030-01-01", "1970-01-02", "2030-01-01T00:00:00Z" };
	struct fix *f = *state;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		struct al_trust t;
		struct al_err err = { 0 };
		char *tpl = NULL;
		enum al_code rc;
		if (asprintf(&tpl, POLICY_2ROLES "max_age: %s\n", dates[i]) < 0)
			fail_msg("out of memory");
		rc = parse(f, tpl, NULL, &t, &err);
		if (rc != AL_EINVAL)
			fail_msg("max_age '%s' was accepted as %lld seconds", dates[i], (long long)t.max_age);
		assert_contains(err.msg, "bad 'max_age'");
		free(tpl);
	}
}

/* A key counts through the day its date names (UTC), and up to the second a time names. */
static void test_key_expiry(void **state)
{
	struct fix *f = *state;
	struct al_trust t;
	struct al_err err = { 0 };
	const struct al_trust_role *r;
	if (parse(f, "roles:\n  r:\n    keys: [{key: @A, expires: 2027-01-31}, @B, {key: @C, expires: \"2027-01-31T12:00:00Z\"}]\n"
		     "require: [r]\n", NULL, &t, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	r = role(&t, "r");
	/* 2027-02-01T00:00:00Z is 1801440000; noon of the 31st is 1801396800 */
	assert_int_equal(r->expires[0], 1801440000);
	assert_int_equal(r->expires[1], 0);
	assert_int_equal(r->expires[2], 1801396800);
	assert_false(al_trust_key_expired(r, 0, 1801439999));
	assert_true(al_trust_key_expired(r, 0, 1801440000));
	assert_false(al_trust_key_expired(r, 1, INT64_MAX));
	assert_false(al_trust_key_expired(r, 2, 1801396799));
	assert_true(al_trust_key_expired(r, 2, 1801396800));
	al_trust_release(&t);
}

static void same_policy(const struct al_trust *a, const struct al_trust *b)
{
	assert_int_equal(a->nroles, b->nroles);
	for (size_t i = 0; i < a->nroles; i++) {
		const struct al_trust_role *x = &a->roles[i], *y = role(b, x->name);
		assert_int_equal(x->threshold, y->threshold);
		assert_int_equal(x->nkeys, y->nkeys);
		for (size_t k = 0; k < x->nkeys; k++) {
			assert_memory_equal(&x->keys[k], &y->keys[k], sizeof(x->keys[k]));
			assert_int_equal(x->expires[k], y->expires[k]);
		}
	}
	assert_int_equal(a->nrequire, b->nrequire);
	for (size_t i = 0; i < a->nrequire; i++)
		assert_string_equal(a->require[i], b->require[i]);
	assert_int_equal(a->max_age, b->max_age);
	assert_int_equal(a->allow_legacy, b->allow_legacy);
	assert_int_equal(a->distinct_roles, b->distinct_roles);
	if (a->custody_last || b->custody_last) {
		assert_non_null(a->custody_last);
		assert_non_null(b->custody_last);
		assert_string_equal(a->custody_last, b->custody_last);
	}
}

static void test_format_roundtrip(void **state)
{
	static const char *const tpls[] = {
		POLICY_2ROLES,
		POLICY_2ROLES "max_age: 36h\n",
		POLICY_2ROLES "max_age: 2w\nallow_legacy_signatures: true\n",
		POLICY_2ROLES "distinct_roles: true\n",
		POLICY_2ROLES "distinct_roles: false\ncustody:\n  require_last: received\n",
		POLICY_2ROLES "custody: {require_last: handed-over}\ndistinct_roles: true\n",
		"roles:\n  r:\n    keys: [@DIR/a.pub, b.pub, @C, @D]\n    threshold: 3\n  x_1:\n    keys: [@D]\n"
		"require: [x_1, r]\nmax_age: 120d\n",
		"roles:\n  r:\n    keys: [{key: @A, expires: 2027-01-31}, @B, {key: @C, expires: \"2027-01-31T12:00:00Z\"}]\n"
		"require: [r]\n",
	};
	struct fix *f = *state;
	for (size_t i = 0; i < sizeof(tpls) / sizeof(tpls[0]); i++) {
		struct al_trust a, b;
		struct al_err err = { 0 };
		struct al_buf out;
		if (parse(f, tpls[i], f->dir, &a, &err) != AL_OK)
			fail_msg("policy %zu refused: %s", i, err.msg);
		al_buf_init(&out, 1 << 20);
		assert_int_equal(al_trust_format(&a, &out, &err), AL_OK);
		/* self-contained: no paths, parses without a base */
		if (strstr(out.data, f->dir) || strstr(out.data, ".pub"))
			fail_msg("policy %zu formatted with a path:\n%s", i, out.data);
		if (al_trust_parse(out.data, out.len, "stored", NULL, &b, &err) != AL_OK)
			fail_msg("policy %zu: its formatted text was refused: %s\n%s", i, err.msg, out.data);
		same_policy(&a, &b);
		al_buf_release(&out);
		al_trust_release(&a);
		al_trust_release(&b);
	}
}

/*
 * Policies al_trust_parse accepts whose al_trust_format text it then refuses,
 * so a policy the store keeps could not be read back: a max_age of a million
 * hours or more (99999d, 9999w) is written as "2399976h", which is longer
 * than a max_age may be; a role named "null" is written unquoted and reads
 * back as YAML null.
 */
static void test_format_roundtrip_edges(void **state)
{
	static const char *const tpls[] = {
		"roles:\n  r:\n    keys: [@A]\nrequire: [r]\nmax_age: 99999d\n",
		"roles:\n  r:\n    keys: [@A]\nrequire: [r]\nmax_age: 9999w\n",
		"roles:\n  'null':\n    keys: [@A]\nrequire: ['null']\n",
	};
	struct fix *f = *state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(tpls) / sizeof(tpls[0]); i++) {
		struct al_trust a, b;
		struct al_err err = { 0 };
		struct al_buf out;
		if (parse(f, tpls[i], NULL, &a, &err) != AL_OK)
			fail_msg("policy %zu refused: %s", i, err.msg);
		al_buf_init(&out, 1 << 20);
		assert_int_equal(al_trust_format(&a, &out, &err), AL_OK);
		if (al_trust_parse(out.data, out.len, "stored", NULL, &b, &err) != AL_OK) {
			print_error("policy %zu: its formatted text was refused: %s\n", i, err.msg);
			failed++;
		} else {
			same_policy(&a, &b);
			al_trust_release(&b);
		}
		al_buf_release(&out);
		al_trust_release(&a);
	}
	if (failed)
		fail_msg("%d formatted policies do not read back", failed);
}

static void test_role_bad(void **state)
{
	static const char *const good[] = {
		"a", "0", "builder", "sec-ops", "a_b", "9lives", "a-", "a_", "abcdefghijabcdefghijabcdefghijab",
	};
	static const char *const bad[] = {
		"", "A", "Builder", "-a", "_a", "a.b", "a b", "a/b", "caf\xc3\xa9", "a\tb", "abcdefghijabcdefghijabcdefghijabc",
		"..", "a:b",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (al_role_bad(good[i]))
			fail_msg("'%s' refused: %s", good[i], al_role_bad(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!al_role_bad(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

static void test_trusted_comment(void **state)
{
	struct al_bundle_info info;
	struct al_err err = { 0 };
	char out[256];
	(void)state;
	memset(&info, 0, sizeof(info));
	info.name = (char *)"tiny-model";
	info.version = 12;
	info.expires = NOW;
	assert_int_equal(al_trusted_comment(&info, "builder", out, sizeof(out), &err), AL_OK);
	assert_string_equal(out, "airlock bundle=tiny-model version=12 role=builder expires=2026-01-01T00:00:00Z");
	info.expires = EXPIRES;
	assert_int_equal(al_trusted_comment(&info, "security", out, sizeof(out), &err), AL_OK);
	assert_string_equal(out, "airlock bundle=tiny-model version=12 role=security expires=" EXPIRES_STR);
	/* exactly fits / one byte short */
	{
		size_t need = strlen(out) + 1;
		assert_int_equal(al_trusted_comment(&info, "security", out, need, &err), AL_OK);
		assert_int_equal(al_trusted_comment(&info, "security", out, need - 1, &err), AL_ELIMIT);
		assert_contains(err.msg, "too long");
	}
}

/* ---- checking a bundle ---- */

#define TC(role) "airlock bundle=trusty version=3 role=" role " expires=" EXPIRES_STR

/* The SHA256SUMS bytes of the fixture bundle (caller frees). */
static char *sums(const struct fix *f, size_t *n)
{
	char *p = unit_path(f->bundle, "SHA256SUMS"), *d = unit_read(p, n);
	free(p);
	return d;
}

/* Writes signatures/<name> holding key k's signature (over SHA256SUMS unless over is set). */
static void sign_as(const struct fix *f, int k, const char *name, const char *trusted, const char *over)
{
	unsigned char h[64];
	struct al_buf b;
	struct al_err err = { 0 };
	size_t n;
	char *data = sums(f, &n), *rel = NULL, *p;
	if (over)
		al_prehash_mem(over, strlen(over), h);
	else
		al_prehash_mem(data, n, h);
	al_buf_init(&b, 1 << 16);
	if (al_sign_prehashed(&f->sk[k], h, trusted, NULL, &b, &err) != AL_OK)
		fail_msg("sign: %s", err.msg);
	if (asprintf(&rel, "signatures/%s", name) < 0)
		fail_msg("out of memory");
	p = unit_path(f->bundle, rel);
	unit_write(p, b.data, b.len);
	al_buf_release(&b);
	free(rel);
	free(p);
	free(data);
}

/* signatures/<role>.<key's ID>.minisig with the right comment for role. */
static void sign(const struct fix *f, int k, const char *role_name)
{
	char name[80], tc[256];
	snprintf(name, sizeof(name), "%s.%s.minisig", role_name, f->pk[k].id);
	snprintf(tc, sizeof(tc), "airlock bundle=trusty version=3 role=%s expires=" EXPIRES_STR, role_name);
	sign_as(f, k, name, tc, NULL);
}

static void put_sig_file(const struct fix *f, const char *name, const char *text)
{
	char *rel = NULL, *p;
	if (asprintf(&rel, "signatures/%s", name) < 0)
		fail_msg("out of memory");
	p = unit_path(f->bundle, rel);
	unit_write_str(p, text);
	free(rel);
	free(p);
}

struct outcome {
	enum al_code rc;
	char *report;      /* problems joined by "\n" */
	size_t nproblems;
	json_t *summary;
	struct al_err err;
};

static void outcome_release(struct outcome *o)
{
	free(o->report);
	json_decref(o->summary);
}

/* Adds a second entry for an existing file of the view (the same signature seen twice). */
static void duplicate_entry(struct al_bview *v, const char *path)
{
	const struct al_bfile *f = al_bview_find(v, path);
	char digest[AL_DIGEST_STR];
	uint64_t size;
	struct al_err err = { 0 };
	assert_non_null(f);
	size = f->size;
	memcpy(digest, f->digest, sizeof(digest));
	assert_int_equal(al_bview_add(v, path, size, digest, &err), AL_OK);
	al_bview_sort(v);
}

/* Scans and checks the fixture bundle (or path), then the policy at time now. */
static struct outcome check_at(const struct fix *f, const char *path, const char *tpl, int64_t now,
			       const char *dup)
{
	struct outcome o;
	struct al_bview v;
	struct al_report rep = { 0 };
	struct al_bundle_info info;
	struct al_trust t;
	struct al_err err = { 0 };
	size_t len = 1;
	memset(&o, 0, sizeof(o));
	memset(&v, 0, sizeof(v));
	memset(&info, 0, sizeof(info));
	if (parse(f, tpl, f->dir, &t, &err) != AL_OK)
		fail_msg("policy refused: %s", err.msg);
	if (al_bundle_scan(path ? path : f->bundle, &v, &rep, NULL, &err) != AL_OK)
		fail_msg("scan: %s", err.msg);
	if (al_bundle_check(&v, &rep, &info, &err) != AL_OK || rep.n)
		fail_msg("the bundle does not verify: %s %s", err.msg, rep.n ? rep.msg[0] : "");
	assert_int_equal(info.created, NOW);
	assert_int_equal(info.expires, EXPIRES);
	if (dup)
		duplicate_entry(&v, dup);
	o.rc = al_trust_check(&v, &info, &t, now, &rep, &o.summary, &o.err);
	o.nproblems = al_report_count(&rep);
	for (size_t i = 0; i < rep.n; i++)
		len += strlen(rep.msg[i]) + 1;
	o.report = calloc(1, len);
	assert_non_null(o.report);
	for (size_t i = 0, at = 0; i < rep.n; i++)
		at += (size_t)snprintf(o.report + at, len - at, "%s\n", rep.msg[i]);
	if (o.rc == AL_OK)
		assert_non_null(o.summary);
	al_report_release(&rep);
	al_bundle_info_release(&info);
	al_bview_release(&v);
	al_trust_release(&t);
	return o;
}

static struct outcome check(const struct fix *f, const char *tpl, int64_t now)
{
	return check_at(f, NULL, tpl, now, NULL);
}

#define POLICY_CHECK                          \
	"roles:\n"                            \
	"  builder:\n"                        \
	"    keys: [@A, @B]\n"                \
	"    threshold: 2\n"                  \
	"  security:\n"                       \
	"    keys: [@C]\n"                    \
	"  audit:\n"                          \
	"    keys: [@D]\n"                    \
	"require: [builder, security]\n"

static void expect_clean(const struct outcome *o)
{
	if (o->rc != AL_OK || o->nproblems)
		fail_msg("want no problems, got rc %d (%s):\n%s", o->rc, o->err.msg, o->report);
}

/* The report holds a problem that says want (and, if set, also names also). */
static void expect_problem(const struct outcome *o, const char *want, const char *also)
{
	const char *line;
	if (o->rc != AL_OK)
		fail_msg("rc %d: %s", o->rc, o->err.msg);
	line = strstr(o->report, want);
	if (!line)
		fail_msg("no problem saying \"%s\" in:\n%s", want, o->report);
	if (also) {
		const char *start = line, *end = strchr(line, '\n');
		while (start > o->report && start[-1] != '\n')
			start--;
		if (!end || !memmem(start, (size_t)(end - start), also, strlen(also)))
			fail_msg("the problem \"%.*s\" does not name \"%s\"", (int)(end ? end - start : 0), start, also);
	}
}

static void expect_role(const struct fix *f, const struct outcome *o, const char *name, int satisfied,
			const char *keys)
{
	json_t *r = json_object_get(o->summary, name), *k;
	assert_non_null(r);
	assert_true(json_is_boolean(json_object_get(r, "satisfied")));
	if (json_is_true(json_object_get(r, "satisfied")) != satisfied)
		fail_msg("role '%s': satisfied is %d, want %d", name, !satisfied, satisfied);
	k = json_object_get(r, "keys");
	assert_true(json_is_array(k));
	assert_int_equal(json_array_size(k), strlen(keys));
	for (const char *p = keys; *p; p++) {
		int found = 0;
		for (size_t i = 0; i < json_array_size(k); i++)
			found |= !strcmp(json_string_value(json_array_get(k, i)), f->pk[*p - 'A'].id);
		if (!found)
			fail_msg("role '%s' does not list key %c", name, *p);
	}
}

static void test_check_all_satisfied(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	json_t *r;
	sign(f, 0, "builder");
	sign(f, 1, "builder");
	sign(f, 2, "security");
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_clean(&o);
	assert_int_equal(json_object_size(o.summary), 3);
	expect_role(f, &o, "builder", 1, "AB");
	expect_role(f, &o, "security", 1, "C");
	expect_role(f, &o, "audit", 0, ""); /* not required: unsatisfied is no problem */
	r = json_object_get(o.summary, "builder");
	assert_int_equal(json_integer_value(json_object_get(r, "threshold")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "of")), 2);
	assert_true(json_is_true(json_object_get(r, "required")));
	assert_true(json_is_false(json_object_get(json_object_get(o.summary, "audit"), "required")));
	outcome_release(&o);
	/* the audit signature too; and the same bundle as a tar */
	sign(f, 3, "audit");
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_clean(&o);
	expect_role(f, &o, "audit", 1, "D");
	outcome_release(&o);
	{
		struct al_err err = { 0 };
		char *tar = unit_path(f->dir, "bundle.tar");
		assert_int_equal(al_bundle_write_tar(f->bundle, tar, NOW, &err), AL_OK);
		o = check_at(f, tar, POLICY_CHECK, NOW + 60, NULL);
		expect_clean(&o);
		expect_role(f, &o, "builder", 1, "AB");
		expect_role(f, &o, "audit", 1, "D");
		outcome_release(&o);
		free(tar);
	}
}

static void test_check_threshold_not_met(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	sign(f, 0, "builder");
	sign(f, 2, "security");
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_problem(&o, "role 'builder' needs signatures by 2 distinct keys of 2, has 1", NULL);
	assert_int_equal(o.nproblems, 1);
	expect_role(f, &o, "builder", 0, "A");
	expect_role(f, &o, "security", 1, "C");
	outcome_release(&o);
	/* nothing signed at all: both required roles are short */
	{
		char *p = unit_path(f->bundle, "signatures");
		assert_int_equal(al_rmtree(p, NULL), AL_OK);
		free(p);
	}
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_problem(&o, "role 'builder' needs signatures by 2 distinct keys of 2, has 0", NULL);
	expect_problem(&o, "role 'security' needs signatures by 1 distinct key of 1, has 0", NULL);
	assert_int_equal(o.nproblems, 2);
	outcome_release(&o);
}

static void test_check_unknown_key(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	sign(f, 0, "builder");
	sign(f, 3, "builder");  /* D is no builder key */
	sign(f, 0, "security"); /* A is a builder key, not a security key */
	sign(f, 2, "security");
	o = check(f, POLICY_CHECK, NOW + 60);
	{
		char want[256];
		snprintf(want, sizeof(want),
			 "'signatures/builder.%s.minisig': key %s is not a key of role 'builder' in the trust policy (unknown key)",
			 f->pk[3].id, f->pk[3].id);
		expect_problem(&o, want, NULL);
		snprintf(want, sizeof(want),
			 "'signatures/security.%s.minisig': key %s is not a key of role 'security' in the trust policy (unknown key)",
			 f->pk[0].id, f->pk[0].id);
		expect_problem(&o, want, NULL);
	}
	expect_problem(&o, "role 'builder' needs signatures by 2 distinct keys of 2, has 1", NULL);
	assert_int_equal(o.nproblems, 3);
	expect_role(f, &o, "builder", 0, "A");
	expect_role(f, &o, "security", 1, "C");
	outcome_release(&o);
}

static void test_check_wrong_comment(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	char name[80];
	sign(f, 0, "builder");
	snprintf(name, sizeof(name), "builder.%s.minisig", f->pk[1].id);
	sign_as(f, 1, name, TC("security"), NULL); /* approved as security, filed as builder */
	sign(f, 2, "security");
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_problem(&o, "its trusted comment says \"" TC("security") "\", expected \"" TC("builder") "\"", name);
	expect_problem(&o, "role 'builder' needs signatures by 2 distinct keys of 2, has 1", NULL);
	assert_int_equal(o.nproblems, 2);
	outcome_release(&o);
	/* comments made for another version, another bundle, another expiry, or minisign's default */
	{
		static const char *const other[] = {
			"airlock bundle=trusty version=2 role=builder expires=" EXPIRES_STR,
			"airlock bundle=trusty2 version=3 role=builder expires=" EXPIRES_STR,
			"airlock bundle=trusty version=3 role=builder expires=2026-02-01T00:00:00Z",
			"airlock bundle=trusty version=3 role=builder expires=" EXPIRES_STR " ",
			"timestamp:1767225600\tfile:SHA256SUMS\thashed",
		};
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
			sign_as(f, 1, name, other[i], NULL);
			o = check(f, POLICY_CHECK, NOW + 60);
			expect_problem(&o, "its trusted comment says", name);
			expect_role(f, &o, "builder", 0, "A");
			outcome_release(&o);
		}
	}
}

static void test_check_name_mismatch(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	char name[80], want[160];
	sign(f, 0, "builder");
	snprintf(name, sizeof(name), "builder.%s.minisig", f->pk[1].id);
	sign_as(f, 0, name, TC("builder"), NULL); /* A's signature, filed under B's id */
	sign(f, 2, "security");
	o = check(f, POLICY_CHECK, NOW + 60);
	snprintf(want, sizeof(want), "is named for key %s but was made by key %s", f->pk[1].id, f->pk[0].id);
	expect_problem(&o, want, name);
	expect_role(f, &o, "builder", 0, "A");
	assert_int_equal(o.nproblems, 2);
	outcome_release(&o);
}

static void test_check_duplicate_counted_once(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	char path[96];
	sign(f, 0, "builder");
	sign(f, 2, "security");
	snprintf(path, sizeof(path), "signatures/builder.%s.minisig", f->pk[0].id);
	o = check_at(f, NULL, POLICY_CHECK, NOW + 60, path); /* the view lists A's builder signature twice */
	expect_problem(&o, "role 'builder' needs signatures by 2 distinct keys of 2, has 1", NULL);
	assert_int_equal(o.nproblems, 1);
	expect_role(f, &o, "builder", 0, "A");
	outcome_release(&o);
	/* a key in two roles counts once in each */
	o = check(f,
		  "roles:\n"
		  "  builder:\n"
		  "    keys: [@A]\n"
		  "  security:\n"
		  "    keys: [@A, @C]\n"
		  "    threshold: 2\n"
		  "require: [builder, security]\n",
		  NOW + 60);
	expect_problem(&o, "role 'security' needs signatures by 2 distinct keys of 2, has 1", NULL);
	expect_role(f, &o, "builder", 1, "A");
	expect_role(f, &o, "security", 0, "C");
	outcome_release(&o);
}

/* distinct_roles: one key filling two roles is a problem naming it; each its own role is fine */
static void test_check_distinct_roles(void **state)
{
	static const char policy[] = "roles:\n"
				     "  builder:\n"
				     "    keys: [@A, @B]\n"
				     "  security:\n"
				     "    keys: [@B, @C]\n"
				     "    threshold: 2\n"
				     "require: [builder, security]\n";
	struct fix *f = *state;
	struct outcome o;
	char want[256];
	sign(f, 0, "builder");
	sign(f, 1, "security");
	sign(f, 2, "security");
	/* passing twin: A builds, B and C approve */
	o = check(f, policy, NOW + 60);
	assert_int_equal(o.rc, AL_OK);
	assert_int_equal(o.nproblems, 0);
	outcome_release(&o);
	{
		char *tpl = NULL;
		if (asprintf(&tpl, "%sdistinct_roles: true\n", policy) < 0)
			fail_msg("out of memory");
		o = check(f, tpl, NOW + 60);
		assert_int_equal(o.nproblems, 0);
		outcome_release(&o);
		/* B signs as builder too: every threshold is still met, but B fills two roles */
		sign(f, 1, "builder");
		o = check(f, policy, NOW + 60);
		assert_int_equal(o.nproblems, 0);
		outcome_release(&o);
		o = check(f, tpl, NOW + 60);
		snprintf(want, sizeof(want), "key %s signed in both role 'builder' and role 'security': the trust policy requires distinct keys for distinct roles (distinct_roles: true)",
			 f->pk[1].id);
		expect_problem(&o, want, NULL);
		assert_int_equal(o.nproblems, 1);
		outcome_release(&o);
		free(tpl);
	}
}

static void test_check_bad_files(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	char name[96];
	sign(f, 0, "builder");
	sign(f, 1, "builder");
	sign(f, 2, "security");
	/* names that are not <role>.<ID>.minisig */
	put_sig_file(f, "README", "hello\n");
	put_sig_file(f, "builder.minisig", "x\n");
	put_sig_file(f, "Builder.0123456789ABCDEF.minisig", "x\n");
	put_sig_file(f, "builder.0123456789ABCDE.minisig", "x\n");
	put_sig_file(f, "builder.0123456789ABCDEF.sig", "x\n");
	/* a role the policy does not have */
	snprintf(name, sizeof(name), "release.%s.minisig", f->pk[0].id);
	sign_as(f, 0, name, TC("release"), NULL);
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_problem(&o, "'signatures/README' is not named signatures/<role>.<key id>.minisig", NULL);
	expect_problem(&o, "'signatures/builder.minisig' is not named", NULL);
	expect_problem(&o, "'signatures/Builder.0123456789ABCDEF.minisig' is not named", NULL);
	expect_problem(&o, "'signatures/builder.0123456789ABCDE.minisig' is not named", NULL);
	expect_problem(&o, "'signatures/builder.0123456789ABCDEF.sig' is not named", NULL);
	expect_problem(&o, "is for role 'release', which the trust policy does not have", name);
	assert_int_equal(o.nproblems, 6);
	expect_role(f, &o, "builder", 1, "AB"); /* the good ones still count */
	outcome_release(&o);
}

static void test_check_bad_signature(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	char name[80];
	sign(f, 0, "builder");
	sign(f, 2, "security");
	snprintf(name, sizeof(name), "builder.%s.minisig", f->pk[1].id);
	/* over something else than this SHA256SUMS */
	sign_as(f, 1, name, TC("builder"), "another SHA256SUMS\n");
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_problem(&o, "SHA256SUMS was changed after signing", name);
	expect_role(f, &o, "builder", 0, "A");
	outcome_release(&o);
	/* not a signature */
	put_sig_file(f, name, "untrusted comment: x\nnot base64\n");
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_problem(&o, "not a minisign signature", name);
	expect_role(f, &o, "builder", 0, "A");
	outcome_release(&o);
}

/* A legacy ("Ed") signature over the SHA256SUMS bytes, made with libsodium, counts only when allowed. */
static void test_check_legacy(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	unsigned char raw[74], global[64], *gm;
	char l2[128], l4[128], *text = NULL, name[80], *tpl = NULL;
	const char *tc = TC("builder");
	size_t n, tl = strlen(tc);
	char *data = sums(f, &n);
	sign(f, 0, "builder");
	sign(f, 2, "security");
	raw[0] = 'E';
	raw[1] = 'd';
	memcpy(raw + 2, f->sk[1].keynum, AL_KEYNUM);
	crypto_sign_detached(raw + 10, NULL, (const unsigned char *)data, n, f->sk[1].sk);
	gm = malloc(64 + tl);
	assert_non_null(gm);
	memcpy(gm, raw + 10, 64);
	memcpy(gm + 64, tc, tl);
	crypto_sign_detached(global, NULL, gm, 64 + tl, f->sk[1].sk);
	sodium_bin2base64(l2, sizeof(l2), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(l4, sizeof(l4), global, sizeof(global), sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&text, "untrusted comment: legacy\n%s\ntrusted comment: %s\n%s\n", l2, tc, l4) < 0)
		fail_msg("out of memory");
	snprintf(name, sizeof(name), "builder.%s.minisig", f->pk[1].id);
	put_sig_file(f, name, text);
	o = check(f, POLICY_CHECK, NOW + 60);
	expect_problem(&o, "legacy", name);
	expect_role(f, &o, "builder", 0, "A");
	outcome_release(&o);
	if (asprintf(&tpl, "%sallow_legacy_signatures: true\n", POLICY_CHECK) < 0)
		fail_msg("out of memory");
	o = check(f, tpl, NOW + 60);
	expect_clean(&o);
	expect_role(f, &o, "builder", 1, "AB");
	outcome_release(&o);
	free(tpl);
	free(text);
	free(gm);
	free(data);
}

static void test_check_expired(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	sign(f, 0, "builder");
	sign(f, 1, "builder");
	sign(f, 2, "security");
	o = check(f, POLICY_CHECK, EXPIRES - 1);
	expect_clean(&o);
	outcome_release(&o);
	o = check(f, POLICY_CHECK, EXPIRES);
	expect_problem(&o, "bundle 'trusty' version 3 expired on " EXPIRES_STR, NULL);
	assert_int_equal(o.nproblems, 1);
	expect_role(f, &o, "builder", 1, "AB"); /* the signatures themselves are fine */
	outcome_release(&o);
	o = check(f, POLICY_CHECK, EXPIRES + 365 * 86400);
	expect_problem(&o, "expired on", NULL);
	outcome_release(&o);
}

static void test_check_max_age(void **state)
{
	struct fix *f = *state;
	struct outcome o;
	sign(f, 0, "builder");
	sign(f, 1, "builder");
	sign(f, 2, "security");
	o = check(f, POLICY_CHECK "max_age: 1h\n", NOW + 3600);
	expect_clean(&o);
	outcome_release(&o);
	o = check(f, POLICY_CHECK "max_age: 1h\n", NOW + 3601);
	expect_problem(&o, "bundle 'trusty' version 3 was made on 2026-01-01T00:00:00Z, longer ago than the policy's max_age",
		       NULL);
	assert_int_equal(o.nproblems, 1);
	outcome_release(&o);
	/* without max_age, age alone is no problem */
	o = check(f, POLICY_CHECK, NOW + 29 * 86400);
	expect_clean(&o);
	outcome_release(&o);
	/* both at once */
	o = check(f, POLICY_CHECK "max_age: 2w\n", EXPIRES + 1);
	expect_problem(&o, "expired on", NULL);
	expect_problem(&o, "max_age", NULL);
	assert_int_equal(o.nproblems, 2);
	outcome_release(&o);
}

/* A view without SHA256SUMS is refused outright. */
static void test_check_no_sums(void **state)
{
	struct fix *f = *state;
	struct al_bview v;
	struct al_report rep = { 0 };
	struct al_bundle_info info;
	struct al_trust t;
	struct al_err err = { 0 };
	json_t *summary = (json_t *)1;
	memset(&v, 0, sizeof(v));
	memset(&info, 0, sizeof(info));
	info.name = (char *)"x";
	assert_int_equal(parse(f, POLICY_CHECK, NULL, &t, &err), AL_OK);
	assert_int_equal(al_trust_check(&v, &info, &t, NOW, &rep, &summary, &err), AL_EVERIFY);
	assert_contains(err.msg, "no SHA256SUMS");
	assert_null(summary);
	al_trust_release(&t);
	al_report_release(&rep);
}

/* A policy that cannot even be read leaves the struct holding nothing (zeroed), as trust.h
 * says, however it came in: releasing it is harmless and nothing stale is read. */
static void test_load_missing_leaves_nothing(void **state)
{
	struct al_trust t, zero = { 0 };
	struct al_err err = { 0 };
	(void)state;
	memset(&t, 0xa5, sizeof(t));
	assert_int_equal(al_trust_load("/nonexistent/airlock-trust.yaml", &t, &err), AL_ENOENT);
	assert_memory_equal(&t, &zero, sizeof(t));
	al_trust_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_missing_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_max_age_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_roundtrip_edges, setup, teardown),
		cmocka_unit_test(test_role_bad),
		cmocka_unit_test(test_trusted_comment),
		cmocka_unit_test_setup_teardown(test_check_all_satisfied, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_threshold_not_met, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_unknown_key, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_wrong_comment, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_name_mismatch, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_duplicate_counted_once, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_distinct_roles, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_bad_files, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_bad_signature, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_legacy, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_expired, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_max_age, setup_bundle, teardown),
		cmocka_unit_test_setup_teardown(test_check_no_sums, setup, teardown),
		cmocka_unit_test(test_load_missing_leaves_nothing),
	};
	if (al_crypto_init(NULL) != AL_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
