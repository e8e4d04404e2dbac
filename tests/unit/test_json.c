/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c: JSON and YAML into one jansson tree (src/lib/json.h). YAML
 * scalars stay strings except the plain null forms; duplicate keys and
 * aliases are refused in both languages; al_json_int takes an integer or a
 * plain decimal string and nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "json.h"
#include "unit.h"

/* YAML in, compact JSON out (keys in document order). */
static const struct {
	const char *yaml, *json;
} conversions[] = {
	{ "a: ~", "{\"a\":null}" },
	{ "a: null", "{\"a\":null}" },
	{ "a:", "{\"a\":null}" },
	{ "a: 'null'", "{\"a\":\"null\"}" },
	{ "a: \"null\"", "{\"a\":\"null\"}" },
	{ "a: \"~\"", "{\"a\":\"~\"}" },
	{ "a: ''", "{\"a\":\"\"}" },
	{ "a: 1", "{\"a\":\"1\"}" },
	{ "a: true", "{\"a\":\"true\"}" },
	{ "a: 1.5e3", "{\"a\":\"1.5e3\"}" },
	{ "a: nullx", "{\"a\":\"nullx\"}" },
	{ "b: 1\na: 2", "{\"b\":\"1\",\"a\":\"2\"}" },
	{ "a: {b: [1, {c: d}, [], {}]}", "{\"a\":{\"b\":[\"1\",{\"c\":\"d\"},[],{}]}}" },
	{ "a:\n  - x\n  -\n  - ~\n", "{\"a\":[\"x\",null,null]}" },
	{ "- a\n- b", "[\"a\",\"b\"]" },
	{ "plain", "\"plain\"" },
	{ "a: |\n  line1\n  line2\n", "{\"a\":\"line1\\nline2\\n\"}" },
	{ "a: \"caf\\u00e9\"", "{\"a\":\"caf\xc3\xa9\"}" }, /* jansson writes UTF-8 as is */
	{ "'1': x", "{\"1\":\"x\"}" },
};

static void test_yaml_conversions(void **state)
{
	for (size_t i = 0; i < sizeof(conversions) / sizeof(conversions[0]); i++) {
		json_t *j = NULL;
		struct al_err err = { 0 };
		struct al_buf b;
		const char *y = conversions[i].yaml;
		if (al_yaml_parse(y, strlen(y), "t.yaml", &j, &err) != AL_OK)
			fail_msg("'%s' refused: %s", y, err.msg);
		al_buf_init(&b, 4096);
		assert_int_equal(al_json_dump(j, 0, &b, &err), AL_OK);
		if (strcmp(b.data, conversions[i].json) != 0)
			fail_msg("'%s' gave %s, want %s", y, b.data, conversions[i].json);
		al_buf_release(&b);
		json_decref(j);
	}
}

static const struct {
	const char *yaml, *why;
} yaml_bad[] = {
	{ "a: 1\na: 2", "duplicate key" },
	{ "x: {k: 1, k: 2}", "duplicate key" },
	{ "a: &x 1\nb: *x", "aliases" },
	{ "a: &x [1, 2]\nb: *x", "aliases" },
	{ "a: &x {k: v}\nb: [*x, *x]", "aliases" },
	{ "? [a, b]\n: c", "not a plain string" },
	{ "a: [unclosed", "is not valid YAML" },
	{ "a: \"unterminated", "is not valid YAML" },
	/* libfyaml 0.7.12 loops forever on these: refused before it sees them */
	{ "%\xff", "not valid UTF-8" },
	{ "a: b\n%\xfe", "not valid UTF-8" },
	{ "a: \xc0\xaf", "not valid UTF-8" },         /* overlong '/' */
	{ "a: \xed\xa0\x80", "not valid UTF-8" },    /* a surrogate */
	{ "a: \"x\\0y\"", "NUL character" },         /* an escape that would cut the string */
	{ "", "is empty" },
};

