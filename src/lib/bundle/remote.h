/* SPDX-License-Identifier: Apache-2.0 */
/*
 * remote.h: the `from:` sources of a spec (docs/FORMAT.md §1 "Remote sources"),
 * fetched into the download cache before the bundle is started, so the network
 * phase leaves nothing beside OUT. A Hub model is resolved to its commit and
 * listed, its files chosen by `include`/`exclude`; every file to fetch is one
 * al_fetch_item (a digest fetched once, however many sources name it).
 * al_plan_remote() (sources.h) then plans each one like a local source. A
 * docker:// image is pulled into an OCI image layout under the cache, which
 * al_plan_source() plans as it would a local `path: DIR:TAG`.
 */
#ifndef AL_REMOTE_H
#define AL_REMOTE_H

#include "fetch.h"
#include "spec.h"

struct al_remote_file {
	char *rel;                  /* path inside the model (owned); NULL for a file source */
	size_t item;                /* index into al_remotes.items */
};

struct al_remote {
	const struct al_source *orig;   /* borrowed from the spec */
	struct al_source eff;           /* orig, with `revision` the resolved commit (models); borrows
					   every string from orig */
	char commit[41];
	char *layout;                   /* images: the pulled OCI layout under the cache's tmp/ (owned,
					   removed by al_remotes_release); eff.path names it */
	char *name;                     /* images: the default name, REPO:TAG (owned) */
	char digest[7 + 64 + 1];        /* images: what the registry holds under the reference */
	char *index;                    /* wheels from requirements: the package index they came from (owned) */
	struct al_remote_file *files;   /* models: in the order a directory walk gives */
	size_t nfiles, capfiles;
};

struct al_remotes {
	struct al_remote *v;
	size_t n;
	struct al_fetch_item *items;
	size_t nitems, capitems;
};

/* Resolves, lists and fetches every remote source of spec (none: nothing happens). */
enum al_code al_remotes_fetch(const struct al_spec *spec, const struct al_fetch_opts *o, struct al_remotes *r,
			      struct al_err *err);
/* The fetched form of src, or NULL when src is not remote. */
const struct al_remote *al_remotes_find(const struct al_remotes *r, const struct al_source *src);
void al_remotes_release(struct al_remotes *r);

#endif
