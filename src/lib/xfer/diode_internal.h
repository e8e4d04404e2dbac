/* SPDX-License-Identifier: Apache-2.0 */
/* diode_internal.h: the datagrams of the diode (docs/protocols/diode.md), shared by its two ends. */
#ifndef AL_DIODE_INTERNAL_H
#define AL_DIODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "diode.h"

enum { DI_HDR = 36, DI_CRC = 4, DI_FORMAT = 1, DI_MIN_SYMBOL = 512, DI_MAX_SYMBOL = 8192 };
enum di_type { DI_MANIFEST = 1, DI_INDEX = 2, DI_DATA = 3, DI_REPAIR = 4, DI_TRAILER = 5, DI_HEARTBEAT = 6 };

/* The header of every datagram. */
struct di_hdr {
	uint8_t type;
	uint16_t len;       /* payload bytes */
	uint64_t session;
	uint32_t block;     /* data, repair: the block; index: its first block; manifest: the piece */
	uint16_t symbol;    /* data, repair: the symbol's row in the block; manifest: the pieces */
	uint16_t k, m;      /* data, repair: the block's data and repair symbols */
	uint16_t sbytes;    /* the session's symbol size */
	uint16_t kfull;     /* the data symbols of a full block */
	uint32_t pass;      /* the carousel's pass, from 1 */
};

/* CRC32C (Castagnoli, as iSCSI and ext4 use it) of N bytes. */
uint32_t di_crc32c(const void *p, size_t n);
/* Writes the datagram of H and its payload (H->len bytes) into OUT; its length. */
size_t di_encode(const struct di_hdr *h, const void *payload, unsigned char *out);
/* Reads a datagram of N bytes: 0 and *H, *PAYLOAD; -1 not ours (magic, version, length);
 * -2 a CRC that does not match. */
int di_decode(const unsigned char *p, size_t n, struct di_hdr *h, const unsigned char **payload);

/* The manifest, as both ends hold it. */
struct di_manifest {
	uint64_t session, tar_bytes, blocks;
	unsigned sbytes, kfull, mfull, passes;
	int64_t version;
	char name[256];
	char sums_digest[AL_DIGEST_STR], tar_digest[AL_DIGEST_STR];
};
/* The data symbols of block B. */
unsigned di_block_k(const struct di_manifest *mf, uint64_t b);
/* The repair symbols for K data symbols at the manifest's overhead. */
unsigned di_repair_for(const struct di_manifest *mf, unsigned k);
/* The manifest as JSON text (caller frees), and back: NULL, or what is wrong. */
char *di_manifest_dump(const struct di_manifest *mf);
const char *di_manifest_parse(const char *text, size_t n, struct di_manifest *mf);

#endif
