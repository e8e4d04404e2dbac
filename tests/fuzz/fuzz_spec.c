/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_spec.c: the bundle spec parser (al_spec_parse): YAML into a jansson
 * tree, then the strict validation of airlock.yaml, with a fixed clock so a
 * result never depends on the day the corpus is replayed.
 *
 * Checks: a failure leaves a message and an empty spec; a success holds only
 * what validation promises (a good name, version >= 1, expiry after now, one
 * resolved path per artifact, distinct OS/ARCH platforms, a python version).
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "spec.h"

enum { FIXED_NOW = 1767225600 }; /* 2026-01-01T00:00:00Z */

static void check_spec(const struct al_spec *s)
{
	if (!s->name || al_bundle_name_bad(s->name))
		AL_BUG("a parsed spec has a bad name");
	if (s->version < 1)
		AL_BUG("a parsed spec has a version below 1");
	if (s->expires <= FIXED_NOW)
		AL_BUG("a parsed spec expires before it was made");
	if (s->nsources == 0 || !s->sources)
		AL_BUG("a parsed spec has no artifacts");
	if (strncmp(s->spec_digest, "sha256:", 7) != 0 || strlen(s->spec_digest) != 7 + AL_HEX_LEN)
		AL_BUG("a parsed spec has no digest");
	if (!s->platforms != !s->nplatforms || (s->platforms && s->platforms[s->nplatforms]))
		AL_BUG("a parsed spec's platforms are not a NULL-terminated list of nplatforms");
	for (size_t i = 0; i < s->nplatforms; i++) {
		if (!strchr(s->platforms[i], '/'))
			AL_BUG("a parsed spec has a platform without OS/ARCH");
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s->platforms[i], s->platforms[k]))
				AL_BUG("a parsed spec lists a platform twice");
	}
	if (s->python && (!strchr(s->python, '.') || s->python[0] < '0' || s->python[0] > '9'))
		AL_BUG("a parsed spec's python is not a version");
	for (size_t i = 0; i < s->nsources; i++) {
		const struct al_source *src = &s->sources[i];
		if (!src->path || src->path[0] != '/')
			AL_BUG("an artifact path was not resolved against the base directory");
		if (src->line != i)
			AL_BUG("an artifact has the wrong index");
		if (src->tag && (src->kind != AL_KIND_IMAGE || !*src->tag))
			AL_BUG("a tag on something that is not an image, or an empty tag");
		if ((src->revision || src->source) && src->kind != AL_KIND_MODEL)
			AL_BUG("'revision' or 'source' on something that is not a model");
		if (src->include && src->kind != AL_KIND_MODEL && src->kind != AL_KIND_VULNDB)
			AL_BUG("'include' on something that is neither a model nor a vulndb");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_spec spec;
	struct al_err err = { 0 };
	if (size > AL_MAX_SPEC)
		return 0; /* al_spec_load refuses these before parsing */
	enum al_code rc;
	FUZZ_ON();
	rc = al_spec_parse((const char *)data, size, "fuzz", "/base", FIXED_NOW, &spec, &err);
	FUZZ_OFF();
	if (rc == AL_OK) {
		check_spec(&spec);
		al_spec_release(&spec);
	} else if (err.code == AL_OK || !err.msg[0] || spec.name || spec.sources || spec.platforms || spec.python) {
		AL_BUG("a failed parse left no message or a half-filled spec");
	}
	return 0;
}
