#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a file that SHA256SUMS does not list (at the top and among the blobs).
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
echo "not part of the bundle" >"$T/b/extra.txt"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "unlisted file 'extra.txt' (not in SHA256SUMS)"
expect_stderr_contains "FAILED verification: 1 problem"
rm "$T/b/extra.txt"
expect_exit 0 airlock verify "$T/b"
# a well-named blob that nothing lists is still an extra file
printf 'stray\n' >"$T/stray"
h=$(sha256 "$T/stray")
cp "$T/stray" "$T/b/blobs/sha256/$h"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "unlisted file 'blobs/sha256/$h' (not in SHA256SUMS)"
# signatures/ and custody.log are the documented exceptions
rm "$T/b/blobs/sha256/$h"
mkdir "$T/b/signatures"
echo sig >"$T/b/signatures/x.minisig"
echo "custody" >"$T/b/custody.log"
expect_exit 0 airlock verify "$T/b"
