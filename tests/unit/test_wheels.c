/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_wheels.c: index pages and the choice of a wheel (src/lib/fetch/wheels.h)
 * on the cases the pip oracle of tests/e2e/t1450 does not reach with files
 * on disk: link resolution (against Python's urljoin, which pip uses), <base href>, entities, percent-encoded names, a #sha256 fragment
 * beside JSON hashes, repeated links, a JSON filename that disagrees with its
 * URL; ties (the later file wins, as pip walks its sorted list backwards), all
 * yanked, a page without hashes, a malformed Requires-Python. The rules come
 * from pip 23.0.1's package_finder.py and resolver, cited where used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wheels.h"
#include "unit.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"

static void page(const char *url, enum al_pyform form, const char *txt, struct al_pypage *p)
{
	struct al_err err = { 0 };
	if (al_pypage_parse(url, form, txt, strlen(txt), p, &err))
		fail_msg("%s", err.msg);
}

static void test_html(void **state)
{
	struct al_pypage p;
	page("https://idx.example/simple/foo/", AL_PYFORM_HTML,
	     "<html><head><base href=\"https://files.example/pkgs/\"></head><body>\n"
	     "<a href=\"foo-1.0-py3-none-any.whl#sha256=" H1 "\" data-requires-python=\"&gt;=3.8\">x</a>\n"
	     "<a href=\"../other/foo%2B-1.0.tar.gz#md5=00&amp;sha256=" H2 "\" data-yanked=\"\">y</a>\n"
	     "<A HREF=\"/abs/foo-1.0-cp311-cp311-win_amd64.whl\" data-yanked=\"broken\">z</A>\n"
	     "<a href=\"foo-1.0-py3-none-any.whl#sha256=" H1 "\">again</a><a>no href</a>\n"
	     "</body></html>",
	     &p);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.f[0].url, "https://files.example/pkgs/foo-1.0-py3-none-any.whl#sha256=" H1);
	assert_string_equal(p.f[0].filename, "foo-1.0-py3-none-any.whl");
	assert_string_equal(p.f[0].sha256, H1);
	assert_string_equal(p.f[0].requires_python, ">=3.8");
	assert_false(p.f[0].yanked);
	assert_string_equal(p.f[1].url, "https://files.example/other/foo%2B-1.0.tar.gz#md5=00&sha256=" H2);
	assert_string_equal(p.f[1].filename, "foo+-1.0.tar.gz");
	assert_string_equal(p.f[1].sha256, H2);
	assert_true(p.f[1].yanked);
	assert_null(p.f[1].yanked_reason);
	assert_string_equal(p.f[2].url, "https://files.example/abs/foo-1.0-cp311-cp311-win_amd64.whl");
	assert_string_equal(p.f[2].sha256, "");
	assert_string_equal(p.f[2].yanked_reason, "broken");
	al_pypage_release(&p);
}

static void test_json(void **state)
{
	struct al_pypage p;
	struct al_err err = { 0 };
	static const char bad[] = "{\"files\":[{\"filename\":\"a-1-py3-none-any.whl\",\"url\":\"b-1-py3-none-any.whl\"}]}";
	page("https://idx.example/simple/foo/", AL_PYFORM_JSON,
	     "{\"meta\":{\"api-version\":\"1.1\"},\"name\":\"foo\",\"files\":["
	     "{\"filename\":\"foo-1.0-py3-none-any.whl\",\"url\":\"../../f/foo-1.0-py3-none-any.whl\","
	     "\"hashes\":{\"sha256\":\"" H1 "\"},\"requires-python\":\">=3.7\",\"yanked\":false},"
	     "{\"filename\":\"foo-2.0-py3-none-any.whl\",\"url\":\"https://cdn.example/foo-2.0-py3-none-any.whl#sha256=" H2 "\","
	     "\"hashes\":{\"sha256\":\"" H1 "\"},\"yanked\":\"security\"},"
	     "{\"filename\":\"foo-3.0-py3-none-any.whl\"},"
	     "{\"url\":\"foo-4.0-py3-none-any.whl\",\"yanked\":true}]}",
	     &p);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.f[0].url, "https://idx.example/f/foo-1.0-py3-none-any.whl");
	assert_string_equal(p.f[0].requires_python, ">=3.7");
	assert_string_equal(p.f[1].sha256, H2); /* the fragment wins over "hashes", as in pip's Link */
	assert_string_equal(p.f[1].yanked_reason, "security");
	assert_true(p.f[2].yanked);
	al_pypage_release(&p);
	assert_int_equal(al_pypage_parse("https://idx.example/simple/foo/", AL_PYFORM_JSON, bad, strlen(bad), &p, &err),
			 AL_EINVAL);
	assert_contains(err.msg, "file 'a-1-py3-none-any.whl' has the URL 'https://idx.example/simple/foo/b-1-py3-none-any.whl', which names another file");
	al_err_clear(&err);
	assert_int_equal(al_pypage_parse("u", AL_PYFORM_JSON, "{}", 2, &p, &err), AL_EINVAL);
	assert_contains(err.msg, "has no 'files' array (PEP 691)");
}