static void test_yaml_rejects(void **state)
{
	for (size_t i = 0; i < sizeof(yaml_bad) / sizeof(yaml_bad[0]); i++) {
		json_t *j = NULL;
		struct al_err err = { 0 };
		const char *y = yaml_bad[i].yaml;
		if (al_yaml_parse(y, strlen(y), "t.yaml", &j, &err) != AL_EINVAL)
			fail_msg("'%s' not refused with AL_EINVAL (%s)", y, err.msg);
		if (!strstr(err.msg, yaml_bad[i].why))
			fail_msg("'%s': message \"%s\" lacks \"%s\"", y, err.msg, yaml_bad[i].why);
		assert_contains(err.msg, "t.yaml");
		assert_null(j);
	}
}

static void test_yaml_one_document(void **state)
{
	/* "one YAML document": a second one must be refused, not silently dropped */
	static const char *const docs[] = { "a: b\n---\nc: d\n", "a: b\n...\n---\na: c\n" };
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *j = NULL;
		struct al_err err = { 0 };
		enum al_code rc = al_yaml_parse(docs[i], strlen(docs[i]), "t.yaml", &j, &err);
		if (rc != AL_EINVAL) {
			char *got = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
			fail_msg("two documents accepted as %s", got ? got : "?");
		}
		assert_contains(err.msg, "t.yaml");
	}
}

static void test_yaml_depth(void **state)
{
	/* nesting is bounded (libfyaml stops at 64 levels, the converter at 64 too) */
	static const size_t depths[] = { 63, 64, 66, 1000 };
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		static char y[2 * 1000 + 2];
		size_t d = depths[i];
		json_t *j = NULL;
		struct al_err err = { 0 };
		enum al_code rc;
		memset(y, '[', d);
		y[d] = 'x';
		memset(y + d + 1, ']', d);
		y[2 * d + 1] = '\0';
		rc = al_yaml_parse(y, strlen(y), "deep.yaml", &j, &err);
		if (d < 64) {
			assert_int_equal(rc, AL_OK);
			json_decref(j);
		} else {
			assert_int_equal(rc, AL_EINVAL);
			assert_null(j);
		}
	}
}

static void test_yaml_messages_deterministic(void **state)
{
	/* the same bad input must give the same message wherever it sits in memory */
	static const char *const docs[] = { "a: [unclosed", "a: 1\na: 2", "k: \"x\n" };
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		size_t n = strlen(docs[i]);
		char *one = malloc(n + 1), *two = malloc(n + 4096);
		struct al_err e1 = { 0 }, e2 = { 0 };
		json_t *j = NULL;
		assert_non_null(one);
		assert_non_null(two);
		memcpy(one, docs[i], n + 1);
		memcpy(two + 4000, docs[i], n + 1);
		assert_int_equal(al_yaml_parse(one, n, "t.yaml", &j, &e1), AL_EINVAL);
		assert_int_equal(al_yaml_parse(two + 4000, n, "t.yaml", &j, &e2), AL_EINVAL);
		if (strcmp(e1.msg, e2.msg) != 0)
			fail_msg("messages differ:\n  %s\n  %s", e1.msg, e2.msg);
		free(one);
		free(two);
	}
}

