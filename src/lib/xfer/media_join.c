/* SPDX-License-Identifier: Apache-2.0 */
/* media_join.c: volumes back into the bundle's tar stream, rebuilt from parity where needed (media.h). */
#include "media_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "rs.h"
#include "json.h"

enum { MAX_COPIES = 8, SLICE = 1u << 20, SLOTS = 2 };
enum { EMPTY, READY, END, FAILED };

/* A chunk read ahead by the reader thread, in order. */
struct slot {
	unsigned char *buf;
	uint64_t len;
	int state;
};

struct al_media_join {
	struct media_layout l;
	char *(*copies)[MAX_COPIES];     /* per row: the volumes given for it */
	unsigned *ncopies;
	/* The reader thread reads, checks and rebuilds the chunks in order into the slots; the
	 * thread that reads the stream hashes the tar and passes it on. */
	struct slot slot[SLOTS];
	unsigned take, put;              /* the slot being passed on (held: holding); being filled */
	int holding, reader_on, stop;
	pthread_t reader;
	pthread_mutex_t mu;              /* guards the slots' states and stop */
	pthread_cond_t cv;
	struct al_err perr;              /* the reader's failure, when a slot is FAILED */
	enum al_code prc;
	const unsigned char *cur;        /* the slot being passed on */
	uint64_t cur_len, cur_pos;
	uint64_t s;                      /* the reader's: the stripe of the next chunk */
	unsigned r;                      /* its row */
	unsigned char **rebuilt;         /* up to m rebuilt data chunks of stripe rebuilt_stripe */
	int *rebuilt_of;                 /* the row each holds, or -1 */
	uint64_t rebuilt_stripe;
	struct al_sha256 tar;
	int tar_open, done;
	uint64_t out;
	json_t *events;                  /* what was rebuilt and why */
	unsigned given;                  /* distinct volume numbers given */
};

/* Opens chunk S of row R on the volume at VOL: a regular file, read-only. -1 with why set. */
static int open_chunk(const char *vol, uint64_t s, char *why, size_t wn)
{
	char name[32], *p;
	struct stat st;
	int fd;
	media_chunk_name(s, name);
	if (!(p = al_join(vol, name))) {
		snprintf(why, wn, "out of memory");
		return -1;
	}
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		snprintf(why, wn, "%s: %s", p, errno == ENOENT ? "missing" : strerror(errno));
	else if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, wn, "%s: not a regular file", p);
		close(fd);
		fd = -1;
	}
	free(p);
	return fd;
}

/* Reads exactly WANT bytes at OFF of FD into BUF; 1 more byte there at the end is "too long". */
static int read_exact(int fd, unsigned char *buf, uint64_t want, uint64_t off, int check_end)
{
	unsigned char extra;
	ssize_t got = al_pread_full(fd, buf, (size_t)want, off);
	if (got < 0 || (uint64_t)got < want)
		return got < 0 ? -1 : -2;
	return check_end && pread(fd, &extra, 1, (off_t)(off + want)) != 0 ? -3 : 0;
}

/* Reads row R of stripe S into BUF from one of the copies given, checked against MEDIA.json;
 * 0, or -1 with why (the last copy's fault) set. */
static int load_checked(struct al_media_join *j, uint64_t s, unsigned r, unsigned char *buf, char *why, size_t wn)
{
	uint64_t want = media_chunk_len(&j->l, s, r);
	snprintf(why, wn, "volume %02u was not given", r + 1);
	for (unsigned c = 0; c < j->ncopies[r]; c++) {
		unsigned char d[AL_DIGEST_LEN];
		struct al_err ignored = { 0 };
		int fd = open_chunk(j->copies[r][c], s, why, wn), e;
		if (fd < 0)
			continue;
		e = read_exact(fd, buf, want, 0, 1);
		close(fd);
		if (e)
			snprintf(why, wn, "%s chunk %06" PRIu64 ": %s", j->copies[r][c], s,
				 e == -1 ? "cannot be read" : e == -2 ? "truncated" : "too long");
		else if (al_sha256_mem(buf, want, d, &ignored))
			snprintf(why, wn, "out of memory");
		else if (memcmp(d, media_digest(&j->l, s, r), AL_DIGEST_LEN))
			snprintf(why, wn, "%s chunk %06" PRIu64 ": corrupt (not the SHA-256 MEDIA.json lists)",
				 j->copies[r][c], s);
		else
			return 0;
	}
	return -1;
}

