/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_pickle.c: what a model file hands the pickle scanner (al_pickle_scan): any bytes.
 *
 * Checks: the only error is AL_ENOMEM (a malformed pickle is a finding); reading stops
 * inside the bytes; every import has a module and a name, no import is allowed that is
 * not on the allowlist or whose name could not be read, and an EXT* import never is.
 */
#include <string.h>

#include "fuzz.h"
#include "pickle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_pickle_scan s;
	struct al_err err = { 0 };
	enum al_code rc;
	FUZZ_ON();
	rc = al_pickle_scan(data, size, &s, &err);
	FUZZ_OFF();
	if (rc && (rc != AL_ENOMEM || !err.msg[0]))
		AL_BUG("a scan that failed other than for memory");
	if (!rc && (s.end > size || (s.malformed && !s.why[0])))
		AL_BUG("a scan that read past the bytes, or a malformed pickle without a reason");
	for (size_t i = 0; !rc && i < s.n; i++) {
		const struct al_pickle_import *im = &s.v[i];
		if (!im->module || !im->name || im->offset >= size)
			AL_BUG("an import without a module, a name or a place");
		if (im->allowed && (!strcmp(im->module, "?") || !strcmp(im->name, "?") || !strncmp(im->op, "EXT", 3) ||
				    !al_pickle_allowed(im->module, im->name)))
			AL_BUG("an import allowed that is not on the allowlist");
	}
	al_pickle_scan_release(&s);
	return 0;
}
