/* SPDX-License-Identifier: Apache-2.0 */
/* tensors.c: safetensors and GGUF headers, checked (tensors.h). */
#include "tensors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "json.h"

void al_tensors_release(struct al_tensors *t)
{
	json_decref(t->meta);
	memset(t, 0, sizeof(*t));
}

static void AL_PRINTF(2, 3) finding(struct al_tensors *t, const char *fmt, ...)
{
	va_list ap;
	if (!t->ok)
		return; /* the first rule broken is the one reported */
	t->ok = 0;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
}

static enum al_code read_at(int fd, void *buf, size_t n, uint64_t off, struct al_err *err)
{
	ssize_t got = al_pread_full(fd, buf, n, off);
	if (got < 0)
		return al_fail_errno(err, AL_EIO, "cannot read a model file's header");
	if ((size_t)got < n)
		return al_fail(err, AL_EIO, "a model file's header ended early (the file shrank?)");
	return AL_OK;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---------------------------------------------------------------- safetensors */

/* The size in bits of a safetensors dtype; 0 when it is not one. */
static unsigned dtype_bits(const char *d)
{
	static const struct { const char *name; unsigned bits; } t[] = {
		{ "BOOL", 8 },    { "U8", 8 },       { "I8", 8 },       { "F8_E5M2", 8 }, { "F8_E4M3", 8 },
		{ "F8_E8M0", 8 }, { "I16", 16 },     { "U16", 16 },     { "F16", 16 },    { "BF16", 16 },
		{ "I32", 32 },    { "U32", 32 },     { "F32", 32 },     { "F64", 64 },    { "I64", 64 },
		{ "U64", 64 },    { "C64", 64 },     { "F4", 4 },       { "F6_E2M3", 6 }, { "F6_E3M2", 6 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(d, t[i].name))
			return t[i].bits;
	return 0;
}

struct span {
	uint64_t begin, end;
	const char *name;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* One tensor's entry: its span, or a finding. */
static int st_tensor(const char *name, const json_t *v, struct span *s, struct al_tensors *t)
{
	const json_t *shape = json_object_get(v, "shape"), *off = json_object_get(v, "data_offsets"), *dim;
	const char *dtype = al_json_str(v, "dtype");
	unsigned bits = dtype ? dtype_bits(dtype) : 0;
	uint64_t total;
	size_t i;
	if (!json_is_object(v) || !bits || !json_is_array(shape) || !json_is_array(off) || json_array_size(off) != 2 ||
	    !json_is_integer(json_array_get(off, 0)) || !json_is_integer(json_array_get(off, 1)))
		return finding(t, "tensor '%.80s': no known dtype, shape or data_offsets", name), -1;
	total = bits;
	json_array_foreach(shape, i, dim) {
		if (!json_is_integer(dim) || json_integer_value(dim) < 0)
			return finding(t, "tensor '%.80s': a dimension that is not a number >= 0", name), -1;
		if (__builtin_mul_overflow(total, (uint64_t)json_integer_value(dim), &total))
			return finding(t, "tensor '%.80s': its shape overflows", name), -1;
	}
	s->begin = (uint64_t)json_integer_value(json_array_get(off, 0));
	s->end = (uint64_t)json_integer_value(json_array_get(off, 1));
	s->name = name;
	if (json_integer_value(json_array_get(off, 0)) < 0 || s->end < s->begin)
		return finding(t, "tensor '%.80s': data_offsets [%lld, %lld] are not a span", name,
			       (long long)json_integer_value(json_array_get(off, 0)), (long long)s->end), -1;
	if (total % 8 || total / 8 != s->end - s->begin)
		return finding(t, "tensor '%.80s': %s %s holds %llu bytes but data_offsets give %llu", name, dtype,
			       "shape", (unsigned long long)(total / 8), (unsigned long long)(s->end - s->begin)), -1;
	return 0;
}

/* The header's tensors, contiguous from 0 to the end of the data (DATA bytes). */
static enum al_code st_header(const json_t *h, uint64_t data, struct al_tensors *t, struct al_err *err)
{
	struct span *s = calloc(json_object_size(h) + 1, sizeof(*s));
	size_t n = 0;
	const char *k;
	json_t *v;
	if (!s)
		return al_fail(err, AL_ENOMEM, "out of memory");
	json_object_foreach((json_t *)h, k, v) {
		if (!strcmp(k, "__metadata__")) {
			const char *mk;
			json_t *mv;
			if (!json_is_object(v))
				finding(t, "__metadata__ is not an object");
			json_object_foreach(v, mk, mv)
				if (!json_is_string(mv))
					finding(t, "__metadata__ '%.80s' is not a string", mk);
			if (t->ok)
				t->meta = json_incref(v);
			continue;
		}
		if (st_tensor(k, v, &s[n], t))
			break;
		n++;
	}
	qsort(s, n, sizeof(*s), cmp_span);
	for (size_t i = 0; t->ok && i < n; i++)
		if (s[i].begin != (i ? s[i - 1].end : 0))
			finding(t, "tensor '%.80s' starts at %llu, not where the one before it ends (%llu): %s", s[i].name,
				(unsigned long long)s[i].begin, (unsigned long long)(i ? s[i - 1].end : 0),
				i && s[i].begin < s[i - 1].end ? "they overlap" : "a gap");
	if (t->ok && (n ? s[n - 1].end : 0) != data)
		finding(t, "the tensors end at %llu but the file holds %llu bytes of data%s",
			(unsigned long long)(n ? s[n - 1].end : 0), (unsigned long long)data,
			(n ? s[n - 1].end : 0) > data ? ": tensor data runs past the end of the file" : "");
	t->tensors = n;
	free(s);
	return AL_OK;
}

enum al_code al_safetensors_check(int fd, uint64_t size, struct al_tensors *t, struct al_err *err)
{
	unsigned char len[8];
	uint64_t n;
	char *h;
	json_t *j = NULL;
	struct al_err perr = { 0 };
	enum al_code rc;
	memset(t, 0, sizeof(*t));
	t->ok = 1;
	if (size < 8)
		return finding(t, "%llu bytes: shorter than the 8-byte header length", (unsigned long long)size), AL_OK;
	if ((rc = read_at(fd, len, 8, 0, err)))
		return rc;
	n = le64(len);
	if (n > AL_SAFETENSORS_MAX_HEADER || n > size - 8)
		return finding(t, "a header of %llu bytes (the limit is %d, and %llu are left in the file)",
			       (unsigned long long)n, AL_SAFETENSORS_MAX_HEADER, (unsigned long long)(size - 8)),
		       AL_OK;
	if (!(h = malloc(n + 1)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!(rc = read_at(fd, h, n, 8, err))) {
		if (!n || h[0] != '{')
			finding(t, "the header does not start with '{'");
		else if (al_json_parse(h, n, "the safetensors header", &j, &perr) || !json_is_object(j))
			finding(t, "the header is not a JSON object: %.180s", perr.msg);
		else if (al_json_depth(j) > 4)
			finding(t, "the header nests deeper than a tensor's entry");
		else
			rc = st_header(j, size - 8 - n, t, err);
	}
	json_decref(j);
	free(h);
	return rc;
}
