#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock release schedule` (src/lib/store/cadence.c, docs/cmd/release.md): the published
# cadence as iCalendar, read back with Debian's python3-icalendar, every date checked
# against python-dateutil's month arithmetic (relativedelta clamps to a month's last day,
# as the cadence must); the same options give the same bytes; lines are CRLF and at most
# 75 octets; `release ls` says where today falls (the clock moved with faketime into each
# phase). Twins: a period under a week, a day that does not exist, a missing -o, and an
# .ics whose dates were shifted are refused or caught.
. "$(dirname "$0")/lib.sh"
need faketime
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import icalendar, dateutil' 2>/dev/null ||
    skip "Debian's python3-icalendar is not installed"
ST=$T/store
expect_exit 0 airlock init --store "$ST"

# check ICS EVERY FROM CYCLES REVIEW FREEZE DRILL: every event's dates, by dateutil
check() {
    /usr/bin/python3 - "$@" <<'PY' || fail "the calendar $1 is not the cadence"
import datetime as dt, sys
import icalendar
from dateutil.relativedelta import relativedelta
path, every, start, cycles, review, freeze, drill = sys.argv[1:8]
raw = open(path, "rb").read()
lines = raw.split(b"\r\n")
assert lines[-1] == b"", "the file does not end in CRLF"
assert all(b"\n" not in l and len(l) <= 75 for l in lines), "a line is longer than 75 octets or not CRLF"
cal = icalendar.Calendar.from_ical(raw)
got = {}
for e in cal.walk("VEVENT"):
    got[str(e["UID"]).split("@")[0]] = (str(e["SUMMARY"]), e["DTSTART"].dt, e["DTEND"].dt)
first = dt.date.fromisoformat(start)
want = {}
for i in range(int(cycles)):
    if every == "quarter":
        r = first + relativedelta(months=3 * i)
        name = f"{r.year}-Q{(r.month - 1) // 3 + 1}"
    elif every == "month":
        r = first + relativedelta(months=i)
        name = f"{r.year}-{r.month:02d}"
    else:
        r = first + dt.timedelta(days=i * int(every))
        name = r.isoformat()
    fz = r - dt.timedelta(days=int(freeze))
    cut = fz - dt.timedelta(days=int(review))
    dr = r - dt.timedelta(days=int(drill))
    one = dt.timedelta(days=1)
    stamp = first.strftime("%Y%m%d")
    for step, s, e, what in [("cutoff", cut, cut + one, "candidate cut-off"), ("review", cut, fz, "security review"),
                             ("freeze", fz, r, "freeze"), ("drill", dr, dr + one, "update drill (airlock drill)"),
                             ("release", r, r + one, "release")]:
        want[f"{name}-{step}-{stamp}"] = (f"{name}: {what}", s, e)
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print(k, "got", got.get(k), "want", want.get(k), file=sys.stderr)
    sys.exit(1)
PY
}

expect_exit 0 airlock release schedule --every quarter --from 2027-01-15 -o "$T/q.ics" --store "$ST"
expect_stdout_contains "2027-Q1    cut-off 2026-12-25  review 2026-12-25..2027-01-01  freeze 2027-01-01..2027-01-15  drill 2027-01-12  release 2027-01-15"
expect_stdout_contains "wrote '$T/q.ics' (iCalendar, 4 cycles)"
check "$T/q.ics" quarter 2027-01-15 4 7 14 3
cp "$T/q.ics" "$T/q1.ics"
expect_exit 0 airlock release schedule --every quarter --from 2027-01-15 -o "$T/q.ics" --store "$ST"
cmp -s "$T/q.ics" "$T/q1.ics" || fail "the same cadence gave other bytes"
# the twin: a calendar with one date moved is caught by the check
sed 's/DTSTART;VALUE=DATE:20270401/DTSTART;VALUE=DATE:20270402/' "$T/q.ics" >"$T/shifted.ics"
if (check "$T/shifted.ics" quarter 2027-01-15 4 7 14 3) 2>/dev/null; then fail "a shifted freeze went unnoticed"; fi

# month ends clamp (31 January, then 28 February, 31 March); other windows; weeks
expect_exit 0 airlock release schedule --every month --from 2027-01-31 --cycles 14 --review 2w --freeze 5d --drill 1d \
    -o "$T/m.ics" --store "$ST"
check "$T/m.ics" month 2027-01-31 14 14 5 1
expect_stdout_contains "2027-02    cut-off 2027-02-09  review 2027-02-09..2027-02-23  freeze 2027-02-23..2027-02-28  drill 2027-02-27  release 2027-02-28"
expect_exit 0 airlock release schedule --every 2w --from 2027-03-01 --cycles 6 --review 2d --freeze 3d -o "$T/w.ics" --store "$ST"
check "$T/w.ics" 14 2027-03-01 6 2 3 3

# where today falls, from the cadence the store keeps (the last one set)
expect_exit 0 airlock release schedule --every quarter --from 2027-01-15 -o "$T/q.ics" --store "$ST"
at() { expect_exit 0 faketime "$1 12:00:00" "$AIRLOCK" release ls --store "$ST"; }
at 2027-03-01; expect_stdout_contains "cadence: today: open for candidates of 2027-Q2 until the cut-off on 2027-03-25"
at 2027-03-28; expect_stdout_contains "cadence: today: security review of 2027-Q2: the freeze begins 2027-04-01, the release is 2027-04-15"
at 2027-04-10; expect_stdout_contains "cadence: today: freeze before 2027-Q2: the drill is 2027-04-12, the release 2027-04-15"
at 2027-04-15; expect_stdout_contains "cadence: today: release day of 2027-Q2"
at 2028-02-01; expect_stdout_contains "open for candidates of 2028-Q2"
expect_exit 0 faketime "2027-03-28 12:00:00" "$AIRLOCK" release ls --store "$ST" --json
assert_eq "$(json "$OUT" .today)" "security review of 2027-Q2: the freeze begins 2027-04-01, the release is 2027-04-15" "today, as JSON"

# refusals, nothing written
expect_exit 64 airlock release schedule --every 3d --from 2027-01-15 -o "$T/x.ics" --store "$ST"
expect_stderr_contains "--every '3d': quarter, month, or a period of at least 7d"
expect_exit 64 airlock release schedule --every quarter --from 2027-02-30 -o "$T/x.ics" --store "$ST"
expect_stderr_contains "--from '2027-02-30': the first release day, as YYYY-MM-DD"
expect_exit 64 airlock release schedule --every quarter --from 2027-01-15 --store "$ST"
expect_exit 64 airlock release schedule --every quarter --from 2027-01-15 --cycles 0 -o "$T/x.ics" --store "$ST"
expect_exit 64 airlock release ls --review 7d --store "$ST"
assert_absent "$T/x.ics"
