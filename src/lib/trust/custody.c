/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custody.c: writing and checking custody records. A record is accepted only
 * if its sequence number, previous-line digest, bundle digest and signature
 * all hold, and its fields are exactly those of version 1 with the right types
 * and an RFC 3339 time no earlier than the record before it; one bad record
 * makes every later one unprovable, and both are said.
 */
#include "custody.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fsx.h"
#include "json.h"

static const char *const events[] = { "packed", "sealed", "handed-over", "received", "verified",
				      "stored", "opened", NULL };

const char *al_custody_event_bad(const char *event)
{
	for (const char *const *e = events; *e; e++)
		if (!strcmp(*e, event))
			return NULL;
	return "events are packed, sealed, handed-over, received, verified, stored or opened";
}

static enum al_code line_digest(const char *p, size_t n, char out[AL_DIGEST_STR], struct al_err *err)
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	enum al_code rc = al_sha256_mem(p, n, d, err);
	if (rc)
		return rc;
	al_hex(d, hex);
	snprintf(out, AL_DIGEST_STR, "sha256:%s", hex);
	return AL_OK;
}

/*
 * The last line's digest and count of a log (the log is checked first by callers), and the
 * time of its last record (-1 when there is none).
 */
static enum al_code tail_of(const struct al_buf *log, char prev[AL_DIGEST_STR], int64_t *count, int64_t *last_time,
			    struct al_err *err)
{
	const char *p = log->data, *end = log->data + log->len, *last = NULL;
	size_t lastlen = 0;
	json_t *rec = NULL;
	*count = 0;
	*last_time = -1;
	prev[0] = '\0';
	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (len) {
			last = p;
			lastlen = len;
			(*count)++;
		}
		p = eol ? eol + 1 : end;
	}
	if (!last)
		return AL_OK;
	{
		const char *tab = memchr(last, '\t', lastlen);
		if (tab && al_json_parse(last, (size_t)(tab - last), "custody record", &rec, NULL) == AL_OK &&
		    al_json_str(rec, "time") && al_time_parse(al_json_str(rec, "time"), last_time) != 0)
			*last_time = -1;
		json_decref(rec);
	}
	return line_digest(last, lastlen, prev, err);
}

enum al_code al_custody_append(struct al_buf *log, const char *sums_digest,
			       const struct al_custody_event *ev, const struct al_seckey *sk,
			       struct al_err *err)
{
	char prev[AL_DIGEST_STR], when[32], pkb[64], then[32];
	unsigned char hash[64], sig[64];
	char sigb[128];
	int64_t count, last_time;
	struct al_pubkey pk;
	struct al_buf rec;
	json_t *j;
	enum al_code rc;
	if (log->len && log->data[log->len - 1] != '\n' && (rc = al_buf_add(log, "\n", 1, err)))
		return rc;
	if ((rc = tail_of(log, prev, &count, &last_time, err)))
		return rc;
	al_time_fmt(ev->time, when);
	/* a record dated before the last one would break the chain it extends */
	if (ev->time < last_time) {
		al_time_fmt(last_time, then);
		return al_fail(err, AL_EINVAL,
			       "the time now, %s, is earlier than the last custody record's, %s: times never go backwards along the chain (check this machine's clock)",
			       when, then);
	}
	memcpy(pk.keynum, sk->keynum, AL_KEYNUM);
	crypto_sign_ed25519_sk_to_pk(pk.pk, sk->sk);
	al_pubkey_b64(&pk, pkb);
	if ((rc = al_pubkey_parse(pkb, strlen(pkb), &pk, err))) /* fills in the key id */
		return rc;
	j = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s}", "v", 1, "seq",
		      (json_int_t)(count + 1), "time", when, "event", ev->event, "actor", ev->actor, "medium",
		      ev->medium, "seal", ev->seal, "note", ev->note, "bundle", sums_digest, "prev", prev);
	if (!j)
		return al_fail(err, AL_EINVAL, "a custody field is not valid UTF-8");
	/* optional fields that were not given are left out, not written as null */
	for (const char *const *k = (const char *const[]){ "medium", "seal", "note", NULL }; *k; k++)
		if (json_is_null(json_object_get(j, *k)))
			json_object_del(j, *k);
	al_buf_init(&rec, 65536);
	rc = al_json_dump(j, 0, &rec, err);
	json_decref(j);
	if (rc) {
		al_buf_release(&rec);
		return rc;
	}
	al_prehash_mem(rec.data, rec.len, hash);
	crypto_sign_detached(sig, NULL, hash, sizeof(hash), sk->sk);
	sodium_bin2base64(sigb, sizeof(sigb), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	rc = al_buf_addf(log, err, "%s\t%s\t%s\t%s\n", rec.data, pk.id, pkb, sigb);
	al_buf_release(&rec);
	return rc;
}

