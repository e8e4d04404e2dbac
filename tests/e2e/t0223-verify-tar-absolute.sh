#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): an entry with an absolute path.
. "$(dirname "$0")/lib.sh"
need tar
sample_bundle "$T/b.tar" --tar
# the twin: the same entries re-written by another tar implementation verify
tar_rewrite "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

tar_rewrite "$T/b.tar" "$T/bad.tar" absolute
expect_exit 1 airlock verify "$T/bad.tar"
expect_stderr_contains "tar entry '/tmp/airlock-e2e-evil': the path is absolute"
expect_stderr_contains "FAILED verification: 1 problem"
