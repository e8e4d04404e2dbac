/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_wheel.c: what a wheel says about itself (src/lib/wheel.h): PEP 503
 * name normalization (the examples of PEP 503 itself), metadata headers, and
 * reading real wheels: Debian's pip wheel, copies of it under names that
 * disagree with its METADATA, a file that is not a zip, and small zips
 * written here with libarchive to cover METADATA that is missing or partial.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <glob.h>

#include "fsx.h"
#include "wheel.h"
#include "unit.h"

static const struct {
	const char *in, *want;
} pep503[] = {
	/* https://peps.python.org/pep-0503/#normalized-names: all equal to "friendly-bard" */
	{ "Friendly-Bard", "friendly-bard" },
	{ "FRIENDLY-BARD", "friendly-bard" },
	{ "friendly.bard", "friendly-bard" },
	{ "friendly_bard", "friendly-bard" },
	{ "friendly--bard", "friendly-bard" },
	{ "FrIeNdLy-._.-bArD", "friendly-bard" },
	/* re.sub(r"[-_.]+", "-", name).lower() on the edges */
	{ "pip", "pip" },
	{ "_a", "-a" },
	{ "a_", "a-" },
	{ "A1.B2", "a1-b2" },
	{ "", "" },
	{ "zope.interface", "zope-interface" },
	{ "ruamel.yaml.clib", "ruamel-yaml-clib" },
	{ "__init__", "-init-" },
	{ "...", "-" },
	{ "x---y___z...w", "x-y-z-w" },
	{ "a-.-b", "a-b" },
};

static void test_pep503(void **state)
{
	char *again;
	for (size_t i = 0; i < sizeof(pep503) / sizeof(pep503[0]); i++) {
		char *s = al_pep503_normalize(pep503[i].in, strlen(pep503[i].in));
		assert_non_null(s);
		if (strcmp(s, pep503[i].want) != 0)
			fail_msg("'%s' -> '%s', want '%s'", pep503[i].in, s, pep503[i].want);
		/* idempotent: the index redirects to the normalized name and must find it unchanged */
		again = al_pep503_normalize(s, strlen(s));
		assert_non_null(again);
		assert_string_equal(again, s);
		free(again);
		free(s);
	}
	/* only the first n bytes are read */
	{
		char *s = al_pep503_normalize("Friendly_Bard-1.0-py3-none-any.whl", 13);
		assert_string_equal(s, "friendly-bard");
		free(s);
	}
}

static const char meta[] =
	"Metadata-Version: 2.1\n"
	"Name: Friendly_Bard\n"
	"Version:   1.0.post1  \n"
	"Requires-Python: >=3.8\r\n"
	"Name-Alias: wrong\n"
	"Empty:\n"
	"Summary:\tTabbed\t\n"
	"\n"
	"Description-Like: in the body\n"
	"Name: body-name\n";

