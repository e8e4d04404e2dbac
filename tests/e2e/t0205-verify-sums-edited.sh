#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: SHA256SUMS edited so that a blob's line carries another hash.
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
blob=$(model_blob)
hex=${blob#blobs/sha256/}
other=$(printf 'something else\n' | sha256sum | cut -d' ' -f1)
grep -q "^$hex  $blob\$" "$T/b/SHA256SUMS" || fail "SHA256SUMS has no line for '$blob'"
sed -i "s|^$hex  $blob\$|$other  $blob|" "$T/b/SHA256SUMS"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "digest mismatch for '$blob': expected sha256:$other, got sha256:$hex"
expect_stderr_contains "FAILED verification: 1 problem"
# a line that is not '<sha256>  <path>'
sample_bundle "$T/c"
echo "this is not a checksum line" >>"$T/c/SHA256SUMS"
n=$(wc -l <"$T/c/SHA256SUMS")
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'SHA256SUMS' line $n is not '<sha256>  <path>'"
