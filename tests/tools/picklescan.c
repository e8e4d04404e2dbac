/* SPDX-License-Identifier: Apache-2.0 */
/*
 * picklescan.c: a test driver for src/lib/scan/pickle.c, so the end-to-end tests can put
 * it beside Python's own pickle module (tests/e2e/t1500-scan-pickle.sh).
 *
 *   picklescan FILE
 *
 * prints "format F" (al_pickle_scan_file), then for each pickle found ("member NAME" first
 * when it is not the file itself) one line per import, "OFFSET OP MODULE NAME
 * allowed|refused", then "pickles N end E" and, when the bytes are not whole pickles,
 * "malformed: WHY". Exit 0 when every import is allowed and nothing is malformed, 1
 * otherwise, 2 on an error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pickle.h"

int main(int argc, char **argv)
{
	struct al_err err = { 0 };
	struct al_pickle_file f;
	int bad = 0;
	if (argc != 2) {
		fprintf(stderr, "usage: picklescan FILE\n");
		return 64;
	}
	if (al_pickle_scan_file(argv[1], &f, &err)) {
		fprintf(stderr, "picklescan: %s\n", err.msg);
		al_pickle_file_release(&f);
		return 2;
	}
	printf("format %s\n", f.format);
	for (size_t k = 0; k < f.n; k++) {
		const struct al_pickle_scan *s = &f.v[k].scan;
		if (f.v[k].where[0])
			printf("member %s\n", f.v[k].where);
		for (size_t i = 0; i < s->n; i++) {
			printf("%llu %s %s %s %s\n", (unsigned long long)s->v[i].offset, s->v[i].op, s->v[i].module,
			       s->v[i].name, s->v[i].allowed ? "allowed" : "refused");
			bad |= !s->v[i].allowed;
		}
		printf("pickles %zu end %llu\n", s->pickles, (unsigned long long)s->end);
		if (s->malformed)
			printf("malformed: %s\n", s->why);
		bad |= s->malformed;
	}
	al_pickle_file_release(&f);
	return bad;
}
