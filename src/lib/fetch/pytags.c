/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pytags.c: the supported-tag list of a target, generated in the order of
 * packaging 21.3 (cpython_tags, then compatible_tags) over the platform list
 * that packaging's _manylinux / _musllinux would give a machine with that
 * C library. The order is the ranking: pip prefers the wheel whose best tag
 * comes first.
 */
#include "pytags.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"

static const struct {
	const char *os, *arch, *variant; /* variant NULL: any or none */
	const char *tag, *machine;
} archs[] = {
    {"linux", "amd64", NULL, "x86_64", "x86_64"},     {"linux", "386", NULL, "i686", "i686"},
    {"linux", "arm64", NULL, "aarch64", "aarch64"},   {"linux", "arm", "v7", "armv7l", "armv7l"},
    {"linux", "ppc64le", NULL, "ppc64le", "ppc64le"}, {"linux", "s390x", NULL, "s390x", "s390x"},
    {"windows", "amd64", NULL, "amd64", "AMD64"},     {"windows", "386", NULL, "win32", "x86"},
    {"windows", "arm64", NULL, "arm64", "ARM64"},
};

static int parse_uint(const char **p, unsigned *out)
{
	unsigned x = 0;
	if (!isdigit((unsigned char)**p))
		return 0;
	for (; isdigit((unsigned char)**p); (*p)++) {
		if (x > 9999)
			return 0;
		x = x * 10 + (unsigned)(**p - '0');
	}
	*out = x;
	return 1;
}

enum al_code al_pytarget_init(struct al_pytarget *t, const char *python, const char *platform,
			      struct al_err *err)
{
	const char *p = python, *s1, *s2;
	size_t los, larch;
	memset(t, 0, sizeof(*t));
	if (!parse_uint(&p, &t->major) || *p++ != '.' || !parse_uint(&p, &t->minor) ||
	    (*p == '.' && (p++, !parse_uint(&p, &t->micro))) || *p)
		return al_fail(err, AL_EINVAL, "python '%s' is not a version such as 3.11 or 3.11.4", python);
	if (t->major != 3 || t->minor < 5)
		return al_fail(err, AL_EINVAL, "python '%s': only CPython 3.5 and later is supported",
			       python);
	s1 = strchr(platform, '/');
	if (!s1)
		return al_fail(err, AL_EINVAL, "platform '%s' is not OS/ARCH such as linux/amd64", platform);
	s2 = strchr(s1 + 1, '/');
	los = (size_t)(s1 - platform);
	larch = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
	if (los == 6 && !memcmp(platform, "darwin", 6))
		return al_fail(err, AL_EINVAL,
			       "platform '%s': macOS targets are not supported yet (their wheel tags depend "
			       "on the macOS version)",
			       platform);
	for (size_t k = 0; k < sizeof(archs) / sizeof(archs[0]); k++) {
		if (strlen(archs[k].os) != los || memcmp(archs[k].os, platform, los) ||
		    strlen(archs[k].arch) != larch || memcmp(archs[k].arch, s1 + 1, larch))
			continue;
		if (archs[k].variant && (!s2 || strcmp(s2 + 1, archs[k].variant)))
			continue;
		snprintf(t->os, sizeof(t->os), "%s", archs[k].os);
		snprintf(t->arch, sizeof(t->arch), "%s", archs[k].tag);
		snprintf(t->machine, sizeof(t->machine), "%s", archs[k].machine);
		snprintf(t->platform, sizeof(t->platform), "%s/%s%s%s", archs[k].os, archs[k].arch,
			 archs[k].variant ? "/" : "", archs[k].variant ? archs[k].variant : "");
		if (!strcmp(t->os, "linux")) {
			t->libc = AL_PYLIBC_GLIBC;
			t->libc_major = 2;
			t->libc_minor = AL_PYTAGS_GLIBC_MINOR;
		}
		return AL_OK;
	}
	return al_fail(
	    err, AL_EINVAL,
	    "platform '%s' has no Python wheel tags airlock knows (linux/amd64, linux/386, linux/arm64, "
	    "linux/arm/v7, linux/ppc64le, linux/s390x, windows/amd64, windows/386, windows/arm64)",
	    platform);
}

