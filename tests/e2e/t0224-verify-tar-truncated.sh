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
expect_exit 1 airlock import --store "$T/store" "$T/half.tar"
expect_stderr_contains "truncated"
