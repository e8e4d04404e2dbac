#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): a truncated tar (cut inside a blob's data, and inside the first entries) never verifies.
. "$(dirname "$0")/lib.sh"
need tar
sample_bundle "$T/b.tar" --tar
# the twin: the same entries re-written by another tar implementation verify
tar_rewrite "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

size=$(stat -c %s "$T/b.tar")
head -c $((size / 2)) "$T/b.tar" >"$T/half.tar"
expect_exit 1 airlock verify "$T/half.tar"
expect_stderr_contains "truncated"
expect_stderr_contains "$T/half.tar"
expect_stdout_not_contains "intact"
head -c 700 "$T/b.tar" >"$T/head.tar"
expect_exit 1 airlock verify "$T/head.tar"
expect_stderr_contains "truncated"
expect_stdout_not_contains "intact"
# import rejects it too
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/half.tar"
expect_stderr_contains "truncated"
# a file that is no tar at all (empty, or random bytes) is untrustworthy input: exit 1, not 2
: >"$T/empty.tar"
expect_exit 1 airlock verify "$T/empty.tar"
expect_stderr_contains "not a tar '$T/empty.tar'"
head -c 4096 /dev/urandom >"$T/noise.tar"
expect_exit 1 airlock verify "$T/noise.tar"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/noise.tar"
ls "$T/store/quarantine" | grep noise.tar >/dev/null || fail "the noise tar was not quarantined"
# a missing file is an operational error
expect_exit 2 airlock verify "$T/missing.tar"
