/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hash.c: SHA-256, hex, digests, streaming file hashing and copying, and
 * the parallel runner (src/lib/core/hash.h).
 *
 * The expected digests are data produced by an independent implementation,
 * GNU coreutils `sha256sum` (9.1, Debian 12), with:
 *   printf ''    | sha256sum
 *   printf 'abc' | sha256sum
 *   printf 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq' | sha256sum
 *   head -c 1000000 /dev/zero | tr '\0' a | sha256sum
 * (the same values as the FIPS 180-2 examples). al_hash_file is compared with
 * `sha256sum` run on the same temporary file at test time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>

#include "fsx.h"
#include "hash.h"
#include "unit.h"

#define NIST448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

static const struct {
	const char *msg;
	const char *hex; /* from sha256sum, see the top of the file */
} vectors[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ NIST448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};
/* 1,000,000 x 'a', from sha256sum */
static const char million_a_hex[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static void test_vectors_mem(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		unsigned char d[AL_DIGEST_LEN];
		char hex[AL_HEX_LEN + 1];
		assert_int_equal(al_sha256_mem(vectors[i].msg, strlen(vectors[i].msg), d, NULL), AL_OK);
		al_hex(d, hex);
		assert_string_equal(hex, vectors[i].hex);
	}
}

static void test_vectors_streaming(void **state)
{
	/* each vector fed one byte at a time must give the one-shot digest */
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct al_sha256 h;
		unsigned char d[AL_DIGEST_LEN];
		char hex[AL_HEX_LEN + 1];
		const char *m = vectors[i].msg;
		assert_int_equal(al_sha256_init(&h, NULL), AL_OK);
		for (size_t k = 0; m[k]; k++)
			al_sha256_update(&h, m + k, 1);
		al_sha256_update(&h, "", 0);
		al_sha256_final(&h, d);
		al_sha256_release(&h);
		al_hex(d, hex);
		assert_string_equal(hex, vectors[i].hex);
	}
}

static void test_million_a_odd_chunks(void **state)
{
	/* chunk sizes chosen to straddle the 64-byte block boundary in every way */
	static const size_t chunks[] = { 1, 7, 63, 64, 65, 997, 4099, 65537 };
	static char a[65537];
	struct al_sha256 h;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	size_t left = 1000000, k = 0;
	memset(a, 'a', sizeof(a));
	assert_int_equal(al_sha256_init(&h, NULL), AL_OK);
	while (left) {
		size_t n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];
		if (n > left)
			n = left;
		al_sha256_update(&h, a, n);
		left -= n;
	}
	al_sha256_final(&h, d);
	al_sha256_release(&h);
	al_hex(d, hex);
	assert_string_equal(hex, million_a_hex);
}

static void test_hex_roundtrip(void **state)
{
	unsigned char d[AL_DIGEST_LEN], back[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], upper[AL_HEX_LEN + 1];
	for (int i = 0; i < AL_DIGEST_LEN; i++)
		d[i] = (unsigned char)(i * 37 + 11); /* covers 0x0b … 0xff */
	d[0] = 0x00;
	d[1] = 0xff;
	al_hex(d, hex);
	assert_int_equal(strlen(hex), AL_HEX_LEN);
	assert_int_equal(strncmp(hex, "00ff", 4), 0);
	for (const char *p = hex; *p; p++)
		assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
	assert_int_equal(al_unhex(hex, AL_HEX_LEN, back), 0);
	assert_memory_equal(d, back, AL_DIGEST_LEN);
	/* upper case is accepted on input */
	for (int i = 0; i <= AL_HEX_LEN; i++)
		upper[i] = (char)((hex[i] >= 'a' && hex[i] <= 'f') ? hex[i] - 32 : hex[i]);
	memset(back, 0, sizeof(back));
	assert_int_equal(al_unhex(upper, AL_HEX_LEN, back), 0);
	assert_memory_equal(d, back, AL_DIGEST_LEN);
}

static void test_unhex_rejects(void **state)
{
	const char *good = vectors[1].hex;
	char s[AL_HEX_LEN + 2];
	unsigned char d[AL_DIGEST_LEN];
	static const char bad_chars[] = { 'g', 'G', 'x', ' ', '-', ':', '\0', '\n' };
	/* 63 and 65 characters */
	assert_int_equal(al_unhex(good, AL_HEX_LEN - 1, d), -1);
	memcpy(s, good, AL_HEX_LEN);
	s[AL_HEX_LEN] = 'a';
	s[AL_HEX_LEN + 1] = '\0';
	assert_int_equal(al_unhex(s, AL_HEX_LEN + 1, d), -1);
	assert_int_equal(al_unhex("", 0, d), -1);
	/* a non-hex character at the start, middle (either nibble) and end */
	for (size_t c = 0; c < sizeof(bad_chars); c++) {
		static const size_t pos[] = { 0, 31, 32, 63 };
		for (size_t k = 0; k < sizeof(pos) / sizeof(pos[0]); k++) {
			memcpy(s, good, AL_HEX_LEN + 1);
			s[pos[k]] = bad_chars[c];
			if (al_unhex(s, AL_HEX_LEN, d) != -1)
				fail_msg("accepted 0x%02x at %zu", (unsigned char)bad_chars[c], pos[k]);
		}
	}
}

