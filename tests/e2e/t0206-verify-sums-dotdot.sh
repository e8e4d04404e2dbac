#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a SHA256SUMS line whose path climbs out with '..'.
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
echo outside >"$T/x"
h=$(sha256 "$T/x")
echo "$h  ../x" >>"$T/b/SHA256SUMS"
n=$(wc -l <"$T/b/SHA256SUMS")
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "'SHA256SUMS' line $n: '../x': the path contains '..'"
expect_stderr_contains "FAILED verification"
sample_bundle "$T/c"
echo "$h  blobs/sha256/../../../x" >>"$T/c/SHA256SUMS"
n=$(wc -l <"$T/c/SHA256SUMS")
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'SHA256SUMS' line $n: 'blobs/sha256/../../../x': the path contains '..'"
