/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pickle_file.c: the pickles inside a model file (pickle.h, al_pickle_scan_file): a
 * PyTorch zip checkpoint's members, an .npy's object payload, or a pickle file. The file
 * is known by its first bytes; a zip is read member by member with libarchive, never
 * unpacked to disk, and no more than AL_PICKLE_MAX of one pickle is held in memory.
 */
#include "pickle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "fsx.h"

void al_pickle_file_release(struct al_pickle_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].where);
		al_pickle_scan_release(&f->v[i].scan);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* Scans b (whole when `whole`, else cut at AL_PICKLE_MAX) as the part WHERE of f. */
static enum al_code add_part(struct al_pickle_file *f, const char *where, const struct al_buf *b, int whole,
			     struct al_err *err)
{
	struct al_pickle_part *p;
	enum al_code rc = al_array_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v), err);
	if (rc)
		return rc;
	p = &f->v[f->n];
	memset(p, 0, sizeof(*p));
	if (!(p->where = strdup(where)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	f->n++;
	rc = al_pickle_scan((const unsigned char *)(b->data ? b->data : ""), b->len, &p->scan, err);
	/* cut at the cap: a pickle that reaches the cut was not read to its end */
	if (!rc && !whole &&
	    (p->scan.malformed ? !strncmp(p->scan.why, "an argument that runs past the end", 34) ||
					 !strncmp(p->scan.why, "the pickle ends without STOP", 28)
			       : p->scan.end >= b->len)) {
		p->scan.malformed = 1; /* (what was not read cannot be called clean) */
		snprintf(p->scan.why, sizeof(p->scan.why), "larger than %u MiB: not scanned to its end",
			 (unsigned)(AL_PICKLE_MAX >> 20));
	}
	return rc;
}

/* Reads from fd into b up to AL_PICKLE_MAX; *whole is 1 when the end was reached. */
static enum al_code read_capped(int fd, const char *path, struct al_buf *b, int *whole, struct al_err *err)
{
	char chunk[1 << 16];
	*whole = 0;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		size_t room = AL_PICKLE_MAX - b->len;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return al_fail_errno(err, AL_EIO, "cannot read '%s'", path);
		if (r == 0) {
			*whole = 1;
			return AL_OK;
		}
		if (al_buf_add(b, chunk, (size_t)r < room ? (size_t)r : room, err))
			return err->code;
		if ((size_t)r >= room)
			return AL_OK;
	}
}

/* Whether a zip member is a pickle: named *.pkl, or starting with PROTO. */
static int member_is_pickle(const char *name, const unsigned char *head, size_t n)
{
	size_t len = strlen(name);
	return (len > 4 && !strcmp(name + len - 4, ".pkl")) || (n >= 2 && head[0] == 0x80 && head[1] <= 5);
}

static enum al_code scan_zip(const char *path, struct al_pickle_file *f, struct al_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct al_buf b;
	enum al_code rc = AL_OK;
	int r;
	f->format = "pytorch-zip";
	if (!a)
		return al_fail(err, AL_ENOMEM, "out of memory");
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		rc = al_fail(err, AL_EIO, "'%s': not a zip libarchive can read: %s", path, archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	al_buf_init(&b, AL_PICKLE_MAX);
	while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		char chunk[1 << 16];
		int whole = 0;
		ssize_t got;
		al_buf_reset(&b);
		/* the first piece says whether it is a pickle; then the rest, up to the cap */
		while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0 && !rc) {
			size_t room = AL_PICKLE_MAX - b.len;
			if (!b.len && !member_is_pickle(name ? name : "", (unsigned char *)chunk, (size_t)got))
				break;
			if (al_buf_add(&b, chunk, (size_t)got < room ? (size_t)got : room, err))
				rc = err->code;
			else if ((size_t)got >= room)
				break;
		}
		if (!rc && got < 0)
			rc = al_fail(err, AL_EIO, "'%s': member '%s' cannot be read: %s", path, name ? name : "?",
				     archive_error_string(a));
		whole = got == 0;
		if (!rc && b.len)
			rc = add_part(f, name ? name : "?", &b, whole, err);
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = al_fail(err, AL_EIO, "'%s': the zip is damaged: %s", path, archive_error_string(a));
	al_buf_release(&b);
	archive_read_free(a);
	return rc;
}

