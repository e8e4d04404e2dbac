/* SPDX-License-Identifier: Apache-2.0 */
/*
 * allocfail.c: allocation-failure injection for the replays (the fuzz-allocfail-*
 * tests). Linked with -Wl,--wrap for malloc, calloc, realloc, strdup and strndup,
 * so every allocation the library and the target make (not those inside shared
 * libraries such as jansson or libfyaml, which cannot be wrapped this way) comes
 * through here. Armed with N, the Nth allocation made while the target has it
 * on (FUZZ_ON in fuzz.h, around the call under test) fails (returns NULL,
 * errno ENOMEM) and every other one succeeds; replay.c runs each input
 * with N = 1, 2, … until a run makes fewer than N allocations, so every
 * allocation of every input fails once. A run must then end in an error, never
 * a crash; in a sanitizer build LeakSanitizer fails the test on any leak an
 * error path left.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "allocfail.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static unsigned long fail_at, seen;
static int on;

void al_allocfail_arm(unsigned long n)
{
	fail_at = n;
	seen = 0;
	on = 0;
}

void al_allocfail_on(void)
{
	on = 1;
}

void al_allocfail_off(void)
{
	on = 0;
}

unsigned long al_allocfail_seen(void)
{
	return seen;
}

/* Counts one allocation; 1 when it is the one to fail. */
static int fails(void)
{
	if (!fail_at || !on)
		return 0;
	if (++seen == fail_at) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n)
{
	return fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return fails() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fails() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fails() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fails() ? NULL : __real_strndup(s, n);
}
