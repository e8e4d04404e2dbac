/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fsx.c: file-system helpers (src/lib/core/fsx.h): the relative-path check
 * applied to hostile input, atomic writes, bounded reads that refuse
 * directories and (with AL_NOFOLLOW) symlinks, RFC 3339 times, directory
 * creation and removal. Expected epoch seconds come from GNU date, e.g.
 * `date -u -d 2000-02-29T00:00:00Z +%s`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <malloc.h>

#include "fsx.h"
#include "unit.h"

/* ---- al_path_unsafe ---- */

static const char *const safe_paths[] = {
	"a", "a/b", "blobs/sha256/ab", "a.b", "..a", "a..", "...", ".hidden", "a/.hidden",
	"a/b.c/d", "sbom.cdx.json", "a b", "\xc3\xa9t\xc3\xa9", /* UTF-8 is fine */
	NULL,
};

static const char *const unsafe_paths[] = {
	"", "/a", "/", "a/../b", "..", ".", "./a", "a/.", "a/./b", "../a", "a/..", "a//b", "a/",
	"//a", "a\\b", "\\", "a\nb", "a\rb", "a\tb", "\x01", "a/\x1f", "a\x7f", NULL,
};

static void test_path_unsafe_table(void **state)
{
	for (const char *const *p = safe_paths; *p; p++) {
		const char *why = al_path_unsafe(*p);
		if (why)
			fail_msg("'%s' refused: %s", *p, why);
	}
	for (const char *const *p = unsafe_paths; *p; p++)
		if (!al_path_unsafe(*p))
			fail_msg("'%s' accepted", *p);
	/* the reason names what is wrong */
	assert_contains(al_path_unsafe("a/../b"), "..");
	assert_contains(al_path_unsafe("/a"), "absolute");
	assert_contains(al_path_unsafe("a//b"), "empty");
	assert_contains(al_path_unsafe("a\\b"), "backslash");
	assert_contains(al_path_unsafe("a\nb"), "control");
}

static void test_path_unsafe_length(void **state)
{
	char *p = malloc(AL_PATH_MAX + 2);
	assert_non_null(p);
	/* exactly AL_PATH_MAX bytes, made of short components, is fine */
	for (size_t i = 0; i < AL_PATH_MAX; i++)
		p[i] = (i % 2) ? '/' : 'a';
	p[AL_PATH_MAX - 1] = 'a';
	p[AL_PATH_MAX] = '\0';
	assert_null(al_path_unsafe(p));
	/* one more byte is too long */
	p[AL_PATH_MAX] = 'a';
	p[AL_PATH_MAX + 1] = '\0';
	assert_contains(al_path_unsafe(p), "long");
	/* and a single 4097-byte component */
	memset(p, 'x', AL_PATH_MAX + 1);
	assert_non_null(al_path_unsafe(p));
	free(p);
}

/* ---- al_join, al_dirname ---- */

static void test_join_dirname(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} joins[] = {
		{ "a", "b", "a/b" }, { "a/", "b", "a/b" }, { "/base", "models/x", "/base/models/x" },
		{ "/", "x", "/x" },
	};
	static const struct {
		const char *in, *want;
	} dirs[] = {
		{ "a/b", "a" }, { "a", "." }, { "/a", "/" }, { "/a/b/c", "/a/b" }, { "x/y.yaml", "x" },
	};
	for (size_t i = 0; i < sizeof(joins) / sizeof(joins[0]); i++) {
		char *s = al_join(joins[i].a, joins[i].b);
		assert_string_equal(s, joins[i].want);
		free(s);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *s = al_dirname(dirs[i].in);
		assert_string_equal(s, dirs[i].want);
		free(s);
	}
}

/* ---- files ---- */


