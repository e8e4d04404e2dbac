/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_vercmp.c: two version strings from outside data (vercmp.h): the input split at its
 * first newline, compared under every order; and the input as a CVSS vector.
 *
 * Checks: the comparison is antisymmetric (a against b is the opposite of b against a),
 * every version equals itself, a refusal carries a message; a CVSS score, when there is
 * one, lies in [0, 10] with one decimal.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cvss.h"
#include "vercmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = malloc(size + 1), *b;
	double s;
	struct al_err err = { 0 };
	if (!a)
		return 0;
	memcpy(a, data, size);
	a[size] = 0;
	if (strlen(a) != size) {
		free(a);
		return 0; /* (versions are C strings) */
	}
	for (int v = 0; v < 3; v++)
		if (!al_cvss_score((const char *[]){ "CVSS_V2", "CVSS_V3", "CVSS_V4" }[v], a, &s, &err) &&
		    (s < 0 || s > 10 || fabs(s * 10 - round(s * 10)) > 1e-9))
			AL_BUG("a CVSS score out of range or with more than one decimal");
	b = strchr(a, '\n');
	if (b)
		*b++ = 0;
	else
		b = a;
	for (int o = AL_VORDER_PEP440; o <= AL_VORDER_APK; o++) {
		int x = 0, y = 0, z = 1;
		struct al_err e1 = { 0 }, e2 = { 0 };
		enum al_code r1 = al_vercmp((enum al_vorder)o, a, b, &x, &e1), r2 = al_vercmp((enum al_vorder)o, b, a, &y, &e2);
		if ((r1 && !e1.msg[0]) || (r2 && !e2.msg[0]) || (!r1) != (!r2))
			AL_BUG("a refusal without a message, or one way only");
		if (!r1 && ((x > 0) - (x < 0)) != -((y > 0) - (y < 0)))
			AL_BUG("a comparison that is not antisymmetric");
		if (!r1 && (al_vercmp((enum al_vorder)o, a, a, &z, &e1) || z))
			AL_BUG("a version that is not equal to itself");
	}
	free(a);
	return 0;
}
