/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wheelpick.c: a test driver for the wheel selection of src/lib/fetch/, so the
 * end-to-end tests can put it beside pip (tests/e2e/t1450-wheels-pick-pip.sh).
 * It only reads: index pages from a directory laid out as a PEP 503 tree
 * (DIR/<project>/index.html, or index.json with --json), with the URL the pages
 * would have under INDEX-URL, so links resolve as they would when served.
 *
 *   wheelpick tags PYTHON PLATFORM [--musl MINOR] [--glibc MINOR]
 *   wheelpick platforms PYTHON PLATFORM [--musl MINOR] [--glibc MINOR]
 *   wheelpick pick PYTHON PLATFORM REQUIREMENTS DIR INDEX-URL [--json]
 *
 * `pick` prints one chosen file name a line, in the order of the file, for the
 * requirements whose environment marker holds for the target;
 * the first refusal goes to stderr and sets the exit code (1 for a refused hash,
 * 2 for anything else), as airlock's commands do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "pymarker.h"
#include "pyreq.h"
#include "pytags.h"
#include "wheels.h"

static int die(const struct al_err *err)
{
	fprintf(stderr, "wheelpick: %s\n", err->msg);
	return al_code_exit(err->code);
}

int main(int argc, char **argv)
{
	struct al_err err = {0};
	struct al_pytarget t;
	struct al_pytags tags;
	int json = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: wheelpick tags|platforms|pick PYTHON PLATFORM …\n");
		return 64;
	}
	if (al_pytarget_init(&t, argv[2], argv[3], &err))
		return die(&err);
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--musl") && i + 1 < argc) {
			if (al_pytarget_musl(&t, (unsigned)strtoul(argv[++i], NULL, 10), &err))
				return die(&err);
		} else if (!strcmp(argv[i], "--glibc") && i + 1 < argc) {
			t.libc_minor = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		}
	}
	if (!strcmp(argv[1], "tags") || !strcmp(argv[1], "platforms")) {
		enum al_code rc = !strcmp(argv[1], "tags") ? al_pytags_build(&t, &tags, &err)
							   : al_pytags_platforms(&t, &tags, &err);
		if (rc)
			return die(&err);
		for (size_t k = 0; k < tags.n; k++)
			printf("%s\n", tags.tag[k]);
		al_pytags_release(&tags);
		return 0;
	}
	if (strcmp(argv[1], "pick") || argc < 7) {
		fprintf(stderr,
			"usage: wheelpick pick PYTHON PLATFORM REQUIREMENTS DIR INDEX-URL [--json]\n");
		return 64;
	}
	struct al_pyreqs reqs;
	unsigned char *applies;
	int code = 0;
	if (al_pyreqs_read(argv[4], &reqs, &err))
		return die(&err);
	if (!(applies = calloc(reqs.n + 1, 1)) || al_pyreqs_applying(&reqs, &t, applies, &err) ||
	    al_pytags_build(&t, &tags, &err)) {
		code = applies ? die(&err) : 2;
		free(applies);
		al_pyreqs_release(&reqs);
		return code;
	}
	for (size_t k = 0; k < reqs.n && !code; k++) {
		const struct al_pyreq *q = &reqs.v[k];
		if (!applies[k])
			continue;
		char *path = al_strf("%s/%s/index.%s", argv[5], q->normalized, json ? "json" : "html");
		char *url = al_strf("%s/%s/", argv[6], q->normalized);
		struct al_buf b;
		struct al_pypage page;
		struct al_pypick pick;
		al_buf_init(&b, AL_MAX_INDEX_PAGE);
		if (!path || !url)
			code = die(&(struct al_err){.code = AL_ENOMEM, .msg = "out of memory"});
		else if (al_read_file(path, 0, &b, &err) ||
			 al_pypage_parse(url, json ? AL_PYFORM_JSON : AL_PYFORM_HTML, b.data ? b.data : "",
					 b.len, &page, &err))
			code = die(&err);
		else {
			if (al_wheels_pick(&reqs, q, &page, &t, &tags, &pick, &err))
				code = die(&err);
			else
				printf("%s\n", pick.file->filename);
			al_pypage_release(&page);
		}
		al_buf_release(&b);
		free(path);
		free(url);
	}
	al_pytags_release(&tags);
	al_pyreqs_release(&reqs);
	free(applies);
	return code;
}
