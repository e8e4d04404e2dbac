/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.h: pulling an image from an OCI distribution registry for a
 * `from: docker://…` source (docs/FORMAT.md §1 "Remote sources",
 * docs/protocols/oci-registry-client.md). The image is written as an OCI image
 * layout (one tag) in a directory under the download cache, which the bundle then
 * plans like a local `path: DIR:TAG`.
 *
 * Invariants:
 * - every manifest is kept as the registry's bytes, checked against the digest
 *   asked for (the reference's pin, the index's descriptor) and the registry's
 *   Docker-Content-Digest; a manifest is never rewritten. Only an index filtered to
 *   the spec's platforms is a new document, which names the original's digest;
 * - every other blob comes through al_fetch_all (the digest cache, checked as it
 *   streams); the layout's blobs are hard links to verified cache entries;
 * - a password or token never appears in a message (a refusal names the user and
 *   the file the credential came from).
 */
#ifndef AL_REGISTRY_H
#define AL_REGISTRY_H

#include "err.h"
#include "fetch.h"
#include "hash.h"

/* The annotation of a filtered index: the digest of the registry's index it was cut from. */
#define AL_ANN_SOURCE_INDEX "io.airlock.source.index"
/* The tag of the pulled image inside its layout. */
#define AL_PULL_TAG "pulled"

/* docker://HOST[:PORT]/REPO[:TAG][@sha256:HEX] */
struct al_docker_ref {
	char *host;                     /* "host[:port]" as written (owned) */
	char *repo;                     /* "a/b" (owned) */
	char *tag;                      /* or NULL (owned) */
	char digest[7 + AL_HEX_LEN + 1]; /* "sha256:…" pin, or "" */
};

/* The OCI grammar: a repository path (lower-case components), a tag, a host[:port]. 1 or 0. */
int al_oci_repo_valid(const char *s);
int al_oci_tag_valid(const char *s);
int al_oci_host_valid(const char *s);
/* Whether host[:port] is one of the --plain-http hosts (NULL-terminated), so that its API
 * is asked for over http://; TLS is the default, on loopback too. */
int al_registry_plain(const char *host, const char *const *plain);

/* O for speaking to a registry: no credential of its own (the auth file's is chosen per
 * registry), and a 401 without one hints at --registry-auth. */
void al_registry_opts(struct al_fetch_opts *dst, const struct al_fetch_opts *o);

/* Parses s strictly; on error r holds nothing. Release with al_docker_ref_release. */
enum al_code al_docker_ref_parse(const char *s, struct al_docker_ref *r, struct al_err *err);
void al_docker_ref_release(struct al_docker_ref *r);

/* A WWW-Authenticate challenge: its scheme and parameters (owned; NULL when absent). */
struct al_challenge {
	char scheme[16];                /* "Bearer", "Basic" as sent */
	char *realm, *service, *scope;
};
/* Parses the first challenge of a WWW-Authenticate value. AL_EINVAL when malformed. */
enum al_code al_challenge_parse(const char *v, struct al_challenge *c, struct al_err *err);
void al_challenge_release(struct al_challenge *c);

/* A registry credential from a docker-style auth file. */
struct al_registry_cred {
	char user[256];
	char password[512];             /* wiped by al_registry_cred_wipe */
	char from[320];                 /* "user 'alice' from FILE", for messages */
};
/*
 * Finds host ("host[:port]") in the auth file `file` ({"auths": {KEY: {"auth":
 * base64(user:password)}}}; a KEY may carry a scheme and a path). *found is 1 and c
 * filled when it has an entry, 0 otherwise. A file that cannot be read or parsed is
 * an error; `missing_ok` makes an absent file "no entry".
 */
enum al_code al_registry_auth_lookup(const char *file, int missing_ok, const char *host,
				     struct al_registry_cred *c, int *found, struct al_err *err);
void al_registry_cred_wipe(struct al_registry_cred *c);

/*
 * Asks the token service that challenge c names (its realm and service) for a bearer
 * token covering `scopes` (NULL-terminated; each may hold several scopes separated by
 * spaces, as a challenge does), sending cred when given (else anonymous). *token and
 * *token_from ("REALM for user 'u' from FILE", for messages) are fresh; the caller wipes
 * and frees the token. `what` names the reference in messages.
 */
enum al_code al_registry_token(const struct al_fetch_opts *o, const struct al_registry_cred *cred,
			       const struct al_challenge *c, const char *const *scopes, const char *what, char **token,
			       char **token_from, struct al_err *err);

struct al_pull {
	/* in */
	const char *ref;                /* "docker://…" (borrowed) */
	char *const *platforms;         /* "os/arch[/variant]", NULL-terminated, or NULL (borrowed) */
	const char *dir;                /* the layout to write: an empty or absent directory (borrowed) */
	/* out */
	char digest[7 + AL_HEX_LEN + 1]; /* what the registry holds under ref: "sha256:…" */
};

/*
 * Pulls p->ref (o->registry_auth names the credentials file) into the OCI image
 * layout p->dir, its one image tagged AL_PULL_TAG. An index is cut down to the
 * platforms (an index with no platforms given is refused). Errors name the reference
 * and the URL; a digest mismatch is AL_EVERIFY, a missing image AL_ENOENT.
 */
enum al_code al_registry_pull(const struct al_fetch_opts *o, struct al_pull *p, struct al_err *err);

#endif
