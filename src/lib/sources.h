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
#include "layout.h"
#include "spec.h"
#include "wheel.h"

#define AL_MT_MODEL_ARTIFACT "application/vnd.cncf.model.manifest.v1+json"
#define AL_MT_MODEL_CONFIG "application/vnd.cncf.model.config.v1+json"
#define AL_MT_MODEL_WEIGHT "application/vnd.cncf.model.weight.v1.raw"
#define AL_MT_MODEL_WCONFIG "application/vnd.cncf.model.weight.config.v1.raw"
#define AL_MT_MODEL_CODE "application/vnd.cncf.model.code.v1.raw"
#define AL_MT_MODEL_DOC "application/vnd.cncf.model.doc.v1.raw"
#define AL_MT_WHEEL_ARTIFACT "application/vnd.airlock.python.wheel.v1"
#define AL_MT_WHEEL_METADATA "application/vnd.airlock.python.metadata.v1"
#define AL_MT_WHEEL "application/vnd.airlock.python.wheel.v1+zip"
#define AL_MT_FILE_ARTIFACT "application/vnd.airlock.file.v1"
#define AL_MT_FILE "application/octet-stream"
#define AL_MT_OSV_ARTIFACT "application/vnd.airlock.osv.v1"
#define AL_MT_OSV_JSON "application/vnd.airlock.osv.record.v1+json"
#define AL_MT_OSV_YAML "application/vnd.airlock.osv.record.v1+yaml"

#define AL_ANN_KIND "io.airlock.kind"
#define AL_ANN_NAME "io.airlock.name"
#define AL_ANN_UPSTREAM "io.airlock.upstream"
#define AL_ANN_PATH "io.airlock.path"
#define AL_ANN_REF "org.opencontainers.image.ref.name"
#define AL_ANN_TITLE "org.opencontainers.image.title"
#define AL_ANN_FILEPATH "org.cncf.model.filepath"

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
	uint64_t image_bytes;            /* images: manifests and blobs */
};
void al_plan_release(struct al_plan *p);

struct al_plans {
	struct al_plan *v;
	size_t n, cap;
};
void al_plans_release(struct al_plans *p);

/* Looks at one source; appends one plan per artifact (a wheel directory gives several). */
enum al_code al_plan_source(struct al_layout *l, const struct al_source *src, struct al_plans *plans,
			    struct al_copy_jobs *jobs, struct al_err *err);
/* After the copy: writes the plan's manifest, adds it to index.json, fills a. */
enum al_code al_plan_finish(struct al_layout *l, struct al_plan *p, const struct al_copy_jobs *jobs,
			    struct al_artifact *a, struct al_err *err);

/* The OCI reference-name pattern (what skopeo accepts after oci:DIR:). */
int al_ref_valid(const char *ref);
/* Media type of a model file, from its name. */
const char *al_model_media_type(const char *rel);

#endif
