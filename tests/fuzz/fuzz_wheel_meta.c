/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wheel_meta.c: a wheel's core metadata (al_metadata_header over the
 * bytes of a METADATA file) and PEP 503 name normalization, as
 * al_wheel_read applies them to what it finds inside a wheel.
 *
 * Checks: a header value stays on its line and has no surrounding blanks; a
 * normalized name has no upper-case letter, no '_' or '.', and no run of
 * '-'; normalizing is idempotent.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "wheel.h"

static void check_normalized(const char *in, size_t n)
{
	char *a = al_pep503_normalize(in, n), *b;
	if (!a)
		AL_BUG("out of memory");
	for (const char *p = a; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '.' || (p[0] == '-' && p[1] == '-'))
			AL_BUG("a normalized name is not in PEP 503 form");
	b = al_pep503_normalize(a, strlen(a));
	if (!b || strcmp(a, b) != 0)
		AL_BUG("PEP 503 normalization is not idempotent");
	free(b);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "Name", "Version", "Requires-Python", "Metadata-Version",
					    "Summary" };
	const char *meta = (const char *)data;
	if (size > AL_MAX_METADATA)
		return 0; /* al_wheel_read refuses these */
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		struct al_err err = { 0 };
		char *v = NULL;
		size_t len;
		enum al_code rc;
		FUZZ_ON();
		rc = al_metadata_header(meta, size, keys[k], &v, &err);
		FUZZ_OFF();
		if (rc == AL_ENOMEM && !v && err.msg[0])
			continue; /* (allocation-failure mode) */
		if (rc != AL_OK)
			AL_BUG("reading a header failed otherwise than out of memory");
		if (!v)
			continue;
		len = strlen(v);
		if (len > size || strchr(v, '\n'))
			AL_BUG("a metadata header value runs past its line");
		/* a NUL inside a value cuts it short (strndup), after the trimming */
		if (len && !memchr(data, '\0', size) &&
		    (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' || v[len - 1] == '\t'))
			AL_BUG("a metadata header value is not trimmed");
		if (k == 0)
			check_normalized(v, len);
		free(v);
	}
	check_normalized(meta, size);
	return 0;
}
