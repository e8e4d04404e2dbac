/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsx.c: file-system helpers. Every persistent write goes through
 * al_write_atomic (or the same sequence in the store); nothing here prints.
 */
#include "fsx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

const char *al_path_unsafe(const char *path)
{
	size_t n = strlen(path);
	const char *c = path;
	if (n == 0)
		return "the path is empty";
	if (n > AL_PATH_MAX)
		return "the path is too long";
	if (path[0] == '/')
		return "the path is absolute";
	for (const char *p = path; *p; p++) {
		unsigned char u = (unsigned char)*p;
		if (u < 0x20 || u == 0x7f)
			return "the path contains a control character";
		if (u == '\\')
			return "the path contains a backslash";
	}
	while (*c) {
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0)
			return "the path has an empty component";
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return "the path contains '..'";
		if (len == 1 && c[0] == '.')
			return "the path contains '.'";
		if (!e)
			break;
		c = e + 1;
		if (!*c)
			return "the path ends with '/'";
	}
	return NULL;
}

size_t al_utf8_bad(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned min, cp;
		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, min = 0x10000, cp = c & 0x07;
		else
			return i + 1;
		if (n - i < len)
			return i + 1;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i + 1;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i + 1;
		i += len;
	}
	return 0;
}

char *al_memdup(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

char *al_strf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

char *al_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	if (la && a[la - 1] == '/')
		return al_strf("%s%s", a, b);
	return al_strf("%s/%s", a, b);
}