/* Is row R of stripe S good on one of its copies? Its path into *path (borrowed). */
static int probe(struct al_media_join *j, uint64_t s, unsigned r, const char **path, char *why, size_t wn)
{
	uint64_t want = media_chunk_len(&j->l, s, r);
	*path = NULL;
	if (!want)
		return 1; /* past the end of the tar: zeros */
	for (unsigned c = 0; c < j->ncopies[r]; c++) {
		unsigned char d[AL_DIGEST_LEN];
		uint64_t size = 0;
		struct al_err e = { 0 };
		char name[32], *p;
		media_chunk_name(s, name);
		if (!(p = al_join(j->copies[r][c], name)))
			return 0;
		if (!al_hash_file(p, d, &size, NULL, &e) && size == want &&
		    !memcmp(d, media_digest(&j->l, s, r), AL_DIGEST_LEN)) {
			free(p);
			*path = j->copies[r][c];
			return 1;
		}
		if (e.msg[0])
			snprintf(why, wn, "%.130s: %.120s", p, e.msg);
		else if (size != want)
			snprintf(why, wn, "%.200s: %" PRIu64 " bytes, not %" PRIu64 " (%s)", p, size, want,
				 size < want ? "truncated" : "too long");
		else
			snprintf(why, wn, "%.200s: corrupt (not the SHA-256 MEDIA.json lists)", p);
		free(p);
	}
	if (!j->ncopies[r])
		snprintf(why, wn, "volume %02u was not given", r + 1);
	return 0;
}

/* The survivors and lost rows of a stripe being rebuilt, and what it takes. */
struct rebuild {
	unsigned surv[AL_MEDIA_MAX_VOLUMES], lost[AL_MEDIA_MAX_VOLUMES], ns, nl;
	const char *src[AL_MEDIA_MAX_VOLUMES];
	int fd[AL_MEDIA_MAX_VOLUMES];
	char (*why)[256];
	unsigned char *slices, *in[AL_MEDIA_MAX_VOLUMES], *out[AL_MEDIA_MAX_VOLUMES];
};

/* The rows of stripe S that are good (the first k become survivors) and the data rows from R0
 * on that are not; AL_EVERIFY naming every bad one when fewer than k are good. */
static enum al_code sort_rows(struct al_media_join *j, uint64_t s, unsigned r0, struct rebuild *b, struct al_err *err)
{
	unsigned n = j->l.k + j->l.m, bad = 0;
	char list[1024] = "";
	for (unsigned q = 0; q < n; q++) {
		const char *p;
		int ok = probe(j, s, q, &p, b->why[q], sizeof(b->why[q]));
		if (ok && b->ns < j->l.k) {
			b->surv[b->ns] = q;
			b->src[b->ns++] = p;
		} else if (!ok) {
			size_t len = strlen(list);
			if (q < j->l.k && q >= r0)
				b->lost[b->nl++] = q;
			if (len < sizeof(list) - 1)
				snprintf(list + len, sizeof(list) - len, "%s%s", bad++ ? "; " : "", b->why[q]);
		}
	}
	if (b->ns < j->l.k)
		return al_fail(err, AL_EVERIFY,
			       "stripe %06" PRIu64 " cannot be rebuilt: it needs %u good chunks of its %u and has %u "
			       "(%s); give the volumes that are missing, or copies of the damaged ones",
			       s, j->l.k, n, b->ns, list);
	return AL_OK;
}

