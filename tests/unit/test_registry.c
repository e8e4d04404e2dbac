/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_registry.c: the pure parts of src/lib/fetch/registry.c: docker:// references
 * (host with a port, nested repositories, tags, @sha256: pins), WWW-Authenticate
 * challenges as registries send them (distribution's Bearer and Basic, quoted and
 * not), and credentials from a docker-style auth file (the base64 vectors come from
 * coreutils' `base64`); and where `airlock push` puts each kind (src/lib/fetch/push.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "push.h"
#include "registry.h"
#include "unit.h"

#define PIN "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char *ref;
	const char *host, *repo, *tag, *digest; /* NULL host: refused, with msg */
	const char *msg;
} refs[] = {
	{ "docker://127.0.0.1:5000/a/b:tag", "127.0.0.1:5000", "a/b", "tag", "", NULL },
	{ "docker://registry.example.org/app:1.4", "registry.example.org", "app", "1.4", "", NULL },
	{ "docker://r.io/org/sub/app_x.y-z:V1_2.3-rc", "r.io", "org/sub/app_x.y-z", "V1_2.3-rc", "", NULL },
	{ "docker://localhost:5000/a@" PIN, "localhost:5000", "a", NULL, PIN, NULL },
	{ "docker://r.io/a:1@" PIN, "r.io", "a", "1", PIN, NULL },
	{ "docker://[::1]:5000/a:1", "[::1]:5000", "a", "1", "", NULL },
	{ "https://r.io/a:1", NULL, NULL, NULL, NULL, "is not a docker:// reference" },
	{ "docker://r.io", NULL, NULL, NULL, NULL, "names no registry host" },
	{ "docker:///a:1", NULL, NULL, NULL, NULL, "names no registry host" },
	{ "docker://r.io/a", NULL, NULL, NULL, NULL, "names neither a tag nor a digest" },
	{ "docker://r.io/A:1", NULL, NULL, NULL, NULL, "the repository is not lower-case" },
	{ "docker://r.io/a//b:1", NULL, NULL, NULL, NULL, "the repository is not lower-case" },
	{ "docker://r.io/a/:1", NULL, NULL, NULL, NULL, "the repository is not lower-case" },
	{ "docker://r.io/-a:1", NULL, NULL, NULL, NULL, "the repository is not lower-case" },
	{ "docker://r.io/a:", NULL, NULL, NULL, NULL, "is not a valid tag" },
	{ "docker://r.io/a:.x", NULL, NULL, NULL, NULL, "is not a valid tag" },
	{ "docker://r.io/a:x/y", NULL, NULL, NULL, NULL, "is not a valid tag" },
	{ "docker://r.io/a@sha256:abc", NULL, NULL, NULL, NULL, "the pin after '@' is not sha256:" },
	{ "docker://r.io/a@sha512:0123", NULL, NULL, NULL, NULL, "the pin after '@' is not sha256:" },
	{ "docker://r.io/a@SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL, NULL, NULL,
	  NULL, "the pin after '@'" },
	{ "docker://r io/a:1", NULL, NULL, NULL, NULL, "names no registry host" },
	{ "docker://user:pw@r.io/a:1", NULL, NULL, NULL, NULL, "names no registry host" },
};

static void test_ref_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		struct al_docker_ref r;
		struct al_err err = { 0 };
		enum al_code rc = al_docker_ref_parse(refs[i].ref, &r, &err);
		if (!refs[i].host) {
			if (rc != AL_EINVAL || !strstr(err.msg, refs[i].msg))
				fail_msg("%s: rc %d, message '%s'", refs[i].ref, rc, err.msg);
			continue;
		}
		if (rc != AL_OK)
			fail_msg("%s: refused: %s", refs[i].ref, err.msg);
		assert_string_equal(r.host, refs[i].host);
		assert_string_equal(r.repo, refs[i].repo);
		if (refs[i].tag)
			assert_string_equal(r.tag, refs[i].tag);
		else
			assert_null(r.tag);
		assert_string_equal(r.digest, refs[i].digest);
		al_docker_ref_release(&r);
	}
}