static void test_json_parse(void **state)
{
	static const struct {
		const char *json;
		int ok;
	} cases[] = {
		{ "{\"a\":1,\"b\":[true,null,\"x\"]}", 1 },
		{ "[]", 1 },
		{ "\"s\"", 1 },
		{ "{\"a\":1,\"a\":2}", 0 },
		{ "{\"x\":{\"k\":1,\"k\":1}}", 0 },
		{ "{\"a\":1", 0 },
		{ "{\"a\":1} trailing", 0 },
		{ "", 0 },
		{ "{'a':1}", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = NULL;
		struct al_err err = { 0 };
		enum al_code rc = al_json_parse(cases[i].json, strlen(cases[i].json), "m.json", &j, &err);
		if ((rc == AL_OK) != cases[i].ok)
			fail_msg("'%s': got %d (%s)", cases[i].json, rc, err.msg);
		if (rc == AL_OK) {
			assert_non_null(j);
			json_decref(j);
		} else {
			assert_contains(err.msg, "m.json");
			assert_int_equal(err.code, rc);
		}
	}
	/* the duplicate is named */
	{
		json_t *j = NULL;
		struct al_err err = { 0 };
		const char *s = "{\"digest\":\"a\",\"digest\":\"b\"}";
		assert_int_not_equal(al_json_parse(s, strlen(s), "m.json", &j, &err), AL_OK);
		assert_contains(err.msg, "duplicate");
	}
	/* parsing is bounded by n, not by a NUL */
	{
		json_t *j = NULL;
		assert_int_equal(al_json_parse("[1]garbage", 3, "m.json", &j, NULL), AL_OK);
		assert_int_equal(json_array_size(j), 1);
		json_decref(j);
	}
}

static void test_json_dump(void **state)
{
	const char *in = "{\"z\":1,\"a\":[true,null,\"x\"],\"m\":{}}";
	json_t *j = NULL;
	struct al_buf b;
	al_buf_init(&b, 4096);
	assert_int_equal(al_json_parse(in, strlen(in), "m.json", &j, NULL), AL_OK);
	assert_int_equal(al_json_dump(j, 0, &b, NULL), AL_OK);
	assert_string_equal(b.data, in); /* insertion order, compact */
	al_buf_reset(&b);
	assert_int_equal(al_json_dump(j, AL_JSON_PRETTY, &b, NULL), AL_OK);
	assert_string_equal(b.data, "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    \"x\"\n  ],\n"
				    "  \"m\": {}\n}\n");
	al_buf_release(&b);
	/* a cap too small is AL_ELIMIT, not a truncated document */
	{
		struct al_err err = { 0 };
		al_buf_init(&b, 10);
		assert_int_equal(al_json_dump(j, 0, &b, &err), AL_ELIMIT);
		al_buf_release(&b);
	}
	json_decref(j);
}

static void test_json_int(void **state)
{
	static const struct {
		const char *json; /* value of "v" */
		int rc;
		int64_t want;
	} cases[] = {
		{ "5", 0, 5 },
		{ "0", 0, 0 },
		{ "-3", 0, -3 },
		{ "9007199254740993", 0, 9007199254740993LL },
		{ "\"42\"", 0, 42 },
		{ "\"0\"", 0, 0 },
		{ "\"9223372036854775807\"", 0, INT64_MAX },
		{ "\"+1\"", -1, 0 },
		{ "\"-1\"", -1, 0 },
		{ "\"1x\"", -1, 0 },
		{ "\" 1\"", -1, 0 },
		{ "\"1 \"", -1, 0 },
		{ "\"1.0\"", -1, 0 },
		{ "\"0x10\"", -1, 0 },
		{ "\"\"", -1, 0 },
		{ "\"9223372036854775808\"", -1, 0 },
		{ "1.5", -1, 0 },
		{ "true", -1, 0 },
		{ "null", -1, 0 },
		{ "[1]", -1, 0 },
	};
	char wrong[1024] = "";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[128];
		json_t *j = NULL;
		int64_t out = 77;
		int rc;
		snprintf(doc, sizeof(doc), "{\"v\":%s}", cases[i].json);
		assert_int_equal(al_json_parse(doc, strlen(doc), "t", &j, NULL), AL_OK);
		rc = al_json_int(j, "v", &out);
		if (rc != cases[i].rc || (rc == 0 && out != cases[i].want)) {
			size_t n = strlen(wrong);
			snprintf(wrong + n, sizeof(wrong) - n, "\n  %s: got %d (%lld), want %d",
				 cases[i].json, rc, (long long)out, cases[i].rc);
		}
		/* a missing key is an error too */
		assert_int_equal(al_json_int(j, "missing", &out), -1);
		json_decref(j);
	}
	if (wrong[0])
		fail_msg("al_json_int:%s", wrong);
}