/* The names in dir, sorted, joined by ' '. */
static char *list_dir(const char *dir)
{
	char *names[64], *out;
	size_t n = 0, len = 1;
	DIR *d = opendir(dir);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			assert_true(n < 64);
			names[n++] = strdup(e->d_name);
			len += strlen(e->d_name) + 1;
		}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(names[k], names[i]) < 0) {
				char *x = names[i];
				names[i] = names[k];
				names[k] = x;
			}
	out = calloc(1, len);
	assert_non_null(out);
	for (size_t i = 0, at = 0; i < n; i++) {
		at += (size_t)snprintf(out + at, len - at, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return out;
}

static void test_write_atomic(void **state)
{
	struct tmp *t = *state;
	char *path = unit_path(t->dir, "index.json"), *got, *names;
	struct al_err err = { 0 };
	struct stat st;
	size_t n;
	/* creates */
	assert_int_equal(al_write_atomic(path, "first\n", 6, &err), AL_OK);
	got = unit_read(path, &n);
	assert_int_equal(n, 6);
	assert_string_equal(got, "first\n");
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07022, 0); /* at most 0644 */
	/* replaces, shorter and with binary bytes */
	assert_int_equal(al_write_atomic(path, "2\0x", 3, &err), AL_OK);
	got = unit_read(path, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "2\0x", 3);
	free(got);
	/* empty content */
	assert_int_equal(al_write_atomic(path, "", 0, &err), AL_OK);
	got = unit_read(path, &n);
	assert_int_equal(n, 0);
	free(got);
	/* no temporary file is left behind */
	names = list_dir(t->dir);
	assert_string_equal(names, "index.json");
	free(names);
	assert_int_equal(err.code, AL_OK);
	free(path);
}

static void test_write_atomic_failures(void **state)
{
	struct tmp *t = *state;
	char *nodir = unit_path(t->dir, "no/such/dir/file");
	char *link = unit_path(t->dir, "link"), *target = unit_path(t->dir, "target"), *got, *names;
	struct al_err err = { 0 };
	struct stat st;
	/* a missing directory is an I/O error, and nothing is created */
	assert_int_equal(al_write_atomic(nodir, "x", 1, &err), AL_EIO);
	assert_contains(err.msg, "no/such/dir");
	names = list_dir(t->dir);
	assert_string_equal(names, "");
	free(names);
	/* a symlink at the destination is replaced, its target left alone */
	unit_write_str(target, "keep");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(al_write_atomic(link, "new", 3, NULL), AL_OK);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	got = unit_read(target, NULL);
	assert_string_equal(got, "keep");
	free(got);
	names = list_dir(t->dir);
	assert_string_equal(names, "link target");
	free(names);
	free(nodir);
	free(link);
	free(target);
}

static void test_read_file_limit(void **state)
{
	struct tmp *t = *state;
	static const struct {
		size_t max, size;
		enum al_code want;
	} cases[] = {
		{ 16, 1, AL_OK },     { 16, 15, AL_OK },    { 16, 16, AL_OK },
		{ 16, 17, AL_ELIMIT }, { 16, 1000, AL_ELIMIT }, { 0, 0, AL_OK },
		{ 0, 1, AL_ELIMIT },  { 200000, 200000, AL_OK }, { 200000, 200001, AL_ELIMIT },
	};
	char *path = unit_path(t->dir, "f");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *content = malloc(cases[i].size + 1);
		struct al_buf b;
		struct al_err err = { 0 };
		enum al_code rc;
		assert_non_null(content);
		for (size_t k = 0; k < cases[i].size; k++)
			content[k] = (char)('a' + k % 26);
		unit_write(path, content, cases[i].size);
		al_buf_init(&b, cases[i].max);
		rc = al_read_file(path, 0, &b, &err);
		if (rc != cases[i].want)
			fail_msg("case %zu (max %zu, size %zu): got %d, want %d: %s", i, cases[i].max,
				 cases[i].size, rc, cases[i].want, err.msg);
		if (rc == AL_OK) {
			assert_non_null(b.data);
			assert_int_equal(b.len, cases[i].size);
			assert_memory_equal(b.data, content, cases[i].size);
			if (b.data[b.len] != '\0')
				fail_msg("case %zu: no NUL after %zu bytes (cap %zu)", i, b.len, b.cap);
		} else {
			assert_contains(err.msg, path);
			assert_contains(err.msg, "limit");
		}
		al_buf_release(&b);
		free(content);
	}
	free(path);
}

