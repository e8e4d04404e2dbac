/* SPDX-License-Identifier: Apache-2.0 */
/* diode_recv.c: receive a session of the diode, only receiving, into a checked tar (diode.h). */
#include "diode_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsx.h"
#include "rs.h"

enum { MAX_PIECES = 64, BATCH = 64, PKT_MAX = DI_HDR + DI_MAX_SYMBOL + DI_CRC };
enum { COLLECTING, COMPLETE, VERIFIED };

struct blockst {
	uint16_t m, nd, nr;
	uint16_t rx, top;            /* of the estimating pass: symbols that came, and the highest row */
	uint8_t state, m_known;
};

struct receiver {
	const struct al_diode_recv_opts *o;
	struct al_diode_recv_result *res;
	int fd, tarfd, repfd, locked;
	uint64_t session;
	struct di_manifest mf;
	int have_mf, resume;
	char pieces[MAX_PIECES][DI_MAX_SYMBOL];
	size_t piece_len[MAX_PIECES];
	unsigned npieces, got_pieces;
	uint64_t piece_session;
	char *tarpath, *reppath;
	struct blockst *b;
	unsigned char *bits, *index, *index_have;
	size_t bpb;                  /* bytes of bits per block */
	uint64_t verified;
	struct al_sha256 tarh;       /* the tar, block by block in order, as each is verified */
	uint64_t hashed;             /* the blocks fed into tarh */
	/* the flusher thread starts the writeback of the hashed bytes, so that this thread never
	 * waits on the disk's queue while datagrams arrive */
	pthread_t flusher;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t flush_want, flush_done;
	int flush_stop, flush_started;
	unsigned char *buf;          /* 2 * 255 symbols, for rebuilding */
	double first, last_packet, deadline; /* first: the session's first datagram */
	unsigned trailer_pass;
	unsigned est_pass;           /* the pass whose datagrams the loss is estimated from: the first seen */
	unsigned char pkts[BATCH][PKT_MAX]; /* a batch of datagrams */
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void event(struct receiver *r, const char *fmt, ...) AL_PRINTF(2, 3);
static void event(struct receiver *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (!r->o->on_event)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->o->on_event(r->o->ctx, line);
}

static int bit(const struct receiver *r, uint64_t b, unsigned row)
{
	return r->bits[b * r->bpb + row / 8] >> (row % 8) & 1;
}
static void set_bit(struct receiver *r, uint64_t b, unsigned row)
{
	r->bits[b * r->bpb + row / 8] |= (unsigned char)(1u << (row % 8));
}

/* Where data row ROW of block B lies in the tar, and how many of its bytes are the tar's. */
static uint64_t data_off(const struct receiver *r, uint64_t b, unsigned row, size_t *len)
{
	uint64_t off = (b * r->mf.kfull + row) * r->mf.sbytes;
	*len = r->mf.tar_bytes - off < r->mf.sbytes ? (size_t)(r->mf.tar_bytes - off) : r->mf.sbytes;
	return off;
}
static uint64_t repair_off(const struct receiver *r, uint64_t b, unsigned j)
{
	return (b * AL_RS_MAX + j) * r->mf.sbytes;
}

static enum al_code pwrite_all(int fd, const void *p, size_t n, uint64_t off, const char *path, struct al_err *err)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return al_fail_errno(err, AL_EIO, "cannot write '%s'", path);
		p = (const char *)p + w, n -= (size_t)w, off += (uint64_t)w;
	}
	return AL_OK;
}

static enum al_code pread_all(int fd, void *p, size_t n, uint64_t off, const char *path, struct al_err *err)
{
	ssize_t g = al_pread_full(fd, p, n, off);
	if (g < 0)
		return al_fail_errno(err, AL_EIO, "cannot read '%s'", path);
	if ((size_t)g < n)
		return al_fail(err, AL_EIO, "'%s' ends early (cut short while it was being received?)", path);
	return AL_OK;
}

/* LEN bytes of the tar's part file from OFF into H. */
static enum al_code hash_range(struct receiver *r, uint64_t off, uint64_t len, struct al_sha256 *h, struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (uint64_t done = 0; !rc && done < len;) {
		size_t n = len - done < 2u * AL_RS_MAX * r->mf.sbytes ? (size_t)(len - done) : 2u * AL_RS_MAX * r->mf.sbytes;
		if (!(rc = pread_all(r->tarfd, r->buf, n, off + done, r->tarpath, err)))
			al_sha256_update(h, r->buf, n);
		done += n;
	}
	return rc;
}

