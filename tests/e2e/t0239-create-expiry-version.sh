#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: airlock never writes a bundle it cannot read, and a version is at most
# 2^53-1. create refuses an expiry past 9999-12-31T23:59:59Z (it used to write a five-digit
# year that verify then rejected) and a version past 2^53-1; verify refuses such a version
# too. The twins: the last day of 9999 and version 2^53-1 are made and verify.
. "$(dirname "$0")/lib.sh"
need jq
mkdir -p "$T/s"
printf 'hello\n' >"$T/s/a.txt"
spec() {
    printf 'name: edge\nversion: %s\nexpires: "%s"\nartifacts:\n  - kind: file\n    path: a.txt\n' "$1" "$2" >"$T/s/airlock.yaml"
}

spec 1 3000000d
expect_exit 2 airlock bundle create -f "$T/s/airlock.yaml" -o "$T/far" --quiet
expect_stderr_contains "bundle 'edge': 'expires' must be after now and at the latest 9999-12-31T23:59:59Z (choose a nearer date or a shorter time)"
assert_no_leftovers "$T/far"

spec 9007199254740992 30d
expect_exit 2 airlock bundle create -f "$T/s/airlock.yaml" -o "$T/big" --quiet
expect_stderr_contains "bundle 'edge': version 9007199254740992 is out of range (1 to 9007199254740991, 2^53-1"
assert_no_leftovers "$T/big"

# the twins: the edges themselves
spec 9007199254740991 9999-12-31
expect_exit 0 airlock bundle create -f "$T/s/airlock.yaml" -o "$T/edge" --quiet
expect_exit 0 airlock verify "$T/edge"
expect_stdout_contains "edge version 9007199254740991"
assert_eq "$(json "$T/edge/airlock.json" .expires)" 9999-12-31T00:00:00Z "expires"

# verify refuses a version past the cap (SHA256SUMS regenerated)
for v in 9007199254740992 9223372036854775807; do
    rm -rf "$T/c" && cp -a "$T/edge" "$T/c"
    # (sed, not jq: jq would round the number through a double)
    sed "s/\"version\": 9007199254740991,/\"version\": $v,/" "$T/edge/airlock.json" >"$T/c/airlock.json"
    grep -qF "\"version\": $v," "$T/c/airlock.json" || fail "the version was not replaced"
    regen_sums "$T/c"
    expect_exit 1 airlock verify "$T/c"
    expect_stderr_contains "'airlock.json': 'version' must be an integer from 1 to 9007199254740991 (2^53-1)"
    expect_stderr_contains "FAILED verification: 1 problem"
done