static const char *const fields[] = { "v", "seq", "time", "event", "actor", "medium", "seal", "note",
				      "bundle", "prev", NULL };
static const char *const required[] = { "v", "seq", "time", "event", "actor", "bundle", "prev", NULL };

/* A field name fit for a message: at most 40 bytes, control characters as '?'. */
static void shown(const char *k, char out[48])
{
	size_t i = 0;
	for (; k[i] && i < 40; i++)
		out[i] = ((unsigned char)k[i] < 0x20 || k[i] == 0x7f) ? '?' : k[i];
	out[i] = '\0';
	if (k[i])
		snprintf(out + 40, 8, "...");
}

static const char *type_of(const json_t *x)
{
	switch (json_typeof(x)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/*
 * The fields of one record against version 1 (docs/FORMAT.md "Custody"): only known
 * fields, the right types, v = 1, a known event, an RFC 3339 UTC time (into *t, or -1).
 * Each problem names the record and the field. Returns the number of problems.
 */
static size_t check_fields(const json_t *rec, const char *where, int64_t *t, struct al_report *rep)
{
	const char *k, *ts;
	const json_t *x;
	size_t bad = 0, before = al_report_count(rep);
	char name[48];
	*t = -1;
	json_object_foreach((json_t *)rec, k, x) {
		int known = 0;
		for (const char *const *f = fields; *f; f++)
			known |= !strcmp(*f, k);
		shown(k, name);
		if (!known)
			al_report_add(rep, "%s has an unknown field '%s' (refused: only version 1 fields are known)", where,
				      name);
		else if (!strcmp(k, "v") || !strcmp(k, "seq")) {
			if (!json_is_integer(x))
				al_report_add(rep, "%s: field '%s' is %s, expected an integer", where, k, type_of(x));
		} else if (!json_is_string(x)) {
			al_report_add(rep, "%s: field '%s' is %s, expected a string", where, k, type_of(x));
		}
	}
	for (const char *const *f = required; *f; f++)
		if (!json_object_get(rec, *f))
			al_report_add(rep, "%s: field '%s' is missing", where, *f);
	x = json_object_get(rec, "v");
	if (json_is_integer(x) && json_integer_value(x) != 1)
		al_report_add(rep, "%s: field 'v' says version %lld, and only version 1 is known (refused)", where,
			      (long long)json_integer_value(x));
	x = json_object_get(rec, "event");
	if (json_is_string(x) && al_custody_event_bad(json_string_value(x))) {
		shown(json_string_value(x), name);
		al_report_add(rep, "%s: field 'event' is '%s': %s", where, name, al_custody_event_bad(json_string_value(x)));
	}
	x = json_object_get(rec, "actor");
	if (json_is_string(x) && !*json_string_value(x))
		al_report_add(rep, "%s: field 'actor' is empty", where);
	x = json_object_get(rec, "time");
	if (json_is_string(x)) {
		ts = json_string_value(x);
		if (strlen(ts) != 20 || al_time_parse(ts, t) != 0) {
			*t = -1;
			shown(ts, name);
			al_report_add(rep, "%s: field 'time' is '%s', not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)",
				      where, name);
		}
	}
	bad = al_report_count(rep) - before;
	return bad;
}

/* Splits a record line into its four tab-separated fields. */
static int split(const char *p, size_t n, const char *f[4], size_t fl[4])
{
	size_t k = 0;
	const char *s = p, *end = p + n;
	while (k < 4) {
		const char *t = k < 3 ? memchr(s, '\t', (size_t)(end - s)) : end;
		if (!t)
			return -1;
		f[k] = s;
		fl[k] = (size_t)(t - s);
		k++;
		s = t + 1;
		if (k < 4 && s > end)
			return -1;
	}
	return 0;
}

enum al_code al_custody_check(const char *text, size_t n, const char *sums_digest,
			      const struct al_pubkey *keys, size_t nkeys, struct al_report *rep,
			      json_t **records, struct al_err *err)
{
	const char *p = text, *end = text + n;
	char prev[AL_DIGEST_STR] = "", last_when[32] = "";
	int64_t seq = 0, last_time = -1;
	enum al_code drc;
	int broken = 0;
	json_t *list = json_array();
	if (!list)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (n && text[n - 1] != '\n')
		al_report_add(rep, "custody.log does not end with a newline (is it truncated?)");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		const char *f[4];
		size_t fl[4];
		json_t *rec = NULL;
		struct al_pubkey pk;
		unsigned char hash[64], sig[64];
		size_t siglen = 0;
		int64_t rseq = 0, when = -1;
		size_t fields_bad;
		int chained;
		char where[48];
		seq++;
		snprintf(where, sizeof(where), "custody record %lld", (long long)seq);
		if (split(p, len, f, fl) != 0 || al_json_parse(f[0], fl[0], "custody record", &rec, NULL) ||
		    !json_is_object(rec)) {
			al_report_add(rep, "%s is not a record (JSON, key id, public key, signature)", where);
			broken = 1;
			goto next;
		}
		if (al_pubkey_parse(f[2], fl[2], &pk, NULL) != AL_OK || fl[1] != 16 || memcmp(f[1], pk.id, 16) ||
		    sodium_base642bin(sig, sizeof(sig), f[3], fl[3], NULL, &siglen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || siglen != 64) {
			al_report_add(rep, "%s has a malformed key or signature", where);
			broken = 1;
			goto next;
		}
		al_prehash_mem(f[0], fl[0], hash);
		if (crypto_sign_verify_detached(sig, hash, sizeof(hash), pk.pk) != 0) {
			al_report_add(rep, "%s (by key %s): the signature does not match the record (edited?)", where, pk.id);
			broken = 1;
			goto next;
		}
		if (keys) {
			int known = 0, same_id = 0;
			for (size_t k = 0; k < nkeys; k++) {
				same_id |= !memcmp(keys[k].keynum, pk.keynum, AL_KEYNUM);
				known |= !memcmp(keys[k].keynum, pk.keynum, AL_KEYNUM) && !memcmp(keys[k].pk, pk.pk, AL_PK);
			}
			if (!known && same_id)
				al_report_add(rep, "%s claims key id %s, but its public key is not that key of the trust policy (forged)",
					      where, pk.id);
			else if (!known)
				al_report_add(rep, "%s is signed by key %s, which the trust policy does not allow to sign custody records",
					      where, pk.id);
		}
		fields_bad = check_fields(rec, where, &when, rep);
		if (json_is_integer(json_object_get(rec, "seq")) &&
		    (rseq = (int64_t)json_integer_value(json_object_get(rec, "seq"))) != seq)
			al_report_add(rep, "%s says it is record %lld (removed or reordered records?)", where, (long long)rseq);
		chained = json_is_string(json_object_get(rec, "prev")) && !strcmp(al_json_str(rec, "prev"), prev);
		if (!chained)
			al_report_add(rep, "%s does not chain to the record before it (removed, reordered or edited records?)",
				      where);
		if (json_is_string(json_object_get(rec, "bundle")) && strcmp(al_json_str(rec, "bundle"), sums_digest) != 0)
			al_report_add(rep, "%s is for another bundle (%s, this bundle's SHA256SUMS is %s)", where,
				      al_json_str(rec, "bundle"), sums_digest);
		/* time never goes back along a chain (checked where the chain holds, else that is the news) */
		if (chained && !fields_bad && when >= 0 && when < last_time)
			al_report_add(rep, "%s: field 'time' %s is earlier than %s, the time of the record before it (times never go backwards along the chain)",
				      where, al_json_str(rec, "time"), last_when);
		if (when >= 0 && when >= last_time) {
			last_time = when;
			snprintf(last_when, sizeof(last_when), "%s", al_json_str(rec, "time"));
		}
		/* a record missing from the list would make another one look like the last */
		if (json_object_set_new(rec, "key", json_stringn(f[1], fl[1])) != 0 || json_array_append(list, rec) != 0) {
			json_decref(rec);
			json_decref(list);
			return al_fail(err, AL_ENOMEM, "out of memory (custody records)");
		}
next:
		json_decref(rec);
		if ((drc = line_digest(p, len, prev, err)) != AL_OK) {
			json_decref(list);
			return drc;
		}
		p = eol ? eol + 1 : end;
	}
	(void)broken;
	*records = list;
	return AL_OK;
}

void al_custody_require_last(const json_t *records, const char *event, struct al_report *rep)
{
	size_t n = json_array_size(records);
	const json_t *last = n ? json_array_get(records, n - 1) : NULL;
	const char *ev = last ? al_json_str(last, "event") : NULL;
	char actor[48];
	if (!last) {
		al_report_add(rep, "the trust policy requires the custody chain to end with a '%s' record, and the bundle has no custody records",
			      event);
		return;
	}
	if (ev && !strcmp(ev, event))
		return;
	shown(al_json_str(last, "actor") ? al_json_str(last, "actor") : "?", actor);
	al_report_add(rep, "the custody chain ends with record %zu, '%s' by '%s', and the trust policy requires it to end with a '%s' record (records cut from its end?)",
		      n, ev && !al_custody_event_bad(ev) ? ev : "?", actor, event);
}
