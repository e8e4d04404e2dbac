/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_spec.c: the bundle spec (src/lib/bundle/spec.h) parsed from in-memory YAML
 * with base directory "/base" and a fixed creation time: a full valid spec,
 * path resolution, image tags, expiry forms, and one must-fail case per rule
 * (each asserting AL_EINVAL and the part of the message that names the
 * fault). Invalid YAML must not be printed: stderr is captured around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fsx.h"
#include "hash.h"
#include "spec.h"
#include "unit.h"

/* 2026-01-01T00:00:00Z (date -u -d 2026-01-01 +%s) */
static const int64_t NOW = 1767225600;
enum { HOUR = 3600, DAY = 86400 };

static enum al_code parse(const char *yaml, struct al_spec *spec, struct al_err *err)
{
	return al_spec_parse(yaml, strlen(yaml), "airlock.yaml", "/base", NOW, spec, err);
}

static const char full_spec[] =
	"name: demo-bundle\n"
	"version: 3\n"
	"expires: 120d\n"
	"platforms: [linux/amd64]\n"
	"python: \"3.11\"\n"
	"artifacts:\n"
	"  - kind: model\n"
	"    path: models/x\n"
	"    name: tiny\n"
	"    source: org/tiny-model\n"
	"    revision: 0123abc\n"
	"    include: [\"*.json\", \"*.safetensors\"]\n"
	"  - kind: wheel\n"
	"    path: wheels\n"
	"  - kind: image\n"
	"    path: images/app:1.4\n"
	"  - kind: file\n"
	"    path: /srv/files/data.bin\n"
	"  - kind: vulndb\n"
	"    path: osv\n"
	"    include: \"*.yaml\"\n";

static void test_full_spec(void **state)
{
	struct al_spec s;
	struct al_err err = { 0 };
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], want_digest[7 + AL_HEX_LEN + 1];
	const struct al_source *src;
	if (parse(full_spec, &s, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	assert_string_equal(s.name, "demo-bundle");
	assert_int_equal(s.version, 3);
	assert_int_equal(s.expires, NOW + 120 * DAY);
	assert_int_equal(s.nsources, 5);
	/* the digest is of the bytes given */
	assert_int_equal(al_sha256_mem(full_spec, strlen(full_spec), d, NULL), AL_OK);
	al_hex(d, hex);
	snprintf(want_digest, sizeof(want_digest), "sha256:%s", hex);
	assert_string_equal(s.spec_digest, want_digest);

	src = &s.sources[0];
	assert_int_equal(src->kind, AL_KIND_MODEL);
	assert_string_equal(src->path, "/base/models/x");
	assert_null(src->tag);
	assert_string_equal(src->name, "tiny");
	assert_string_equal(src->source, "org/tiny-model");
	assert_string_equal(src->revision, "0123abc");
	assert_non_null(src->include);
	assert_string_equal(src->include[0], "*.json");
	assert_string_equal(src->include[1], "*.safetensors");
	assert_null(src->include[2]);
	assert_int_equal(src->line, 0);

	src = &s.sources[1];
	assert_int_equal(src->kind, AL_KIND_WHEEL);
	assert_string_equal(src->path, "/base/wheels");
	assert_null(src->name);
	assert_null(src->include);
	assert_int_equal(src->line, 1);

	src = &s.sources[2];
	assert_int_equal(src->kind, AL_KIND_IMAGE);
	assert_string_equal(src->path, "/base/images/app");
	assert_string_equal(src->tag, "1.4");

	src = &s.sources[3];
	assert_int_equal(src->kind, AL_KIND_FILE);
	assert_string_equal(src->path, "/srv/files/data.bin");

	src = &s.sources[4];
	assert_int_equal(src->kind, AL_KIND_VULNDB);
	assert_string_equal(src->path, "/base/osv");
	assert_non_null(src->include);
	assert_string_equal(src->include[0], "*.yaml");
	assert_null(src->include[1]);
	assert_int_equal(src->line, 4);

	al_spec_release(&s);
	assert_null(s.name);
	assert_null(s.sources);
}

/* One artifact line and where it must resolve to. */
static const struct {
	const char *item;
	const char *path, *tag;
} paths[] = {
	{ "{kind: model, path: models/x}", "/base/models/x", NULL },
	{ "{kind: model, path: /abs/model}", "/abs/model", NULL },
	{ "{kind: image, path: images/app:1.4}", "/base/images/app", "1.4" },
	{ "{kind: image, path: images/app}", "/base/images/app", NULL },
	{ "{kind: image, path: '/srv/oci:latest'}", "/srv/oci", "latest" },
	{ "{kind: image, path: 'host:5000/app'}", "/base/host:5000/app", NULL },
	{ "{kind: file, path: 'a:b'}", "/base/a:b", NULL },
};

static void test_paths(void **state)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char yaml[512];
		struct al_spec s;
		struct al_err err = { 0 };
		snprintf(yaml, sizeof(yaml), "name: b\nversion: 1\nartifacts: [%s]\n", paths[i].item);
		if (parse(yaml, &s, &err) != AL_OK)
			fail_msg("%s: refused: %s", paths[i].item, err.msg);
		assert_string_equal(s.sources[0].path, paths[i].path);
		if (paths[i].tag)
			assert_string_equal(s.sources[0].tag, paths[i].tag);
		else
			assert_null(s.sources[0].tag);
		al_spec_release(&s);
	}
}

