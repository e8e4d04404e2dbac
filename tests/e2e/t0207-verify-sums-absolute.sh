#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a SHA256SUMS line with an absolute path.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
small_bundle "$T/b"
expect_sums_path_refused "$T/b" "$T/x" "the path is absolute"