/* RFC 3986 §5.4's examples and a few more, resolved by Python's urllib.parse.urljoin
 * (which pip uses) against "http://a/b/c/d;p?q" */
static const struct {
	const char *ref, *want;
} urljoin[] = {
	{ "g:h", "g:h" },
	{ "g", "http://a/b/c/g" },
	{ "./g", "http://a/b/c/g" },
	{ "g/", "http://a/b/c/g/" },
	{ "/g", "http://a/g" },
	{ "//g", "http://g" },
	{ "?y", "http://a/b/c/d;p?y" },
	{ "g?y", "http://a/b/c/g?y" },
	{ "#s", "http://a/b/c/d;p?q#s" },
	{ "g#s", "http://a/b/c/g#s" },
	{ "g?y#s", "http://a/b/c/g?y#s" },
	{ ";x", "http://a/b/c/;x" },
	{ "g;x", "http://a/b/c/g;x" },
	{ "g;x?y#s", "http://a/b/c/g;x?y#s" },
	{ "", "http://a/b/c/d;p?q" },
	{ ".", "http://a/b/c/" },
	{ "./", "http://a/b/c/" },
	{ "..", "http://a/b/" },
	{ "../", "http://a/b/" },
	{ "../g", "http://a/b/g" },
	{ "../..", "http://a/" },
	{ "../../", "http://a/" },
	{ "../../g", "http://a/g" },
	{ "../../../g", "http://a/g" },
	{ "../../../../g", "http://a/g" },
	{ "/./g", "http://a/g" },
	{ "/../g", "http://a/g" },
	{ "g.", "http://a/b/c/g." },
	{ ".g", "http://a/b/c/.g" },
	{ "g..", "http://a/b/c/g.." },
	{ "..g", "http://a/b/c/..g" },
	{ "./../g", "http://a/b/g" },
	{ "./g/.", "http://a/b/c/g/" },
	{ "g/./h", "http://a/b/c/g/h" },
	{ "g/../h", "http://a/b/c/h" },
	{ "g;x=1/./y", "http://a/b/c/g;x=1/y" },
	{ "g;x=1/../y", "http://a/b/c/y" },
	{ "g?y/./x", "http://a/b/c/g?y/./x" },
	{ "g?y/../x", "http://a/b/c/g?y/../x" },
	{ "g#s/./x", "http://a/b/c/g#s/./x" },
	{ "g#s/../x", "http://a/b/c/g#s/../x" },
	{ "foo%2B-1.0.whl#sha256=ab", "http://a/b/c/foo%2B-1.0.whl#sha256=ab" },
	{ "https://cdn.example/x/../y.whl", "https://cdn.example/x/../y.whl" },
};

static void test_resolve(void **state)
{
	int bad = 0;
	for (size_t i = 0; i < sizeof(urljoin) / sizeof(urljoin[0]); i++) {
		struct al_pypage p;
		char *html = al_strf("<a href=\"%s\">x</a>", urljoin[i].ref);
		assert_non_null(html);
		page("http://a/b/c/d;p?q", AL_PYFORM_HTML, html, &p);
		assert_int_equal(p.n, 1);
		if (strcmp(p.f[0].url, urljoin[i].want)) {
			print_error("'%s': '%s', urljoin says '%s'\n", urljoin[i].ref, p.f[0].url, urljoin[i].want);
			bad++;
		}
		al_pypage_release(&p);
		free(html);
	}
	assert_int_equal(bad, 0);
}

