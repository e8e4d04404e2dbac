#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a SHA256SUMS line with an absolute path.
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
echo outside >"$T/x"
h=$(sha256 "$T/x")
echo "$h  $T/x" >>"$T/b/SHA256SUMS"
n=$(wc -l <"$T/b/SHA256SUMS")
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "'SHA256SUMS' line $n: '$T/x': the path is absolute"
expect_stderr_contains "FAILED verification"
