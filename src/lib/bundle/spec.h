/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec.h: the bundle spec (`airlock.yaml`, docs/FORMAT.md "The bundle spec"):
 * what to gather, parsed strictly. Unknown keys are errors, so a typo never
 * silently drops an artifact.
 *
 * A parsed spec owns all its strings; paths are resolved against the spec
 * file's directory.
 */
#ifndef AL_SPEC_H
#define AL_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

enum al_kind { AL_KIND_MODEL, AL_KIND_WHEEL, AL_KIND_IMAGE, AL_KIND_FILE, AL_KIND_VULNDB };

/* "model", "wheel", … */
const char *al_kind_name(enum al_kind k);
/* Parses a kind name; -1 when unknown. */
int al_kind_parse(const char *s, enum al_kind *k);

struct al_source {
	enum al_kind kind;
	char *path;       /* resolved local path (for images without the ":tag"); NULL for a remote source */
	char *from;       /* a remote source: "https://…" (kind file) or "hf://REPO@REV" (kind model), or NULL */
	char *requirements; /* `kind: wheels`: the hash-pinned requirements file (resolved path; the
			       source's kind is then AL_KIND_WHEEL, and its wheels come from an index), or NULL */
	char sha256[65];  /* remote files: the SHA-256 the spec pins, lower-case hex */
	char *tag;        /* images: the tag in the source layout, or NULL */
	char *name;       /* the name it is served under inside, or NULL for the default */
	char *revision;   /* models: the upstream revision, or NULL; from hf://, the one asked for */
	char *source;     /* models: the upstream repository, or NULL; from hf://, REPO */
	char **include;   /* models, vulndb: glob patterns, NULL-terminated, or NULL for all */
	char **exclude;   /* models, vulndb: glob patterns, NULL-terminated, or NULL for none */
	unsigned line;    /* the item's index in `artifacts`, from 0, for messages */
};

struct al_spec {
	char *name;
	int64_t version;
	int64_t expires;  /* absolute, seconds since the epoch */
	char *spec_path;  /* as given */
	char spec_digest[7 + AL_HEX_LEN + 1]; /* "sha256:…" of the spec file's bytes */
	struct al_source *sources;
	size_t nsources;
	char **platforms; /* `platforms`: "os/arch[/variant]" strings, NULL-terminated, or NULL when not given */
	size_t nplatforms;
	char *python;     /* `python`: a version "X.Y" or "X.Y.Z", or NULL when not given */
};

/* Checks a bundle name: [a-z0-9][a-z0-9._-]{0,127}. Returns NULL or what is wrong. */
const char *al_bundle_name_bad(const char *name);

/* Reads and validates a spec file; `now` is the creation time, for relative expiry. As
 * al_spec_parse for ownership, and spec_path is set. */
enum al_code al_spec_load(const char *path, int64_t now, struct al_spec *spec, struct al_err *err);
/* Parses a spec from memory; base is the directory relative paths resolve against. spec is
 * zeroed first; on success the caller releases it with al_spec_release, on error it holds
 * nothing. */
enum al_code al_spec_parse(const char *data, size_t n, const char *what, const char *base,
			   int64_t now, struct al_spec *spec, struct al_err *err);
void al_spec_release(struct al_spec *spec);

/*
 * Records what the spec says for later use in airlock.json (docs/FORMAT.md §3): sets
 * "platforms" (an array) and "python" (a string) in meta when the spec gives them; leaves
 * meta alone otherwise. meta is borrowed and changed; on error it may already hold
 * "platforms" (still the caller's to release, as always).
 */
enum al_code al_spec_meta_add(const struct al_spec *spec, json_t *meta, struct al_err *err);

/* Parses a duration "36h", "120d" or "2w" (up to 9 digits) into seconds; -1 on error. */
int al_duration_parse(const char *s, int64_t *secs);
/* Parses an expiry: "120d", "36h", "2w", or an absolute "YYYY-MM-DD[THH:MM:SSZ]". */
int al_expiry_parse(const char *s, int64_t now, int64_t *out);

#endif
