/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hf.h: the client side of the Hugging Face Hub API (docs/protocols/hf-hub-client.md):
 * a revision (branch, tag or commit) resolved to its commit, the repository's files
 * at that commit, and the URL of each file. Only what a `from: hf://` source needs;
 * every request goes through fetch.h, to o->hf_endpoint, with the token.
 */
#ifndef AL_HF_H
#define AL_HF_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

struct al_hf_file {
	char *path;                   /* owned; a safe relative path (al_path_unsafe) */
	int64_t size;
	char oid[41];                 /* the git blob id */
	char sha256[AL_HEX_LEN + 1];  /* an LFS file's SHA-256, or "" */
};

struct al_hf_files {
	struct al_hf_file *v;
	size_t n, cap;
};
void al_hf_files_release(struct al_hf_files *f);

/* A repository id the Hub accepts: NAME or ORG/NAME, [A-Za-z0-9._-], no "..", "--", no '.'/'-' at the ends. */
int al_hf_repo_valid(const char *repo);
/* Resolves rev to the 40-hex commit (GET /api/models/REPO/revision/REV → "sha"). */
enum al_code al_hf_resolve(const struct al_fetch_opts *o, const char *repo, const char *rev, char commit[41],
			   struct al_err *err);
/* Lists every file at commit (GET /api/models/REPO/tree/COMMIT?recursive=true, every page). */
enum al_code al_hf_list(const struct al_fetch_opts *o, const char *repo, const char *commit,
			struct al_hf_files *files, struct al_err *err);
/* ENDPOINT/REPO/resolve/COMMIT/PATH, the path percent-encoded; fresh (caller frees), NULL on ENOMEM. */
char *al_hf_file_url(const struct al_fetch_opts *o, const char *repo, const char *commit, const char *path);

#endif
