/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wheels.h: choosing, for one hash-pinned requirement and one target, the
 * wheel pip would choose from a project's index page, with no network code:
 * the caller fetches the page (PEP 503 HTML or PEP 691 JSON) and later the
 * chosen file, and checks the file's bytes against `sha256` as it streams.
 *
 * The choice follows pip 23's PackageFinder and resolver with
 * `--only-binary=:all: --no-deps` in hash-checking mode (docs/protocols/pypi-client.md
 * §4): wheels of the project whose version equals the pin, with a supported tag
 * and a Requires-Python the target meets; if any has a pinned hash, those with
 * another hash are dropped; then the best by (pinned hash, not yanked, version,
 * tag rank, build tag), a later file on the page winning a tie; a yanked file
 * only when every remaining one is. The chosen file must have a pinned sha256,
 * else the choice is refused, as pip's download would be.
 */
#ifndef AL_WHEELS_H
#define AL_WHEELS_H

#include <stddef.h>

#include "err.h"
#include "pyreq.h"
#include "pytags.h"

enum { AL_MAX_INDEX_PAGE = 64u << 20 }; /* bytes of one project page */

struct al_pyfile {
	char *url;	       /* absolute: the link resolved against the page's URL (and <base>) */
	char *filename;	       /* the URL's last path segment, percent-decoded */
	char sha256[129];      /* the page's sha256 as written ("" when it gives none) */
	char *requires_python; /* or NULL */
	int yanked;
	char *yanked_reason; /* or NULL (also when yanked without a reason) */
};

struct al_pypage {
	char *url;
	struct al_pyfile *f;
	size_t n, cap;
};

enum al_pyform { AL_PYFORM_HTML = 0, AL_PYFORM_JSON };

/*
 * Reads a project page: `url` is where it was fetched from (links resolve
 * against it; copied), `form` what its Content-Type said
 * (application/vnd.pypi.simple.v1+json is JSON; text/html and …v1+html are HTML).
 * Release with al_pypage_release() after success.
 */
enum al_code al_pypage_parse(const char *url, enum al_pyform form, const char *data, size_t n,
			     struct al_pypage *page, struct al_err *err);
void al_pypage_release(struct al_pypage *page);

struct al_pypick {
	const struct al_pyfile *file; /* borrowed from the page */
	long rank;		      /* its best tag's place in the target's list */
	int yanked;		      /* pip would warn; the caller should say so too */
};

/*
 * Chooses q's wheel from `page` for the target whose supported tags are `tags`
 * (from al_pytags_build for t). Refusals are AL_EVERIFY (a file whose sha256 is not
 * pinned or not given) or AL_ENOENT (no wheel: not on the index, only an sdist,
 * no compatible tag, Requires-Python excludes the target), each naming the
 * requirement, its line and the target.
 */
enum al_code al_wheels_pick(const struct al_pyreqs *reqs, const struct al_pyreq *q,
			    const struct al_pypage *page, const struct al_pytarget *t,
			    const struct al_pytags *tags, struct al_pypick *out, struct al_err *err);

#endif
