/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vercmp.c: the version orders and the CVSS v3 score of src/lib/scan/vercmp.h.
 *
 * Oracles: CVSS base scores as NVD publishes them for these vectors; the SemVer 2.0
 * specification's own precedence example (section 11) and its grammar; Debian's order
 * as deb-version(5) states it. The bulk comparison with dpkg itself and with Python's
 * packaging, over thousands of pairs, is t1503.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit.h"
#include "cvss.h"
#include "vercmp.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_cvss(void **state)
{
	static const struct { const char *v; double score; const char *rating; } t[] = {
		{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL" },
		{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "CRITICAL" },
		{ "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH" },
		{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "MEDIUM" },
		{ "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "MEDIUM" },
		{ "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", 3.3, "LOW" },
		{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "HIGH" },
		{ "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "MEDIUM" },
		{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "HIGH" },
		{ "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8, "HIGH" },
		{ "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "HIGH" },
		{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "NONE" },
		{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L/E:P/RL:O/RC:C", 7.3, "HIGH" },
	};
	for (size_t i = 0; i < N(t); i++) {
		double s = -1;
		struct al_err err = { 0 };
		if (al_cvss3_base(t[i].v, &s, &err))
			fail_msg("'%s' should parse: %s", t[i].v, err.msg);
		if (s != t[i].score || strcmp(al_cvss_rating(s), t[i].rating))
			fail_msg("'%s': %.1f %s, want %.1f %s", t[i].v, s, al_cvss_rating(s), t[i].score, t[i].rating);
	}
}

/* v2 and v4 beside known scores; t1509 compares every base vector with an independent calculator */
static void test_cvss_v2_v4(void **state)
{
	static const struct { const char *type, *v; double score; } t[] = {
		{ "CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5 },
		{ "CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0 },
		{ "CVSS_V2", "AV:N/AC:M/Au:N/C:N/I:P/A:N/E:F/RL:OF/RC:C", 4.3 },
		{ "CVSS_V2", "AV:L/AC:H/Au:M/C:N/I:N/A:N", 0.0 },
		{ "CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3 },
		{ "CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0 },
		{ "CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0 },
		{ "CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 8.1 },
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		double s = -1;
		struct al_err err = { 0 };
		if (al_cvss_score(t[i].type, t[i].v, &s, &err))
			fail_msg("'%s' should parse: %s", t[i].v, err.msg);
		if (s != t[i].score)
			fail_msg("'%s': %.1f, want %.1f", t[i].v, s, t[i].score);
	}
	if (al_cvss_score("Ubuntu", "high", &(double){ 0 }, &(struct al_err){ 0 }) != AL_ENOENT)
		fail_msg("a severity that is not CVSS should be AL_ENOENT");
}

static void test_cvss_bad(void **state)
{
	static const char *const bad[] = {
		"CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",            /* not v3 */
		"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                     /* no prefix */
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",                /* A missing */
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L",        /* twice */
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",            /* no such value */
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",           /* ends with / */
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:Q",       /* unknown metric */
		"CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",           /* a value of two letters */
		"CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",             /* empty */
	};
	for (size_t i = 0; i < N(bad); i++) {
		double s = -1;
		struct al_err err = { 0 };
		if (al_cvss3_base(bad[i], &s, &err) != AL_EINVAL || !strstr(err.msg, "CVSS"))
			fail_msg("'%s' should be refused with a message (got '%s')", bad[i], err.msg);
	}
}

/* Each version orders strictly before the next. */
static void ascending(enum al_vorder o, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int c = 99;
			struct al_err err = { 0 };
			if (al_vercmp(o, v[i], v[j], &c, &err))
				fail_msg("'%s' vs '%s': %s", v[i], v[j], err.msg);
			if ((i < j && c >= 0) || (i == j && c) || (i > j && c <= 0))
				fail_msg("'%s' vs '%s': %d", v[i], v[j], c);
		}
}

static void test_semver(void **state)
{
	/* the specification's section 11 example, then numbers and build metadata */
	static const char *const v[] = { "0.9.9",         "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta",
					 "1.0.0-beta",    "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
					 "1.0.0",         "1.0.1",        "1.2.0",         "1.10.0",
					 "2.0.0-0.3.7",   "2.0.0-x.7.z.92", "2.0.0" };
	static const char *const bad[] = { "1.0",   "01.0.0", "1.0.0-", "1.0.0-a..b", "v1.0.0", "1.0.0-01",
					   "1.0.0.0", "",      "1..0",   "1.0.0-a_b" };
	int c = 1;
	struct al_err err = { 0 };
	ascending(AL_VORDER_SEMVER, v, N(v));
	assert_int_equal(al_vercmp(AL_VORDER_SEMVER, "1.0.0+build.1", "1.0.0+other", &c, &err), AL_OK);
	assert_int_equal(c, 0);
	for (size_t i = 0; i < N(bad); i++) {
		struct al_err e = { 0 };
		if (al_vercmp(AL_VORDER_SEMVER, bad[i], "1.0.0", &c, &e) != AL_EINVAL)
			fail_msg("'%s' is not SemVer and should be refused", bad[i]);
	}
}

static void test_dpkg(void **state)
{
	/* deb-version(5): '~' before everything, even the end; letters before other symbols;
	 * epochs first; an absent revision is "" */
	static const char *const v[] = { "0.9",      "1.0~~",    "1.0~~a",   "1.0~",     "1.0",      "1.0-0.1",
					 "1.0-1",    "1.0a",     "1.0+dfsg", "1.0.1",    "1.2",      "1.10",
					 "2:0.1",    "2:1.0-1~bpo1", "2:1.0-1" };
	static const char *const bad[] = { "", "a1.0", ":1.0", "x:1.0", "1.0 1", "1.0-a_b" };
	int c = 1;
	struct al_err err = { 0 };
	ascending(AL_VORDER_DPKG, v, N(v));
	assert_int_equal(al_vercmp(AL_VORDER_DPKG, "0:1.0", "1.0", &c, &err), AL_OK);
	assert_int_equal(c, 0);
	assert_int_equal(al_vercmp(AL_VORDER_DPKG, "1.0000-1", "1.0-1", &c, &err), AL_OK);
	assert_int_equal(c, 0);
	for (size_t i = 0; i < N(bad); i++) {
		struct al_err e = { 0 };
		if (al_vercmp(AL_VORDER_DPKG, bad[i], "1.0", &c, &e) != AL_EINVAL)
			fail_msg("'%s' is not a Debian version and should be refused", bad[i]);
	}
}

static void test_apk(void **state)
{
	/* apk's order as apk-tools states it (src/version.c; docs/protocols/osv.md): numbers, one
	 * letter after the digits, pre-release suffixes before the bare version, post-release ones
	 * after, -rN last; a later group with a leading zero compares as a string (1.01 < 1.1) */
	static const char *const v[] = { "0.01",        "0.1",        "1.0_alpha",    "1.0_alpha1",
					 "1.0_beta",    "1.0_pre2",   "1.0_rc1",      "1.0_rc1-r1", "1.0",
					 "1.0-r1",      "1.0-r10",    "1.0_cvs",      "1.0_svn",    "1.0_git20230717",
					 "1.0_hg",      "1.0_p1",     "1.0_p1-r2",    "1.0a",       "1.0b",
					 "1.0.1",       "1.01",       "1.02",         "1.1",        "1.2.4_git20230717-r4",
					 "1.10",        "3.9_pre20060124", "20040921" };
	static const char *const bad[] = { "", "a1.0", "0.1bc", "0.1a1", "0.1a.1", "1.0_foo", "1.0-x1", "1..0", "1.0_" };
	int c = 1;
	struct al_err err = { 0 };
	for (size_t i = 0; i + 1 < N(v); i++) {
		if (al_vercmp(AL_VORDER_APK, v[i], v[i + 1], &c, &err))
			fail_msg("'%s' vs '%s': %s", v[i], v[i + 1], err.msg);
		if (c > 0 || (c == 0 && strcmp(v[i], v[i + 1])))
			fail_msg("apk: '%s' should order before '%s' (got %d)", v[i], v[i + 1], c);
	}
	assert_int_equal(al_vercmp(AL_VORDER_APK, "1.2.1", "1.2", &c, &err), AL_OK);
	assert_true(c > 0);
	assert_int_equal(al_vercmp(AL_VORDER_APK, "1.0.4-r3", "1.0.4-r4", &c, &err), AL_OK);
	assert_true(c < 0);
	for (size_t i = 0; i < N(bad); i++) {
		struct al_err e = { 0 };
		if (al_vercmp(AL_VORDER_APK, bad[i], "1.0", &c, &e) != AL_EINVAL)
			fail_msg("'%s' is not an apk version and should be refused", bad[i]);
	}
}

static void test_orders(void **state)
{
	int c = 0;
	struct al_err err = { 0 };
	assert_int_equal(al_vorder_of("PyPI"), AL_VORDER_PEP440);
	assert_int_equal(al_vorder_of("Debian:12"), AL_VORDER_DPKG);
	assert_int_equal(al_vorder_of("Ubuntu:22.04:LTS"), AL_VORDER_DPKG);
	assert_int_equal(al_vorder_of("PyPIx"), AL_VORDER_NONE);
	assert_int_equal(al_vorder_of("npm"), AL_VORDER_NONE);
	assert_int_equal(al_vorder_of("Alpine:v3.19"), AL_VORDER_APK);
	assert_int_equal(al_vercmp(AL_VORDER_PEP440, "1.0rc1", "1.0", &c, &err), AL_OK);
	assert_true(c < 0);
	assert_int_equal(al_vercmp(AL_VORDER_NONE, "1", "2", &c, &err), AL_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cvss),   cmocka_unit_test(test_cvss_bad), cmocka_unit_test(test_cvss_v2_v4), cmocka_unit_test(test_semver),
		cmocka_unit_test(test_dpkg),   cmocka_unit_test(test_apk),     cmocka_unit_test(test_orders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
