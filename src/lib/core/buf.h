/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h: the one growable byte buffer, always with a maximum size.
 *
 * Invariants: `data` is NULL or holds `len` bytes followed by a NUL (so text
 * can be used as a C string); len < cap <= max + 1. Growing past `max` fails
 * with AL_ELIMIT and leaves the buffer unchanged. The buffer owns `data`.
 *
 * Errors are sticky: the first failure (AL_ELIMIT, AL_ENOMEM) is kept in
 * `rc`, and every later add does nothing and returns it. So a builder may
 * pass a NULL error to its adds and check once, with al_buf_check(), before
 * the bytes are used: a buffer that failed is never mistaken for a whole one.
 * Whoever uses a buffer's bytes must have checked it (or every add) first.
 *
 * Ownership: the caller owns a buffer it passes in, always. A function that
 * appends to a caller's buffer may, when it fails, leave part of its output in
 * it; the caller releases the buffer as usual (al_buf_release) and never uses
 * those bytes. No function hands a buffer's memory elsewhere except
 * al_buf_take.
 */
#ifndef AL_BUF_H
#define AL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct al_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	enum al_code rc;      /* the first failure, sticky; AL_OK while whole */
};

/* Caps used across the library. */
enum {
	AL_MAX_MANIFEST = 4u << 20,   /* one OCI manifest or index, airlock.json */
	AL_MAX_SUMS = 64u << 20,      /* SHA256SUMS */
	AL_MAX_SPEC = 1u << 20,       /* airlock.yaml */
	AL_MAX_METADATA = 1u << 20,   /* a wheel's METADATA */
	AL_MAX_SMALL = 64u << 20,     /* index.json, sbom.cdx.json */
};

void al_buf_init(struct al_buf *b, size_t max);
/* Frees the bytes, keeps the struct usable (empty, same max, no failure). */
void al_buf_release(struct al_buf *b);
/* AL_OK, or the buffer's first failure reported into err (what and which limit). */
enum al_code al_buf_check(const struct al_buf *b, struct al_err *err);
/* Makes room for `n` more bytes. */
enum al_code al_buf_grow(struct al_buf *b, size_t n, struct al_err *err);
enum al_code al_buf_add(struct al_buf *b, const void *p, size_t n, struct al_err *err);
enum al_code al_buf_adds(struct al_buf *b, const char *s, struct al_err *err);
enum al_code al_buf_addf(struct al_buf *b, struct al_err *err, const char *fmt, ...) AL_PRINTF(3, 4);
/* S with & < > " ' as HTML entities. */
enum al_code al_buf_add_html(struct al_buf *b, const char *s, struct al_err *err);
/* S percent-encoded (RFC 3986): unreserved characters and those in SAFE stay as they are. */
enum al_code al_buf_add_url(struct al_buf *b, const char *s, const char *safe, struct al_err *err);
/* Hands the bytes out (caller frees with free()); the buffer becomes empty.
 * The bytes of a failed buffer are partial: check it first. */
char *al_buf_take(struct al_buf *b, size_t *len);

/*
 * Grows a caller's array (*pv, of *cap elements of elem bytes) so it holds at
 * least `need` elements, doubling; overflow-checked. On failure nothing changes.
 */
enum al_code al_array_grow(void *pv, size_t *cap, size_t need, size_t elem, struct al_err *err);
/* Empties the buffer (keeps its memory) and clears its failure. */
void al_buf_reset(struct al_buf *b);

#endif