static void test_read_file_empty(void **state)
{
	/* an empty file gives an empty C string (buf.h: data is followed by a NUL); glibc's
	 * M_PERTURB makes every fresh allocation dirty so a missing NUL shows */
	struct tmp *t = *state;
	static const size_t maxes[] = { 0, 16, 100000 };
	char *path = unit_path(t->dir, "empty");
	unit_write(path, "", 0);
	mallopt(M_PERTURB, 0x55);
	for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		struct al_buf b;
		struct al_err err = { 0 };
		al_buf_init(&b, maxes[i]);
		assert_int_equal(al_read_file(path, 0, &b, &err), AL_OK);
		assert_non_null(b.data);
		assert_int_equal(b.len, 0);
		if (b.data[0] != '\0')
			fail_msg("max %zu: an empty file reads as 0x%02x…, not \"\"", maxes[i],
				 (unsigned char)b.data[0]);
		al_buf_release(&b);
	}
	mallopt(M_PERTURB, 0);
	free(path);
}

static void test_read_file_refuses(void **state)
{
	struct tmp *t = *state;
	char *target = unit_path(t->dir, "target"), *link = unit_path(t->dir, "link");
	char *missing = unit_path(t->dir, "missing");
	struct al_buf b;
	struct al_err err = { 0 };
	unit_write_str(target, "secret");
	assert_int_equal(symlink(target, link), 0);
	al_buf_init(&b, 1024);
	/* a directory is not a regular file */
	assert_int_equal(al_read_file(t->dir, 0, &b, &err), AL_EINVAL);
	assert_contains(err.msg, "not a regular file");
	/* AL_NOFOLLOW refuses a symlink; without it the target is read */
	al_err_clear(&err);
	assert_int_equal(al_read_file(link, AL_NOFOLLOW, &b, &err), AL_EIO);
	assert_int_equal(err.sys_errno, ELOOP);
	assert_contains(err.msg, link);
	assert_int_equal(al_read_file(link, 0, &b, NULL), AL_OK);
	assert_string_equal(b.data, "secret");
	/* missing is its own code */
	al_err_clear(&err);
	assert_int_equal(al_read_file(missing, 0, &b, &err), AL_ENOENT);
	assert_contains(err.msg, missing);
	al_buf_release(&b);
	free(target);
	free(link);
	free(missing);
}

static void test_mkdirs_rmtree(void **state)
{
	struct tmp *t = *state;
	char *deep = unit_path(t->dir, "a/b/c/d"), *file = unit_path(t->dir, "a/b/file");
	char *under_file = unit_path(t->dir, "a/b/file/x"), *outside = unit_path(t->dir, "outside");
	char *link = unit_path(t->dir, "a/b/c/link"), *top = unit_path(t->dir, "a");
	struct al_err err = { 0 };
	struct stat st;
	char *got;
	assert_int_equal(al_mkdirs(deep, &err), AL_OK);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* existing directories are fine */
	assert_int_equal(al_mkdirs(deep, &err), AL_OK);
	assert_int_equal(al_mkdirs(t->dir, &err), AL_OK);
	/* a file in the way is an error */
	unit_write_str(file, "f");
	assert_int_equal(al_mkdirs(under_file, &err), AL_EIO);
	al_err_clear(&err);
	assert_int_equal(al_mkdirs(file, &err), AL_EIO);
	al_err_clear(&err);
	/* rmtree removes everything below, but does not follow a symlink out of the tree */
	unit_write_str(outside, "stays");
	assert_int_equal(symlink(t->dir, link), 0); /* a loop back to the top */
	{
		char *l2 = unit_path(t->dir, "a/b/c/d/to-outside");
		assert_int_equal(symlink(outside, l2), 0);
		free(l2);
	}
	assert_int_equal(al_rmtree(top, &err), AL_OK);
	assert_false(unit_exists(top));
	got = unit_read(outside, NULL);
	assert_string_equal(got, "stays");
	free(got);
	/* missing is fine; a single file is removed */
	assert_int_equal(al_rmtree(top, &err), AL_OK);
	assert_int_equal(al_rmtree(outside, &err), AL_OK);
	assert_false(unit_exists(outside));
	assert_int_equal(err.code, AL_OK);
	free(deep);
	free(file);
	free(under_file);
	free(outside);
	free(link);
	free(top);
}

