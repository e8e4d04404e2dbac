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

static int read_line_fd(int fd, char *out, size_t n)
{
	size_t len = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (len + 1 >= n)
			return -1;
		out[len++] = c;
	}
	if (len && out[len - 1] == '\r')
		len--;
	out[len] = '\0';
	return 0;
}

int cli_passphrase(const char *file, const char *prompt, int twice, char *out, size_t n)
{
	struct termios old, quiet;
	int fd, rc;
	if (file) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "airlock: cannot open passphrase file '%s': %s\n", file, strerror(errno));
			return -1;
		}
		rc = read_line_fd(fd, out, n);
		close(fd);
		if (rc)
			fprintf(stderr, "airlock: the passphrase in '%s' is too long\n", file);
		return rc;
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "airlock: no terminal to ask for a passphrase: give --passphrase-file FILE\n");
		return -1;
	}
	for (int round = 0; round < (twice ? 2 : 1); round++) {
		char again[1024];
		char *dst = round ? again : out;
		size_t cap = round ? sizeof(again) : n;
		/* echo off (and pending input flushed) before the prompt, so nothing typed shows */
		tcgetattr(fd, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
		if (write(fd, round ? "again: " : prompt, strlen(round ? "again: " : prompt)) < 0) {
			tcsetattr(fd, TCSANOW, &old);
			break;
		}
		rc = read_line_fd(fd, dst, cap);
		tcsetattr(fd, TCSANOW, &old);
		if (write(fd, "\n", 1) < 0)
			rc = -1;
		if (rc) {
			close(fd);
			fprintf(stderr, "airlock: the passphrase is too long\n");
			return -1;
		}
		if (round && strcmp(out, again) != 0) {
			sodium_memzero(again, sizeof(again));
			close(fd);
			fprintf(stderr, "airlock: the passphrases differ\n");
			return -1;
		}
		sodium_memzero(again, sizeof(again));
	}
	close(fd);
	return 0;
}

void cli_secret_wipe(char *p, size_t n)
{
	sodium_memzero(p, n);
}
