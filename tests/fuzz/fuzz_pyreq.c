/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_pyreq.c: a hash-pinned requirements file (al_pyreqs_parse) and the
 * environment markers in it (al_pyreqs_applying, for two targets).
 *
 * Checks: a failure is AL_EINVAL/AL_ELIMIT with a message that names the file
 * (or AL_ENOMEM in the allocation-failure replay); a success holds only
 * requirements with a normalized name, a version that parses and equals its pin,
 * and 1+ distinct sha256 of 64 lower-case hex digits; marker evaluation fails only
 * with AL_EINVAL and a message, and never both holds and refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pymarker.h"
#include "pyreq.h"
#include "wheel.h"

static void check(const struct al_pyreqs *r)
{
	for (size_t k = 0; k < r->n; k++) {
		const struct al_pyreq *q = &r->v[k];
		struct al_pyver v;
		char *n = al_pep503_normalize(q->name, strlen(q->name));
		if (!n)
			return;
		if (strcmp(n, q->normalized))
			AL_BUG("a requirement's name is not normalized");
		free(n);
		if (al_pyver_parse(q->version, strlen(q->version), &v, NULL) || al_pyver_cmp(&v, &q->pin))
			AL_BUG("a pinned version does not parse back to its pin");
		if (!q->nsha256 || q->line == 0)
			AL_BUG("a requirement without a hash or a line");
		for (size_t i = 0; i < q->nsha256; i++) {
			if (strlen(q->sha256[i]) != 64 || strspn(q->sha256[i], "0123456789abcdef") != 64)
				AL_BUG("a hash that is not 64 lower-case hex digits");
			for (size_t j = 0; j < i; j++)
				if (!strcmp(q->sha256[i], q->sha256[j]))
					AL_BUG("a hash listed twice");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const targets[][2] = {{"3.11", "linux/amd64"}, {"3.8.2", "windows/386"}};
	struct al_pyreqs r;
	struct al_err err = {0};
	enum al_code rc;
	if (size > AL_MAX_REQUIREMENTS)
		return 0;
	FUZZ_ON();
	rc = al_pyreqs_parse("req.txt", (const char *)data, size, &r, &err);
	FUZZ_OFF();
	if (rc == AL_ENOMEM && err.msg[0])
		return 0; /* (allocation-failure mode) */
	if (rc) {
		if ((rc != AL_EINVAL && rc != AL_ELIMIT) || strncmp(err.msg, "req.txt", 7))
			AL_BUG("a refused requirements file without a message naming it");
		return 0;
	}
	check(&r);
	for (size_t t = 0; t < 2; t++) {
		struct al_pytarget tg;
		unsigned char *applies = calloc(r.n + 1, 1);
		if (!applies || al_pytarget_init(&tg, targets[t][0], targets[t][1], &err))
			AL_BUG("cannot set up a target");
		al_err_clear(&err);
		rc = al_pyreqs_applying(&r, &tg, applies, &err);
		if (rc && (rc != AL_EINVAL || !err.msg[0]))
			AL_BUG("a marker refused without a message");
		for (size_t k = 0; !rc && k < r.n; k++)
			if (applies[k] > 1 || (applies[k] == 0 && !r.v[k].marker))
				AL_BUG("a requirement without a marker does not apply");
		free(applies);
	}
	al_pyreqs_release(&r);
	return 0;
}
