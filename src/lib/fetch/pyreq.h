/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pyreq.h: a requirements file in pip's hash-checking mode, as
 * `pip-compile --generate-hashes` writes it:
 *
 *     torch==2.1.0 ; sys_platform == "linux" \
 *         --hash=sha256:0123… \
 *         --hash=sha256:4567…
 *
 * Lines are joined and comments removed as pip does (a line ending in '\'
 * continues; '#' at the start or after a space starts a comment). Every
 * requirement must be pinned to one version with `==` (no wildcard) and carry at
 * least one `--hash=sha256:` of 64 lower-case hex digits; anything else is an
 * error that names the file and the (first) line of the requirement. Of the
 * options, `--index-url`/`-i` is recorded and `--require-hashes` accepted (it is
 * the mode anyway); every other option is refused, with its reason
 * (docs/protocols/pypi-client.md §2 has the table).
 *
 * Nothing is evaluated here: the environment marker after ';' is kept as text
 * for al_pyreqs_applying() (pymarker.h).
 */
#ifndef AL_PYREQ_H
#define AL_PYREQ_H

#include <stddef.h>

#include "err.h"
#include "pyver.h"

enum { AL_MAX_REQUIREMENTS = 16u << 20 }; /* bytes of one requirements file */

struct al_pyreq {
	char *name;	     /* as written */
	char *normalized;    /* PEP 503 */
	char *extras;	     /* "a,b" as written, without spaces, or NULL */
	char *version;	     /* the pinned version, as written */
	struct al_pyver pin; /* the same, parsed */
	char *marker;	     /* the environment marker after ';', trimmed, or NULL */
	char (*sha256)[65];  /* the pinned hashes, lower-case hex, each once */
	size_t nsha256;
	size_t line; /* the line the requirement starts on, from 1 */
};

struct al_pyreqs {
	char *file; /* the name used in messages */
	struct al_pyreq *v;
	size_t n, cap;
	char *index_url; /* --index-url / -i, or NULL */
};

/*
 * Parses data[0..n) (the contents of `file`, which only names it in messages; copied).
 * On failure `out` is released. Call al_pyreqs_release() after success.
 */
enum al_code al_pyreqs_parse(const char *file, const char *data, size_t n, struct al_pyreqs *out,
			     struct al_err *err);
/* Reads and parses the file at path (at most AL_MAX_REQUIREMENTS bytes). */
enum al_code al_pyreqs_read(const char *path, struct al_pyreqs *out, struct al_err *err);
void al_pyreqs_release(struct al_pyreqs *r);
/* 1 when the requirement pins this sha256 (64 lower-case hex digits). */
int al_pyreq_has_hash(const struct al_pyreq *q, const char *sha256);

#endif
