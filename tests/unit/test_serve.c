/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_serve.c: the pure parsers of `airlock serve` (src/serve/sv_internal.h,
 * serve.h), without a server: single byte ranges (RFC 9110 §14), the
 * percent-decoding of path segments and query arguments, the OCI name and tag
 * grammar, Hugging Face repo ids, PEP 503 names and PEP 691 Accept
 * negotiation, the stable sort the snapshot tables rely on, and the JSON and
 * HTML escaping of what the pages print.
 *
 * Expected values are written out here. Independent checks: the OCI grammar
 * is also compared, over every short string of a small alphabet, with the
 * distribution-spec's regular expressions compiled by POSIX regcomp; the
 * PEP 503 rows are Python's re.sub(r"[-_.]+", "-", name).lower(); the JSON
 * strings are read back with jansson. Each refusal sits next to an accepted
 * twin that differs from it in one place.
 *
 * test_range_big_numbers, test_hf_repo_dot_segment and
 * test_negotiate_specificity hold the inputs of three bugs these tests found,
 * now fixed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <regex.h>

#include "buf.h"
#include "sv_internal.h"
#include "unit.h"
#include "wheel.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Range (RFC 9110 §14.1.1, §14.2; docs/protocols/oci-distribution.md §3.4) ---- */

struct range_row {
	const char *h;
	uint64_t size;
	enum sv_range want;
	uint64_t start, len;
};

static const char *range_name(enum sv_range r)
{
	return r == SV_RANGE_OK ? "OK" : r == SV_RANGE_BAD ? "BAD" : r == SV_RANGE_NONE ? "NONE" : "?";
}

/* Runs every row, prints each one that fails, then fails once. */
static void check_ranges(const struct range_row *rows, size_t n)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t start = 12345, len = 67890;
		enum sv_range got = sv_parse_range(rows[i].h, rows[i].size, &start, &len);
		if (got != rows[i].want) {
			print_error("row %zu: '%s' on %llu bytes: got %s, want %s\n", i, rows[i].h,
				    (unsigned long long)rows[i].size, range_name(got),
				    range_name(rows[i].want));
			bad++;
		} else if (got == SV_RANGE_OK && (start != rows[i].start || len != rows[i].len)) {
			print_error("row %zu: '%s' on %llu bytes: got start %llu len %llu, want %llu %llu\n",
				    i, rows[i].h, (unsigned long long)rows[i].size, (unsigned long long)start,
				    (unsigned long long)len, (unsigned long long)rows[i].start,
				    (unsigned long long)rows[i].len);
			bad++;
		}
	}
	if (bad)
		fail_msg("%zu of %zu rows failed", bad, n);
}

