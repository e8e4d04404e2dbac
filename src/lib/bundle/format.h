/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format.h: the names a bundle is written in (docs/FORMAT.md): the media
 * types of manifests, indexes and layers, and the annotation keys. The
 * creator (sources.c, bundle.c), the verifier (check.c, bundle_read.c), the
 * catalog and the server all name them from here, so none of them needs
 * another's header for a string. Constants only: nothing to link.
 */
#ifndef AL_FORMAT_H
#define AL_FORMAT_H

/* OCI and Docker manifests and indexes, and the empty descriptor */
#define AL_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define AL_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define AL_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define AL_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define AL_MT_EMPTY "application/vnd.oci.empty.v1+json"

/* airlock's artifacts: models (CNCF ModelPack), wheels, files, advisory data */
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

/* annotations: on index.json's descriptors, and on model layers */
#define AL_ANN_KIND "io.airlock.kind"
#define AL_ANN_NAME "io.airlock.name"
#define AL_ANN_UPSTREAM "io.airlock.upstream"
#define AL_ANN_PATH "io.airlock.path"
#define AL_ANN_REF "org.opencontainers.image.ref.name"
#define AL_ANN_TITLE "org.opencontainers.image.title"
#define AL_ANN_FILEPATH "org.cncf.model.filepath"

#endif
