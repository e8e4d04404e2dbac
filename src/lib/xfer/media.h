/* SPDX-License-Identifier: Apache-2.0 */
/*
 * media.h: a bundle across removable media (docs/protocols/media.md).
 *
 * The bundle's tar stream is cut into chunks of CHUNK bytes. Every K consecutive chunks
 * are a stripe, to which Reed–Solomon adds M parity chunks (Intel ISA-L, a Cauchy
 * matrix, GF(2^8)). There are K + M volumes, and volume J holds row J of every stripe,
 * so each volume holds exactly one chunk of each stripe and any M lost volumes can be
 * rebuilt. Every volume is a directory:
 *
 *   MEDIA.json     the whole set's layout: every chunk's SHA-256 on every volume, the tar's
 *                  size and SHA-256, the bundle's name, version and SHA256SUMS digest,
 *                  this volume's number out of the total
 *   chunks/NNNNNN  row J of stripe NNNNNN (a data chunk holds its bytes of the tar and no
 *                  more; one that lies wholly past the end of the tar is not written)
 *   README.txt     for whoever finds the disc
 *   custody.log    a copy of the bundle's custody log, when it has one
 *
 * Nothing here trusts a volume: MEDIA.json only says what to expect, the chunks are
 * checked against it, the joined tar against the SHA-256 it records, and the bundle in it
 * is then verified (signatures included) by whoever reads the stream.
 */
#ifndef AL_MEDIA_H
#define AL_MEDIA_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "bundle.h"
#include "err.h"
#include "hash.h"

enum { AL_MEDIA_MAX_VOLUMES = 255 };

/*
 * A size: bytes, or with a suffix K, M, G, T (powers of 1024) or KB, MB, GB, TB
 * (powers of 1000), or a medium: cd (700 MiB), dvd (4.7 GB), dvd-dl, bd25, bd50, bd100.
 * AL_EINVAL naming the text when it is none of these.
 */
enum al_code al_media_size_parse(const char *text, uint64_t *bytes, struct al_err *err);

struct al_media_opts {
	uint64_t volume_size; /* what one volume may hold, all files included */
	unsigned parity;      /* M: how many volumes may be lost */
	uint64_t chunk_size;  /* 0: chosen from the volume size (at most 4 MiB) */
};

struct al_media_result {
	unsigned k, m;        /* data and parity volumes */
	uint64_t chunk_size, stripes, tar_bytes;
	uint64_t largest;     /* bytes of the fullest volume, all files included */
	char tar_digest[AL_DIGEST_STR];
};

/*
 * Verifies BUNDLE (a directory or a tar: structure and hashes, as `verify` without a
 * policy) and splits its tar stream into the volumes OUTDIR/vol-01 … vol-NN, each no
 * larger than o->volume_size. OUTDIR may exist but must hold no vol-* yet; each volume is
 * written as a hidden directory and renamed into place when complete, so a failure leaves
 * no volume that looks finished. AL_EVERIFY when the bundle does not verify (REP says
 * why), AL_ELIMIT when it cannot fit in 255 volumes of that size.
 */
/* Whether BUNDLE (a directory or a tar, not read, only listed) fits volumes as O asks: *k data
 * volumes (then o->parity more); AL_ELIMIT naming the sizes when it does not; *tar_bytes the
 * tar's size, or an upper bound of it for a directory. */
enum al_code al_media_fit(const char *bundle, const struct al_media_opts *o, unsigned *k, uint64_t *tar_bytes,
			  struct al_err *err);
enum al_code al_media_split(const char *bundle, const char *outdir, const struct al_media_opts *o,
			    struct al_media_result *res, struct al_report *rep, struct al_progress *prog,
			    struct al_err *err);

/* Does PATH look like a volume (a directory holding MEDIA.json)? */
int al_media_is_volume(const char *path);
/* The digest of the bundle's SHA256SUMS that VOLUME's MEDIA.json records ("sha256:…"): what
 * the custody records on the volume's copy of custody.log chain to. */
enum al_code al_media_volume_sums(const char *volume, char sums[AL_DIGEST_STR], struct al_err *err);

/*
 * Checks one volume on its own: its MEDIA.json, and every chunk it should hold against
 * its SHA-256 (missing, short, long and corrupt chunks are named in REP). *about (new
 * reference) describes the volume and the set: {"volume", "volumes", "name", "version",
 * "set", "chunks", "bytes"}. AL_EVERIFY when REP holds any problem.
 */
enum al_code al_media_check(const char *volume, json_t **about, struct al_report *rep, struct al_progress *prog,
			    struct al_err *err);

/*
 * Joining: VOLS in any order, a volume given twice read once, a volume of another set
 * refused by name. When more volumes are missing than the parity covers, the error names
 * exactly which are needed. Then al_media_join_source streams the tar in order, each
 * chunk checked against its SHA-256 before it is passed on; a missing or corrupt chunk is
 * rebuilt from the stripe's other chunks and checked in turn; the stream's end checks the
 * tar's size and SHA-256. A reader thread reads, checks and rebuilds one chunk ahead of
 * the stream. Memory: (M + 2) chunks and a slice of each survivor, whatever the size of the
 * bundle. al_media_join_report and al_media_join_free stop the reader first.
 */
struct al_media_join;
enum al_code al_media_join_open(char *const *vols, size_t n, struct al_media_join **j, struct al_err *err);
/* The tar stream, as a source for al_bundle_stage_stream and the importer. */
void al_media_join_source(struct al_media_join *j, struct al_tar_source *src);
/* What the join found and did, so far: {"name", "version", "volumes", "missing": [N…],
 * "rebuilt": ["vol-02 chunk 000003: why", …], "bytes"}. New reference. */
json_t *al_media_join_report(struct al_media_join *j);
void al_media_join_free(struct al_media_join *j);

#endif
