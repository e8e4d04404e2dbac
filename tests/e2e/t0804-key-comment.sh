#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: `key generate --comment` must not write a key that airlock or minisign
# cannot read back. The comment is line 1 of the secret key file: a newline in it, or a
# line longer than minisign's 1024-byte buffer, would make the key unusable after a
# "successful" generate. Such comments are refused (usage, exit 64) and nothing is written.
. "$(dirname "$0")/trust-lib.sh"
tiny_bundle "$T/b" tiny 1
mkdir -p "$T/k"

# the longest comment minisign 0.11 reads: "untrusted comment: " + 1003 bytes + "\n"
long=$(head -c 1003 /dev/zero | tr '\0' c)
expect_exit 0 airlock key generate -o "$T/k/long" -W --comment "$long"
assert_eq "$(sed -n 1p "$T/k/long.key")" "untrusted comment: $long" "line 1 of the key"
expect_exit 0 minisign -S -s "$T/k/long.key" -m "$T/b/SHA256SUMS" -x "$T/long.minisig"
expect_exit 0 airlock sign "$T/b" --key "$T/k/long.key" --role builder

# one byte more: minisign could no longer read the key
expect_exit 64 airlock key generate -o "$T/k/longer" -W --comment "${long}c"
expect_stderr_contains "comment"
assert_absent "$T/k/longer.key"
assert_absent "$T/k/longer.pub"

# a newline would split line 1
expect_exit 64 airlock key generate -o "$T/k/nl" -W --comment $'officer A\nofficer B'
expect_stderr_contains "comment"
assert_absent "$T/k/nl.key"
assert_absent "$T/k/nl.pub"
