/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base.h: differential bundles (docs/FORMAT.md "Differential bundles"). A bundle made with
 * `--base` lists in base.json the blobs it references but does not carry, because the
 * inside already holds them; base.json is covered by SHA256SUMS and so by the signatures.
 * The base is a previous bundle, or an inventory of a store (`airlock store inventory`):
 *
 *   {"airlock_inventory": 1, "created": "RFC 3339", "blobs": [{"digest": "sha256:…", "size": N}, …]}
 *
 *   base.json: {"airlock_base": 1, "base": "what it was made against",
 *               "blobs": [{"digest": "sha256:…", "size": N}, …]}
 */
#ifndef AL_BASE_H
#define AL_BASE_H

#include <jansson.h>
#include <stdint.h>

#include "bundle.h"

#define AL_BASE_FILE "base.json"

struct al_base_blob {
	char digest[AL_DIGEST_STR];
	uint64_t size;
};
struct al_base {
	struct al_base_blob *v; /* sorted by digest, distinct */
	size_t n;
	char *about;
};
void al_base_release(struct al_base *b);

/* The blobs of a previous bundle (verified first: AL_EVERIFY naming it when it does not) or
 * of an inventory file (taken as it is: see al_base_from_inventory for a signed one). */
enum al_code al_base_load(const char *path, struct al_base *b, struct al_err *err);
/* Is PATH an inventory (a regular file whose first byte that is not white space is '{';
 * a tar never is) rather than a bundle? */
int al_base_is_inventory(const char *path);
/* The blobs of an inventory from its bytes TEXT (read once by the caller, who may have
 * checked their signature: SIGNER names who signed them, or NULL). PATH names it. */
enum al_code al_base_from_inventory(const char *text, size_t n, const char *path, const char *signer,
				    struct al_base *b, struct al_err *err);
/*
 * The "blobs" list of an inventory or of base.json, WHAT naming it in messages: every
 * entry a valid digest and a size, no digest twice. NULL, or what is wrong.
 */
const char *al_base_parse_blobs(const json_t *blobs, struct al_base *b);
/* Is DIGEST, of SIZE bytes, in the base? */
int al_base_has(const struct al_base *b, const char *digest, uint64_t size);
/* The base.json document for the blobs V[0..n) taken from B. New reference. */
json_t *al_base_doc(const struct al_base *b, const struct al_base_blob *v, size_t n);

struct al_layout;
/*
 * Takes from the layout L every blob that B holds (same digest and size), but never a
 * manifest or an index: removes its file, lists it in base.json, and leaves it out of the
 * files SHA256SUMS will list. *omitted and *bytes count what was left out.
 */
enum al_code al_layout_apply_base(struct al_layout *l, const struct al_base *b, size_t *omitted, uint64_t *bytes,
				  struct al_err *err);

#endif
