/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rs.c: the Reed–Solomon code of the media volumes and the diode (src/lib/xfer/rs.h).
 *
 * The oracle is the data itself: rows of random bytes are encoded, rows are taken away, and
 * what the decoder rebuilds must be the rows that were taken, byte for byte. Every set of
 * survivors is tried for small codes; random sets (in random order) for the diode's blocks
 * of 200 rows. The twin: a damaged parity row must change what is rebuilt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rs.h"
#include "unit.h"

struct code {
	unsigned k, m;
	size_t len;
	unsigned char **row; /* k data rows, then m parity rows */
	unsigned char **out;
};

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13, rnd_state ^= rnd_state >> 7, rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void code_make(struct code *c, unsigned k, unsigned m, size_t len)
{
	struct al_err err = { 0 };
	*c = (struct code){ k, m, len, calloc(k + m, sizeof(*c->row)), calloc(k, sizeof(*c->out)) };
	assert_non_null(c->row);
	assert_non_null(c->out);
	for (unsigned r = 0; r < k + m; r++) {
		assert_non_null(c->row[r] = malloc(len));
		for (size_t i = 0; i < len; i++)
			c->row[r][i] = (unsigned char)rnd();
	}
	for (unsigned x = 0; x < k; x++)
		assert_non_null(c->out[x] = malloc(len));
	assert_int_equal(al_rs_encode(k, m, c->row, c->row + k, len, &err), AL_OK);
}

static void code_free(struct code *c)
{
	for (unsigned r = 0; r < c->k + c->m; r++)
		free(c->row[r]);
	for (unsigned x = 0; x < c->k; x++)
		free(c->out[x]);
	free(c->row);
	free(c->out);
}

/* Decodes from the survivors SURV[0..k) and checks every lost data row; returns how many
 * rebuilt rows differ from the originals. */
static unsigned decode_check(struct code *c, const unsigned *surv)
{
	unsigned char *in[AL_RS_MAX], have[AL_RS_MAX] = { 0 };
	unsigned lost[AL_RS_MAX] = { 0 }, nl = 0, bad = 0;
	struct al_err err = { 0 };
	for (unsigned i = 0; i < c->k; i++)
		in[i] = c->row[surv[i]], have[surv[i]] = 1;
	for (unsigned j = 0; j < c->k; j++)
		if (!have[j])
			lost[nl++] = j;
	assert_int_equal(al_rs_decode(c->k, c->m, surv, in, lost, nl, c->out, c->len, &err), AL_OK);
	for (unsigned x = 0; x < nl; x++)
		bad += memcmp(c->out[x], c->row[lost[x]], c->len) != 0;
	return bad;
}

/* Every set of k survivors out of k + m, for every small code, at odd and even lengths. */
static void test_every_loss_small(void **state)
{
	(void)state;
	unsigned sets = 0;
	for (unsigned k = 1; k <= 8; k++)
		for (unsigned m = 1; m <= 4; m++)
			for (size_t len = 37; len <= 64; len += 27) {
				struct code c;
				code_make(&c, k, m, len);
				for (unsigned mask = 0; mask < 1u << (k + m); mask++) {
					unsigned surv[AL_RS_MAX], n = 0;
					if ((unsigned)__builtin_popcount(mask) != k)
						continue;
					for (unsigned r = 0; r < k + m; r++)
						if (mask >> r & 1)
							surv[n++] = r;
					assert_int_equal(decode_check(&c, surv), 0);
					sets++;
				}
				code_free(&c);
			}
	assert_int_equal(sets, 3976); /* twice the sum of C(k + m, k) over the codes */
}

/* The diode's blocks: 200 data rows, 16 repair rows, random losses, survivors in any order. */
static void test_large_blocks(void **state)
{
	(void)state;
	struct code c;
	code_make(&c, 200, 16, 1400);
	for (unsigned t = 0; t < 60; t++) {
		unsigned perm[216], surv[200], lose = (unsigned)(rnd() % 17);
		for (unsigned r = 0; r < 216; r++)
			perm[r] = r;
		for (unsigned r = 215; r > 0; r--) { /* a random order of the 216 rows */
			unsigned s = (unsigned)(rnd() % (r + 1)), x = perm[r];
			perm[r] = perm[s], perm[s] = x;
		}
		/* survivors: every data row but LOSE random ones, then LOSE random parity rows */
		unsigned n = 0, dropped = 0, parity = 0;
		for (unsigned i = 0; i < 216; i++) {
			unsigned r = perm[i];
			if (r < 200 && dropped < lose && rnd() % 4 == 0)
				dropped++;
			else if (r < 200)
				surv[n++] = r;
		}
		for (unsigned i = 0; i < 216 && parity < dropped; i++)
			if (perm[i] >= 200)
				surv[n++] = perm[i], parity++;
		assert_int_equal(n, 200);
		assert_int_equal(decode_check(&c, surv), 0);
	}
	code_free(&c);
}

/* The twin: one byte of a parity row used changes what is rebuilt. */
static void test_damaged_parity_changes_output(void **state)
{
	(void)state;
	struct code c;
	unsigned surv[4] = { 4, 1, 5, 3 }; /* data rows 0 and 2 lost, parity rows 4 and 5 used */
	code_make(&c, 4, 2, 64);
	assert_int_equal(decode_check(&c, surv), 0);
	c.row[5][10] ^= 0x40;
	assert_int_equal(decode_check(&c, surv), 2);
	code_free(&c);
}

static void test_refuses_bad_rows(void **state)
{
	(void)state;
	struct code c;
	struct al_err err = { 0 };
	unsigned twice[3] = { 0, 0, 4 }, range[3] = { 0, 1, 9 }, lost_in[1] = { 1 };
	unsigned ok[3] = { 0, 1, 3 }, lost_ok[1] = { 2 };
	code_make(&c, 3, 2, 32);
	assert_int_equal(al_rs_decode(3, 2, twice, c.row, lost_ok, 1, c.out, 32, &err), AL_EINVAL);
	assert_contains(err.msg, "given twice");
	err = (struct al_err){ 0 };
	assert_int_equal(al_rs_decode(3, 2, range, c.row, lost_ok, 1, c.out, 32, &err), AL_EINVAL);
	assert_contains(err.msg, "out of range");
	err = (struct al_err){ 0 };
	assert_int_equal(al_rs_decode(3, 2, ok, c.row, lost_in, 1, c.out, 32, &err), AL_EINVAL);
	assert_contains(err.msg, "not a lost data row");
	code_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_loss_small),
		cmocka_unit_test(test_large_blocks),
		cmocka_unit_test(test_damaged_parity_changes_output),
		cmocka_unit_test(test_refuses_bad_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
