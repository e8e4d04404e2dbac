/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secret.c: reading a passphrase from a file or from the terminal with echo
 * off. The buffer is wiped by the caller (cli_secret_wipe); nothing is echoed
 * or logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

/*
 * One line from FD into OUT (N bytes with the NUL), without its line end; WHAT names the
 * source in messages. 0, or -1 (reported) when the line does not fit or a read fails: a
 * failed read is never taken for the end of the passphrase.
 */
static int read_line_fd(int fd, const char *what, char *out, size_t n)
{
	size_t len = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "airlock: cannot read the passphrase from %s: %s\n", what, strerror(errno));
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		if (len + 1 >= n) {
			fprintf(stderr, "airlock: the passphrase in %s is too long\n", what);
			return -1;
		}
		out[len++] = c;
	}
	if (len && out[len - 1] == '\r')
		len--;
	out[len] = '\0';
	return 0;
}

/* All of S to the terminal FD; 0, or -1 (reported) on a failed write or one that writes nothing. */
static int tty_write(int fd, const char *s)
{
	size_t len = strlen(s), done = 0;
	while (done < len) {
		ssize_t w = write(fd, s + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "airlock: cannot write to the terminal: %s\n",
				w < 0 ? strerror(errno) : "nothing was written");
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

/*
 * Shows PROMPT on the terminal FD and reads one line into DST (CAP bytes) with echo off.
 * Echo goes off, and pending input is flushed, before the prompt shows, so nothing typed
 * early is echoed. 0, or -1 (reported); echo is restored either way when it can be.
 */
static int tty_ask(int fd, const char *prompt, char *dst, size_t cap)
{
	struct termios old, quiet;
	int rc;
	if (tcgetattr(fd, &old) != 0) {
		fprintf(stderr, "airlock: cannot read the terminal's settings: %s\n", strerror(errno));
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		fprintf(stderr, "airlock: cannot turn off echo on the terminal: %s\n", strerror(errno));
		return -1;
	}
	rc = tty_write(fd, prompt);
	if (!rc)
		rc = read_line_fd(fd, "the terminal", dst, cap);
	if (tcsetattr(fd, TCSANOW, &old) != 0 && !rc) {
		fprintf(stderr, "airlock: cannot turn echo back on on the terminal: %s\n", strerror(errno));
		rc = -1;
	}
	/* the newline typed was not echoed */
	if (!rc)
		rc = tty_write(fd, "\n");
	return rc;
}

int cli_passphrase(const char *file, const char *prompt, int twice, char *out, size_t n)
{
	char again[1024];
	int fd, rc;
	if (file) {
		char what[512];
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "airlock: cannot open passphrase file '%s': %s\n", file, strerror(errno));
			return -1;
		}
		snprintf(what, sizeof(what), "'%s'", file);
		rc = read_line_fd(fd, what, out, n);
		close(fd);
		return rc;
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "airlock: no terminal to ask for a passphrase: give --passphrase-file FILE\n");
		return -1;
	}
	rc = tty_ask(fd, prompt, out, n);
	if (!rc && twice) {
		rc = tty_ask(fd, "again: ", again, sizeof(again));
		if (!rc && strcmp(out, again) != 0) {
			fprintf(stderr, "airlock: the passphrases differ\n");
			rc = -1;
		}
		sodium_memzero(again, sizeof(again));
	}
	close(fd);
	if (rc)
		sodium_memzero(out, n);
	return rc;
}

void cli_secret_wipe(char *p, size_t n)
{
	sodium_memzero(p, n);
}
