/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pyver.c: PEP 440 versions and specifier sets, read the way pip's vendored
 * packaging 21.3 reads them (its VERSION_PATTERN, its sort key, its Specifier
 * operators). A hand-written scanner instead of a regular expression: each
 * optional part is tried at the current position and given back when what
 * follows its separator is not that part.
 */
#include "pyver.h"

#include <ctype.h>
#include <string.h>

static int is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Digits at s[*i..n) into *out; 0 when there is none or it overflows. */
static int digits(const char *s, size_t n, size_t *i, uint64_t *out)
{
	size_t j = *i;
	uint64_t x = 0;
	if (j >= n || !isdigit((unsigned char)s[j]))
		return 0;
	for (; j < n && isdigit((unsigned char)s[j]); j++) {
		unsigned d = (unsigned)(s[j] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return 0;
		x = x * 10 + d;
	}
	*out = x;
	*i = j;
	return 1;
}

/* A case-insensitive label from `labels` (longest listed first) at s[i]: its index, or -1. */
static int label_at(const char *s, size_t n, size_t i, const char *const *labels, size_t *len)
{
	for (int k = 0; labels[k]; k++) {
		size_t l = strlen(labels[k]);
		if (n - i >= l && !strncasecmp(s + i, labels[k], l)) {
			*len = l;
			return k;
		}
	}
	return -1;
}

/*
 * An optional "[-_.]? LABEL [-_.]? N?" part at *i: on a match *i moves past it, *which is
 * the label's index and *num its number (0 when absent).
 */
static int tagged(const char *s, size_t n, size_t *i, const char *const *labels, int *which, uint64_t *num)
{
	size_t j = *i, l;
	if (j < n && is_sep(s[j]))
		j++;
	int k = label_at(s, n, j, labels, &l);
	if (k < 0)
		return 0;
	j += l;
	*num = 0;
	size_t m = j;
	if (m < n && is_sep(s[m]))
		m++;
	if (!digits(s, n, &m, num) && m != j && m < n && isdigit((unsigned char)s[m]))
		return 0; /* a number too large */
	j = m; /* (a separator with no number after it still belongs here: packaging reads "1.0a-" as 1.0a0) */
	*which = k;
	*i = j;
	return 1;
}

static enum al_code bad(const char *s, size_t n, struct al_err *err)
{
	return al_fail(err, AL_EINVAL, "'%.*s' is not a version (PEP 440)", (int)(n > 200 ? 200 : n), s);
}

enum al_code al_pyver_parse(const char *s, size_t n, struct al_pyver *v, struct al_err *err)
{
	static const char *const pre_l[] = {"preview", "alpha", "beta", "pre", "rc", "a", "b", "c", NULL};
	static const enum al_pypre pre_k[] = {AL_PYPRE_RC, AL_PYPRE_A, AL_PYPRE_B, AL_PYPRE_RC,
					      AL_PYPRE_RC, AL_PYPRE_A, AL_PYPRE_B, AL_PYPRE_RC};
	static const char *const post_l[] = {"post", "rev", "r", NULL};
	static const char *const dev_l[] = {"dev", NULL};
	size_t i = 0, end = n;
	uint64_t x;
	int which;

	memset(v, 0, sizeof(*v));
	while (i < end && isspace((unsigned char)s[i]))
		i++;
	while (end > i && isspace((unsigned char)s[end - 1]))
		end--;
	if (i < end && (s[i] == 'v' || s[i] == 'V'))
		i++;
	if (!digits(s, end, &i, &x))
		return bad(s, n, err);
	if (i < end && s[i] == '!') {
		v->epoch = x;
		i++;
		if (!digits(s, end, &i, &x))
			return bad(s, n, err);
	}
	v->rel[v->nrel++] = x;
	while (i + 1 < end && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
		i++;
		if (v->nrel == AL_PYVER_MAXREL || !digits(s, end, &i, &x))
			return bad(s, n, err);
		v->rel[v->nrel++] = x;
	}
	if (tagged(s, end, &i, pre_l, &which, &v->pre_n))
		v->pre = pre_k[which];
	if (i + 1 < end && s[i] == '-' && isdigit((unsigned char)s[i + 1])) {
		i++;
		if (!digits(s, end, &i, &v->post))
			return bad(s, n, err);
		v->has_post = 1;
	} else if (tagged(s, end, &i, post_l, &which, &v->post)) {
		v->has_post = 1;
	}
	if (tagged(s, end, &i, dev_l, &which, &v->dev))
		v->has_dev = 1;
	if (i < end && s[i] == '+') {
		size_t o = 0;
		i++;
		for (int first = 1;; first = 0) {
			if (!first) {
				if (i >= end || !is_sep(s[i]))
					break;
				i++;
				v->local[o++] = '.';
			}
			if (i >= end || !isalnum((unsigned char)s[i]))
				return bad(s, n, err);
			while (i < end && isalnum((unsigned char)s[i])) {
				if (o + 2 >= sizeof(v->local))
					return bad(s, n, err);
				v->local[o++] = (char)tolower((unsigned char)s[i++]);
			}
		}
		v->local[o] = '\0';
	}
	if (i != end)
		return bad(s, n, err);
	return AL_OK;
}

int al_pyver_is_pre(const struct al_pyver *v)
{
	return v->pre != AL_PYPRE_NONE || v->has_dev;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Releases compare as if padded with zeros (packaging strips trailing zeros). */
static int cmp_release(const struct al_pyver *a, const struct al_pyver *b, size_t upto)
{
	for (size_t k = 0; k < upto; k++) {
		uint64_t x = k < a->nrel ? a->rel[k] : 0, y = k < b->nrel ? b->rel[k] : 0;
		if (x != y)
			return cmp_u64(x, y);
	}
	return 0;
}

/* One local segment ("abc" or "0012") against another: numbers after words, numbers by value. */
static int cmp_local_seg(const char *a, size_t la, const char *b, size_t lb)
{
	int na = 1, nb = 1;
	for (size_t k = 0; k < la; k++)
		na &= isdigit((unsigned char)a[k]) != 0;
	for (size_t k = 0; k < lb; k++)
		nb &= isdigit((unsigned char)b[k]) != 0;
	if (na != nb)
		return na ? 1 : -1;
	if (na) {
		while (la > 1 && *a == '0')
			a++, la--;
		while (lb > 1 && *b == '0')
			b++, lb--;
		if (la != lb)
			return la < lb ? -1 : 1;
		int c = memcmp(a, b, la);
		return c < 0 ? -1 : c > 0;
	}
	int c = memcmp(a, b, la < lb ? la : lb);
	if (c)
		return c < 0 ? -1 : 1;
	return la < lb ? -1 : la > lb;
}

static int cmp_local(const char *a, const char *b)
{
	if (!*a || !*b)
		return (*a != 0) - (*b != 0);
	for (;;) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int c = cmp_local_seg(a, la, b, lb);
		if (c)
			return c;
		a += la;
		b += lb;
		if (!*a || !*b)
			return (*a != 0) - (*b != 0);
		a++;
		b++;
	}
}

/* The pre-release part of packaging's key: a bare dev release sorts before any pre-release. */
static int pre_rank(const struct al_pyver *v, uint64_t *n)
{
	*n = v->pre_n;
	if (v->pre == AL_PYPRE_NONE)
		return (!v->has_post && v->has_dev) ? -1 : 4;
	return (int)v->pre;
}

int al_pyver_cmp(const struct al_pyver *a, const struct al_pyver *b)
{
	uint64_t an, bn;
	int c, ra, rb;
	size_t upto = a->nrel > b->nrel ? a->nrel : b->nrel;
	if ((c = cmp_u64(a->epoch, b->epoch)) || (c = cmp_release(a, b, upto)))
		return c;
	ra = pre_rank(a, &an);
	rb = pre_rank(b, &bn);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra >= 1 && ra <= 3 && (c = cmp_u64(an, bn)))
		return c;
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post && (c = cmp_u64(a->post, b->post)))
		return c;
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev && (c = cmp_u64(a->dev, b->dev)))
		return c;
	return cmp_local(a->local, b->local);
}

