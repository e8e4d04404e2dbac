/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import.c: import = stage (copy while hashing) → check (the bundle, its
 * signatures against the trust policy, its custody, its expiry) → decide
 * (already here, a conflict, a rollback) → rename blobs into place → fsync →
 * one catalog transaction. Rejects go to quarantine/ with a REASON and are
 * never served. Never prints.
 */
#include "store_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <openssl/rand.h>

#include "custody.h"
#include "fsx.h"
#include "json.h"
#include "pypi.h"

void al_import_result_release(struct al_import_result *r)
{
	al_bundle_info_release(&r->info);
	json_decref(r->signers);
	json_decref(r->custody);
	al_report_release(&r->report);
	free(r->quarantine);
	memset(r, 0, sizeof(*r));
}

static enum al_code quarantine(struct al_store *s, const char *bundle, const char *stage,
			       struct al_import_result *res, struct al_err *err)
{
	unsigned char r[3];
	char now[32], *base, *dest, *reason;
	const char *b = strrchr(bundle, '/');
	struct al_buf text;
	enum al_code rc = AL_OK;
	size_t n;
	b = b && b[1] ? b + 1 : bundle;
	al_store_stamp(now);
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	base = strdup(b);
	if (!base)
		return al_fail(err, AL_ENOMEM, "out of memory");
	n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		base[--n] = '\0';
	for (char *p = base; *p; p++)
		if (*p == '/' || *p == ':' || (unsigned char)*p < 0x20)
			*p = '_';
	dest = al_strf("%s/quarantine/%s-%s-%02x%02x%02x", s->root, base, now, r[0], r[1], r[2]);
	free(base);
	if (!dest)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (rename(stage, dest) != 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot move the rejected bundle to '%s'", dest);
		free(dest);
		return rc;
	}
	al_buf_init(&text, 1u << 20);
	al_buf_addf(&text, NULL, "bundle: %s\nrejected: %s\nproblems:\n", bundle, now);
	for (size_t i = 0; i < res->report.n; i++)
		al_buf_addf(&text, NULL, "  %s\n", res->report.msg[i]);
	if (res->report.dropped)
		al_buf_addf(&text, NULL, "  … and %zu more\n", res->report.dropped);
	reason = al_join(dest, "REASON");
	if (!reason)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (!(rc = al_buf_check(&text, err)))
		rc = al_write_atomic(reason, text.data ? text.data : "", text.len, err);
	free(reason);
	al_buf_release(&text);
	res->quarantine = dest;
	return rc;
}

/* The bundle's own row; *bid the id it was given. */
static enum al_code add_bundle_row(struct al_store *s, const char *source, const struct al_bview *v,
				   const struct al_bundle_info *info, const json_t *signers, const char *override,
				   sqlite3_int64 *bid, struct al_err *err)
{
	sqlite3_stmt *st = NULL;
	char now[32], created[32], expires[32];
	const struct al_bfile *meta = al_bview_find(v, "airlock.json");
	char *who = NULL;
	enum al_code rc;
	al_store_stamp(now);
	al_time_fmt(info->created, created);
	al_time_fmt(info->expires, expires);
	if (signers && !(who = json_dumps(signers, JSON_COMPACT)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = al_store_prepare(s, AL_SQL_ADD_BUNDLE, &st, err))) {
		free(who);
		return rc;
	}
	sqlite3_bind_text(st, 1, info->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, info->version);
	sqlite3_bind_text(st, 3, info->sums_digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, meta ? meta->digest : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, expires, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)v->n);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)v->bytes);
	sqlite3_bind_text(st, 11, who ? who : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 12, signers ? 0 : 1);
	sqlite3_bind_text(st, 13, override ? override : "", -1, SQLITE_STATIC);
	rc = al_db_run(st, "recording the bundle", err);
	sqlite3_finalize(st);
	free(who);
	if (!rc)
		*bid = sqlite3_last_insert_rowid(s->db);
	return rc;
}

