/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ui.c: printing for the tool: errors, usage, JSON, sizes and the progress
 * line (bytes, rate, ETA), drawn by a small thread on a terminal only.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("airlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'airlock %s%s--help')\n", cmd, *cmd ? " " : "");
	return EXIT_USAGE;
}

int cli_fail(const struct al_err *err)
{
	fprintf(stderr, "airlock: %s\n", err->msg[0] ? err->msg : "failed");
	return al_code_exit(err->code ? err->code : AL_EIO);
}

int cli_help(const char *doc)
{
	fputs(doc, stdout);
	return 0;
}

void cli_json_to(FILE *f, json_t *j)
{
	if (j) {
		json_dumpf(j, f, JSON_INDENT(2));
		fputc('\n', f);
	}
	json_decref(j);
}

void cli_json(json_t *j)
{
	cli_json_to(stdout, j);
}

void cli_bytes(uint64_t n, char out[32])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, 32, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 32, "%.1f %s", v, unit[u]);
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(struct cli_progress *pr, int final)
{
	uint64_t done = atomic_load(&pr->p.done), total = atomic_load(&pr->p.total);
	double el = cli_now() - pr->started, rate = el > 0 ? (double)done / el : 0;
	char d[32], t[32], r[32], eta[32] = "";
	cli_bytes(done, d);
	cli_bytes(total, t);
	cli_bytes((uint64_t)rate, r);
	if (!final && rate > 0 && total > done)
		snprintf(eta, sizeof(eta), " ETA %.0fs", (double)(total - done) / rate);
	fprintf(stderr, "\r\033[K%s %s / %s  %s/s%s", pr->label, d, t, r, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static void *ticker(void *arg)
{
	struct cli_progress *pr = arg;
	while (!atomic_load(&pr->stop)) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (!atomic_load(&pr->stop))
			draw(pr, 0);
	}
	return NULL;
}

void cli_progress_start(struct cli_progress *pr, const char *label, int quiet)
{
	memset(pr, 0, sizeof(*pr));
	pr->label = label;
	pr->started = cli_now();
	if (quiet || !isatty(STDERR_FILENO))
		return;
	if (pthread_create(&pr->thread, NULL, ticker, pr) == 0)
		pr->active = 1;
}

void cli_progress_stop(struct cli_progress *pr)
{
	if (!pr->active)
		return;
	atomic_store(&pr->stop, 1);
	pthread_join(pr->thread, NULL);
	draw(pr, 1);
	pr->active = 0;
}

void cli_print_roles(const json_t *signers)
{
	const char *role;
	json_t *r;
	json_object_foreach((json_t *)signers, role, r) {
		char ids[512] = "";
		size_t i;
		json_t *k;
		json_array_foreach(json_object_get(r, "keys"), i, k)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s", i ? ", " : "",
				 json_string_value(k));
		printf("  role %-10s %zu of %lld needed%s: %s\n", role, json_array_size(json_object_get(r, "keys")),
		       (long long)json_integer_value(json_object_get(r, "threshold")),
		       json_is_true(json_object_get(r, "required")) ? "" : " (not required)", *ids ? ids : "-");
	}
}

void cli_line(FILE *f, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	size_t n;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(f, "%s\n", buf);
}

const char *cli_login_name(void)
{
	const struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_name ? pw->pw_name : "unknown";
}
