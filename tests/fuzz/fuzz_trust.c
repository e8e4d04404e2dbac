/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_trust.c: the trust policy parser (al_trust_parse, trust.yaml): YAML
 * into a jansson tree, then roles with keys and thresholds, required roles,
 * max_age and the legacy switch.
 *
 * A key entry that is not a base64 key is read as the path of a .pub file,
 * relative to the base directory; the base here is NULL, so relative paths
 * resolve against the working directory. The target makes an empty directory
 * of its own (under $TMPDIR, removed at exit) and parses with that as the
 * working directory, going back to the caller's afterwards so that libFuzzer
 * and the replay runner keep their relative paths. Absolute paths, and
 * "../" out of the empty directory, still name real files: they are only
 * ever opened for reading (a regular file of at most 4 KiB).
 *
 * Checks: a failure is a message and an empty policy; an accepted policy
 * holds what parsing promises (good role names, 1 <= threshold <= keys,
 * no key twice in a role, every required role defined, max_age >= 0, a known
 * custody event for require_last, distinct_roles 0 or 1), and
 * its self-contained form (al_trust_format) parses back to the same policy.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "custody.h"
#include "fuzz.h"
#include "trust.h"

static char empty_dir[4096];
static int caller_dir = -1;

static void remove_empty_dir(void)
{
	rmdir(empty_dir);
}

static void make_empty_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(empty_dir, sizeof(empty_dir), "%s/airlock-fuzz-trust-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(empty_dir))
		AL_BUG("cannot make an empty directory");
	caller_dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (caller_dir < 0)
		AL_BUG("cannot open the working directory");
	atexit(remove_empty_dir);
}

static void check_policy(const struct al_trust *t)
{
	if (!t->nroles || !t->roles || !t->nrequire || !t->require || t->max_age < 0)
		AL_BUG("an accepted policy is missing roles or required roles");
	for (size_t i = 0; i < t->nroles; i++) {
		const struct al_trust_role *r = &t->roles[i];
		if (!r->name || al_role_bad(r->name))
			AL_BUG("an accepted policy has a bad role name");
		if (r->threshold < 1 || r->threshold > r->nkeys)
			AL_BUG("an accepted role's threshold cannot be met, or is 0");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t->roles[j].name, r->name))
				AL_BUG("an accepted policy has a role twice");
		for (size_t k = 0; k < r->nkeys; k++)
			for (size_t q = 0; q < k; q++)
				if (!memcmp(r->keys[k].keynum, r->keys[q].keynum, AL_KEYNUM))
					AL_BUG("an accepted role lists a key twice");
	}
	if (t->custody_last && al_custody_event_bad(t->custody_last))
		AL_BUG("an accepted policy requires a custody chain to end with an unknown event");
	if (t->distinct_roles != 0 && t->distinct_roles != 1)
		AL_BUG("an accepted policy's distinct_roles is neither true nor false");
	for (size_t i = 0; i < t->nrequire; i++) {
		int known = 0;
		for (size_t r = 0; r < t->nroles; r++)
			known |= !strcmp(t->roles[r].name, t->require[i]);
		if (!known)
			AL_BUG("an accepted policy requires a role it does not define");
	}
}

static void same_policy(const struct al_trust *a, const struct al_trust *b)
{
	if (a->nroles != b->nroles || a->nrequire != b->nrequire || a->max_age != b->max_age ||
	    a->allow_legacy != b->allow_legacy || a->distinct_roles != b->distinct_roles ||
	    !a->custody_last != !b->custody_last || (a->custody_last && strcmp(a->custody_last, b->custody_last)))
		AL_BUG("a policy changes through al_trust_format");
	for (size_t i = 0; i < a->nroles; i++) {
		const struct al_trust_role *x = &a->roles[i], *y = &b->roles[i];
		if (strcmp(x->name, y->name) || x->threshold != y->threshold || x->nkeys != y->nkeys)
			AL_BUG("a role changes through al_trust_format");
		for (size_t k = 0; k < x->nkeys; k++)
			if (memcmp(x->keys[k].keynum, y->keys[k].keynum, AL_KEYNUM) ||
			    memcmp(x->keys[k].pk, y->keys[k].pk, AL_PK))
				AL_BUG("a role's keys change through al_trust_format");
	}
	for (size_t i = 0; i < a->nrequire; i++)
		if (strcmp(a->require[i], b->require[i]))
			AL_BUG("the required roles change through al_trust_format");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct al_trust t, back;
	struct al_err err = { 0 };
	struct al_buf b;
	enum al_code rc;
	if (!ready) {
		if (al_crypto_init(NULL) != AL_OK)
			AL_BUG("libsodium does not initialize");
		make_empty_dir();
		ready = 1;
	}
	if (size > (1u << 20))
		return 0; /* al_trust_load reads at most 1 MiB */
	if (chdir(empty_dir) != 0)
		AL_BUG("cannot enter the empty directory");
	FUZZ_ON();
	rc = al_trust_parse((const char *)data, size, "fuzz", NULL, &t, &err);
	FUZZ_OFF();
	if (fchdir(caller_dir) != 0)
		AL_BUG("cannot go back to the working directory");
	if (rc != AL_OK) {
		if (err.code == AL_OK || !err.msg[0] || t.roles || t.nroles || t.require || t.nrequire)
			AL_BUG("a refused policy left no message or a half-filled policy");
		return 0;
	}
	check_policy(&t);
	al_buf_init(&b, 4u << 20);
	if (al_trust_format(&t, &b, &err) != AL_OK)
		AL_BUG("an accepted policy cannot be formatted");
	if (al_trust_parse(b.data, b.len, "fuzz (formatted)", NULL, &back, &err) != AL_OK) {
		fprintf(stderr, "formatted policy refused: %s\n%s", err.msg, b.data);
		AL_BUG("an accepted policy, formatted, is refused");
	}
	same_policy(&t, &back);
	al_trust_release(&back);
	al_trust_release(&t);
	al_buf_release(&b);
	return 0;
}
