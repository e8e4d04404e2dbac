/* SPDX-License-Identifier: Apache-2.0 */
/*
 * release.c: releases and channels (store.h, docs/cmd/release.md). A release pins the
 * artifact rows of imported bundles (rows are never deleted, so a pin never moves); a
 * channel is the history of its events, and what it serves is the top of the stack that
 * its promotions push and its rollbacks pop. Every change is one write transaction.
 */
#include "store_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "bundle.h"
#include "fsx.h"
#include "hash.h"
#include "json.h"
#include "trust.h"

/* Release and channel names: what a file name, a URL path and a tag can all hold. */
static enum al_code check_name(const char *what, const char *n, struct al_err *err)
{
	size_t len = strlen(n);
	if (!len || len > 64 || n[0] == '.' || n[0] == '-' || strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		return al_fail(err, AL_EUSAGE, "%s '%s': use 1 to 64 letters, digits, '.', '_' and '-', not starting with '.' or '-'",
			       what, n);
	return AL_OK;
}

/* Runs Q with text parameters P[0..n) and reads one integer column; *found says whether a row came. */
static enum al_code one_int(struct al_store *s, enum al_sql q, const char *const *p, int n, int64_t *out, int *found,
			    struct al_err *err)
{
	sqlite3_stmt *st;
	enum al_code rc = al_store_prepare(s, q, &st, err);
	*found = 0;
	for (int i = 0; !rc && i < n; i++)
		sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_STATIC);
	if (!rc && !(rc = al_db_step(st, "reading the catalog", found, err)) && *found)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

static enum al_code release_id(struct al_store *s, const char *name, int64_t *id, struct al_err *err)
{
	int found;
	enum al_code rc = one_int(s, AL_SQL_RELEASE_ID, &name, 1, id, &found, err);
	if (!rc && !found)
		rc = al_fail(err, AL_ENOENT, "store '%s' has no release '%s' (see 'airlock release ls')", s->root, name);
	return rc;
}

/* "NAME@VERSION" into its parts (NAME borrowed up to the '@', written into name). */
static enum al_code parse_from(const char *from, char *name, size_t cap, char *ver, size_t vcap, struct al_err *err)
{
	const char *at = strrchr(from, '@');
	size_t n = at ? (size_t)(at - from) : 0;
	if (!at || !n || n >= cap || !at[1] || strlen(at + 1) >= vcap || strspn(at + 1, "0123456789") != strlen(at + 1))
		return al_fail(err, AL_EUSAGE, "--from '%s': name a bundle as NAME@VERSION (see 'airlock store ls')", from);
	memcpy(name, from, n);
	name[n] = 0;
	snprintf(ver, vcap, "%s", at + 1);
	return AL_OK;
}

/* The artifacts of the bundles named by o->from, as [{id, kind, name}], in their order. */
static enum al_code candidates(struct al_store *s, const struct al_release_opts *o, json_t *out, struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (size_t i = 0; !rc && i < o->nfrom; i++) {
		char name[256], ver[24];
		const char *p[2] = { name, ver };
		int64_t id;
		int found;
		json_t *rows;
		sqlite3_stmt *st;
		if ((rc = parse_from(o->from[i], name, sizeof(name), ver, sizeof(ver), err)) ||
		    (rc = one_int(s, AL_SQL_BUNDLE_ID, p, 2, &id, &found, err)))
			break;
		if (!found) {
			rc = al_fail(err, AL_ENOENT, "--from '%s': store '%s' holds no bundle %s version %s (see 'airlock store ls')",
				     o->from[i], s->root, name, ver);
			break;
		}
		if ((rc = al_store_prepare(s, AL_SQL_RELEASE_PICK, &st, err)))
			break;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, ver, -1, SQLITE_TRANSIENT);
		if (!(rows = al_store_rows_of(st, err)))
			rc = err->code ? err->code : AL_ESTORE;
		else if (json_array_extend(out, rows))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		json_decref(rows);
	}
	return rc;
}

