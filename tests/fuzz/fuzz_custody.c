/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_custody.c: the custody log checker (al_custody_check) on the input as
 * custody.log, against a fixed SHA256SUMS digest (that of the bundle the seeds
 * were made for), once with no key list and once with a fixed one (the seeds'
 * builder and courier keys and the target's own key; not the receiver's).
 *
 * A fuzzer cannot forge a signature, so the input is also checked a second
 * way: each line's first field (the record JSON) is re-signed with the
 * target's own key, which lets the fuzzer reach the checks behind the
 * signature (sequence, chain, bundle digest, event, actor, time).
 *
 * Checks: the check itself never fails but for memory; *records is an array
 * of objects with 16-character key ids, no longer than the log, and the same
 * with and without the key list, which can only add problems. When the report
 * is empty, the log is what docs/FORMAT.md "Custody" says, read again here:
 * one record per newline-terminated line, seq 1..n in order, each prev the
 * sha256 of the line before ("" first), each bundle the fixed digest, a known
 * event, an actor and a time; only version 1's fields, v = 1, and RFC 3339 UTC
 * times that never go backwards. And then a record appended by
 * al_custody_append (dated no earlier than the last record) checks too, as
 * record n+1, leaving the first n as they were.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "custody.h"
#include "fsx.h"
#include "fuzz.h"
#include "hash.h"
#include "json.h"

/* the bundle tests/fuzz/corpus/custody was made for */
static const char SUMS[] = "sha256:964fd62740c19eb63fd46e07ca227eb244d36d2e7c7c4df9803f93919d801389";
static const char *const KEYS_B64[] = {
	"RWRDsAd0xKvpeicLIa86OcJg2iJ/yEcrqW3UEA5dL4at7chjO3E5mJSM", /* builder 7AE9ABC47407B043 */
	"RWRFOAvfOy3TBS7iP49NjjY8N9yr4cspGD7ZG6AAEvd+w6NDstv9CNE0", /* courier 05D32D3BDF0B3845 */
};
enum { NKEYS = 3, MAX_RESIGN = 64, FIXED_TIME = 1767225600 /* 2026-01-01T00:00:00Z */ };

static struct al_pubkey keys[NKEYS]; /* KEYS_B64, then the target's own */
static struct al_seckey own;

static void setup(void)
{
	static int done;
	unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	struct al_err err = { 0 };
	char b64[64];
	if (done)
		return;
	if (al_crypto_init(&err) != AL_OK)
		AL_BUG("libsodium does not initialize");
	for (size_t i = 0; i < NKEYS - 1; i++)
		if (al_pubkey_parse(KEYS_B64[i], strlen(KEYS_B64[i]), &keys[i], &err) != AL_OK)
			AL_BUG("a fixed public key does not parse");
	memset(seed, 0x5a, sizeof(seed));
	crypto_sign_seed_keypair(pk, own.sk, seed);
	memcpy(own.keynum, "fuzzkey!", AL_KEYNUM);
	memcpy(keys[NKEYS - 1].keynum, own.keynum, AL_KEYNUM);
	memcpy(keys[NKEYS - 1].pk, pk, AL_PK);
	al_pubkey_b64(&keys[NKEYS - 1], b64); /* and back, for its key id */
	if (al_pubkey_parse(b64, strlen(b64), &keys[NKEYS - 1], &err) != AL_OK)
		AL_BUG("the target's own public key does not parse");
	done = 1;
}

/* One check: AL_OK (anything else only for memory) and a list no longer than the log. */
static size_t check(const char *text, size_t n, const struct al_pubkey *k, size_t nk, json_t **records)
{
	struct al_report rep = { 0 };
	struct al_err err = { 0 };
	size_t lines = 0, problems, i;
	json_t *r;
	*records = NULL;
	enum al_code rc;
	FUZZ_ON();
	rc = al_custody_check(text, n, SUMS, k, nk, &rep, records, &err);
	FUZZ_OFF();
	if (rc != AL_OK) {
		if (err.code != AL_ENOMEM || !err.msg[0])
			AL_BUG("al_custody_check failed for something other than memory, or without a message");
		al_report_release(&rep);
		return (size_t)-1;
	}
	for (const char *p = text; p < text + n; p++)
		lines += *p == '\n';
	lines += n && text[n - 1] != '\n';
	if (!json_is_array(*records) || json_array_size(*records) > lines)
		AL_BUG("the records are not an array no longer than the log");
	json_array_foreach(*records, i, r) {
		const char *key = al_json_str(r, "key");
		if (!json_is_object(r) || !key || strlen(key) != 16)
			AL_BUG("a record is not an object with a 16-character key id");
	}
	problems = al_report_count(&rep);
	al_report_release(&rep);
	return problems;
}

