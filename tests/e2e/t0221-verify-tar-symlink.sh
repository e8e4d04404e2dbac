#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): a symbolic link entry.
. "$(dirname "$0")/lib.sh"
need tar
sample_bundle "$T/b.tar" --tar
# the twin: the same entries re-written by another tar implementation verify
tar_rewrite "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

tar_rewrite "$T/b.tar" "$T/bad.tar" symlink
expect_exit 1 airlock verify "$T/bad.tar"
expect_stderr_contains "'blobs/sha256/evil' is a symbolic link (a bundle holds only regular files and directories)"
expect_stderr_contains "FAILED verification: 1 problem"
