/* SPDX-License-Identifier: Apache-2.0 */
/* diode_send.c: a bundle as paced UDP datagrams with Reed–Solomon repair, in passes (diode.h). */
#include "diode_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media_internal.h"
#include "rs.h"

/* A group of blocks, interleaved on the wire: read and encoded by the reader thread while
 * the sender sends the group before it. */
struct group {
	unsigned char *data, *repair; /* kfull and mfull symbols a block */
	uint64_t fill, first;         /* bytes of data; the first block */
	int full;                     /* ready to send (the reader's to fill when 0) */
};

struct sender {
	const struct al_diode_send_opts *o;
	struct di_manifest mf;
	unsigned char *digests;        /* each block's SHA-256 */
	uint64_t cap;
	struct al_sha256 tar, blk;     /* the measuring pass */
	uint64_t blk_fill;
	int fd;
	struct sockaddr_storage to;
	socklen_t tolen;
	struct group g[2];             /* filled by the reader in turn, sent in the same turn */
	unsigned gr;                   /* the group the reader fills */
	uint64_t gblock;               /* the next block the reader starts */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int read_done, stop;           /* the reader's pass ended; the sender failed, the reader stops */
	enum al_code read_rc;
	struct al_err read_err;
	const char *bundle;
	int64_t mtime;
	unsigned pass;
	unsigned char pkt[DI_HDR + DI_MAX_SYMBOL + DI_CRC];
	double tokens, last, next_beat, started;
	char *manifest;
	uint64_t packets, bytes, index_next;
};

/* The manifest and the index go HEAD_COPIES times at the start and at the end of every pass:
 * at 5 % loss, all eight copies of one are lost once in 2.6e10. */
enum { HEAD_COPIES = 4 };

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Waits for the token bucket to hold BITS: o->rate bits a second, in bursts of 4 ms of the
 * rate (at least 32 datagrams). A sleep is never shorter than 1 ms: the timer's own latency
 * (tens of microseconds) would otherwise slow every datagram at high rates.
 */
