/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.h: SHA-256 (OpenSSL, SHA-NI where the CPU has it), streaming file
 * hashing and copying, and the parallel runner that spreads such work across
 * cores, largest job first.
 *
 * Nothing here loads a file whole: files are read in AL_IO_CHUNK pieces into
 * one buffer per worker, so memory stays flat whatever the file sizes.
 */
#ifndef AL_HASH_H
#define AL_HASH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum { AL_DIGEST_LEN = 32, AL_HEX_LEN = 64, AL_IO_CHUNK = 1u << 20 };

struct al_sha256 {
	void *ctx; /* EVP_MD_CTX, owned */
};

/* h->ctx is new on success (release with al_sha256_release); on error h is untouched and
 * holds nothing. */
enum al_code al_sha256_init(struct al_sha256 *h, struct al_err *err);
void al_sha256_update(struct al_sha256 *h, const void *p, size_t n);
void al_sha256_final(struct al_sha256 *h, unsigned char out[AL_DIGEST_LEN]);
void al_sha256_release(struct al_sha256 *h);
/* One-shot hash of memory. */
enum al_code al_sha256_mem(const void *p, size_t n, unsigned char out[AL_DIGEST_LEN],
			   struct al_err *err);

/* Writes 64 lower-case hex digits and a NUL into out. */
void al_hex(const unsigned char d[AL_DIGEST_LEN], char out[AL_HEX_LEN + 1]);
/* Parses exactly 64 hex digits (either case). Returns 0 on success, -1 otherwise. */
int al_unhex(const char *s, size_t n, unsigned char d[AL_DIGEST_LEN]);
/* The value of one hex digit (either case), or -1. */
int al_hexval(char c);
/* True if s is "sha256:" followed by 64 lower-case hex digits. */
int al_digest_valid(const char *s);

/* Progress shared between workers and whoever displays it. */
struct al_progress {
	_Atomic uint64_t done;
	_Atomic uint64_t total;
};
void al_progress_add(struct al_progress *p, uint64_t n);

/* Hashes an open file from its current position to EOF; buf is AL_IO_CHUNK bytes. */
enum al_code al_hash_fd(int fd, const char *what, char *buf, unsigned char out[AL_DIGEST_LEN],
			uint64_t *size, struct al_progress *prog, struct al_err *err);
/* Opens (no symlinks followed) and hashes a file. */
enum al_code al_hash_file(const char *path, unsigned char out[AL_DIGEST_LEN], uint64_t *size,
			  struct al_progress *prog, struct al_err *err);
/*
 * Copies src to dst (both open), hashing the bytes as they pass. Writeback of
 * dst is started as it goes but not waited for, so hashing never stalls on the
 * disk: the caller makes the copies durable with al_sync_file() once all of
 * them are written.
 */
enum al_code al_copy_hash_fd(int src, int dst, const char *what, char *buf,
			     unsigned char out[AL_DIGEST_LEN], uint64_t *size,
			     struct al_progress *prog, struct al_err *err);

/*
 * Whether a stream may be a JSON object, from its first bytes: AL_SNIFF_WS
 * while nothing but JSON whitespace has passed (so an empty or all-blank
 * stream stays "may be"), AL_SNIFF_OBJECT once '{' came first, AL_SNIFF_OTHER
 * once anything else did. Zero is AL_SNIFF_WS, so an unsniffed file counts as
 * "may be JSON".
 */
enum al_sniff { AL_SNIFF_WS = 0, AL_SNIFF_OBJECT, AL_SNIFF_OTHER };
void al_sniff_update(enum al_sniff *s, const void *p, size_t n);
/*
 * al_copy_hash_fd (dst may be -1: hash only), sniffing the content into *sniff; a stream
 * that was blank to its end is AL_SNIFF_OTHER. While it may be JSON, the bytes are also
 * added to keep (if keep and keep->max; adds with a NULL error: check keep before use),
 * so a caller can look into exactly the bytes that were hashed.
 */
enum al_code al_copy_hash_fd_sniff(int src, int dst, const char *what, char *buf,
				   unsigned char out[AL_DIGEST_LEN], uint64_t *size, enum al_sniff *sniff,
				   struct al_buf *keep, struct al_progress *prog, struct al_err *err);

/*
 * The parallel runner. `run(job, i, buf, err)` is called once for each index
 * in [0, n), in the order given by `order` (callers pass indexes sorted
 * largest first), from up to `threads` workers, each with its own
 * AL_IO_CHUNK buffer. A job reports its own failure in its own state; the
 * runner's err is only for failures of the runner itself.
 */
typedef void (*al_job_fn)(void *ctx, size_t i, char *buf);
enum al_code al_parallel(al_job_fn run, void *ctx, const size_t *order, size_t n,
			 unsigned threads, struct al_err *err);
/* Workers to use: the number of online CPUs, at least 1, at most 16. */
unsigned al_default_threads(void);

#endif