/* Remote sources: what `from:` is split into, and the defaults. */
static void test_remote(void **state)
{
	struct al_spec s;
	struct al_err err = { 0 };
	const char *yaml =
		"name: b\nversion: 1\nartifacts:\n"
		"  - {kind: model, from: hf://org/m}\n"
		"  - {kind: model, from: 'hf://gpt2@refs/pr/1', include: ['*.json'], exclude: 'tok*'}\n"
		"  - {kind: file, from: 'https://example.org/a/f.bin?x=1', "
		"sha256: 'sha256:ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789'}\n"
		"  - {kind: image, from: 'docker://127.0.0.1:5000/a/b:1', name: 'myorg/app:1.4'}\n";
	(void)state;
	if (parse(yaml, &s, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	assert_null(s.sources[0].path);
	assert_string_equal(s.sources[0].from, "hf://org/m");
	assert_string_equal(s.sources[0].source, "org/m");
	assert_string_equal(s.sources[0].revision, "main");
	assert_string_equal(s.sources[1].source, "gpt2");
	assert_string_equal(s.sources[1].revision, "refs/pr/1");
	assert_string_equal(s.sources[1].include[0], "*.json");
	assert_null(s.sources[1].include[1]);
	assert_string_equal(s.sources[1].exclude[0], "tok*");
	assert_string_equal(s.sources[2].from, "https://example.org/a/f.bin?x=1");
	assert_string_equal(s.sources[2].sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	assert_null(s.sources[3].path);
	assert_null(s.sources[3].tag);
	assert_string_equal(s.sources[3].from, "docker://127.0.0.1:5000/a/b:1");
	assert_string_equal(s.sources[3].name, "myorg/app:1.4");
	al_spec_release(&s);
}

static const struct {
	const char *expires; /* NULL: the key is absent */
	int64_t want;
} expiries[] = {
	{ NULL, NOW + 90 * DAY },
	{ "120d", NOW + 120 * DAY },
	{ "36h", NOW + 36 * HOUR },
	{ "2w", NOW + 14 * DAY },
	{ "2030-01-01", 1893456000 },             /* date -u -d 2030-01-01 +%s */
	{ "2030-01-01T12:00:00Z", 1893499200 },
};

static void test_expires(void **state)
{
	for (size_t i = 0; i < sizeof(expiries) / sizeof(expiries[0]); i++) {
		char yaml[512];
		struct al_spec s;
		struct al_err err = { 0 };
		snprintf(yaml, sizeof(yaml),
			 "name: b\nversion: 1\n%s%s%s\nartifacts: [{kind: file, path: f}]\n",
			 expiries[i].expires ? "expires: \"" : "",
			 expiries[i].expires ? expiries[i].expires : "", expiries[i].expires ? "\"" : "");
		if (parse(yaml, &s, &err) != AL_OK)
			fail_msg("expires %s: refused: %s", expiries[i].expires, err.msg);
		assert_int_equal(s.expires, expiries[i].want);
		al_spec_release(&s);
	}
}

/* Each spec must be refused with AL_EINVAL and a message containing `why`. */
static const struct {
	const char *what, *yaml, *why;
} bad[] = {
	{ "missing name", "version: 1\nartifacts: [{kind: file, path: f}]\n", "'name' is missing" },
	{ "bad name", "name: Bad Name\nversion: 1\nartifacts: [{kind: file, path: f}]\n",
	  "bad name 'Bad Name'" },
	{ "name starting with '-'", "name: -x\nversion: 1\nartifacts: [{kind: file, path: f}]\n",
	  "bad name" },
	{ "missing version", "name: b\nartifacts: [{kind: file, path: f}]\n", "'version' is missing" },
	{ "version 0", "name: b\nversion: 0\nartifacts: [{kind: file, path: f}]\n",
	  "'version' must be a positive integer" },
	{ "version -1", "name: b\nversion: -1\nartifacts: [{kind: file, path: f}]\n",
	  "'version' must be a positive integer" },
	{ "version abc", "name: b\nversion: abc\nartifacts: [{kind: file, path: f}]\n",
	  "'version' must be a positive integer" },
	{ "version 1.5", "name: b\nversion: 1.5\nartifacts: [{kind: file, path: f}]\n",
	  "'version' must be a positive integer" },
	{ "version null", "name: b\nversion:\nartifacts: [{kind: file, path: f}]\n", "'version'" },
	{ "version too big", "name: b\nversion: 99999999999999999999\nartifacts: [{kind: file, path: f}]\n",
	  "'version' must be a positive integer" },
	{ "unknown top-level key", "name: b\nversion: 1\ncolour: red\nartifacts: [{kind: file, path: f}]\n",
	  "unknown key 'colour'" },
	{ "unknown artifact key", "name: b\nversion: 1\nartifacts: [{kind: file, path: f, mirror: x}]\n",
	  "artifacts[0]: unknown key 'mirror'" },
	{ "unknown kind", "name: b\nversion: 1\nartifacts: [{kind: dataset, path: f}]\n",
	  "unknown kind 'dataset'" },
	{ "missing kind", "name: b\nversion: 1\nartifacts: [{path: f}]\n", "'kind' is missing" },
	{ "wheels without python", "name: b\nversion: 1\nartifacts: [{kind: wheels, requirements: r.txt}]\n",
	  "artifacts[0]: kind 'wheels' needs 'python' and 'platforms' at the top of the spec" },
	{ "wheels without platforms", "name: b\nversion: 1\npython: \"3.11\"\nartifacts: [{kind: wheels, requirements: r.txt}]\n",
	  "kind 'wheels' needs 'python' and 'platforms'" },
	{ "wheels with a path", "name: b\nversion: 1\nartifacts: [{kind: wheels, requirements: r.txt, path: w}]\n",
	  "artifacts[0]: 'path' does not apply to kind 'wheels', which takes only 'requirements'" },
	{ "wheels without requirements", "name: b\nversion: 1\nartifacts: [{kind: wheels}]\n",
	  "'requirements' is missing" },
	{ "wheels empty requirements", "name: b\nversion: 1\nartifacts: [{kind: wheels, requirements: ''}]\n",
	  "'requirements' is empty" },
	{ "requirements on a wheel", "name: b\nversion: 1\nartifacts: [{kind: wheel, requirements: r.txt}]\n",
	  "'requirements' belongs to kind 'wheels' (a hash-pinned requirements file), not wheel" },
	/* remote sources (docs/FORMAT.md §1) */
	{ "from and path", "name: b\nversion: 1\nartifacts: [{kind: model, from: hf://org/m, path: m}]\n",
	  "give either 'path' or 'from', not both" },
	{ "hf for a file", "name: b\nversion: 1\nartifacts: [{kind: file, from: hf://org/m}]\n",
	  "'from: hf://…' is for kind model, not file" },
	{ "https for a model", "name: b\nversion: 1\nartifacts: [{kind: model, from: 'https://x/m'}]\n",
	  "is for kind file, not model" },
	{ "https without sha256", "name: b\nversion: 1\nartifacts: [{kind: file, from: 'https://x/f'}]\n",
	  "'sha256' is missing (a file from a URL must be pinned" },
	{ "sha256 short", "name: b\nversion: 1\nartifacts: [{kind: file, from: 'https://x/f', sha256: abc}]\n",
	  "'sha256' is 'abc', not 64 hex digits" },
	{ "sha256 on hf", "name: b\nversion: 1\nartifacts: [{kind: model, from: hf://org/m, sha256: abc}]\n",
	  "'sha256' applies to https:// files" },
	{ "bad repo", "name: b\nversion: 1\nartifacts: [{kind: model, from: 'hf://org/../m@main'}]\n",
	  "does not name a Hub repository" },
	{ "repo three parts", "name: b\nversion: 1\nartifacts: [{kind: model, from: 'hf://a/b/c'}]\n",
	  "does not name a Hub repository" },
	{ "empty revision", "name: b\nversion: 1\nartifacts: [{kind: model, from: 'hf://org/m@'}]\n",
	  "empty or over-long revision" },
	{ "revision with from", "name: b\nversion: 1\nartifacts: [{kind: model, from: hf://org/m, revision: x}]\n",
	  "'revision' and 'source' come from 'from'" },
	{ "unknown scheme", "name: b\nversion: 1\nartifacts: [{kind: image, from: 'oci://r/i:1'}]\n",
	  "airlock fetches https:// files, hf:// models and docker:// images" },
	{ "docker for a file", "name: b\nversion: 1\nartifacts: [{kind: file, from: 'docker://r.io/i:1'}]\n",
	  "'from: docker://…' is for kind image, not file" },
	{ "docker with sha256",
	  "name: b\nversion: 1\nartifacts: [{kind: image, from: 'docker://r.io/i:1', sha256: abc}]\n",
	  "pin an image with docker://…@sha256:…" },
	{ "docker without tag", "name: b\nversion: 1\nartifacts: [{kind: image, from: 'docker://r.io/i'}]\n",
	  "artifacts[0]: 'docker://r.io/i' names neither a tag nor a digest" },
	{ "docker include", "name: b\nversion: 1\nartifacts: [{kind: image, from: 'docker://r.io/i:1', include: ['*']}]\n",
	  "'include' applies to model and vulndb only" },
	{ "exclude on a file", "name: b\nversion: 1\nartifacts: [{kind: file, path: f, exclude: ['*']}]\n",
	  "'exclude' applies to model and vulndb only" },
	{ "sha256 on a local source",
	  "name: b\nversion: 1\nartifacts: [{kind: file, path: f, sha256: abc}]\n", "'sha256'" },
	{ "missing path", "name: b\nversion: 1\nartifacts: [{kind: file}]\n", "'path' is missing" },
	{ "empty path", "name: b\nversion: 1\nartifacts: [{kind: file, path: ''}]\n", "'path' is empty" },
	{ "include on a file", "name: b\nversion: 1\nartifacts: [{kind: file, path: f, include: ['*']}]\n",
	  "'include' applies to model and vulndb only" },
	{ "revision on a wheel", "name: b\nversion: 1\nartifacts: [{kind: wheel, path: w, revision: x}]\n",
	  "apply to models only" },
	{ "empty image tag", "name: b\nversion: 1\nartifacts: [{kind: image, path: 'img:'}]\n",
	  "empty tag" },
	{ "second item bad",
	  "name: b\nversion: 1\nartifacts: [{kind: file, path: f}, {kind: nope, path: g}]\n",
	  "artifacts[1]" },
	{ "item not a mapping", "name: b\nversion: 1\nartifacts: [f]\n", "artifacts[0]" },
	{ "expires in the past",
	  "name: b\nversion: 1\nexpires: 2020-01-01\nartifacts: [{kind: file, path: f}]\n",
	  "is in the past" },
	{ "expires garbage", "name: b\nversion: 1\nexpires: soon\nartifacts: [{kind: file, path: f}]\n",
	  "bad 'expires' 'soon'" },
	{ "expires 0d", "name: b\nversion: 1\nexpires: 0d\nartifacts: [{kind: file, path: f}]\n",
	  "bad 'expires'" },
	{ "expires not a string", "name: b\nversion: 1\nexpires: [1]\nartifacts: [{kind: file, path: f}]\n",
	  "'expires' has the wrong type: expected a string such as 120d, got a sequence" },
	{ "duplicate keys", "name: a\nversion: 1\nname: b\nartifacts: [{kind: file, path: f}]\n",
	  "duplicate key" },
	{ "YAML alias", "name: &n b\nversion: 1\nartifacts: [{kind: file, path: *n}]\n", "aliases" },
	{ "empty artifacts", "name: b\nversion: 1\nartifacts: []\n", "'artifacts' must be a non-empty list" },
	{ "missing artifacts", "name: b\nversion: 1\n", "'artifacts' is missing" },
	{ "artifacts a mapping", "name: b\nversion: 1\nartifacts: {kind: file, path: f}\n",
	  "'artifacts' has the wrong type: expected a sequence, got a mapping" },
	{ "top level a list", "- name: b\n- version: 1\n", "the top level must be a mapping" },
	{ "top level a scalar", "just a string\n", "the top level must be a mapping" },
	{ "empty document", "", "airlock.yaml" },
	/* a key of the wrong type says so; it is not "missing" */
	{ "version a sequence", "name: b\nversion: [1]\nartifacts: [{kind: file, path: f}]\n",
	  "airlock.yaml: 'version' has the wrong type: expected an integer, got a sequence" },
	{ "version a mapping", "name: b\nversion: {n: 1}\nartifacts: [{kind: file, path: f}]\n",
	  "'version' has the wrong type: expected an integer, got a mapping" },
	{ "version empty", "name: b\nversion:\nartifacts: [{kind: file, path: f}]\n",
	  "'version' has the wrong type: expected an integer, got nothing (an empty value)" },
	{ "name a sequence", "name: [b]\nversion: 1\nartifacts: [{kind: file, path: f}]\n",
	  "'name' has the wrong type: expected a string, got a sequence" },
	{ "name empty", "name:\nversion: 1\nartifacts: [{kind: file, path: f}]\n",
	  "'name' has the wrong type: expected a string, got nothing" },
	{ "kind a sequence", "name: b\nversion: 1\nartifacts: [{kind: [file], path: f}]\n",
	  "artifacts[0]: 'kind' has the wrong type: expected a kind such as model or file, got a sequence" },
	{ "path a mapping", "name: b\nversion: 1\nartifacts: [{kind: file, path: {p: f}}]\n",
	  "artifacts[0]: 'path' has the wrong type: expected a path, got a mapping" },
	{ "artifact name a sequence", "name: b\nversion: 1\nartifacts: [{kind: file, path: f, name: [x]}]\n",
	  "artifacts[0]: 'name' has the wrong type: expected a string, got a sequence" },
	{ "include a mapping", "name: b\nversion: 1\nartifacts: [{kind: model, path: m, include: {a: b}}]\n",
	  "artifacts[0]: 'include' has the wrong type: expected a sequence of patterns, got a mapping" },
	{ "item a sequence", "name: b\nversion: 1\nartifacts: [[kind, file]]\n",
	  "artifacts[0] has the wrong type: expected a mapping with 'kind' and 'path', got a sequence" },
	/* aliases as mapping keys: PyYAML reads the anchored value, a naive reader the alias name */
	{ "alias as a top-level key", "name: &n b\nversion: 1\n*n : x\nartifacts: [{kind: file, path: f}]\n",
	  "a YAML alias is used as a mapping key; aliases are not accepted" },
	{ "alias as an artifact key", "name: b\nversion: 1\nartifacts: [{kind: &k path, *k : f}]\n",
	  "a YAML alias is used as a mapping key" },
	{ "alias as a complex key", "name: &n b\nversion: 1\n? *n\n: x\nartifacts: [{kind: file, path: f}]\n",
	  "a YAML alias is used as a mapping key" },
	/* platforms and python */
	{ "platforms a scalar", "name: b\nversion: 1\nplatforms: linux/amd64\nartifacts: [{kind: file, path: f}]\n",
	  "'platforms' has the wrong type: expected a sequence of platforms such as [linux/amd64], got a scalar" },
	{ "platforms a mapping", "name: b\nversion: 1\nplatforms: {linux: amd64}\nartifacts: [{kind: file, path: f}]\n",
	  "'platforms' has the wrong type" },
	{ "platforms empty", "name: b\nversion: 1\nplatforms: []\nartifacts: [{kind: file, path: f}]\n",
	  "'platforms' is empty" },
	{ "platform a mapping", "name: b\nversion: 1\nplatforms: [{os: linux}]\nartifacts: [{kind: file, path: f}]\n",
	  "'platforms[0]' has the wrong type: expected a platform such as linux/amd64, got a mapping" },
	{ "platform without arch", "name: b\nversion: 1\nplatforms: [linux/amd64, linux]\nartifacts: [{kind: file, path: f}]\n",
	  "'platforms[1]' is 'linux', not a platform" },
	{ "platform upper case", "name: b\nversion: 1\nplatforms: [Linux/AMD64]\nartifacts: [{kind: file, path: f}]\n",
	  "not a platform" },
	{ "platform empty part", "name: b\nversion: 1\nplatforms: [linux//amd64]\nartifacts: [{kind: file, path: f}]\n",
	  "not a platform" },
	{ "platform four parts", "name: b\nversion: 1\nplatforms: [linux/arm64/v8/x]\nartifacts: [{kind: file, path: f}]\n",
	  "not a platform" },
	{ "platform twice", "name: b\nversion: 1\nplatforms: [linux/amd64, linux/amd64]\nartifacts: [{kind: file, path: f}]\n",
	  "platform 'linux/amd64' is listed twice" },
	{ "python a sequence", "name: b\nversion: 1\npython: [3, 11]\nartifacts: [{kind: file, path: f}]\n",
	  "'python' has the wrong type: expected a version such as \"3.11\", got a sequence" },
	{ "python a word", "name: b\nversion: 1\npython: three\nartifacts: [{kind: file, path: f}]\n",
	  "'python' is 'three', not a version" },
	{ "python major only", "name: b\nversion: 1\npython: \"3\"\nartifacts: [{kind: file, path: f}]\n",
	  "'python' is '3', not a version" },
	{ "python a range", "name: b\nversion: 1\npython: \">=3.9\"\nartifacts: [{kind: file, path: f}]\n",
	  "not a version" },
	/* unquoted X.Y that YAML 1.1 readers (PyYAML) read as a number of another value */
	{ "python 3.10 unquoted", "name: b\nversion: 1\npython: 3.10\nartifacts: [{kind: file, path: f}]\n",
	  "'python' is 3.10 unquoted, which YAML 1.1 readers such as PyYAML read as a number of another value; quote it: python: \"3.10\"" },
	{ "python 03.11 unquoted", "name: b\nversion: 1\npython: 03.11\nartifacts: [{kind: file, path: f}]\n",
	  "'python' is 03.11 unquoted" },
	{ "python 3.10 in flow style", "{name: b, version: 1, python: 3.10, artifacts: [{kind: file, path: f}]}\n",
	  "'python' is 3.10 unquoted" },
	{ "python trailing dot", "name: b\nversion: 1\npython: \"3.11.\"\nartifacts: [{kind: file, path: f}]\n",
	  "not a version" },

};

static void test_rejects(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct al_spec s;
		struct al_err err = { 0 };
		enum al_code rc = parse(bad[i].yaml, &s, &err);
		if (rc != AL_EINVAL)
			fail_msg("%s: got %d, want AL_EINVAL (%s)", bad[i].what, rc, err.msg);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].what, err.msg, bad[i].why);
		/* a failed parse leaves nothing to free */
		assert_null(s.name);
		assert_null(s.sources);
		assert_null(s.platforms);
		assert_null(s.python);
	}
}