/* ---- times ---- */

static const struct {
	const char *s;
	int64_t t;
	const char *fmt; /* what al_time_fmt gives back */
} times[] = {
	{ "1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z" },
	{ "2000-02-29T00:00:00Z", 951782400, "2000-02-29T00:00:00Z" },
	{ "2026-01-01T00:00:00Z", 1767225600, "2026-01-01T00:00:00Z" },
	{ "2026-11-29T17:24:47Z", 1795973087, "2026-11-29T17:24:47Z" },
	{ "2030-01-01T12:00:00Z", 1893499200, "2030-01-01T12:00:00Z" },
	{ "2030-01-01", 1893456000, "2030-01-01T00:00:00Z" },
	{ "2000-02-29", 951782400, "2000-02-29T00:00:00Z" },
};

static const char *const bad_times[] = {
	"2026-13-01", "2026-01-01T00:00:00", "abc", "", "2026-00-01", "2026-01-00", "2026-01-32",
	"2026-1-01", "26-01-01", "2026/01/01", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
	"2026-01-01t00:00:00Z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00+00:00",
	"2026-01-01T00:00:00.5Z", "2026-01-01T00:00Z", " 2026-01-01", "2026-01-01 ", "+026-01-01",
	"2026-0a-01", "2026-01-01T0a:00:00Z",
	NULL,
};

/* days that do not exist in their month (al_time_fmt would not give them back) */
static const char *const nonexistent_days[] = {
	"2026-02-30", "2026-02-29", "2026-04-31", "2100-02-29", "2026-06-31T00:00:00Z", NULL,
};

static void test_time_roundtrip(void **state)
{
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		int64_t t = -5;
		char out[32];
		if (al_time_parse(times[i].s, &t) != 0)
			fail_msg("'%s' refused", times[i].s);
		assert_int_equal(t, times[i].t);
		al_time_fmt(t, out);
		assert_string_equal(out, times[i].fmt);
		/* and back again */
		t = -5;
		assert_int_equal(al_time_parse(out, &t), 0);
		assert_int_equal(t, times[i].t);
	}
}

static void expect_rejected(const char *const *list)
{
	char accepted[1024] = "";
	for (const char *const *s = list; *s; s++) {
		int64_t t = 0;
		if (al_time_parse(*s, &t) != -1) {
			char back[32];
			size_t n = strlen(accepted);
			al_time_fmt(t, back);
			snprintf(accepted + n, sizeof(accepted) - n, " '%s' (as %s)", *s, back);
		}
	}
	if (accepted[0])
		fail_msg("accepted:%s", accepted);
}

static void test_time_rejects(void **state)
{
	expect_rejected(bad_times);
}

static void test_time_rejects_nonexistent_days(void **state)
{
	expect_rejected(nonexistent_days);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_unsafe_table),
		cmocka_unit_test(test_path_unsafe_length),
		cmocka_unit_test(test_join_dirname),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_write_atomic_failures, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_read_file_limit, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_read_file_empty, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_read_file_refuses, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_mkdirs_rmtree, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_time_rejects),
		cmocka_unit_test(test_time_rejects_nonexistent_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
