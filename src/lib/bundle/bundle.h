/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.h: the airlock bundle (docs/FORMAT.md): creating one from a spec,
 * reading one as a directory or a pax tar, and checking it strictly.
 *
 * Checking works on a "view": the list of regular files with the SHA-256 and
 * size each was found to have, plus a way to read a small file back and
 * re-verify it. A view comes from hashing a directory in place, from
 * streaming a tar once, or from a staging copy made while hashing (import).
 * Every problem found is added to a report naming the file; nothing about
 * the bundle is trusted before its bytes have been hashed.
 */
#ifndef AL_BUNDLE_H
#define AL_BUNDLE_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "format.h"
#include "hash.h"
#include "spec.h"

enum { AL_DIGEST_STR = 7 + AL_HEX_LEN + 1 };

/*
 * The largest version a bundle may carry: 2^53-1, the largest integer every
 * JSON reader holds exactly. And the latest time: 9999-12-31T23:59:59Z, the
 * last that RFC 3339's four-digit year can write. create refuses more, and so
 * does verify (docs/FORMAT.md §3).
 */
#define AL_VERSION_MAX INT64_C(9007199254740991)
#define AL_TIME_MAX INT64_C(253402300799)

/* True for the four manifest and index media types. */
int al_mt_is_manifest(const char *mt);
int al_mt_is_index(const char *mt);
/*
 * True when a parsed JSON blob is a manifest or an index by what it is,
 * whatever a descriptor calls it (as skopeo guesses): its own mediaType is one
 * of the four, or its schemaVersion is 2.
 */
int al_json_is_manifest(const json_t *m);
/*
 * Whether n bytes of JSON could be a manifest or an index at all, without
 * parsing them: one must name "mediaType" or "schemaVersion", and a key can
 * only spell either in other bytes through a \u escape. So bytes with none of
 * the three need no parse. Returns 1 when they might (then parse and ask
 * al_json_is_manifest).
 */
int al_json_may_be_manifest(const char *p, size_t n);

/* A list of problems, each a full message; capped at AL_REPORT_MAX (the rest counted).
 * The report owns its messages (al_report_release). al_report_add never fails: a message
 * it cannot keep (past the cap, or out of memory) is counted in `dropped`, so
 * al_report_count still sees it. */
enum { AL_REPORT_MAX = 200 };
struct al_report {
	char **msg;
	size_t n, cap, dropped;
};
void al_report_add(struct al_report *r, const char *fmt, ...) AL_PRINTF(2, 3);
size_t al_report_count(const struct al_report *r);
void al_report_release(struct al_report *r);

/* One regular file of a bundle, as hashed. */
struct al_bfile {
	char *path;
	uint64_t size;
	char digest[AL_DIGEST_STR];
	char *data;        /* tar scans: a manifest or top-level file, kept to avoid re-reading the tar; or NULL */
	enum al_sniff sniff; /* may it be a JSON object (so a manifest)? AL_SNIFF_WS (0) until hashed */
	json_t *parsed;    /* directory views: a large manifest parsed by the worker that hashed it, from
			      exactly the bytes hashed (so the check does not parse it alone after the
			      hashing); or NULL */
};

struct al_bview;
typedef enum al_code (*al_bview_read_fn)(struct al_bview *v, const struct al_bfile *f,
					 struct al_buf *out, struct al_err *err);
struct al_bview {
	struct al_bfile *files; /* sorted by path after al_bview_sort */
	size_t n, cap;
	al_bview_read_fn read;  /* reads f into out and checks it still has f->digest */
	char *root;             /* directory or tar file */
	uint64_t bytes;         /* total bytes hashed */
	size_t cached;          /* bytes held in files[].data, at most AL_VIEW_CACHE */
};
enum { AL_VIEW_CACHE = 16u << 20, AL_VIEW_CACHE_FILE = AL_MAX_MANIFEST };
/* Appends a file (path copied; digest "sha256:…" or NULL for "not hashed yet"). On error v
 * has no new entry. A view owns its files; al_bview_release frees them and keeps v usable. */
enum al_code al_bview_add(struct al_bview *v, const char *path, uint64_t size, const char *digest,
			  struct al_err *err);