/*
 * Feeds the verified blocks that now follow on from the last one into the tar's hash, and
 * starts writing them back to the disk: the end of the session then has neither the whole
 * tar to read again nor all of it to write.
 */
static enum al_code advance(struct receiver *r, struct al_err *err)
{
	uint64_t full = (uint64_t)r->mf.kfull * r->mf.sbytes;
	for (; r->hashed < r->mf.blocks && r->b[r->hashed].state == VERIFIED; r->hashed++) {
		uint64_t off = r->hashed * full, len = r->mf.tar_bytes - off < full ? r->mf.tar_bytes - off : full;
		enum al_code rc = hash_range(r, off, len, &r->tarh, err);
		if (rc)
			return rc;
		pthread_mutex_lock(&r->mu);
		r->flush_want = off + len;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return AL_OK;
}

/* The flusher thread: writeback of the tar up to flush_want (made durable by finish()). */
static void *flusher(void *arg)
{
	struct receiver *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		uint64_t from = r->flush_done, to;
		while (!r->flush_stop && r->flush_want == r->flush_done)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->flush_want == r->flush_done)
			break;
		to = r->flush_want;
		pthread_mutex_unlock(&r->mu);
		sync_file_range(r->tarfd, (off_t)from, (off_t)(to - from), SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&r->mu);
		r->flush_done = to;
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Stops the flusher thread, once what it was asked to start is started. */
static void stop_flusher(struct receiver *r)
{
	if (!r->flush_started)
		return;
	pthread_mutex_lock(&r->mu);
	r->flush_stop = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->flusher, NULL);
	r->flush_started = 0;
}

/* Block B is in: checks it against the index (when it has come), else waits for it. */
static enum al_code verify_block(struct receiver *r, uint64_t b, struct al_err *err)
{
	uint64_t off = b * r->mf.kfull * r->mf.sbytes, len = r->mf.tar_bytes - off;
	unsigned char d[AL_DIGEST_LEN];
	struct al_sha256 h;
	enum al_code rc;
	int resumed = r->resume && r->b[b].state == COLLECTING;
	if ((r->b[b].state != COMPLETE && !resumed) || !(r->index_have[b / 8] >> (b % 8) & 1))
		return AL_OK;
	if (len > (uint64_t)r->mf.kfull * r->mf.sbytes)
		len = (uint64_t)r->mf.kfull * r->mf.sbytes;
	if (resumed) { /* an earlier session's part file may end before this block does */
		struct stat st;
		if (fstat(r->tarfd, &st) || (uint64_t)st.st_size < off + len)
			return AL_OK;
	}
	if ((rc = al_sha256_init(&h, err)))
		return rc;
	rc = hash_range(r, off, len, &h, err);
	al_sha256_final(&h, d);
	al_sha256_release(&h);
	if (rc)
		return rc;
	if (!memcmp(d, r->index + b * AL_DIGEST_LEN, AL_DIGEST_LEN)) {
		r->b[b].state = VERIFIED;
		r->verified++;
		r->res->resumed += resumed;
		return advance(r, err);
	}
	if (resumed)
		return AL_OK; /* not in the part file yet: it comes from this session */
	/* a datagram whose CRC matched by chance, or a sender that changed: take it again */
	event(r, "block %" PRIu64 " does not match the index: it is taken again on the next pass", b);
	memset(r->bits + b * r->bpb, 0, r->bpb);
	memset(&r->b[b], 0, sizeof(r->b[b]));
	return AL_OK;
}

