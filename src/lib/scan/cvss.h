/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cvss.h: the scores of CVSS vectors, computed from the vector by each version's own
 * rules, never copied from a record (docs/protocols/osv.md):
 *
 *   v2    "AV:N/AC:L/Au:N/C:P/I:P/A:P"          the base equation of CVSS v2
 *   v3    "CVSS:3.0/…" or "CVSS:3.1/…"           the base equations, 3.1's Roundup
 *   v4    "CVSS:4.0/…"                           the MacroVector lookup and interpolation,
 *                                                with threat and environmental metrics
 *                                                (the CVSS-B, -BT, -BE or -BTE score)
 *
 * Every base metric must be there exactly once with a defined value; any other metric
 * of the version may follow, once, with one of its values. A vector that is not so is
 * AL_EINVAL quoting it, so that a record cannot lower its severity by being malformed.
 * Nothing here allocates.
 */
#ifndef AL_CVSS_H
#define AL_CVSS_H

#include "err.h"

enum al_code al_cvss2_base(const char *vector, double *score, struct al_err *err);
enum al_code al_cvss3_base(const char *vector, double *score, struct al_err *err);
enum al_code al_cvss4_score(const char *vector, double *score, struct al_err *err);
/*
 * The score of an OSV `severity` entry of TYPE ("CVSS_V2", "CVSS_V3", "CVSS_V4"); AL_ENOENT
 * for a type that is not CVSS (e.g. "Ubuntu"), AL_EINVAL for a vector that does not parse.
 */
enum al_code al_cvss_score(const char *type, const char *vector, double *score, struct al_err *err);
/* "NONE", "LOW", "MEDIUM", "HIGH" or "CRITICAL" for a CVSS score. */
const char *al_cvss_rating(double score);

#endif
