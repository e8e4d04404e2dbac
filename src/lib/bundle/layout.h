/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layout.h: writing an OCI image layout that is also an airlock bundle
 * (docs/FORMAT.md): blobs/sha256/<hex>, oci-layout, index.json, and the
 * digest of every file written, so SHA256SUMS is produced without reading
 * anything twice.
 *
 * Blobs are written as temporary files, fsynced and renamed to their digest;
 * the same content is stored once. Source files are copied in parallel
 * (largest first) and hashed as they pass.
 */
#ifndef AL_LAYOUT_H
#define AL_LAYOUT_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

/* One source file to copy into the layout as a blob. */
struct al_copy_job {
	char *src;                          /* owned */
	uint64_t size;                      /* from stat, for ordering and progress */
	char expect[7 + AL_HEX_LEN + 1];    /* "sha256:…" the content must have, or "" */
	char digest[7 + AL_HEX_LEN + 1];    /* result */
	enum al_code rc;                    /* result */
	struct al_err *err;                 /* result when rc is set (owned; NULL otherwise): a model
					       may have tens of thousands of jobs, so no message is
					       kept inline */
};

struct al_layout_file {
	char *path;                         /* relative to the layout root, owned */
	char digest[7 + AL_HEX_LEN + 1];
	uint64_t size;
};

struct al_layout {
	char *dir;                          /* owned */
	json_t *manifests;                  /* index.json "manifests", owned */
	struct al_layout_file *files;       /* every file written, for SHA256SUMS */
	size_t nfiles, capfiles;
	size_t *seen, capseen;              /* hash of files[] by path: index + 1, 0 when free */
	struct al_progress *prog;           /* borrowed, may be NULL */
	unsigned threads;
};

/* Creates dir (which must not exist) with blobs/sha256 inside; l is zeroed first. On success
 * the caller releases l with al_layout_release (the directory stays); on error l holds
 * nothing and no directory made here is left. */
enum al_code al_layout_create(struct al_layout *l, const char *dir, struct al_err *err);
void al_layout_release(struct al_layout *l);

/* Stores bytes as a blob; writes "sha256:…" into digest. */
enum al_code al_layout_put_mem(struct al_layout *l, const void *p, size_t n,
			       char digest[7 + AL_HEX_LEN + 1], struct al_err *err);
/* Copies every job's file into blobs, in parallel; the first failed job's error is returned.
 * Each job's digest, rc and err are filled (err owned by the job: al_copy_jobs_release);
 * blobs already copied stay in the layout on error. */
enum al_code al_layout_put_files(struct al_layout *l, struct al_copy_job *jobs, size_t n,
				 struct al_err *err);
/* Adds a descriptor to index.json: desc is borrowed (the layout takes its own reference);
 * on error the index is unchanged. */
enum al_code al_layout_add_index(struct al_layout *l, json_t *desc, struct al_err *err);
/* Writes a top-level file (oci-layout, index.json, airlock.json, …) and records its digest. */
enum al_code al_layout_put_top(struct al_layout *l, const char *name, const void *p, size_t n,
			       struct al_err *err);
/* Writes oci-layout and index.json. */
enum al_code al_layout_write_index(struct al_layout *l, struct al_err *err);
/* Writes SHA256SUMS over every file recorded so far (sorted by path). */
enum al_code al_layout_write_sums(struct al_layout *l, struct al_err *err);

/* A descriptor object {mediaType, digest, size}. New reference, or NULL when out of memory. */
json_t *al_descriptor(const char *media_type, const char *digest, uint64_t size);

#endif
