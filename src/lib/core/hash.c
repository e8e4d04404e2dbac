/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.c: streaming SHA-256, copy-while-hashing and the parallel runner.
 * Reads are large (AL_IO_CHUNK) and advised sequential; buffers are per worker.
 */
#include "hash.h"

enum { AL_WRITEBEHIND = 8u << 20 };

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/*
 * SHA-256 is fetched from the provider once for the process. EVP_sha256() is
 * only a name: every EVP_DigestInit_ex with it fetches the implementation
 * again, under the method store's lock, which the hashing workers then share;
 * with thousands of small files that was a cost per file. If the fetch fails,
 * EVP_sha256() (fetched on each init, as before) is used instead.
 */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched;

static void md_fetch(void)
{
	md_fetched = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_MD *md_sha256(void)
{
	pthread_once(&md_once, md_fetch);
	return md_fetched ? md_fetched : EVP_sha256();
}

enum al_code al_sha256_init(struct al_sha256 *h, struct al_err *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return al_fail(err, AL_ENOMEM, "out of memory (hash context)");
	if (EVP_DigestInit_ex(c, md_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return al_fail_ssl(err, "cannot start SHA-256");
	}
	h->ctx = c;
	return AL_OK;
}

void al_sha256_update(struct al_sha256 *h, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(h->ctx, p, n) != 1)
		AL_BUG("EVP_DigestUpdate failed");
}

void al_sha256_final(struct al_sha256 *h, unsigned char out[AL_DIGEST_LEN])
{
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(h->ctx, out, &len) != 1 || len != AL_DIGEST_LEN)
		AL_BUG("EVP_DigestFinal_ex failed");
}

