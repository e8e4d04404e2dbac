/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_code.c: what in a wheel's Python would talk to the outside (scan.h). Each
 * *.py and *.pth member is read line by line, as a stream from the zip: an import of a
 * telemetry or error-reporting SDK is a finding; a hard-coded http(s) host that is not
 * local or reserved for examples is listed, once per host, with where it first appears.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"
#include "scan_internal.h"

/* Modules whose import sends data out unless configured not to. */
static const char *const telemetry_modules[] = { "sentry_sdk", "raven", "datadog", "ddtrace", "analytics", "segment",
					 "mixpanel", "posthog", "amplitude", "bugsnag", "rollbar", "newrelic",
					 "honeybadger", "wandb", "comet_ml", "neptune", "scarf", "logfire",
					 "opentelemetry.exporter", "statsig", "launchdarkly", NULL };

/* Hosts that are never the outside. */
static int local_host(const char *h, size_t n)
{
	static const char *const local[] = { "localhost", "127.0.0.1", "0.0.0.0", "[::1]", "example.com",
					     "example.org", "example.net", NULL };
	static const char *const tld[] = { ".invalid", ".test", ".example", ".localhost", ".local", ".internal",
					   ".example.com", ".example.org", NULL };
	for (const char *const *l = local; *l; l++)
		if (strlen(*l) == n && !strncasecmp(h, *l, n))
			return 1;
	for (const char *const *t = tld; *t; t++)
		if (n > strlen(*t) && !strncasecmp(h + n - strlen(*t), *t, strlen(*t)))
			return 1;
	return n == 0 || !strncmp(h, "127.", 4) || !strncmp(h, "10.", 3) || !strncmp(h, "192.168.", 8);
}

struct code_scan {
	const char *artifact, *member, *telemetry;
	json_t *out;
	json_t *hosts;      /* host -> 1, seen in this wheel */
	enum al_code rc;
	struct al_err *err;
};

static void add(struct code_scan *c, const char *kind, const char *disposition, const char *what, size_t line,
		const char *text)
{
	if (c->rc)
		return;
	c->rc = al_scan_add(c->out,
			    json_pack("{s:o, s:o, s:I, s:s, s:s, s:o, s:o}", "artifact", al_json_text(c->artifact), "file",
				      al_json_text(c->member), "line", (json_int_t)line, "kind", kind, "disposition",
				      disposition, "what", al_json_text(what), "text", al_json_text(text)),
			    c->err);
}

/* "import X" / "from X import" at the start of a (stripped) line: the module, into mod. */
static int imported(const char *s, char *mod, size_t cap)
{
	size_t n = 0;
	if (!strncmp(s, "import ", 7))
		s += 7;
	else if (!strncmp(s, "from ", 5))
		s += 5;
	else
		return 0;
	while (*s == ' ')
		s++;
	while ((isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.') && n + 1 < cap) {
		mod[n] = s[n];
		n++;
	}
	mod[n] = 0;
	return n > 0;
}

/* One line (NUL-terminated, at most a few KiB shown). */
static void scan_line(struct code_scan *c, const char *line, size_t no)
{
	const char *s = line, *u;
	char mod[128];
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '#')
		return;
	if (imported(s, mod, sizeof(mod)))
		for (const char *const *t = telemetry_modules; *t; t++) {
			size_t n = strlen(*t);
			if (!strncmp(mod, *t, n) && (!mod[n] || mod[n] == '.')) {
				add(c, "telemetry-sdk", c->telemetry, *t, no, s);
				break;
			}
		}
	for (u = s; (u = strstr(u, "://")); u += 3) {
		const char *h = u + 3;
		size_t n = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		size_t scheme = u - s >= 5 && !strncasecmp(u - 5, "https", 5) ? 5 : u - s >= 4 && !strncasecmp(u - 4, "http", 4) ? 4 : 0;
		char host[256];
		/* a string literal that starts with the URL: code that means to reach it (a URL in a
		 * docstring or a comment is documentation) */
		if (!scheme || u - s < (ptrdiff_t)scheme + 1 || !strchr("\"'", u[-(ptrdiff_t)scheme - 1]) ||
		    local_host(h, n) || n >= sizeof(host) || !memchr(h, '.', n) || h[0] == '.' || h[0] == '-' ||
		    memmem(h, n, "..", 2))
			continue;
		memcpy(host, h, n);
		host[n] = 0;
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (json_object_get(c->hosts, host))
			continue;
		json_object_set_new(c->hosts, host, json_true());
		add(c, "outside-host", "reported", host, no, s);
	}
}