/* Picks for foo==1.0 (hashes H1 and H2) on Python 3.11 linux/amd64 from an HTML page. */
static enum al_code pick(const char *html, const char **chosen, struct al_err *err)
{
	static char txt[] = "foo==1.0 --hash=sha256:" H1 " --hash=sha256:" H2 "\n";
	struct al_pyreqs r;
	struct al_pytarget t;
	struct al_pytags tags;
	struct al_pypage p;
	struct al_pypick k;
	static char name[256];
	enum al_code rc;
	assert_int_equal(al_pyreqs_parse("req.txt", txt, strlen(txt), &r, err), AL_OK);
	assert_int_equal(al_pytarget_init(&t, "3.11", "linux/amd64", err), AL_OK);
	assert_int_equal(al_pytags_build(&t, &tags, err), AL_OK);
	page("https://idx.example/simple/foo/", AL_PYFORM_HTML, html, &p);
	rc = al_wheels_pick(&r, &r.v[0], &p, &t, &tags, &k, err);
	if (!rc) {
		snprintf(name, sizeof(name), "%s%s", k.file->filename, k.yanked ? " (yanked)" : "");
		*chosen = name;
	}
	al_pypage_release(&p);
	al_pytags_release(&tags);
	al_pyreqs_release(&r);
	return rc;
}

static void test_choice(void **state)
{
	const char *got = NULL;
	struct al_err err = { 0 };
	/* a full tie (same tag, version 1.0 and 1.0.0): the later one on the page */
	assert_int_equal(pick("<a href=\"foo-1.0-py3-none-any.whl#sha256=" H1 "\">a</a>"
			      "<a href=\"foo-1.0.0-py3-none-any.whl#sha256=" H2 "\">b</a>", &got, &err), AL_OK);
	assert_string_equal(got, "foo-1.0.0-py3-none-any.whl");
	/* every candidate yanked: the best of them, reported as yanked */
	assert_int_equal(pick("<a href=\"foo-1.0-py3-none-any.whl#sha256=" H1 "\" data-yanked>a</a>"
			      "<a href=\"foo-1.0-cp311-cp311-manylinux1_x86_64.whl#sha256=" H2 "\" data-yanked>b</a>", &got, &err), AL_OK);
	assert_string_equal(got, "foo-1.0-cp311-cp311-manylinux1_x86_64.whl (yanked)");
	/* one not yanked: it wins over a better yanked one */
	assert_int_equal(pick("<a href=\"foo-1.0-py3-none-any.whl#sha256=" H1 "\">a</a>"
			      "<a href=\"foo-1.0-cp311-cp311-manylinux1_x86_64.whl#sha256=" H2 "\" data-yanked>b</a>", &got, &err), AL_OK);
	assert_string_equal(got, "foo-1.0-py3-none-any.whl");
	/* the page gives no hash: refused */
	assert_int_equal(pick("<a href=\"foo-1.0-py3-none-any.whl\">a</a>", &got, &err), AL_EVERIFY);
	assert_string_equal(err.msg, "foo==1.0 (req.txt:1) for Python 3.11 on linux/amd64: the index gives no sha256 for 'foo-1.0-py3-none-any.whl', so it cannot be matched to a pinned hash");
	al_err_clear(&err);
	/* a malformed Requires-Python is an error, not ignored */
	assert_int_equal(pick("<a href=\"foo-1.0-py3-none-any.whl#sha256=" H1 "\" data-requires-python=\"&gt;=3.6.*\">a</a>", &got, &err), AL_EINVAL);
	assert_contains(err.msg, "index page 'https://idx.example/simple/foo/': Requires-Python of 'foo-1.0-py3-none-any.whl': '>=3.6.*' is not a version specifier");
	al_err_clear(&err);
	/* Requires-Python excludes the target */
	assert_int_equal(pick("<a href=\"foo-1.0-py3-none-any.whl#sha256=" H1 "\" data-requires-python=\"&lt;3.11\">a</a>", &got, &err), AL_ENOENT);
	assert_contains(err.msg, "every wheel of this version requires Python '<3.11'");
	al_err_clear(&err);
	/* no compatible tag */
	assert_int_equal(pick("<a href=\"foo-1.0-cp311-cp311-manylinux_2_28_x86_64.whl#sha256=" H1 "\">a</a>"
			      "<a href=\"foo-1.0-cp311-cp311-win_amd64.whl#sha256=" H1 "\">a</a>", &got, &err), AL_ENOENT);
	assert_contains(err.msg, "none of the 2 wheels of this version has a tag this target supports");
	al_err_clear(&err);
	/* another project's wheel and an invalid name are not candidates */
	assert_int_equal(pick("<a href=\"foobar-1.0-py3-none-any.whl#sha256=" H1 "\">a</a>"
			      "<a href=\"foo-1.0-py3-any.whl#sha256=" H1 "\">a</a>", &got, &err), AL_ENOENT);
	assert_contains(err.msg, "no file of this version on the index page");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