static const struct {
	const char *v;
	const char *scheme, *realm, *service, *scope; /* NULL scheme: refused */
} challenges[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/nginx:pull\"",
	  "Bearer", "https://auth.docker.io/token", "registry.docker.io", "repository:library/nginx:pull" },
	{ "Basic realm=\"airlock-test\"", "Basic", "airlock-test", NULL, NULL },
	{ "bearer realm=http://127.0.0.1:1/t, service=reg", "bearer", "http://127.0.0.1:1/t", "reg", NULL },
	{ "Bearer realm=\"a,b\", error=\"invalid_token\"", "Bearer", "a,b", NULL, NULL },
	{ "Bearer realm=\"r\", Basic realm=\"x\"", "Bearer", "r", NULL, NULL }, /* the first challenge */
	{ "Basic", "Basic", NULL, NULL, NULL },
	{ "", NULL, NULL, NULL, NULL },
	{ "Bearer realm=\"unterminated", NULL, NULL, NULL, NULL },
	{ "Bearer realm=\"a\", realm=\"b\"", NULL, NULL, NULL, NULL },
	{ "Averyveryverylongscheme realm=x", NULL, NULL, NULL, NULL },
};

static void check_str(const char *got, const char *want, const char *what)
{
	if (want ? !got || strcmp(got, want) : got != NULL)
		fail_msg("%s: got '%s', expected '%s'", what, got ? got : "(null)", want ? want : "(null)");
}

static void test_challenge_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
		struct al_challenge c;
		struct al_err err = { 0 };
		enum al_code rc = al_challenge_parse(challenges[i].v, &c, &err);
		if (!challenges[i].scheme) {
			if (rc != AL_EINVAL)
				fail_msg("'%s' accepted", challenges[i].v);
			continue;
		}
		if (rc != AL_OK)
			fail_msg("'%s' refused: %s", challenges[i].v, err.msg);
		check_str(c.scheme, challenges[i].scheme, challenges[i].v);
		check_str(c.realm, challenges[i].realm, challenges[i].v);
		check_str(c.service, challenges[i].service, challenges[i].v);
		check_str(c.scope, challenges[i].scope, challenges[i].v);
		al_challenge_release(&c);
	}
}

static void test_auth_lookup(void **state)
{
	struct tmp *t = *state;
	char *f = unit_path(t->dir, "auth.json"), *bad = unit_path(t->dir, "bad.json");
	char *none = unit_path(t->dir, "none.json");
	struct al_registry_cred c;
	struct al_err err = { 0 };
	int found = -1;
	/* printf 'alice:s3cret' | base64; printf 'bob:p:w' | base64 */
	unit_write_str(f, "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"Ym9iOnA6dw==\"},"
			  " \"127.0.0.1:5000\": {\"auth\": \"YWxpY2U6czNjcmV0\"},"
			  " \"other.io\": {\"identitytoken\": \"x\"}}, \"credsStore\": \"desktop\"}");
	assert_int_equal(al_registry_auth_lookup(f, 0, "127.0.0.1:5000", &c, &found, &err), AL_OK);
	assert_int_equal(found, 1);
	assert_string_equal(c.user, "alice");
	assert_string_equal(c.password, "s3cret");
	assert_true(strstr(c.from, "user 'alice' from ") == c.from);
	assert_null(strstr(c.from, "s3cret"));
	al_registry_cred_wipe(&c);
	assert_int_equal(al_registry_auth_lookup(f, 0, "index.docker.io", &c, &found, &err), AL_OK);
	assert_int_equal(found, 1);
	assert_string_equal(c.user, "bob");
	assert_string_equal(c.password, "p:w"); /* the first ':' splits */
	assert_int_equal(al_registry_auth_lookup(f, 0, "127.0.0.1:5001", &c, &found, &err), AL_OK);
	assert_int_equal(found, 0);
	assert_int_equal(al_registry_auth_lookup(f, 0, "other.io", &c, &found, &err), AL_EINVAL);
	assert_non_null(strstr(err.msg, "has no 'auth'"));
	/* printf 'nocolon' | base64 */
	unit_write_str(bad, "{\"auths\": {\"r.io\": {\"auth\": \"bm9jb2xvbg==\"}}}");
	al_err_clear(&err);
	assert_int_equal(al_registry_auth_lookup(bad, 0, "r.io", &c, &found, &err), AL_EINVAL);
	assert_non_null(strstr(err.msg, "is not base64 of user:password"));
	unit_write_str(bad, "{\"auths\": {\"r.io\": {\"auth\": \"!!!\"}}}");
	al_err_clear(&err);
	assert_int_equal(al_registry_auth_lookup(bad, 0, "r.io", &c, &found, &err), AL_EINVAL);
	unit_write_str(bad, "{\"auths\": [1]}");
	al_err_clear(&err);
	assert_int_equal(al_registry_auth_lookup(bad, 0, "r.io", &c, &found, &err), AL_EINVAL);
	unit_write_str(bad, "{\"auths\": ");
	al_err_clear(&err);
	assert_int_equal(al_registry_auth_lookup(bad, 0, "r.io", &c, &found, &err), AL_EINVAL);
	/* an absent file: "no entry" only when that is allowed (the default file) */
	al_err_clear(&err);
	assert_int_equal(al_registry_auth_lookup(none, 1, "r.io", &c, &found, &err), AL_OK);
	assert_int_equal(found, 0);
	assert_int_not_equal(al_registry_auth_lookup(none, 0, "r.io", &c, &found, &err), AL_OK);
	al_registry_cred_wipe(&c);
	free(f);
	free(bad);
	free(none);
}

