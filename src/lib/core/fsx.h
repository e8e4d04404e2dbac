/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsx.h: file-system helpers: safe relative paths, durable atomic writes
 * (temp with O_EXCL, fsync, rename, fsync of the directory), bounded reads,
 * directory creation and removal.
 *
 * Nothing here follows a symlink where it reads input that could be hostile
 * (al_read_file with AL_NOFOLLOW, al_path_safe).
 */
#ifndef AL_FSX_H
#define AL_FSX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include <dirent.h>

#include "err.h"

enum { AL_PATH_MAX = 4096 };

/*
 * Checks a relative path taken from input (a SHA256SUMS line, a tar entry, a
 * spec): not empty, not absolute, no "." or ".." component, no empty
 * component, no backslash, no control character, at most AL_PATH_MAX bytes.
 * Returns NULL if safe, else a static description of what is wrong.
 */
const char *al_path_unsafe(const char *path);

/* Joins a and b with one '/', into a fresh string (caller frees). NULL on ENOMEM. */
char *al_join(const char *a, const char *b);
/* Strict UTF-8 with no NUL (no overlongs, surrogates or code points past U+10FFFF): 0 if
 * valid, else the offset of the first bad byte plus one. */
size_t al_utf8_bad(const void *s, size_t n);
/* Copies n bytes (which need not be NUL-terminated) into a fresh string. NULL on ENOMEM. */
char *al_memdup(const void *p, size_t n);
/* printf into a fresh string (caller frees). NULL on ENOMEM. */
char *al_strf(const char *fmt, ...) AL_PRINTF(1, 2);

enum { AL_NOFOLLOW = 1 << 0 };
/* Reads a whole (small) regular file into b (replacing what it held); fails past b->max. On
 * error b may hold part of the file (and memory): the caller releases it as always. */
enum al_code al_read_file(const char *path, unsigned flags, struct al_buf *b, struct al_err *err);
/* Writes data durably and atomically to path (temp, fsync, rename, fsync dir); mode 0644. */
enum al_code al_write_atomic(const char *path, const void *data, size_t n, struct al_err *err);
/* Creates dir and its parents (mode 0755); existing directories are fine. */
enum al_code al_mkdirs(const char *dir, struct al_err *err);
/* Creates the directories above root/rel (rel a safe relative path). */
enum al_code al_mkdirs_for(const char *root, const char *rel, struct al_err *err);
/* fdatasync of a file already written (see al_copy_hash_fd). */
enum al_code al_sync_file(const char *path, struct al_err *err);
/* fsync of a directory, so a rename in it is durable. */
enum al_code al_fsync_dir(const char *dir, struct al_err *err);
/* Removes a tree (no symlinks followed). Missing is fine. */
enum al_code al_rmtree(const char *path, struct al_err *err);
/* The directory part of path, fresh (caller frees); "." when none; NULL on ENOMEM. */
char *al_dirname(const char *path);
/* RFC 3339 UTC time ("2026-11-29T17:24:47Z") into out (21 bytes). */
void al_time_fmt(int64_t t, char out[32]);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" as UTC; -1 on error. */
int al_time_parse(const char *s, int64_t *t);

/*
 * The next entry of D (listing DIR, named in the message), "." and ".." skipped.
 * NULL at the end of the listing, or on an error of readdir, which then sets
 * *rc: a listing that failed part-way is never taken for a short one.
 */
struct dirent *al_readdir(DIR *d, const char *dir, enum al_code *rc, struct al_err *err);

/* A fresh directory $TMPDIR/PREFIX-XXXXXX (/tmp when TMPDIR is unset or empty) into *out,
 * which the caller frees (and removes); *out is NULL on error. */
enum al_code al_mkdtemp(const char *prefix, char **out, struct al_err *err);

/* pread(2) until N bytes are read at OFF or the file ends: the bytes read (fewer than N only
 * at the end of the file), or -1 with errno set. */
ssize_t al_pread_full(int fd, void *buf, size_t n, uint64_t off);

/*
 * Large sequential writes past the page cache. al_create_direct creates PATH (O_EXCL, no
 * symlink followed) for direct I/O where its file system takes it (*direct says whether it
 * did), -1 with errno set otherwise. al_pwrite_direct writes N bytes of P at OFF: directly
 * while *direct and P, N and OFF are multiples of AL_DIRECT_ALIGN, else (and from then on)
 * through the page cache; the caller still syncs the file. Buffers for it come from
 * aligned_alloc(AL_DIRECT_ALIGN, …).
 */
enum { AL_DIRECT_ALIGN = 4096 };
int al_create_direct(const char *path, mode_t mode, int *direct);
enum al_code al_pwrite_direct(int fd, int *direct, const void *p, size_t n, uint64_t off, const char *path,
			      struct al_err *err);

#endif