/* The record fields docs/FORMAT.md "Custody" knows (version 1), and the key the checker adds. */
static int known_field(const char *k)
{
	static const char *const f[] = { "v", "seq", "time", "event", "actor", "medium", "seal", "note",
					 "bundle", "prev", "key", NULL };
	for (const char *const *x = f; *x; x++)
		if (!strcmp(*x, k))
			return 1;
	return 0;
}

/* With no problems: every line a record, in order, chained, for this bundle, complete. */
static void check_intact(const char *text, size_t n, const json_t *records)
{
	const char *p = text, *end = text + n;
	char prev[AL_DIGEST_STR] = "";
	size_t i = 0;
	int64_t last = -1;
	if (n && text[n - 1] != '\n')
		AL_BUG("an intact log does not end with a newline");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const json_t *r = json_array_get(records, i);
		unsigned char d[AL_DIGEST_LEN];
		char hex[AL_HEX_LEN + 1];
		int64_t seq = 0;
		if (!r)
			AL_BUG("an intact log has a line that is not among its records");
		if (al_json_int(r, "seq", &seq) != 0 || seq != (int64_t)i + 1)
			AL_BUG("an intact log's records are not numbered 1..n in order");
		if (!al_json_str(r, "prev") || strcmp(al_json_str(r, "prev"), prev) != 0)
			AL_BUG("an intact log's record does not chain to the line before it");
		if (!al_json_str(r, "bundle") || strcmp(al_json_str(r, "bundle"), SUMS) != 0)
			AL_BUG("an intact log has a record for another bundle");
		if (!al_json_str(r, "event") || al_custody_event_bad(al_json_str(r, "event")) ||
		    !al_json_str(r, "actor") || !al_json_str(r, "time"))
			AL_BUG("an intact log has a record without a known event, an actor or a time");
		{
			const char *k, *ts = al_json_str(r, "time");
			json_t *x;
			int64_t t = 0;
			json_object_foreach((json_t *)r, k, x) {
				if (!known_field(k))
					AL_BUG("an intact log has a record with an unknown field");
				if (strcmp(k, "v") && strcmp(k, "seq") && !json_is_string(x))
					AL_BUG("an intact log has a record with a field that is not a string");
			}
			if (!json_is_integer(json_object_get(r, "v")) || json_integer_value(json_object_get(r, "v")) != 1 ||
			    !json_is_integer(json_object_get(r, "seq")))
				AL_BUG("an intact log has a record that is not version 1, or a seq that is not an integer");
			if (strlen(ts) != 20 || al_time_parse(ts, &t) != 0 || ts[10] != 'T' || ts[19] != 'Z')
				AL_BUG("an intact log has a record whose time is not RFC 3339 UTC");
			if (t < last)
				AL_BUG("an intact log goes back in time");
			last = t;
		}
		if (al_sha256_mem(p, (size_t)(eol - p), d, NULL) != AL_OK)
			AL_BUG("sha256 of memory failed");
		al_hex(d, hex);
		snprintf(prev, sizeof(prev), "sha256:%s", hex);
		p = eol + 1;
		i++;
	}
	if (i != json_array_size(records))
		AL_BUG("an intact log lists more records than it has lines");
}

