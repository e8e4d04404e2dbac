/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sources.h: turning spec sources into artifacts of a layout (docs/FORMAT.md §1, §4).
 *
 * Two phases, so every byte of every artifact is copied in one parallel pass:
 * al_plan_source() looks at a source (walks a model directory, reads a
 * wheel's METADATA, walks an image's manifests) and queues copy jobs;
 * after al_layout_put_files() has run them, al_plan_finish() writes each
 * artifact's manifest and fills in its al_artifact. Plans own their strings.
 */
#ifndef AL_SOURCES_H
#define AL_SOURCES_H

#include "bundle.h"
#include "format.h"
#include "layout.h"
#include "remote.h"
#include "spec.h"
#include "wheel.h"

struct al_copy_jobs {
	struct al_copy_job *v;
	size_t n, cap;
};
void al_copy_jobs_release(struct al_copy_jobs *j);

struct al_plan_file {
	char *rel;               /* path inside the artifact */
	size_t job;              /* index into the copy jobs */
	const char *media_type;  /* static */
};

struct al_plan {
	const struct al_source *src;     /* borrowed */
	enum al_kind kind;
	char *name;
	char *upstream;
	struct al_plan_file *files;
	size_t nfiles, capfiles;
	struct al_wheel wheel;           /* wheels */
	json_t *top;                     /* images: the top descriptor */
	char *index_url, *file_url;      /* wheels from an index: the index and the file's URL, or NULL */
	uint64_t image_bytes;            /* images: manifests and blobs */
};
void al_plan_release(struct al_plan *p);

struct al_plans {
	struct al_plan *v;
	size_t n, cap;
};
void al_plans_release(struct al_plans *p);

/* Looks at one source; appends one plan per artifact (a wheel directory gives several) and
 * its copy jobs. On error plans and jobs may hold entries for this source: the caller
 * releases both (al_plans_release, al_copy_jobs_release) in every case. */
enum al_code al_plan_source(struct al_layout *l, const struct al_source *src, struct al_plans *plans,
			    struct al_copy_jobs *jobs, struct al_err *err);
/*
 * Plans a fetched remote source (al_remotes_fetch) like a local one: its copy jobs read
 * the cache entries and expect their SHA-256. rm and items are borrowed and must outlive
 * the plans (which point at rm->eff).
 */
enum al_code al_plan_remote(const struct al_remote *rm, const struct al_fetch_item *items, struct al_plans *plans,
			    struct al_copy_jobs *jobs, struct al_err *err);
/* After the copy: writes the plan's manifest, adds it to index.json, fills a (the caller
 * releases it with al_artifact_release). On error *a is left zeroed: nothing to release. */
enum al_code al_plan_finish(struct al_layout *l, struct al_plan *p, const struct al_copy_jobs *jobs,
			    struct al_artifact *a, struct al_err *err);

/* The OCI reference-name pattern (what skopeo accepts after oci:DIR:). */
int al_ref_valid(const char *ref);
/*
 * Whether a model or vulndb file is taken: it matches an `include` pattern (or there
 * are none) and no `exclude` pattern. A pattern matches the whole relative path (with
 * `*` crossing '/') or the file name (fnmatch without flags).
 */
int al_path_selected(char *const *include, char *const *exclude, const char *rel);
/* Media type of a model file, from its name. */
const char *al_model_media_type(const char *rel);

#endif
