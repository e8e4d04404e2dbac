/* SPDX-License-Identifier: Apache-2.0 */
/* media_split.c: a bundle's tar stream into volumes with Reed–Solomon parity (media.h). */
#include "media_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <isa-l/erasure_code.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"

enum { BLOCK = AL_DIRECT_ALIGN, NDATA = 4, WRITERS = 2 };
static uint64_t round_block(uint64_t n) { return (n + BLOCK - 1) / BLOCK * BLOCK; }

/* A chunk handed to the writer threads: one of them hashes it and writes it as a file of its own. */
struct job {
	const unsigned char *buf;
	uint64_t n, stripe;
	unsigned row;
	unsigned *busy;             /* the count of its buffer's set, less one when it is written */
};

/*
 * The split in progress: the sink the tar stream is written into. This thread cuts the
 * stream, hashes the whole of it and encodes the parity; the writer threads hash each
 * chunk and write it, so the two cores share the work and the disk's time overlaps both.
 */
struct splitter {
	struct media_layout l;
	char **vol;                 /* the hidden directories being written, one per row */
	unsigned char *data[NDATA]; /* data chunks: one being filled, the others with the writers */
	unsigned dbusy[NDATA], dcur;
	unsigned char **parity;     /* two sets of m parity chunks: one accumulating, the other written */
	unsigned pbusy[2], pcur;
	unsigned char *tbls;        /* ISA-L's tables for the parity rows */
	uint64_t fill, stripe, cap; /* bytes in data; the current stripe; stripes digests has room for */
	unsigned row;               /* the data row being filled */
	struct al_sha256 tar;       /* the whole stream */
	struct al_progress *prog;
	pthread_mutex_t mu;         /* guards what follows, and l.digests */
	pthread_cond_t cv;
	struct job *q;              /* the writers' queue, a ring */
	uint64_t qhead, qtail;
	unsigned qcap;
	int qdone;
	unsigned started;           /* writer threads running */
	pthread_t writer[WRITERS];
	enum al_code wrc;           /* the writers' first failure, in werr */
	struct al_err werr;
};

/* Writes N bytes of P as PATH, past the page cache where it can (the disk's time is then the
 * writer's, and a split larger than memory does not push everything out of the cache). */
