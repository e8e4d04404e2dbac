/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_registry.c: what a registry or a spec hands the registry client: a
 * WWW-Authenticate value (al_challenge_parse) and a docker:// reference
 * (al_docker_ref_parse, the input after "docker://").
 *
 * Checks: a failure is AL_EINVAL with a message (or AL_ENOMEM in the
 * allocation-failure replay); a parsed challenge has a scheme without spaces or
 * commas; a parsed reference has a host and a repository, a tag or a pin, and a pin
 * is "sha256:" and 64 lower-case hex digits.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry.h"

static void challenge(const char *s)
{
	struct al_challenge c;
	struct al_err err = { 0 };
	enum al_code rc;
	FUZZ_ON();
	rc = al_challenge_parse(s, &c, &err);
	FUZZ_OFF();
	if (rc) {
		if ((rc != AL_EINVAL && rc != AL_ENOMEM) || !err.msg[0])
			AL_BUG("a refused challenge without a message");
		return;
	}
	if (!c.scheme[0] || strpbrk(c.scheme, " ,"))
		AL_BUG("a challenge scheme that is empty or holds a separator");
	al_challenge_release(&c);
}

static void reference(const char *s, size_t n)
{
	struct al_docker_ref r;
	struct al_err err = { 0 };
	char *ref = malloc(n + 10);
	enum al_code rc;
	if (!ref)
		return;
	memcpy(ref, "docker://", 9);
	memcpy(ref + 9, s, n + 1);
	FUZZ_ON();
	rc = al_docker_ref_parse(ref, &r, &err);
	FUZZ_OFF();
	free(ref);
	if (rc) {
		if ((rc != AL_EINVAL && rc != AL_ENOMEM) || !err.msg[0])
			AL_BUG("a refused reference without a message");
		return;
	}
	if (!*r.host || !*r.repo || (!r.tag && !r.digest[0]) || (r.tag && !*r.tag))
		AL_BUG("a reference without a host, a repository, or a tag or pin");
	if (r.digest[0] && (strncmp(r.digest, "sha256:", 7) || strlen(r.digest) != 71 ||
			    strspn(r.digest + 7, "0123456789abcdef") != 64))
		AL_BUG("a pin that is not sha256: and 64 lower-case hex digits");
	al_docker_ref_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	if (size > 4096 || memchr(data, '\0', size))
		return 0;
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	challenge(s);
	reference(s, size);
	free(s);
	return 0;
}