/* Block B has k symbols in but misses data symbols: rebuilds them from the repair symbols. */
static enum al_code rebuild_block(struct receiver *r, uint64_t b, unsigned k, struct al_err *err)
{
	unsigned m = r->b[b].m, surv[AL_RS_MAX], lost[AL_RS_MAX], ns = 0, nl = 0;
	unsigned char *in[AL_RS_MAX], *out[AL_RS_MAX];
	enum al_code rc = AL_OK;
	size_t len;
	for (unsigned row = 0; row < k + m; row++) {
		if (bit(r, b, row) && ns < k)
			surv[ns++] = row;
		else if (!bit(r, b, row) && row < k)
			lost[nl++] = row;
	}
	for (unsigned i = 0; !rc && i < k; i++) {
		in[i] = r->buf + (size_t)i * r->mf.sbytes;
		memset(in[i], 0, r->mf.sbytes);
		if (surv[i] < k) {
			uint64_t off = data_off(r, b, surv[i], &len);
			rc = pread_all(r->tarfd, in[i], len, off, r->tarpath, err);
		} else {
			rc = pread_all(r->repfd, in[i], r->mf.sbytes, repair_off(r, b, surv[i] - k), r->reppath, err);
		}
	}
	for (unsigned x = 0; x < nl; x++)
		out[x] = r->buf + (size_t)(AL_RS_MAX + x) * r->mf.sbytes;
	if (!rc)
		rc = al_rs_decode(k, m, surv, in, lost, nl, out, r->mf.sbytes, err);
	for (unsigned x = 0; !rc && x < nl; x++) {
		uint64_t off = data_off(r, b, lost[x], &len);
		rc = pwrite_all(r->tarfd, out[x], len, off, r->tarpath, err);
	}
	r->res->rebuilt += !rc;
	return rc;
}

/* A data or repair symbol: checked against the manifest, written, and the block completed
 * when k of its symbols are in. */
static enum al_code on_symbol(struct receiver *r, const struct di_hdr *h, const unsigned char *p, struct al_err *err)
{
	uint64_t b = h->block;
	unsigned k = di_block_k(&r->mf, b);
	struct blockst *st;
	enum al_code rc;
	size_t len;
	if (b >= r->mf.blocks || h->k != k || h->len != r->mf.sbytes || h->symbol >= h->k + h->m ||
	    h->k + h->m > AL_RS_MAX || (h->type == DI_DATA) != (h->symbol < k)) {
		r->res->foreign++;
		return AL_OK;
	}
	st = &r->b[b];
	if (!r->est_pass)
		r->est_pass = h->pass;
	if (h->pass == r->est_pass) {
		st->rx++;
		st->top = h->symbol > st->top ? h->symbol : st->top;
	}
	if (st->state != COLLECTING || bit(r, b, h->symbol))
		return AL_OK; /* already in */
	if (st->m_known && st->m != h->m) {
		r->res->foreign++;
		return AL_OK;
	}
	st->m = h->m, st->m_known = 1;
	if (h->type == DI_DATA) {
		uint64_t off = data_off(r, b, h->symbol, &len);
		rc = pwrite_all(r->tarfd, p, len, off, r->tarpath, err);
		st->nd++;
	} else {
		rc = pwrite_all(r->repfd, p, r->mf.sbytes, repair_off(r, b, h->symbol - k), r->reppath, err);
		st->nr++;
	}
	if (rc)
		return rc;
	set_bit(r, b, h->symbol);
	if (st->nd < k && st->nd + st->nr < k)
		return AL_OK;
	if (st->nd < k && (rc = rebuild_block(r, b, k, err)))
		return rc;
	st->state = COMPLETE;
	return verify_block(r, b, err);
}

