/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vercmp.c: a test driver for src/lib/scan/vercmp.h and cvss.h, so that an end-to-end
 * test can put airlock's version orders beside dpkg and Python's packaging (t1503), and
 * its CVSS scores beside an independent calculator (t1509).
 *
 *   vercmp < PAIRS
 *
 * reads lines "ORDER<TAB>A<TAB>B" (ORDER pep440, dpkg or semver) and prints, for each,
 * "-1", "0" or "1" as A orders before, equal to or after B, or "E" when the order
 * cannot read one of them. A line "cvss<TAB>TYPE<TAB>VECTOR" (TYPE CVSS_V2, CVSS_V3 or
 * CVSS_V4) prints the vector's score with one decimal, or "E". Exit 0, or 2 on a
 * malformed line.
 */
#include <stdio.h>
#include <string.h>

#include "cvss.h"
#include "vercmp.h"

int main(void)
{
	char line[4096];
	unsigned long no = 0;
	while (fgets(line, sizeof(line), stdin)) {
		char *a, *b, *nl = strchr(line, '\n');
		enum al_vorder o;
		struct al_err err = { 0 };
		int c = 0;
		no++;
		if (nl)
			*nl = 0;
		if (!(a = strchr(line, '\t')) || !(b = strchr(a + 1, '\t'))) {
			fprintf(stderr, "vercmp: line %lu is not ORDER<TAB>A<TAB>B\n", no);
			return 2;
		}
		*a++ = 0;
		*b++ = 0;
		if (!strcmp(line, "cvss")) {
			double s;
			if (al_cvss_score(a, b, &s, &err))
				puts("E");
			else
				printf("%.1f\n", s);
			continue;
		}
		o = !strcmp(line, "pep440") ? AL_VORDER_PEP440 : !strcmp(line, "dpkg") ? AL_VORDER_DPKG
			: !strcmp(line, "semver") ? AL_VORDER_SEMVER : AL_VORDER_NONE;
		if (o == AL_VORDER_NONE) {
			fprintf(stderr, "vercmp: line %lu: unknown order '%s'\n", no, line);
			return 2;
		}
		if (al_vercmp(o, a, b, &c, &err))
			puts("E");
		else
			printf("%d\n", c < 0 ? -1 : c > 0);
	}
	return 0;
}
