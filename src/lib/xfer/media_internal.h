/* SPDX-License-Identifier: Apache-2.0 */
/* media_internal.h: the layout of a set of volumes, shared by split, check and join (media.h). */
#ifndef AL_MEDIA_INTERNAL_H
#define AL_MEDIA_INTERNAL_H

#include "media.h"

enum { MEDIA_FORMAT = 1, MEDIA_MAX_CHUNK = 1u << 30, MEDIA_MIN_CHUNK = 4096 };
#define MEDIA_JSON "MEDIA.json"
#define MEDIA_MATRIX "isa-l-cauchy1"

/* What MEDIA.json says: the same on every volume of a set but for `volume`. */
struct media_layout {
	unsigned k, m, volume;             /* volume: 1-based */
	uint64_t chunk, stripes, tar_bytes;
	char tar_digest[AL_DIGEST_STR];    /* the set's identity */
	char sums_digest[AL_DIGEST_STR];
	char *name;
	int64_t version;
	unsigned char *digests;            /* stripes * (k + m) * 32; a data chunk of no bytes is zeros */
};
void media_layout_release(struct media_layout *l);

/* The bytes row ROW of stripe S holds: data rows their part of the tar (0 past its end),
 * parity rows a whole chunk. */
uint64_t media_chunk_len(const struct media_layout *l, uint64_t s, unsigned row);
static inline unsigned char *media_digest(const struct media_layout *l, uint64_t s, unsigned row)
{
	return l->digests + (s * (l->k + l->m) + row) * AL_DIGEST_LEN;
}
/* "chunks/000123": the chunk of stripe S, into out. */
void media_chunk_name(uint64_t s, char out[32]);

/* MEDIA.json of volume VOL (1-based) of the set, into b. */
enum al_code media_layout_dump(const struct media_layout *l, unsigned vol, struct al_buf *b, struct al_err *err);
/* Checks the text of a MEDIA.json (WHAT names it): as media_layout_load, from memory. */
enum al_code media_layout_parse(const char *text, size_t n, const char *what, struct media_layout *l,
				struct al_err *err);
/* Reads and checks VOLUME/MEDIA.json: every field there, of its type, consistent with the
 * others. AL_EVERIFY naming the volume and what is wrong. */
enum al_code media_layout_load(const char *volume, struct media_layout *l, struct al_err *err);
/* Do A and B describe the same set (everything but the volume number)? */
int media_layout_same(const struct media_layout *a, const struct media_layout *b);

/* Writes the tar of BUNDLE into SINK: a tar file's bytes, or the tar of a directory bundle
 * (the bytes `bundle create --tar` writes, with MTIME). */
enum al_code xfer_feed(const char *bundle, int64_t mtime, const struct al_tar_sink *sink, struct al_err *err);

/* The (k + m) x k Cauchy encoding matrix of ISA-L, into a (caller frees); NULL on ENOMEM. */
unsigned char *media_matrix(unsigned k, unsigned m);

#endif
