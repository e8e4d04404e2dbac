/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custody.c: writing and checking custody records. A record is accepted only
 * if its sequence number, previous-line digest, bundle digest and signature
 * all hold; one bad record makes every later one unprovable, and both are said.
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

static void line_digest(const char *p, size_t n, char out[AL_DIGEST_STR])
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	if (al_sha256_mem(p, n, d, NULL) != AL_OK)
		memset(d, 0, sizeof(d));
	al_hex(d, hex);
	snprintf(out, AL_DIGEST_STR, "sha256:%s", hex);
}

/* The last line's digest and count of a log (the log is checked first by callers). */
static void tail_of(const struct al_buf *log, char prev[AL_DIGEST_STR], int64_t *count)
{
	const char *p = log->data, *end = log->data + log->len, *last = NULL;
	size_t lastlen = 0;
	*count = 0;
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
	if (last)
		line_digest(last, lastlen, prev);
}

enum al_code al_custody_append(struct al_buf *log, const char *sums_digest,
			       const struct al_custody_event *ev, const struct al_seckey *sk,
			       struct al_err *err)
{
	char prev[AL_DIGEST_STR], when[32], pkb[64];
	unsigned char hash[64], sig[64];
	char sigb[128];
	int64_t count;
	struct al_pubkey pk;
	struct al_buf rec;
	json_t *j;
	enum al_code rc;
	if (log->len && log->data[log->len - 1] != '\n' && (rc = al_buf_add(log, "\n", 1, err)))
		return rc;
	tail_of(log, prev, &count);
	al_time_fmt(ev->time, when);
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
	char prev[AL_DIGEST_STR] = "";
	int64_t seq = 0;
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
		int64_t rseq = 0;
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
		if (al_json_int(rec, "seq", &rseq) || rseq != seq)
			al_report_add(rep, "%s says it is record %lld (removed or reordered records?)", where, (long long)rseq);
		if (strcmp(al_json_str(rec, "prev") ? al_json_str(rec, "prev") : "?", prev) != 0)
			al_report_add(rep, "%s does not chain to the record before it (removed, reordered or edited records?)",
				      where);
		if (!al_json_str(rec, "bundle") || strcmp(al_json_str(rec, "bundle"), sums_digest) != 0)
			al_report_add(rep, "%s is for another bundle (%s, this bundle's SHA256SUMS is %s)", where,
				      al_json_str(rec, "bundle") ? al_json_str(rec, "bundle") : "none", sums_digest);
		if (!al_json_str(rec, "event") || al_custody_event_bad(al_json_str(rec, "event")) ||
		    !al_json_str(rec, "actor") || !al_json_str(rec, "time"))
			al_report_add(rep, "%s lacks a known event, an actor or a time", where);
		json_object_set_new(rec, "key", json_stringn(f[1], fl[1]));
		json_array_append(list, rec);
next:
		json_decref(rec);
		line_digest(p, len, prev);
		p = eol ? eol + 1 : end;
	}
	(void)broken;
	*records = list;
	return AL_OK;
}
