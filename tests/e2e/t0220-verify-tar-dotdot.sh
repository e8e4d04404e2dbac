#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin (tar): an entry named '../evil'. Nothing may be written outside, by verify or by import.
. "$(dirname "$0")/lib.sh"
need tar
sample_bundle "$T/b.tar" --tar
# the twin: the same entries re-written by another tar implementation verify
tar_rewrite "$T/b.tar" "$T/copy.tar" none
expect_exit 0 airlock verify "$T/copy.tar"

tar_rewrite "$T/b.tar" "$T/bad.tar" dotdot
mkdir "$T/cwd" && cd "$T/cwd"
expect_exit 1 airlock verify "$T/bad.tar"
expect_stderr_contains "tar entry '../evil': the path contains '..'"
expect_stderr_contains "FAILED verification: 1 problem"
assert_absent "$T/evil"
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/bad.tar"
expect_stderr_contains "tar entry '../evil': the path contains '..'"
assert_absent "$T/evil"
assert_absent "$T/store/evil"
assert_absent "$T/store/tmp/evil"
assert_absent "$T/store/quarantine/evil"
