/* SPDX-License-Identifier: Apache-2.0 */
/* scan_internal.h: what the parts of the scan share (scan.c, scan_model.c, scan_code.c, scan_policy.c). */
#ifndef AL_SCAN_INTERNAL_H
#define AL_SCAN_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "scan.h"

/* DIR/blobs/sha256/HEX for DIGEST ("sha256:HEX"): fresh, NULL on ENOMEM. */
char *al_scan_blob_path(const char *dir, const char *digest);
/* Reads the JSON file at PATH (at most MAX bytes). */
enum al_code al_scan_read_json(const char *path, size_t max, const char *what, json_t **out, struct al_err *err);
/* Appends ITEM (a new reference, NULL when it could not be built) to LIST: AL_ENOMEM on failure. */
enum al_code al_scan_add(json_t *list, json_t *item, struct al_err *err);
/* One licence entry of ARTIFACT, judged by the policy's lists: LICENSE NULL when none is stated
 * (SOURCE then says why), FILE where it was read (or NULL). */
enum al_code al_scan_license(json_t *licenses, const struct al_scan_policy *p, const char *artifact,
			     const char *license, const char *source, const char *file, struct al_err *err);

#endif