void al_bview_sort(struct al_bview *v);
const struct al_bfile *al_bview_find(const struct al_bview *v, const char *path);
void al_bview_release(struct al_bview *v);

/* One artifact as airlock.json lists it. */
struct al_artifact {
	enum al_kind kind;
	char *name;        /* the name it is served under inside */
	char *upstream;    /* its upstream identity */
	char *ref;         /* org.opencontainers.image.ref.name in index.json */
	char *media_type;  /* of its manifest (or index) */
	char digest[AL_DIGEST_STR];
	uint64_t size;     /* of its manifest */
	uint64_t content_size; /* of everything it references */
	json_t *info;      /* kind-specific details (version, filename, …), owned */
};
void al_artifact_release(struct al_artifact *a);

/* A blob the bundle's manifests reference, with the first media type seen. */
struct al_blobref {
	char digest[AL_DIGEST_STR];
	uint64_t size;
	char *media_type;
	size_t artifact;   /* index into artifacts */
	int from_base;     /* not in the bundle: base.json lists it (differential bundles) */
};

/* What a successful check learned; owned, released with al_bundle_info_release (which
 * also takes a zeroed one). */
struct al_bundle_info {
	char *name;
	int64_t version;
	int64_t created, expires;
	char sums_digest[AL_DIGEST_STR];   /* of SHA256SUMS */
	char scan_verdict[8];              /* of the attached scan.json ("pass", "review", "fail"), or "" */
	struct al_artifact *artifacts;
	size_t nartifacts;
	struct al_blobref *blobs;          /* every referenced blob, once per artifact */
	size_t nblobs, capblobs;
	json_t *meta;                      /* airlock.json, owned */
	size_t nbase;                      /* blobs referenced but taken from the base (base.json), not carried */
	uint64_t base_bytes;               /* their bytes */
};
void al_bundle_info_release(struct al_bundle_info *info);

/* Lists the regular files under root into v (unhashed); links, devices and unsafe names go to rep.
 * On error v keeps what was listed so far: the caller releases v in every case. */
enum al_code al_bview_walk(const char *root, struct al_bview *v, struct al_report *rep,
			   struct al_err *err);

/* Is path a tar file (not a directory)? */
int al_bundle_is_tar(const char *path);

/*
 * Hashes every regular file of a bundle (directory: in parallel, largest
 * first; tar: in one streaming pass) into v. Links, devices, unsafe names and
 * duplicates are added to rep. Fails only on operational errors. v is zeroed
 * first and filled as far as the scan got: the caller releases v in every case.
 */
enum al_code al_bundle_scan(const char *path, struct al_bview *v, struct al_report *rep,
			    struct al_progress *prog, struct al_err *err);
/* Total bytes of regular files, for progress (stat or tar headers). */
enum al_code al_bundle_measure(const char *path, uint64_t *bytes, struct al_err *err);
/*
 * The strict check of docs/FORMAT.md over a scanned view. Problems go to rep;
 * returns AL_EVERIFY if there is any, and fills info when there is none. info
 * may be NULL. On any error (AL_EVERIFY included) *info is left zeroed and holds
 * nothing; on success the caller releases it with al_bundle_info_release.
 */
enum al_code al_bundle_check(struct al_bview *v, struct al_report *rep,
			     struct al_bundle_info *info, struct al_err *err);
/*
 * scan + check, keeping the view for further checks (signatures): problems,
 * a damaged tar's included, go to rep and the call returns AL_OK; *checked is
 * set when the structure passed. Other codes are operational errors. The
 * caller releases v in every case. *info is filled only when *checked is set;
 * otherwise it holds nothing (zeroed by the check, or left as it was when the
 * scan failed first, so pass it zeroed) and releasing it is harmless.
 */
enum al_code al_bundle_scan_check(const char *path, struct al_bview *v, struct al_report *rep,
				  struct al_bundle_info *info, int *checked, struct al_progress *prog,
				  struct al_err *err);
/* scan + check; AL_EVERIFY when rep holds any problem. *info as al_bundle_scan_check's:
 * filled on AL_OK (caller releases it), else holding nothing when it was passed zeroed. */