static const struct {
	const char *ns, *kind, *name, *revision, *filename;
	const char *repo, *tag; /* NULL repo: refused */
} targets[] = {
	{ "site", "image", "myorg/app:1.4", NULL, NULL, "site/myorg/app", "1.4" },
	{ "", "image", "app:1.0", NULL, NULL, "app", "1.0" },
	{ "a/b", "image", "x/app@" PIN, NULL, NULL, "a/b/x/app", NULL },
	{ "site", "image", "app:sha256-0123456789ab", NULL, NULL, "site/app", "sha256-0123456789ab" },
	{ "site", "image", "app", NULL, NULL, "site/app", NULL },
	{ "site", "model", "Qwen/Qwen2.5-0.5B", "0123456789abcdef0123456789abcdef01234567", NULL, "site/models/qwen/qwen2.5-0.5b",
	  "0123456789abcdef0123456789abcdef01234567" },
	{ "site", "model", "local/tiny", NULL, NULL, "site/models/local/tiny", "latest" },
	{ "site", "model", "local/tiny", "refs/pr/1", NULL, "site/models/local/tiny", "latest" },
	{ "site", "wheel", "pip", NULL, "pip-23.0.1-py3-none-any.whl", "site/wheels/pip", "23.0.1-py3-none-any" },
	{ "site", "wheel", "torch", NULL, "torch-2.1.0+cpu-cp311-cp311-linux_x86_64.whl", "site/wheels/torch",
	  "2.1.0_cpu-cp311-cp311-linux_x86_64" },
	{ "site", "file", "Run Book.txt", NULL, NULL, "site/files/run-book.txt", "latest" },
	{ "site", "vulndb", "osv", NULL, NULL, "site/vulndb/osv", "latest" },
	{ "site", "file", "-x", NULL, NULL, NULL, NULL },
	{ "site", "file", "a//b", NULL, NULL, NULL, NULL },
	{ "site", "image", "App:1", NULL, NULL, NULL, NULL },
};

static void test_push_target(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct al_err err = { 0 };
		char *repo = NULL, *tag = NULL;
		enum al_code rc = al_push_target(targets[i].ns, targets[i].kind, targets[i].name, targets[i].revision,
						 targets[i].filename, &repo, &tag, &err);
		if (!targets[i].repo) {
			assert_int_equal(rc, AL_EINVAL);
			assert_non_null(strstr(err.msg, "gives no valid registry name"));
			assert_null(repo);
			continue;
		}
		assert_int_equal(rc, AL_OK);
		assert_string_equal(repo, targets[i].repo);
		if (targets[i].tag)
			assert_string_equal(tag, targets[i].tag);
		else
			assert_null(tag);
		free(repo);
		free(tag);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_parse),
		cmocka_unit_test(test_challenge_parse),
		cmocka_unit_test_setup_teardown(test_auth_lookup, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_push_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
