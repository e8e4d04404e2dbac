/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.c: recording the first failure. Never prints, except AL_BUG, which is a
 * programming error and aborts.
 */
#include "err.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

/* Messages are one line of text: control characters from input (a hostile file name) become '?'. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static enum al_code vfail(struct al_err *err, enum al_code code, const char *suffix,
			  const char *fmt, va_list ap)
{
	if (!err || err->code != AL_OK)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (suffix && *suffix) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", suffix);
	}
	clean(err->msg);
	return code;
}

enum al_code al_fail(struct al_err *err, enum al_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

enum al_code al_fail_errno(struct al_err *err, enum al_code code, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	if (err && err->code == AL_OK)
		err->sys_errno = e;
	vfail(err, code, strerror(e), fmt, ap);
	va_end(ap);
	return code;
}

enum al_code al_fail_ssl(struct al_err *err, const char *fmt, ...)
{
	char why[256] = "unknown OpenSSL error";
	unsigned long e = ERR_get_error();
	va_list ap;
	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	va_start(ap, fmt);
	vfail(err, AL_EIO, why, fmt, ap);
	va_end(ap);
	return AL_EIO;
}

enum al_code al_err_prefix(struct al_err *err, const char *fmt, ...)
{
	char pre[AL_ERR_MSG], old[AL_ERR_MSG];
	va_list ap;
	if (!err || err->code == AL_OK)
		return err ? err->code : AL_OK;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	clean(pre); /* the prefix names things too (a path, a bundle): one line, no terminal controls */
	memcpy(old, err->msg, sizeof(old));
	{
		size_t n = strlen(pre);
		if (n > sizeof(err->msg) - 3)
			n = sizeof(err->msg) - 3;
		memcpy(err->msg, pre, n);
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		memcpy(err->msg + n, old, strnlen(old, sizeof(err->msg) - 1 - n));
		err->msg[n + strnlen(old, sizeof(err->msg) - 1 - n)] = '\0';
	}
	return err->code;
}

void al_fault(const char *name, int sig)
{
	const char *f = getenv("AIRLOCK_FAULT");
	if (f && !strcmp(f, name))
		raise(sig);
}

void al_err_clear(struct al_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int al_code_exit(enum al_code code)
{
	switch (code) {
	case AL_OK:
		return 0;
	case AL_EVERIFY:
	case AL_ECONFLICT:
		return 1;
	case AL_EUSAGE:
		return 64;
	default:
		return 2;
	}
}

void al_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "airlock: BUG at %s:%d: %s\n", file, line, msg);
	abort();
}
