/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit.h: small helpers shared by the cmocka unit tests: a scratch directory
 * per test, writing and reading whole files, and a substring assertion.
 *
 * Include after <cmocka.h>. Helpers abort the test (fail_msg) on any
 * operational error, so a test never runs on against a half-built fixture.
 * Nothing here may use the library under test to build a fixture that a
 * test then checks the library against.
 */
#ifndef AL_UNIT_H
#define AL_UNIT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"

#define assert_contains(hay, needle)                                                          \
	do {                                                                                  \
		const char *h_ = (hay), *n_ = (needle);                                       \
		if (!h_ || !strstr(h_, n_))                                                   \
			fail_msg("expected \"%s\" to contain \"%s\"", h_ ? h_ : "(null)", n_); \
	} while (0)

/* A fresh scratch directory (caller frees the string; remove it with al_rmtree). */
static inline char *unit_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = NULL;
	if (asprintf(&p, "%s/airlock-unit-XXXXXX", base && *base ? base : "/tmp") < 0)
		fail_msg("out of memory");
	if (!mkdtemp(p))
		fail_msg("mkdtemp: %s", strerror(errno));
	return p;
}

/* dir + "/" + name, fresh. */
static inline char *unit_path(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	return p;
}

static inline void unit_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot create '%s': %s", path, strerror(errno));
	if (n && fwrite(data, 1, n, f) != n)
		fail_msg("cannot write '%s'", path);
	if (fclose(f) != 0)
		fail_msg("cannot close '%s'", path);
}

static inline void unit_write_str(const char *path, const char *s)
{
	unit_write(path, s, strlen(s));
}

/* The whole file, NUL-terminated (caller frees); *n gets its length. */
static inline char *unit_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t len = 0, cap = 0;
	if (!f)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		size_t got;
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			p = realloc(p, cap);
			if (!p)
				fail_msg("out of memory");
		}
		got = fread(p + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	p[len] = '\0';
	if (n)
		*n = len;
	return p;
}

/* A cmocka fixture: *state is a struct tmp whose dir is a fresh scratch directory, removed after. */
struct tmp {
	char *dir;
};

static inline int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	t->dir = unit_tmpdir();
	*state = t;
	return 0;
}

static inline int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	int rc = al_rmtree(t->dir, NULL) == AL_OK ? 0 : -1;
	free(t->dir);
	free(t);
	return rc;
}

static inline int unit_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

#endif
