/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.c: the capped growable buffer. Sizes are overflow-checked; a buffer
 * never grows past its declared maximum; its first failure is sticky.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void al_buf_init(struct al_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->rc = AL_OK;
}

void al_buf_release(struct al_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->rc = AL_OK;
}

void al_buf_reset(struct al_buf *b)
{
	b->len = 0;
	b->rc = AL_OK;
	if (b->data)
		b->data[0] = '\0';
}

enum al_code al_buf_grow(struct al_buf *b, size_t n, struct al_err *err)
{
	size_t need, cap;
	char *p;
	if (b->rc)
		return al_buf_check(b, err);
	if (n > b->max || b->len > b->max - n) {
		b->rc = AL_ELIMIT;
		return al_buf_check(b, err);
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return AL_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > (SIZE_MAX / 2) ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (!p) {
		b->rc = AL_ENOMEM;
		return al_buf_check(b, err);
	}
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return AL_OK;
}

enum al_code al_buf_add(struct al_buf *b, const void *p, size_t n, struct al_err *err)
{
	enum al_code rc = al_buf_grow(b, n, err);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return AL_OK;
}

enum al_code al_buf_adds(struct al_buf *b, const char *s, struct al_err *err)
{
	return al_buf_add(b, s, strlen(s), err);
}

enum al_code al_buf_addf(struct al_buf *b, struct al_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum al_code rc;
	if (b->rc)
		return al_buf_check(b, err);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->rc = AL_EINVAL;
		return al_buf_check(b, err);
	}
	rc = al_buf_grow(b, (size_t)n, err);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return AL_OK;
}

enum al_code al_buf_check(const struct al_buf *b, struct al_err *err)
{
	switch (b->rc) {
	case AL_OK:
		return AL_OK;
	case AL_ELIMIT:
		return al_fail(err, AL_ELIMIT, "data exceeds its limit of %zu bytes", b->max);
	case AL_ENOMEM:
		return al_fail(err, AL_ENOMEM, "out of memory growing a buffer past %zu bytes", b->len);
	default:
		return al_fail(err, b->rc, "a buffer could not be built (bad format)");
	}
}

char *al_buf_take(struct al_buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	if (!p) {
		p = calloc(1, 1);
		if (len)
			*len = 0;
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

enum al_code al_array_grow(void *pv, size_t *cap, size_t need, size_t elem, struct al_err *err)
{
	void **v = pv, *p;
	size_t n = *cap ? *cap : 16;
	if (need <= *cap)
		return AL_OK;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return al_fail(err, AL_ELIMIT, "too many entries");
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		return al_fail(err, AL_ELIMIT, "too many entries");
	p = realloc(*v, n * elem);
	if (!p)
		return al_fail(err, AL_ENOMEM, "out of memory");
	*v = p;
	*cap = n;
	return AL_OK;
}

enum al_code al_buf_add_html(struct al_buf *b, const char *s, struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (; *s && !rc; s++) {
		switch (*s) {
		case '&': rc = al_buf_adds(b, "&amp;", err); break;
		case '<': rc = al_buf_adds(b, "&lt;", err); break;
		case '>': rc = al_buf_adds(b, "&gt;", err); break;
		case '"': rc = al_buf_adds(b, "&quot;", err); break;
		case '\'': rc = al_buf_adds(b, "&#39;", err); break;
		default: rc = al_buf_add(b, s, 1, err);
		}
	}
	return rc;
}

enum al_code al_buf_add_url(struct al_buf *b, const char *s, const char *safe, struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p) || strchr(safe, *p))
			rc = al_buf_add(b, p, 1, err);
		else
			rc = al_buf_addf(b, err, "%%%02X", *p);
	}
	return rc;
}