static void pace(struct sender *s, double bits)
{
	double burst = 32.0 * (DI_HDR + s->mf.sbytes + DI_CRC + 28) * 8, t = now();
	if (!s->o->rate)
		return;
	if (burst < (double)s->o->rate * 0.004)
		burst = (double)s->o->rate * 0.004;
	s->tokens = s->tokens + (t - s->last) * (double)s->o->rate;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last = t;
	while (s->tokens < bits) {
		double wait = (bits - s->tokens) / (double)s->o->rate;
		struct timespec ts;
		if (wait < 0.001)
			wait = 0.001;
		ts = (struct timespec){ (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		t = now();
		s->tokens += (t - s->last) * (double)s->o->rate;
		if (s->tokens > burst)
			s->tokens = burst;
		s->last = t;
	}
	s->tokens -= bits;
}

/* Sends one datagram; a full buffer waits, nothing is skipped. */
static enum al_code send_one(struct sender *s, struct di_hdr *h, const void *payload, struct al_err *err)
{
	size_t n;
	h->session = s->mf.session, h->sbytes = (uint16_t)s->mf.sbytes, h->kfull = (uint16_t)s->mf.kfull;
	h->pass = s->pass;
	n = di_encode(h, payload, s->pkt);
	pace(s, (double)(n + 28) * 8);
	for (;;) {
		ssize_t w = sendto(s->fd, s->pkt, n, 0, (struct sockaddr *)&s->to, s->tolen);
		if (w == (ssize_t)n)
			break;
		if (w < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)) {
			if (errno != EINTR)
				usleep(200);
			continue;
		}
		return al_fail_errno(err, AL_EIO, "cannot send to %s", s->o->to);
	}
	s->packets++;
	s->bytes += n;
	return AL_OK;
}

/* The manifest, in pieces of a symbol each. */
static enum al_code send_manifest(struct sender *s, struct al_err *err)
{
	size_t len = strlen(s->manifest), pieces = (len + s->mf.sbytes - 1) / s->mf.sbytes;
	enum al_code rc = AL_OK;
	for (size_t i = 0; !rc && i < pieces; i++) {
		size_t take = len - i * s->mf.sbytes < s->mf.sbytes ? len - i * s->mf.sbytes : s->mf.sbytes;
		struct di_hdr h = { .type = DI_MANIFEST, .len = (uint16_t)take, .block = (uint32_t)i,
				    .symbol = (uint16_t)pieces };
		rc = send_one(s, &h, s->manifest + i * s->mf.sbytes, err);
	}
	return rc;
}

static enum al_code send_index_range(struct sender *s, uint64_t first, uint64_t count, struct al_err *err);

/* A heartbeat with the manifest and the next slice of the index, once a second. */
static enum al_code beat(struct sender *s, struct al_err *err)
{
	char text[160];
	struct di_hdr h = { .type = DI_HEARTBEAT };
	enum al_code rc;
	double t = now();
	if (t < s->next_beat)
		return AL_OK;
	s->next_beat = t + 1;
	h.len = (uint16_t)snprintf(text, sizeof(text), "{\"pass\":%u,\"passes\":%u,\"packets\":%" PRIu64 "}",
				   s->pass, s->mf.passes, s->packets);
	rc = send_one(s, &h, text, err);
	if (!rc)
		rc = send_manifest(s, err);
	if (!rc) { /* 16 datagrams of the index a second, round and round */
		uint64_t per = s->mf.sbytes / AL_DIGEST_LEN;
		if (s->index_next >= s->mf.blocks)
			s->index_next = 0;
		rc = send_index_range(s, s->index_next, 16 * per, err);
		s->index_next += 16 * per;
	}
	return rc;
}

/* COUNT blocks' SHA-256 from FIRST on, S / 32 to a datagram. */
static enum al_code send_index_range(struct sender *s, uint64_t first, uint64_t count, struct al_err *err)
{
	uint64_t per = s->mf.sbytes / AL_DIGEST_LEN, end = first + count < s->mf.blocks ? first + count : s->mf.blocks;
	enum al_code rc = AL_OK;
	for (uint64_t b = first; !rc && b < end; b += per) {
		uint64_t n = end - b < per ? end - b : per;
		struct di_hdr h = { .type = DI_INDEX, .len = (uint16_t)(n * AL_DIGEST_LEN), .block = (uint32_t)b,
				    .symbol = (uint16_t)n };
		rc = send_one(s, &h, s->digests + b * AL_DIGEST_LEN, err);
	}
	return rc;
}

/* The manifest and the whole index, COPIES times: what a receiver cannot do without. */
static enum al_code send_head(struct sender *s, int copies, struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (int i = 0; !rc && i < copies; i++)
		if (!(rc = send_manifest(s, err)))
			rc = send_index_range(s, 0, s->mf.blocks, err);
	return rc;
}

/* The blocks of group G: how many, and each one's data and repair symbols. */
static unsigned group_blocks(const struct sender *s, const struct group *g, unsigned *k, unsigned *m)
{
	uint64_t bbytes = (uint64_t)s->mf.kfull * s->mf.sbytes;
	unsigned nb = (unsigned)((g->fill + bbytes - 1) / bbytes);
	for (unsigned i = 0; i < nb; i++) {
		k[i] = di_block_k(&s->mf, g->first + i);
		m[i] = di_repair_for(&s->mf, k[i]);
	}
	return nb;
}

/* The reader's side: the group it has filled gets its repair symbols (zeros past the end of
 * the tar) and is handed over; it then waits for the other group to be sent. */
static enum al_code seal_group(struct sender *s, struct al_err *err)
{
	struct group *g = &s->g[s->gr];
	uint64_t bbytes = (uint64_t)s->mf.kfull * s->mf.sbytes;
	unsigned k[64], m[64], nb = group_blocks(s, g, k, m);
	enum al_code rc = AL_OK;
	memset(g->data + g->fill, 0, nb * bbytes - g->fill);
	for (unsigned i = 0; !rc && i < nb; i++) {
		unsigned char *d[AL_RS_MAX], *p[AL_RS_MAX];
		for (unsigned r = 0; r < k[i]; r++)
			d[r] = g->data + i * bbytes + (uint64_t)r * s->mf.sbytes;
		for (unsigned r = 0; r < m[i]; r++)
			p[r] = g->repair + ((uint64_t)i * s->mf.mfull + r) * s->mf.sbytes;
		rc = al_rs_encode(k[i], m[i], d, p, s->mf.sbytes, err);
	}
	pthread_mutex_lock(&s->mu);
	g->full = 1;
	s->gblock += nb;
	s->gr ^= 1;
	pthread_cond_broadcast(&s->cv);
	while (!s->stop && s->g[s->gr].full)
		pthread_cond_wait(&s->cv, &s->mu);
	if (!rc && s->stop)
		rc = al_fail(err, AL_EIO, "the send stopped");
	pthread_mutex_unlock(&s->mu);
	s->g[s->gr].fill = 0;
	s->g[s->gr].first = s->gblock;
	return rc;
}

static enum al_code send_write(void *ctx, const void *buf, size_t n, struct al_err *err)
{
	struct sender *s = ctx;
	uint64_t room = (uint64_t)s->o->interleave * s->mf.kfull * s->mf.sbytes;
	while (n) {
		struct group *g = &s->g[s->gr];
		size_t take = room - g->fill < n ? (size_t)(room - g->fill) : n;
		enum al_code rc;
		memcpy(g->data + g->fill, buf, take);
		g->fill += take, buf = (const char *)buf + take, n -= take;
		if (g->fill == room && (rc = seal_group(s, err)))
			return rc;
	}
	return AL_OK;
}

/* The reader thread: one pass of the tar into groups. */
static void *reader(void *arg)
{
	struct sender *s = arg;
	enum al_code rc = xfer_feed(s->bundle, s->mtime, &(struct al_tar_sink){ "diode", send_write, s }, &s->read_err);
	if (!rc && s->g[s->gr].fill)
		rc = seal_group(s, &s->read_err);
	pthread_mutex_lock(&s->mu);
	s->read_rc = rc;
	s->read_done = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The sender's side: every symbol of a sealed group, interleaved across its blocks. */
static enum al_code send_group(struct sender *s, const struct group *g, struct al_err *err)
{
	uint64_t bbytes = (uint64_t)s->mf.kfull * s->mf.sbytes;
	unsigned k[64], m[64], nb = group_blocks(s, g, k, m), most = 0;
	enum al_code rc = AL_OK;
	for (unsigned i = 0; i < nb; i++)
		most = k[i] + m[i] > most ? k[i] + m[i] : most;
	for (unsigned sym = 0; !rc && sym < most; sym++)
		for (unsigned i = 0; !rc && i < nb; i++) {
			struct di_hdr h = { .len = (uint16_t)s->mf.sbytes, .block = (uint32_t)(g->first + i),
					    .symbol = (uint16_t)sym, .k = (uint16_t)k[i], .m = (uint16_t)m[i] };
			if (sym >= k[i] + m[i])
				continue;
			h.type = sym < k[i] ? DI_DATA : DI_REPAIR;
			rc = send_one(s, &h,
				      sym < k[i] ? g->data + i * bbytes + (uint64_t)sym * s->mf.sbytes
						 : g->repair + ((uint64_t)i * s->mf.mfull + sym - k[i]) * s->mf.sbytes,
				      err);
			if (!rc)
				rc = beat(s, err);
		}
	return rc;
}

/* Every block of one pass: the reader thread reads and encodes a group while this one sends
 * the group before it, so that the pacing never waits on the disk or the code. */
static enum al_code send_blocks(const char *bundle, int64_t mtime, struct sender *s, struct al_err *err)
{
	pthread_t t;
	enum al_code rc = AL_OK;
	unsigned turn = 0;
	s->bundle = bundle, s->mtime = mtime, s->gr = 0, s->gblock = 0, s->read_done = s->stop = 0;
	s->read_rc = AL_OK;
	s->g[0] = (struct group){ s->g[0].data, s->g[0].repair, 0, 0, 0 };
	s->g[1] = (struct group){ s->g[1].data, s->g[1].repair, 0, 0, 0 };
	if ((errno = pthread_create(&t, NULL, reader, s)))
		return al_fail_errno(err, AL_EIO, "cannot start the reader thread");
	for (;;) {
		struct group *g = &s->g[turn];
		pthread_mutex_lock(&s->mu);
		while (!g->full && !s->read_done)
			pthread_cond_wait(&s->cv, &s->mu);
		pthread_mutex_unlock(&s->mu);
		if (!g->full)
			break; /* the reader is done: its last group was sent */
		rc = send_group(s, g, err);
		pthread_mutex_lock(&s->mu);
		g->full = 0;
		s->stop = rc != AL_OK;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (rc)
			break;
		turn ^= 1;
	}
	pthread_join(t, NULL);
	if (!rc && s->read_rc) {
		*err = s->read_err;
		rc = s->read_rc;
	}
	return rc;
}

/* The block being hashed is complete: its digest into the list (s->blk is released). */
static enum al_code end_block(struct sender *s, struct al_err *err)
{
	if (s->mf.blocks == s->cap) {
		unsigned char *d = realloc(s->digests, (s->cap * 2 + 64) * AL_DIGEST_LEN);
		if (!d) {
			al_sha256_release(&s->blk);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		s->digests = d;
		s->cap = s->cap * 2 + 64;
	}
	al_sha256_final(&s->blk, s->digests + s->mf.blocks++ * AL_DIGEST_LEN);
	al_sha256_release(&s->blk);
	s->blk_fill = 0;
	return AL_OK;
}

/* The measuring pass: the tar's size and SHA-256, and each block's. */
static enum al_code measure_write(void *ctx, const void *buf, size_t n, struct al_err *err)
{
	struct sender *s = ctx;
	uint64_t bbytes = (uint64_t)s->mf.kfull * s->mf.sbytes;
	al_sha256_update(&s->tar, buf, n);
	s->mf.tar_bytes += n;
	while (n) {
		size_t take = bbytes - s->blk_fill < n ? (size_t)(bbytes - s->blk_fill) : n;
		enum al_code rc;
		al_sha256_update(&s->blk, buf, take);
		s->blk_fill += take, buf = (const char *)buf + take, n -= take;
		if (s->blk_fill == bbytes && ((rc = end_block(s, err)) || (rc = al_sha256_init(&s->blk, err))))
			return rc;
	}
	return AL_OK;
}

/* Reads the bundle once to measure it: its blocks' digests, the tar's size and SHA-256. */
static enum al_code measure(const char *bundle, int64_t mtime, struct sender *s, struct al_err *err)
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	enum al_code rc = al_sha256_init(&s->tar, err);
	if (rc)
		return rc;
	if ((rc = al_sha256_init(&s->blk, err))) {
		al_sha256_release(&s->tar);
		return rc;
	}
	rc = xfer_feed(bundle, mtime, &(struct al_tar_sink){ "measure", measure_write, s }, err);
	if (!rc && s->blk_fill)
		rc = end_block(s, err); /* the last block, short */
	else
		al_sha256_release(&s->blk);
	al_sha256_final(&s->tar, d);
	al_sha256_release(&s->tar);
	al_hex(d, hex);
	snprintf(s->mf.tar_digest, sizeof(s->mf.tar_digest), "sha256:%s", hex);
	return rc;
}

/* The socket to send from, and the address of HOST:PORT ([v6]:PORT). */
static enum al_code open_socket(struct sender *s, struct al_err *err)
{
	char host[256];
	const char *to = s->o->to, *colon = strrchr(to, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	size_t hn = colon ? (size_t)(colon - to) : 0;
	int sz = 4 << 20, e;
	if (hn && to[0] == '[' && to[hn - 1] == ']')
		to++, hn -= 2;
	if (!colon || !hn || hn >= sizeof(host) || !colon[1])
		return al_fail(err, AL_EINVAL, "'%s' is not HOST:PORT", s->o->to);
	memcpy(host, to, hn);
	host[hn] = 0;
	if ((e = getaddrinfo(host, colon + 1, &hints, &ai)))
		return al_fail(err, AL_EINVAL, "cannot resolve '%s': %s", s->o->to, gai_strerror(e));
	memcpy(&s->to, ai->ai_addr, ai->ai_addrlen);
	s->tolen = ai->ai_addrlen;
	s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	freeaddrinfo(ai);
	if (s->fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot open a UDP socket");
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return AL_OK;
}

/* One pass of the carousel: manifest and index, every block, manifest and index again, then
 * the trailer three times. */
static enum al_code one_pass(const char *bundle, int64_t mtime, struct sender *s, struct al_err *err)
{
	char text[160];
	enum al_code rc = send_head(s, HEAD_COPIES, err);
	if (!rc)
		rc = send_blocks(bundle, mtime, s, err);
	if (!rc)
		rc = send_head(s, HEAD_COPIES, err);
	for (int i = 0; !rc && i < 3; i++) {
		struct di_hdr h = { .type = DI_TRAILER };
		h.len = (uint16_t)snprintf(text, sizeof(text), "{\"pass\":%u,\"passes\":%u,\"packets\":%" PRIu64 "}",
					   s->pass, s->mf.passes, s->packets);
		rc = send_one(s, &h, text, err);
	}
	return rc;
}

enum al_code al_diode_send(const char *bundle, const struct al_diode_send_opts *o, struct al_diode_send_result *res,
			   struct al_report *rep, struct al_err *err)
{
	struct sender s = { .o = o, .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct al_bview v = { 0 };
	struct al_bundle_info info = { 0 };
	int checked = 0;
	enum al_code rc;
	memset(res, 0, sizeof(*res));
	if (o->symbol_bytes < DI_MIN_SYMBOL || o->symbol_bytes > DI_MAX_SYMBOL || o->block_symbols < 1 ||
	    o->block_symbols > 254 || o->interleave < 1 || o->interleave > 64 || o->repeat < 1 || o->fec < 0 || o->fec > 1)
		return al_fail(err, AL_EINVAL, "the diode's settings are out of range (symbol 512-8192 bytes, block 1-254 "
			       "symbols, interleave 1-64, repeat >= 1, fec 0-100 %%)");
	s.mf.sbytes = o->symbol_bytes, s.mf.kfull = o->block_symbols, s.mf.passes = o->repeat;
	s.mf.mfull = (unsigned)(o->fec * o->block_symbols + 0.999999);
	if (s.mf.kfull + s.mf.mfull > 255)
		s.mf.mfull = 255 - s.mf.kfull;
	rc = al_bundle_scan_check(bundle, &v, rep, &info, &checked, NULL, err);
	al_bview_release(&v);
	if (!rc && !checked)
		rc = al_fail(err, AL_EVERIFY, "bundle '%s' does not verify, so it is not sent", bundle);
	if (!rc) {
		s.mf.version = info.version;
		snprintf(s.mf.name, sizeof(s.mf.name), "%s", info.name);
		snprintf(s.mf.sums_digest, sizeof(s.mf.sums_digest), "%s", info.sums_digest);
		rc = measure(bundle, info.created, &s, err);
	}
	if (!rc && getrandom(&s.mf.session, sizeof(s.mf.session), 0) != sizeof(s.mf.session))
		rc = al_fail_errno(err, AL_EIO, "cannot draw a session id");
	if (!rc && !(s.manifest = di_manifest_dump(&s.mf)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (int i = 0; !rc && i < 2; i++)
		if (!(s.g[i].data = malloc((size_t)o->interleave * s.mf.kfull * s.mf.sbytes)) ||
		    !(s.g[i].repair = malloc((size_t)o->interleave * (s.mf.mfull + 1) * s.mf.sbytes)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc)
		rc = open_socket(&s, err);
	s.started = s.last = now();
	for (s.pass = 1; !rc && s.pass <= o->repeat; s.pass++) {
		rc = one_pass(bundle, info.created, &s, err);
		if (!rc && o->on_pass)
			o->on_pass(o->ctx, s.pass, s.packets);
	}
	if (!rc) {
		res->session = s.mf.session, res->packets = s.packets, res->bytes = s.bytes, res->blocks = s.mf.blocks;
		res->tar_bytes = s.mf.tar_bytes, res->seconds = now() - s.started;
		snprintf(res->tar_digest, sizeof(res->tar_digest), "%s", s.mf.tar_digest);
	}
	if (s.fd >= 0)
		close(s.fd);
	free(s.digests);
	for (int i = 0; i < 2; i++) {
		free(s.g[i].data);
		free(s.g[i].repair);
	}
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	free(s.manifest);
	al_bundle_info_release(&info);
	return rc;
}
