/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_http.c: the pure parsers of `airlock serve` (src/serve/sv_internal.h,
 * serve.h), on what a client controls: the Range and Accept headers, the
 * request path, and names taken from it.
 *
 * The input is up to five fields separated by '\n' (missing ones are empty):
 *
 *     SIZE \n RANGE \n PATH \n NAME \n ACCEPT
 *
 * SIZE is the body size for the range, in decimal (saturating; other bytes
 * ignored). RANGE goes to sv_parse_range; PATH, as bytes, to sv_decode and,
 * as a string, to sv_split; NAME to the OCI name and tag validators,
 * sv_hf_repo_valid, al_pep503_normalize, sv_json_str and al_buf_add_html; ACCEPT to
 * sv_pypi_negotiate. Each field is copied into a buffer of exactly its size.
 *
 * Checks: an OK range lies inside the body (start < size, len >= 1, start +
 * len <= size) and equals an independent reading of RFC 9110 §14.1.1 written
 * here (numbers of more than 19 digits are left out of that comparison: what
 * they should give is test_serve.c's test_range_big_numbers); the decoder
 * agrees with one written here and never returns a control character, DEL or
 * a backslash; sv_split's segments are the decoded pieces and, unless it
 * flagged the path, none is empty, "." or ".."; the OCI validators agree
 * with the spec's regular expressions (POSIX regcomp); an accepted Hugging
 * Face id has one or two non-empty segments of [A-Za-z0-9._-] and no ".."
 * segment, and an id of that shape whose segments do not start with '.' is
 * accepted; normalization equals the import's al_pep503_normalize, is
 * idempotent, and gives ^[a-z0-9-]*$ without "--" for ASCII alnum/-_. input;
 * JSON strings read back the same with jansson; HTML escaping leaves no
 * markup character; negotiation picks a format that some element of the
 * header names (exactly, or by a wildcard) with a q above 0, picks HTML for
 * an empty header, and honours a header that is one exact type.
 */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fuzz.h"
#include "sv_internal.h"
#include "wheel.h"

enum { NFIELDS = 5, MAX_INPUT = 1 << 16, REGEX_MAX = 300 };

#define OCI_NAME_RE "^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$"
#define OCI_TAG_RE  "^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int refused_byte(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

/* ---- Range: an independent reading of RFC 9110 §14.1.1 for one range-spec ---- */

/* Digits [p, p+n) as a number; *big when more than 19 significant digits (out of the comparison). */
static uint64_t ref_num(const char *p, size_t n, int *big)
{
	uint64_t v = 0;
	while (n && *p == '0')
		p++, n--;
	if (n > 19) {
		*big = 1;
		return UINT64_MAX;
	}
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	return v;
}

static enum sv_range ref_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len, int *big)
{
	size_t i = 0, n = strlen(h), a0, a1, b0, b1;
	uint64_t a, b;
	while (i < n && h[i] == ' ')
		i++;
	if (n - i < 6 || strncasecmp(h + i, "bytes=", 6) != 0)
		return SV_RANGE_NONE;
	i += 6;
	if (memchr(h + i, ',', n - i))
		return SV_RANGE_NONE;
	while (i < n && h[i] == ' ')
		i++;
	while (n > i && h[n - 1] == ' ')
		n--;
	for (a0 = i; i < n && is_digit(h[i]); i++)
		;
	a1 = i;
	if (i == n || h[i] != '-')
		return SV_RANGE_BAD;
	for (b0 = ++i; i < n && is_digit(h[i]); i++)
		;
	b1 = i;
	if (i != n || (a0 == a1 && b0 == b1))
		return SV_RANGE_BAD;
	if (a0 == a1) { /* suffix-range: the last b bytes, all of them if b >= size */
		b = ref_num(h + b0, b1 - b0, big);
		if (b == 0 || size == 0)
			return SV_RANGE_BAD;
		*len = b < size ? b : size;
		*start = size - *len;
		return SV_RANGE_OK;
	}
	a = ref_num(h + a0, a1 - a0, big);
	if (a >= size)
		return SV_RANGE_BAD;
	b = b0 == b1 ? size - 1 : ref_num(h + b0, b1 - b0, big);
	if (b < a)
		return SV_RANGE_BAD;
	if (b > size - 1)
		b = size - 1;
	*start = a;
	*len = b - a + 1;
	return SV_RANGE_OK;
}

