/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h: the embedded store (docs/FORMAT.md §6, "The store"):
 * content-addressed blobs plus a SQLite catalog, written so that a crash at
 * any point leaves a store that fsck passes and a re-import completes.
 *
 * Invariants: a blob file is only ever created by rename of a fully written,
 * fsynced, verified temp file; the catalog names a blob only after the blob
 * is durable; everything one import adds to the catalog commits in one
 * transaction. Writers (import, gc, trust set, a push from serve) hold an
 * exclusive lock on STORE/lock, waiting for it up to a bound. A reader never
 * writes anything (no schema, no migration, no page rebuild). Every catalog
 * statement lives in catalog.c and every step goes through al_db_step.
 */
#ifndef AL_STORE_H
#define AL_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "bundle.h"
#include "err.h"
#include "hash.h"
#include "trust.h"

struct al_store; /* opaque */

enum { AL_STORE_WRITE = 1 << 0 };

/* The store path: explicit, else $AIRLOCK_STORE, else ./airlock-store. Borrowed. */
const char *al_store_default(const char *explicit_path);
/* Creates a store (the directory may exist if empty, or already be a store). On error a
 * partly made store may remain; running it again completes it. */
enum al_code al_store_init(const char *root, struct al_err *err);
/*
 * Opens an existing store. WRITE takes the writer lock (fails at once if busy)
 * and brings an older catalog up to AL_CATALOG_VERSION; without it the store
 * is opened read-only and a catalog of another version is refused. Both refuse
 * a newer catalog ("upgrade airlock").
 */
enum al_code al_store_open(const char *root, unsigned flags, struct al_store **out, struct al_err *err);
/*
 * As al_store_open, but a writer waits up to WAIT seconds for the writer lock
 * (0: fails at once if another writer holds it). WAITING, when set, is called
 * once when the lock is busy and the wait begins (the tool says so; the
 * library never prints); ROOT is borrowed for the call.
 */
enum al_code al_store_open_wait(const char *root, unsigned flags, unsigned wait,
				void (*waiting)(const char *root, unsigned wait), struct al_store **out,
				struct al_err *err);
/* Ownership: on success *out is the caller's, to end with al_store_free (which releases the
 * writer lock); on error *out is untouched and nothing is held. al_store_free(NULL) is a no-op. */
void al_store_free(struct al_store *s);

enum al_import_status { AL_IMPORTED, AL_ALREADY, AL_REJECTED };
struct al_import_result {
	enum al_import_status status;
	struct al_bundle_info info;   /* filled when checked */
	struct al_report report;      /* problems, when rejected */
	char *quarantine;             /* where a rejected bundle was put, or NULL */
	uint64_t bytes;               /* bytes read */
	size_t new_blobs;             /* blobs added to the store */
	size_t repaired;              /* blobs already there that did not hash to their name (or were
				       * not regular files) and were replaced by the verified copy */
	json_t *signers;              /* which roles were satisfied by which keys, or NULL (unsigned) */
	json_t *custody;              /* the custody records checked, or NULL when the bundle has none */
};

struct al_import_opts {
	const struct al_trust *trust; /* overrides the store's policy for this import, or NULL */
	int allow_unsigned;           /* only for a store without a policy; recorded in the catalog */
	int64_t now;                  /* for expiry and max_age */
	/* read the bundle as a tar from this stream (standard input, joined media), once, instead
	 * of from the path; the path is then only its name in messages and the catalog. A stream
	 * cannot be measured first: a full disk stops it with an error and installs nothing. */
	const struct al_tar_source *stream;
};
/* Releases what a result holds and zeroes it; safe on a zeroed result and after any outcome. */
void al_import_result_release(struct al_import_result *r);

/*
 * Verifies a bundle, checks its signatures against the trust policy (the
 * store's, or opts->trust), its expiry and version, and installs it
 * atomically. Blobs the store already holds are re-hashed and, when they
 * no longer match, replaced by the verified copy (also when the same bundle
 * was already imported: AL_ALREADY then still repairs). A bundle that fails
 * verification is moved to quarantine/ with a REASON file and AL_EVERIFY is
 * returned; the same name and version with other content is AL_ECONFLICT; a
 * version below the highest imported for that name is AL_ECONFLICT.
 * Ownership: *res is always filled (zeroed first), whatever the outcome, and the caller
 * releases it with al_import_result_release in every case; opts and bundle are borrowed.
 */
