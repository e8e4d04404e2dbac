/* SPDX-License-Identifier: Apache-2.0 */
/* util.c: grammar checks, escaping and a stable sort for the serve modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "hf.h"
#include "sv_internal.h"

static int lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int sv_oci_name_valid(const char *name)
{
	/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)* */
	const char *p = name;
	if (!*p || strlen(name) > 255)
		return 0;
	for (;;) {
		if (!lower_alnum(*p))
			return 0;
		while (lower_alnum(*p))
			p++;
		if (!*p)
			return 1;
		if (*p == '/') {
			p++;
			continue;
		}
		if (*p == '.')
			p++;
		else if (*p == '_')
			p += p[1] == '_' ? 2 : 1;
		else if (*p == '-')
			while (*p == '-')
				p++;
		else
			return 0;
	}
}

int sv_oci_tag_valid(const char *tag)
{
	size_t n = strlen(tag);
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = tag[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			 (i > 0 && (c == '.' || c == '-'));
		if (!ok)
			return 0;
	}
	return 1;
}

/* The one rule for Hub repository ids, shared with the fetch client (src/lib/fetch/hf.c). */
int sv_hf_repo_valid(const char *repo)
{
	return al_hf_repo_valid(repo);
}

enum al_code sv_json_str(struct al_buf *b, const char *s, struct al_err *err)
{
	/* bytes that are not UTF-8 (a request path may hold any) are escaped one by one as
	 * U+0080..U+00FF, so the output is always JSON */
	int utf8 = !al_utf8_bad(s, strlen(s));
	enum al_code rc = al_buf_add(b, "\"", 1, err);
	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			rc = al_buf_add(b, e, 2, err);
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
			rc = al_buf_addf(b, err, "\\u%04x", c);
		} else {
			rc = al_buf_add(b, s, 1, err);
		}
	}
	return rc ? rc : al_buf_add(b, "\"", 1, err);
}

static void merge(char *a, char *tmp, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	size_t half = n / 2, i = 0, j = half, k = 0;
	if (n < 2)
		return;
	merge(a, tmp, half, size, cmp);
	merge(a + half * size, tmp, n - half, size, cmp);
	while (i < half && j < n) {
		if (cmp(a + j * size, a + i * size) < 0)
			memcpy(tmp + k++ * size, a + j++ * size, size);
		else
			memcpy(tmp + k++ * size, a + i++ * size, size);
	}
	while (i < half)
		memcpy(tmp + k++ * size, a + i++ * size, size);
	while (j < n)
		memcpy(tmp + k++ * size, a + j++ * size, size);
	memcpy(a, tmp, n * size);
}

void sv_sort_stable(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *tmp;
	if (n < 2)
		return;
	tmp = malloc(n * size);
	if (!tmp) {
		/* insertion sort: stable, no memory */
		char *a = base, t[256];
		if (size > sizeof(t))
			AL_BUG("element too large for the fallback sort");
		for (size_t i = 1; i < n; i++) {
			size_t j = i;
			memcpy(t, a + i * size, size);
			while (j > 0 && cmp(a + (j - 1) * size, t) > 0) {
				memcpy(a + j * size, a + (j - 1) * size, size);
				j--;
			}
			memcpy(a + j * size, t, size);
		}
		return;
	}
	merge(base, tmp, n, size, cmp);
	free(tmp);
}