/* A row for every file of the bundle: the blob (once per digest) and the bundle's reference to it. */
static enum al_code add_files(struct al_store *s, const struct al_bview *v, sqlite3_int64 bid, struct al_err *err)
{
	sqlite3_stmt *blob = NULL, *ref = NULL;
	enum al_code rc;
	if (!(rc = al_store_prepare(s, AL_SQL_ADD_BLOB, &blob, err)))
		rc = al_store_prepare(s, AL_SQL_ADD_REF, &ref, err);
	for (size_t i = 0; i < v->n && !rc; i++) {
		sqlite3_bind_text(blob, 1, v->files[i].digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(blob, 2, (sqlite3_int64)v->files[i].size);
		if ((rc = al_db_run(blob, "recording a blob", err)))
			break;
		sqlite3_bind_int64(ref, 1, bid);
		sqlite3_bind_text(ref, 2, v->files[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(ref, 3, v->files[i].digest, -1, SQLITE_STATIC);
		rc = al_db_run(ref, "recording a file of the bundle", err);
	}
	sqlite3_finalize(blob);
	sqlite3_finalize(ref);
	return rc;
}

/* One artifact's row: its metadata as JSON text, and the sum of its blobs' sizes (what it serves). */
static enum al_code add_artifact_row(sqlite3_stmt *st, sqlite3_int64 bid, const struct al_bundle_info *info,
				     size_t i, struct al_err *err)
{
	const struct al_artifact *a = &info->artifacts[i];
	uint64_t content = 0;
	char *js = json_dumps(a->info, JSON_COMPACT);
	enum al_code rc;
	if (!js)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t k = 0; k < info->nblobs; k++)
		if (info->blobs[k].artifact == i)
			content += info->blobs[k].size;
	sqlite3_bind_int64(st, 1, bid);
	sqlite3_bind_text(st, 2, al_kind_name(a->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->upstream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->media_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)a->size);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)content);
	sqlite3_bind_text(st, 10, js, -1, SQLITE_STATIC);
	rc = al_db_run(st, "recording an artifact", err);
	free(js);
	return rc;
}

/* The artifacts, and which blob belongs to which artifact with what media type. */
static enum al_code add_artifacts(struct al_store *s, const struct al_bundle_info *info, sqlite3_int64 bid,
				  struct al_err *err)
{
	sqlite3_stmt *art = NULL, *link = NULL;
	sqlite3_int64 *aids = calloc(info->nartifacts + 1, sizeof(*aids));
	enum al_code rc;
	if (!aids)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!(rc = al_store_prepare(s, AL_SQL_ADD_ARTIFACT, &art, err)))
		rc = al_store_prepare(s, AL_SQL_ADD_ARTIFACT_BLOB, &link, err);
	for (size_t i = 0; i < info->nartifacts && !rc; i++) {
		rc = add_artifact_row(art, bid, info, i, err);
		aids[i] = sqlite3_last_insert_rowid(s->db);
	}
	for (size_t k = 0; k < info->nblobs && !rc; k++) {
		sqlite3_bind_int64(link, 1, aids[info->blobs[k].artifact]);
		sqlite3_bind_text(link, 2, info->blobs[k].digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(link, 3, info->blobs[k].media_type, -1, SQLITE_STATIC);
		rc = al_db_run(link, "recording an artifact's blob", err);
	}
	sqlite3_finalize(art);
	sqlite3_finalize(link);
	free(aids);
	return rc;
}

/* Catalog rows for one verified, installed bundle; the caller holds the transaction. */
static enum al_code catalog_add(struct al_store *s, const char *source, const struct al_bview *v,
				const struct al_bundle_info *info, const json_t *signers, const char *override,
				sqlite3_int64 *bid, struct al_err *err)
{
	enum al_code rc = add_bundle_row(s, source, v, info, signers, override, bid, err);
	if (!rc)
		rc = add_files(s, v, *bid, err);
	if (!rc)
		rc = add_artifacts(s, info, *bid, err);
	return rc;
}

