/* SPDX-License-Identifier: Apache-2.0 */
/* sv_internal.h: helpers shared by the serve modules, not part of serve.h's story. */
#ifndef AL_SV_INTERNAL_H
#define AL_SV_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "serve.h"

/* Copies STR into the snapshot's string pool (freed with it); NULL when out of memory. */
const char *sv_keep(struct sv_snap *s, const char *str);
/* A stable sort (merge sort): equal elements keep their order. */
void sv_sort_stable(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* OCI grammar (distribution-spec): repository names, tags, digests. */
int sv_oci_name_valid(const char *name);
int sv_oci_tag_valid(const char *tag);
int sv_is_manifest_type(const char *mt);
/* A Hugging Face repo id: one or two segments of [A-Za-z0-9._-]. */
int sv_hf_repo_valid(const char *repo);

const struct sv_mfile *sv_model_file(const struct sv_model *m, const char *path);
/* Fills m->info and m->info_blobs; AL_ENOMEM on failure. */
enum al_code sv_hf_model_info(struct sv_model *m);
/* The / page, from the catalog (same read transaction as the snapshot). */
enum al_code sv_home_build(sqlite3 *db, struct sv_snap *s, struct al_err *err);

/* A JSON string (quoted, escaped) into B. */
enum al_code sv_json_str(struct al_buf *b, const char *s, struct al_err *err);

/* One byte range of a SIZE-byte body (RFC 9110 §14): NONE when the header is to be ignored
 * (another unit, several ranges), BAD when unsatisfiable or malformed (416). */
enum sv_range { SV_RANGE_NONE, SV_RANGE_OK, SV_RANGE_BAD };
enum sv_range sv_parse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len);

/* The simple API format an Accept header asks for, by q-value (PEP 691); F_NONE: 406. */
enum sv_fmt { F_NONE, F_JSON, F_HTML1, F_HTML };
enum sv_fmt sv_pypi_negotiate(const char *accept);

/* The OCI operations (oci.c parses, push.c writes). */
enum sv_oci_op {
	OP_BASE, OP_CATALOG, OP_MANIFEST, OP_BLOB, OP_UPLOAD_NEW, OP_UPLOAD, OP_TAGS, OP_REFERRERS, OP_BAD,
	OP_PUSH_CONTINUE
};
int sv_digest_ok(const char *d);
/* Writes under /v2/ (and upload status); OP_PUSH_CONTINUE for the rest of a body. */
enum MHD_Result sv_push(struct sv_req *rq, int op, const char *name, const char *ref, const char *upload,
			size_t *upload_size);
/* GET /v2/: 200, or 401 with a Basic challenge when pushing is on and the caller has no token. */
enum MHD_Result sv_push_base(struct sv_req *rq);
/* The current snapshot, with a reference the caller puts. */
struct sv_snap *sv_snap_current(struct sv_server *srv);

/* http.c: status codes, methods, framing, replies */
size_t sv_code_index(unsigned status); /* into the metrics' code table; 0 for an unlisted code */
enum sv_method sv_method_of(const char *m);
int sv_starts(const char *s, const char *prefix);
void sv_free_segs(struct sv_req *rq);
/* 1 when the request's framing is unambiguous, else 0 with a 400 (or 501) queued, or none (out of memory). */
int sv_framing_ok(struct sv_req *rq);
/* Queues R (consumed) with the request's headers; records status and bytes. */
enum MHD_Result sv_queue(struct sv_req *rq, unsigned status, struct MHD_Response *r, uint64_t len);

/* server.c: reports one line through the caller's log callback (see struct sv_opts) */
void sv_logf(struct sv_server *srv, enum sv_log_kind kind, const char *fmt, ...) AL_PRINTF(3, 4);

/* range.c: decimal digits from S to END, nothing else; a value past UINT64_MAX saturates. 0 or -1. */
int sv_parse_u64(const char *s, const char *end, uint64_t *out);

/* routes.c: the route table; routes RQ and runs its handler */
enum MHD_Result sv_dispatch(struct sv_req *rq, const char *upload, size_t *upload_size);
/* server.c: /healthz reads the catalog */
enum MHD_Result sv_healthz(struct sv_req *rq);

/* conn.c: connection tracking (see the comment there) */
int64_t sv_mono_ns(void);
int sv_tcp_counts(int fd, uint64_t *rx, uint64_t *acked);
void sv_on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx, enum MHD_ConnectionNotificationCode code);
void sv_cut_slow(struct sv_server *srv);

/* log.c: the access log line and the request metrics of an exchange that ended */
void sv_log_done(struct sv_server *srv, struct sv_req *rq, struct MHD_Connection *c,
		 enum MHD_RequestTerminationCode toe);

#endif
