/* SPDX-License-Identifier: Apache-2.0 */
/* vercmp.c: the version orders of the vulnerability data (vercmp.h). */
#include "vercmp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pyver.h"

enum al_vorder al_vorder_of(const char *eco)
{
	size_t n = strcspn(eco, ":");
	if (n == 4 && !strncmp(eco, "PyPI", 4))
		return AL_VORDER_PEP440;
	if ((n == 6 && !strncmp(eco, "Debian", 6)) || (n == 6 && !strncmp(eco, "Ubuntu", 6)))
		return AL_VORDER_DPKG;
	if (n == 6 && !strncmp(eco, "Alpine", 6))
		return AL_VORDER_APK;
	return AL_VORDER_NONE;
}

/* ---------------------------------------------------------------- dpkg */

static int isdig(int c) { return c >= '0' && c <= '9'; }
static int isalph(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* dpkg's weight of one character of the non-digit part: '~' first, then the end, letters, the rest. */
static int dpkg_order(int c)
{
	if (isdig(c))
		return 0;
	if (isalph(c))
		return c;
	if (c == '~')
		return -1;
	return c ? c + 256 : 0;
}

/* dpkg's verrevcmp over a[0..an) and b[0..bn). */
static int dpkg_part(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;
	while (i < an || j < bn) {
		int first = 0;
		while ((i < an && !isdig(a[i])) || (j < bn && !isdig(b[j]))) {
			int ac = dpkg_order(i < an ? a[i] : 0), bc = dpkg_order(j < bn ? b[j] : 0);
			if (ac != bc)
				return ac - bc;
			i++, j++;
		}
		while (i < an && a[i] == '0')
			i++;
		while (j < bn && b[j] == '0')
			j++;
		while (i < an && j < bn && isdig(a[i]) && isdig(b[j])) {
			if (!first)
				first = a[i] - b[j];
			i++, j++;
		}
		if (i < an && isdig(a[i]))
			return 1;
		if (j < bn && isdig(b[j]))
			return -1;
		if (first)
			return first;
	}
	return 0;
}

struct dpkg_ver {
	uint64_t epoch;
	const char *up, *rev;
	size_t upn, revn;
};

static enum al_code dpkg_parse(const char *s, struct dpkg_ver *v, struct al_err *err)
{
	const char *colon = strchr(s, ':'), *dash = strrchr(s, '-'), *p;
	memset(v, 0, sizeof(*v));
	v->up = s;
	if (colon) {
		if (colon == s)
			return al_fail(err, AL_EINVAL, "'%s' is not a Debian version (an empty epoch)", s);
		for (p = s; p < colon; p++) {
			if (!isdig(*p) || v->epoch > (UINT32_MAX - 9) / 10)
				return al_fail(err, AL_EINVAL, "'%s' is not a Debian version (the epoch)", s);
			v->epoch = v->epoch * 10 + (uint64_t)(*p - '0');
		}
		v->up = colon + 1;
	}
	v->upn = dash && dash > v->up ? (size_t)(dash - v->up) : strlen(v->up);
	if (dash && dash > v->up) {
		v->rev = dash + 1;
		v->revn = strlen(v->rev);
	}
	if (!v->upn || !isdig(v->up[0]))
		return al_fail(err, AL_EINVAL, "'%s' is not a Debian version (it must start with a digit)", s);
	for (size_t i = 0; i < v->upn; i++)
		if (!isdig(v->up[i]) && !isalph(v->up[i]) && !strchr(".+~:-", v->up[i]))
			return al_fail(err, AL_EINVAL, "'%s' is not a Debian version", s);
	for (size_t i = 0; i < v->revn; i++)
		if (!isdig(v->rev[i]) && !isalph(v->rev[i]) && !strchr(".+~", v->rev[i]))
			return al_fail(err, AL_EINVAL, "'%s' is not a Debian version (the revision)", s);
	return AL_OK;
}

static enum al_code dpkg_cmp(const char *a, const char *b, int *cmp, struct al_err *err)
{
	struct dpkg_ver x, y;
	enum al_code rc;
	if ((rc = dpkg_parse(a, &x, err)) || (rc = dpkg_parse(b, &y, err)))
		return rc;
	if (x.epoch != y.epoch)
		*cmp = x.epoch < y.epoch ? -1 : 1;
	else if (!(*cmp = dpkg_part(x.up, x.upn, y.up, y.upn)))
		*cmp = dpkg_part(x.rev ? x.rev : "", x.revn, y.rev ? y.rev : "", y.revn);
	return AL_OK;
}

/* ---------------------------------------------------------------- SemVer */

/* The length of a numeric identifier at s (no leading zero unless "0"), or 0 when it is not one. */
static size_t semver_num(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && isdig(s[i]))
		i++;
	return i == n && n && !(n > 1 && s[0] == '0') ? n : 0;
}

