/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diode.h: a bundle through a one-way link as UDP datagrams with forward error correction
 * (docs/protocols/diode.md).
 *
 * The sender cuts the bundle's tar into blocks of up to `block_symbols` symbols of
 * `symbol_bytes` each, adds Reed–Solomon repair symbols to each block (ISA-L, Cauchy,
 * GF(2^8)) at the chosen overhead, and sends every symbol as one datagram with a CRC32C and
 * the session's id, interleaving the symbols of several blocks so that a burst of loss
 * spreads over them. A manifest (the bundle, the tar's size and SHA-256, the layout) and an
 * index (each block's SHA-256) open every pass, and the manifest comes again with each
 * heartbeat; the whole is sent `repeat` times, a carousel, paced by a token bucket.
 *
 * The receiver only receives: it opens one socket, binds it and reads from it, and never
 * sends. It writes symbols into a part file, rebuilds a block as soon as any k of its
 * symbols are in, checks the block against the index, and when every block is in and the
 * whole tar has the manifest's SHA-256, renames the file into place. A block that loses
 * more than its repair symbols is filled on a later pass of the carousel; a receiver
 * started late completes from later passes.
 */
#ifndef AL_DIODE_H
#define AL_DIODE_H

#include <jansson.h>
#include <stdint.h>

#include "bundle.h"
#include "err.h"
#include "hash.h"

struct al_diode_send_opts {
	const char *to;          /* HOST:PORT ([v6]:PORT) */
	uint64_t rate;           /* bits per second on the wire (IP and UDP headers counted); 0: no limit */
	double fec;              /* repair symbols per data symbol, 0 to 1 (0.08 for 8 %) */
	unsigned repeat;         /* passes of the carousel, at least 1 */
	unsigned symbol_bytes;   /* payload of a datagram: 512 to 8192 (default 1400, for a 1500-byte MTU) */
	unsigned block_symbols;  /* data symbols of a full block (default 200) */
	unsigned interleave;     /* blocks interleaved (default 8) */
	/* called at the end of each pass (may be NULL) */
	void (*on_pass)(void *ctx, unsigned pass, uint64_t packets);
	void *ctx;
};

struct al_diode_send_result {
	uint64_t session, packets, bytes, blocks, tar_bytes;
	char tar_digest[AL_DIGEST_STR];
	double seconds;
};

/*
 * Verifies BUNDLE (a directory or a tar: structure and hashes) and sends it. AL_EVERIFY when
 * it does not verify; AL_EIO when the network refuses (a send that fails is retried, never
 * skipped: what goes out is paced, and a full socket buffer waits).
 */
enum al_code al_diode_send(const char *bundle, const struct al_diode_send_opts *o,
			   struct al_diode_send_result *res, struct al_report *rep, struct al_err *err);

struct al_diode_recv_opts {
	const char *listen;      /* ADDR:PORT to bind */
	const char *outdir;      /* where the bundle's tar is written, as NAME-VERSION.tar */
	unsigned idle;           /* seconds without a datagram of the session, after which it gives up (default 30) */
	unsigned first_wait;     /* seconds to wait for a first datagram (0: forever) */
	/* called with each report line: a pass seen, a block rebuilt, what is missing (may be NULL) */
	void (*on_event)(void *ctx, const char *line);
	void *ctx;
};

struct al_diode_recv_result {
	char *path;              /* the tar written (caller frees), or NULL */
	uint64_t session, packets, bad_crc, foreign, blocks, rebuilt, missing;
	uint64_t resumed;        /* blocks taken from the part file an earlier session left */
	char *kept;              /* incomplete: the part file kept for a resend to resume (caller frees), or NULL */
	uint64_t tar_bytes;
	double loss;             /* datagrams lost, as a share, as of the last trailer seen (0 when none) */
	double seconds;          /* complete: from the first datagram it read to the tar in place */
	json_t *missing_blocks;  /* ranges of blocks still missing, when it gave up (new reference) */
};
void al_diode_recv_result_release(struct al_diode_recv_result *r);

/*
 * Receives one session into o->outdir. AL_OK when the tar is complete, checked and renamed
 * into place; AL_ENOENT ("incomplete") when the session stopped with blocks missing (the
 * result lists them, and the part file of the blocks that came is kept: a later session of
 * the same tar, a resend, takes each block from it that the index vouches for); AL_EIO on
 * a socket or file error.
 */
enum al_code al_diode_receive(const struct al_diode_recv_opts *o, struct al_diode_recv_result *res,
			      struct al_err *err);

#endif
