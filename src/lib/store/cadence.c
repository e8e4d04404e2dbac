/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cadence.c: the published release cycle (store.h, docs/cmd/release.md "schedule"): each
 * cycle's dates, an iCalendar file of them (RFC 5545), where a day falls in the cycle, and
 * the cadence kept in the catalog's meta table.
 */
#include "store_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"

enum { DAY = 86400, MAX_DAYS = 3660 };

/* "Nd" or "Nw" (N from 0), as days. */
static int parse_days(const char *s, unsigned *out)
{
	char *end;
	unsigned long n;
	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	n = strtoul(s, &end, 10);
	if ((end[0] != 'd' && end[0] != 'w') || end[1] || n > MAX_DAYS)
		return -1;
	*out = (unsigned)(end[0] == 'w' ? n * 7 : n);
	return *out > MAX_DAYS ? -1 : 0;
}

/* YYYY-MM-DD (from 1970) as midnight UTC: al_time_parse, which refuses days a month lacks. */
static int parse_date(const char *s, int64_t *out)
{
	return strlen(s) == 10 && !al_time_parse(s, out) && *out >= 0 ? 0 : -1;
}

enum al_code al_cadence_parse(const char *every, const char *from, const char *review, const char *freeze,
			      const char *drill, unsigned cycles, struct al_cadence *c, struct al_err *err)
{
	memset(c, 0, sizeof(*c));
	if (!strcmp(every, "quarter") || !strcmp(every, "month"))
		snprintf(c->every, sizeof(c->every), "%s", every);
	else if (parse_days(every, &c->every_days) || c->every_days < 7)
		return al_fail(err, AL_EUSAGE, "--every '%s': quarter, month, or a period of at least 7d (Nd or Nw)", every);
	else
		snprintf(c->every, sizeof(c->every), "%s", every);
	if (!from || parse_date(from, &c->from))
		return al_fail(err, AL_EUSAGE, "--from '%s': the first release day, as YYYY-MM-DD", from ? from : "");
	if (parse_days(review ? review : "7d", &c->review_days))
		return al_fail(err, AL_EUSAGE, "--review '%s': days or weeks (7d, 2w)", review);
	if (parse_days(freeze ? freeze : "14d", &c->freeze_days))
		return al_fail(err, AL_EUSAGE, "--freeze '%s': days or weeks (14d, 2w)", freeze);
	if (parse_days(drill ? drill : "3d", &c->drill_days))
		return al_fail(err, AL_EUSAGE, "--drill '%s': days or weeks before the release (3d)", drill);
	if (!cycles || cycles > 100)
		return al_fail(err, AL_EUSAGE, "--cycles %u: from 1 to 100", cycles);
	c->cycles = cycles;
	return AL_OK;
}

/* FROM moved K months on, the day kept or, past the month's end, its last day. */
static int64_t add_months(int64_t from, unsigned k)
{
	struct tm tm, last = { 0 };
	gmtime_r(&(time_t){ (time_t)from }, &tm);
	int day = tm.tm_mday;
	tm.tm_mday = 1;
	tm.tm_mon += (int)k;
	timegm(&tm); /* normalizes year and month */
	last = tm;
	last.tm_mon++, last.tm_mday = 0; /* day 0 of the next month: this month's last */
	timegm(&last);
	tm.tm_mday = day < last.tm_mday ? day : last.tm_mday;
	return (int64_t)timegm(&tm);
}