/* clang-format off */
static const struct range_row ranges[] = {
	/* the conformance suite's table (2048-byte blob), each 416 with a 206 twin */
	{ "bytes=500-1499", 2048, SV_RANGE_OK, 500, 1000 },
	{ "bytes=500-", 2048, SV_RANGE_OK, 500, 1548 },
	{ "bytes=-500", 2048, SV_RANGE_OK, 1548, 500 },
	{ "bytes=2000-5000", 2048, SV_RANGE_OK, 2000, 48 },
	{ "bytes=500-0", 2048, SV_RANGE_BAD, 0, 0 },
	{ "bytes=500-500", 2048, SV_RANGE_OK, 500, 1 },
	{ "bytes=5000-10000", 2048, SV_RANGE_BAD, 0, 0 },
	{ "bytes=5000-10000", 5001, SV_RANGE_OK, 5000, 1 },
	{ "bytes=2048-", 2048, SV_RANGE_BAD, 0, 0 },
	{ "bytes=2047-", 2048, SV_RANGE_OK, 2047, 1 },
	{ "bytes=2047-10000", 2048, SV_RANGE_OK, 2047, 1 },
	/* bytes=0-0: the Hugging Face JS client's probe */
	{ "bytes=0-0", 10, SV_RANGE_OK, 0, 1 },
	{ "bytes=0-0", 1, SV_RANGE_OK, 0, 1 },
	{ "bytes=0-0", 0, SV_RANGE_BAD, 0, 0 },
	/* a zero-size body has no byte to send: every range is unsatisfiable */
	{ "bytes=0-", 0, SV_RANGE_BAD, 0, 0 },
	{ "bytes=0-", 1, SV_RANGE_OK, 0, 1 },
	{ "bytes=-1", 0, SV_RANGE_BAD, 0, 0 },
	{ "bytes=-1", 1, SV_RANGE_OK, 0, 1 },
	/* suffix ranges: a suffix longer than the body is the whole body; -0 is unsatisfiable */
	{ "bytes=-1", 10, SV_RANGE_OK, 9, 1 },
	{ "bytes=-10", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=-11", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=-0", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=-00", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=-01", 10, SV_RANGE_OK, 9, 1 },
	/* the last byte, and one past it */
	{ "bytes=9-9", 10, SV_RANGE_OK, 9, 1 },
	{ "bytes=10-10", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=9-", 10, SV_RANGE_OK, 9, 1 },
	{ "bytes=10-", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=0-", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=007-008", 10, SV_RANGE_OK, 7, 2 },
	/* large bodies and large numbers that fit */
	{ "bytes=0-", UINT64_MAX, SV_RANGE_OK, 0, UINT64_MAX },
	{ "bytes=-1", UINT64_MAX, SV_RANGE_OK, UINT64_MAX - 1, 1 },
	{ "bytes=18446744073709551615-", UINT64_MAX, SV_RANGE_BAD, 0, 0 },
	{ "bytes=9223372036854775807-", UINT64_MAX, SV_RANGE_OK, 9223372036854775807ULL,
	  UINT64_MAX - 9223372036854775807ULL },
	{ "bytes=0-9999999999999999999", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=5-9223372036854775807", 10, SV_RANGE_OK, 5, 5 },
	/* a first position past any body, however many digits it has */
	{ "bytes=99999999999999999999-", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=18446744073709551616-", UINT64_MAX, SV_RANGE_BAD, 0, 0 },
	{ "bytes=99999999999999999999999999999999-1", 10, SV_RANGE_BAD, 0, 0 },
	/* the unit is case-insensitive; spaces around the range are tolerated */
	{ "Bytes=0-1", 10, SV_RANGE_OK, 0, 2 },
	{ "BYTES=0-1", 10, SV_RANGE_OK, 0, 2 },
	{ " bytes=0-1", 10, SV_RANGE_OK, 0, 2 },
	{ "bytes= 0-1", 10, SV_RANGE_OK, 0, 2 },
	{ "bytes=0-1 ", 10, SV_RANGE_OK, 0, 2 },
	/* several ranges: ignored (a 200 with the whole body), even when one is bad */
	{ "bytes=0-1,3-4", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes=0-1, 3-4", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes=0-1,", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes=,0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes=50-60,0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes=0-1", 10, SV_RANGE_OK, 0, 2 },
	/* other units, or no "bytes=" at all: ignored */
	{ "items=0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "byte=0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytesx=0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes =0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes 0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes:0-1", 10, SV_RANGE_NONE, 0, 0 },
	{ "bytes", 10, SV_RANGE_NONE, 0, 0 },
	{ "", 10, SV_RANGE_NONE, 0, 0 },
	{ "0-1", 10, SV_RANGE_NONE, 0, 0 },
	/* garbage after "bytes=": refused (416) */
	{ "bytes=", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=   ", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=abc", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=1", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=-", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=1-2-3", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=1--2", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=--1", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=-1-", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=+1-2", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=1-+2", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=-+1", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=0x1-2", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=1.5-2", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=1 -2", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=1- 2", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=\t0-1", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=0-1\t", 10, SV_RANGE_BAD, 0, 0 },
	{ "bytes=\xd9\xa1-2", 10, SV_RANGE_BAD, 0, 0 }, /* ARABIC-INDIC DIGIT ONE */
};
/* clang-format on */

static void test_range(void **state)
{
	(void)state;
	check_ranges(ranges, NROWS(ranges));
}

/*
 * A last-pos or suffix-length is 1*DIGIT with no upper bound, and one at
 * least the body's length means "to the end" (RFC 9110 §14.1.1: "if the
 * last-pos value is absent, or if the value is greater than or equal to the
 * current length of the representation data, the byte range is interpreted as
 * the remainder"; a suffix longer than the body is the whole body).
 * parse_u64 once refused any value above 1844674407370955160x, so these got
 * 416; it saturates now. BAD is for "unsatisfiable or malformed" only.
 * The first row is a first-pos that fits and lies inside the body.
 */
/* clang-format off */
static const struct range_row big_numbers[] = {
	{ "bytes=18446744073709551614-", UINT64_MAX, SV_RANGE_OK, UINT64_MAX - 1, 1 },
	{ "bytes=0-18446744073709551615", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=0-18446744073709551610", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=-18446744073709551615", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=0-18446744073709551616", 10, SV_RANGE_OK, 0, 10 },
	{ "bytes=3-99999999999999999999999", 10, SV_RANGE_OK, 3, 7 },
	{ "bytes=-99999999999999999999999", 10, SV_RANGE_OK, 0, 10 },
};
/* clang-format on */

static void test_range_big_numbers(void **state)
{
	(void)state;
	check_ranges(big_numbers, NROWS(big_numbers));
}

/* ---- percent-decoding ---- */

static const struct {
	const char *in;
	size_t n; /* 0: strlen(in) */
	int rc;
	const char *out;
} decodes[] = {
	{ "abc", 0, 0, "abc" },
	{ "", 0, 0, "" },
	{ "a%20b", 0, 0, "a b" },
	{ "a b", 0, 0, "a b" },
	{ "%41%42", 0, 0, "AB" },
	{ "%4a%4A", 0, 0, "JJ" },
	{ "%2f", 0, 0, "/" },
	{ "%2F", 0, 0, "/" },
	{ "%25", 0, 0, "%" },
	{ "%2525", 0, 0, "%25" }, /* decoded once */
	{ "%c3%A9", 0, 0, "\xc3\xa9" },
	{ "\xc3\xa9", 0, 0, "\xc3\xa9" },
	{ "%ff", 0, 0, "\xff" },
	{ "+", 0, 0, "+" }, /* a path keeps '+'; sv_arg turns it into a space first */
	{ "%2e%2E", 0, 0, ".." }, /* sv_split refuses the segment, not the decoder */
	/* bad escapes, each with its good twin */
	{ "%41", 0, 0, "A" },
	{ "%4", 0, -1, NULL },
	{ "ab%41", 0, 0, "abA" },
	{ "ab%4", 0, -1, NULL },
	{ "%", 0, -1, NULL },
	{ "a%", 0, -1, NULL },
	{ "%%", 0, -1, NULL },
	{ "%%41", 0, -1, NULL },
	{ "%g1", 0, -1, NULL },
	{ "%1g", 0, -1, NULL },
	{ "%-1", 0, -1, NULL },
	{ "% 1", 0, -1, NULL },
	{ "%+1", 0, -1, NULL },
	{ "%\xc3\xa9", 0, -1, NULL },
	/* only n bytes are read: an escape cut by n is bad */
	{ "%41xyz", 3, 0, "A" },
	{ "%41", 2, -1, NULL },
	{ "ab\0cd", 2, 0, "ab" },
	/* NUL, controls, DEL and backslash, literal or escaped; twins just outside */
	{ "%00", 0, -1, NULL },
	{ "ab\0cd", 5, -1, NULL },
	{ "%01", 0, -1, NULL },
	{ "%1f", 0, -1, NULL },
	{ "%1F", 0, -1, NULL },
	{ "%20", 0, 0, " " },
	{ "\x1f", 0, -1, NULL },
	{ "\t", 0, -1, NULL },
	{ "a\nb", 0, -1, NULL },
	{ "a\rb", 0, -1, NULL },
	{ "%0a", 0, -1, NULL },
	{ "%0D", 0, -1, NULL },
	{ "%7e", 0, 0, "~" },
	{ "%7f", 0, -1, NULL },
	{ "%7F", 0, -1, NULL },
	{ "\x7f", 0, -1, NULL },
	{ "%80", 0, 0, "\x80" },
	{ "%5b", 0, 0, "[" },
	{ "%5c", 0, -1, NULL },
	{ "%5C", 0, -1, NULL },
	{ "a\\b", 0, -1, NULL },
	{ "..%5c..%5cetc", 0, -1, NULL },
	{ "../etc", 0, 0, "../etc" },
};

static void test_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(decodes); i++) {
		size_t n = decodes[i].n ? decodes[i].n : strlen(decodes[i].in);
		char *out = NULL;
		int rc = sv_decode(decodes[i].in, n, &out);
		if (rc != decodes[i].rc)
			fail_msg("row %zu ('%s', %zu bytes): got %d, want %d", i, decodes[i].in, n, rc,
				 decodes[i].rc);
		if (rc == 0) {
			assert_non_null(out);
			if (strcmp(out, decodes[i].out) != 0)
				fail_msg("row %zu: '%s' decoded to '%s', want '%s'", i, decodes[i].in, out,
					 decodes[i].out);
		}
		free(out); /* on failure sv_decode may still hand out a partial string */
	}
}

/* Every escape %00..%FF, in both hex cases: exactly the controls, DEL and backslash are refused. */
static void test_decode_every_byte(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		for (int upper = 0; upper < 2; upper++) {
			char in[4], *out = NULL;
			int refuse = c < 0x20 || c == 0x7f || c == '\\', rc;
			snprintf(in, sizeof(in), upper ? "%%%02X" : "%%%02x", (unsigned)c);
			rc = sv_decode(in, 3, &out);
			if (rc != (refuse ? -1 : 0))
				fail_msg("'%s': got %d, want %d", in, rc, refuse ? -1 : 0);
			if (rc == 0 && ((unsigned char)out[0] != c || out[1] != '\0'))
				fail_msg("'%s' did not decode to the one byte 0x%02x", in, (unsigned)c);
			free(out);
		}
	}
}

/* ---- OCI names and tags (distribution-spec; docs/protocols/oci-distribution.md §2) ---- */

#define OCI_NAME_RE "^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$"
#define OCI_TAG_RE "^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$"

/* A string of n copies of c, or of the pattern; caller frees. */
static char *repeat(const char *pat, size_t n)
{
	size_t k = strlen(pat);
	char *s = malloc(n + 1);
	if (!s)
		fail_msg("out of memory");
	for (size_t i = 0; i < n; i++)
		s[i] = pat[i % k];
	s[n] = '\0';
	return s;
}

static const struct {
	const char *s;
	int ok;
} oci_names[] = {
	{ "a", 1 },
	{ "0", 1 },
	{ "library/ubuntu", 1 },
	{ "file/hello.txt", 1 },
	{ "wheel/friendly-bard", 1 },
	{ "a/b/c/d", 1 },
	{ "my-org/my.repo_x__y", 1 },
	{ "a---b", 1 },
	/* each separator: one good, one bad */
	{ "a.b", 1 },
	{ "a..b", 0 },
	{ "a_b", 1 },
	{ "a__b", 1 },
	{ "a___b", 0 },
	{ "a-b", 1 },
	{ "a_.b", 0 },
	{ "a.-b", 0 },
	{ "a-_b", 0 },
	{ "a/b", 1 },
	{ "a//b", 0 },
	/* components must start and end with [a-z0-9] */
	{ "", 0 },
	{ ".a", 0 },
	{ "-a", 0 },
	{ "_a", 0 },
	{ "a.", 0 },
	{ "a-", 0 },
	{ "a_", 0 },
	{ "a__", 0 },
	{ "/a", 0 },
	{ "a/", 0 },
	{ "a/.b", 0 },
	{ "a/../b", 0 },
	{ "a/./b", 0 },
	/* lower case ASCII only */
	{ "A", 0 },
	{ "a/B", 0 },
	{ "Library/ubuntu", 0 },
	{ "a b", 0 },
	{ "a:b", 0 },
	{ "a@b", 0 },
	{ "a\\b", 0 },
	{ "a%2fb", 0 },
	{ "caf\xc3\xa9", 0 },
};

static void test_oci_name(void **state)
{
	char *s;
	(void)state;
	for (size_t i = 0; i < NROWS(oci_names); i++)
		if (sv_oci_name_valid(oci_names[i].s) != oci_names[i].ok)
			fail_msg("'%s': got %d, want %d", oci_names[i].s, !oci_names[i].ok, oci_names[i].ok);
	/* 255 characters, as clients cap them; one more is refused */
	s = repeat("ab/c.d_e-", 255);
	s[254] = 'z';
	assert_int_equal(sv_oci_name_valid(s), 1);
	free(s);
	s = repeat("ab/c.d_e-", 256);
	s[255] = 'z';
	assert_int_equal(sv_oci_name_valid(s), 0);
	free(s);
}

static const struct {
	const char *s;
	int ok;
} oci_tags[] = {
	{ "latest", 1 },
	{ "v1.0", 1 },
	{ "1.0", 1 },
	{ "_x", 1 },
	{ "A-b_c.D", 1 },
	{ "x.", 1 },
	{ "x-", 1 },
	{ "", 0 },
	{ ".x", 0 },
	{ "-x", 0 },
	{ "a/b", 0 },
	{ "a:b", 0 },
	{ "sha256:abc", 0 },
	{ "a+b", 0 },
	{ "a b", 0 },
	{ "a\n", 0 },
	{ "caf\xc3\xa9", 0 },
};

static void test_oci_tag(void **state)
{
	char *s;
	(void)state;
	for (size_t i = 0; i < NROWS(oci_tags); i++)
		if (sv_oci_tag_valid(oci_tags[i].s) != oci_tags[i].ok)
			fail_msg("'%s': got %d, want %d", oci_tags[i].s, !oci_tags[i].ok, oci_tags[i].ok);
	/* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}: 128 characters, and not 129 */
	s = repeat("Tag_1.0-", 128);
	assert_int_equal(sv_oci_tag_valid(s), 1);
	free(s);
	s = repeat("Tag_1.0-", 129);
	assert_int_equal(sv_oci_tag_valid(s), 0);
	free(s);
}

/*
 * Every string of up to `maxlen` characters over `alpha`, checked against the
 * spec's regular expression (POSIX ERE, C locale).
 */
static void grammar_vs_regex(const char *re, const char *alpha, size_t maxlen, int (*valid)(const char *))
{
	regex_t rx;
	size_t k = strlen(alpha), idx[8], count = 0, accepted = 0;
	char s[9];
	assert_true(maxlen < sizeof(idx) / sizeof(idx[0]));
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		fail_msg("regcomp '%s' failed", re);
	for (size_t len = 0; len <= maxlen; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			int want, got;
			for (size_t i = 0; i < len; i++)
				s[i] = alpha[idx[i]];
			s[len] = '\0';
			want = regexec(&rx, s, 0, NULL, 0) == 0;
			got = valid(s);
			if (got != want)
				fail_msg("'%s': got %d, the regular expression says %d", s, got, want);
			count++;
			accepted += (size_t)want;
			/* next string of this length */
			{
				size_t i = 0;
				while (i < len && ++idx[i] == k)
					idx[i++] = 0;
				if (i == len)
					break;
			}
		}
	}
	regfree(&rx);
	/* the alphabet must reach both verdicts, or the comparison shows little */
	assert_true(accepted > 100);
	assert_true(accepted < count / 2);
}

static void test_oci_grammar_exhaustive(void **state)
{
	(void)state;
	grammar_vs_regex(OCI_NAME_RE, "a0.-_/A", 6, sv_oci_name_valid);
	grammar_vs_regex(OCI_TAG_RE, "aZ9._-/", 5, sv_oci_tag_valid);
}

/* ---- Hugging Face repo ids ---- */

static const struct {
	const char *s;
	int ok;
} hf_repos[] = {
	{ "gpt2", 1 },
	{ "openai-community/gpt2", 1 },
	{ "google/flan-t5-small", 1 },
	{ "TheBloke/Llama-2-7B-GGUF", 1 },
	{ "Qwen/Qwen2.5-0.5B-Instruct", 1 },
	{ "sentence-transformers/all-MiniLM-L6-v2", 1 },
	{ "a_b.c-d/E_F.g-h", 1 },
	{ "a", 1 },
	/* one or two non-empty segments */
	{ "a/b", 1 },
	{ "a/b/c", 0 },
	{ "", 0 },
	{ "/", 0 },
	{ "/a", 0 },
	{ "a/", 0 },
	{ "a//b", 0 },
	/* dot segments */
	{ "a.", 0 },        /* a name ends with a letter, digit or _ */
	{ ".", 0 },
	{ "..", 0 },
	{ "a..", 0 },
	{ "../a", 0 },
	{ "a/..", 0 },
	{ "a/.", 0 },
	{ "a/a.", 0 },
	{ "./a", 0 },
	{ ".x/y", 0 },
	{ "y/.x", 0 },
	{ "-a", 0 },
	{ "a-", 0 },
	{ "a--b", 0 },          /* huggingface_hub refuses "--" and ".." */
	{ "a-b", 1 },
	{ "a_", 1 },
	{ "_a/b_", 1 },
	/* the character set */
	{ "a b", 0 },
	{ "a\\b", 0 },
	{ "a%2fb", 0 },
	{ "a:b", 0 },
	{ "a\n", 0 },
	{ "caf\xc3\xa9", 0 },
	{ "cafe", 1 },
};

static void test_hf_repo(void **state)
{
	char *s;
	(void)state;
	for (size_t i = 0; i < NROWS(hf_repos); i++)
		if (sv_hf_repo_valid(hf_repos[i].s) != hf_repos[i].ok)
			fail_msg("'%s': got %d, want %d", hf_repos[i].s, !hf_repos[i].ok, hf_repos[i].ok);
	/* a repository name is at most 96 characters (huggingface_hub's limit) */
	s = repeat("a", 96);
	assert_int_equal(sv_hf_repo_valid(s), 1);
	free(s);
	s = repeat("a", 97);
	assert_int_equal(sv_hf_repo_valid(s), 0);
	free(s);
	s = repeat("a", 100);
	s[3] = '/';
	assert_int_equal(sv_hf_repo_valid(s), 1);
	free(s);
	s = repeat("a", 101);
	s[3] = '/';
	assert_int_equal(sv_hf_repo_valid(s), 0);
	free(s);
}

/* A '.' segment is refused first as well as second (a model recorded as "./a" could never be reached). */
static void test_hf_repo_dot_segment(void **state)
{
	(void)state;
	assert_int_equal(sv_hf_repo_valid("a/."), 0);
	assert_int_equal(sv_hf_repo_valid("../a"), 0);
	if (sv_hf_repo_valid("./a"))
		fail_msg("'./a' was accepted: a '.' segment, like 'a/.'");
}

/* ---- PyPI: PEP 691 negotiation (PEP 503 names are the import's, tested in test_wheel.c) ---- */


#define PIP_ACCEPT                                                                                           \
	"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
#define A_JSON "application/vnd.pypi.simple.v1+json"
#define A_HTML1 "application/vnd.pypi.simple.v1+html"

#define M(f) (1u << (f))
struct nego_row {
	const char *accept;
	unsigned want; /* the results allowed (where the server may choose), as M(F_...) bits */
};

static const char *fmt_name(enum sv_fmt f)
{
	static const char *const names[] = { [F_NONE] = "F_NONE", [F_JSON] = "F_JSON", [F_HTML1] = "F_HTML1",
					     [F_HTML] = "F_HTML" };
	return (unsigned)f < NROWS(names) ? names[f] : "?";
}

static void check_negotiate(const struct nego_row *rows, size_t n)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		enum sv_fmt got = sv_pypi_negotiate(rows[i].accept);
		if (!(M(got) & rows[i].want)) {
			print_error("row %zu: Accept '%s' gave %s\n", i,
				    rows[i].accept ? rows[i].accept : "(none)", fmt_name(got));
			bad++;
		}
	}
	if (bad)
		fail_msg("%zu of %zu rows failed", bad, n);
}

static const struct nego_row negotiations[] = {
	/* pip (docs/protocols/pypi-simple.md §6): JSON first */
	{ PIP_ACCEPT, M(F_JSON) },
	{ A_JSON ", " A_HTML1 ";q=0.2, text/html;q=0.01", M(F_JSON) },
	/* no header: HTML, what clients before PEP 691 read */
	{ NULL, M(F_HTML) },
	{ "", M(F_HTML) },
	{ "*/*", M(F_HTML) },
	{ "text/*", M(F_HTML) },
	{ "text/html", M(F_HTML) },
	{ A_HTML1, M(F_HTML1) },
	{ A_JSON, M(F_JSON) },
	{ "application/vnd.pypi.simple.latest+json", M(F_JSON) },
	{ "application/vnd.pypi.simple.latest+html", M(F_HTML1) },
	/* media types and the q parameter are case-insensitive */
	{ "APPLICATION/VND.PYPI.SIMPLE.V1+JSON", M(F_JSON) },
	{ "Text/HTML", M(F_HTML) },
	{ "text/html;Q=0", M(F_NONE) },
	/* q=0 is "not acceptable", each with a twin just above 0 */
	{ A_JSON ";q=0", M(F_NONE) },
	{ A_JSON ";q=0.001", M(F_JSON) },
	{ A_JSON "; q=0.000", M(F_NONE) },
	{ "*/*;q=0", M(F_NONE) },
	{ "*/*;q=0.5", M(F_HTML) },
	{ A_JSON ";q=0, text/html", M(F_HTML) },
	{ A_JSON ";q=0, */*", M(F_HTML) | M(F_HTML1) },
	/* the higher q wins, wherever it is */
	{ A_JSON ";q=0.5, text/html", M(F_HTML) },
	{ A_JSON ", text/html;q=0.5", M(F_JSON) },
	{ "text/html;q=0.5, " A_JSON ";q=0.6", M(F_JSON) },
	{ "text/html;q=0.6, " A_JSON ";q=0.5", M(F_HTML) },
	/* spaces, tabs and other parameters */
	{ " text/html ; q=0.5 ", M(F_HTML) },
	{ "\ttext/html\t", M(F_HTML) },
	{ A_JSON "; charset=utf-8", M(F_JSON) },
	{ A_JSON ";charset=utf-8;q=0", M(F_NONE) },
	{ "text/plain, " A_JSON, M(F_JSON) },
	/* nothing acceptable: 406 */
	{ "application/json", M(F_NONE) },
	{ "application/vnd.pypi.simple.v2+json", M(F_NONE) },
	{ "text/plain", M(F_NONE) },
	{ "image/*", M(F_NONE) },
	{ "text/htmlx", M(F_NONE) },
	{ "text/htm", M(F_NONE) },
	{ ",,,", M(F_NONE) },
	{ ";q=1", M(F_NONE) },
};

static void test_negotiate(void **state)
{
	(void)state;
	check_negotiate(negotiations, NROWS(negotiations));
}

/*
 * RFC 9110 §12.5.1: a more specific media range overrides a less
 * specific one for the types it matches (text/html with q=0 next to the
 * all-types range refuses text/html and accepts the rest), and the range
 * "application/" + "*" matches both application/vnd.pypi types.
 * sv_pypi_negotiate once mapped the all-types and text ranges to F_HTML only
 * and the application range to nothing, and never let a specific q=0 exclude
 * a type a wildcard accepts. (werkzeug's MIMEAccept.best_match gives the
 * answers below.)
 */
static const struct nego_row specificity[] = {
	{ "text/html;q=0, */*", M(F_JSON) | M(F_HTML1) },
	{ "*/*;q=0.1, text/html;q=0", M(F_JSON) | M(F_HTML1) },
	{ "text/html;q=0, text/*", M(F_NONE) },
	{ "application/*", M(F_JSON) | M(F_HTML1) },
};

static void test_negotiate_specificity(void **state)
{
	(void)state;
	check_negotiate(specificity, NROWS(specificity));
}

/* ---- the stable sort ---- */

struct item {
	uint32_t key;
	uint32_t seq; /* position before sorting */
	char pad[5];  /* an odd element size */
};

static int by_key(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int by_key_seq(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = by_key(a, b);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int a_first(const void *a, const void *b)
{
	return (*(const char *)b == 'a') - (*(const char *)a == 'a');
}

static void test_sort_stable(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, 1000, 4097 };
	static const uint32_t spreads[] = { 1, 2, 7, 1000000 };
	(void)state;
	for (size_t si = 0; si < NROWS(sizes); si++) {
		for (size_t ki = 0; ki < NROWS(spreads); ki++) {
			size_t n = sizes[si];
			struct item *a = calloc(n ? n : 1, sizeof(*a)), *want = calloc(n ? n : 1, sizeof(*a));
			uint32_t x = 2463534242u;
			assert_non_null(a);
			assert_non_null(want);
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
				a[i].key = x % spreads[ki];
				a[i].seq = (uint32_t)i;
				memset(a[i].pad, (int)(i & 0x7f), sizeof(a[i].pad));
			}
			/* the expected order: by key, then by original position */
			if (n)
				memcpy(want, a, n * sizeof(*a));
			qsort(want, n, sizeof(*want), by_key_seq);
			sv_sort_stable(a, n, sizeof(*a), by_key);
			for (size_t i = 0; i < n; i++)
				if (a[i].key != want[i].key || a[i].seq != want[i].seq ||
				    a[i].pad[0] != (char)(want[i].seq & 0x7f))
					fail_msg("n %zu spread %u: element %zu is (%u, %u), want (%u, %u)", n,
						 (unsigned)spreads[ki], i, (unsigned)a[i].key,
						 (unsigned)a[i].seq, (unsigned)want[i].key,
						 (unsigned)want[i].seq);
			/* sorting a sorted array changes nothing */
			sv_sort_stable(a, n, sizeof(*a), by_key);
			if (n)
				assert_memory_equal(a, want, n * sizeof(*a));
			free(a);
			free(want);
		}
	}
	/* one-byte elements: only 'a' sorts first, the rest are equal and keep their order */
	{
		char s[] = "bcdeafghiaj";
		sv_sort_stable(s, strlen(s), 1, a_first);
		assert_string_equal(s, "aabcdefghij");
	}
}

/* ---- escaping ---- */

static const struct {
	const char *in, *json;
} json_strs[] = {
	{ "", "\"\"" },
	{ "plain", "\"plain\"" },
	{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "\x01\n\x1f\x7f", "\"\\u0001\\u000a\\u001f\\u007f\"" },
	{ "tab\there", "\"tab\\u0009here\"" },
	{ " ~", "\" ~\"" },
	{ "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\"" },
	{ "</script>", "\"</script>\"" },
	{ "models/x/config.json", "\"models/x/config.json\"" },
};

static void test_json_str(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(json_strs); i++) {
		struct al_buf b;
		struct al_err err = { 0 };
		json_error_t jerr;
		json_t *j;
		al_buf_init(&b, 4096);
		/* appends to what the buffer holds */
		assert_int_equal(al_buf_adds(&b, "[", &err), AL_OK);
		assert_int_equal(sv_json_str(&b, json_strs[i].in, &err), AL_OK);
		if (strcmp(b.data + 1, json_strs[i].json) != 0)
			fail_msg("row %zu: got %s, want %s", i, b.data + 1, json_strs[i].json);
		/* jansson reads back the very string */
		assert_int_equal(al_buf_adds(&b, "]", &err), AL_OK);
		j = json_loads(b.data, 0, &jerr);
		if (!j)
			fail_msg("row %zu: jansson refused %s: %s", i, b.data, jerr.text);
		assert_true(json_is_string(json_array_get(j, 0)));
		assert_string_equal(json_string_value(json_array_get(j, 0)), json_strs[i].in);
		json_decref(j);
		al_buf_release(&b);
	}
}