/* The release's digest: SHA-256 of its "kind name digest" lines, sorted (docs/cmd/release.md). */
static enum al_code set_digest(struct al_store *s, int64_t id, char out[AL_DIGEST_STR], struct al_err *err)
{
	struct al_sha256 h;
	sqlite3_stmt *st;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	int row = 0;
	enum al_code rc = al_store_prepare(s, AL_SQL_RELEASE_DIGEST, &st, err);
	if (rc || (rc = al_sha256_init(&h, err))) {
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	while (!(rc = al_db_step(st, "pinning the release", &row, err)) && row) {
		const unsigned char *line = sqlite3_column_text(st, 0);
		if (!line) {
			rc = al_fail(err, AL_ENOMEM, "out of memory");
			break;
		}
		al_sha256_update(&h, line, strlen((const char *)line));
		al_sha256_update(&h, "\n", 1);
	}
	sqlite3_finalize(st);
	al_sha256_final(&h, d);
	al_sha256_release(&h);
	if (rc || (rc = al_store_prepare(s, AL_SQL_SET_RELEASE_DIGEST, &st, err)))
		return rc;
	al_hex(d, hex);
	snprintf(out, AL_DIGEST_STR, "sha256:%s", hex);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, out, -1, SQLITE_STATIC);
	rc = al_db_run(st, "pinning the release", err);
	sqlite3_finalize(st);
	return rc;
}

