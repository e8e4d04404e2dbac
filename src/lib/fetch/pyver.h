/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pyver.h: Python versions (PEP 440) and version specifiers, as pip's vendored
 * `packaging` 21.3 reads them: enough to match a requirement's `==` pin against a
 * file's version (zero padding, local labels), to order two versions, and to
 * test a target Python against a file's Requires-Python.
 *
 * Invariants: a parsed version is normalized (alpha/beta/c/pre/preview become
 * a/b/rc, rev/r become post, the local label is lower case with '.' separators);
 * the release has 1 to AL_PYVER_MAXREL numbers. Nothing here allocates.
 */
#ifndef AL_PYVER_H
#define AL_PYVER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum { AL_PYVER_MAXREL = 16, AL_PYVER_MAXLOCAL = 64 };

enum al_pypre { AL_PYPRE_NONE = 0, AL_PYPRE_A, AL_PYPRE_B, AL_PYPRE_RC };

struct al_pyver {
	uint64_t epoch;
	uint64_t rel[AL_PYVER_MAXREL];
	size_t nrel;
	enum al_pypre pre;
	uint64_t pre_n;
	int has_post;
	uint64_t post;
	int has_dev;
	uint64_t dev;
	char local[AL_PYVER_MAXLOCAL]; /* "" when there is none */
};

/*
 * Parses s[0..n) (surrounding spaces allowed, as packaging strips them). A string
 * packaging would not read as a version, or with numbers past 2^64-1, more than
 * AL_PYVER_MAXREL release numbers or a longer local label, is AL_EINVAL with a
 * message that quotes it.
 */
enum al_code al_pyver_parse(const char *s, size_t n, struct al_pyver *v, struct al_err *err);
/* <0, 0, >0 as a orders before, equal to or after b (PEP 440's total order). */
int al_pyver_cmp(const struct al_pyver *a, const struct al_pyver *b);
/* 1 when the version has a pre-release or dev part. */
int al_pyver_is_pre(const struct al_pyver *v);
/* PEP 440 `==V` (no wildcard): the local label of v is ignored when pin has none. */
int al_pyver_pin_matches(const struct al_pyver *pin, const struct al_pyver *v);

/*
 * Tests v against a specifier set such as ">=3.8, !=3.9.*, <4" (the comma-separated
 * form of Requires-Python): *yes is 1 when every specifier holds. An empty set holds.
 * A malformed set is AL_EINVAL quoting it. Pre-release filtering is not applied: the
 * callers test final versions (a target Python).
 */
enum al_code al_pyspec_contains(const char *spec, size_t n, const struct al_pyver *v, int *yes,
				struct al_err *err);

#endif