enum al_code al_store_import(struct al_store *s, const char *bundle, const struct al_import_opts *opts,
			     struct al_progress *prog, struct al_import_result *res, struct al_err *err);

/* What `airlock serve --push-token-file` received: not from a signed bundle. All borrowed. */
struct al_push {
	const char *repo;       /* the repository it was pushed to */
	const char *digest;     /* sha256:<hex>, verified by the caller against TMP's bytes */
	const char *media_type;
	const char *tag;        /* a manifest's tag, or NULL */
	uint64_t size;
};
/*
 * Commits a push: under the store's writer lock (waited for up to WAIT
 * seconds, as every writer does), moves TMP — fully written, fsynced and
 * verified by the caller — into blobs/ as P->digest, fsyncs blobs/, and records
 * the blob, the push and the tag in one catalog transaction. On a catalog
 * failure the blob stays, unreferenced, for gc. The only way serve writes.
 */
enum al_code al_store_push_commit(const char *root, const char *tmp, const struct al_push *p, unsigned wait,
				  struct al_err *err);

/*
 * The store's trust policy: set (from a parsed policy; T borrowed), or read (AL_ENOENT when
 * none). al_store_trust_get zeroes *t first and the caller releases it with
 * al_trust_release in every case; TEXT, when given, gets the policy's text appended.
 */
enum al_code al_store_trust_set(struct al_store *s, const struct al_trust *t, struct al_err *err);
enum al_code al_store_trust_get(struct al_store *s, struct al_trust *t, struct al_buf *text,
				struct al_err *err);

/* What the store holds, as JSON: {"bundles":[…], "artifacts":[…], "events":[…]}. On success
 * *out is a new reference (the caller's); on error it is NULL. */
enum al_code al_store_list(struct al_store *s, json_t **out, struct al_err *err);
/* What the store holds, digests and sizes only, for a differential bundle's --base (base.h):
 * {"airlock_inventory": 1, "created", "blobs": [{"digest", "size"}…]}. New reference. */
enum al_code al_store_inventory(struct al_store *s, int64_t now, json_t **out, struct al_err *err);

/*
 * Every distinct artifact of the store (one per kind, name and digest, the first imported),
 * oldest first, as a JSON array (new reference in *out; NULL on error) of {id, kind, name,
 * upstream, mediaType, digest, size, revision, filename, blobs: [{digest, mediaType, size}]}:
 * what `airlock push` copies. Read in one transaction; a blob the catalog names but does
 * not record is an error (AL_ESTORE), never a blob left out.
 */
enum al_code al_store_contents(struct al_store *s, json_t **out, struct al_err *err);
/*
 * The items of CONTENTS (al_store_contents) that PATTERNS (fnmatch(3), NULL-terminated; NULL:
 * all) select by NAME or KIND/NAME, in order: *out a new array. A pattern that selects
 * nothing, or nothing at all selected, is AL_ENOENT ("… no artifact WHAT").
 */
enum al_code al_store_select(const json_t *contents, char *const *patterns, const char *what, json_t **out,
			     struct al_err *err);

struct al_fsck_result {
	struct al_report report;      /* corruption: exit 1 when any */
	size_t blobs, unreferenced, stale_tmp;
	uint64_t bytes;
};
/* Re-hashes every blob and cross-checks blobs and catalog. *res is zeroed first; its report is
 * the caller's to release with al_report_release in every case. */
enum al_code al_store_fsck(struct al_store *s, struct al_progress *prog, struct al_fsck_result *res,
			   struct al_err *err);
/* Removes the files in ROOT/uploads (blobs pushed to `airlock serve` but never finished)
 * last written before BEFORE (epoch seconds); returns how many. */
