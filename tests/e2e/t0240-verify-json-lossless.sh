#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: verify --json never loses a problem. A bundle path and file names that
# are not UTF-8 are escaped as \xNN (the JSON used to be empty, or the problem dropped),
# problemCount is the list's length plus problemsNotListed, and bundle create --json keeps
# a non-UTF-8 output path. The twins: UTF-8 names come out as they are.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need jq
small_bundle "$T/b"

# the twin: a UTF-8 name is kept as it is
cp -a "$T/b" "$T/b-é"
expect_exit 0 airlock verify --json "$T/b-é"
assert_eq "$(json "$OUT" .bundle)" "$T/b-é" "verify --json .bundle"
assert_eq "$(json "$OUT" .problemCount)" 0 "verify --json .problemCount"

# a bundle path and two unlisted files whose names are not UTF-8
bad=$T/b-$'\xff'
cp -a "$T/b" "$bad"
printf 'x' >"$bad/blobs/x"$'\xfe'
printf 'y' >"$bad/y"$'\xc3'
expect_exit 1 airlock verify --json "$bad"
assert_eq "$(json "$OUT" .bundle)" "$T/b-\\xff" "verify --json .bundle"
assert_eq "$(json "$OUT" .ok)" false "verify --json .ok"
assert_eq "$(json "$OUT" '.problems | length')" 3 "problems listed"
assert_eq "$(json "$OUT" .problemCount)" 3 "verify --json .problemCount"
assert_eq "$(json "$OUT" .problemsNotListed)" 0 "verify --json .problemsNotListed"
json "$OUT" '.problems[]' | grep -xF "unlisted file 'blobs/x\\xfe' (not in SHA256SUMS)" >/dev/null || fail "the unlisted blob is not listed"
json "$OUT" '.problems[]' | grep -xF "'blobs/x\\xfe' is not named blobs/sha256/<64 hex digits>" >/dev/null || fail "the badly named blob is not listed"
json "$OUT" '.problems[]' | grep -xF "unlisted file 'y\\xc3' (not in SHA256SUMS)" >/dev/null || fail "the unlisted file is not listed"
# the text output counts the same problems
expect_exit 1 airlock verify "$bad"
expect_stderr_contains "FAILED verification: 3 problems"

# more problems than the report keeps: the count says how many are not listed
rm -rf "$T/many" && cp -a "$T/b" "$T/many"
for i in $(seq 1 250); do printf '%s' "$i" >"$T/many/extra-$i"; done
expect_exit 1 airlock verify --json "$T/many"
assert_eq "$(json "$OUT" '.problems | length')" 200 "problems listed"
assert_eq "$(json "$OUT" .problemsNotListed)" 50 "problems not listed"
assert_eq "$(json "$OUT" .problemCount)" 250 "problemCount"

# bundle create --json keeps a non-UTF-8 output path
expect_exit 0 airlock bundle create -f "$T/small/airlock.yaml" -o "$T/out-"$'\xfd' --json --quiet
assert_eq "$(json "$OUT" .path)" "$T/out-\\xfd" "bundle create --json .path"
