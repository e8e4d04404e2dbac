/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vercmp.h: the version orders that vulnerability ranges are written in
 * (docs/protocols/osv.md).
 *
 *   PyPI      PEP 440 (pyver.h)
 *   Debian    dpkg's order: epoch, upstream and revision, '~' before everything
 *   SemVer    SemVer 2.0 precedence (build metadata ignored)
 *   Alpine    apk's order: digits, one letter, _suffixes (alpha < beta < pre < rc < none <
 *             cvs < svn < git < hg < p), -rN; a later digit group with a leading zero
 *             compares as a string
 *
 * A version that its order cannot read is AL_EINVAL, quoting it: the caller decides
 * what a range it cannot evaluate means (osv.c counts it as affecting). Nothing here
 * allocates.
 */
#ifndef AL_VERCMP_H
#define AL_VERCMP_H

#include "err.h"

enum al_vorder { AL_VORDER_NONE = 0, AL_VORDER_PEP440, AL_VORDER_DPKG, AL_VORDER_SEMVER, AL_VORDER_APK };

/* The order of an OSV ecosystem ("PyPI", "Debian", "Debian:12", …); NONE when airlock has none. */
enum al_vorder al_vorder_of(const char *ecosystem);
/* *cmp <0, 0, >0 as a orders before, equal to or after b under ORDER. */
enum al_code al_vercmp(enum al_vorder order, const char *a, const char *b, int *cmp, struct al_err *err);

#endif