static void check_range(const char *h, uint64_t size)
{
	uint64_t start = 0, len = 0, rstart = 0, rlen = 0;
	int big = 0;
	enum sv_range got = sv_parse_range(h, size, &start, &len),
		      want = ref_range(h, size, &rstart, &rlen, &big);
	if (got != SV_RANGE_OK && got != SV_RANGE_BAD && got != SV_RANGE_NONE)
		AL_BUG("sv_parse_range returned no enum sv_range");
	if (got == SV_RANGE_OK && (len == 0 || start >= size || len > size - start)) {
		fprintf(stderr, "fuzz_http: '%s' on %llu bytes: start %llu len %llu\n", h,
			(unsigned long long)size, (unsigned long long)start, (unsigned long long)len);
		AL_BUG("an OK range does not lie inside the body");
	}
	if (big)
		return;
	if (got != want || (got == SV_RANGE_OK && (start != rstart || len != rlen))) {
		fprintf(stderr, "fuzz_http: '%s' on %llu bytes: got %d (%llu, %llu), want %d (%llu, %llu)\n",
			h, (unsigned long long)size, (int)got, (unsigned long long)start,
			(unsigned long long)len, (int)want, (unsigned long long)rstart,
			(unsigned long long)rlen);
		AL_BUG("sv_parse_range disagrees with RFC 9110 §14.1.1");
	}
}

/* ---- percent-decoding and segments ---- */

static int hex(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c) : NULL;
	return p ? (int)(p - digits) : -1;
}

/* n bytes of in, decoded into out (room for n + 1); -1 when sv_decode must refuse them. */
static int ref_decode(const char *in, size_t n, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			if (n - i < 3 || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0)
				return -1;
			c = (unsigned char)(hex(in[i + 1]) << 4 | hex(in[i + 2]));
			i += 2;
		}
		if (refused_byte(c))
			return -1;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return 0;
}

static void check_decode(const char *in, size_t n)
{
	char *out = NULL, *ref = malloc(n + 1);
	int rc, want;
	if (!ref)
		AL_BUG("out of memory");
	rc = sv_decode(in, n, &out);
	want = ref_decode(in, n, ref);
	if (rc != 0 && rc != -1)
		AL_BUG("sv_decode returned neither 0 nor -1");
	if (rc == 0) {
		if (!out)
			AL_BUG("sv_decode succeeded without a string");
		for (const char *p = out; *p; p++)
			if (refused_byte((unsigned char)*p))
				AL_BUG("sv_decode returned a control character, DEL or a backslash");
		if (strlen(out) > n)
			AL_BUG("sv_decode made a string longer than its input");
	}
	if (rc != want || (rc == 0 && strcmp(out, ref) != 0))
		AL_BUG("sv_decode disagrees with the reference decoder");
	free(out);
	free(ref);
}

