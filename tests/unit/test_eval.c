/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_eval.c: golden sets and scorers (src/lib/eval/golden.c), table-driven.
 *
 * The expected scores are worked out by hand from the scorers' definitions in
 * docs/cmd/eval.md (token F1 as 2PR/(P+R) over the normalised words); each scorer's
 * passing rows have failing twins that differ in one respect. Golden files that are
 * wrong in one way each are refused, naming the line.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "eval.h"
#include "unit.h"

/* A one-pair golden set from LINE, loaded (the test fails if it does not load). */
static void load_one(const char *dir, const char *line, struct al_golden *g)
{
	struct al_err err = { 0 };
	char *p = unit_path(dir, "g.jsonl");
	unit_write_str(p, line);
	if (al_golden_load(p, g, &err))
		fail_msg("'%s' did not load: %s", line, err.msg);
	free(p);
}

static void test_scorers(void **state)
{
	static const struct {
		const char *pair, *text;
		double score;
		int pass;
	} t[] = {
		{ "{\"question\": \"q\", \"answer\": \"Paris\"}", "Paris", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": \"Paris\"}", "  Paris\n", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": \"Paris\"}", "paris", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": \"Paris\"}", "Paris.", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": \"Paris\"}", "", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": \"blue\", \"scorer\": \"contains\"}", "The sky is BLUE.", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": \"blue\", \"scorer\": \"contains\"}", "The sky is grey.", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": \"^[0-9]{4}-[0-9]{2}$\", \"scorer\": \"regex\"}", "2027-01", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": \"^[0-9]{4}-[0-9]{2}$\", \"scorer\": \"regex\"}", "in 2027-01", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": \"shut (down|off)\", \"scorer\": \"regex\"}", "it was shut off", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": 42, \"scorer\": \"numeric\"}", "The answer is 42.", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": 42, \"scorer\": \"numeric\"}", "The answer is 43.", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": 42, \"scorer\": \"numeric\"}", "no number", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": \"1234.5\", \"scorer\": \"numeric\"}", "about 1,234.5 units", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": -3, \"scorer\": \"numeric\"}", "x = -3", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": 100, \"scorer\": \"numeric\", \"tolerance\": 0.5}", "100.4", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": 100, \"scorer\": \"numeric\", \"tolerance\": 0.5}", "100.6", 0, 0 },
		{ "{\"question\": \"q\", \"answer\": 100, \"scorer\": \"numeric\", \"tolerance\": \"1%\"}", "99.1", 1, 1 },
		{ "{\"question\": \"q\", \"answer\": 100, \"scorer\": \"numeric\", \"tolerance\": \"1%\"}", "98.9", 0, 0 },
		/* F1: "the cat sat" vs "a cat sat down": words {cat, sat} and {cat, sat, down}: P 1, R 2/3, F1 0.8 */
		{ "{\"question\": \"q\", \"answer\": \"a cat sat down\", \"scorer\": \"f1\"}", "The cat sat!", 0.8, 1 },
		/* {cat} vs {cat, sat, down}: P 1, R 1/3, F1 0.5: a pass at the default threshold 0.5 */
		{ "{\"question\": \"q\", \"answer\": \"a cat sat down\", \"scorer\": \"f1\"}", "cat", 0.5, 1 },
		{ "{\"question\": \"q\", \"answer\": \"a cat sat down\", \"scorer\": \"f1\", \"tolerance\": 0.6}", "cat", 0.5, 0 },
		{ "{\"question\": \"q\", \"answer\": \"a cat sat down\", \"scorer\": \"f1\"}", "dog", 0, 0 },
		/* repeated words count as often as they occur: {cat, cat} vs {cat}: P 1/2, R 1, F1 2/3 */
		{ "{\"question\": \"q\", \"answer\": \"cat\", \"scorer\": \"f1\"}", "cat cat", 2.0 / 3, 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		struct al_golden g;
		int pass = -1;
		load_one(((struct tmp *)*state)->dir, t[i].pair, &g);
		double s = al_eval_score(&g.pairs[0], t[i].text, &pass);
		if (fabs(s - t[i].score) > 1e-9 || pass != t[i].pass)
			fail_msg("%s on '%s': score %g pass %d, want %g %d", t[i].pair, t[i].text, s, pass, t[i].score, t[i].pass);
		al_golden_release(&g);
	}
}

static void test_golden_refused(void **state)
{
	static const struct {
		const char *text, *msg;
	} t[] = {
		{ "", "has no pairs" },
		{ "\n\n  \n", "has no pairs" },
		{ "{\"question\": \"q\"}", "line 1: \"answer\" must be present" },
		{ "{\"answer\": \"a\"}", "line 1: \"question\" must be present" },
		{ "{\"question\": \"q\", \"answer\": \"a\"}\n{\"question\": \"q\", \"answer\": \"a\", \"scorere\": \"f1\"}",
		  "line 2: unknown key \"scorere\"" },
		{ "{\"question\": \"q\", \"answer\": \"a\", \"scorer\": \"fuzzy\"}", "\"scorer\" must be exact, contains" },
		{ "{\"question\": \"q\", \"answer\": \"(\", \"scorer\": \"regex\"}", "the regex \"answer\" does not compile" },
		{ "{\"question\": \"q\", \"answer\": \"many\", \"scorer\": \"numeric\"}", "is not a number" },
		{ "{\"question\": \"q\", \"answer\": 1, \"scorer\": \"numeric\", \"tolerance\": -1}", "out of range" },
		{ "{\"question\": \"q\", \"answer\": \"a\", \"scorer\": \"f1\", \"tolerance\": 2}", "out of range" },
		{ "{\"question\": \"q\", \"answer\": \"a\", \"tolerance\": \"5%\"}", "\"tolerance\" must be a number" },
		{ "{\"question\": \"q\", \"answer\": \"a\", \"tags\": \"geo\"}", "\"tags\" must be an array" },
		{ "{\"question\": \"q\", \"answer\": \"a\", \"tags\": [\"\"]}", "\"tags\" must be an array of strings of 1" },
		{ "{\"question\": \"q\", \"answer\": \"a\", \"max_tokens\": 0}", "\"max_tokens\" must be an integer" },
		{ "{\"question\": 7, \"answer\": \"a\"}", "\"question\" must be present" },
		{ "{\"question\": \"q\", \"answer\": \"a\"}\n[1, 2]", "line 2: not a JSON object" },
		{ "{\"question\": \"q\", \"answer\": \"a\"}\n{\"question\": ", "line 2" },
		{ "{\"id\": \"x\", \"question\": \"q\", \"answer\": \"a\"}\n\n{\"id\": \"x\", \"question\": \"r\", \"answer\": \"b\"}",
		  "lines 1 and 3 have the same id 'x'" },
	};
	char *p = unit_path(((struct tmp *)*state)->dir, "bad.jsonl");
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		struct al_golden g;
		struct al_err err = { 0 };
		unit_write_str(p, t[i].text);
		enum al_code rc = al_golden_load(p, &g, &err);
		if (rc != AL_EINVAL && rc != AL_ELIMIT)
			fail_msg("'%s' loaded (code %d), want an error containing '%s'", t[i].text, rc, t[i].msg);
		assert_contains(err.msg, t[i].msg);
		assert_contains(err.msg, "bad.jsonl");
	}
	free(p);
}

/* The set's name is its bytes' SHA-256: a change of one byte is another set. */
static void test_golden_digest(void **state)
{
	struct al_golden a, b;
	load_one(((struct tmp *)*state)->dir, "{\"question\": \"q\", \"answer\": \"a\"}\n", &a);
	/* the SHA-256 of the 34 bytes above, from sha256sum */
	assert_string_equal(a.digest, "sha256:8bbd60c2e27c0ef03232c8a04c7b1d050ef3316e6ef3435a081d9d0d7cee81f6");
	load_one(((struct tmp *)*state)->dir, "{\"question\": \"q\", \"answer\": \"b\"}\n", &b);
	assert_string_not_equal(a.digest, b.digest);
	assert_string_equal(a.pairs[0].id, "line 1");
	assert_string_equal(a.pairs[0].tags, "[]");
	al_golden_release(&a);
	al_golden_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scorers, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_golden_refused, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_golden_digest, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
