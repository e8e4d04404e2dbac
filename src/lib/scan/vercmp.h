/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vercmp.h: the version orders that vulnerability ranges are written in, and the
 * CVSS v3 base score (docs/protocols/osv.md).
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

/*
 * The CVSS v3.0/v3.1 base score of VECTOR ("CVSS:3.1/AV:N/AC:L/…"), computed by the
 * specification's formulas (3.1's Roundup). Every base metric must be there once with a
 * defined value; temporal and environmental metrics are allowed and do not change the
 * base score. A vector that is not so is AL_EINVAL quoting it.
 */
enum al_code al_cvss3_base(const char *vector, double *score, struct al_err *err);
/* "NONE", "LOW", "MEDIUM", "HIGH" or "CRITICAL" for a CVSS score. */
const char *al_cvss_rating(double score);

#endif
