#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): one bit of a blob's data flipped inside the tar (sizes unchanged).
. "$(dirname "$0")/lib.sh"
need tar
sample_bundle "$T/b.tar" --tar
# the twin: the same entries re-written by another tar implementation verify
tar_rewrite "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

blob=$(model_blob)
tar_rewrite "$T/b.tar" "$T/bad.tar" "modify:$blob"
expect_exit 1 airlock verify "$T/bad.tar"
expect_stderr_contains "digest mismatch for '$blob': expected sha256:${blob#blobs/sha256/}, got sha256:"
expect_stderr_contains "blob '$blob' does not hash to its name"
expect_stderr_contains "FAILED verification: 2 problems"
# the same for airlock.json
tar_rewrite "$T/b.tar" "$T/bad2.tar" modify:airlock.json
expect_exit 1 airlock verify "$T/bad2.tar"
expect_stderr_contains "digest mismatch for 'airlock.json'"
