/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_imagepkgs.c: what an image's layers hand the package readers (al_image_packages_text):
 * any bytes, cut at the first two NUL bytes into os-release, dpkg's status and apk's installed
 * database.
 *
 * Checks: every package listed has an ecosystem, a name, a version and a purl, all strings,
 * and the purl starts with "pkg:deb/" or "pkg:apk/".
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3), *os, *status, *apkdb;
	json_t *out, *p;
	size_t i;
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = 0;
	/* (three NULs after the bytes: each cut lands inside the buffer) */
	os = buf;
	status = os + strlen(os) + 1;
	apkdb = status + strlen(status) + 1;
	out = al_image_packages_text(os, status, apkdb);
	if (!out)
		AL_BUG("no package list");
	json_array_foreach(out, i, p) {
		const char *purl = al_json_str(p, "purl");
		if (!al_json_str(p, "ecosystem") || !al_json_str(p, "name") || !al_json_str(p, "version") || !purl ||
		    (strncmp(purl, "pkg:deb/", 8) && strncmp(purl, "pkg:apk/", 8)))
			AL_BUG("a package without an ecosystem, a name, a version or a purl");
	}
	json_decref(out);
	free(buf);
	return 0;
}