static struct al_pyver public_of(const struct al_pyver *v)
{
	struct al_pyver p = *v;
	p.local[0] = '\0';
	return p;
}

/* The version with only epoch and release: packaging's base_version. */
static struct al_pyver base_of(const struct al_pyver *v)
{
	struct al_pyver p;
	memset(&p, 0, sizeof(p));
	p.epoch = v->epoch;
	p.nrel = v->nrel;
	memcpy(p.rel, v->rel, sizeof(p.rel));
	return p;
}

int al_pyver_pin_matches(const struct al_pyver *pin, const struct al_pyver *v)
{
	if (pin->local[0])
		return al_pyver_cmp(pin, v) == 0;
	struct al_pyver pv = public_of(v);
	return al_pyver_cmp(pin, &pv) == 0;
}

/* `==P.*`: v's release, cut to P's length and padded, equals P's (same epoch). */
static int prefix_matches(const struct al_pyver *p, const struct al_pyver *v)
{
	return p->epoch == v->epoch && cmp_release(p, v, p->nrel) == 0;
}

static int only_release(const struct al_pyver *v)
{
	return !v->pre && !v->has_post && !v->has_dev && !v->local[0];
}

/* One specifier "OP VERSION" (already trimmed): *yes, or AL_EINVAL. */
static enum al_code one_spec(const char *s, size_t n, const struct al_pyver *v, int *yes, struct al_err *err)
{
	static const char *const ops[] = {"===", "~=", "==", "!=", "<=", ">=", "<", ">", NULL};
	struct al_pyver sv, pv = public_of(v);
	size_t l, i = 0;
	int op = label_at(s, n, 0, ops, &l), wild = 0, c;
	if (op < 0)
		return al_fail(err, AL_EINVAL,
			       "'%.*s' does not start with an operator such as >= or ==", (int)n, s);
	if (op == 0)
		return al_fail(err, AL_EINVAL, "'%.*s': the '===' operator is not supported", (int)n, s);
	i = l;
	if (n >= i + 2 && (op == 2 || op == 3) && s[n - 2] == '.' && s[n - 1] == '*') {
		wild = 1;
		n -= 2;
	}
	if (al_pyver_parse(s + i, n - i, &sv, NULL) != AL_OK)
		return al_fail(err, AL_EINVAL, "'%.*s' is not a version specifier", (int)(n + 2 * wild), s);
	if ((wild && !only_release(&sv)) || (sv.local[0] && op != 2 && op != 3) || (op == 1 && sv.nrel < 2))
		return al_fail(err, AL_EINVAL, "'%.*s' is not a version specifier", (int)(n + 2 * wild), s);
	switch (op) {
	case 1: { /* ~=V: >= V and == V's release without its last number, .* */
		struct al_pyver pre = base_of(&sv);
		pre.nrel--;
		*yes = al_pyver_cmp(&pv, &sv) >= 0 && prefix_matches(&pre, &pv);
		break;
	}
	case 2:
	case 3:
		c = wild ? prefix_matches(&sv, &pv) : al_pyver_pin_matches(&sv, v);
		*yes = op == 2 ? c : !c;
		break;
	case 4: *yes = al_pyver_cmp(&pv, &sv) <= 0; break;
	case 5: *yes = al_pyver_cmp(&pv, &sv) >= 0; break;
	case 6: { /* <V excludes V's own pre-releases unless V is one */
		struct al_pyver b1 = base_of(&pv), b2 = base_of(&sv);
		*yes = al_pyver_cmp(&pv, &sv) < 0 &&
		       !(!al_pyver_is_pre(&sv) && al_pyver_is_pre(&pv) && al_pyver_cmp(&b1, &b2) == 0);
		break;
	}
	default: { /* >V excludes V's post-releases unless V is one, and V with a local label */
		struct al_pyver b1 = base_of(v), b2 = base_of(&sv);
		int same = al_pyver_cmp(&b1, &b2) == 0;
		*yes = al_pyver_cmp(&pv, &sv) > 0 && !(!sv.has_post && v->has_post && same) &&
		       !(v->local[0] && same);
		break;
	}
	}
	return AL_OK;
}

enum al_code al_pyspec_contains(const char *spec, size_t n, const struct al_pyver *v, int *yes,
				struct al_err *err)
{
	size_t i = 0;
	*yes = 1;
	while (i <= n) {
		size_t j = i, a, b;
		while (j < n && spec[j] != ',')
			j++;
		a = i;
		b = j;
		while (a < b && isspace((unsigned char)spec[a]))
			a++;
		while (b > a && isspace((unsigned char)spec[b - 1]))
			b--;
		if (b > a) {
			int one = 0;
			enum al_code rc = one_spec(spec + a, b - a, v, &one, err);
			if (rc)
				return rc;
			if (!one)
				*yes = 0;
		}
		i = j + 1;
	}
	return AL_OK;
}