/* An intact log takes one more record from al_custody_append, which then checks as record n+1. */
static void check_append(const char *text, size_t n, const json_t *records)
{
	struct al_custody_event ev = { "stored", "fuzz \"actor\"\t", "USB-1", NULL, "a\nnote", FIXED_TIME };
	struct al_buf log;
	struct al_err err = { 0 };
	json_t *after = NULL;
	size_t nrec = json_array_size(records), problems;
	int64_t seq = 0, last = 0;
	/* a record is never dated before the one it follows */
	if (nrec && al_time_parse(al_json_str(json_array_get(records, nrec - 1), "time"), &last) == 0 &&
	    last > ev.time)
		ev.time = last;
	al_buf_init(&log, AL_MAX_SUMS);
	if (al_buf_add(&log, text, n, &err) != AL_OK || al_custody_append(&log, SUMS, &ev, &own, &err) != AL_OK) {
		if (err.code != AL_ENOMEM && err.code != AL_ELIMIT)
			AL_BUG("al_custody_append failed on an intact log");
		al_buf_release(&log);
		return;
	}
	problems = check(log.data, log.len, NULL, 0, &after);
	if (problems == (size_t)-1) {
		al_buf_release(&log);
		return;
	}
	if (problems != 0)
		AL_BUG("a record appended to an intact log does not check");
	if (json_array_size(after) != nrec + 1)
		AL_BUG("the appended record is not listed");
	for (size_t i = 0; i < nrec; i++)
		if (!json_equal(json_array_get(after, i), json_array_get(records, i)))
			AL_BUG("appending changed an earlier record");
	if (al_json_int(json_array_get(after, nrec), "seq", &seq) != 0 || seq != (int64_t)nrec + 1 ||
	    strcmp(al_json_str(json_array_get(after, nrec), "key"), keys[NKEYS - 1].id) != 0 ||
	    strcmp(al_json_str(json_array_get(after, nrec), "note"), "a\nnote") != 0)
		AL_BUG("the appended record is not record n+1 by the target's key");
	check_intact(log.data, log.len, after);
	json_decref(after);
	al_buf_release(&log);
}

/* Both checks of one log, and what follows when it is intact. */
static void run(const char *text, size_t n)
{
	json_t *plain = NULL, *listed = NULL;
	size_t p0 = check(text, n, NULL, 0, &plain), p1;
	if (p0 == (size_t)-1)
		return;
	p1 = check(text, n, keys, NKEYS, &listed);
	if (p1 != (size_t)-1) {
		if (p1 < p0 || !json_equal(plain, listed))
			AL_BUG("a key list took a problem away or changed the records");
		if (p1 - p0 > json_array_size(listed))
			AL_BUG("a key list added more problems than there are records");
	}
	if (p0 == 0) {
		check_intact(text, n, plain);
		check_append(text, n, plain);
	}
	json_decref(listed);
	json_decref(plain);
}

/* The input's lines with each record JSON (the bytes before the first tab) signed by the target's key. */
static void run_resigned(const char *text, size_t n)
{
	const char *p = text, *end = text + n;
	struct al_buf log;
	struct al_err err = { 0 };
	char pkb[64];
	int lines = 0;
	al_buf_init(&log, AL_MAX_SUMS);
	al_pubkey_b64(&keys[NKEYS - 1], pkb);
	while (p < end && lines++ < MAX_RESIGN) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		const char *tab = memchr(p, '\t', len);
		size_t jl = tab ? (size_t)(tab - p) : len;
		unsigned char hash[64], sig[64];
		char sigb[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
		al_prehash_mem(p, jl, hash);
		crypto_sign_detached(sig, NULL, hash, sizeof(hash), own.sk);
		sodium_bin2base64(sigb, sizeof(sigb), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
		if (al_buf_add(&log, p, jl, &err) != AL_OK ||
		    al_buf_addf(&log, &err, "\t%s\t%s\t%s\n", keys[NKEYS - 1].id, pkb, sigb) != AL_OK) {
			al_buf_release(&log);
			return;
		}
		p = eol ? eol + 1 : end;
	}
	run(log.data ? log.data : "", log.len);
	al_buf_release(&log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1u << 20)
		return 0; /* custody logs are small; keep each run quick */
	setup();
	run((const char *)data, size);
	run_resigned((const char *)data, size);
	return 0;
}