/* Pins each of PICKED (artifact rows) to release ID; a kind and name pinned twice with two digests is refused. */
static enum al_code pin(struct al_store *s, int64_t id, const json_t *picked, struct al_err *err)
{
	size_t i;
	const json_t *a;
	sqlite3_stmt *st;
	int row = 0;
	enum al_code rc = AL_OK;
	json_array_foreach(picked, i, a) {
		if ((rc = al_store_prepare(s, AL_SQL_RELEASE_PIN, &st, err)))
			return rc;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(a, "id")));
		rc = al_db_run(st, "pinning the release", err);
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	if ((rc = al_store_prepare(s, AL_SQL_RELEASE_DUPES, &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (!(rc = al_db_step(st, "pinning the release", &row, err)) && row)
		rc = al_fail(err, AL_ECONFLICT,
			     "%s '%s' comes with %d different digests from the bundles named: a release pins one; "
			     "narrow it with --artifacts or name one bundle",
			     sqlite3_column_text(st, 0), sqlite3_column_text(st, 1), sqlite3_column_int(st, 2));
	sqlite3_finalize(st);
	return rc;
}

static enum al_code create_in_tx(struct al_store *s, const struct al_release_opts *o, const json_t *picked,
				 json_t **out, struct al_err *err)
{
	sqlite3_stmt *st;
	json_t *sources;
	char when[32], digest[AL_DIGEST_STR], *text = NULL;
	int64_t id = 0;
	int found = 0;
	enum al_code rc = one_int(s, AL_SQL_RELEASE_ID, &o->name, 1, &id, &found, err);
	if (!rc && found)
		return al_fail(err, AL_ECONFLICT, "store '%s' already has a release '%s': a release never changes; name a new one",
			       s->root, o->name);
	sources = json_array();
	for (size_t i = 0; sources && i < o->nfrom; i++)
		if (json_array_append_new(sources, json_string(o->from[i])))
			json_decref(sources), sources = NULL;
	if (!rc && (!sources || !(text = json_dumps(sources, JSON_COMPACT))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(sources);
	al_time_fmt(o->now, when);
	if (!rc && !(rc = al_store_prepare(s, AL_SQL_ADD_RELEASE, &st, err))) {
		sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, when, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, o->actor ? o->actor : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
		rc = al_db_run(st, "recording the release", err);
		sqlite3_finalize(st);
		id = sqlite3_last_insert_rowid(s->db);
	}
	free(text);
	if (!rc && !(rc = pin(s, id, picked, err)) && !(rc = set_digest(s, id, digest, err)))
		rc = al_store_log_event(s, "release", o->name, "created", digest, err);
	if (!rc && !(*out = json_pack("{s:s, s:s, s:I}", "release", o->name, "digest", digest, "artifacts",
				      (json_int_t)json_array_size(picked))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	return rc;
}

enum al_code al_release_create(struct al_store *s, const struct al_release_opts *o, json_t **out, struct al_err *err)
{
	json_t *all = json_array(), *picked = NULL;
	enum al_code rc = check_name("release name", o->name, err);
	*out = NULL;
	if (!rc && !o->nfrom)
		rc = al_fail(err, AL_EUSAGE, "a release takes its artifacts from at least one bundle: --from NAME@VERSION");
	if (!rc && !all)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && (rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err)) == AL_OK) {
		if (!(rc = candidates(s, o, all, err)) &&
		    !(rc = al_store_select(all, o->patterns, "in the bundles named by --from", &picked, err)))
			rc = create_in_tx(s, o, picked, out, err);
		if (!rc)
			rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
		if (rc)
			al_store_rollback(s);
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(all);
	json_decref(picked);
	return rc;
}

/* Runs Q with the text parameter P (or none) into rows. */
static json_t *query(struct al_store *s, enum al_sql q, const char *p, int64_t id, struct al_err *err)
{
	sqlite3_stmt *st;
	if (al_store_prepare(s, q, &st, err))
		return NULL;
	if (p)
		sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	return al_store_rows_of(st, err);
}

/* The channel's stack: promotions push, rollbacks pop; [0] is the oldest. Its events are newest first. */
static json_t *stack_of(const json_t *events)
{
	json_t *stack = json_array();
	for (size_t i = json_array_size(events); stack && i-- > 0;) {
		const json_t *e = json_array_get(events, i);
		const char *action = al_json_str(e, "action");
		if (action && !strcmp(action, "rollback")) /* back to the one below, which it names */
			json_array_remove(stack, json_array_size(stack) - 1);
		else if (json_array_append(stack, json_object_get(e, "release")))
			json_decref(stack), stack = NULL;
	}
	return stack;
}

enum al_code al_release_list(struct al_store *s, json_t **out, struct al_err *err)
{
	json_t *r = NULL, *c = NULL;
	enum al_code rc = al_store_exec_q(s, AL_SQL_BEGIN_READ, err);
	*out = NULL;
	if (rc)
		return rc;
	if ((r = al_store_rows(s->db, al_sql(AL_SQL_LIST_RELEASES), err)))
		c = al_store_rows(s->db, al_sql(AL_SQL_CHANNELS), err);
	rc = c ? al_store_exec_q(s, AL_SQL_COMMIT, err) : (err->code ? err->code : AL_ESTORE);
	if (rc)
		al_store_rollback(s);
	else if (!(*out = json_pack("{s:s, s:O, s:O}", "store", s->root, "releases", r, "channels", c)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(r);
	json_decref(c);
	return rc;
}

enum al_code al_release_show(struct al_store *s, const char *name, json_t **out, struct al_err *err)
{
	json_t *row = NULL, *arts = NULL, *bundles = NULL;
	int64_t id = 0;
	enum al_code rc = al_store_exec_q(s, AL_SQL_BEGIN_READ, err);
	*out = NULL;
	if (rc)
		return rc;
	if (!(rc = release_id(s, name, &id, err)) && (row = query(s, AL_SQL_RELEASE_ROW, name, 0, err)) &&
	    (arts = query(s, AL_SQL_RELEASE_ARTIFACTS, NULL, id, err)))
		bundles = query(s, AL_SQL_RELEASE_BUNDLES, NULL, id, err);
	if (!rc && !bundles)
		rc = err->code ? err->code : AL_ESTORE;
	if (!rc)
		rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
	if (rc)
		al_store_rollback(s);
	if (!rc && json_array_size(row) == 1) {
		*out = json_deep_copy(json_array_get(row, 0));
		if (!*out || json_object_del(*out, "id") || json_object_set(*out, "artifacts", arts) ||
		    json_object_set(*out, "bundles", bundles))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	} else if (!rc) {
		rc = al_fail(err, AL_ESTORE, "catalog '%s/catalog.db': release '%s' has no row", s->root, name);
	}
	json_decref(row);
	json_decref(arts);
	json_decref(bundles);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Appends one gate's outcome: {"gate", "ok", "detail"}. */
static enum al_code gate(json_t *gates, const char *name, int ok, const char *detail, struct al_err *err)
{
	if (json_array_append_new(gates, json_pack("{s:s, s:b, s:s}", "gate", name, "ok", ok, "detail", detail ? detail : "")))
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

/* The verdict of the scan.json a bundle carried (blob DIGEST, checked against its name) into *v. */
static enum al_code scan_verdict(struct al_store *s, const char *digest, char *v, size_t cap, struct al_err *err)
{
	struct al_buf b;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], *path = digest && strlen(digest) == AL_DIGEST_STR - 1 ? al_strf("%s/blobs/sha256/%s", s->root, digest + 7) : NULL;
	json_t *j = NULL;
	enum al_code rc = path ? AL_OK : al_fail(err, AL_ESTORE, "catalog: the scan of a bundle is recorded as '%s'", digest ? digest : "");
	al_buf_init(&b, AL_MAX_SMALL);
	if (!rc && !(rc = al_read_file(path, AL_NOFOLLOW, &b, err)) && !(rc = al_sha256_mem(b.data, b.len, d, err))) {
		al_hex(d, hex);
		if (strcmp(hex, digest + 7))
			rc = al_fail(err, AL_EVERIFY, "'%s' no longer matches its digest: run 'airlock store fsck'", path);
		else if (!(j = json_loadb((const char *)b.data, b.len, 0, NULL)) ||
			 !al_json_str(json_object_get(j, "verdict"), "result"))
			rc = al_fail(err, AL_EVERIFY, "'%s' is not a scan result with a verdict", path);
		else
			snprintf(v, cap, "%s", al_json_str(json_object_get(j, "verdict"), "result"));
	}
	json_decref(j);
	al_buf_release(&b);
	free(path);
	return rc;
}

/* The gates of one bundle a release draws from: approvals, expiry and its scan under the store's policy. */
static enum al_code bundle_gates(struct al_store *s, const json_t *b, const char *now, const char *require,
				 json_t *gates, int *failed, struct al_err *err)
{
	char what[300], msg[600], verdict[32] = "";
	const char *scan = al_json_str(b, "scan"), *exp = al_json_str(b, "expires");
	int ok;
	enum al_code rc;
	snprintf(what, sizeof(what), "%s v%lld", al_json_str(b, "name"),
		 (long long)json_integer_value(json_object_get(b, "version")));
	ok = !json_integer_value(json_object_get(b, "unsigned"));
	snprintf(msg, sizeof(msg), ok ? "%s: signed under the trust policy" : "%s: imported with --allow-unsigned, so no role approved it", what);
	*failed |= !ok;
	if ((rc = gate(gates, "approvals", ok, msg, err)))
		return rc;
	ok = exp && strcmp(exp, now) > 0;
	snprintf(msg, sizeof(msg), "%s: %s %s", what, ok ? "expires" : "expired", exp ? exp : "?");
	*failed |= !ok;
	if ((rc = gate(gates, "expiry", ok, msg, err)))
		return rc;
	if (scan && (rc = scan_verdict(s, scan, verdict, sizeof(verdict), err)))
		return al_err_prefix(err, "the scan of %s", what), rc;
	if (!scan)
		ok = !require, snprintf(msg, sizeof(msg), "%s: no scan attached%s", what, require ? ", and the store's policy requires one" : "");
	else
		ok = strcmp(verdict, "fail") && (!require || !strcmp(verdict, "pass") || (!strcmp(require, "review") && !strcmp(verdict, "review"))),
		snprintf(msg, sizeof(msg), "%s: scan verdict '%s'%s%s", what, verdict, require ? ", the policy requires " : "",
			 require ? require : "");
	*failed |= !ok;
	return gate(gates, "scan", ok, msg, err);
}

/* Runs every gate of release ID into *gates; *failed when any fails. */
static enum al_code run_gates(struct al_store *s, int64_t id, int64_t now, json_t **gates, int *failed, struct al_err *err)
{
	struct al_trust t;
	json_t *bundles = query(s, AL_SQL_RELEASE_BUNDLES, NULL, id, err), *b;
	char when[32];
	size_t i;
	enum al_code rc = bundles ? al_store_trust_get(s, &t, NULL, err) : (err->code ? err->code : AL_ESTORE);
	if (rc == AL_ENOENT) { /* a store without a policy: no scan is required (approvals still gate) */
		al_err_clear(err);
		rc = AL_OK;
	}
	*failed = 0;
	*gates = json_array();
	al_time_fmt(now, when);
	if (!rc && !*gates)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_array_foreach(bundles, i, b)
		if (!rc)
			rc = bundle_gates(s, b, when, t.scan_require, *gates, failed, err);
	if (bundles)
		al_trust_release(&t);
	json_decref(bundles);
	return rc;
}

/* Records one channel event. */
static enum al_code channel_event(struct al_store *s, const char *channel, int64_t id, const char *action,
				  const struct al_promote_opts *o, const json_t *gates, struct al_err *err)
{
	sqlite3_stmt *st;
	char when[32], *g = json_dumps(gates, JSON_COMPACT);
	enum al_code rc = g ? al_store_prepare(s, AL_SQL_ADD_CHANNEL_EVENT, &st, err) : al_fail(err, AL_ENOMEM, "out of memory");
	al_time_fmt(o->now, when);
	if (!rc) {
		sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, when, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, o->actor ? o->actor : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, o->reason ? o->reason : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, g, -1, SQLITE_STATIC);
		rc = al_db_run(st, "recording the channel's event", err);
		sqlite3_finalize(st);
	}
	free(g);
	return rc;
}

/* The failed gates, one per line, for the error message. */
static void failed_gates(const json_t *gates, char *out, size_t cap)
{
	size_t i, n = 0;
	const json_t *g;
	out[0] = 0;
	json_array_foreach(gates, i, g)
		if (!json_is_true(json_object_get(g, "ok")) && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "\n  %s: %s", al_json_str(g, "gate"), al_json_str(g, "detail"));
}

static enum al_code promote_in_tx(struct al_store *s, const struct al_promote_opts *o, json_t **out, struct al_err *err)
{
	json_t *gates = NULL, *events = NULL, *stack = NULL;
	int64_t id = 0;
	int failed = 0;
	char list[AL_ERR_MSG];
	enum al_code rc = release_id(s, o->release, &id, err);
	if (!rc)
		rc = run_gates(s, id, o->now, &gates, &failed, err);
	if (!rc && !(events = query(s, AL_SQL_CHANNEL_HISTORY, o->channel, 0, err)))
		rc = err->code ? err->code : AL_ESTORE;
	if (!rc && !(stack = stack_of(events)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && o->eval_golden)
		rc = al_eval_gate(s, o, json_string_value(json_array_get(stack, json_array_size(stack) - 1)), gates, &failed, err);
	if (!rc && failed) {
		failed_gates(gates, list, sizeof(list));
		rc = al_fail(err, AL_EVERIFY, "release '%s' is not promoted to '%s': gates failed:%s", o->release, o->channel, list);
	}
	if (!rc && json_array_size(stack) &&
	    !strcmp(json_string_value(json_array_get(stack, json_array_size(stack) - 1)), o->release))
		rc = al_fail(err, AL_ECONFLICT, "release '%s' is already on '%s'", o->release, o->channel);
	if (!rc && !(rc = channel_event(s, o->channel, id, "promote", o, gates, err)))
		rc = al_store_log_event(s, "promote", o->channel, "ok", o->release, err);
	if (!rc && !(*out = json_pack("{s:s, s:s, s:o?, s:O}", "channel", o->channel, "release", o->release, "previous",
				      json_array_size(stack) ? json_copy(json_array_get(stack, json_array_size(stack) - 1)) : NULL,
				      "gates", gates)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (rc && gates && err->code == AL_EVERIFY)
		*out = json_pack("{s:s, s:s, s:O}", "channel", o->channel, "release", o->release, "gates", gates);
	json_decref(gates);
	json_decref(events);
	json_decref(stack);
	return rc;
}

static enum al_code rollback_in_tx(struct al_store *s, const struct al_promote_opts *o, json_t **out, struct al_err *err)
{
	json_t *events = query(s, AL_SQL_CHANNEL_HISTORY, o->channel, 0, err), *stack = NULL, *gates = json_array();
	const char *from, *to;
	int64_t id = 0;
	enum al_code rc = events ? AL_OK : (err->code ? err->code : AL_ESTORE);
	if (!rc && (!(stack = stack_of(events)) || !gates))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && !json_array_size(stack))
		rc = al_fail(err, AL_ENOENT, "channel '%s' has no release (see 'airlock release ls')", o->channel);
	else if (!rc && json_array_size(stack) < 2)
		rc = al_fail(err, AL_ENOENT, "channel '%s' has no previous release to roll back to: '%s' is the first it had",
			     o->channel, json_string_value(json_array_get(stack, 0)));
	if (!rc) {
		from = json_string_value(json_array_get(stack, json_array_size(stack) - 1));
		to = json_string_value(json_array_get(stack, json_array_size(stack) - 2));
		if (!(rc = release_id(s, to, &id, err)) && !(rc = channel_event(s, o->channel, id, "rollback", o, gates, err)) &&
		    !(rc = al_store_log_event(s, "rollback", o->channel, "ok", to, err)) &&
		    !(*out = json_pack("{s:s, s:s, s:s}", "channel", o->channel, "release", to, "from", from)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	json_decref(events);
	json_decref(stack);
	json_decref(gates);
	return rc;
}

/* Runs FN in one write transaction. */
static enum al_code in_tx(struct al_store *s, const struct al_promote_opts *o, json_t **out,
			  enum al_code (*fn)(struct al_store *, const struct al_promote_opts *, json_t **, struct al_err *),
			  struct al_err *err)
{
	enum al_code rc = check_name("channel name", o->channel, err);
	*out = NULL;
	if (!rc && (rc = al_store_exec_q(s, AL_SQL_BEGIN_WRITE, err)) == AL_OK) {
		rc = fn(s, o, out, err);
		if (!rc)
			rc = al_store_exec_q(s, AL_SQL_COMMIT, err);
		if (rc)
			al_store_rollback(s);
	}
	if (rc && rc != AL_EVERIFY) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

enum al_code al_release_promote(struct al_store *s, const struct al_promote_opts *o, json_t **out, struct al_err *err)
{
	return in_tx(s, o, out, promote_in_tx, err);
}

enum al_code al_release_rollback(struct al_store *s, const struct al_promote_opts *o, json_t **out, struct al_err *err)
{
	return in_tx(s, o, out, rollback_in_tx, err);
}

enum al_code al_release_channel(struct al_store *s, const char *channel, json_t **out, struct al_err *err)
{
	json_t *events, *stack;
	enum al_code rc = check_name("channel name", channel, err);
	*out = NULL;
	if (rc || (rc = al_store_exec_q(s, AL_SQL_BEGIN_READ, err)))
		return rc;
	events = query(s, AL_SQL_CHANNEL_HISTORY, channel, 0, err);
	rc = events ? al_store_exec_q(s, AL_SQL_COMMIT, err) : (err->code ? err->code : AL_ESTORE);
	if (rc)
		al_store_rollback(s);
	else if (!(stack = stack_of(events)) ||
		 !(*out = json_pack("{s:s, s:O?, s:o, s:O}", "channel", channel, "release",
				    json_array_size(stack) ? json_array_get(stack, json_array_size(stack) - 1) : NULL,
				    "stack", stack, "history", events)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(events);
	return rc;
}

enum al_code al_release_resolve(struct al_store *s, const char *name, char *out, size_t cap, struct al_err *err)
{
	json_t *ch = NULL;
	int64_t id;
	enum al_code rc = al_release_channel(s, name, &ch, err);
	const char *r = rc ? NULL : json_string_value(json_object_get(ch, "release"));
	if (!rc && !r && !(rc = release_id(s, name, &id, err)))
		r = name;
	if (!rc && strlen(r) >= cap)
		rc = al_fail(err, AL_ELIMIT, "release name '%.64s…' is too long", r);
	if (!rc)
		memcpy(out, r, strlen(r) + 1);
	json_decref(ch);
	return rc;
}