void al_cadence_cycle(const struct al_cadence *c, unsigned i, struct al_cycle *out)
{
	struct tm tm;
	memset(out, 0, sizeof(*out));
	if (!strcmp(c->every, "quarter"))
		out->release = add_months(c->from, 3 * i);
	else if (!strcmp(c->every, "month"))
		out->release = add_months(c->from, i);
	else
		out->release = c->from + (int64_t)i * c->every_days * DAY;
	out->freeze = out->release - (int64_t)c->freeze_days * DAY;
	out->cutoff = out->freeze - (int64_t)c->review_days * DAY;
	out->drill = out->release - (int64_t)c->drill_days * DAY;
	gmtime_r(&(time_t){ (time_t)out->release }, &tm);
	if (!strcmp(c->every, "quarter"))
		snprintf(out->name, sizeof(out->name), "%04d-Q%d", tm.tm_year + 1900, tm.tm_mon / 3 + 1);
	else if (!strcmp(c->every, "month"))
		snprintf(out->name, sizeof(out->name), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	else
		snprintf(out->name, sizeof(out->name), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void al_cadence_day(int64_t t, char out[11])
{
	char when[32];
	al_time_fmt(t, when); /* YYYY-MM-DDTHH:MM:SSZ */
	snprintf(out, 11, "%.10s", when);
}

void al_cadence_where(const struct al_cadence *c, int64_t now, char *out, size_t cap)
{
	struct al_cycle y;
	char a[11], b[11], d[11];
	int64_t today = now - now % DAY;
	unsigned i = 0;
	do
		al_cadence_cycle(c, i, &y);
	while (y.release < today && ++i < 100000);
	al_cadence_day(y.cutoff, a);
	al_cadence_day(y.freeze, b);
	al_cadence_day(y.release, d);
	if (today < y.cutoff)
		snprintf(out, cap, "open for candidates of %s until the cut-off on %s (review from %s, freeze from %s, release %s)",
			 y.name, a, a, b, d);
	else if (today < y.freeze)
		snprintf(out, cap, "security review of %s: the freeze begins %s, the release is %s", y.name, b, d);
	else if (today < y.release) {
		al_cadence_day(y.drill, a);
		snprintf(out, cap, "freeze before %s: the drill is %s, the release %s", y.name, a, d);
	} else
		snprintf(out, cap, "release day of %s", y.name);
}

/* One content line, folded at 75 octets (RFC 5545 §3.1), ending in CRLF. ASCII only. */
static enum al_code line(struct al_buf *b, struct al_err *err, const char *fmt, ...) AL_PRINTF(3, 4);
static enum al_code line(struct al_buf *b, struct al_err *err, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	size_t n, off = 0;
	enum al_code rc = AL_OK;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);
	while (!rc && off < n) {
		size_t take = n - off > (off ? 74u : 75u) ? (off ? 74u : 75u) : n - off;
		if (off)
			rc = al_buf_add(b, " ", 1, err);
		if (!rc && !(rc = al_buf_add(b, text + off, take, err)))
			rc = al_buf_add(b, "\r\n", 2, err);
		off += take;
	}
	return rc;
}

static void ics_day(int64_t t, char out[9])
{
	char d[11];
	al_cadence_day(t, d);
	snprintf(out, 9, "%.4s%.2s%.2s", d, d + 5, d + 8);
}

/* One all-day event from FROM to TO (exclusive), with a UID that names the cycle and the step. */
static enum al_code event(struct al_buf *b, const struct al_cadence *c, const struct al_cycle *y, const char *step,
			  int64_t from, int64_t to, const char *summary, struct al_err *err)
{
	char s[9], e[9], stamp[9];
	enum al_code rc;
	ics_day(from, s);
	ics_day(to > from ? to : from + DAY, e);
	ics_day(c->from, stamp);
	if ((rc = line(b, err, "BEGIN:VEVENT")) || (rc = line(b, err, "UID:%s-%s-%s@airlock", y->name, step, stamp)) ||
	    (rc = line(b, err, "DTSTAMP:%sT000000Z", stamp)) || (rc = line(b, err, "DTSTART;VALUE=DATE:%s", s)) ||
	    (rc = line(b, err, "DTEND;VALUE=DATE:%s", e)) || (rc = line(b, err, "SUMMARY:%s: %s", y->name, summary)) ||
	    (rc = line(b, err, "CATEGORIES:airlock,%s", step)) || (rc = line(b, err, "TRANSP:TRANSPARENT")))
		return rc;
	return line(b, err, "END:VEVENT");
}

enum al_code al_cadence_ics(const struct al_cadence *c, struct al_buf *b, struct al_err *err)
{
	enum al_code rc;
	if ((rc = line(b, err, "BEGIN:VCALENDAR")) || (rc = line(b, err, "VERSION:2.0")) ||
	    (rc = line(b, err, "PRODID:-//airlock//release cadence//EN")) || (rc = line(b, err, "CALSCALE:GREGORIAN")) ||
	    (rc = line(b, err, "X-WR-CALNAME:airlock releases (every %s)", c->every)))
		return rc;
	for (unsigned i = 0; !rc && i < c->cycles; i++) {
		struct al_cycle y;
		al_cadence_cycle(c, i, &y);
		if (!(rc = event(b, c, &y, "cutoff", y.cutoff, 0, "candidate cut-off", err)) &&
		    !(rc = event(b, c, &y, "review", y.cutoff, y.freeze, "security review", err)) &&
		    !(rc = event(b, c, &y, "freeze", y.freeze, y.release, "freeze", err)) &&
		    !(rc = event(b, c, &y, "drill", y.drill, 0, "update drill (airlock drill)", err)))
			rc = event(b, c, &y, "release", y.release, 0, "release", err);
	}
	return rc ? rc : line(b, err, "END:VCALENDAR");
}

enum al_code al_store_cadence_set(struct al_store *s, const struct al_cadence *c, struct al_err *err)
{
	sqlite3_stmt *st;
	char from[11];
	json_t *j;
	char *text;
	enum al_code rc;
	al_cadence_day(c->from, from);
	j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "every", c->every, "from", from, "review_days",
		      (json_int_t)c->review_days, "freeze_days", (json_int_t)c->freeze_days, "drill_days",
		      (json_int_t)c->drill_days, "cycles", (json_int_t)c->cycles);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!text)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (!(rc = al_store_prepare(s, AL_SQL_SET_CADENCE, &st, err))) {
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
		if (!(rc = al_db_run(st, "recording the cadence", err)))
			rc = al_store_log_event(s, "cadence", c->every, "set", text, err);
		sqlite3_finalize(st);
	}
	free(text);
	return rc;
}

enum al_code al_store_cadence_get(struct al_store *s, struct al_cadence *c, int *found, struct al_err *err)
{
	sqlite3_stmt *st;
	json_t *j = NULL;
	char days[3][16];
	const char *keys[3] = { "review_days", "freeze_days", "drill_days" };
	struct al_err perr = { 0 };
	enum al_code rc = al_store_prepare(s, AL_SQL_GET_CADENCE, &st, err);
	*found = 0;
	memset(c, 0, sizeof(*c));
	if (rc || (rc = al_db_step(st, "reading the cadence", found, err)) || !*found) {
		sqlite3_finalize(st);
		return rc;
	}
	j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	for (int i = 0; j && i < 3; i++)
		snprintf(days[i], sizeof(days[i]), "%" JSON_INTEGER_FORMAT "d", json_integer_value(json_object_get(j, keys[i])));
	if (!j || !al_json_str(j, "every") || !al_json_str(j, "from") ||
	    al_cadence_parse(al_json_str(j, "every"), al_json_str(j, "from"), days[0], days[1], days[2],
			     (unsigned)json_integer_value(json_object_get(j, "cycles")), c, &perr))
		rc = al_fail(err, AL_ESTORE, "catalog '%s/catalog.db': the recorded cadence is malformed: set it again with "
			     "'airlock release schedule'", s->root);
	json_decref(j);
	return rc;
}