static void check_split(const char *rest)
{
	struct sv_req rq;
	size_t len = strlen(rest), want = 1;
	int any_bad = 0, first_slash = 0;
	memset(&rq, 0, sizeof(rq));
	if (sv_split(&rq, rest) != 0)
		AL_BUG("sv_split failed (out of memory)");
	if (rq.trailing_slash != (len > 0 && rest[len - 1] == '/'))
		AL_BUG("sv_split got the trailing slash wrong");
	len -= (size_t)rq.trailing_slash;
	for (size_t i = 0; i < len; i++)
		want += rest[i] == '/';
	if (rq.nseg != (len ? want : 0))
		AL_BUG("sv_split made the wrong number of segments");
	for (size_t i = 0, at = 0; i < rq.nseg; i++) {
		const char *piece = rest + at, *slash = memchr(piece, '/', len - at);
		size_t plen = slash ? (size_t)(slash - piece) : len - at;
		char *ref = malloc(plen + 1);
		int bad;
		if (!ref)
			AL_BUG("out of memory");
		if (!rq.seg[i])
			AL_BUG("sv_split left a segment NULL");
		bad = ref_decode(piece, plen, ref) != 0 || !*ref || !strcmp(ref, ".") || !strcmp(ref, "..");
		any_bad |= bad;
		if (!bad && strcmp(ref, rq.seg[i]) != 0)
			AL_BUG("a segment is not the decoded piece of the path");
		if (!bad && !first_slash && strchr(ref, '/'))
			first_slash = (int)i + 1;
		free(ref);
		at += plen + 1;
	}
	if (rq.bad_path != any_bad)
		AL_BUG(any_bad ? "sv_split let an empty, dot, or undecodable segment through"
			       : "sv_split flagged a good path");
	/* where every segment is good, slash_seg is exactly the first with an encoded '/' */
	if (!any_bad && rq.slash_seg != first_slash)
		AL_BUG("sv_split flagged the wrong segment for an encoded '/'");
	for (size_t i = 0; i < rq.nseg; i++)
		free(rq.seg[i]);
	free(rq.seg);
}

/* ---- names ---- */

static int hf_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '_' ||
	       c == '-';
}

static int hf_edge(char c)
{
	return hf_char(c) && c != '.' && c != '-';
}

static void check_names(const char *name)
{
	static regex_t name_rx, tag_rx;
	static int ready;
	size_t len = strlen(name);
	if (!ready) {
		if (regcomp(&name_rx, OCI_NAME_RE, REG_EXTENDED | REG_NOSUB) ||
		    regcomp(&tag_rx, OCI_TAG_RE, REG_EXTENDED | REG_NOSUB))
			AL_BUG("regcomp failed");
		ready = 1;
	}
	/* OCI: the spec's expressions (only on short strings: the validators cap length themselves) */
	if (len <= REGEX_MAX) {
		int name_want = len <= 255 && regexec(&name_rx, name, 0, NULL, 0) == 0;
		int tag_want = regexec(&tag_rx, name, 0, NULL, 0) == 0;
		if (sv_oci_name_valid(name) != name_want) {
			fprintf(stderr, "fuzz_http: OCI name '%s': got %d\n", name, !name_want);
			AL_BUG("sv_oci_name_valid disagrees with the distribution-spec grammar");
		}
		if (sv_oci_tag_valid(name) != tag_want) {
			fprintf(stderr, "fuzz_http: OCI tag '%s': got %d\n", name, !tag_want);
			AL_BUG("sv_oci_tag_valid disagrees with the distribution-spec grammar");
		}
	} else if (sv_oci_name_valid(name) || sv_oci_tag_valid(name)) {
		AL_BUG("an OCI name or tag over 255 characters was accepted");
	}
	/* Hugging Face: huggingface_hub's rule, written again here: one or two segments of
	 * [A-Za-z0-9._-], each starting and ending with [A-Za-z0-9_], no ".." or "--",
	 * each at most 96 characters */
	{
		int want = len > 0, nseg = 1;
		size_t seg = 0;
		for (size_t i = 0; i <= len && want; i++) {
			if (i == len || name[i] == '/') {
				size_t n = i - seg;
				if (!n || n > 96 || !hf_edge(name[seg]) || !hf_edge(name[i - 1]) || (i < len && ++nseg > 2))
					want = 0;
				seg = i + 1;
				continue;
			}
			if (!hf_char(name[i]) || (i > seg && (name[i] == '.' || name[i] == '-') && name[i - 1] == name[i]))
				want = 0;
		}
		if (sv_hf_repo_valid(name) != want) {
			fprintf(stderr, "fuzz_http: HF repo '%s': got %d\n", name, !want);
			AL_BUG("sv_hf_repo_valid disagrees with huggingface_hub's rule");
		}
	}
}