static enum al_code put_chunk(const char *path, const unsigned char *p, uint64_t n, struct al_err *err)
{
	int direct, fd = al_create_direct(path, 0644, &direct);
	enum al_code rc;
	if (fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot create '%s'", path);
	rc = al_pwrite_direct(fd, &direct, p, (size_t)n, 0, path, err);
	if (close(fd) && !rc)
		rc = al_fail_errno(err, AL_EIO, "cannot write '%s'", path);
	return rc;
}

/* A writer thread (there are two, so that one hashes while the other waits on the disk):
 * each chunk's SHA-256 into the layout, and the chunk into its volume. */
static void *writer(void *arg)
{
	struct splitter *sp = arg;
	pthread_mutex_lock(&sp->mu);
	for (;;) {
		struct job j;
		unsigned char d[AL_DIGEST_LEN];
		struct al_err e = { 0 };
		enum al_code rc;
		while (sp->qhead == sp->qtail && !sp->qdone)
			pthread_cond_wait(&sp->cv, &sp->mu);
		if (sp->qhead == sp->qtail)
			break;
		j = sp->q[sp->qhead++ % sp->qcap];
		rc = sp->wrc; /* after a failure the rest is only handed back */
		pthread_mutex_unlock(&sp->mu);
		if (!rc && !(rc = al_sha256_mem(j.buf, j.n, d, &e))) {
			char name[32], *path;
			media_chunk_name(j.stripe, name);
			if (!(path = al_join(sp->vol[j.row], name)))
				rc = al_fail(&e, AL_ENOMEM, "out of memory");
			else
				rc = put_chunk(path, j.buf, j.n, &e);
			free(path);
		}
		pthread_mutex_lock(&sp->mu);
		if (!rc)
			memcpy(media_digest(&sp->l, j.stripe, j.row), d, AL_DIGEST_LEN);
		else if (!sp->wrc)
			sp->wrc = rc, sp->werr = e;
		(*j.busy)--;
		pthread_cond_broadcast(&sp->cv);
	}
	pthread_mutex_unlock(&sp->mu);
	return NULL;
}

/* The writers' first failure, as this thread's (called with sp->mu held). */
static enum al_code writer_failed(struct splitter *sp, struct al_err *err)
{
	if (sp->wrc)
		*err = sp->werr;
	return sp->wrc;
}

/* Hands N bytes of BUF, row ROW of the current stripe, to the writers; BUSY counts it until written. */
static enum al_code hand_over(struct splitter *sp, const unsigned char *buf, uint64_t n, unsigned row, unsigned *busy,
			      struct al_err *err)
{
	enum al_code rc;
	pthread_mutex_lock(&sp->mu);
	if (!(rc = writer_failed(sp, err)) && sp->stripe >= sp->cap) {
		uint64_t cap = sp->cap * 2 + 64;
		unsigned char *d = realloc(sp->l.digests, cap * (sp->l.k + sp->l.m) * AL_DIGEST_LEN);
		if (!d)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else
			sp->l.digests = d, sp->cap = cap;
	}
	if (!rc) {
		(*busy)++;
		sp->q[sp->qtail++ % sp->qcap] = (struct job){ buf, n, sp->stripe, row, busy };
		pthread_cond_broadcast(&sp->cv);
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

/* Waits until the writers have written every chunk counted by BUSY. */
static enum al_code wait_free(struct splitter *sp, const unsigned *busy, struct al_err *err)
{
	enum al_code rc;
	pthread_mutex_lock(&sp->mu);
	while (*busy && !sp->wrc)
		pthread_cond_wait(&sp->cv, &sp->mu);
	rc = writer_failed(sp, err);
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

/* The data chunk is complete (or the stream ended): add it to the parity, hand it over,
 * and take the next buffer once the writers are done with it. */
static enum al_code finish_data(struct splitter *sp, struct al_err *err)
{
	unsigned char *d = sp->data[sp->dcur];
	enum al_code rc;
	memset(d + sp->fill, 0, sp->l.chunk - sp->fill);
	if (sp->l.m)
		ec_encode_data_update((int)sp->l.chunk, (int)sp->l.k, (int)sp->l.m, (int)sp->row, sp->tbls, d,
				      sp->parity + (size_t)sp->pcur * sp->l.m);
	if ((rc = hand_over(sp, d, sp->fill, sp->row, &sp->dbusy[sp->dcur], err)))
		return rc;
	sp->dcur = (sp->dcur + 1) % NDATA;
	sp->fill = 0;
	sp->row++;
	return wait_free(sp, &sp->dbusy[sp->dcur], err);
}

/* The stripe is complete: zero digests for the empty data rows, then the parity chunks. */
static enum al_code finish_stripe(struct splitter *sp, struct al_err *err)
{
	unsigned char **set = sp->parity + (size_t)sp->pcur * sp->l.m;
	enum al_code rc = AL_OK;
	pthread_mutex_lock(&sp->mu);
	for (; sp->row < sp->l.k && sp->stripe < sp->cap; sp->row++)
		memset(media_digest(&sp->l, sp->stripe, sp->row), 0, AL_DIGEST_LEN);
	pthread_mutex_unlock(&sp->mu);
	for (unsigned p = 0; !rc && p < sp->l.m; p++)
		rc = hand_over(sp, set[p], sp->l.chunk, sp->l.k + p, &sp->pbusy[sp->pcur], err);
	sp->pcur ^= 1;
	if (!rc && !(rc = wait_free(sp, &sp->pbusy[sp->pcur], err)))
		for (unsigned p = 0; p < sp->l.m; p++)
			memset(sp->parity[(size_t)sp->pcur * sp->l.m + p], 0, sp->l.chunk);
	sp->row = 0;
	sp->stripe++;
	return rc;
}

static enum al_code split_write(void *ctx, const void *buf, size_t n, struct al_err *err)
{
	struct splitter *sp = ctx;
	const unsigned char *p = buf;
	al_sha256_update(&sp->tar, buf, n);
	al_progress_add(sp->prog, n);
	while (n) {
		size_t take = sp->l.chunk - sp->fill < n ? (size_t)(sp->l.chunk - sp->fill) : n;
		enum al_code rc;
		memcpy(sp->data[sp->dcur] + sp->fill, p, take);
		sp->fill += take, p += take, n -= take;
		sp->l.tar_bytes += take;
		if (sp->fill == sp->l.chunk && ((rc = finish_data(sp, err)) ||
						(sp->row == sp->l.k && (rc = finish_stripe(sp, err)))))
			return rc;
	}
	return AL_OK;
}

/* The bytes one volume takes when each holds STRIPES chunks: files rounded up to blocks. */
static uint64_t volume_bytes(uint64_t stripes, unsigned n, uint64_t chunk, uint64_t extra)
{
	uint64_t media_json = 1024 + stripes * n * 72;
	return stripes * round_block(chunk) + round_block(media_json) + extra + 4 * BLOCK;
}

/*
 * Chooses the chunk size and K for a tar of at most TAR bytes on volumes of SIZE bytes
 * with M parity volumes, EXTRA bytes of README and custody log on each: the fewest data
 * volumes that fit.
 */
static enum al_code plan(uint64_t tar, const struct al_media_opts *o, uint64_t extra, struct media_layout *l,
			 struct al_err *err)
{
	uint64_t chunk = o->chunk_size;
	if (!chunk) { /* about 1/512 of a volume, a power of two, 4 KiB to 4 MiB */
		for (chunk = MEDIA_MIN_CHUNK; chunk < (4u << 20) && chunk * 2 <= o->volume_size / 512; chunk *= 2)
			;
	}
	if (chunk < MEDIA_MIN_CHUNK || chunk > MEDIA_MAX_CHUNK || chunk % 512)
		return al_fail(err, AL_EINVAL, "a chunk of %" PRIu64 " bytes: it must be a multiple of 512 from 4 KiB to 1 GiB",
			       chunk);
	if (o->parity >= AL_MEDIA_MAX_VOLUMES)
		return al_fail(err, AL_EINVAL, "%u parity volumes: at most %d volumes in all", o->parity,
			       AL_MEDIA_MAX_VOLUMES);
	for (unsigned k = 1; k + o->parity <= AL_MEDIA_MAX_VOLUMES; k++) {
		uint64_t stripes = (tar + (uint64_t)k * chunk - 1) / ((uint64_t)k * chunk);
		if (volume_bytes(stripes, k + o->parity, chunk, extra) <= o->volume_size) {
			l->k = k, l->m = o->parity, l->chunk = chunk;
			return AL_OK;
		}
	}
	return al_fail(err, AL_ELIMIT,
		       "a tar of about %" PRIu64 " bytes does not fit %d volumes of %" PRIu64 " bytes with %u for "
		       "parity: use larger media",
		       tar, AL_MEDIA_MAX_VOLUMES, o->volume_size, o->parity);
}

/* An upper bound of the tar a bundle makes: its size, or for a directory its files with
 * their headers. */
static uint64_t tar_estimate(const char *bundle, const struct al_bview *v)
{
	struct stat st;
	uint64_t n = 2 * 10240;
	if (al_bundle_is_tar(bundle) && stat(bundle, &st) == 0)
		return (uint64_t)st.st_size;
	for (size_t i = 0; i < v->n; i++)
		n += (v->files[i].size + 511) / 512 * 512 + 2048 + (2 * strlen(v->files[i].path) + 511) / 512 * 512;
	return n + 64 * 2048; /* the directories */
}

enum al_code al_media_fit(const char *bundle, const struct al_media_opts *o, unsigned *k, uint64_t *tar_bytes,
			  struct al_err *err)
{
	struct al_bview v = { 0 };
	struct al_report rep = { 0 };
	struct media_layout l = { 0 };
	enum al_code rc = al_bundle_is_tar(bundle) ? AL_OK : al_bview_walk(bundle, &v, &rep, err);
	*k = 0;
	*tar_bytes = rc ? 0 : tar_estimate(bundle, &v);
	if (!rc) /* (the custody log, a few KiB, is left to the margin of a block) */
		rc = plan(*tar_bytes, o, 2 * BLOCK, &l, err);
	*k = rc ? 0 : l.k;
	al_bview_release(&v);
	al_report_release(&rep);
	return rc;
}

/* README.txt of volume VOL, into b. */
static enum al_code readme(const struct media_layout *l, unsigned vol, struct al_buf *b, struct al_err *err)
{
	return al_buf_addf(b, err,
			   "This is volume %u of %u of the airlock bundle '%s', version %lld.\n\n"
			   "It is one part of a set of removable media that carries the bundle across an air gap.\n"
			   "Any %u of the %u volumes rebuild the bundle, so %u may be lost or damaged. Hand it\n"
			   "to the person named in the transfer's chain of custody; do not open it elsewhere.\n\n"
			   "Check this volume on its own:   airlock media check vol-%02u\n"
			   "Join the volumes into the tar:  airlock media join vol-* -o BUNDLE.tar\n"
			   "Import straight from them:      airlock import vol-* --store STORE\n\n"
			   "The set: the bundle's tar, %" PRIu64 " bytes, %s\n"
			   "The bundle's SHA256SUMS: %s\n"
			   "MEDIA.json lists the SHA-256 of every chunk on every volume of the set.\n",
			   vol, l->k + l->m, l->name, (long long)l->version, l->k, l->k + l->m, l->m, vol, l->tar_bytes,
			   l->tar_digest, l->sums_digest);
}

/* Writes NAME in volume directory DIR from B (atomically), adding its size to *bytes. */
static enum al_code put_file(const char *dir, const char *name, const struct al_buf *b, uint64_t *bytes,
			     struct al_err *err)
{
	char *p = al_join(dir, name);
	enum al_code rc = p ? al_write_atomic(p, b->data ? b->data : "", b->len, err)
			    : al_fail(err, AL_ENOMEM, "out of memory");
	*bytes += round_block(b->len);
	free(p);
	return rc;
}

/* MEDIA.json, README.txt and custody.log into every volume; then everything to disk. */
static enum al_code finish_volumes(struct splitter *sp, const struct al_buf *custody, struct al_media_result *res,
				   struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (unsigned r = 0; !rc && r < sp->l.k + sp->l.m; r++) {
		struct al_buf b;
		uint64_t bytes = 4 * BLOCK;
		int fd;
		for (uint64_t s = 0; s < sp->l.stripes; s++)
			bytes += round_block(media_chunk_len(&sp->l, s, r));
		al_buf_init(&b, AL_MAX_SMALL);
		if (!(rc = media_layout_dump(&sp->l, r + 1, &b, err)) && !(rc = put_file(sp->vol[r], MEDIA_JSON, &b, &bytes, err))) {
			b.len = 0;
			if (!(rc = readme(&sp->l, r + 1, &b, err)))
				rc = put_file(sp->vol[r], "README.txt", &b, &bytes, err);
		}
		al_buf_release(&b);
		if (!rc && custody->len)
			rc = put_file(sp->vol[r], "custody.log", custody, &bytes, err);
		if (!rc && (fd = open(sp->vol[r], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			if (syncfs(fd))
				rc = al_fail_errno(err, AL_EIO, "cannot write '%s' to its disk", sp->vol[r]);
			close(fd);
		}
		if (bytes > res->largest)
			res->largest = bytes;
	}
	return rc;
}

/* The hidden directories of the volumes, made under OUTDIR, where no volume may be yet. */
static enum al_code make_volumes(const char *outdir, struct splitter *sp, struct al_err *err)
{
	enum al_code rc = al_mkdirs(outdir, err);
	unsigned n = sp->l.k + sp->l.m;
	if (!rc && !(sp->vol = calloc(n, sizeof(*sp->vol))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (unsigned r = 0; !rc && r < n; r++) {
		char name[32], *fin, *chunks;
		struct stat st;
		snprintf(name, sizeof(name), "vol-%02u", r + 1);
		if (!(fin = al_join(outdir, name)) || !(sp->vol[r] = al_strf("%s/.%s.part", outdir, name))) {
			free(fin);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		if (lstat(fin, &st) == 0)
			rc = al_fail(err, AL_ECONFLICT, "'%s' already exists: split into a directory without volumes", fin);
		else if (!(rc = al_rmtree(sp->vol[r], err)) && !(chunks = al_join(sp->vol[r], "chunks")))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		else if (!rc) {
			rc = al_mkdirs(chunks, err);
			free(chunks);
		}
		free(fin);
	}
	return rc;
}

/* The chunk buffers (aligned for direct I/O), ISA-L's tables and the writers' queue. */
static enum al_code allocate(struct splitter *sp, struct al_err *err)
{
	unsigned char *a = media_matrix(sp->l.k, sp->l.m);
	int ok = a != NULL;
	sp->qcap = NDATA + 2 * sp->l.m + 1;
	sp->q = calloc(sp->qcap, sizeof(*sp->q));
	sp->parity = calloc((size_t)2 * sp->l.m + 1, sizeof(*sp->parity));
	sp->tbls = malloc((size_t)32 * sp->l.k * (sp->l.m + 1));
	ok = ok && sp->q && sp->parity && sp->tbls;
	for (unsigned i = 0; ok && i < NDATA; i++)
		ok = (sp->data[i] = aligned_alloc(BLOCK, round_block(sp->l.chunk))) != NULL;
	for (unsigned p = 0; ok && p < 2 * sp->l.m; p++)
		if ((ok = (sp->parity[p] = aligned_alloc(BLOCK, round_block(sp->l.chunk))) != NULL))
			memset(sp->parity[p], 0, sp->l.chunk);
	if (!ok) {
		free(a);
		return al_fail(err, AL_ENOMEM, "out of memory for %u chunks of %" PRIu64 " bytes", NDATA + 2 * sp->l.m,
			       sp->l.chunk);
	}
	ec_init_tables((int)sp->l.k, (int)sp->l.m, a + (size_t)sp->l.k * sp->l.k, sp->tbls);
	free(a);
	return AL_OK;
}

/* Tells the writers that nothing more comes, and waits for them: the first failure, if any. */
static enum al_code stop_writer(struct splitter *sp, struct al_err *err)
{
	enum al_code rc;
	if (!sp->started)
		return AL_OK;
	pthread_mutex_lock(&sp->mu);
	sp->qdone = 1;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	for (; sp->started; sp->started--)
		pthread_join(sp->writer[sp->started - 1], NULL);
	pthread_mutex_lock(&sp->mu);
	rc = writer_failed(sp, err);
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

/* Cuts the stream with the writer threads, and closes the last stripe. */
static enum al_code cut(const char *bundle, int64_t mtime, struct splitter *sp, struct al_err *err)
{
	unsigned char hex[AL_DIGEST_LEN];
	char h[AL_HEX_LEN + 1];
	enum al_code rc = allocate(sp, err), wrc;
	if (rc || (rc = al_sha256_init(&sp->tar, err)))
		return rc;
	while (!rc && sp->started < WRITERS) {
		if ((errno = pthread_create(&sp->writer[sp->started], NULL, writer, sp)))
			rc = al_fail_errno(err, AL_EIO, "cannot start a writer thread");
		else
			sp->started++;
	}
	if (!rc)
		rc = xfer_feed(bundle, mtime, &(struct al_tar_sink){ "volumes", split_write, sp }, err);
	if (!rc && sp->fill)
		rc = finish_data(sp, err);
	if (!rc && sp->row)
		rc = finish_stripe(sp, err);
	wrc = stop_writer(sp, rc ? &(struct al_err){ 0 } : err);
	rc = rc ? rc : wrc;
	al_sha256_final(&sp->tar, hex);
	al_sha256_release(&sp->tar);
	al_hex(hex, h);
	snprintf(sp->l.tar_digest, sizeof(sp->l.tar_digest), "sha256:%s", h);
	sp->l.stripes = sp->stripe;
	if (!rc && sp->l.stripes != (sp->l.tar_bytes + sp->l.k * sp->l.chunk - 1) / (sp->l.k * sp->l.chunk))
		rc = al_fail(err, AL_EIO, "internal: %" PRIu64 " stripes for %" PRIu64 " bytes", sp->l.stripes,
			     sp->l.tar_bytes);
	return rc;
}

/* Renames the finished volumes into place, in order, and makes that durable. */
static enum al_code publish(const char *outdir, struct splitter *sp, struct al_err *err)
{
	for (unsigned r = 0; r < sp->l.k + sp->l.m; r++) {
		char name[32], *fin;
		snprintf(name, sizeof(name), "vol-%02u", r + 1);
		if (!(fin = al_join(outdir, name)))
			return al_fail(err, AL_ENOMEM, "out of memory");
		if (rename(sp->vol[r], fin)) {
			enum al_code rc = al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", sp->vol[r], fin);
			free(fin);
			return rc;
		}
		free(fin);
		free(sp->vol[r]);
		sp->vol[r] = NULL;
	}
	return al_fsync_dir(outdir, err);
}

static void splitter_release(struct splitter *sp)
{
	for (unsigned r = 0; sp->vol && r < sp->l.k + sp->l.m; r++) {
		struct al_err ignored = { 0 };
		if (sp->vol[r])
			al_rmtree(sp->vol[r], &ignored); /* a volume never finished */
		free(sp->vol[r]);
	}
	for (unsigned p = 0; sp->parity && p < 2 * sp->l.m; p++)
		free(sp->parity[p]);
	for (unsigned i = 0; i < NDATA; i++)
		free(sp->data[i]);
	free(sp->vol);
	free(sp->parity);
	free(sp->q);
	free(sp->tbls);
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->cv);
	media_layout_release(&sp->l);
}

enum al_code al_media_split(const char *bundle, const char *outdir, const struct al_media_opts *o,
			    struct al_media_result *res, struct al_report *rep, struct al_progress *prog,
			    struct al_err *err)
{
	struct al_bview v = { 0 };
	struct al_bundle_info info = { 0 };
	struct splitter sp = { .prog = prog, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct al_buf custody;
	int checked = 0;
	uint64_t estimate;
	enum al_code rc = al_bundle_scan_check(bundle, &v, rep, &info, &checked, prog, err);
	memset(res, 0, sizeof(*res));
	al_buf_init(&custody, AL_MAX_SMALL);
	if (!rc && !checked)
		rc = al_fail(err, AL_EVERIFY, "bundle '%s' does not verify, so it is not split", bundle);
	estimate = tar_estimate(bundle, &v);
	al_bview_release(&v);
	if (!rc && (rc = al_bundle_read_raw(bundle, "custody.log", &custody, err)) == AL_ENOENT) {
		al_err_clear(err);
		custody.len = 0;
		rc = AL_OK;
	}
	if (!rc)
		rc = plan(estimate, o, round_block(custody.len) + 2 * BLOCK, &sp.l, err);
	if (!rc) {
		sp.l.version = info.version;
		snprintf(sp.l.sums_digest, sizeof(sp.l.sums_digest), "%s", info.sums_digest);
		if (!(sp.l.name = strdup(info.name)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	if (!rc && !(rc = make_volumes(outdir, &sp, err)) && !(rc = cut(bundle, info.created, &sp, err)) &&
	    !(rc = finish_volumes(&sp, &custody, res, err)))
		rc = publish(outdir, &sp, err);
	if (!rc) {
		res->k = sp.l.k, res->m = sp.l.m, res->chunk_size = sp.l.chunk, res->stripes = sp.l.stripes;
		res->tar_bytes = sp.l.tar_bytes;
		snprintf(res->tar_digest, sizeof(res->tar_digest), "%s", sp.l.tar_digest);
	}
	splitter_release(&sp);
	al_buf_release(&custody);
	al_bundle_info_release(&info);
	return rc;
}