static const struct {
	const char *in, *html;
} htmls[] = {
	{ "", "" },
	{ "plain caf\xc3\xa9", "plain caf\xc3\xa9" },
	{ "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f" },
	{ "&amp;", "&amp;amp;" },
	{ "<a href=\"x\" onclick='y'>", "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;" },
	{ ">=3.8", "&gt;=3.8" },
};

static void test_html(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(htmls); i++) {
		struct al_buf b;
		struct al_err err = { 0 };
		al_buf_init(&b, 4096);
		assert_int_equal(al_buf_adds(&b, "x", &err), AL_OK);
		assert_int_equal(al_buf_add_html(&b, htmls[i].in, &err), AL_OK);
		if (strcmp(b.data + 1, htmls[i].html) != 0)
			fail_msg("row %zu: got '%s', want '%s'", i, b.data + 1, htmls[i].html);
		al_buf_release(&b);
	}
}

/* The buffer's cap holds for what the escaping adds: the twin of each success above. */
static void test_escape_cap(void **state)
{
	struct al_buf b;
	struct al_err err = { 0 };
	(void)state;
	al_buf_init(&b, 12);
	assert_int_equal(al_buf_add_html(&b, "<<<", &err), AL_OK); /* exactly 12 */
	assert_int_equal(b.len, 12);
	al_buf_release(&b);
	al_buf_init(&b, 11);
	assert_int_equal(al_buf_add_html(&b, "<<<", &err), AL_ELIMIT);
	assert_true(b.len <= 11);
	al_buf_release(&b);
	memset(&err, 0, sizeof(err));
	al_buf_init(&b, 8);
	assert_int_equal(sv_json_str(&b, "\x01", &err), AL_OK); /* "\u0001" */
	assert_int_equal(b.len, 8);
	al_buf_release(&b);
	al_buf_init(&b, 7);
	assert_int_equal(sv_json_str(&b, "\x01", &err), AL_ELIMIT);
	assert_true(b.len <= 7);
	al_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_range_big_numbers),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_every_byte),
		cmocka_unit_test(test_oci_name),
		cmocka_unit_test(test_oci_tag),
		cmocka_unit_test(test_oci_grammar_exhaustive),
		cmocka_unit_test(test_hf_repo),
		cmocka_unit_test(test_hf_repo_dot_segment),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_specificity),
		cmocka_unit_test(test_sort_stable),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_escape_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
