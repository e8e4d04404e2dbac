/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_buf.c: the capped buffer (src/lib/buf.h). Checks that the cap is
 * enforced at exactly max + 1 bytes by every way of adding, that a refused
 * add leaves the buffer untouched, that the bytes are always NUL-terminated,
 * and that take hands ownership out and leaves an empty, reusable buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <malloc.h>

#include "buf.h"
#include "unit.h"

/* The struct invariants of buf.h, checked after every operation. */
static void check_invariants(const struct al_buf *b)
{
	if (!b->data) {
		assert_int_equal(b->len, 0);
		return;
	}
	assert_true(b->len < b->cap);
	assert_true(b->cap <= b->max + 1);
	assert_int_equal(b->data[b->len], '\0');
}

/* One add of n bytes into a buffer that already holds `have`, with cap `max`. */
static const struct {
	size_t max, have, add;
	enum al_code want;
} cap_cases[] = {
	{ 0, 0, 0, AL_OK },
	{ 0, 0, 1, AL_ELIMIT },
	{ 8, 0, 8, AL_OK },
	{ 8, 0, 9, AL_ELIMIT },
	{ 8, 7, 1, AL_OK },
	{ 8, 8, 1, AL_ELIMIT },
	{ 8, 5, 4, AL_ELIMIT },
	{ 8, 8, 0, AL_OK },
	{ 300, 0, 300, AL_OK },   /* past the first 256-byte allocation */
	{ 300, 256, 45, AL_ELIMIT },
	{ 1000, 999, 1, AL_OK },
	{ 1000, 0, SIZE_MAX, AL_ELIMIT }, /* no overflow in the size check */
	{ SIZE_MAX - 1, 3, SIZE_MAX - 3, AL_ELIMIT }, /* len + n + 1 would overflow */
};

static void test_cap_add(void **state)
{
	static char src[2048];
	memset(src, 'x', sizeof(src));
	for (size_t i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++) {
		struct al_buf b;
		struct al_err err = { 0 };
		char *before;
		size_t add = cap_cases[i].add;
		al_buf_init(&b, cap_cases[i].max);
		assert_int_equal(al_buf_add(&b, src, cap_cases[i].have, NULL), AL_OK);
		before = b.data ? strdup(b.data) : NULL;
		enum al_code rc;
		/* a huge n must be refused before any byte of src is read */
		if (add > sizeof(src) && cap_cases[i].want == AL_OK)
			fail_msg("case %zu: the table asks to add more than src holds", i);
		rc = al_buf_add(&b, src, add, &err);
		if (rc != cap_cases[i].want)
			fail_msg("case %zu: max %zu have %zu add %zu: got %d, want %d", i,
				 cap_cases[i].max, cap_cases[i].have, add, rc, cap_cases[i].want);
		check_invariants(&b);
		if (rc == AL_OK) {
			assert_int_equal(b.len, cap_cases[i].have + add);
		} else {
			assert_int_equal(err.code, AL_ELIMIT);
			assert_contains(err.msg, "limit");
			assert_int_equal(b.len, cap_cases[i].have);
			if (before)
				assert_string_equal(b.data, before);
		}
		free(before);
		al_buf_release(&b);
	}
}

static void test_cap_adds_and_addf(void **state)
{
	struct al_buf b;
	struct al_err err = { 0 };
	al_buf_init(&b, 10);
	assert_int_equal(al_buf_adds(&b, "hello", &err), AL_OK);
	assert_int_equal(al_buf_addf(&b, &err, "%d%s", 12, "34"), AL_OK);
	assert_int_equal(b.len, 9);
	assert_string_equal(b.data, "hello1234");
	check_invariants(&b);

	/* "56" would make 11 bytes: refused, nothing written, not even a partial string */
	assert_int_equal(al_buf_addf(&b, &err, "%s", "56"), AL_ELIMIT);
	assert_int_equal(b.len, 9);
	assert_string_equal(b.data, "hello1234");
	check_invariants(&b);

	/* the failure is sticky: a later add that would fit does nothing and fails the
	 * same way, so a builder that ignored one add's result cannot use a buffer with
	 * a hole in it as if it were whole */
	assert_int_equal(al_buf_adds(&b, "xy", &err), AL_ELIMIT);
	assert_int_equal(al_buf_addf(&b, NULL, "%c", 'z'), AL_ELIMIT);
	assert_int_equal(al_buf_add(&b, "z", 1, NULL), AL_ELIMIT);
	assert_int_equal(al_buf_add_html(&b, "<", NULL), AL_ELIMIT);
	assert_int_equal(al_buf_add_url(&b, "a b", "", NULL), AL_ELIMIT);
	assert_int_equal(b.len, 9);
	assert_string_equal(b.data, "hello1234");
	assert_int_equal(err.code, AL_ELIMIT);
	check_invariants(&b);
	{
		struct al_err e2 = { 0 };
		assert_int_equal(al_buf_check(&b, &e2), AL_ELIMIT);
		assert_contains(e2.msg, "limit of 10 bytes");
	}
	/* reset and release clear it */
	al_buf_reset(&b);
	assert_int_equal(al_buf_check(&b, NULL), AL_OK);
	assert_int_equal(al_buf_adds(&b, "ok", NULL), AL_OK);
	assert_string_equal(b.data, "ok");
	assert_int_equal(al_buf_add(&b, "0123456789", 10, NULL), AL_ELIMIT);
	al_buf_release(&b);
	assert_int_equal(al_buf_check(&b, NULL), AL_OK);
	assert_int_equal(al_buf_adds(&b, "again", NULL), AL_OK);
	assert_string_equal(b.data, "again");
	al_buf_release(&b);
}