size_t al_store_sweep_uploads(const char *root, int64_t before);
/* Removes blobs no bundle references, stale staging directories and uploads idle for an hour. */
enum al_code al_store_gc(struct al_store *s, size_t *removed, uint64_t *bytes, struct al_err *err);
/* Removes every rejected bundle kept in ROOT/quarantine/ (writer lock held); *removed counts them. */
enum al_code al_store_quarantine_clear(struct al_store *s, size_t *removed, struct al_err *err);

/*
 * Releases and channels (release.c, docs/cmd/release.md). A release is a named set of
 * installed artifacts, pinned by their catalog rows (and so by digest), taken from imported
 * bundles; it never changes. A channel ("candidate", "production", any name) is a history of
 * promotions and rollbacks: promotions push a release, a rollback pops back to the one
 * below, and the top is the channel's release. Writers hold the writer lock.
 */
struct al_release_opts {
	const char *name;          /* the release's name */
	const char *const *from;   /* NFROM bundles as "NAME@VERSION" */
	size_t nfrom;
	char *const *patterns;     /* NULL-terminated fnmatch(3) patterns on NAME or KIND/NAME; NULL: all */
	const char *actor;         /* who (recorded) */
	int64_t now;
};
/* Creates the release: *out {release, digest, artifacts}. A name already used is AL_ECONFLICT,
 * as is one kind and name with two digests; a bundle not imported is AL_ENOENT. */
enum al_code al_release_create(struct al_store *s, const struct al_release_opts *o, json_t **out, struct al_err *err);
/* Every release ({name, created, actor, sources, digest, artifacts, channels}) and every channel's
 * current release: *out {store, releases, channels}. */
enum al_code al_release_list(struct al_store *s, json_t **out, struct al_err *err);
/* One release with its artifacts and the bundles it draws from; unknown: AL_ENOENT. */
enum al_code al_release_show(struct al_store *s, const char *name, json_t **out, struct al_err *err);
struct al_promote_opts {
	const char *release;       /* promote: the release */
	const char *channel;
	const char *actor, *reason; /* recorded */
	int64_t now;
	const char *eval_golden;   /* promote: gate on the eval runs of this golden set ("sha256:…"), or NULL */
	double tolerance;          /* how far below the channel's release's score the candidate may be */
};
/*
 * Promotes o->release to o->channel when every gate passes: for each bundle it draws from,
 * approvals (signed, not imported with --allow-unsigned), expiry (not expired at o->now) and
 * its attached scan (a verdict other than fail, and what the store's policy requires); with
 * o->eval_golden, the eval gate: the newest complete run of the release on that golden set
 * scores at least the channel's current release's newest one minus o->tolerance (either run
 * missing fails it; a channel with no release yet has nothing to regress from).
 * *out {channel, release, previous, gates}; a failed gate is AL_EVERIFY naming each, with
 * *out still set so the gates can be shown.
 */
enum al_code al_release_promote(struct al_store *s, const struct al_promote_opts *o, json_t **out, struct al_err *err);
/* Returns o->channel to the release below its current one, recorded: *out {channel, release, from}.
 * A channel with no earlier release is AL_ENOENT. */
enum al_code al_release_rollback(struct al_store *s, const struct al_promote_opts *o, json_t **out, struct al_err *err);
/* A channel: *out {channel, release (or null), stack (oldest first), history (newest first)}. */
enum al_code al_release_channel(struct al_store *s, const char *channel, json_t **out, struct al_err *err);
/* NAME as a channel with a release (that release) or else a release: into out (cap bytes). */
enum al_code al_release_resolve(struct al_store *s, const char *name, char *out, size_t cap, struct al_err *err);

/*
 * Eval runs in the catalog (evaldb.c, docs/cmd/eval.md). A run names the release it measured
 * ('' for none) and its golden set by digest; every pair's score, latency, error and answer
 * is kept. Writers hold the writer lock.
 */
struct al_golden;
struct al_eval_run;
struct al_eval_record {
	const char *release, *model, *endpoint, *actor;
	const struct al_golden *golden;
	const struct al_eval_run *run;
};
enum al_code al_eval_record(struct al_store *s, const struct al_eval_record *r, int64_t *id, struct al_err *err);
/* The newest run of RELEASE on the golden set GOLDEN without errors: *found, and then *score and *id. */
enum al_code al_eval_latest(struct al_store *s, const char *release, const char *golden, double *score, int64_t *id,
			    int *found, struct al_err *err);
