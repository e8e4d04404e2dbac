/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pypi.h: the PyPI simple index pages (PEP 503 HTML, PEP 691 JSON, with
 * PEP 658/714 metadata), written into the catalog's pypi_pages table at
 * import so that `airlock serve` only ever reads them.
 */
#ifndef AL_PYPI_H
#define AL_PYPI_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Rewrites every page from the wheels the catalog holds (inside the caller's transaction,
 * which the caller rolls back on error: the pages are then as they were). DB borrowed. */
enum al_code al_pypi_rebuild(sqlite3 *db, struct al_err *err);

/* Where al_pypi_build hands each page: PROJECT ("" for the root index), its HTML (HLEN
 * bytes) and JSON; all borrowed for the call. */
typedef enum al_code al_pypi_sink(void *ctx, const char *project, const char *html, size_t hlen, const char *json,
				  struct al_err *err);
/* Builds every page from the wheels of RELEASE (a release id; <= 0: every wheel the
 * catalog holds) into FN, inside the caller's read or write transaction. */
enum al_code al_pypi_build(sqlite3 *db, int64_t release, al_pypi_sink *fn, void *ctx, struct al_err *err);

#endif
