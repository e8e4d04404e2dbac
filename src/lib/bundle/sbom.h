/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sbom.h: the bundle's CycloneDX 1.6 document (sbom.cdx.json): one component
 * per artifact with a purl and its SHA-256; models as machine-learning-model.
 */
#ifndef AL_SBOM_H
#define AL_SBOM_H

#include <jansson.h>

#include "bundle.h"

/* Builds the document; *out is a new reference (caller json_decref), untouched on error. */
enum al_code al_sbom_build(const char *name, int64_t version, int64_t created,
			   const struct al_artifact *arts, size_t n, json_t **out, struct al_err *err);
/* The purl of an artifact: a fresh string (caller frees), or NULL on ENOMEM. */
char *al_purl(const struct al_artifact *a);

#endif