static void check_normalize(const char *name)
{
	size_t len = strlen(name);
	char *n = al_pep503_normalize(name, len), *again;
	int plain = 1;
	if (!n)
		AL_BUG("out of memory");
	again = al_pep503_normalize(n, strlen(n));
	if (!again)
		AL_BUG("out of memory");
	if (strcmp(n, again) != 0)
		AL_BUG("al_pep503_normalize is not idempotent");
	if (strlen(n) > len)
		AL_BUG("normalization made a name longer");
	for (const char *p = name; *p; p++)
		if (!(hf_char(*p)))
			plain = 0;
	if (plain) {
		for (const char *p = n; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || is_digit(*p) || *p == '-') ||
			    (*p == '-' && p[1] == '-'))
				AL_BUG("a normalized ASCII name is not ^[a-z0-9-]*$ without '--'");
	}
	free(n);
	free(again);
}

/* ---- escaping ---- */

static void check_escape(const char *s)
{
	struct al_buf b;
	struct al_err err = { 0 };
	json_t *ref = json_string(s); /* NULL when s is not UTF-8 */
	al_buf_init(&b, 1 << 20);
	if (sv_json_str(&b, s, &err) != AL_OK)
		AL_BUG("sv_json_str failed under its cap");
	if (ref) {
		json_error_t jerr;
		json_t *j = json_loads(b.data, JSON_DECODE_ANY, &jerr);
		if (!j || !json_equal(j, ref)) {
			fprintf(stderr, "fuzz_http: %s: %s\n", b.data, j ? "a different string" : jerr.text);
			AL_BUG("sv_json_str's output does not read back as the same string");
		}
		json_decref(j);
		json_decref(ref);
	}
	al_buf_release(&b);
	if (al_buf_add_html(&b, s, &err) != AL_OK)
		AL_BUG("al_buf_add_html failed under its cap");
	/* no markup character survives, and undoing the five entities gives s back */
	{
		static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
		static const char ch[] = "&<>\"'";
		const char *p = b.data ? b.data : "", *q = s;
		while (*p) {
			size_t k;
			if (strchr("<>\"'", *p))
				AL_BUG("al_buf_add_html left a markup character");
			for (k = 0; *p == '&' && k < 5; k++)
				if (!strncmp(p, ent[k], strlen(ent[k])))
					break;
			if (*p == '&' && k == 5)
				AL_BUG("al_buf_add_html left a bare '&'");
			if (*q != (*p == '&' ? ch[k] : *p))
				AL_BUG("al_buf_add_html's output does not unescape to its input");
			p += *p == '&' ? strlen(ent[k]) : 1;
			q++;
		}
		if (*q)
			AL_BUG("al_buf_add_html dropped part of its input");
	}
	al_buf_release(&b);
}

/* ---- negotiation ---- */

static int type_is(const char *t, size_t n, const char *s)
{
	return strlen(s) == n && !strncasecmp(t, s, n);
}

/* Could element type t (n bytes) give format f, exactly or through a wildcard? */
static int type_gives(const char *t, size_t n, enum sv_fmt f)
{
	switch (f) {
	case F_JSON:
		return type_is(t, n, "application/vnd.pypi.simple.v1+json") ||
		       type_is(t, n, "application/vnd.pypi.simple.latest+json") ||
		       type_is(t, n, "application/*") || type_is(t, n, "*/*");
	case F_HTML1:
		return type_is(t, n, "application/vnd.pypi.simple.v1+html") ||
		       type_is(t, n, "application/vnd.pypi.simple.latest+html") ||
		       type_is(t, n, "application/*") || type_is(t, n, "*/*");
	case F_HTML: return type_is(t, n, "text/html") || type_is(t, n, "text/*") || type_is(t, n, "*/*");
	default: return 0;
	}
}

