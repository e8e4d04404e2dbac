/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pymarker.c: environment markers evaluated for a target
 * (src/lib/fetch/pymarker.h) against pip's vendored packaging, which evaluated
 * every marker of pep508_vectors.h (made by tests/data/pep508/make-vectors.py)
 * in the same target environments: version and string comparisons, `in`,
 * aliases, `and`/`or`/parentheses, and the markers it refuses (malformed,
 * unknown names, names a target cannot know). Three comparisons packaging
 * evaluates are refused on purpose; the generator says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pymarker.h"
#include "unit.h"

#include "pep508_vectors.h"

static void test_vectors(void **state)
{
	int bad = 0;
	for (size_t i = 0; i < sizeof(pep508) / sizeof(pep508[0]); i++) {
		struct al_pytarget t;
		struct al_err err = { 0 };
		int yes = -9, got;
		if (al_pytarget_init(&t, pep508[i].python, pep508[i].platform, &err))
			fail_msg("%s", err.msg);
		enum al_code rc = al_pymarker_eval(pep508[i].marker, &t, &yes, &err);
		got = rc ? -1 : yes;
		if (rc && pep508[i].yes == -2)
			got = -2;
		if (got != pep508[i].yes) {
			print_error("'%s' on %s %s: %d, packaging says %d (%s)\n", pep508[i].marker, pep508[i].python,
				    pep508[i].platform, got, pep508[i].yes, err.msg);
			bad++;
		}
		if (rc) {
			assert_int_equal(rc, AL_EINVAL);
			assert_contains(err.msg, pep508[i].marker);
		}
	}
	assert_int_equal(bad, 0);
}

static void test_messages(void **state)
{
	static const struct {
		const char *marker, *msg;
	} rows[] = {
		{ "platform_release >= '5'", "'platform_release' cannot be known for a target (Python 3.11 on linux/amd64)" },
		{ "foo == 'bar'", "'foo' is not a marker variable" },
		{ "python_version === '3.11'", "the '===' operator is not supported" },
		{ "'a' == 'a'", "it compares two strings" },
		{ "python_version == os_name", "it compares two variables" },
		{ "(python_version == '3.11'", "a ')' is missing" },
		{ "python_version == '3.11", "a string has no closing quote" },
		{ "python_version", "a comparison operator was expected" },
		{ "python_version == '3.11' xor", "unexpected text after the end" },
		{ "python_version ~= 'x'", "'~=' compares versions only" },
	};
	struct al_pytarget t;
	struct al_err err = { 0 };
	assert_int_equal(al_pytarget_init(&t, "3.11", "linux/amd64", &err), AL_OK);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int yes;
		al_err_clear(&err);
		assert_int_equal(al_pymarker_eval(rows[i].marker, &t, &yes, &err), AL_EINVAL);
		assert_contains(err.msg, rows[i].msg);
	}
}

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"

/* a name may repeat under exclusive markers; two that both hold for a target are refused */
static void test_applying(void **state)
{
	static const char txt[] = "numpy==1.24.4 ; python_version < '3.9' --hash=sha256:" H1 "\n"
				  "numpy==1.26.4 ; python_version >= '3.9' --hash=sha256:" H1 "\n"
				  "pywin32==306 ; sys_platform == 'win32' --hash=sha256:" H1 "\n"
				  "idna==3.6 --hash=sha256:" H1 "\n"
				  "pywin32==305 ; os_name == 'nt' --hash=sha256:" H1 "\n";
	struct al_pyreqs r;
	struct al_pytarget t;
	struct al_err err = { 0 };
	unsigned char applies[5];
	assert_int_equal(al_pyreqs_parse("req.txt", txt, strlen(txt), &r, &err), AL_OK);
	assert_int_equal(al_pytarget_init(&t, "3.11", "linux/arm64/v8", &err), AL_OK);
	assert_int_equal(al_pyreqs_applying(&r, &t, applies, &err), AL_OK);
	assert_memory_equal(applies, ((unsigned char[]){ 0, 1, 0, 1, 0 }), 5);
	assert_int_equal(al_pytarget_init(&t, "3.8", "linux/amd64", &err), AL_OK);
	assert_int_equal(al_pyreqs_applying(&r, &t, applies, &err), AL_OK);
	assert_memory_equal(applies, ((unsigned char[]){ 1, 0, 0, 1, 0 }), 5);
	assert_int_equal(al_pytarget_init(&t, "3.12", "windows/amd64", &err), AL_OK);
	assert_int_equal(al_pyreqs_applying(&r, &t, applies, &err), AL_EINVAL);
	assert_string_equal(err.msg, "req.txt:5: 'pywin32' applies twice to Python 3.12 on windows/amd64 (also line 3): make the markers exclusive");
	al_pyreqs_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_applying),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