/* Reads up to N bytes of the text being scanned into P: the count, 0 at its end, -1 on an error. */
typedef ssize_t (*text_read_fn)(void *src, char *p, size_t n);

/* Every line of a text, read in pieces through READ; a line longer than the buffer is cut. */
static int scan_lines(struct code_scan *c, text_read_fn read_fn, void *src)
{
	char buf[8192];
	size_t len = 0, no = 1;
	ssize_t got;
	for (;;) {
		char *nl;
		if ((got = read_fn(src, buf + len, sizeof(buf) - 1 - len)) < 0)
			return -1;
		len += (size_t)got;
		buf[len] = 0;
		while ((nl = memchr(buf, '\n', len))) {
			*nl = 0;
			scan_line(c, buf, no++);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
			buf[len] = 0;
		}
		if (got == 0 || len == sizeof(buf) - 1) {
			if (len)
				scan_line(c, buf, no++);
			len = 0;
			if (got == 0)
				return 0;
		}
	}
}

static ssize_t read_archive(void *a, char *p, size_t n)
{
	return (ssize_t)archive_read_data(a, p, n);
}

static ssize_t read_fd(void *fd, char *p, size_t n)
{
	ssize_t r;
	do
		r = read(*(int *)fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Every line of the current member. */
static void scan_member(struct code_scan *c, struct archive *a)
{
	if (scan_lines(c, read_archive, a) && !c->rc)
		c->rc = al_fail(c->err, AL_EIO, "cannot read '%s' in the wheel of %s: %s", c->member, c->artifact,
				archive_error_string(a));
}

enum al_code al_scan_text_file(const char *path, const char *artifact, const char *file, const char *telemetry,
			       json_t *phone_home, struct al_err *err)
{
	struct code_scan c = { .artifact = artifact, .member = file, .telemetry = telemetry, .out = phone_home,
			       .hosts = json_object(), .err = err };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (!c.hosts || fd < 0) {
		json_decref(c.hosts);
		if (fd >= 0)
			close(fd);
		return c.hosts ? al_fail_errno(err, AL_EIO, "cannot read '%s' of %s", file, artifact)
			       : al_fail(err, AL_ENOMEM, "out of memory");
	}
	if (scan_lines(&c, read_fd, &fd) && !c.rc)
		c.rc = al_fail_errno(err, AL_EIO, "cannot read '%s' of %s", file, artifact);
	close(fd);
	json_decref(c.hosts);
	return c.rc;
}

enum al_code al_scan_wheel_code(const char *path, const char *artifact, const char *telemetry, json_t *phone_home,
				struct al_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct code_scan c = { .artifact = artifact, .telemetry = telemetry, .out = phone_home, .hosts = json_object(),
			       .err = err };
	int r = ARCHIVE_OK;
	if (!a || !c.hosts) {
		archive_read_free(a);
		json_decref(c.hosts);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
		c.rc = al_fail(err, AL_EIO, "the wheel of %s is not a zip libarchive can read: %s", artifact,
			       archive_error_string(a));
	while (!c.rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		size_t n = name ? strlen(name) : 0;
		if (archive_entry_filetype(e) != AE_IFREG || n < 4 ||
		    (strcmp(name + n - 3, ".py") && strcmp(name + n - 4, ".pth")))
			continue;
		c.member = name;
		scan_member(&c, a);
	}
	if (!c.rc && r != ARCHIVE_EOF)
		c.rc = al_fail(err, AL_EIO, "the wheel of %s is damaged: %s", artifact, archive_error_string(a));
	archive_read_free(a);
	json_decref(c.hosts);
	return c.rc;
}
