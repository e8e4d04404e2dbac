/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trust.h: the trust policy (trust.yaml, docs/FORMAT.md "The trust policy")
 * and its evaluation against a bundle's signatures: roles with keys and a
 * k-of-n threshold counted by distinct key, the roles a bundle must carry,
 * a maximum age; plus expiry. Signatures cover SHA256SUMS; their trusted
 * comments must name the bundle, version and role they were made for.
 */
#ifndef AL_TRUST_H
#define AL_TRUST_H

#include <jansson.h>
#include <stdint.h>

#include "bundle.h"
#include "minisign.h"

struct al_trust_role {
	char *name;
	unsigned threshold;
	struct al_pubkey *keys;
	int64_t *expires;        /* per key: from when (Unix time) its signatures no longer count; 0: never */
	size_t nkeys;
};

struct al_trust {
	struct al_trust_role *roles;
	size_t nroles;
	char **require;          /* role names every bundle must satisfy */
	size_t nrequire;
	int64_t max_age;         /* seconds since creation a bundle stays acceptable; 0: no limit */
	struct al_pubkey *custody; /* keys allowed to sign custody records (custody_keys), or NULL: any */
	size_t ncustody;
	int allow_legacy;        /* accept legacy "Ed" signatures */
	int distinct_roles;      /* distinct_roles: one key may not count for two roles of a bundle */
	char *custody_last;      /* custody: {require_last}: the event the custody chain must end with, or NULL */
	char *scan_require;      /* scan: {require}: "pass" or "review", the worst verdict an attached
				    scan.json may have; NULL: no scan required */
};

/* Whether key K of role R has expired at NOW. */
int al_trust_key_expired(const struct al_trust_role *r, size_t k, int64_t now);

/* Role names: [a-z0-9][a-z0-9_-]{0,31}. NULL if fine, else what is wrong. */
const char *al_role_bad(const char *role);

/* Parses a policy; key entries are base64 public keys or paths (relative to base) of .pub files.
 * t is zeroed first; on success the caller releases it with al_trust_release, on error it
 * holds nothing. al_trust_load is the same for a file. */
enum al_code al_trust_parse(const char *data, size_t n, const char *what, const char *base,
			    struct al_trust *t, struct al_err *err);
enum al_code al_trust_load(const char *path, struct al_trust *t, struct al_err *err);
/* The policy as self-contained YAML (keys inline), for the store to keep; appended to out,
 * which on error may hold part of it (see buf.h). */
enum al_code al_trust_format(const struct al_trust *t, struct al_buf *out, struct al_err *err);
void al_trust_release(struct al_trust *t);

/* "airlock bundle=NAME version=N role=ROLE expires=TIME": what sign writes and verify expects. */
enum al_code al_trusted_comment(const struct al_bundle_info *info, const char *role, char *out,
				size_t outlen, struct al_err *err);

/*
 * Checks every signatures/ file of a checked view against the policy, then
 * the thresholds (and, with distinct_roles, that no key counts for two roles),
 * expiry and maximum age at time now, and, when the policy
 * has custody_last, that the view's custody.log is an intact chain (with the
 * policy's custody_keys) ending with that event. Problems go to rep;
 * *summary (new reference, caller json_decref) tells which roles are satisfied
 * by which keys; it is NULL on error.
 */
enum al_code al_trust_check(struct al_bview *v, const struct al_bundle_info *info,
			    const struct al_trust *t, int64_t now, struct al_report *rep, json_t **summary,
			    struct al_err *err);

#endif
