/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tensors.h: the headers of safetensors and GGUF files, checked before anything
 * loads them (docs/protocols/model-files.md). Neither format runs code; a header
 * that lies about sizes and offsets is how a loader is made to read out of bounds.
 *
 * Invariants: only the header is read (pread, bounded by the file's size before any
 * allocation); a header that breaks a rule is a finding (*why says which rule and
 * where), not an error; errors are reading the file and memory.
 */
#ifndef AL_TENSORS_H
#define AL_TENSORS_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

enum { AL_SAFETENSORS_MAX_HEADER = 100000000 }; /* the reference implementation's limit */

struct al_tensors {
	int ok;           /* the header keeps every rule */
	char why[256];    /* the first rule it breaks, when not ok */
	uint64_t tensors; /* how many it declares */
	json_t *meta;     /* what it says of itself (safetensors __metadata__; GGUF general.* strings
			     and whether it holds tokenizer.chat_template); owned, may be NULL */
};

/*
 * safetensors: u64 LE header length N (at most AL_SAFETENSORS_MAX_HEADER), then a JSON
 * object of tensors {dtype, shape, data_offsets} and an optional __metadata__ of strings;
 * each tensor's byte size is its shape's product times its dtype's size; sorted by
 * offset they are contiguous from 0, and the last ends exactly at the end of the file.
 */
enum al_code al_safetensors_check(int fd, uint64_t size, struct al_tensors *t, struct al_err *err);

/*
 * GGUF v2 and v3 (little-endian): the key/value metadata (known types only, strings and
 * arrays bounded by what is left of the file, general.alignment a non-zero multiple of
 * 8), then the tensor infos (names at most 64 bytes, 1 to 4 dimensions, a known ggml
 * type whose block divides the first dimension, offsets aligned); every tensor's data
 * lies inside the file, after the header, and no two overlap.
 */
enum al_code al_gguf_check(int fd, uint64_t size, struct al_tensors *t, struct al_err *err);

void al_tensors_release(struct al_tensors *t);

#endif