static void test_metadata_header(void **state)
{
	static const struct {
		const char *key, *want; /* NULL: not found */
	} cases[] = {
		{ "Name", "Friendly_Bard" },
		{ "name", "Friendly_Bard" },
		{ "NAME", "Friendly_Bard" },
		{ "Version", "1.0.post1" },
		{ "Requires-Python", ">=3.8" },
		{ "Summary", "Tabbed" },
		{ "Empty", "" },
		{ "Metadata-Version", "2.1" },
		{ "Name-Alias", "wrong" },
		{ "Nam", NULL },              /* a prefix of a key is not the key */
		{ "Description-Like", NULL }, /* after the blank line: the body */
		{ "License", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v;
		assert_int_equal(al_metadata_header(meta, strlen(meta), cases[i].key, &v, NULL), AL_OK);
		if (!cases[i].want) {
			if (v)
				fail_msg("'%s' found: '%s'", cases[i].key, v);
		} else {
			if (!v)
				fail_msg("'%s' not found", cases[i].key);
			if (strcmp(v, cases[i].want) != 0)
				fail_msg("'%s' -> '%s', want '%s'", cases[i].key, v, cases[i].want);
		}
		free(v);
	}
}

static void test_metadata_header_edges(void **state)
{
	static const char crlf[] = "Name: a\r\n\r\nVersion: 1\r\n";
	static const char no_newline[] = "Name: last";
	char *v;
	/* a CRLF blank line also ends the headers */
	assert_int_equal(al_metadata_header(crlf, strlen(crlf), "Version", &v, NULL), AL_OK);
	assert_null(v);
	assert_int_equal(al_metadata_header(crlf, strlen(crlf), "Name", &v, NULL), AL_OK);
	assert_string_equal(v, "a");
	free(v);
	/* the last line needs no newline */
	assert_int_equal(al_metadata_header(no_newline, strlen(no_newline), "Name", &v, NULL), AL_OK);
	assert_string_equal(v, "last");
	free(v);
	/* n bounds the search, not a NUL */
	assert_int_equal(al_metadata_header("Name: abcdef", 9, "Name", &v, NULL), AL_OK);
	assert_string_equal(v, "abc");
	free(v);
	assert_int_equal(al_metadata_header("", 0, "Name", &v, NULL), AL_OK);
	assert_null(v);
}

/* ---- reading wheels ---- */

struct fix {
	char *dir;
	char *pip;     /* the system pip wheel, or NULL */
	char *pip_ver; /* its version, from its file name */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	glob_t g;
	if (!f)
		return -1;
	f->dir = unit_tmpdir();
	if (glob("/usr/share/python-wheels/pip-*.whl", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
		const char *base = strrchr(g.gl_pathv[0], '/') + 1;
		const char *v = base + 4, *e = strchr(v, '-');
		f->pip = strdup(g.gl_pathv[0]);
		f->pip_ver = strndup(v, e ? (size_t)(e - v) : 0);
		globfree(&g);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int rc = al_rmtree(f->dir, NULL) == AL_OK ? 0 : -1;
	free(f->dir);
	free(f->pip);
	free(f->pip_ver);
	free(f);
	return rc;
}

static char *copy_to(const struct fix *f, const char *src, const char *name)
{
	size_t n;
	char *data = unit_read(src, &n), *dst = unit_path(f->dir, name);
	unit_write(dst, data, n);
	free(data);
	return dst;
}

/* Writes a zip at dir/name holding the given entries (path, content pairs, NULL-terminated). */
static char *make_zip(const struct fix *f, const char *name, const char *const *entries)
{
	char *path = unit_path(f->dir, name);
	struct archive *a = archive_write_new();
	assert_non_null(a);
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (const char *const *e = entries; *e; e += 2) {
		struct archive_entry *ae = archive_entry_new();
		size_t n = strlen(e[1]);
		archive_entry_set_pathname(ae, e[0]);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)n);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, e[1], n), (la_ssize_t)n);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return path;
}

static void test_read_pip(void **state)
{
	struct fix *f = *state;
	struct al_wheel w;
	struct al_err err = { 0 };
	if (!f->pip)
		skip();
	if (al_wheel_read(f->pip, &w, &err) != AL_OK)
		fail_msg("%s: %s", f->pip, err.msg);
	assert_string_equal(w.name, "pip");
	assert_string_equal(w.normalized, "pip");
	assert_string_equal(w.version, f->pip_ver);
	assert_string_equal(w.filename, strrchr(f->pip, '/') + 1);
	assert_non_null(w.metadata);
	assert_true(w.metadata_len > 0);
	assert_int_equal(strlen(w.metadata), w.metadata_len);
	assert_int_equal(strncmp(w.metadata, "Metadata-Version:", 17), 0);
	assert_non_null(w.requires_python);
	al_wheel_release(&w);
	assert_null(w.name);
}

static void test_read_disagreeing_names(void **state)
{
	struct fix *f = *state;
	char other_ver[64];
	const char *names[3];
	if (!f->pip)
		skip();
	snprintf(other_ver, sizeof(other_ver), "pip-%s.1-py3-none-any.whl", f->pip_ver);
	names[0] = "notpip-1.0-py3-none-any.whl"; /* other name */
	names[1] = other_ver;                      /* same name, other version */
	names[2] = "pip-1.0-py3-none-any.whl";
	for (size_t i = 0; i < 3; i++) {
		struct al_wheel w;
		struct al_err err = { 0 };
		char *p = copy_to(f, f->pip, names[i]);
		if (al_wheel_read(p, &w, &err) != AL_EINVAL)
			fail_msg("'%s' not refused: %s", names[i], err.msg);
		assert_contains(err.msg, "METADATA says");
		assert_contains(err.msg, names[i]);
		assert_null(w.name); /* nothing is handed out on failure */
		assert_null(w.filename);
		free(p);
	}
}

