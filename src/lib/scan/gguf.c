/* SPDX-License-Identifier: Apache-2.0 */
/* gguf.c: a GGUF file's header, checked (tensors.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensors.h"

/* A buffered little-endian reader over the file, bounded by its size. */
struct rd {
	int fd;
	uint64_t size, pos;          /* the file's size; the next byte to read */
	unsigned char buf[1 << 16];
	uint64_t boff;               /* the file offset of buf[0] */
	size_t blen;
	struct al_tensors *t;
	struct al_err *err;
	enum al_code rc;             /* an error of reading (sticky) */
};

static void AL_PRINTF(2, 3) gfinding(struct rd *r, const char *fmt, ...)
{
	va_list ap;
	if (!r->t->ok)
		return;
	r->t->ok = 0;
	va_start(ap, fmt);
	vsnprintf(r->t->why, sizeof(r->t->why), fmt, ap);
	va_end(ap);
}

/* 1 while nothing has gone wrong. */
static int good(const struct rd *r) { return !r->rc && r->t->ok; }

/* Copies N bytes at the reader's position into OUT (NULL: skips them); 0 or -1. */
static int take(struct rd *r, void *out, uint64_t n, const char *what)
{
	if (!good(r))
		return -1;
	if (n > r->size - r->pos) {
		gfinding(r, "%s at offset %llu runs past the end of the file", what, (unsigned long long)r->pos);
		return -1;
	}
	while (n) {
		size_t have, k;
		if (r->pos < r->boff || r->pos >= r->boff + r->blen) {
			ssize_t got;
			do
				got = pread(r->fd, r->buf, sizeof(r->buf), (off_t)r->pos);
			while (got < 0 && errno == EINTR);
			if (got <= 0) {
				r->rc = got < 0 ? al_fail_errno(r->err, AL_EIO, "cannot read a GGUF header")
						: al_fail(r->err, AL_EIO, "a GGUF header ended early (the file shrank?)");
				return -1;
			}
			r->boff = r->pos;
			r->blen = (size_t)got;
		}
		have = r->blen - (size_t)(r->pos - r->boff);
		k = n < have ? (size_t)n : have;
		if (out) {
			memcpy(out, r->buf + (r->pos - r->boff), k);
			out = (char *)out + k;
		}
		r->pos += k;
		n -= k;
	}
	return 0;
}