/* Compares two identifiers (numeric ones numerically, and before alphanumeric ones). */
static int semver_ident(const char *a, size_t an, const char *b, size_t bn)
{
	int na = semver_num(a, an) != 0, nb = semver_num(b, bn) != 0, c;
	if (na && nb)
		return an != bn ? (an < bn ? -1 : 1) : memcmp(a, b, an);
	if (na != nb)
		return na ? -1 : 1;
	c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* Whether s[0..n) is a dot-separated list of identifiers ([0-9A-Za-z-]+, numeric ones without a
 * leading zero when NUMERIC_STRICT): SemVer's pre-release and build metadata. */
static int semver_idents(const char *s, size_t n, int numeric_strict)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		size_t len = i - start, digits = 0;
		if (i < n && s[i] != '.') {
			if (!isdig(s[i]) && !isalph(s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		while (digits < len && isdig(s[start + digits]))
			digits++;
		if (!len || (numeric_strict && digits == len && len > 1 && s[start] == '0'))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* Checks S as SemVer 2.0; *core is the length of MAJOR.MINOR.PATCH, *pre of the pre-release (0: none). */
static enum al_code semver_parse(const char *s, size_t *core, size_t *pre, struct al_err *err)
{
	size_t n = strcspn(s, "+"), i, dots = 0, start = 0, len = strlen(s);
	*core = strcspn(s, "-+");
	for (i = 0; i <= *core; i++) {
		if (i == *core || s[i] == '.') {
			if (!semver_num(s + start, i - start))
				return al_fail(err, AL_EINVAL, "'%s' is not a SemVer version", s);
			dots += i < *core;
			start = i + 1;
		}
	}
	*pre = *core < n ? n - *core - 1 : 0;
	if (dots != 2 || (*core < n && !semver_idents(s + *core + 1, *pre, 1)) ||
	    (n < len && !semver_idents(s + n + 1, len - n - 1, 0)))
		return al_fail(err, AL_EINVAL, "'%s' is not a SemVer version", s);
	return AL_OK;
}

/* Compares the dot-separated identifiers a[0..an) and b[0..bn). */
static int semver_list(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;
	while (i < an && j < bn) {
		size_t ia = i, jb = j;
		int c;
		while (i < an && a[i] != '.')
			i++;
		while (j < bn && b[j] != '.')
			j++;
		if ((c = semver_ident(a + ia, i - ia, b + jb, j - jb)))
			return c;
		i++, j++;
	}
	return (i < an) - (j < bn);
}

static enum al_code semver_cmp(const char *a, const char *b, int *cmp, struct al_err *err)
{
	size_t ac, ap, bc, bp;
	enum al_code rc;
	if ((rc = semver_parse(a, &ac, &ap, err)) || (rc = semver_parse(b, &bc, &bp, err)))
		return rc;
	if ((*cmp = semver_list(a, ac, b, bc)))
		return AL_OK;
	if (!ap || !bp)
		*cmp = (!ap) - (!bp);
	else
		*cmp = semver_list(a + ac + 1, ap, b + bc + 1, bp);
	return AL_OK;
}

/* ---------------------------------------------------------------- apk */

/* apk's token types, in the order that decides between versions of different shapes. */
enum apk_tok { APK_INVALID = -1, APK_DIGIT_OR_ZERO, APK_DIGIT, APK_LETTER, APK_SUFFIX, APK_SUFFIX_NO, APK_REVISION_NO,
	       APK_END };

struct apk_cur {
	const char *p;
	size_t n;
};

/* The type of the token at the cursor, after one of type T (moving past its separator). */
static enum apk_tok apk_next(enum apk_tok t, struct apk_cur *c)
{
	enum apk_tok n = APK_INVALID;
	if (!c->n) {
		n = APK_END;
	} else if ((t == APK_DIGIT || t == APK_DIGIT_OR_ZERO) && c->p[0] >= 'a' && c->p[0] <= 'z') {
		n = APK_LETTER;
	} else if (t == APK_SUFFIX && isdig(c->p[0])) {
		n = APK_SUFFIX_NO;
	} else {
		if (c->p[0] == '.')
			n = APK_DIGIT_OR_ZERO;
		else if (c->p[0] == '_')
			n = APK_SUFFIX;
		else if (c->p[0] == '-' && c->n > 1 && c->p[1] == 'r') {
			n = APK_REVISION_NO;
			c->p++, c->n--;
		}
		c->p++, c->n--;
		if (!c->n)
			n = APK_INVALID; /* (a separator with nothing after it) */
	}
	if (n < t && !((n == APK_DIGIT_OR_ZERO && t == APK_DIGIT) || (n == APK_SUFFIX && t == APK_SUFFIX_NO)))
		n = APK_INVALID;
	return n;
}

/* The value of the token of type *t at the cursor; *t becomes the next token's type. A digit
 * group's text is left in *g / *gl (for the leading-zero rule). */
static long long apk_token(enum apk_tok *t, struct apk_cur *c, const char **g, size_t *gl)
{
	static const char *const pre[] = { "alpha", "beta", "pre", "rc" }, *const post[] = { "cvs", "svn", "git", "hg", "p" };
	enum apk_tok nt = APK_INVALID;
	long long v = 0;
	size_t i = 0, k;
	*g = c->p;
	*gl = 0;
	if (!c->n) {
		*t = APK_END;
		return 0;
	}
	switch (*t) {
	case APK_DIGIT_OR_ZERO:
	case APK_DIGIT:
	case APK_SUFFIX_NO:
	case APK_REVISION_NO:
		while (i < c->n && isdig(c->p[i])) {
			if (v < 100000000000000LL)
				v = v * 10 + (c->p[i] - '0');
			i++;
		}
		if (!i && *t != APK_SUFFIX_NO) {
			*t = APK_INVALID; /* (a group or revision needs its digits) */
			return -1;
		}
		*gl = i;
		break;
	case APK_LETTER:
		v = c->p[i++];
		break;
	case APK_SUFFIX:
		for (k = 0; k < 4 && nt == APK_INVALID; k++)
			if (c->n >= strlen(pre[k]) && !strncmp(c->p, pre[k], strlen(pre[k]))) {
				i = strlen(pre[k]);
				v = (long long)k - 4;
				nt = APK_SUFFIX_NO;
			}
		for (k = 0; k < 5 && nt == APK_INVALID; k++)
			if (c->n >= strlen(post[k]) && !strncmp(c->p, post[k], strlen(post[k]))) {
				i = strlen(post[k]);
				v = (long long)k;
				nt = APK_SUFFIX_NO;
			}
		if (nt != APK_INVALID)
			break;
		/* fall through */
	default:
		*t = APK_INVALID;
		return -1;
	}
	c->p += i, c->n -= i;
	if (!c->n)
		*t = APK_END;
	else if (nt != APK_INVALID)
		*t = nt;
	else
		*t = apk_next(*t, c);
	return v;
}

static int apk_valid(const char *s)
{
	struct apk_cur c = { s, strlen(s) };
	enum apk_tok t = APK_DIGIT;
	const char *g;
	size_t gl;
	if (!c.n || !isdig(s[0]))
		return 0;
	while (t != APK_END && t != APK_INVALID)
		apk_token(&t, &c, &g, &gl);
	return t == APK_END;
}

/* Whether the suffix at the cursor is a pre-release one (read without moving the cursor). */
static int apk_suffix_pre(const struct apk_cur *c)
{
	struct apk_cur peek = *c;
	enum apk_tok t = APK_SUFFIX;
	const char *g;
	size_t gl;
	return apk_token(&t, &peek, &g, &gl) < 0;
}

static enum al_code apk_cmp(const char *a, const char *b, int *cmp, struct al_err *err)
{
	struct apk_cur x = { a, strlen(a) }, y = { b, strlen(b) };
	enum apk_tok at = APK_DIGIT, bt = APK_DIGIT;
	long long av = 0, bv = 0;
	const char *ag, *bg;
	size_t al, bl;
	if (!apk_valid(a) || !apk_valid(b))
		return al_fail(err, AL_EINVAL, "'%s' is not an Alpine package version", apk_valid(a) ? b : a);
	*cmp = 0;
	while (at == bt && at != APK_END && at != APK_INVALID) {
		enum apk_tok was = at;
		av = apk_token(&at, &x, &ag, &al);
		bv = apk_token(&bt, &y, &bg, &bl);
		if (was == APK_DIGIT_OR_ZERO && ((al && ag[0] == '0') || (bl && bg[0] == '0'))) {
			/* Gentoo's rule: a later group with a leading zero compares as a string */
			int c = memcmp(ag, bg, al < bl ? al : bl);
			*cmp = c ? (c < 0 ? -1 : 1) : (al > bl) - (al < bl);
			if (*cmp)
				return AL_OK;
			continue;
		}
		if (av != bv) {
			*cmp = av < bv ? -1 : 1;
			return AL_OK;
		}
	}
	/* the shapes differ: a side whose next token is a pre-release suffix is the lesser;
	 * otherwise the side whose next token type comes first is the greater */
	if (at == bt)
		*cmp = 0;
	else if (at == APK_SUFFIX && apk_suffix_pre(&x))
		*cmp = -1;
	else if (bt == APK_SUFFIX && apk_suffix_pre(&y))
		*cmp = 1;
	else
		*cmp = at > bt ? -1 : bt > at ? 1 : 0;
	return AL_OK;
}

enum al_code al_vercmp(enum al_vorder order, const char *a, const char *b, int *cmp, struct al_err *err)
{
	struct al_pyver x, y;
	enum al_code rc;
	switch (order) {
	case AL_VORDER_PEP440:
		if ((rc = al_pyver_parse(a, strlen(a), &x, err)) || (rc = al_pyver_parse(b, strlen(b), &y, err)))
			return rc;
		*cmp = al_pyver_cmp(&x, &y);
		return AL_OK;
	case AL_VORDER_DPKG:
		return dpkg_cmp(a, b, cmp, err);
	case AL_VORDER_SEMVER:
		return semver_cmp(a, b, cmp, err);
	case AL_VORDER_APK:
		return apk_cmp(a, b, cmp, err);
	default:
		return al_fail(err, AL_EINVAL, "no version order to compare '%s' and '%s'", a, b);
	}
}
