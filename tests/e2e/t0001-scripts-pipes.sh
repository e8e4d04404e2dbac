#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The project's own shell scripts run under "set -o pipefail". There, a pipe into a reader
# that stops early ("producer | grep -q", "producer | head") fails whenever the reader
# exits before the producer has written its last byte: the producer dies of SIGPIPE, the
# pipeline fails, and the test or script fails on some machines and not others. This test
# refuses that form in every script the project runs, and checks that it would catch it.
SELF=$(realpath "$0")   # its twin below holds the bad forms; lib.sh changes directory
. "$(dirname "$0")/lib.sh"

# early_exit_pipes FILE…: prints FILE:LINE: TEXT for each pipe into an early-exiting reader.
# A pipe whose status cannot matter is allowed: one inside a failure message (after "fail "),
# one whose output goes to stderr, and one that ends in "|| true" or "|| echo".
early_exit_pipes() {
    perl -ne '
        next if /^\s*#/;
        my $l = $_;
        $l =~ s/\bfail\s.*//;
        print "$ARGV:$.: $_" if $l =~ /\|\s*(grep\s+-[A-Za-z]*q|head\b)/ && $l !~ /\|\|\s*(true|echo)\b|>&2/;
        close ARGV if eof;' "$@"
}

scripts=("$SRCDIR"/tests/e2e/*.sh "$SRCDIR"/scripts/* "$SRCDIR"/bench/*.sh "$SRCDIR"/bench/make-* "$SRCDIR"/.ci/run)
[ "${#scripts[@]}" -gt 100 ] || fail "found only ${#scripts[@]} scripts under $SRCDIR"
checked=()
for f in "${scripts[@]}"; do [ "$(realpath "$f")" = "$SELF" ] || checked+=("$f"); done
found=$(early_exit_pipes "${checked[@]}")
[ -z "$found" ] || fail "pipes into a reader that exits early, which fail at random under pipefail:
$found"

# The twin: each form is caught, the allowed forms are not.
cat >"$T/bad.sh" <<'BAD'
tar -tf x.tar | grep -q '^base.json$' || fail "no base.json"
ss -Hlun | grep -Eq . && break
img=$(jq -r '.a[]' f.json | head -1)
tail -c +11 f |head -c 10 >g
BAD
cat >"$T/good.sh" <<'GOOD'
# a comment: tar -tf x.tar | grep -q name
tar -tf x.tar | stdin_has '^base.json$' || fail "no base.json"
fail "files: $(diff a b | head)"
diff a b | head -20 >&2
v=$(tool --version | head -n1 || echo '?')
GOOD
assert_eq "$(early_exit_pipes "$T/bad.sh" | wc -l)" 4 "early-exit pipes caught in a bad script"
assert_eq "$(early_exit_pipes "$T/good.sh")" "" "early-exit pipes reported in a good script"

# stdin_has reads everything first: a producer that writes far more than a pipe holds
# after the match still ends well.
{ echo match; head -c 1000000 /dev/zero | tr '\0' 'x'; echo; } | stdin_has '^match$' ||
    fail "stdin_has misses a match followed by 1 MB"
if { echo one; echo two; } | stdin_has '^three$'; then fail "stdin_has matched a line that is absent"; fi