enum al_code al_pytarget_musl(struct al_pytarget *t, unsigned minor, struct al_err *err)
{
	if (t->libc == AL_PYLIBC_NONE)
		return al_fail(err, AL_EINVAL, "musl applies to Linux targets only, not '%s'", t->os);
	t->libc = AL_PYLIBC_MUSL;
	t->libc_major = 1;
	t->libc_minor = minor;
	return AL_OK;
}

static enum al_code push(struct al_pytags *l, char *s, struct al_err *err)
{
	if (!s)
		return al_fail(err, AL_ENOMEM, "out of memory building wheel tags");
	if (al_array_grow(&l->tag, &l->cap, l->n + 1, sizeof(char *), err)) {
		free(s);
		return err ? err->code : AL_ENOMEM;
	}
	l->tag[l->n++] = s;
	return AL_OK;
}

enum al_code al_pytags_platforms(const struct al_pytarget *t, struct al_pytags *pl, struct al_err *err)
{
	enum al_code rc = AL_OK;
	memset(pl, 0, sizeof(*pl));
	if (!strcmp(t->os, "windows"))
		return push(pl, al_strf("%s%s", strcmp(t->arch, "win32") ? "win_" : "", t->arch), err);
	if (t->libc == AL_PYLIBC_GLIBC) {
		/* packaging's _manylinux: glibc 2.minor down to 2.5 on x86, to 2.17 elsewhere;
		 * the legacy names right after the glibc they stand for */
		unsigned floor = (!strcmp(t->arch, "x86_64") || !strcmp(t->arch, "i686")) ? 5 : 17;
		for (unsigned m = t->libc_minor; !rc && m >= floor && m + 1 > 0; m--) {
			rc = push(pl, al_strf("manylinux_2_%u_%s", m, t->arch), err);
			if (!rc && m == 17)
				rc = push(pl, al_strf("manylinux2014_%s", t->arch), err);
			if (!rc && m == 12)
				rc = push(pl, al_strf("manylinux2010_%s", t->arch), err);
			if (!rc && m == 5)
				rc = push(pl, al_strf("manylinux1_%s", t->arch), err);
			if (m == 0)
				break;
		}
	} else if (t->libc == AL_PYLIBC_MUSL) {
		for (unsigned m = t->libc_minor + 1; !rc && m-- > 0;)
			rc = push(pl, al_strf("musllinux_1_%u_%s", m, t->arch), err);
	}
	if (!rc)
		rc = push(pl, al_strf("linux_%s", t->arch), err);
	if (rc)
		al_pytags_release(pl);
	return rc;
}

static int listed(const struct al_pytags *l, const char *s)
{
	for (size_t k = 0; k < l->n; k++)
		if (!strcmp(l->tag[k], s))
			return 1;
	return 0;
}

/*
 * pip's _expand_allowed_platforms, which `pip download --platform` applies: right after
 * manylinux2014 (x86) come manylinux2010 and manylinux1, after manylinux2010 manylinux1,
 * each where it first appears. So the legacy names move up past manylinux_2_16…2_5.
 */
static enum al_code expand_legacy(struct al_pytags *pl, struct al_err *err)
{
	struct al_pytags out = {0};
	enum al_code rc = AL_OK;
	for (size_t k = 0; !rc && k < pl->n; k++) {
		const char *p = pl->tag[k], *arch = p + 14;
		int n = 1;
		char *add[3] = {strdup(p), NULL, NULL};
		if (!strncmp(p, "manylinux2014_", 14) && (!strcmp(arch, "x86_64") || !strcmp(arch, "i686"))) {
			add[n++] = al_strf("manylinux2010_%s", arch);
			add[n++] = al_strf("manylinux1_%s", arch);
		} else if (!strncmp(p, "manylinux2010_", 14)) {
			add[n++] = al_strf("manylinux1_%s", arch);
		}
		for (int i = 0; i < n; i++) {
			if (!rc && (!add[i] || !listed(&out, add[i]))) {
				rc =
				    push(&out, add[i], err); /* push frees it on failure, and fails on NULL */
				add[i] = NULL;
			}
			free(add[i]);
		}
	}
	al_pytags_release(pl);
	*pl = out;
	return rc;
}