static const struct {
	const char *s;
	int valid;
} digest_cases[] = {
	{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 1 },
	{ "sha256:0000000000000000000000000000000000000000000000000000000000000000", 1 },
	{ "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", 0 },
	{ "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
	{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a", 0 },
	{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0", 0 },
	{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag", 0 },
	{ "sha256: a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
	{ "SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
	{ "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
	{ "sha256ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
	{ "sha256:", 0 },
	{ "", 0 },
	{ NULL, 0 },
};

static void test_digest_valid(void **state)
{
	for (size_t i = 0; i < sizeof(digest_cases) / sizeof(digest_cases[0]); i++)
		if (al_digest_valid(digest_cases[i].s) != digest_cases[i].valid)
			fail_msg("al_digest_valid(\"%s\") != %d",
				 digest_cases[i].s ? digest_cases[i].s : "(null)", digest_cases[i].valid);
}

/* ---- files ---- */


/* Deterministic content spanning several AL_IO_CHUNK reads with a ragged end. */
static char *make_content(size_t n)
{
	char *p = malloc(n);
	uint32_t x = 2463534242u;
	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (char)(x & 0xff);
	}
	return p;
}

/* The hex digest sha256sum prints for path. */
static void sha256sum_of(const char *path, char out[AL_HEX_LEN + 1])
{
	char cmd[4200];
	FILE *f;
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	f = popen(cmd, "r");
	if (!f)
		fail_msg("cannot run sha256sum");
	if (fread(out, 1, AL_HEX_LEN, f) != AL_HEX_LEN)
		fail_msg("no output from sha256sum");
	out[AL_HEX_LEN] = '\0';
	if (pclose(f) != 0)
		fail_msg("sha256sum failed");
}

static void test_hash_file_matches_sha256sum(void **state)
{
	struct tmp *t = *state;
	static const size_t sizes[] = { 0, 1, AL_IO_CHUNK, 2 * AL_IO_CHUNK + AL_IO_CHUNK / 2 + 17 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *path = unit_path(t->dir, "data.bin");
		char *content = make_content(sizes[i] ? sizes[i] : 1);
		unsigned char d[AL_DIGEST_LEN];
		char got[AL_HEX_LEN + 1], want[AL_HEX_LEN + 1];
		uint64_t size = 12345;
		struct al_progress prog;
		struct al_err err = { 0 };
		atomic_init(&prog.done, 0);
		atomic_init(&prog.total, 0);
		unit_write(path, content, sizes[i]);
		assert_int_equal(al_hash_file(path, d, &size, &prog, &err), AL_OK);
		al_hex(d, got);
		sha256sum_of(path, want);
		assert_string_equal(got, want);
		assert_int_equal(size, sizes[i]);
		assert_int_equal(atomic_load(&prog.done), sizes[i]);
		free(content);
		free(path);
	}
}

static void test_hash_file_refuses(void **state)
{
	struct tmp *t = *state;
	char *target = unit_path(t->dir, "target"), *link = unit_path(t->dir, "link");
	char *missing = unit_path(t->dir, "missing");
	unsigned char d[AL_DIGEST_LEN];
	struct al_err err = { 0 };
	unit_write_str(target, "abc");
	assert_int_equal(symlink(target, link), 0);
	/* no symlinks followed */
	assert_int_equal(al_hash_file(link, d, NULL, NULL, &err), AL_EIO);
	assert_contains(err.msg, link);
	al_err_clear(&err);
	assert_int_equal(al_hash_file(missing, d, NULL, NULL, &err), AL_EIO);
	assert_contains(err.msg, "missing");
	assert_int_equal(err.sys_errno, ENOENT);
	free(target);
	free(link);
	free(missing);
}

static void test_hash_fd_from_position(void **state)
{
	struct tmp *t = *state;
	char *path = unit_path(t->dir, "abc");
	char *buf = malloc(AL_IO_CHUNK);
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	uint64_t size = 0;
	int fd;
	assert_non_null(buf);
	/* hashing starts at the current offset: "xyzabc" from offset 3 is "abc" */
	unit_write_str(path, "xyzabc");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
	assert_int_equal(al_hash_fd(fd, path, buf, d, &size, NULL, NULL), AL_OK);
	al_hex(d, hex);
	assert_string_equal(hex, vectors[1].hex);
	assert_int_equal(size, 3);
	close(fd);
	free(buf);
	free(path);
}

static void test_copy_hash_fd(void **state)
{
	struct tmp *t = *state;
	size_t n = 3 * AL_IO_CHUNK + 5;
	char *src = unit_path(t->dir, "src"), *dst = unit_path(t->dir, "dst");
	char *content = make_content(n), *copy, *buf = malloc(AL_IO_CHUNK);
	unsigned char d[AL_DIGEST_LEN];
	char got[AL_HEX_LEN + 1], want[AL_HEX_LEN + 1];
	uint64_t size = 0;
	size_t copied = 0;
	int in, out;
	assert_non_null(buf);
	unit_write(src, content, n);
	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(in >= 0 && out >= 0);
	assert_int_equal(al_copy_hash_fd(in, out, src, buf, d, &size, NULL, NULL), AL_OK);
	close(in);
	close(out);
	al_hex(d, got);
	sha256sum_of(src, want);
	assert_string_equal(got, want);
	assert_int_equal(size, n);
	copy = unit_read(dst, &copied);
	assert_int_equal(copied, n);
	assert_memory_equal(copy, content, n);
	free(copy);
	free(content);
	free(buf);
	free(src);
	free(dst);
}

/* ---- the parallel runner ---- */

enum { MAXJOBS = 1000 };

struct counter {
	_Atomic int hits[MAXJOBS];
	_Atomic size_t seq_n;
	size_t seq[MAXJOBS];
	_Atomic int bad_buf;
};

static void count_job(void *ctx, size_t i, char *buf)
{
	struct counter *c = ctx;
	size_t k;
	if (!buf) {
		atomic_store(&c->bad_buf, 1);
		return;
	}
	/* the whole per-worker buffer must be writable */
	buf[0] = (char)i;
	buf[AL_IO_CHUNK - 1] = (char)i;
	if (i < MAXJOBS)
		atomic_fetch_add(&c->hits[i], 1);
	k = atomic_fetch_add(&c->seq_n, 1);
	if (k < MAXJOBS)
		c->seq[k] = i;
}

static void test_parallel_each_once(void **state)
{
	static const size_t ns[] = { 0, 1, 2, 7, 100, MAXJOBS };
	static const unsigned threads[] = { 0, 1, 2, 7, 64 };
	static size_t order[MAXJOBS];
	for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
		for (size_t b = 0; b < sizeof(threads) / sizeof(threads[0]); b++)
			for (int use_order = 0; use_order < 2; use_order++) {
				static struct counter c;
				size_t n = ns[a];
				memset(&c, 0, sizeof(c));
				/* a permutation: reversed, then odd/even swapped */
				for (size_t i = 0; i < n; i++)
					order[i] = n - 1 - i;
				for (size_t i = 0; i + 1 < n; i += 2) {
					size_t x = order[i];
					order[i] = order[i + 1];
					order[i + 1] = x;
				}
				assert_int_equal(al_parallel(count_job, &c, use_order ? order : NULL, n,
							     threads[b], NULL),
						 AL_OK);
				assert_int_equal(atomic_load(&c.bad_buf), 0);
				assert_int_equal(atomic_load(&c.seq_n), n);
				for (size_t i = 0; i < n; i++)
					if (atomic_load(&c.hits[i]) != 1)
						fail_msg("n=%zu threads=%u order=%d: index %zu ran %d times",
							 n, threads[b], use_order, i,
							 atomic_load(&c.hits[i]));
			}
}

static void test_parallel_order_single_thread(void **state)
{
	/* with one worker the jobs run exactly in the order given */
	static const size_t order[] = { 4, 0, 3, 1, 2 };
	static struct counter c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(al_parallel(count_job, &c, order, 5, 1, NULL), AL_OK);
	assert_int_equal(atomic_load(&c.seq_n), 5);
	assert_memory_equal(c.seq, order, sizeof(order));
	memset(&c, 0, sizeof(c));
	assert_int_equal(al_parallel(count_job, &c, NULL, 5, 1, NULL), AL_OK);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(c.seq[i], i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_mem),
		cmocka_unit_test(test_vectors_streaming),
		cmocka_unit_test(test_million_a_odd_chunks),
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test(test_unhex_rejects),
		cmocka_unit_test(test_digest_valid),
		cmocka_unit_test_setup_teardown(test_hash_file_matches_sha256sum, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_hash_file_refuses, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_hash_fd_from_position, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_copy_hash_fd, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_parallel_each_once),
		cmocka_unit_test(test_parallel_order_single_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