/* Computes the lost rows from the survivors, a slice at a time, into j->rebuilt (rs.h). */
static enum al_code decode(struct al_media_join *j, uint64_t s, struct rebuild *b, struct al_err *err)
{
	unsigned k = j->l.k;
	uint64_t slice = j->l.chunk < SLICE ? j->l.chunk : SLICE;
	enum al_code rc = AL_OK;
	if (!(b->slices = malloc((size_t)k * slice)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (unsigned i = 0; !rc && i < k; i++) {
		b->in[i] = b->slices + (size_t)i * slice;
		b->fd[i] = b->src[i] ? open_chunk(b->src[i], s, b->why[b->surv[i]], sizeof(b->why[0])) : -1;
		if (b->src[i] && b->fd[i] < 0)
			rc = al_fail(err, AL_EIO, "while rebuilding stripe %06" PRIu64 ": %s", s, b->why[b->surv[i]]);
	}
	for (uint64_t off = 0; !rc && off < j->l.chunk; off += slice) {
		uint64_t len = j->l.chunk - off < slice ? j->l.chunk - off : slice;
		for (unsigned i = 0; !rc && i < k; i++) {
			uint64_t have = media_chunk_len(&j->l, s, b->surv[i]);
			memset(b->in[i], 0, len);
			if (b->fd[i] >= 0 && off < have &&
			    read_exact(b->fd[i], b->in[i], have - off < len ? have - off : len, off, 0))
				rc = al_fail(err, AL_EIO, "cannot read %s chunk %06" PRIu64 " while rebuilding", b->src[i], s);
		}
		for (unsigned x = 0; x < b->nl; x++)
			b->out[x] = j->rebuilt[x] + off;
		if (!rc)
			rc = al_rs_decode(k, j->l.m, b->surv, b->in, b->lost, b->nl, b->out, len, err);
	}
	return rc;
}

/*
 * Row R0 of stripe S could not be read (WHY): rebuilds every data chunk of the stripe from
 * R0 on that is not good, from k good chunks, and checks each against MEDIA.json.
 */
static enum al_code rebuild(struct al_media_join *j, uint64_t s, unsigned r0, struct al_err *err)
{
	struct rebuild b = { .ns = 0 };
	enum al_code rc;
	for (unsigned i = 0; i < AL_MEDIA_MAX_VOLUMES; i++)
		b.fd[i] = -1;
	if (!(b.why = calloc(j->l.k + j->l.m, sizeof(*b.why))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = sort_rows(j, s, r0, &b, err);
	for (unsigned x = 0; !rc && x < b.nl; x++)
		if (!j->rebuilt[x] && !(j->rebuilt[x] = malloc(j->l.chunk)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && b.nl)
		rc = decode(j, s, &b, err);
	for (unsigned x = 0; x < j->l.m; x++)
		j->rebuilt_of[x] = -1;
	for (unsigned x = 0; !rc && x < b.nl; x++) {
		unsigned char d[AL_DIGEST_LEN];
		if ((rc = al_sha256_mem(j->rebuilt[x], media_chunk_len(&j->l, s, b.lost[x]), d, err)))
			break;
		if (memcmp(d, media_digest(&j->l, s, b.lost[x]), AL_DIGEST_LEN))
			rc = al_fail(err, AL_EVERIFY,
				     "chunk %06" PRIu64 " of volume %02u, rebuilt from parity, is not what MEDIA.json lists: "
				     "more is damaged than the parity covers",
				     s, b.lost[x] + 1);
		else if ((j->rebuilt_of[x] = (int)b.lost[x]), j->ncopies[b.lost[x]]) {
			/* (a volume that was not given is reported once, as missing) */
			json_array_append_new(j->events, json_pack("{s:i, s:I, s:s}", "volume", (int)b.lost[x] + 1, "chunk",
								   (json_int_t)s, "why", b.why[b.lost[x]]));
		}
	}
	j->rebuilt_stripe = s;
	for (unsigned i = 0; i < AL_MEDIA_MAX_VOLUMES; i++)
		if (b.fd[i] >= 0)
			close(b.fd[i]);
	free(b.why);
	free(b.slices);
	return rc;
}

/* The end of the stream: the tar must be all there and be the one MEDIA.json names. */
static enum al_code finish(struct al_media_join *j, struct al_err *err)
{
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	al_sha256_final(&j->tar, d);
	al_sha256_release(&j->tar);
	j->tar_open = 0;
	al_hex(d, hex);
	if (j->out != j->l.tar_bytes || strcmp(j->l.tar_digest + 7, hex))
		return al_fail(err, AL_EVERIFY, "the joined tar (%" PRIu64 " bytes, sha256:%s) is not the one MEDIA.json names",
			       j->out, hex);
	return AL_OK;
}

/* The reader's next chunk into SL: read and checked, or rebuilt; *end at the end of the tar. */
static enum al_code fill_slot(struct al_media_join *j, struct slot *sl, int *end, struct al_err *err)
{
	const unsigned char *cur = NULL;
	char why[512];
	uint64_t len;
	enum al_code rc;
	if (j->r == j->l.k)
		j->s++, j->r = 0;
	if (j->s >= j->l.stripes || !(len = media_chunk_len(&j->l, j->s, j->r))) {
		*end = 1;
		return AL_OK;
	}
	for (int pass = 0; !cur && pass < 2; pass++) {
		for (unsigned x = 0; j->rebuilt_stripe == j->s && x < j->l.m; x++)
			if (j->rebuilt_of[x] == (int)j->r)
				cur = j->rebuilt[x];
		if (!cur && !load_checked(j, j->s, j->r, sl->buf, why, sizeof(why)))
			cur = sl->buf;
		if (!cur && !pass && (rc = rebuild(j, j->s, j->r, err)))
			return rc;
	}
	if (!cur)
		return al_fail(err, AL_EIO, "chunk %06" PRIu64 " of volume %02u: %s", j->s, j->r + 1, why);
	if (cur != sl->buf)
		memcpy(sl->buf, cur, len);
	sl->len = len;
	j->r++;
	return AL_OK;
}

/* The reader thread: every chunk in order, each into the next slot once it is free. */
static void *reader(void *arg)
{
	struct al_media_join *j = arg;
	for (int state = READY; state == READY;) {
		struct slot *sl = &j->slot[j->put];
		int end = 0, stop;
		enum al_code rc;
		pthread_mutex_lock(&j->mu);
		while (sl->state != EMPTY && !j->stop)
			pthread_cond_wait(&j->cv, &j->mu);
		stop = j->stop;
		pthread_mutex_unlock(&j->mu);
		if (stop)
			break;
		rc = fill_slot(j, sl, &end, &j->perr);
		state = rc ? FAILED : end ? END : READY;
		pthread_mutex_lock(&j->mu);
		j->prc = rc;
		sl->state = state;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
		j->put = (j->put + 1) % SLOTS;
	}
	return NULL;
}

/* Stops the reader thread, wherever it is. */
static void stop_reader(struct al_media_join *j)
{
	if (!j->reader_on)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->reader, NULL);
	j->reader_on = 0;
}

/* Moves to the next chunk of the tar, once the reader has it, and adds it to the tar's hash. */
static enum al_code next_chunk(struct al_media_join *j, struct al_err *err)
{
	struct slot *sl;
	int state;
	if (!j->reader_on && !j->stop) {
		if ((errno = pthread_create(&j->reader, NULL, reader, j)))
			return al_fail_errno(err, AL_EIO, "cannot start the reader thread");
		j->reader_on = 1;
	}
	pthread_mutex_lock(&j->mu);
	if (j->holding) {
		j->slot[j->take].state = EMPTY;
		j->take = (j->take + 1) % SLOTS;
		j->holding = 0;
		pthread_cond_broadcast(&j->cv);
	}
	sl = &j->slot[j->take];
	while (sl->state == EMPTY)
		pthread_cond_wait(&j->cv, &j->mu);
	state = sl->state;
	pthread_mutex_unlock(&j->mu);
	if (state == FAILED) {
		*err = j->perr;
		return j->prc;
	}
	if (state == END) {
		j->done = 1;
		stop_reader(j);
		return finish(j, err);
	}
	j->holding = 1;
	j->cur = sl->buf;
	j->cur_len = sl->len;
	j->cur_pos = 0;
	j->out += sl->len;
	al_sha256_update(&j->tar, j->cur, sl->len);
	return AL_OK;
}

static ssize_t join_read(void *ctx, void *buf, size_t n, struct al_err *err)
{
	struct al_media_join *j = ctx;
	size_t got = 0;
	while (got < n && !j->done) {
		size_t take;
		if (j->cur_pos == j->cur_len) {
			if (next_chunk(j, err))
				return -1;
			continue;
		}
		take = j->cur_len - j->cur_pos < n - got ? (size_t)(j->cur_len - j->cur_pos) : n - got;
		memcpy((char *)buf + got, j->cur + j->cur_pos, take);
		j->cur_pos += take;
		got += take;
	}
	return (ssize_t)got;
}

/* Adds VOL, whose MEDIA.json is L, to the join (taking L's contents when it is the first). */
static enum al_code add_volume(struct al_media_join *j, const char *vol, struct media_layout *l, const char *first,
			       struct al_err *err)
{
	unsigned r;
	if (!j->copies) {
		unsigned n = l->k + l->m;
		j->l = *l;
		memset(l, 0, sizeof(*l));
		j->copies = calloc(n, sizeof(*j->copies));
		j->ncopies = calloc(n, sizeof(*j->ncopies));
		j->rebuilt = calloc(j->l.m + 1, sizeof(*j->rebuilt));
		j->rebuilt_of = calloc(j->l.m + 1, sizeof(*j->rebuilt_of));
		if (!j->copies || !j->ncopies || !j->rebuilt || !j->rebuilt_of || !(j->slot[0].buf = malloc(j->l.chunk)) ||
		    !(j->slot[1].buf = malloc(j->l.chunk)))
			return al_fail(err, AL_ENOMEM, "out of memory");
		r = j->l.volume - 1;
	} else if (!media_layout_same(&j->l, l)) {
		return al_fail(err, AL_EVERIFY,
			       "volumes of two sets were given: '%s' is volume %u of bundle '%s' version %lld (tar %s), "
			       "'%s' one of bundle '%s' version %lld (tar %s); give the volumes of one set",
			       vol, l->volume, l->name, (long long)l->version, l->tar_digest, first, j->l.name,
			       (long long)j->l.version, j->l.tar_digest);
	} else {
		r = l->volume - 1;
	}
	if (j->ncopies[r] == MAX_COPIES)
		return al_fail(err, AL_EINVAL, "volume %02u was given more than %d times", r + 1, MAX_COPIES);
	j->given += !j->ncopies[r];
	if (!(j->copies[r][j->ncopies[r]] = strdup(vol)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	j->ncopies[r]++;
	return AL_OK;
}

/* When more volumes are missing than the parity covers: which to add. */
static enum al_code enough(const struct al_media_join *j, struct al_err *err)
{
	unsigned n = j->l.k + j->l.m, need = j->l.k - (j->given < j->l.k ? j->given : j->l.k);
	char list[1200] = "";
	size_t len = 0;
	if (!need)
		return AL_OK;
	for (unsigned r = 0; r < n && len < sizeof(list) - 8; r++)
		if (!j->ncopies[r])
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%svol-%02u", len ? ", " : "", r + 1);
	return al_fail(err, AL_ENOENT,
		       "bundle '%s' version %lld needs %u of its %u volumes and %u were given: add %u more of %s",
		       j->l.name, (long long)j->l.version, j->l.k, n, j->given, need, list);
}

enum al_code al_media_join_open(char *const *vols, size_t n, struct al_media_join **out, struct al_err *err)
{
	struct al_media_join *j = calloc(1, sizeof(*j));
	enum al_code rc = AL_OK;
	const char *first = NULL;
	*out = NULL;
	if (!j || !(j->events = json_array())) {
		free(j);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	j->rebuilt_stripe = UINT64_MAX;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	for (size_t i = 0; !rc && i < n; i++) {
		struct media_layout l;
		if ((rc = media_layout_load(vols[i], &l, err)) == AL_EVERIFY && n > 1) {
			/* a volume whose MEDIA.json is lost counts as missing: the others say what it held */
			json_array_append_new(j->events, json_pack("{s:s, s:s}", "volume_unreadable", vols[i], "why", err->msg));
			al_err_clear(err);
			rc = AL_OK;
			continue;
		}
		if (!rc)
			rc = add_volume(j, vols[i], &l, first, err);
		if (!rc && !first)
			first = vols[i];
		media_layout_release(&l);
	}
	if (!rc && !j->copies)
		rc = al_fail(err, AL_EVERIFY, "none of the %zu volumes given has a readable MEDIA.json", n);
	if (!rc)
		rc = enough(j, err);
	if (!rc)
		rc = al_sha256_init(&j->tar, err);
	j->tar_open = !rc;
	if (rc) {
		al_media_join_free(j);
		return rc;
	}
	*out = j;
	return AL_OK;
}

void al_media_join_source(struct al_media_join *j, struct al_tar_source *src)
{
	src->name = j->l.name;
	src->read = join_read;
	src->ctx = j;
}

json_t *al_media_join_report(struct al_media_join *j)
{
	stop_reader(j); /* (what it rebuilt is in j->events) */
	json_t *missing = json_array();
	for (unsigned r = 0; r < j->l.k + j->l.m; r++)
		if (!j->ncopies[r])
			json_array_append_new(missing, json_integer(r + 1));
	return json_pack("{s:o, s:I, s:s, s:i, s:i, s:o, s:O, s:I}", "name", al_json_text(j->l.name), "version",
			 (json_int_t)j->l.version, "set", j->l.tar_digest, "volumes", (int)(j->l.k + j->l.m), "given",
			 (int)j->given, "missing", missing, "events", j->events, "bytes", (json_int_t)j->out);
}

void al_media_join_free(struct al_media_join *j)
{
	if (!j)
		return;
	stop_reader(j);
	for (unsigned r = 0; j->copies && r < j->l.k + j->l.m; r++)
		for (unsigned c = 0; c < j->ncopies[r]; c++)
			free(j->copies[r][c]);
	for (unsigned x = 0; j->rebuilt && x < j->l.m; x++)
		free(j->rebuilt[x]);
	if (j->tar_open)
		al_sha256_release(&j->tar);
	free(j->copies);
	free(j->ncopies);
	free(j->rebuilt);
	free(j->rebuilt_of);
	for (unsigned i = 0; i < SLOTS; i++)
		free(j->slot[i].buf);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	json_decref(j->events);
	media_layout_release(&j->l);
	free(j);
}
