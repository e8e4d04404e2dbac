/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h: JSON (jansson) and YAML (libfyaml) in and out.
 *
 * YAML is read into the same jansson tree as JSON, so every configuration
 * format has one validation path: mappings become objects, sequences arrays,
 * scalars strings (a plain `~`, `null` or empty scalar becomes JSON null).
 * Duplicate keys and YAML aliases are refused. Nothing here prints: libfyaml's
 * diagnostics are captured into the error message.
 */
#ifndef AL_JSON_H
#define AL_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Parses JSON from memory; *out is a new reference (caller json_decref), and NULL on error.
 * Input that is not JSON is AL_EVERIFY. (jansson's allocations never fail: see json.c.) */
enum al_code al_json_parse(const char *data, size_t n, const char *what, json_t **out,
			   struct al_err *err);
/* Parses one YAML document from memory into a jansson tree: *out is a new reference (caller
 * json_decref), and NULL on error. */
enum al_code al_yaml_parse(const char *data, size_t n, const char *what, json_t **out,
			   struct al_err *err);

/*
 * How deep a tree nests: 0 for a scalar, 1 for an object or array of
 * scalars, one more for each level of objects and arrays inside. jansson
 * accepts 2048 levels and SQLite's JSON functions stop at 2000, so what airlock
 * reads from a bundle is held to AL_JSON_MAX_DEPTH (docs/FORMAT.md).
 */
enum { AL_JSON_MAX_DEPTH = 64 };
size_t al_json_depth(const json_t *j);

enum { AL_JSON_PRETTY = 1 << 0 };
/* Serializes into b (appends), keys in insertion order; PRETTY indents by 2 and adds a newline.
 * On error b may hold part of the text (see buf.h). */
enum al_code al_json_dump(const json_t *j, unsigned flags, struct al_buf *b, struct al_err *err);

/*
 * A JSON string of s that loses nothing: bytes that are not UTF-8 (a file
 * name from a foreign system, a path on the command line) become the four
 * characters \xNN, where json_string() would return NULL and the member
 * would silently go missing. New reference; NULL only when out of memory.
 */
json_t *al_json_text(const char *s);

/* Typed lookups: NULL / -1 when missing or of another type. Borrowed results. */
const char *al_json_str(const json_t *obj, const char *key);
/* An integer member, also accepted as a decimal string (YAML scalars); -1 on error. */
int al_json_int(const json_t *obj, const char *key, int64_t *out);

/* For the allocation-failure replays only: the allocator jansson's allocations come from. */
void al_json_alloc_for_tests(void *(*alloc)(size_t));

#endif
