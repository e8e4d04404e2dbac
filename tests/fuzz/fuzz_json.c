/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json.c: the JSON reader and writer (al_json_parse, al_json_dump),
 * which read every manifest, index.json and airlock.json of a bundle.
 *
 * Checks: a failure leaves a message; an accepted tree serializes, compact
 * and pretty, and each form reads back as an equal tree (unless the output
 * would pass the serializer's cap).
 */
#include <jansson.h>

#include "fuzz.h"
#include "json.h"

static void round_trip(const json_t *j, unsigned flags)
{
	struct al_err err = { 0 };
	struct al_buf b;
	json_t *back = NULL;
	enum al_code rc;
	al_buf_init(&b, 64u << 20);
	rc = al_json_dump(j, flags, &b, &err);
	if (rc == AL_ELIMIT) {
		/* deep nesting, pretty-printed, can outgrow any cap; that is refused, not a bug */
		al_buf_release(&b);
		return;
	}
	if (rc != AL_OK)
		AL_BUG("an accepted JSON tree cannot be serialized");
	if (al_json_parse(b.data, b.len, "fuzz (round trip)", &back, &err) != AL_OK)
		AL_BUG("a serialized tree is not valid JSON");
	if (!json_equal(j, back))
		AL_BUG("a JSON tree changes on a round trip");
	json_decref(back);
	al_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_err err = { 0 };
	json_t *j = NULL;
	if (size > AL_MAX_MANIFEST)
		return 0; /* the largest JSON read whole that fuzzing can reach cheaply */
	enum al_code rc;
	FUZZ_ON();
	rc = al_json_parse((const char *)data, size, "fuzz", &j, &err);
	FUZZ_OFF();
	if (rc != AL_OK) {
		if (err.code == AL_OK || !err.msg[0])
			AL_BUG("a failed JSON parse left no message");
		return 0;
	}
	if (!j)
		AL_BUG("a JSON parse succeeded without a tree");
	round_trip(j, 0);
	round_trip(j, AL_JSON_PRETTY);
	json_decref(j);
	return 0;
}
