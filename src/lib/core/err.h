/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h: the one error type of the library.
 *
 * Every library function that can fail returns an `enum al_code` (AL_OK is 0)
 * and takes `struct al_err *err` as its last parameter. The first failure is
 * recorded with al_fail(); later failures never overwrite it, and callers may
 * only add context in front of it with al_err_prefix(). The library never
 * prints and never exits: the tool decides what to show and which exit code
 * a code maps to (al_code_exit()).
 *
 * `err` may be NULL where the caller does not care about the message.
 */
#ifndef AL_ERR_H
#define AL_ERR_H

#include <stddef.h>

enum al_code {
	AL_OK = 0,
	AL_EVERIFY, /* integrity or policy failure: the input is not trustworthy (exit 1) */
	AL_EINVAL,  /* malformed input that is not a bundle: spec, options (exit 2) */
	AL_EIO,     /* the system failed: read, write, fsync, rename (exit 2) */
	AL_ENOMEM,  /* allocation failed (exit 2) */
	AL_ELIMIT,  /* a declared size limit was exceeded (exit 2) */
	AL_ENOENT,  /* a named thing does not exist (exit 2) */
	AL_ESTORE,  /* the store is missing, locked or inconsistent (exit 2) */
	AL_ECONFLICT, /* refused: the store already holds something else under that name (exit 1) */
	AL_EUSAGE,  /* the command line is wrong (exit 64) */
};

enum { AL_ERR_MSG = 1024 };

struct al_err {
	enum al_code code;
	int sys_errno;          /* errno at the failure point, 0 if none */
	char msg[AL_ERR_MSG];   /* lower-case, no final period */
};

#define AL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Records the first failure in err (if err is set and still empty), returns code. */
enum al_code al_fail(struct al_err *err, enum al_code code, const char *fmt, ...) AL_PRINTF(3, 4);
/* As al_fail, and appends ": strerror(errno)"; captures errno first. */
enum al_code al_fail_errno(struct al_err *err, enum al_code code, const char *fmt, ...) AL_PRINTF(3, 4);
/* As al_fail, and appends the OpenSSL error queue's first entry (and clears the queue). */
enum al_code al_fail_ssl(struct al_err *err, const char *fmt, ...) AL_PRINTF(2, 3);
/* Adds "prefix: " in front of an already recorded message. Returns err->code. */
enum al_code al_err_prefix(struct al_err *err, const char *fmt, ...) AL_PRINTF(2, 3);
/* Empties err so it can record a new failure. */
void al_err_clear(struct al_err *err);
/* The process exit code for a library code: 0, 1, 2 or 64 (docs/EXIT-CODES.md). */
int al_code_exit(enum al_code code);

/*
 * Test-only fault points: when $AIRLOCK_FAULT is NAME, the process sends itself SIG there
 * (SIGKILL: a crash at that point; SIGSTOP: a pause in which a test changes files, then
 * lets it go on with SIGCONT). Otherwise nothing.
 */
void al_fault(const char *name, int sig);

/* For states that cannot happen; never for input. Aborts with file and line. */
#define AL_BUG(msg) al_bug(__FILE__, __LINE__, (msg))
_Noreturn void al_bug(const char *file, int line, const char *msg);

#endif
