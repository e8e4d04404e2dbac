/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wheel.h: what a Python wheel says about itself: its file name (PEP 427)
 * and its core metadata (`*.dist-info/METADATA`, read from inside the zip,
 * never extracted to disk).
 */
#ifndef AL_WHEEL_H
#define AL_WHEEL_H

#include <stddef.h>

#include "err.h"

struct al_wheel {
	char *filename;        /* base name, e.g. pip-23.0.1-py3-none-any.whl */
	char *name;            /* Name: from METADATA, as written */
	char *normalized;      /* PEP 503 normalized name */
	char *version;         /* Version: from METADATA */
	char *requires_python; /* Requires-Python:, or NULL */
	char *metadata;        /* the METADATA file's bytes */
	size_t metadata_len;
};

/* PEP 503: lower-case, runs of '-', '_' and '.' become one '-'. A fresh string (caller
 * frees), or NULL when out of memory. */
char *al_pep503_normalize(const char *name, size_t n);
/* Reads and checks a wheel: the file name parses and agrees with METADATA. On success the
 * caller releases *w with al_wheel_release; on error *w is zeroed and holds nothing. */
enum al_code al_wheel_read(const char *path, struct al_wheel *w, struct al_err *err);
/* The same for a wheel stored under another name (a download cache entry): `filename` is
 * the wheel's own file name, which must parse and agree with METADATA. */
enum al_code al_wheel_read_as(const char *path, const char *filename, struct al_wheel *w, struct al_err *err);
/*
 * Finds a header's value in an RFC 822 style metadata block: *out is a fresh
 * string (caller frees), or NULL when the header is absent. Running out of
 * memory is AL_ENOMEM, never read as "absent"; *out is NULL on error.
 */
enum al_code al_metadata_header(const char *meta, size_t n, const char *key, char **out, struct al_err *err);
void al_wheel_release(struct al_wheel *w);

#endif