/* The bundle's custody records, for the bundle just inserted (same transaction). */
static enum al_code custody_add(struct al_store *s, sqlite3_int64 bid, const json_t *records,
				struct al_err *err)
{
	sqlite3_stmt *st;
	size_t i;
	json_t *r;
	enum al_code rc = AL_OK;
	if ((rc = al_store_prepare(s, AL_SQL_ADD_CUSTODY, &st, err)))
		return rc;
	json_array_foreach(records, i, r) {
		char *js = json_dumps(r, JSON_COMPACT);
		if (!js) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		sqlite3_bind_int64(st, 1, bid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)json_integer_value(json_object_get(r, "seq")));
		sqlite3_bind_text(st, 3, al_json_str(r, "time") ? al_json_str(r, "time") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, al_json_str(r, "event") ? al_json_str(r, "event") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, al_json_str(r, "actor") ? al_json_str(r, "actor") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, al_json_str(r, "key") ? al_json_str(r, "key") : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, js, -1, SQLITE_TRANSIENT);
		free(js);
		if ((rc = al_db_run(st, "recording a custody record", err)))
			break;
	}
	/* the store's own records, after the carried chain: kept in the catalog, not signed */
	for (int k = 0; k < 2 && !rc; k++) {
		static const char *const ev[] = { "received", "verified" };
		char now[32], js[160];
		al_store_stamp(now);
		snprintf(js, sizeof(js), "{\"event\":\"%s\",\"actor\":\"airlock import\",\"time\":\"%s\"}", ev[k], now);
		sqlite3_bind_int64(st, 1, bid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(json_array_size(records) + 1 + (size_t)k));
		sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, ev[k], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, "airlock import", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, js, -1, SQLITE_TRANSIENT);
		rc = al_db_run(st, "recording the store's custody record", err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Has this name and version been imported? 1 same content, 2 other content, 0 no; *maxv the highest version. */
static enum al_code lookup(struct al_store *s, const struct al_bundle_info *info, int *found,
			   int64_t *maxv, struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc;
	int row = 0;
	*found = 0;
	*maxv = 0;
	if ((rc = al_store_prepare(s, AL_SQL_VERSIONS_OF, &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, info->name, -1, SQLITE_STATIC);
	while (!(rc = al_db_step(st, "looking up the versions imported", &row, err)) && row) {
		int64_t ver = sqlite3_column_int64(st, 0);
		const char *d = (const char *)sqlite3_column_text(st, 1);
		if (ver > *maxv)
			*maxv = ver;
		if (ver == info->version)
			*found = d && !strcmp(d, info->sums_digest) ? 1 : 2;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Is the blob at PATH whole: a regular file (no symlink followed) whose bytes hash to HEX? */
static int blob_intact(const char *path, const char *hex)
{
	unsigned char d[AL_DIGEST_LEN];
	char got[AL_HEX_LEN + 1];
	uint64_t size = 0;
	if (al_hash_file(path, d, &size, NULL, NULL))
		return 0; /* missing, a link, unreadable: not a copy to keep */
	al_hex(d, got);
	return !strcmp(got, hex);
}

/*
 * Moves every staged file into blobs/ under its digest. A blob already there
 * is re-hashed before its verified staged copy is thrown away: a blob that
 * rotted, went missing or became something else is replaced by the staged
 * copy (counted in *repaired), so the next import that carries a blob heals it.
 */
static enum al_code install_blobs(struct al_store *s, const struct al_bview *v, size_t *added, size_t *repaired,
				  struct al_err *err)
{
	char *blobs = al_join(s->root, "blobs/sha256");
	enum al_code rc = AL_OK;
	if (!blobs)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; i < v->n && !rc; i++) {
		char *from = al_join(v->root, v->files[i].path);
		char *to = al_strf("%s/%s", blobs, v->files[i].digest + 7);
		struct stat st;
		int existed = 0;
		if (!from || !to)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if ((existed = lstat(to, &st) == 0) && blob_intact(to, v->files[i].digest + 7))
			; /* content-addressed, and re-hashed: already here */
		else if (rename(from, to) != 0)
			rc = al_fail_errno(err, AL_EIO, "cannot move '%s' into the store", from);
		else if (existed)
			(*repaired)++;
		else
			(*added)++;
		free(from);
		free(to);
		if (!rc && i == v->n / 2)
			al_store_fault("mid-blobs");
	}
	if (!rc)
		rc = al_fsync_dir(blobs, err);
	free(blobs);
	return rc;
}

/*
 * A differential bundle takes some blobs from what the store holds (base.json): each must
 * be here and hash to its name, or nothing is installed; the error names every one missing.
 */
static enum al_code check_base_blobs(struct al_store *s, const struct al_bundle_info *info, struct al_err *err)
{
	struct al_buf missing;
	size_t n = 0;
	enum al_code rc = AL_OK;
	if (!info->nbase)
		return AL_OK;
	al_buf_init(&missing, 1u << 16);
	for (size_t i = 0; i < info->nblobs && !rc; i++) {
		const struct al_blobref *b = &info->blobs[i];
		char *path;
		int dup = 0;
		if (!b->from_base)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = info->blobs[k].from_base && !strcmp(info->blobs[k].digest, b->digest);
		if (dup)
			continue;
		if (!(path = al_strf("%s/blobs/sha256/%s", s->root, b->digest + 7)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (!blob_intact(path, b->digest + 7) && ++n <= 20)
			rc = al_buf_addf(&missing, err, "%s%s", n > 1 ? ", " : "", b->digest);
		free(path);
	}
	if (!rc && n)
		rc = al_fail(err, AL_ENOENT,
			     "bundle '%s' version %lld is differential: the store lacks %zu of the %zu blobs it takes "
			     "from its base (%s%s); import the bundle it was made against first",
			     info->name, (long long)info->version, n, info->nbase, missing.data ? missing.data : "",
			     n > 20 ? ", …" : "");
	al_buf_release(&missing);
	return rc;
}

/*
 * A bundle inside the store (tmp/, quarantine/, blobs/, reached through any
 * symlink) is refused before anything is cleaned: tmp/ is emptied by every
 * writer and a bundle there would be deleted, and nothing else in the store is
 * an input. A path that does not resolve is left to the import to report.
 */
static enum al_code refuse_inside(struct al_store *s, const char *bundle, struct al_err *err)
{
	char *b = realpath(bundle, NULL), *r = realpath(s->root, NULL);
	enum al_code rc = AL_OK;
	size_t n = r ? strlen(r) : 0;
	if (!r)
		rc = al_fail_errno(err, AL_ESTORE, "cannot resolve store '%s'", s->root);
	else if (b && !strncmp(b, r, n) && (b[n] == '/' || b[n] == '\0' || (n == 1 && r[0] == '/')))
		rc = al_fail(err, AL_EINVAL,
			     "bundle '%s' is inside store '%s' ('%s'): nothing was imported or cleaned (move it out of the store, then import it)",
			     bundle, s->root, b);
	free(b);
	free(r);
	return rc;
}

/* Per staged file: its directory entry, inode and the last partial block, counted generously. */
enum { STAGE_OVERHEAD = 8192, STAGE_RESERVE = 16u << 20 };

static _Thread_local uint64_t walk_bytes;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_NS || type == FTW_DNR)
		return -1;
	/* the apparent size: a sparse file is copied whole, holes and all */
	walk_bytes += (type == FTW_F && S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0) + STAGE_OVERHEAD;
	return 0;
}

/* What staging BUNDLE will write: the sum of the apparent sizes of its files (tar: of its members). */
static enum al_code staged_size(const char *bundle, uint64_t *need, struct al_err *err)
{
	struct stat st;
	*need = 0;
	if (stat(bundle, &st) != 0)
		return AL_OK; /* staging reports a missing bundle */
	if (S_ISDIR(st.st_mode)) {
		walk_bytes = 0;
		if (nftw(bundle, walk_one, 32, FTW_PHYS) != 0)
			return al_fail_errno(err, AL_EIO, "cannot measure bundle '%s'", bundle);
		*need = walk_bytes;
		return AL_OK;
	}
	*need = (uint64_t)st.st_size;
	if (S_ISREG(st.st_mode)) {
		/* a tar member's size is what it expands to (a sparse member too); a damaged tar is reported by staging */
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		uint64_t sum = 0;
		if (!a)
			return al_fail(err, AL_ENOMEM, "out of memory");
		archive_read_support_format_tar(a);
		if (archive_read_open_filename(a, bundle, 1u << 20) == ARCHIVE_OK)
			while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
				int64_t n = archive_entry_size(e);
				sum += (n > 0 ? (uint64_t)n : 0) + STAGE_OVERHEAD;
				if (archive_read_data_skip(a) != ARCHIVE_OK)
					break;
			}
		archive_read_free(a);
		if (sum > *need)
			*need = sum;
	}
	return AL_OK;
}

/*
 * Quarantine is bounded by the room there is: staging (which becomes the
 * quarantined copy when the bundle is rejected) writes every byte of every
 * file, so the bundle is measured first, sparse files at their apparent size,
 * and refused before a byte is copied when the store's file system lacks room.
 */
static enum al_code check_room(struct al_store *s, const char *bundle, struct al_err *err)
{
	struct statvfs vfs;
	uint64_t need = 0, avail;
	char *tmp = al_join(s->root, "tmp");
	enum al_code rc;
	if (!tmp)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (statvfs(tmp, &vfs) != 0) {
		rc = al_fail_errno(err, AL_ESTORE, "cannot read the free space of '%s'", tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	if ((rc = staged_size(bundle, &need, err)))
		return rc;
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	if (need > UINT64_MAX - STAGE_RESERVE || need + STAGE_RESERVE > avail)
		return al_fail(err, AL_ELIMIT,
			       "bundle '%s' needs %llu bytes in store '%s', which has %llu free: refused before anything was copied (make room; sparse files count at their full size)",
			       bundle, (unsigned long long)need, s->root, (unsigned long long)avail);
	return AL_OK;
}

/*
 * Before a byte is copied: the bundle is not inside the store, tmp/ is empty,
 * there is room; the progress total. A stream has none of these to check.
 */
static enum al_code import_prepare(struct al_store *s, const char *bundle, const struct al_import_opts *opts,
				   struct al_progress *prog, struct al_err *err)
{
	uint64_t total = 0;
	enum al_code rc;
	if (opts->stream)
		return al_store_clean_tmp(s, NULL, err);
	if ((rc = refuse_inside(s, bundle, err)) || (rc = al_store_clean_tmp(s, NULL, err)) ||
	    (rc = check_room(s, bundle, err)))
		return rc;
	if (!prog)
		return AL_OK;
	if ((rc = al_bundle_measure(bundle, &total, err)))
		return rc;
	atomic_store(&prog->total, total);
	return AL_OK;
}

/*
 * The policy this import is checked against: OPTS->trust, else the store's
 * (read into *STORED, which the caller releases), else none, which only
 * --allow-unsigned accepts. *POLICY is NULL for an unsigned import.
 */
static enum al_code import_policy(struct al_store *s, const struct al_import_opts *opts, struct al_trust *stored,
				  const struct al_trust **policy, struct al_err *err)
{
	enum al_code rc;
	*policy = opts->trust;
	if (!*policy) {
		rc = al_store_trust_get(s, stored, NULL, err);
		if (rc == AL_ENOENT) {
			al_err_clear(err);
			if (!opts->allow_unsigned)
				return al_fail(err, AL_EVERIFY,
					       "store '%s' has no trust policy, so no signature can be checked: set one with 'airlock store trust set' (or 'airlock init --trust'), give '--trust FILE', or import unsigned with '--allow-unsigned' (recorded)",
					       s->root);
		} else if (rc) {
			return rc;
		} else {
			*policy = stored;
		}
	}
	if (*policy && opts->allow_unsigned)
		return al_fail(err, AL_EUSAGE, "'--allow-unsigned' is refused: a trust policy applies to this import");
	return AL_OK;
}

/* The custody chain, when the bundle carries one, must be unbroken and end as POLICY requires. */
static enum al_code check_custody(struct al_bview *v, const struct al_trust *policy, struct al_import_result *res,
				  struct al_err *err)
{
	const struct al_bfile *cl = al_bview_find(v, "custody.log");
	struct al_buf b;
	enum al_code rc;
	if (!cl)
		return AL_OK;
	al_buf_init(&b, AL_MAX_SUMS);
	rc = v->read(v, cl, &b, err);
	if (!rc)
		rc = al_custody_check(b.data, b.len, res->info.sums_digest, policy ? policy->custody : NULL,
				      policy ? policy->ncustody : 0, &res->report, &res->custody, err);
	al_buf_release(&b);
	return rc;
}

/*
 * Checks the staged bundle: its format, its signatures against POLICY, its
 * custody, and (for an unsigned import, where no policy judges it) its
 * expiry. What is wrong with the bundle goes to the report, which makes a
 * rejection; an error underneath (a read, memory) is returned.
 */
static enum al_code check_staged(struct al_bview *v, const struct al_trust *policy,
				 const struct al_import_opts *opts, struct al_import_result *res, struct al_err *err)
{
	enum al_code c = al_bundle_check(v, &res->report, &res->info, err), rc;
	if (c)
		return c == AL_EVERIFY ? AL_OK : c;
	if (policy && (rc = al_trust_check(v, &res->info, policy, opts->now, &res->report, &res->signers, err)))
		return rc;
	if ((rc = check_custody(v, policy, res, err)))
		return rc;
	if (!policy && res->info.expires <= opts->now) {
		char when[32];
		al_time_fmt(res->info.expires, when);
		al_report_add(&res->report, "bundle '%s' version %lld expired on %s", res->info.name,
			      (long long)res->info.version, when);
	}
	return AL_OK;
}

/* A bundle with problems: moved to quarantine with its reasons, the refusal logged; always an error. */
static enum al_code reject(struct al_store *s, const char *bundle, const char *stage, struct al_import_result *res,
			   struct al_err *err)
{
	enum al_code rc;
	size_t n = al_report_count(&res->report);
	res->status = AL_REJECTED;
	al_err_clear(err);
	rc = quarantine(s, bundle, stage, res, err);
	/* the answer is already a refusal; a failure to record it does not change it */
	al_store_log_event(s, "import", bundle, "rejected", res->report.n ? res->report.msg[0] : "", NULL);
	if (rc)
		return rc;
	return al_fail(err, AL_EVERIFY, "bundle '%s' failed verification (%zu problem%s); it was moved to '%s'", bundle,
		       n, n == 1 ? "" : "s", res->quarantine);
}

/*
 * Name and version against what the store holds: *AGAIN when this very
 * bundle was imported before; other content under the same version, or a
 * version below the highest imported, is refused (AL_ECONFLICT, logged).
 */
static enum al_code check_version(struct al_store *s, const char *bundle, struct al_import_result *res, int *again,
				  struct al_err *err)
{
	int found = 0;
	int64_t maxv = 0;
	enum al_code rc;
	*again = 0;
	if ((rc = lookup(s, &res->info, &found, &maxv, err)))
		return rc;
	if (found == 1) {
		*again = 1;
		return AL_OK;
	}
	if (found == 2)
		rc = al_fail(err, AL_ECONFLICT,
			     "bundle '%s' version %lld is already imported with different content; a new bundle needs a higher version",
			     res->info.name, (long long)res->info.version);
	else if (res->info.version < maxv)
		rc = al_fail(err, AL_ECONFLICT,
			     "bundle '%s' version %lld is older than version %lld already imported (rollback refused; roll back a release instead)",
			     res->info.name, (long long)res->info.version, (long long)maxv);
	if (rc)
		al_store_log_event(s, "import", bundle, "refused", err->msg, NULL);
	return rc;
}

/* The same bundle again: nothing new to record, but its verified copy still repairs what rotted since. */
static enum al_code import_again(struct al_store *s, const char *bundle, const struct al_bview *v,
				 struct al_import_result *res, struct al_err *err)
{
	char detail[128];
	enum al_code rc;
	if ((rc = install_blobs(s, v, &res->new_blobs, &res->repaired, err)))
		return rc;
	res->repaired += res->new_blobs; /* a blob the catalog names that had gone */
	res->new_blobs = 0;
	if (res->repaired) {
		snprintf(detail, sizeof(detail), "%s version %lld: %zu blobs repaired", res->info.name,
			 (long long)res->info.version, res->repaired);
		if ((rc = al_store_log_event(s, "import", bundle, "repaired", detail, err)))
			return rc;
	}
	res->status = AL_ALREADY;
	return AL_OK;
}

/*
 * Installs a new bundle: its blobs renamed into place and fsynced, then every
 * catalog row in one transaction (the bundle, its files and artifacts, its
 * custody, the index pages, the event), rolled back whole on any failure. An
 * import checked against --trust instead of the store's policy is recorded
 * with that policy.
 */
static enum al_code import_new(struct al_store *s, const char *bundle, const struct al_bview *v,
			       const struct al_import_opts *opts, struct al_import_result *res, struct al_err *err)
{
	struct al_buf override;
	sqlite3_int64 bid = 0;
	char detail[128];
	enum al_code rc;
	al_buf_init(&override, 1u << 20);
	if ((rc = install_blobs(s, v, &res->new_blobs, &res->repaired, err)))
		goto out;
	if (opts->trust && ((rc = al_trust_format(opts->trust, &override, err)) || (rc = al_buf_check(&override, err))))
		goto out;
	al_store_fault("before-commit");
	if ((rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err)))
		goto out;
	snprintf(detail, sizeof(detail), "%s version %lld%s", res->info.name, (long long)res->info.version,
		 opts->trust ? " (checked against --trust, not the store's policy)" : "");
	if ((rc = catalog_add(s, bundle, v, &res->info, res->signers, override.data, &bid, err)) ||
	    (rc = custody_add(s, bid, res->custody, err)) || (rc = al_pypi_rebuild(s->db, err)) ||
	    (rc = al_store_log_event(s, "import", bundle, "imported", detail, err)) ||
	    (rc = al_store_exec_q(s, AL_SQL_COMMIT, err))) {
		al_store_rollback(s);
		goto out;
	}
	res->status = AL_IMPORTED;
	al_store_fault("after-commit");
out:
	al_buf_release(&override);
	return rc;
}

enum al_code al_store_import(struct al_store *s, const char *bundle, const struct al_import_opts *opts,
			     struct al_progress *prog, struct al_import_result *res, struct al_err *err)
{
	struct al_trust stored = { 0 };
	const struct al_trust *policy = NULL;
	unsigned char r[6];
	char *stage = NULL;
	struct al_bview v = { 0 };
	enum al_code rc;
	int again = 0;
	memset(res, 0, sizeof(*res));
	if (s->lock_fd < 0)
		AL_BUG("import needs the writer lock");
	if ((rc = import_prepare(s, bundle, opts, prog, err)) || (rc = import_policy(s, opts, &stored, &policy, err)))
		goto out;
	if (RAND_bytes(r, sizeof(r)) != 1) {
		rc = al_fail_ssl(err, "cannot make a staging name");
		goto out;
	}
	if (!(stage = al_strf("%s/tmp/import-%02x%02x%02x%02x%02x%02x", s->root, r[0], r[1], r[2], r[3], r[4], r[5]))) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	rc = opts->stream ? al_bundle_stage_stream(opts->stream, stage, &v, &res->report, prog, err)
			  : al_bundle_stage(bundle, stage, &v, &res->report, prog, err);
	res->bytes = v.bytes;
	if (rc == AL_EVERIFY)
		al_report_add(&res->report, "%s", err->msg); /* a damaged tar: keep what arrived, with the reason */
	else if (rc)
		goto out;
	al_store_fault("after-stage");
	if (!rc && (rc = check_staged(&v, policy, opts, res, err)))
		goto out;
	if (al_report_count(&res->report)) {
		rc = reject(s, bundle, stage, res, err);
		goto out;
	}
	if ((rc = check_version(s, bundle, res, &again, err)) || (rc = check_base_blobs(s, &res->info, err)))
		goto out;
	rc = again ? import_again(s, bundle, &v, res, err) : import_new(s, bundle, &v, opts, res, err);
out:
	if (stage && res->status != AL_REJECTED)
		al_rmtree(stage, NULL);
	al_bview_release(&v);
	al_trust_release(&stored);
	free(stage);
	return rc;
}