void al_sha256_release(struct al_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

enum al_code al_sha256_mem(const void *p, size_t n, unsigned char out[AL_DIGEST_LEN],
			   struct al_err *err)
{
	unsigned int len = 0;
	if (EVP_Digest(p, n, out, &len, md_sha256(), NULL) != 1)
		return al_fail_ssl(err, "cannot compute SHA-256");
	return AL_OK;
}

void al_hex(const unsigned char d[AL_DIGEST_LEN], char out[AL_HEX_LEN + 1])
{
	static const char x[] = "0123456789abcdef";
	for (int i = 0; i < AL_DIGEST_LEN; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[AL_HEX_LEN] = '\0';
}

int al_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int al_unhex(const char *s, size_t n, unsigned char d[AL_DIGEST_LEN])
{
	if (n != AL_HEX_LEN)
		return -1;
	for (int i = 0; i < AL_DIGEST_LEN; i++) {
		int hi = al_hexval(s[2 * i]), lo = al_hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		d[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int al_digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + AL_HEX_LEN)
		return 0;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

void al_progress_add(struct al_progress *p, uint64_t n)
{
	if (p)
		atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed);
}

void al_sniff_update(enum al_sniff *s, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; *s == AL_SNIFF_WS && i < n; i++)
		if (c[i] != ' ' && c[i] != '\t' && c[i] != '\n' && c[i] != '\r')
			*s = c[i] == '{' ? AL_SNIFF_OBJECT : AL_SNIFF_OTHER;
}

static enum al_code stream(int src, int dst, const char *what, char *buf,
			   unsigned char out[AL_DIGEST_LEN], uint64_t *size, enum al_sniff *sniff,
			   struct al_buf *keep, struct al_progress *prog, struct al_err *err)
{
	struct al_sha256 h;
	uint64_t total = 0, flushed = 0;
	enum al_code rc = al_sha256_init(&h, err);
	if (rc)
		return rc;
	for (;;) {
		ssize_t n = read(src, buf, AL_IO_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = al_fail_errno(err, AL_EIO, "cannot read '%s'", what);
			goto out;
		}
		if (n == 0)
			break;
		/* only a file that fills the first chunk is worth a read-ahead hint (and its syscall) */
		if (total == 0 && (size_t)n == AL_IO_CHUNK)
			posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
		al_sha256_update(&h, buf, (size_t)n);
		if (sniff)
			al_sniff_update(sniff, buf, (size_t)n);
		if (keep && keep->max && sniff && *sniff != AL_SNIFF_OTHER)
			al_buf_add(keep, buf, (size_t)n, NULL);
		for (ssize_t off = 0; dst >= 0 && off < n;) {
			ssize_t w = write(dst, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				rc = al_fail_errno(err, AL_EIO, "cannot write a copy of '%s'", what);
				goto out;
			}
			off += w;
		}
		total += (uint64_t)n;
		/* start writeback behind us, so the final fdatasync finds little left to do */
		if (dst >= 0 && total - flushed >= AL_WRITEBEHIND) {
			sync_file_range(dst, (off_t)flushed, (off_t)(total - flushed), SYNC_FILE_RANGE_WRITE);
			flushed = total;
		}
		al_progress_add(prog, (uint64_t)n);
	}
	if (dst >= 0 && total > flushed)
		sync_file_range(dst, (off_t)flushed, 0, SYNC_FILE_RANGE_WRITE);
	al_sha256_final(&h, out);
	if (sniff && *sniff == AL_SNIFF_WS)
		*sniff = AL_SNIFF_OTHER; /* empty or blank from start to end: no JSON object */
	if (size)
		*size = total;
out:
	al_sha256_release(&h);
	return rc;
}

enum al_code al_hash_fd(int fd, const char *what, char *buf, unsigned char out[AL_DIGEST_LEN],
			uint64_t *size, struct al_progress *prog, struct al_err *err)
{
	return stream(fd, -1, what, buf, out, size, NULL, NULL, prog, err);
}

enum al_code al_copy_hash_fd(int src, int dst, const char *what, char *buf,
			     unsigned char out[AL_DIGEST_LEN], uint64_t *size,
			     struct al_progress *prog, struct al_err *err)
{
	return stream(src, dst, what, buf, out, size, NULL, NULL, prog, err);
}

enum al_code al_copy_hash_fd_sniff(int src, int dst, const char *what, char *buf,
				   unsigned char out[AL_DIGEST_LEN], uint64_t *size, enum al_sniff *sniff,
				   struct al_buf *keep, struct al_progress *prog, struct al_err *err)
{
	return stream(src, dst, what, buf, out, size, sniff, keep, prog, err);
}

enum al_code al_hash_file(const char *path, unsigned char out[AL_DIGEST_LEN], uint64_t *size,
			  struct al_progress *prog, struct al_err *err)
{
	char *buf;
	enum al_code rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot open '%s'", path);
	buf = malloc(AL_IO_CHUNK);
	if (!buf) {
		close(fd);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	rc = al_hash_fd(fd, path, buf, out, size, prog, err);
	free(buf);
	close(fd);
	return rc;
}

struct pool {
	al_job_fn run;
	void *ctx;
	const size_t *order;
	size_t n;
	_Atomic size_t next;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	char *buf = malloc(AL_IO_CHUNK);
	if (!buf)
		return (void *)1;
	for (;;) {
		size_t k = atomic_fetch_add(&p->next, 1);
		if (k >= p->n)
			break;
		p->run(p->ctx, p->order ? p->order[k] : k, buf);
	}
	free(buf);
	return NULL;
}

enum al_code al_parallel(al_job_fn run, void *ctx, const size_t *order, size_t n,
			 unsigned threads, struct al_err *err)
{
	struct pool p = { .run = run, .ctx = ctx, .order = order, .n = n };
	pthread_t tid[16];
	unsigned started = 0;
	int failed = 0;
	if (threads < 1)
		threads = 1;
	if (threads > 16)
		threads = 16;
	if (threads > n)
		threads = n ? (unsigned)n : 1;
	atomic_init(&p.next, 0);
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&tid[started], NULL, worker, &p) != 0)
			break;
		started++;
	}
	if (worker(&p) != NULL)
		failed = 1;
	for (unsigned t = 0; t < started; t++) {
		void *r = NULL;
		pthread_join(tid[t], &r);
		if (r)
			failed = 1;
	}
	if (failed)
		return al_fail(err, AL_ENOMEM, "out of memory (worker buffers)");
	return AL_OK;
}

unsigned al_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > 16 ? 16 : (unsigned)n;
}