/* The part files and the state of every block, once the manifest is known. */
static enum al_code start_session(struct receiver *r, struct al_err *err)
{
	struct stat st;
	enum al_code rc;
	r->bpb = (r->mf.kfull + AL_RS_MAX + 7) / 8;
	r->b = calloc(r->mf.blocks, sizeof(*r->b));
	r->bits = calloc(r->mf.blocks, r->bpb);
	r->index = calloc(r->mf.blocks, AL_DIGEST_LEN);
	r->index_have = calloc((r->mf.blocks + 7) / 8, 1);
	r->buf = malloc((size_t)2 * AL_RS_MAX * r->mf.sbytes);
	/* named by the tar, not the session: a resend of the same bundle resumes from what came */
	r->tarpath = al_strf("%s/.diode-%.16s.tar.part", r->o->outdir, r->mf.tar_digest + 7);
	r->reppath = al_strf("%s/.diode-%.16s.repair.part", r->o->outdir, r->mf.tar_digest + 7);
	if (!r->b || !r->bits || !r->index || !r->index_have || !r->buf || !r->tarpath || !r->reppath)
		return al_fail(err, AL_ENOMEM, "out of memory for a session of %" PRIu64 " blocks", r->mf.blocks);
	if ((rc = al_sha256_init(&r->tarh, err)))
		return rc;
	if ((errno = pthread_create(&r->flusher, NULL, flusher, r)))
		return al_fail_errno(err, AL_EIO, "cannot start the flusher thread");
	r->flush_started = 1;
	r->tarfd = open(r->tarpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	r->repfd = open(r->reppath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (r->tarfd < 0 || r->repfd < 0)
		return al_fail_errno(err, AL_EIO, "cannot create the part files in '%s'", r->o->outdir);
	if (fstat(r->tarfd, &st) == 0 && st.st_size > 0) {
		r->resume = 1; /* an earlier session of this tar left blocks: each is taken once the index vouches for it */
		event(r, "resuming from '%s' (%lld bytes from an earlier session)", r->tarpath, (long long)st.st_size);
	}
	r->have_mf = 1;
	r->last_packet = now(); /* the idle clock starts with the session */
	r->res->session = r->mf.session;
	r->res->blocks = r->mf.blocks;
	r->res->tar_bytes = r->mf.tar_bytes;
	event(r, "session %016" PRIx64 ": bundle '%s' version %lld, %" PRIu64 " bytes in %" PRIu64 " blocks, %u passes",
	      r->mf.session, r->mf.name, (long long)r->mf.version, r->mf.tar_bytes, r->mf.blocks, r->mf.passes);
	return AL_OK;
}

/* A piece of the manifest; the session starts once every piece of one is in. */
static enum al_code on_manifest(struct receiver *r, const struct di_hdr *h, const unsigned char *p, struct al_err *err)
{
	char *text;
	size_t n = 0;
	const char *why;
	enum al_code rc = AL_OK;
	if (r->have_mf || !h->symbol || h->symbol > MAX_PIECES || h->block >= h->symbol || h->len > DI_MAX_SYMBOL)
		return AL_OK;
	if (r->got_pieces && (h->session != r->piece_session || h->symbol != r->npieces))
		return AL_OK; /* another session's: the first to complete wins */
	r->piece_session = h->session, r->npieces = h->symbol;
	if (!r->piece_len[h->block]) {
		memcpy(r->pieces[h->block], p, h->len);
		r->piece_len[h->block] = h->len;
		r->got_pieces++;
	}
	if (r->got_pieces < r->npieces)
		return AL_OK;
	if (!(text = malloc((size_t)r->npieces * DI_MAX_SYMBOL)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (unsigned i = 0; i < r->npieces; i++) {
		memcpy(text + n, r->pieces[i], r->piece_len[i]);
		n += r->piece_len[i];
	}
	if ((why = di_manifest_parse(text, n, &r->mf)) || r->mf.session != h->session) {
		event(r, "a manifest that cannot be used: %s", why ? why : "its session is not its datagrams'");
		memset(r->piece_len, 0, sizeof(r->piece_len));
		r->got_pieces = 0;
	} else {
		r->locked = 1;
		r->session = h->session;
		rc = start_session(r, err);
	}
	free(text);
	return rc;
}

/* A run of block digests: blocks already in are checked now. */
static enum al_code on_index(struct receiver *r, const struct di_hdr *h, const unsigned char *p, struct al_err *err)
{
	enum al_code rc = AL_OK;
	if ((uint64_t)h->block + h->symbol > r->mf.blocks || h->len != (size_t)h->symbol * AL_DIGEST_LEN)
		return AL_OK;
	for (unsigned i = 0; !rc && i < h->symbol; i++) {
		uint64_t b = (uint64_t)h->block + i;
		if (r->index_have[b / 8] >> (b % 8) & 1)
			continue;
		memcpy(r->index + b * AL_DIGEST_LEN, p + (size_t)i * AL_DIGEST_LEN, AL_DIGEST_LEN);
		r->index_have[b / 8] |= (unsigned char)(1u << (b % 8));
		rc = verify_block(r, b, err);
	}
	return rc;
}

/* The share of the symbols sent in the first pass this receiver saw that never came: per
 * block, every row up to the highest that arrived was sent. */
static double loss_estimate(const struct receiver *r)
{
	uint64_t sent = 0, got = 0;
	for (uint64_t b = 0; r->have_mf && b < r->mf.blocks; b++)
		if (r->b[b].rx) {
			sent += (uint64_t)r->b[b].top + 1;
			got += r->b[b].rx;
		}
	return sent ? (double)(sent - got) / (double)sent : 0;
}

/* One datagram. */
static enum al_code on_datagram(struct receiver *r, const unsigned char *pkt, size_t n, struct al_err *err)
{
	struct di_hdr h;
	const unsigned char *p;
	int e = di_decode(pkt, n, &h, &p);
	if (e) {
		r->res->bad_crc += e == -2;
		r->res->foreign += e == -1;
		return AL_OK;
	}
	if (!r->first)
		r->first = now();
	if (h.type == DI_MANIFEST)
		return on_manifest(r, &h, p, err);
	if (!r->locked || h.session != r->session) {
		r->res->foreign += r->locked;
		return AL_OK;
	}
	r->res->packets++;
	r->last_packet = now();
	if (h.sbytes != r->mf.sbytes || h.kfull != r->mf.kfull)
		return r->res->foreign++, AL_OK;
	if (h.type == DI_DATA || h.type == DI_REPAIR)
		return on_symbol(r, &h, p, err);
	if (h.type == DI_INDEX)
		return on_index(r, &h, p, err);
	if (h.type == DI_TRAILER && h.pass != r->trailer_pass) {
		r->trailer_pass = h.pass;
		if (h.pass >= r->mf.passes)
			r->deadline = now() + 3; /* the last pass ended: stragglers, then the end */
		r->res->loss = loss_estimate(r);
		event(r, "pass %u of %u ended: %" PRIu64 " of %" PRIu64 " blocks in, %" PRIu64 " rebuilt from repair; about "
			 "%.1f %% of the datagrams of pass %u lost", h.pass, r->mf.passes, r->verified, r->mf.blocks,
		      r->res->rebuilt, r->res->loss * 100, r->est_pass);
	}
	return AL_OK;
}

/* The socket: bound to o->listen, and only ever read. */
static enum al_code bind_socket(struct receiver *r, struct al_err *err)
{
	char host[256];
	const char *l = r->o->listen, *colon = strrchr(l, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	size_t hn = colon ? (size_t)(colon - l) : 0;
	int sz = 32 << 20, e;
	if (hn && l[0] == '[' && l[hn - 1] == ']')
		l++, hn -= 2;
	if (!colon || hn >= sizeof(host) || !colon[1])
		return al_fail(err, AL_EINVAL, "'%s' is not ADDR:PORT", r->o->listen);
	memcpy(host, l, hn);
	host[hn] = 0;
	if ((e = getaddrinfo(hn ? host : NULL, colon + 1, &hints, &ai)))
		return al_fail(err, AL_EINVAL, "cannot resolve '%s': %s", r->o->listen, gai_strerror(e));
	r->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->fd >= 0 && setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)); /* without CAP_NET_ADMIN: what the system allows */
	if (r->fd < 0 || bind(r->fd, ai->ai_addr, ai->ai_addrlen)) {
		freeaddrinfo(ai);
		return al_fail_errno(err, AL_EIO, "cannot listen on %s", r->o->listen);
	}
	freeaddrinfo(ai);
	return AL_OK;
}

/* Every block is in: the whole tar (hashed block by block as they came in order) against
 * the manifest, then renamed into place. */
static enum al_code finish(struct receiver *r, struct al_err *err)
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], *final;
	enum al_code rc;
	if (r->hashed != r->mf.blocks)
		return al_fail(err, AL_EIO, "internal: %" PRIu64 " of %" PRIu64 " blocks hashed", r->hashed, r->mf.blocks);
	al_sha256_final(&r->tarh, d);
	al_sha256_release(&r->tarh);
	al_hex(d, hex);
	if (strcmp(hex, r->mf.tar_digest + 7))
		return al_fail(err, AL_EVERIFY, "the received tar (sha256:%s) is not the manifest's (%s)", hex,
			       r->mf.tar_digest);
	stop_flusher(r);
	if (fdatasync(r->tarfd))
		return al_fail_errno(err, AL_EIO, "cannot write '%s'", r->tarpath);
	if (!(final = al_strf("%s/%s-%lld.tar", r->o->outdir, r->mf.name, (long long)r->mf.version)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (renameat2(AT_FDCWD, r->tarpath, AT_FDCWD, final, RENAME_NOREPLACE)) {
		rc = errno == EEXIST ? al_fail(err, AL_ECONFLICT, "'%s' already exists: it is not replaced", final)
				     : al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", r->tarpath, final);
		free(final);
		return rc;
	}
	free(r->tarpath);
	r->tarpath = NULL;
	r->res->path = final;
	rc = al_fsync_dir(r->o->outdir, err);
	r->res->seconds = now() - r->first;
	return rc;
}

/* The blocks still missing, as ranges [first, last]. */
static json_t *missing(const struct receiver *r)
{
	json_t *list = json_array();
	for (uint64_t b = 0; r->have_mf && b < r->mf.blocks; b++) {
		uint64_t e = b;
		if (r->b[b].state == VERIFIED)
			continue;
		while (e + 1 < r->mf.blocks && r->b[e + 1].state != VERIFIED)
			e++;
		json_array_append_new(list, json_pack("[I, I]", (json_int_t)b, (json_int_t)e));
		b = e;
	}
	return list;
}

/* Reads datagrams until the session is complete, or gives up. */
static enum al_code receive_loop(struct receiver *r, struct al_err *err)
{
	unsigned char (*bufs)[PKT_MAX] = r->pkts;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	double started = now();
	enum al_code rc = AL_OK;
	while (!rc && !(r->have_mf && r->verified == r->mf.blocks)) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };
		double t = now();
		int n;
		if (r->locked && (t - r->last_packet >= r->o->idle || (r->deadline && t >= r->deadline)))
			break;
		if (!r->locked && r->o->first_wait && t - started >= r->o->first_wait)
			return al_fail(err, AL_ENOENT, "no session began on %s in %u s", r->o->listen, r->o->first_wait);
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
			return al_fail_errno(err, AL_EIO, "cannot wait on %s", r->o->listen);
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], PKT_MAX };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		n = recvmmsg(r->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return al_fail_errno(err, AL_EIO, "cannot receive on %s", r->o->listen);
		for (int i = 0; !rc && i < n; i++)
			rc = on_datagram(r, bufs[i], msgs[i].msg_len, err);
		if (!r->locked)
			r->last_packet = now();
	}
	return rc;
}