/* Runs (of RELEASE, or all), newest first, at most LIMIT (0: all), with each run's pairs when
 * PAIRS: *out {store, runs}. */
enum al_code al_eval_list(struct al_store *s, const char *release, size_t limit, int pairs, json_t **out,
			  struct al_err *err);

/*
 * The published release cycle (cadence.c): every EVERY ("quarter", "month", or "Nd"/"Nw" of
 * at least 7 days) from the first release day FROM; each cycle has a candidate cut-off
 * (REVIEW + FREEZE days before its release), a security review until the freeze, a freeze of
 * FREEZE days, a drill DRILL days before the release, and the release.
 */
struct al_cadence {
	char every[16];
	unsigned every_days;  /* for "Nd"/"Nw" */
	int64_t from;         /* the first release day, midnight UTC */
	unsigned review_days, freeze_days, drill_days, cycles;
};
struct al_cycle {
	char name[32];        /* YYYY-Qn, YYYY-MM or YYYY-MM-DD of its release */
	int64_t cutoff, freeze, drill, release; /* days, midnight UTC */
};
/* Parses the options of `release schedule` (REVIEW, FREEZE, DRILL may be NULL: 7d, 14d, 3d). */
enum al_code al_cadence_parse(const char *every, const char *from, const char *review, const char *freeze,
			      const char *drill, unsigned cycles, struct al_cadence *c, struct al_err *err);
/* Cycle I (0: the first). */
void al_cadence_cycle(const struct al_cadence *c, unsigned i, struct al_cycle *out);
/* T's day as YYYY-MM-DD. */
void al_cadence_day(int64_t t, char out[11]);
/* Where NOW falls in the cycle, as a sentence. */
void al_cadence_where(const struct al_cadence *c, int64_t now, char *out, size_t cap);
/* The cycles as an iCalendar file (RFC 5545), all-day events, the same bytes for the same cadence. */
enum al_code al_cadence_ics(const struct al_cadence *c, struct al_buf *b, struct al_err *err);
/* The store's cadence: set (writer), get (*found 0 when none was set). */
enum al_code al_store_cadence_set(struct al_store *s, const struct al_cadence *c, struct al_err *err);
enum al_code al_store_cadence_get(struct al_store *s, struct al_cadence *c, int *found, struct al_err *err);

/* `airlock deploy render` (deploy.c, docs/cmd/deploy.md). */
enum {
	AL_RENDER_ENV = 1 << 0, AL_RENDER_PIP = 1 << 1, AL_RENDER_IMAGES = 1 << 2, AL_RENDER_SYSTEMD = 1 << 3,
	AL_RENDER_COMPOSE = 1 << 4, AL_RENDER_K8S = 1 << 5
};
struct al_render_opts {
	const char *release;  /* a channel (its release) or a release */
	const char *endpoint; /* the inside airlock serve: http(s)://HOST:PORT */
	const char *registry; /* the registry `airlock push` fed (HOST[/NAMESPACE]), or NULL */
	const char *outdir;
	unsigned targets;     /* AL_RENDER_* */
	/* the model server (systemd, compose, k8s) */
	const char *model;    /* a model of the release; NULL: its only one */
	const char *image;    /* an image of the release to run it; NULL: its only one (compose, k8s) */
	const char *command;  /* the server program for systemd; NULL: /usr/local/bin/vllm */
	unsigned port;        /* 0: 8000 */
};
/* Writes the TARGETS' files into OUTDIR (made): airlock.env and models.lock; pip.conf and
 * requirements.lock; images.json; airlock-model-server.service; docker-compose.yml;
 * model-server.k8s.yaml. *out {release, digest, files}. The same bytes each time. */
enum al_code al_deploy_render(struct al_store *s, const struct al_render_opts *o, json_t **out, struct al_err *err);

/* A scratch copy of the store S (opened for reading) in DIR (made; it must not hold a store):
 * the catalog through SQLite's backup, the blobs hard linked or copied. S is only read. */
enum al_code al_store_scratch(struct al_store *s, const char *dir, struct al_err *err);

#endif
