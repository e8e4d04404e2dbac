#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a signature by another key put in place of a trusted key's signature,
# (a) only renamed to the trusted key's id, (b) with the trusted key's id written into it.
. "$(dirname "$0")/trust-lib.sh"
signed_setup

# the outsider's signature of the very same SHA256SUMS, in role security
cp -r "$T/b" "$T/x"
rm -r "$T/x/signatures"
sign "$T/x" security outsider
theirs=$(sigfile "$T/x" security "$X")

# (a) renamed: the name says security1, the signature says outsider
cp -r "$T/b" "$T/a"
cp "$theirs" "$(sigfile "$T/a" security "$S1")"
expect_refused "$T/a" "$T/trust.yaml" \
    "'signatures/security.$S1.minisig' is named for key $S1 but was made by key $X" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_role_keys security "1 of 2 needed" "$S2"
expect_stderr_contains "FAILED verification: 2 problems"

# (b) the key number forged too: the signature itself does not check with security1's key
cp -r "$T/b" "$T/f"
cp "$theirs" "$(sigfile "$T/f" security "$S1")"
forge_keynum "$(sigfile "$T/f" security "$S1")" "$K/security1.pub"
expect_refused "$T/f" "$T/trust.yaml" \
    "'signatures/security.$S1.minisig': the signature by key $S1 does not match the signed file" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"
(cd "$T/f" && expect_exit 1 minisign -Vm SHA256SUMS -x "signatures/security.$S1.minisig" -p "$K/security1.pub")
expect_stderr_contains "Signature verification failed"

# the untouched bundle still verifies
expect_verified "$T/b" "$T/trust.yaml"