static void test_read_bad_files(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *name, *content, *why;
	} cases[] = {
		{ "junk-1.0-py3-none-any.whl", "this is not a zip file\n", "junk-1.0-py3-none-any.whl" },
		{ "empty-1.0-py3-none-any.whl", "", "empty-1.0-py3-none-any.whl" },
		{ "pip.zip", "PK", "does not end in .whl" },
		{ "pip-23.0.1.whl", "PK", "NAME-VERSION-PY-ABI-PLATFORM" },
		{ "a-b-c-d-e-f-g.whl", "PK", "NAME-VERSION-PY-ABI-PLATFORM" },
		{ ".whl", "PK", "not a wheel" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct al_wheel w;
		struct al_err err = { 0 };
		char *p = unit_path(f->dir, cases[i].name);
		unit_write_str(p, cases[i].content);
		if (al_wheel_read(p, &w, &err) != AL_EINVAL)
			fail_msg("'%s' not refused with AL_EINVAL: %s", cases[i].name, err.msg);
		assert_contains(err.msg, cases[i].why);
		assert_null(w.name);
		free(p);
	}
}

static void test_read_crafted(void **state)
{
	struct fix *f = *state;
	static const char *const good[] = {
		"friendly_bard-1.0.dist-info/METADATA",
		"Metadata-Version: 2.1\nName: Friendly.Bard\nVersion: 1.0\n\nbody\n",
		"friendly_bard/__init__.py", "",
		NULL,
	};
	static const char *const no_version[] = {
		"x-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: x\n\nVersion: 1.0\n", NULL,
	};
	static const char *const no_metadata[] = { "x/__init__.py", "", NULL };
	static const char *const nested_metadata[] = {
		"x/x-1.0.dist-info/METADATA", "Name: x\nVersion: 1.0\n", NULL,
	};
	static const char *const not_dist_info[] = {
		"x-1.0.egg-info/METADATA", "Name: x\nVersion: 1.0\n", NULL,
	};
	struct al_wheel w;
	struct al_err err = { 0 };
	char *p;

	/* names agree after PEP 503 normalization */
	p = make_zip(f, "Friendly_Bard-1.0-py3-none-any.whl", good);
	if (al_wheel_read(p, &w, &err) != AL_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(w.name, "Friendly.Bard");
	assert_string_equal(w.normalized, "friendly-bard");
	assert_string_equal(w.version, "1.0");
	assert_null(w.requires_python);
	assert_string_equal(w.filename, "Friendly_Bard-1.0-py3-none-any.whl");
	al_wheel_release(&w);
	free(p);

	/* with a build tag (six fields) */
	p = make_zip(f, "friendly_bard-1.0-1-py3-none-any.whl", good);
	assert_int_equal(al_wheel_read(p, &w, &err), AL_OK);
	al_wheel_release(&w);
	free(p);

	p = make_zip(f, "x-1.0-py3-none-any.whl", no_version);
	assert_int_equal(al_wheel_read(p, &w, &err), AL_EINVAL);
	assert_contains(err.msg, "lacks Name or Version");
	al_err_clear(&err);
	free(p);

	static const char *const *const missing[] = { no_metadata, nested_metadata, not_dist_info };
	for (size_t i = 0; i < 3; i++) {
		p = make_zip(f, "x-1.0-py3-none-any.whl", missing[i]);
		if (al_wheel_read(p, &w, &err) != AL_EINVAL)
			fail_msg("zip %zu accepted", i);
		assert_contains(err.msg, "METADATA");
		al_err_clear(&err);
		unlink(p);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pep503),
		cmocka_unit_test(test_metadata_header),
		cmocka_unit_test(test_metadata_header_edges),
		cmocka_unit_test_setup_teardown(test_read_pip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_disagreeing_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_crafted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
