/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_yaml.c: the YAML reader (al_yaml_parse, libfyaml into jansson).
 *
 * Checks: a failure leaves a message; a tree that was accepted serializes
 * (al_json_dump) and reads back through the JSON parser as an equal tree,
 * since both formats share one validation path (json.h).
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_err err = { 0 };
	struct al_buf b;
	json_t *j = NULL, *back = NULL;
	enum al_code rc;
	if (size > AL_MAX_SPEC)
		return 0; /* every YAML input the tool reads is capped at this or less */
	FUZZ_ON();
	rc = al_yaml_parse((const char *)data, size, "fuzz", &j, &err);
	FUZZ_OFF();
	if (rc != AL_OK) {
		if (err.code == AL_OK || !err.msg[0])
			AL_BUG("a failed YAML parse left no message");
		return 0;
	}
	if (!j)
		AL_BUG("a YAML parse succeeded without a tree");
	al_buf_init(&b, 64u << 20);
	rc = al_json_dump(j, 0, &b, &err);
	if (rc == AL_ELIMIT) {
		/* over the serializer's cap: refused, not a bug */
	} else if (rc != AL_OK) {
		AL_BUG("a tree read from YAML cannot be serialized");
	} else if (al_json_parse(b.data, b.len, "fuzz (round trip)", &back, &err) != AL_OK) {
		AL_BUG("a tree read from YAML does not read back as JSON");
	} else if (!json_equal(j, back)) {
		AL_BUG("a tree read from YAML changes on a JSON round trip");
	}
	json_decref(back);
	json_decref(j);
	al_buf_release(&b);
	return 0;
}
