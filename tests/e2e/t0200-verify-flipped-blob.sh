#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: one flipped bit in a blob is caught, naming the blob (the bundle verified before).
. "$(dirname "$0")/lib.sh"
need sha256sum
sample_bundle "$T/b"
blob=$(model_blob)
assert_exists "$T/b/$blob"
flip_byte "$T/b/$blob"
got=$(sha256 "$T/b/$blob")
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "digest mismatch for '$blob': expected sha256:${blob#blobs/sha256/}, got sha256:$got"
expect_stderr_contains "blob '$blob' does not hash to its name (got sha256:$got)"
expect_stderr_contains "airlock: bundle '$T/b' FAILED verification: 2 problems"
expect_stdout_not_contains "intact"
# the JSON report says the same
expect_exit 1 airlock verify --json "$T/b"
assert_eq "$(json "$OUT" .ok)" false "verify --json .ok"
assert_eq "$(json "$OUT" .problemCount)" 2 "verify --json .problemCount"
json "$OUT" '.problems[]' | grep -F "digest mismatch for '$blob'" >/dev/null || fail "verify --json does not name '$blob'"