void al_diode_recv_result_release(struct al_diode_recv_result *r)
{
	free(r->path);
	free(r->kept);
	json_decref(r->missing_blocks);
	memset(r, 0, sizeof(*r));
}

enum al_code al_diode_receive(const struct al_diode_recv_opts *o, struct al_diode_recv_result *res, struct al_err *err)
{
	struct receiver *r = calloc(1, sizeof(*r));
	enum al_code rc;
	memset(res, 0, sizeof(*res));
	if (!r)
		return al_fail(err, AL_ENOMEM, "out of memory");
	r->o = o, r->res = res, r->fd = r->tarfd = r->repfd = -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	rc = al_mkdirs(o->outdir, err);
	if (!rc)
		rc = bind_socket(r, err);
	if (!rc)
		rc = receive_loop(r, err);
	res->loss = loss_estimate(r);
	if (!rc && r->have_mf && r->verified == r->mf.blocks)
		rc = finish(r, err);
	else if (!rc) {
		res->missing = r->have_mf ? r->mf.blocks - r->verified : 0;
		res->missing_blocks = missing(r);
		rc = r->have_mf ? al_fail(err, AL_ENOENT,
					  "incomplete: %" PRIu64 " of %" PRIu64 " blocks are missing; send again (more "
					  "passes, more repair) and receive again: the %" PRIu64 " blocks that came "
					  "are kept, and resume",
					  res->missing, r->mf.blocks, r->verified)
				: al_fail(err, AL_ENOENT, "incomplete: the session's manifest never came");
	}
	stop_flusher(r);
	if (r->fd >= 0)
		close(r->fd);
	if (r->tarfd >= 0)
		close(r->tarfd);
	if (r->repfd >= 0)
		close(r->repfd);
	if (r->reppath)
		unlink(r->reppath);
	if (r->tarpath && r->verified) /* kept, so that a resend of the same bundle resumes */
		res->kept = strdup(r->tarpath);
	else if (r->tarpath)
		unlink(r->tarpath);
	al_sha256_release(&r->tarh);
	free(r->tarpath);
	free(r->reppath);
	free(r->b);
	free(r->bits);
	free(r->index);
	free(r->index_have);
	free(r->buf);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
	return rc;
}
