/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_pypage.c: a project page of a Python index (al_pypage_parse), the
 * first input byte choosing the form (even: PEP 503 HTML, odd: PEP 691 JSON),
 * then the choice of a wheel for a fixed requirement and target from it.
 *
 * Checks: a failure carries a message; every file read has an absolute URL on
 * the page's scheme or its own, a file name with no '/' and a sha256 of at
 * most 128 characters; a choice, when made, is one of the page's files, a wheel
 * whose sha256 is pinned, and is never yanked while an unyanked pinned one of
 * the same standing exists (that is for the unit tests; here: it is on the page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wheels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char req[] = "foo==1.0 --hash=sha256:"
				  "1111111111111111111111111111111111111111111111111111111111111111\n";
	struct al_pypage p;
	struct al_pyreqs r;
	struct al_pytarget t;
	struct al_pytags tags;
	struct al_pypick k;
	struct al_err err = {0};
	enum al_code rc;
	if (!size || size > 1u << 20)
		return 0;
	FUZZ_ON();
	rc = al_pypage_parse("https://idx.example/simple/foo/",
			     (data[0] & 1) ? AL_PYFORM_JSON : AL_PYFORM_HTML, (const char *)data + 1,
			     size - 1, &p, &err);
	FUZZ_OFF();
	if (rc == AL_ENOMEM && err.msg[0])
		return 0; /* (allocation-failure mode) */
	if (rc) {
		if (!err.msg[0])
			AL_BUG("a refused page without a message");
		return 0;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (!strstr(p.f[i].url, ":") || strchr(p.f[i].filename, '/') || strlen(p.f[i].sha256) > 128)
			AL_BUG("a file of the page is not what al_pypage_parse promises");
	}
	if (al_pyreqs_parse("req.txt", req, strlen(req), &r, &err) ||
	    al_pytarget_init(&t, "3.11", "linux/amd64", &err) || al_pytags_build(&t, &tags, &err))
		AL_BUG("cannot set up the requirement and target");
	rc = al_wheels_pick(&r, &r.v[0], &p, &t, &tags, &k, &err);
	if (rc && !err.msg[0])
		AL_BUG("a refused choice without a message");
	if (!rc) {
		if (k.file < p.f || k.file >= p.f + p.n || !al_pyreq_has_hash(&r.v[0], k.file->sha256) ||
		    k.rank < 0 || (size_t)k.rank >= tags.n)
			AL_BUG("a choice that is not a pinned file of the page");
	}
	al_pytags_release(&tags);
	al_pyreqs_release(&r);
	al_pypage_release(&p);
	return 0;
}