static uint64_t u64(struct rd *r, const char *what)
{
	unsigned char b[8] = { 0 };
	uint64_t v = 0;
	take(r, b, 8, what);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint32_t u32(struct rd *r, const char *what)
{
	unsigned char b[4] = { 0 };
	take(r, b, 4, what);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A gguf_string of at most MAX bytes: into out (NUL-terminated, cap bytes) when given, else skipped. */
static int gstring(struct rd *r, char *out, size_t cap, uint64_t max, const char *what)
{
	uint64_t n = u64(r, what);
	if (!good(r))
		return -1;
	if (n > max) {
		gfinding(r, "%s at offset %llu is %llu bytes long (at most %llu)", what, (unsigned long long)(r->pos - 8),
			 (unsigned long long)n, (unsigned long long)max);
		return -1;
	}
	if (out && n < cap) {
		if (take(r, out, n, what))
			return -1;
		out[n] = 0;
		return 0;
	}
	if (out)
		out[0] = 0;
	return take(r, NULL, n, what);
}

enum { GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL, GT_STRING, GT_ARRAY, GT_U64, GT_I64, GT_F64 };
static const unsigned gsize[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

/* Skips (or keeps, for the few keys airlock reads) one value of TYPE; DEPTH bounds nested arrays. */
static int gvalue(struct rd *r, uint32_t type, const char *key, int depth)
{
	if (type > GT_F64) {
		gfinding(r, "key '%.80s': unknown value type %u", key, type);
		return -1;
	}
	if (type == GT_BOOL) {
		unsigned char b = 0;
		if (!take(r, &b, 1, "a bool") && b > 1)
			gfinding(r, "key '%.80s': a bool that is %u", key, b);
	} else if (type == GT_STRING) {
		char val[512];
		if (!gstring(r, val, sizeof(val), r->size, "a string value") && !strncmp(key, "general.", 8) &&
		    r->t->meta)
			json_object_set_new(r->t->meta, key, json_string(val));
	} else if (type == GT_ARRAY) {
		uint32_t et = u32(r, "an array's type");
		uint64_t n = u64(r, "an array's length");
		if (!good(r) || depth > 4 || et > GT_F64)
			return gfinding(r, "key '%.80s': an array of type %u nested %d deep", key, et, depth), -1;
		if (et != GT_STRING && et != GT_ARRAY)
			return n > (r->size - r->pos) / gsize[et]
				       ? (gfinding(r, "key '%.80s': an array of %llu items runs past the end of the file",
						   key, (unsigned long long)n), -1)
				       : take(r, NULL, n * gsize[et], "an array");
		for (uint64_t i = 0; i < n && good(r); i++)
			gvalue(r, et, "", depth + 1);
	} else {
		if (!strcmp(key, "general.alignment") && type == GT_U32) {
			uint32_t a = u32(r, "general.alignment");
			if (good(r) && (!a || a % 8))
				gfinding(r, "general.alignment is %u, not a non-zero multiple of 8", a);
			if (good(r) && r->t->meta)
				json_object_set_new(r->t->meta, key, json_integer(a));
			return good(r) ? 0 : -1;
		}
		take(r, NULL, gsize[type], "a value");
	}
	return good(r) ? 0 : -1;
}

/* ggml's block size and bytes per block for each tensor type it defines (0: none). */
static const struct { unsigned blck, bytes; } ggml[] = {
	[0] = { 1, 4 },     [1] = { 1, 2 },     [2] = { 32, 18 },   [3] = { 32, 20 },   [6] = { 32, 22 },
	[7] = { 32, 24 },   [8] = { 32, 34 },   [9] = { 32, 36 },   [10] = { 256, 84 }, [11] = { 256, 110 },
	[12] = { 256, 144 }, [13] = { 256, 176 }, [14] = { 256, 210 }, [15] = { 256, 292 }, [16] = { 256, 66 },
	[17] = { 256, 74 }, [18] = { 256, 98 }, [19] = { 256, 50 }, [20] = { 32, 18 },  [21] = { 256, 110 },
	[22] = { 256, 82 }, [23] = { 256, 136 }, [24] = { 1, 1 },   [25] = { 1, 2 },    [26] = { 1, 4 },
	[27] = { 1, 8 },    [28] = { 1, 8 },    [29] = { 256, 56 }, [30] = { 1, 2 },    [34] = { 256, 54 },
	[35] = { 256, 66 }, [39] = { 32, 17 },
};
enum { NGGML = sizeof(ggml) / sizeof(ggml[0]) };

struct gspan {
	uint64_t off, bytes;
	char name[65];
};

static int cmp_gspan(const void *a, const void *b)
{
	const struct gspan *x = a, *y = b;
	return (x->off > y->off) - (x->off < y->off);
}

/* One tensor info into S. */
static int gtensor(struct rd *r, struct gspan *s, uint64_t align)
{
	uint32_t nd, type;
	uint64_t ne = 1;
	uint64_t d0 = 0;
	if (gstring(r, s->name, sizeof(s->name), 64, "a tensor name"))
		return -1;
	nd = u32(r, "a tensor's dimension count");
	if (good(r) && (nd < 1 || nd > 4))
		return gfinding(r, "tensor '%s': %u dimensions (1 to 4)", s->name, nd), -1;
	for (uint32_t i = 0; i < nd && good(r); i++) {
		uint64_t d = u64(r, "a tensor dimension");
		if (!i)
			d0 = d;
		if (__builtin_mul_overflow(ne, d, &ne) || ne > ((uint64_t)1 << 62))
			return gfinding(r, "tensor '%s': its dimensions overflow", s->name), -1;
	}
	type = u32(r, "a tensor type");
	s->off = u64(r, "a tensor offset");
	if (!good(r))
		return -1;
	if (type >= NGGML || !ggml[type].blck)
		return gfinding(r, "tensor '%s': unknown ggml type %u", s->name, type), -1;
	if (d0 % ggml[type].blck)
		return gfinding(r, "tensor '%s': its first dimension %llu is not a multiple of its type's block %u",
				s->name, (unsigned long long)d0, ggml[type].blck), -1;
	if (s->off % align)
		return gfinding(r, "tensor '%s': offset %llu is not aligned to %llu", s->name,
				(unsigned long long)s->off, (unsigned long long)align), -1;
	s->bytes = ne / ggml[type].blck * ggml[type].bytes; /* (ne < 2^62, blck >= 1, bytes <= 292: no overflow
								  once divided by a block of 32 or more; 8 bytes at most for blck 1) */
	return 0;
}

/* The tensor infos, then every tensor's data inside the file and none overlapping. */
static enum al_code gtensors(struct rd *r, uint64_t n, uint64_t align)
{
	struct gspan *s;
	uint64_t data;
	if (n > (r->size - r->pos) / 32) /* (a tensor info is at least 32 bytes) */
		return gfinding(r, "%llu tensors cannot fit in the file", (unsigned long long)n), AL_OK;
	if (!(s = calloc(n + 1, sizeof(*s))))
		return al_fail(r->err, AL_ENOMEM, "out of memory");
	for (uint64_t i = 0; i < n && good(r); i++)
		gtensor(r, &s[i], align);
	data = (r->pos + align - 1) / align * align;
	if (good(r))
		qsort(s, n, sizeof(*s), cmp_gspan);
	for (uint64_t i = 0; good(r) && i < n; i++) {
		if (i && s[i].off < s[i - 1].off + s[i - 1].bytes)
			gfinding(r, "tensors '%s' and '%s' overlap", s[i - 1].name, s[i].name);
		else if (s[i].off > r->size || s[i].bytes > r->size - s[i].off || data > r->size - s[i].off - s[i].bytes)
			gfinding(r, "tensor '%s' (%llu bytes at %llu): tensor data runs past the end of the file", s[i].name,
				 (unsigned long long)s[i].bytes, (unsigned long long)(data + s[i].off));
	}
	r->t->tensors = n;
	free(s);
	return r->rc;
}

enum al_code al_gguf_check(int fd, uint64_t size, struct al_tensors *t, struct al_err *err)
{
	struct rd *r = calloc(1, sizeof(*r));
	char magic[4] = { 0 }, key[256];
	uint32_t version;
	uint64_t ntensors, nkv, align = 32;
	enum al_code rc;
	memset(t, 0, sizeof(*t));
	t->ok = 1;
	if (!r || !(t->meta = json_object())) {
		free(r);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	*r = (struct rd){ .fd = fd, .size = size, .t = t, .err = err };
	take(r, magic, 4, "the magic");
	version = u32(r, "the version");
	ntensors = u64(r, "the tensor count");
	nkv = u64(r, "the key count");
	if (good(r) && memcmp(magic, "GGUF", 4))
		gfinding(r, "no GGUF magic");
	else if (good(r) && version != 2 && version != 3)
		gfinding(r, "GGUF version %u (airlock reads 2 and 3)", version);
	else if (good(r) && nkv > (size - r->pos) / 13) /* (a key/value is at least 13 bytes) */
		gfinding(r, "%llu keys cannot fit in the file", (unsigned long long)nkv);
	for (uint64_t i = 0; i < nkv && good(r); i++) {
		uint32_t type;
		if (gstring(r, key, sizeof(key), 65535, "a key"))
			break;
		type = u32(r, "a value type");
		if (good(r) && !strcmp(key, "tokenizer.chat_template"))
			json_object_set_new(t->meta, "tokenizer.chat_template", json_true());
		gvalue(r, type, key, 0);
	}
	if (json_is_integer(json_object_get(t->meta, "general.alignment")))
		align = (uint64_t)json_integer_value(json_object_get(t->meta, "general.alignment"));
	if (good(r))
		gtensors(r, ntensors, align);
	rc = r->rc;
	free(r);
	return rc;
}
