/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_osv.c: an advisory record as it comes from outside data (osv.h): any bytes, read
 * as YAML when the first byte is odd and as JSON otherwise, into a database in memory,
 * then matched against a few versions of the package it names.
 *
 * Checks: refusing a record carries a message; a record kept is counted; every match
 * either fails with a message or returns an array of hits, each with an id, a severity
 * rating and a list of fixed versions; matching twice gives the same hits.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "osv.h"

static void match(struct al_osv *o, const char *eco, const char *name)
{
	static const char *const versions[] = { "0", "1.0", "1.0.0", "2.0rc1", "1:1.0-1", "0.0.1a1", "10.0.post1" };
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		json_t *a = NULL, *b = NULL, *h;
		struct al_err err = { 0 };
		size_t k;
		if (al_osv_match(o, eco, name, versions[i], &a, &err)) {
			if (!err.msg[0])
				AL_BUG("a match that failed without a message");
			continue;
		}
		json_array_foreach(a, k, h)
			if (!al_json_str(h, "id") || !al_json_str(json_object_get(h, "severity"), "rating") ||
			    !json_is_array(json_object_get(h, "fixed")))
				AL_BUG("a hit without an id, a rating or fixed versions");
		if (al_osv_match(o, eco, name, versions[i], &b, &err) || !json_equal(a, b))
			AL_BUG("two matches of the same version differ");
		json_decref(a);
		json_decref(b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_osv o;
	struct al_osv_stats st = { 0 };
	struct al_err err = { 0 };
	json_t *r = NULL;
	enum al_code rc;
	if (al_osv_open(NULL, &o, &err))
		AL_BUG("cannot open a database in memory");
	FUZZ_ON();
	rc = al_osv_add(&o, (const char *)data, size, size && (data[0] & 1), "fuzz", &st, &err);
	FUZZ_OFF();
	if (rc && !err.msg[0])
		AL_BUG("a record refused without a message");
	if (rc == AL_ENOMEM) {
		al_osv_close(&o);
		return 0;
	}
	if (!rc && st.files != 1)
		AL_BUG("a record read but not counted");
	if (!rc && st.records == 1) {
		struct al_err e = { 0 };
		size_t i;
		json_t *a;
		if (size && (data[0] & 1) ? al_yaml_parse((const char *)data, size, "fuzz", &r, &e)
					  : al_json_parse((const char *)data, size, "fuzz", &r, &e))
			AL_BUG("a record kept that does not parse");
		json_array_foreach(json_object_get(r, "affected"), i, a) {
			const json_t *p = json_object_get(a, "package");
			if (p)
				match(&o, al_json_str(p, "ecosystem"), al_json_str(p, "name"));
		}
		json_decref(r);
	}
	al_osv_close(&o);
	return 0;
}
