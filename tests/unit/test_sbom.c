/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sbom.c: the purls of the SBOM (src/lib/bundle/sbom.c). The expected strings
 * are written by hand from the purl specification (ECMA-427): every byte but the
 * unreserved ones percent-encoded in upper-case hex, '/' kept between a name's
 * segments, and ':' of a digest version encoded as %3A.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sbom.h"
#include "unit.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	enum al_kind kind;
	const char *name, *info, *want, *upstream;
} purl_cases[] = {
	{ AL_KIND_WHEEL, "six", "{\"project\":\"six\",\"version\":\"1.16.0\",\"filename\":\"six-1.16.0-py2.py3-none-any.whl\"}",
	  "pkg:pypi/six@1.16.0?file_name=six-1.16.0-py2.py3-none-any.whl", NULL },
	{ AL_KIND_WHEEL, "x", "{\"project\":\"a b\",\"version\":\"1.0+local/1\",\"filename\":\"f.whl\"}",
	  "pkg:pypi/a%20b@1.0%2Blocal%2F1?file_name=f.whl", NULL },
	{ AL_KIND_IMAGE, "library/Alpine:3.20", "{}", "pkg:oci/alpine@sha256%3A" D64 "?tag=3.20", NULL },
	{ AL_KIND_IMAGE, "registry/tools/busy box", "{}", "pkg:oci/busy%20box@sha256%3A" D64, NULL },
	{ AL_KIND_MODEL, "org/model-v1.5", "{\"revision\":\"abc123\"}", "pkg:huggingface/org/model-v1.5@abc123", NULL },
	{ AL_KIND_MODEL, "local model", "{}", "pkg:generic/local%20model@sha256%3A" D64, NULL },
	{ AL_KIND_FILE, "docs/r\xc3\xa9sum\xc3\xa9~1.txt", "{}",
	  "pkg:generic/docs/r%C3%A9sum%C3%A9~1.txt@sha256%3A" D64, NULL },
	/* where they came from: another index than PyPI's, a registry (ECMA-427 leaves '/' and ':' as they
	 * are in a qualifier value, as its own example repository_url=docker.io/library/debian does) */
	{ AL_KIND_WHEEL, "six",
	  "{\"project\":\"six\",\"version\":\"1.16.0\",\"filename\":\"s.whl\",\"index\":\"https://pypi.internal:8443/simple\"}",
	  "pkg:pypi/six@1.16.0?file_name=s.whl&repository_url=https://pypi.internal:8443/simple", NULL },
	{ AL_KIND_WHEEL, "six", "{\"project\":\"six\",\"version\":\"1.16.0\",\"filename\":\"s.whl\",\"index\":\"https://pypi.org/simple\"}",
	  "pkg:pypi/six@1.16.0?file_name=s.whl", NULL },
	{ AL_KIND_IMAGE, "app:1.0", "{}", "pkg:oci/app@sha256%3A" D64 "?repository_url=r.io:5000/org/app&tag=1.0",
	  "docker://r.io:5000/org/app:1.0@sha256:" D64 },
	{ AL_KIND_IMAGE, "app:sha256-0123", "{}", "pkg:oci/app@sha256%3A" D64 "?repository_url=r.io/app&tag=sha256-0123",
	  "docker://r.io/app@sha256:" D64 },
};

static void test_purls(void **state)
{
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(purl_cases) / sizeof(purl_cases[0]); i++) {
		struct al_artifact a = { .kind = purl_cases[i].kind, .name = (char *)purl_cases[i].name,
					 .upstream = (char *)purl_cases[i].upstream };
		char *got;
		memcpy(a.digest, "sha256:" D64, sizeof("sha256:" D64));
		a.info = json_loads(purl_cases[i].info, 0, NULL);
		assert_non_null(a.info);
		got = al_purl(&a);
		if (!got || strcmp(got, purl_cases[i].want)) {
			print_message("row %zu: got %s, want %s\n", i, got ? got : "(null)", purl_cases[i].want);
			bad++;
		}
		free(got);
		json_decref(a.info);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_purls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
