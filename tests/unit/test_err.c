/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_err.c: the error type (src/lib/core/err.h): the first failure wins,
 * prefixes only add context in front, errno is captured with its strerror
 * text, and library codes map to the documented exit codes 0, 1, 2 and 64
 * (docs/EXIT-CODES.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "err.h"
#include "unit.h"

static void test_first_error_wins(void **state)
{
	struct al_err err = { 0 };
	assert_int_equal(al_fail(&err, AL_EINVAL, "bad '%s'", "spec.yaml"), AL_EINVAL);
	/* a later failure returns its own code but records nothing */
	assert_int_equal(al_fail(&err, AL_EIO, "cannot read '%s'", "x"), AL_EIO);
	errno = EACCES;
	assert_int_equal(al_fail_errno(&err, AL_ENOENT, "cannot open '%s'", "y"), AL_ENOENT);
	assert_int_equal(err.code, AL_EINVAL);
	assert_string_equal(err.msg, "bad 'spec.yaml'");
	assert_int_equal(err.sys_errno, 0);

	al_err_clear(&err);
	assert_int_equal(err.code, AL_OK);
	assert_string_equal(err.msg, "");
	assert_int_equal(al_fail(&err, AL_ELIMIT, "second life"), AL_ELIMIT);
	assert_string_equal(err.msg, "second life");
}

static void test_null_err(void **state)
{
	/* err may be NULL where the caller does not care */
	assert_int_equal(al_fail(NULL, AL_EVERIFY, "ignored %d", 1), AL_EVERIFY);
	errno = ENOENT;
	assert_int_equal(al_fail_errno(NULL, AL_EIO, "ignored"), AL_EIO);
	assert_int_equal(al_err_prefix(NULL, "ctx"), AL_OK);
	al_err_clear(NULL);
}

static void test_prefix(void **state)
{
	struct al_err err = { 0 };
	/* nothing recorded: a prefix changes nothing */
	assert_int_equal(al_err_prefix(&err, "bundle '%s'", "b"), AL_OK);
	assert_int_equal(err.code, AL_OK);
	assert_string_equal(err.msg, "");

	al_fail(&err, AL_EVERIFY, "digest mismatch for '%s'", "blobs/sha256/ab");
	assert_int_equal(al_err_prefix(&err, "bundle '%s'", "b"), AL_EVERIFY);
	assert_int_equal(al_err_prefix(&err, "import"), AL_EVERIFY);
	assert_string_equal(err.msg, "import: bundle 'b': digest mismatch for 'blobs/sha256/ab'");
	assert_int_equal(err.code, AL_EVERIFY);

	/* a prefix names things from input too: terminal controls become '?', as in messages */
	al_err_clear(&err);
	al_fail(&err, AL_EIO, "cannot read");
	al_err_prefix(&err, "bundle '%s'", "evil\x1b]0;owned\x07\nname");
	assert_string_equal(err.msg, "bundle 'evil?]0;owned??name': cannot read");
}

static void test_prefix_truncates(void **state)
{
	/* a prefix too long for the buffer is cut, the result stays a terminated string */
	static const size_t lens[] = { AL_ERR_MSG - 4, AL_ERR_MSG - 3, AL_ERR_MSG - 1, AL_ERR_MSG,
				       AL_ERR_MSG + 50 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct al_err err = { 0 };
		static char pre[AL_ERR_MSG + 64];
		memset(pre, 'p', lens[i]);
		pre[lens[i]] = '\0';
		al_fail(&err, AL_EIO, "original");
		al_err_prefix(&err, "%s", pre);
		assert_true(strnlen(err.msg, sizeof(err.msg)) < sizeof(err.msg));
		assert_int_equal(strncmp(err.msg, pre, 10), 0);
		assert_int_equal(err.code, AL_EIO);
	}
	/* a long message under a short prefix keeps its start */
	{
		struct al_err err = { 0 };
		char big[AL_ERR_MSG + 100];
		memset(big, 'm', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		al_fail(&err, AL_EIO, "%s", big);
		assert_int_equal(strlen(err.msg), AL_ERR_MSG - 1);
		al_err_prefix(&err, "ctx");
		assert_int_equal(strlen(err.msg), AL_ERR_MSG - 1);
		assert_int_equal(strncmp(err.msg, "ctx: mmm", 8), 0);
	}
}

static void test_fail_errno(void **state)
{
	static const int errs[] = { ENOENT, EACCES, ENOSPC, EISDIR };
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct al_err err = { 0 };
		char want[AL_ERR_MSG];
		snprintf(want, sizeof(want), "cannot open 'f%zu': %s", i, strerror(errs[i]));
		errno = errs[i];
		assert_int_equal(al_fail_errno(&err, AL_EIO, "cannot open 'f%zu'", i), AL_EIO);
		assert_string_equal(err.msg, want);
		assert_int_equal(err.sys_errno, errs[i]);
		assert_int_equal(err.code, AL_EIO);
	}
}

static const struct {
	enum al_code code;
	int exit;
} exit_cases[] = {
	{ AL_OK, 0 },       { AL_EVERIFY, 1 }, { AL_ECONFLICT, 1 }, { AL_EINVAL, 2 },
	{ AL_EIO, 2 },      { AL_ENOMEM, 2 },  { AL_ELIMIT, 2 },    { AL_ENOENT, 2 },
	{ AL_ESTORE, 2 },   { AL_EUSAGE, 64 },
};

static void test_code_exit(void **state)
{
	for (size_t i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++)
		if (al_code_exit(exit_cases[i].code) != exit_cases[i].exit)
			fail_msg("code %d: exit %d, want %d", exit_cases[i].code,
				 al_code_exit(exit_cases[i].code), exit_cases[i].exit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_null_err),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_truncates),
		cmocka_unit_test(test_fail_errno),
		cmocka_unit_test(test_code_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