static void test_json_int_whitespace(void **state)
{
	/* no leading white space of any kind, as for " 1" */
	static const char *const docs[] = { "{\"v\":\"\\t1\"}", "{\"v\":\"\\n1\"}",
					    "{\"v\":\"\\r1\"}", "{\"v\":\"\\f1\"}",
					    "{\"v\":\"\\u000b1\"}" };
	char wrong[256] = "";
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *j = NULL;
		int64_t out = 77;
		assert_int_equal(al_json_parse(docs[i], strlen(docs[i]), "t", &j, NULL), AL_OK);
		if (al_json_int(j, "v", &out) != -1) {
			size_t n = strlen(wrong);
			snprintf(wrong + n, sizeof(wrong) - n, " %s", docs[i]);
		}
		json_decref(j);
	}
	if (wrong[0])
		fail_msg("accepted:%s", wrong);
}

static void test_json_depth(void **state)
{
	static const struct {
		const char *json;
		size_t depth;
	} cases[] = {
		{ "1", 0 },
		{ "\"s\"", 0 },
		{ "{}", 1 },
		{ "[]", 1 },
		{ "[1, 2, {}]", 2 },
		{ "{\"a\": [1, [2, [3]]], \"b\": {}}", 4 },
		{ "[[], [[[]]], []]", 4 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		assert_int_equal(al_json_depth(j), cases[i].depth);
		json_decref(j);
	}
}

static void test_json_text(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "a\xff", "a\\xff" },
		{ "\xc3", "\\xc3" },
		{ "\xc3(\xe2\x82", "\\xc3(\\xe2\\x82" },
		{ "\xed\xa0\x80x", "\\xed\\xa0\\x80x" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = al_json_text(cases[i].in);
		assert_non_null(j);
		assert_string_equal(json_string_value(j), cases[i].out);
		json_decref(j);
	}
}

static void test_json_str(void **state)
{
	const char *in = "{\"s\":\"x\",\"n\":1,\"z\":null}";
	json_t *j = NULL;
	assert_int_equal(al_json_parse(in, strlen(in), "t", &j, NULL), AL_OK);
	assert_string_equal(al_json_str(j, "s"), "x");
	assert_null(al_json_str(j, "n"));
	assert_null(al_json_str(j, "z"));
	assert_null(al_json_str(j, "missing"));
	assert_null(al_json_str(NULL, "s"));
	json_decref(j);
}

/* Input that does not parse leaves *out NULL (json.h), not whatever it held. */
static void test_parse_error_out_null(void **state)
{
	json_t *j = (json_t *)&j;
	(void)state;
	assert_int_equal(al_json_parse("{", 1, "t", &j, NULL), AL_EVERIFY);
	assert_null(j);
	j = (json_t *)&j;
	assert_int_not_equal(al_yaml_parse("a: [", 4, "t", &j, NULL), AL_OK);
	assert_null(j);
	j = (json_t *)&j;
	assert_int_not_equal(al_yaml_parse("a: 1\na: 2\n", 10, "t", &j, NULL), AL_OK);
	assert_null(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_conversions),
		cmocka_unit_test(test_yaml_rejects),
		cmocka_unit_test(test_yaml_one_document),
		cmocka_unit_test(test_yaml_depth),
		cmocka_unit_test(test_yaml_messages_deterministic),
		cmocka_unit_test(test_json_parse),
		cmocka_unit_test(test_json_dump),
		cmocka_unit_test(test_json_int),
		cmocka_unit_test(test_json_int_whitespace),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_json_text),
		cmocka_unit_test(test_parse_error_out_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
