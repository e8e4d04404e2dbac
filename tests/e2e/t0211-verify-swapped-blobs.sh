#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: two blobs' contents swapped (each file still listed, each now wrong).
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
a=blobs/sha256/$(sha256 "$S/models/tiny-model/config.json")
c=blobs/sha256/$(sha256 "$S/models/tiny-model/tokenizer_config.json")
assert_exists "$T/b/$a"
assert_exists "$T/b/$c"
mv "$T/b/$a" "$T/swap"
mv "$T/b/$c" "$T/b/$a"
mv "$T/swap" "$T/b/$c"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "blob '$a' does not hash to its name (got sha256:${c#blobs/sha256/})"
expect_stderr_contains "blob '$c' does not hash to its name (got sha256:${a#blobs/sha256/})"
expect_stderr_contains "digest mismatch for '$a'"
expect_stderr_contains "digest mismatch for '$c'"
expect_stderr_contains "FAILED verification: 4 problems"
