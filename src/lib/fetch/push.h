/* SPDX-License-Identifier: Apache-2.0 */
/*
 * push.h: `airlock push` (docs/cmd/push.md, docs/protocols/oci-registry-client.md
 * "Pushing"): the store's artifacts copied into an existing OCI distribution registry,
 * each as the store holds it, so every digest stays what the bundle signed.
 *
 * Invariants:
 * - a blob the registry already holds is never sent again (HEAD first, in this run and
 *   across runs); one this run put in another repository is mounted, not sent;
 * - manifests go last: a child manifest after its blobs, an index after its children, a
 *   tag only once everything under it is there;
 * - a manifest is sent only after its bytes hashed to the digest the catalog names, and the
 *   registry must answer that same digest;
 * - requests go only to the registry named (an upload's Location on another server is
 *   refused), and a password or token never appears in a message.
 */
#ifndef AL_PUSH_H
#define AL_PUSH_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "fetch.h"

struct al_push_opts {
	const char *dest;               /* "oci://HOST[:PORT][/NAMESPACE]" (borrowed) */
	const char *store;              /* the store's root: blobs in STORE/blobs/sha256/ (borrowed) */
	char *const *patterns;          /* fnmatch(3) patterns, NULL-terminated: an artifact is pushed when one
					   matches its name or KIND/NAME; NULL: every artifact (borrowed) */
	uint64_t chunk;                 /* blobs larger than this go in PATCH chunks of this size; 0: one PUT */
};

/*
 * Pushes the artifacts of `contents` (al_store_contents) that po->patterns select to
 * po->dest, with the credentials of o->registry_auth. *result (new reference) is
 * {"registry", "namespace", "artifacts": [{kind, name, upstream, repository, reference
 * (REGISTRY/REPO@DIGEST), tag (REGISTRY/REPO:TAG or null), digest, blobs: {sent, present,
 * mounted}, bytesSent, manifests: {sent, present}}], "blobs": {…}, "bytesSent",
 * "manifests": {…}}; on error it is NULL. A pattern that selects nothing is AL_ENOENT.
 */
enum al_code al_registry_push(const struct al_fetch_opts *o, const struct al_push_opts *po, const json_t *contents,
			      json_t **result, struct al_err *err);

/*
 * Where an artifact goes under namespace ns (may be ""): images at NAME (their tag, if
 * any, kept); models at models/NAME (tagged with the revision, else "latest"), wheels at
 * wheels/PROJECT (tagged with the file name's version and tags), files at files/NAME and
 * vulndb at vulndb/NAME ("latest"); lower-cased, other characters as '-'. *repo and *tag
 * are fresh (*tag may be NULL: an image pulled by digest). AL_EINVAL when no valid name
 * results. Pure: exposed for tests.
 */
enum al_code al_push_target(const char *ns, const char *kind, const char *name, const char *revision,
			    const char *filename, char **repo, char **tag, struct al_err *err);

#endif
