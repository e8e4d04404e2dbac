#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: the trusted comment (line 3) of a signature edited after signing. The
# untrusted comment (line 1) is not covered and may change freely.
. "$(dirname "$0")/trust-lib.sh"
signed_setup
s=$(sigfile "$T/b" security "$S1")
orig=$(sed -n 3p "$s")

# line 1 is free text: still fine
sed -i '1s/.*/untrusted comment: anything at all/' "$s"
expect_verified "$T/b" "$T/trust.yaml"

# line 3: a later expiry
sed -i '3s/expires=[0-9]*-/expires=2099-/' "$s"
[ "$(sed -n 3p "$s")" != "$orig" ] || fail "the trusted comment was not edited"
expect_refused "$T/b" "$T/trust.yaml" \
    "'signatures/security.$S1.minisig': the trusted comment of the signature by key $S1 was altered" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"
(cd "$T/b" && expect_exit 1 minisign -Vm SHA256SUMS -x "signatures/security.$S1.minisig" -p "$K/security1.pub")
expect_stderr_contains "Comment signature verification failed"

# line 3: one byte appended
sed -i "3s|.*|$orig|" "$s"
expect_verified "$T/b" "$T/trust.yaml"
sed -i '3s/$/ /' "$s"
expect_refused "$T/b" "$T/trust.yaml" "the trusted comment of the signature by key $S1 was altered"
