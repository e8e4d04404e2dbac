#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): a second entry with the name of one already in the tar (a tar
# extractor would keep the last one, which was never hashed against SHA256SUMS).
. "$(dirname "$0")/lib.sh"
need tar
sample_bundle "$T/b.tar" --tar
tar_rewrite "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

tar_rewrite "$T/b.tar" "$T/bad.tar" duplicate:airlock.json
expect_exit 1 airlock verify "$T/bad.tar"
expect_stderr_contains "'airlock.json' appears more than once in the tar"
expect_stderr_contains "FAILED verification"
blob=$(model_blob)
tar_rewrite "$T/b.tar" "$T/bad2.tar" "duplicate:$blob"
expect_exit 1 airlock verify "$T/bad2.tar"
expect_stderr_contains "'$blob' appears more than once in the tar"
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/bad2.tar"
expect_stderr_contains "'$blob' appears more than once in the tar"