static void test_binary_and_nul(void **state)
{
	static const char bin[] = { 'a', '\0', 'b', '\n', '\xff' };
	struct al_buf b;
	al_buf_init(&b, 64);
	assert_null(b.data);
	assert_int_equal(al_buf_add(&b, bin, sizeof(bin), NULL), AL_OK);
	assert_int_equal(b.len, sizeof(bin));
	assert_memory_equal(b.data, bin, sizeof(bin));
	check_invariants(&b);
	/* adding nothing to an empty buffer still yields a usable C string */
	al_buf_release(&b);
	assert_int_equal(al_buf_add(&b, "", 0, NULL), AL_OK);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	check_invariants(&b);
	/* reset empties but keeps the string valid */
	assert_int_equal(al_buf_adds(&b, "abc", NULL), AL_OK);
	al_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(b.max, 64);
	al_buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.max, 64);
}

static void test_grow_terminates(void **state)
{
	/* "data is NULL or holds len bytes followed by a NUL" must hold right after a grow of
	 * an empty buffer too: glibc's M_PERTURB makes every fresh allocation dirty */
	static const size_t maxes[] = { 10, 255, 1000 };
	mallopt(M_PERTURB, 0x55);
	for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		struct al_buf b;
		al_buf_init(&b, maxes[i]);
		assert_int_equal(al_buf_grow(&b, 5, NULL), AL_OK);
		assert_non_null(b.data);
		if (b.data[0] != '\0')
			fail_msg("max %zu: after al_buf_grow, data[len=0] is 0x%02x, not NUL", maxes[i],
				 (unsigned char)b.data[0]);
		al_buf_release(&b);
	}
	mallopt(M_PERTURB, 0);
}

static void test_grow_many(void **state)
{
	/* many small appends across several reallocations, up to exactly max */
	struct al_buf b;
	size_t max = 5000;
	al_buf_init(&b, max);
	for (size_t i = 0; i < max; i++) {
		char c = (char)('a' + i % 26);
		assert_int_equal(al_buf_add(&b, &c, 1, NULL), AL_OK);
		check_invariants(&b);
	}
	assert_int_equal(b.len, max);
	assert_int_equal(al_buf_add(&b, "!", 1, NULL), AL_ELIMIT);
	for (size_t i = 0; i < max; i++)
		assert_int_equal(b.data[i], (char)('a' + i % 26));
	al_buf_release(&b);
}

static void test_take(void **state)
{
	struct al_buf b;
	size_t len = 99;
	char *p;
	al_buf_init(&b, 100);
	assert_int_equal(al_buf_addf(&b, NULL, "x=%d", 42), AL_OK);
	p = al_buf_take(&b, &len);
	assert_string_equal(p, "x=42");
	assert_int_equal(len, 4);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	free(p);

	/* taking from an empty buffer gives an empty string, never NULL */
	len = 99;
	p = al_buf_take(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);

	/* the buffer is reusable after take, with the same cap */
	assert_int_equal(al_buf_adds(&b, "again", NULL), AL_OK);
	p = al_buf_take(&b, NULL);
	assert_string_equal(p, "again");
	free(p);
	al_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_add),
		cmocka_unit_test(test_cap_adds_and_addf),
		cmocka_unit_test(test_binary_and_nul),
		cmocka_unit_test(test_grow_terminates),
		cmocka_unit_test(test_grow_many),
		cmocka_unit_test(test_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