enum al_code al_bundle_verify(const char *path, struct al_report *rep, struct al_bundle_info *info,
			      struct al_progress *prog, struct al_err *err);

/* Reads one small top-level file from a bundle without verifying anything (inspect), in
 * place of what out held. On error out may hold part of it (see buf.h). */
enum al_code al_bundle_read_raw(const char *path, const char *name, struct al_buf *out,
				struct al_err *err);

struct al_tar_sink;
/* Options for al_bundle_create. */
struct al_fetch_opts;
struct al_create_opts {
	int tar;               /* write one pax tar instead of a directory */
	int64_t now;           /* creation time */
	struct al_progress *prog;
	/* write the tar into this stream instead of at OUT (which is then only its name): the
	 * layout is made in a temporary directory of $TMPDIR, streamed, and removed */
	const struct al_tar_sink *sink;
	const struct al_fetch_opts *fetch; /* for `from:` sources (fetch.h); NULL refuses them */
	const struct al_base *base;        /* a differential bundle: what the inside holds (base.h), or NULL */
};
/* Gathers every source of spec into a new bundle at out (which must not exist). *info is
 * zeroed first; on success the caller releases it with al_bundle_info_release. On error
 * *info holds nothing and the half-made bundle is removed. */
enum al_code al_bundle_create(const struct al_spec *spec, const char *out,
			      const struct al_create_opts *opts, struct al_bundle_info *info,
			      struct al_err *err);

/* Writes the directory bundle dir as a pax tar at out (atomically). */
enum al_code al_bundle_write_tar(const char *dir, const char *out, int64_t mtime,
				 struct al_err *err);

/*
 * A stream of tar bytes, for a bundle that is not a named file: standard
 * input, media volumes joined as they are read, a diode's reassembled
 * stream. READ puts up to N bytes at BUF and returns how many, 0 at the end
 * of the stream, or -1 with ERR set. NAME is for messages ("tar 'NAME'").
 */
struct al_tar_source {
	const char *name;
	ssize_t (*read)(void *ctx, void *buf, size_t n, struct al_err *err);
	void *ctx;
};
/* A source that reads the open file descriptor *(int *)ctx to its end (a file, a pipe). */
ssize_t al_tar_source_fd(void *ctx, void *buf, size_t n, struct al_err *err);

/*
 * A sink for tar bytes: WRITE takes all N bytes at BUF or fails with ERR set
 * (a short write is the sink's own business, never the caller's).
 */
struct al_tar_sink {
	const char *name;
	enum al_code (*write)(void *ctx, const void *buf, size_t n, struct al_err *err);
	void *ctx;
};
/* A sink that writes all of every piece to the file descriptor *(int *)ctx. */
enum al_code al_tar_sink_fd(void *ctx, const void *buf, size_t n, struct al_err *err);
/*
 * Writes the directory bundle DIR as a pax tar into SINK: the same bytes
 * al_bundle_write_tar puts in a file. On error the sink has received part of
 * a tar, which its owner must discard.
 */
enum al_code al_bundle_write_tar_stream(const char *dir, const struct al_tar_sink *sink, int64_t mtime,
					struct al_err *err);

/*
 * Copies a bundle (directory or tar) into the new directory stage while
 * hashing every byte once; v then describes the staged copy. Links, devices
 * and unsafe names are reported, never created. Used by import, so that what
 * is checked is exactly what gets installed. v as for al_bundle_scan (the
 * caller releases it in every case); on error the files already written stay
 * in stage, which the caller removes.
 */
enum al_code al_bundle_stage(const char *path, const char *stage, struct al_bview *v,
			     struct al_report *rep, struct al_progress *prog, struct al_err *err);
/*
 * As al_bundle_stage, for a tar read once from SRC, start to end: the same
 * checks (the bytes after the end-of-archive marker are read to the end of
 * the stream and must be zero), the same staged copy. A failure of the
 * source is its error (operational), never a verdict on the bundle.
 */
enum al_code al_bundle_stage_stream(const struct al_tar_source *src, const char *stage, struct al_bview *v,
				    struct al_report *rep, struct al_progress *prog, struct al_err *err);

#endif