static void check_negotiate(const char *accept)
{
	enum sv_fmt got = sv_pypi_negotiate(accept);
	int named = 0, nelem = 0, exact = -1;
	if (got != F_NONE && got != F_JSON && got != F_HTML1 && got != F_HTML)
		AL_BUG("sv_pypi_negotiate returned no enum sv_fmt");
	if (!*accept) {
		if (got != F_HTML)
			AL_BUG("an empty Accept did not give HTML");
		return;
	}
	for (const char *p = accept; *p;) {
		const char *end = strchr(p, ','), *t, *semi;
		size_t tl;
		int has_q = 0, positive_q = 0, has_params;
		if (!end)
			end = p + strlen(p);
		t = p;
		while (t < end && (*t == ' ' || *t == '\t'))
			t++;
		semi = memchr(t, ';', (size_t)(end - t));
		tl = (size_t)((semi ? semi : end) - t);
		while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))
			tl--;
		has_params = semi != NULL;
		/* acceptable somehow: no q parameter, or one that reads as a number above 0 */
		for (const char *a = semi; a && a < end; a = memchr(a + 1, ';', (size_t)(end - a - 1))) {
			const char *v = a + 1;
			while (v < end && *v == ' ')
				v++;
			if (end - v >= 2 && !strncasecmp(v, "q=", 2)) {
				has_q = 1;
				positive_q |= strtod(v + 2, NULL) > 0;
			}
		}
		if (got != F_NONE && (!has_q || positive_q) && type_gives(t, tl, got))
			named = 1;
		if (!has_params)
			exact = type_is(t, tl, "application/vnd.pypi.simple.v1+json")	? F_JSON
				: type_is(t, tl, "application/vnd.pypi.simple.v1+html") ? F_HTML1
				: type_is(t, tl, "text/html")				? F_HTML
											: -1;
		nelem++;
		p = *end ? end + 1 : end;
	}
	if (got != F_NONE && !named) {
		fprintf(stderr, "fuzz_http: Accept '%s' gave %d\n", accept, (int)got);
		AL_BUG("sv_pypi_negotiate chose a format no element of the header accepts");
	}
	if (nelem == 1 && exact >= 0 && got != (enum sv_fmt)exact) {
		fprintf(stderr, "fuzz_http: Accept '%s' gave %d\n", accept, (int)got);
		AL_BUG("sv_pypi_negotiate ignored a header naming one exact type");
	}
}

/* ---- the entry point ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *field[NFIELDS];
	size_t flen[NFIELDS];
	uint64_t body = 0;
	if (size > MAX_INPUT)
		return 0;
	for (int i = 0; i < NFIELDS; i++) {
		const char *nl = i < NFIELDS - 1 ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		size_t n = (size_t)((nl ? nl : end) - p);
		field[i] = malloc(n + 1);
		if (!field[i])
			AL_BUG("out of memory");
		if (n)
			memcpy(field[i], p, n);
		field[i][n] = '\0';
		flen[i] = n;
		p = nl ? nl + 1 : end;
	}
	for (size_t i = 0; i < flen[0]; i++)
		if (is_digit(field[0][i]))
			body = body > (UINT64_MAX - 9) / 10 ? UINT64_MAX
							    : body * 10 + (uint64_t)(field[0][i] - '0');
	check_range(field[1], body);
	check_decode(field[2], flen[2]);
	check_split(field[2]);
	check_names(field[3]);
	check_normalize(field[3]);
	check_escape(field[3]);
	check_negotiate(field[4]);
	for (int i = 0; i < NFIELDS; i++)
		free(field[i]);
	return 0;
}
