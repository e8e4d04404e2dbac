#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# deploy/systemd/airlock-serve.service passes `systemd-analyze verify` with no warning at
# all (with ExecStart pointed at the binary under test). Twins: a binary that is not there
# fails the verification, and a bad setting is reported.
. "$(dirname "$0")/lib.sh"
need systemd-analyze
U=$SRCDIR/deploy/systemd/airlock-serve.service
grep -q '^ExecStart=/usr/local/bin/airlock serve ' "$U" || fail "the unit does not start /usr/local/bin/airlock serve"
sed "s|^ExecStart=/usr/local/bin/airlock|ExecStart=$AIRLOCK|" "$U" >"$T/airlock-serve.service"
expect_exit 0 systemd-analyze verify "$T/airlock-serve.service"
assert_eq "$(cat "$ERR")" "" "what systemd-analyze says of the unit"
sed "s|^ExecStart=/usr/local/bin/airlock|ExecStart=$T/no-such-airlock|" "$U" >"$T/missing.service"
expect_exit 1 systemd-analyze verify "$T/missing.service"
expect_stderr_contains "no-such-airlock is not executable"
sed -e "s|^ExecStart=/usr/local/bin/airlock|ExecStart=$AIRLOCK|" -e 's/^Type=exec/Type=sometimes/' "$U" >"$T/typo.service"
expect_exit 0 systemd-analyze verify "$T/typo.service"
expect_stderr_contains "Failed to parse service type"

# the eval job: its service and timer verify together (the timer names the service)
E=$SRCDIR/deploy/systemd/airlock-eval.service
grep -q '^ExecStart=/usr/local/bin/airlock eval run ' "$E" || fail "the eval unit does not start airlock eval run"
mkdir "$T/eval"
sed "s|^ExecStart=/usr/local/bin/airlock|ExecStart=$AIRLOCK|" "$E" >"$T/eval/airlock-eval.service"
cp "$SRCDIR/deploy/systemd/airlock-eval.timer" "$T/eval/"
expect_exit 0 systemd-analyze verify "$T/eval/airlock-eval.service" "$T/eval/airlock-eval.timer"
assert_eq "$(cat "$ERR")" "" "what systemd-analyze says of the eval units"
sed 's/^OnCalendar=.*/OnCalendar=every other blue moon/' "$SRCDIR/deploy/systemd/airlock-eval.timer" >"$T/eval/airlock-eval.timer"
expect_exit 1 systemd-analyze verify "$T/eval/airlock-eval.service" "$T/eval/airlock-eval.timer"
expect_stderr_contains "Failed to parse calendar specification"
