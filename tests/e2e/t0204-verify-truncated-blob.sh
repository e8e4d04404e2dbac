#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a truncated blob is caught, naming it.
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
blob=$(model_blob)
size=$(stat -c %s "$T/b/$blob")
truncate -s $((size / 2)) "$T/b/$blob"
got=$(sha256 "$T/b/$blob")
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "digest mismatch for '$blob': expected sha256:${blob#blobs/sha256/}, got sha256:$got"
expect_stderr_contains "FAILED verification"
: >"$T/b/$blob"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "digest mismatch for '$blob': expected sha256:${blob#blobs/sha256/}, got sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
