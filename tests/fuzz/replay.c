/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.c: runs a fuzz target over corpus files as an ordinary test, so the
 * corpora guard against regressions in every build, without libFuzzer.
 *
 * Usage: fuzz-replay-<target> DIR|FILE...  Every regular file of a directory
 * (sorted, dot files skipped, no recursion) is read into a buffer of exactly
 * its size, so a sanitizer build catches a read past the end, and passed to
 * LLVMFuzzerTestOneInput. Exits 0 when every input ran, 2 on an I/O error or
 * when nothing was found to replay (an empty corpus is a mistake), 64 on
 * usage. A crash or an AL_BUG in the target is the test's failure.
 *
 * Built with AL_ALLOC_FAIL (the fuzz-allocfail-* tests), each input is run
 * again and again with its 1st, 2nd, 3rd… allocation failing (allocfail.c),
 * until a run completes with no failure injected: an error path that crashes
 * fails the test, and in a sanitizer build so does one that leaks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "fuzz.h"
#ifdef AL_ALLOC_FAIL
#include "allocfail.h"
#include "json.h"
void *__real_malloc(size_t n);
#endif

enum { REPLAY_MAX = 16u << 20 }; /* corpus files are small; refuse anything absurd */
#ifdef AL_ALLOC_FAIL
static unsigned long injected; /* allocation failures injected */
#endif

/* Runs the target over one file; 0, or -1 after printing why. */
static int replay_file(const char *path)
{
	struct stat st;
	uint8_t *data;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: '%s' is not a regular file of at most %u bytes\n", path, REPLAY_MAX);
		close(fd);
		return -1;
	}
	/* exactly the file's size (malloc(0) may return NULL; the target gets size 0 anyway) */
	data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!data) {
		fprintf(stderr, "replay: out of memory for '%s'\n", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n <= 0) {
			fprintf(stderr, "replay: cannot read '%s': %s\n", path,
				n < 0 ? strerror(errno) : "the file shrank");
			free(data);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
#ifdef AL_ALLOC_FAIL
	/* every allocation of this input fails once, in turn (at most ALLOC_RUNS of them) */
	for (unsigned long n = 1;; n++) {
		enum { ALLOC_RUNS = 20000 };
		unsigned long seen;
		al_allocfail_arm(n);
		LLVMFuzzerTestOneInput(data, got);
		seen = al_allocfail_seen();
		al_allocfail_arm(0);
		if (seen < n || n == ALLOC_RUNS)
			break;
		injected++;
	}
#else
	LLVMFuzzerTestOneInput(data, got);
#endif
	free(data);
	return 0;
}

static int skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Replays every regular file of dir; adds to *count. 0, or -1 after printing why. */
static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, skip_entry, alphasort), rc = 0;
	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *p = al_join(dir, list[i]->d_name);
		struct stat st;
		if (!p) {
			fprintf(stderr, "replay: out of memory\n");
			rc = -1;
		} else if (rc == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(p) == 0)
				(*count)++;
			else
				rc = -1;
		}
		free(p);
		free(list[i]);
	}
	free(list);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
#ifdef AL_ALLOC_FAIL
	/* jansson is not safe under allocation failure (json.c ends the process then): give it the
	 * allocator underneath the injector, so the replays fail airlock's own allocations */
	al_json_alloc_for_tests(__real_malloc);
#endif
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 64;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int rc;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: cannot open '%s': %s\n", argv[i], strerror(errno));
			return 2;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = replay_dir(argv[i], &count);
		} else {
			rc = replay_file(argv[i]);
			count += rc == 0;
		}
		if (rc != 0)
			return 2;
	}
	if (count == 0) {
		fprintf(stderr, "replay: no inputs found in the given paths\n");
		return 2;
	}
#ifdef AL_ALLOC_FAIL
	if (!injected) {
		fprintf(stderr, "replay: no allocation was ever failed: is the call under test between FUZZ_ON and FUZZ_OFF?\n");
		return 2;
	}
	printf("replayed %zu inputs, failing %lu allocations one at a time\n", count, injected);
#else
	printf("replayed %zu inputs\n", count);
#endif
	return 0;
}
