/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fetch.c: the pure parts of src/lib/fetch/: which URLs may be fetched (plain
 * http only to loopback or named hosts), Retry-After values (the HTTP-date's epoch
 * from Python's email.utils.parsedate_to_datetime), the rel="next" URL of a Link
 * header, git blob ids (vectors from `git hash-object --stdin`) and Hub repository ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fetch.h"
#include "hf.h"
#include "unit.h"

static const struct {
	const char *url;
	int ok;
	const char *msg; /* a part of the message when refused */
} urls[] = {
	{ "https://huggingface.co/api/models/gpt2", 1, NULL },
	{ "HTTPS://example.org/f", 1, NULL },
	{ "http://127.0.0.1:8080/f", 1, NULL },
	{ "http://127.255.1.2/f", 1, NULL },
	{ "http://localhost:1/f", 1, NULL },
	{ "http://LOCALHOST/f", 1, NULL },
	{ "http://[::1]:8080/f", 1, NULL },
	{ "http://mirror.internal/f", 1, NULL }, /* named with --plain-http */
	{ "http://example.org/f", 0, "plain http:// is refused for 'example.org', which is not a loopback host" },
	{ "http://128.0.0.1/f", 0, "not a loopback host" },
	{ "http://127.0.0.1.example.org/f", 0, "not a loopback host" },
	{ "http://localhost.example.org/f", 0, "not a loopback host" },
	{ "http://[::2]/f", 0, "not a loopback host" },
	{ "ftp://127.0.0.1/f", 0, "only https://" },
	{ "file:///etc/passwd", 0, "not a URL airlock can fetch" },
	{ "https://user:pw@example.org/f", 0, "'https://***@example.org/f': credentials in a URL are refused" },
	{ "https://user:pw@host@example.org/f?a=b@c", 0, "'https://***@example.org/f?a=b@c' is not a URL airlock can fetch" },
	{ "http://tok@example.org/f", 0, "'http://***@example.org/f': credentials in a URL are refused" },
	{ "not a url", 0, "not a URL" },
};

static void test_url_allowed(void **state)
{
	const char *const plain[] = { "mirror.internal", NULL };
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct al_err err = { 0 };
		enum al_code rc = al_fetch_url_allowed(urls[i].url, plain, &err);
		if ((rc == AL_OK) != urls[i].ok || (!urls[i].ok && !strstr(err.msg, urls[i].msg)) ||
		    strstr(err.msg, "pw@") || strstr(err.msg, "tok@")) { /* a credential is never repeated */
			print_error("%s: rc %d, message '%s'\n", urls[i].url, rc, err.msg);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_retry_after(void **state)
{
	static const struct {
		const char *v;
		int64_t now, want;
	} rows[] = {
		{ "120", 0, 120 },
		{ " 7 ", 0, 7 },
		{ "0", 0, 0 },
		{ "Wed, 21 Oct 2026 07:28:00 GMT", 1792567680 - 30, 30 },
		{ "Wed, 21 Oct 2026 07:28:00 GMT", 1792567680 + 30, 0 }, /* in the past */
		{ "-5", 0, -1 },
		{ "12abc", 0, -1 },
		{ "", 0, -1 },
		{ "soon", 0, -1 },
	};
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t got = al_retry_after_parse(rows[i].v, rows[i].now);
		if (got != rows[i].want) {
			print_error("'%s': got %lld, want %lld\n", rows[i].v, (long long)got, (long long)rows[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_true(al_retry_after_parse("99999999999999999999", 0) > 100000000);
}

static void test_link_next(void **state)
{
	static const struct {
		const char *v, *want; /* NULL: no next link */
	} rows[] = {
		{ "<https://h/api/models/a/tree/c?cursor=x>; rel=\"next\"", "https://h/api/models/a/tree/c?cursor=x" },
		{ "</p?cursor=1>; rel=next", "/p?cursor=1" },
		{ "<https://h/1>; rel=\"prev\", <https://h/3>; rel=\"next\"", "https://h/3" },
		{ "<https://h/3>; title=\"a, b\"; rel=\"next\"", "https://h/3" },
		{ "<https://h/3>; REL=\"prev next\"", "https://h/3" },
		{ "<https://h/1>; rel=\"prev\"", NULL },
		{ "<https://h/1>; rel=\"nextpage\"", NULL },
		{ "https://h/1; rel=\"next\"", NULL },
		{ "<https://h/1; rel=\"next\"", NULL },
		{ "", NULL },
	};
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = al_link_next(rows[i].v);
		if (rows[i].want ? !got || strcmp(got, rows[i].want) : got != NULL) {
			print_error("'%s': got '%s'\n", rows[i].v, got ? got : "(none)");
			bad++;
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

static void gitblob(const void *p, size_t n, size_t piece, char out[41])
{
	struct al_gitblob g;
	assert_int_equal(al_gitblob_init(&g, n, NULL), AL_OK);
	for (size_t off = 0; off < n; off += piece)
		al_gitblob_update(&g, (const char *)p + off, n - off < piece ? n - off : piece);
	al_gitblob_final(&g, out);
	al_gitblob_release(&g);
}

static void test_gitblob(void **state)
{
	char id[41];
	char *zeros = calloc(1, 100000);
	(void)state;
	assert_non_null(zeros);
	gitblob("", 0, 1, id);
	assert_string_equal(id, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	gitblob("hello world\n", 12, 5, id);
	assert_string_equal(id, "3b18e512dba79e4c8300dd08aeb37f8e728b8dad");
	gitblob(zeros, 100000, 4096, id);
	assert_string_equal(id, "f18c9a678f421d5c52f6c5acc23670267d5f632f");
	free(zeros);
}

static void test_repo_valid(void **state)
{
	static const char *const good[] = { "gpt2", "org/name", "Org-1/Name_2.5", "a/b", NULL };
	static const char *const bad[] = { "", "/", "a/", "/b", "a/b/c", "a/../b", ".a/b", "a-/b", "a--b/c",
					   "a..b/c", "a b/c", "a/b@main", NULL };
	(void)state;
	for (const char *const *p = good; *p; p++)
		if (!al_hf_repo_valid(*p))
			fail_msg("'%s' refused", *p);
	for (const char *const *p = bad; *p; p++)
		if (al_hf_repo_valid(*p))
			fail_msg("'%s' accepted", *p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_allowed),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_link_next),
		cmocka_unit_test(test_gitblob),
		cmocka_unit_test(test_repo_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