char *al_dirname(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

enum al_code al_read_file(const char *path, unsigned flags, struct al_buf *b, struct al_err *err)
{
	struct stat st;
	enum al_code rc = AL_OK;
	/* O_NONBLOCK: a named pipe in place of a file must not hang us before the type check */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | ((flags & AL_NOFOLLOW) ? O_NOFOLLOW : 0));
	if (fd < 0)
		return al_fail_errno(err, errno == ENOENT ? AL_ENOENT : AL_EIO, "cannot open '%s'", path);
	if (fstat(fd, &st) != 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot stat '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = al_fail(err, AL_EINVAL, "'%s' is not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > b->max) {
		rc = al_fail(err, AL_ELIMIT, "'%s' is %lld bytes, more than the limit of %zu",
			     path, (long long)st.st_size, b->max);
		goto out;
	}
	al_buf_reset(b);
	/* room for the whole file at once: growing a manifest 64 KiB at a time copies it many times */
	if (st.st_size > 0 && (rc = al_buf_grow(b, (size_t)st.st_size, err)))
		goto out;
	for (;;) {
		size_t room = b->max - b->len;
		ssize_t n;
		if (room == 0) {
			char c;
			if (read(fd, &c, 1) > 0) {
				rc = al_fail(err, AL_ELIMIT, "'%s' exceeds the limit of %zu bytes", path, b->max);
				goto out;
			}
			break;
		}
		if ((!b->cap || b->cap - 1 == b->len) && (rc = al_buf_grow(b, room < 65536 ? room : 65536, err)))
			goto out;
		n = read(fd, b->data + b->len, b->cap - 1 - b->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = al_fail_errno(err, AL_EIO, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	if (!b->data)
		rc = al_buf_add(b, "", 0, err);
out:
	close(fd);
	return rc;
}

enum al_code al_sync_file(const char *path, struct al_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot open '%s'", path);
	if (fdatasync(fd) != 0) {
		close(fd);
		return al_fail_errno(err, AL_EIO, "cannot flush '%s' to disk", path);
	}
	close(fd);
	return AL_OK;
}

enum al_code al_fsync_dir(const char *dir, struct al_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return al_fail_errno(err, AL_EIO, "cannot open directory '%s'", dir);
	if (fsync(fd) != 0 && errno != EINVAL) {
		close(fd);
		return al_fail_errno(err, AL_EIO, "cannot flush directory '%s'", dir);
	}
	close(fd);
	return AL_OK;
}

enum al_code al_write_atomic(const char *path, const void *data, size_t n, struct al_err *err)
{
	unsigned char r[8];
	char *tmp = NULL, *dir = NULL;
	const char *p = data;
	enum al_code rc = AL_OK;
	int fd;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return al_fail_ssl(err, "cannot make a temporary name");
	tmp = al_strf("%s.tmp-%02x%02x%02x%02x%02x%02x", path, r[0], r[1], r[2], r[3], r[4], r[5]);
	dir = al_dirname(path);
	if (!tmp || !dir) {
		rc = al_fail(err, AL_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = al_fail_errno(err, AL_EIO, "cannot create '%s'", tmp);
		goto out;
	}
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = al_fail_errno(err, AL_EIO, "cannot write '%s'", tmp);
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (!rc && fsync(fd) != 0)
		rc = al_fail_errno(err, AL_EIO, "cannot flush '%s'", tmp);
	close(fd);
	if (!rc && rename(tmp, path) != 0)
		rc = al_fail_errno(err, AL_EIO, "cannot rename '%s' to '%s'", tmp, path);
	if (rc)
		unlink(tmp);
	else
		rc = al_fsync_dir(dir, err);
out:
	free(tmp);
	free(dir);
	return rc;
}

enum al_code al_mkdirs(const char *dir, struct al_err *err)
{
	char *p = strdup(dir);
	enum al_code rc = AL_OK;
	if (!p)
		return al_fail(err, AL_ENOMEM, "out of memory");
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST) {
				rc = al_fail_errno(err, AL_EIO, "cannot create directory '%s'", p);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (!rc) {
		struct stat st;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			rc = al_fail(err, AL_EIO, "'%s' exists and is not a directory", dir);
	}
	free(p);
	return rc;
}

enum al_code al_mkdirs_for(const char *root, const char *rel, struct al_err *err)
{
	const char *slash = strrchr(rel, '/');
	char *dir;
	enum al_code rc;
	if (!slash)
		return AL_OK;
	dir = al_strf("%s/%.*s", root, (int)(slash - rel), rel);
	if (!dir)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_mkdirs(dir, err);
	free(dir);
	return rc;
}

static enum al_code rmtree_at(int dfd, const char *name, const char *shown, struct al_err *err)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? AL_OK : al_fail_errno(err, AL_EIO, "cannot stat '%s'", shown);
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *e;
		enum al_code rc = AL_OK;
		if (fd < 0)
			return al_fail_errno(err, AL_EIO, "cannot open '%s'", shown);
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return al_fail_errno(err, AL_EIO, "cannot open '%s'", shown);
		}
		while (!rc && (e = al_readdir(d, shown, &rc, err)))
			rc = rmtree_at(dirfd(d), e->d_name, shown, err);
		closedir(d);
		if (rc)
			return rc;
		if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
			return al_fail_errno(err, AL_EIO, "cannot remove '%s'", shown);
		return AL_OK;
	}
	if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
		return al_fail_errno(err, AL_EIO, "cannot remove a file in '%s'", shown);
	return AL_OK;
}

enum al_code al_rmtree(const char *path, struct al_err *err)
{
	return rmtree_at(AT_FDCWD, path, path, err);
}

void al_time_fmt(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	/* a time gmtime cannot represent is written as such, never as stack garbage */
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "(invalid time)");
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int al_time_parse(const char *s, int64_t *t)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n = strlen(s);
	if (n != 10 && n != 20)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	if (n == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
			digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se) || s[19] != 'Z'))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = (int64_t)timegm(&tm);
	/* timegm normalizes 2026-02-30 to March: refuse days a month does not have */
	{
		struct tm back;
		time_t tt = (time_t)*t;
		if (!gmtime_r(&tt, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
			return -1;
	}
	return 0;
}

enum al_code al_mkdtemp(const char *prefix, char **out, struct al_err *err)
{
	const char *t = getenv("TMPDIR");
	const char *base = t && *t ? t : "/tmp";
	enum al_code rc = AL_OK;
	if (!(*out = al_strf("%s/%s-XXXXXX", base, prefix)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!mkdtemp(*out)) {
		rc = al_fail_errno(err, AL_EIO, "cannot create a directory under '%s'", base);
		free(*out);
		*out = NULL;
	}
	return rc;
}

ssize_t al_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int al_create_direct(const char *path, mode_t mode, int *direct)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fd = open(path, flags | O_DIRECT, mode);
	*direct = fd >= 0;
	if (fd < 0 && errno == EINVAL) /* a file system without direct I/O */
		fd = open(path, flags, mode);
	return fd;
}

enum al_code al_pwrite_direct(int fd, int *direct, const void *p, size_t n, uint64_t off, const char *path,
			      struct al_err *err)
{
	if (*direct && (n % AL_DIRECT_ALIGN || off % AL_DIRECT_ALIGN || (uintptr_t)p % AL_DIRECT_ALIGN)) {
		if (fcntl(fd, F_SETFL, 0))
			return al_fail_errno(err, AL_EIO, "cannot write '%s'", path);
		*direct = 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(fd, (const char *)p + done, n - done, (off_t)(off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL && *direct && !fcntl(fd, F_SETFL, 0)) { /* an alignment it will not take */
			*direct = 0;
			continue;
		}
		if (w <= 0)
			return al_fail_errno(err, AL_EIO, "cannot write '%s'", path);
		done += (size_t)w;
	}
	return AL_OK;
}

struct dirent *al_readdir(DIR *d, const char *dir, enum al_code *rc, struct al_err *err)
{
	struct dirent *e;
	for (;;) {
		errno = 0;
		if (!(e = readdir(d))) {
			if (errno)
				*rc = al_fail_errno(err, AL_EIO, "cannot list '%s'", dir);
			return NULL;
		}
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			return e;
	}
}
