#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a SHA256SUMS line whose path climbs out with '..'.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
small_bundle "$T/b"
expect_sums_path_refused "$T/b" ../x "the path contains '..'"
small_bundle "$T/c"
expect_sums_path_refused "$T/c" blobs/sha256/../../../x "the path contains '..'"