/* An .npy: after its header, a pickle when the dtype ('descr') holds Python objects ('O'). */
static enum al_code scan_npy(int fd, const char *path, const unsigned char *head, size_t n, struct al_pickle_file *f,
			     struct al_err *err)
{
	struct al_buf b;
	char hdr[65536 + 1];
	size_t hlen, at;
	int whole = 0;
	enum al_code rc;
	if (n < 12 || (head[6] != 1 && head[6] != 2 && head[6] != 3))
		return al_fail(err, AL_EIO, "'%s': an .npy header of an unknown version, or cut short", path);
	/* the header's length: 2 bytes (version 1) or 4, little-endian, after magic and version */
	hlen = (size_t)head[8] | (size_t)head[9] << 8 | (head[6] == 1 ? 0 : (size_t)head[10] << 16 | (size_t)head[11] << 24);
	at = head[6] == 1 ? 10 : 12;
	if (hlen > 65536 || pread(fd, hdr, hlen, (off_t)at) != (ssize_t)hlen)
		return al_fail(err, AL_EIO, "'%s': the .npy header is cut short or over 64 KiB", path);
	hdr[hlen] = '\0';
	if (!strstr(hdr, "'descr'") || (!strstr(hdr, "'|O'") && !strstr(hdr, "('O'") && !strstr(hdr, "'O'"))) {
		f->format = "npy-numeric";
		return AL_OK;
	}
	f->format = "npy";
	if (lseek(fd, (off_t)(at + hlen), SEEK_SET) < 0)
		return al_fail_errno(err, AL_EIO, "cannot read '%s'", path);
	al_buf_init(&b, AL_PICKLE_MAX);
	if (!(rc = read_capped(fd, path, &b, &whole, err)))
		rc = add_part(f, "(npy payload)", &b, whole, err);
	al_buf_release(&b);
	return rc;
}

/* Whether a file name says pickle, whatever it starts with (protocols 0 and 1 have no PROTO). */
static int named_pickle(const char *path)
{
	static const char *const ext[] = { ".pkl", ".pickle", ".joblib", NULL };
	size_t n = strlen(path);
	for (const char *const *e = ext; *e; e++)
		if (n > strlen(*e) && !strcmp(path + n - strlen(*e), *e))
			return 1;
	return 0;
}

enum al_code al_pickle_scan_file(const char *path, struct al_pickle_file *f, struct al_err *err)
{
	return al_pickle_scan_named(path, path, f, err);
}

enum al_code al_pickle_scan_named(const char *path, const char *name, struct al_pickle_file *f, struct al_err *err)
{
	unsigned char head[16];
	ssize_t n;
	int fd, whole = 0;
	enum al_code rc = AL_OK;
	struct al_buf b;
	memset(f, 0, sizeof(*f));
	f->format = "none";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return al_fail_errno(err, AL_EIO, "cannot open '%s'", path);
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = al_fail_errno(err, AL_EIO, "cannot read '%s'", path);
	else if (n >= 4 && !memcmp(head, "PK\x03\x04", 4))
		rc = scan_zip(path, f, err);
	else if (n >= 6 && !memcmp(head, "\x93NUMPY", 6))
		rc = scan_npy(fd, path, head, (size_t)n, f, err);
	else if ((n >= 2 && head[0] == 0x80 && head[1] <= 5) || named_pickle(name)) {
		f->format = "pickle";
		al_buf_init(&b, AL_PICKLE_MAX);
		if (!(rc = read_capped(fd, path, &b, &whole, err)))
			rc = add_part(f, "", &b, whole, err);
		al_buf_release(&b);
	}
	close(fd);
	return rc;
}