enum al_code al_pytags_build(const struct al_pytarget *t, struct al_pytags *tags, struct al_err *err)
{
	struct al_pytags pl;
	enum al_code rc;
	unsigned M = t->major, m = t->minor;
	memset(tags, 0, sizeof(*tags));
	if ((rc = al_pytags_platforms(t, &pl, err)) || (rc = expand_legacy(&pl, err)))
		return rc;
	/* cpython_tags: the interpreter's own ABI, abi3, none, then abi3 of older minors */
	const char *abi_sfx = m < 8 ? "m" : "";
	for (size_t k = 0; !rc && k < pl.n; k++)
		rc = push(tags, al_strf("cp%u%u-cp%u%u%s-%s", M, m, M, m, abi_sfx, pl.tag[k]), err);
	for (size_t k = 0; !rc && k < pl.n; k++)
		rc = push(tags, al_strf("cp%u%u-abi3-%s", M, m, pl.tag[k]), err);
	for (size_t k = 0; !rc && k < pl.n; k++)
		rc = push(tags, al_strf("cp%u%u-none-%s", M, m, pl.tag[k]), err);
	for (unsigned o = m - 1; !rc && o >= 2; o--)
		for (size_t k = 0; !rc && k < pl.n; k++)
			rc = push(tags, al_strf("cp%u%u-abi3-%s", M, o, pl.tag[k]), err);
	/* compatible_tags: pyXY, pyX, pyX(Y-1) … pyX0 on each platform, cpXY-none-any, then on any */
	for (int any = 0; !rc && any < 2; any++) {
		if (any)
			rc = push(tags, al_strf("cp%u%u-none-any", M, m), err);
		for (long o = (long)m + 1; !rc && o >= 0; o--) {
			char py[32];
			if (o == (long)m + 1)
				snprintf(py, sizeof(py), "py%u%u", M, m);
			else if (o == (long)m)
				snprintf(py, sizeof(py), "py%u", M);
			else
				snprintf(py, sizeof(py), "py%u%ld", M, o);
			if (any)
				rc = push(tags, al_strf("%s-none-any", py), err);
			for (size_t k = 0; !any && !rc && k < pl.n; k++)
				rc = push(tags, al_strf("%s-none-%s", py, pl.tag[k]), err);
		}
	}
	al_pytags_release(&pl);
	if (rc)
		al_pytags_release(tags);
	return rc;
}

static long find(const struct al_pytags *tags, const char *t, size_t n)
{
	for (size_t k = 0; k < tags->n; k++)
		if (strlen(tags->tag[k]) == n && !memcmp(tags->tag[k], t, n))
			return (long)k;
	return -1;
}

long al_pytags_rank(const struct al_pytags *tags, const char *py, const char *abi, const char *plat)
{
	long best = -1;
	char t[512];
	for (const char *a = py; *a;) {
		size_t la = strcspn(a, ".");
		for (const char *b = abi; *b;) {
			size_t lb = strcspn(b, ".");
			for (const char *c = plat; *c;) {
				size_t lc = strcspn(c, ".");
				int n = snprintf(t, sizeof(t), "%.*s-%.*s-%.*s", (int)la, a, (int)lb, b,
						 (int)lc, c);
				if (n > 0 && (size_t)n < sizeof(t)) {
					long r = find(tags, t, (size_t)n);
					if (r >= 0 && (best < 0 || r < best))
						best = r;
				}
				c += lc + (c[lc] == '.');
			}
			b += lb + (b[lb] == '.');
		}
		a += la + (a[la] == '.');
	}
	return best;
}

void al_pytags_release(struct al_pytags *tags)
{
	for (size_t k = 0; k < tags->n; k++)
		free(tags->tag[k]);
	free(tags->tag);
	memset(tags, 0, sizeof(*tags));
}