/* kind: wheels is a wheel source whose files come from an index: the requirements path
 * resolves against the spec's directory, and nothing local is named */
static void test_wheels_requirements(void **state)
{
	struct al_spec s;
	struct al_err err = { 0 };
	(void)state;
	if (parse("name: b\nversion: 1\nplatforms: [linux/amd64]\npython: \"3.11\"\n"
		  "artifacts: [{kind: wheels, requirements: reqs/r.txt}]\n", &s, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(s.nsources, 1);
	assert_int_equal(s.sources[0].kind, AL_KIND_WHEEL);
	assert_string_equal(s.sources[0].requirements, "/base/reqs/r.txt");
	assert_null(s.sources[0].path);
	assert_null(s.sources[0].from);
	al_spec_release(&s);
}

/* platforms and python are parsed, kept, and recorded in airlock.json; absent, nothing is */
static void test_targets(void **state)
{
	struct al_spec s;
	struct al_err err = { 0 };
	json_t *meta = json_object();
	char *text;
	(void)state;
	if (parse("name: b\nversion: 1\nplatforms: [linux/amd64, linux/arm64/v8]\npython: \"3.11\"\n"
		  "artifacts: [{kind: file, path: f}]\n", &s, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(s.nplatforms, 2);
	assert_string_equal(s.platforms[0], "linux/amd64");
	assert_string_equal(s.platforms[1], "linux/arm64/v8");
	assert_null(s.platforms[2]);
	assert_string_equal(s.python, "3.11");
	assert_int_equal(al_spec_meta_add(&s, meta, &err), AL_OK);
	text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"platforms\":[\"linux/amd64\",\"linux/arm64/v8\"],\"python\":\"3.11\"}");
	free(text);
	al_spec_release(&s);
	json_decref(meta);

	/* quoted, or unquoted where every YAML reader reads the same text */
	for (const char *const *ok = (const char *const[]){ "\"3.10\"", "'3.10'", "3.11", "3.0", "3.1", "\"03.11\"", NULL };
	     *ok; ok++) {
		char yaml[128];
		snprintf(yaml, sizeof(yaml), "name: b\nversion: 1\npython: %s\nartifacts: [{kind: file, path: f}]\n", *ok);
		if (parse(yaml, &s, &err) != AL_OK)
			fail_msg("python: %s refused: %s", *ok, err.msg);
		al_spec_release(&s);
	}
	meta = json_object();
	if (parse("name: b\nversion: 1\npython: 3.12.1\nartifacts: [{kind: file, path: f}]\n", &s, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	assert_null(s.platforms);
	assert_int_equal(s.nplatforms, 0);
	assert_string_equal(s.python, "3.12.1");
	al_spec_release(&s);
	if (parse("name: b\nversion: 1\nartifacts: [{kind: file, path: f}]\n", &s, &err) != AL_OK)
		fail_msg("refused: %s", err.msg);
	assert_null(s.platforms);
	assert_null(s.python);
	assert_int_equal(al_spec_meta_add(&s, meta, &err), AL_OK);
	assert_int_equal(json_object_size(meta), 0);
	al_spec_release(&s);
	json_decref(meta);
}

static void test_one_document_only(void **state)
{
	/* a second YAML document must be refused, never silently dropped with its artifacts */
	static const char yaml[] = "name: b\nversion: 1\nartifacts: [{kind: file, path: f}]\n---\n"
				   "artifacts: [{kind: file, path: g}]\n";
	struct al_spec s;
	struct al_err err = { 0 };
	enum al_code rc = parse(yaml, &s, &err);
	if (rc == AL_OK)
		al_spec_release(&s);
	assert_int_equal(rc, AL_EINVAL);
	assert_contains(err.msg, "airlock.yaml");
}

static void test_invalid_yaml_is_silent(void **state)
{
	static const char *const yamls[] = {
		"name: [unclosed\n",
		"name: b\n  version: 1\n bad indent\n",
		"key: \"unterminated\n",
		"\t- tab\n",
	};
	char *dir = unit_tmpdir(), *log = unit_path(dir, "stderr");
	for (size_t i = 0; i < sizeof(yamls) / sizeof(yamls[0]); i++) {
		struct al_spec s;
		struct al_err err = { 0 };
		enum al_code rc;
		size_t n;
		char *out;
		int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(saved >= 0 && fd >= 0);
		fflush(stderr);
		dup2(fd, 2);
		close(fd);
		rc = parse(yamls[i], &s, &err);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		out = unit_read(log, &n);
		if (n)
			fail_msg("yaml %zu: printed to stderr: %s", i, out);
		free(out);
		if (rc != AL_EINVAL)
			fail_msg("yaml %zu: got %d, want AL_EINVAL (%s)", i, rc, err.msg);
		assert_contains(err.msg, "airlock.yaml");
		assert_null(s.name);
	}
	assert_int_equal(al_rmtree(dir, NULL), AL_OK);
	free(log);
	free(dir);
}

static void test_kind_roundtrip(void **state)
{
	static const struct {
		enum al_kind k;
		const char *name;
	} kinds[] = {
		{ AL_KIND_MODEL, "model" }, { AL_KIND_WHEEL, "wheel" }, { AL_KIND_IMAGE, "image" },
		{ AL_KIND_FILE, "file" },   { AL_KIND_VULNDB, "vulndb" },
	};
	static const char *const unknown[] = { "", "models", "Model", "wheels", "MODEL", " file", NULL };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		enum al_kind k = (enum al_kind)99;
		assert_string_equal(al_kind_name(kinds[i].k), kinds[i].name);
		assert_int_equal(al_kind_parse(kinds[i].name, &k), 0);
		assert_int_equal(k, kinds[i].k);
	}
	for (const char *const *s = unknown; *s; s++) {
		enum al_kind k = AL_KIND_FILE;
		if (al_kind_parse(*s, &k) != -1)
			fail_msg("kind '%s' accepted", *s);
		assert_int_equal(k, AL_KIND_FILE);
	}
	assert_string_equal(al_kind_name((enum al_kind)99), "?");
}

static void test_expiry_parse(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t want;
	} cases[] = {
		{ "1h", 0, NOW + HOUR },
		{ "36h", 0, NOW + 36 * HOUR },
		{ "120d", 0, NOW + 120 * DAY },
		{ "2w", 0, NOW + 14 * DAY },
		{ "99999d", 0, NOW + 99999LL * DAY },
		{ "2030-01-01", 0, 1893456000 },
		{ "2030-01-01T12:00:00Z", 0, 1893499200 },
		{ "0d", -1, 0 },
		{ "0h", -1, 0 },
		{ "d", -1, 0 },
		{ "h", -1, 0 },
		{ "-1d", -1, 0 },
		{ "+1d", -1, 0 },
		{ "1.5d", -1, 0 },
		{ " 1d", -1, 0 },
		{ "1 d", -1, 0 },
		{ "1y", -1, 0 },
		{ "1m", -1, 0 },
		{ "12D", -1, 0 },
		{ "12345678901d", -1, 0 },
		{ "", -1, 0 },
		{ "soon", -1, 0 },
		{ "2026-13-01", -1, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t out = -7;
		int rc = al_expiry_parse(cases[i].s, NOW, &out);
		if (rc != cases[i].rc)
			fail_msg("'%s': got %d, want %d", cases[i].s, rc, cases[i].rc);
		if (rc == 0 && out != cases[i].want)
			fail_msg("'%s': got %lld, want %lld", cases[i].s, (long long)out,
				 (long long)cases[i].want);
	}
}

static void test_bundle_name(void **state)
{
	static const char *const good[] = { "a", "0", "demo-bundle", "a.b_c-d", "x1", NULL };
	static const char *const badn[] = { "", "A", "Bad Name", "-a", ".a", "_a", "a/b", "a b",
					    "caf\xc3\xa9", NULL };
	char long_name[130];
	for (const char *const *s = good; *s; s++)
		if (al_bundle_name_bad(*s))
			fail_msg("name '%s' refused", *s);
	for (const char *const *s = badn; *s; s++)
		if (!al_bundle_name_bad(*s))
			fail_msg("name '%s' accepted", *s);
	memset(long_name, 'a', 128);
	long_name[128] = '\0';
	assert_null(al_bundle_name_bad(long_name));
	long_name[128] = 'a';
	long_name[129] = '\0';
	assert_non_null(al_bundle_name_bad(long_name));
}

/* A spec file that cannot be read leaves the spec holding nothing (zeroed), as spec.h says. */
static void test_load_missing_leaves_nothing(void **state)
{
	struct al_spec spec, zero = { 0 };
	struct al_err err = { 0 };
	(void)state;
	memset(&spec, 0xa5, sizeof(spec));
	assert_int_equal(al_spec_load("/nonexistent/airlock.yaml", 0, &spec, &err), AL_ENOENT);
	assert_memory_equal(&spec, &zero, sizeof(spec));
	al_spec_release(&spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_spec),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_remote),
		cmocka_unit_test(test_expires),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_wheels_requirements),
		cmocka_unit_test(test_one_document_only),
		cmocka_unit_test(test_invalid_yaml_is_silent),
		cmocka_unit_test(test_kind_roundtrip),
		cmocka_unit_test(test_expiry_parse),
		cmocka_unit_test(test_bundle_name),
		cmocka_unit_test(test_load_missing_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
