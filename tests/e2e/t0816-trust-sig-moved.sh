#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a valid signature moved where it does not belong: into another bundle
# (version 2 of the same name, and another name), into another role, and a signature of
# the right SHA256SUMS whose trusted comment names another version.
. "$(dirname "$0")/trust-lib.sh"
signed_setup
s1=$(sigfile "$T/b" security "$S1")
tc1=$(sed -n 3p "$s1")

# version 2, signed by the builder and security2 only: passes a 1-of-2 policy
tiny_bundle "$T/v2" tiny 2
sign "$T/v2" builder builder
sign "$T/v2" security security2
sed 's/threshold: 2/threshold: 1/' "$T/trust.yaml" >"$T/one.yaml"
expect_exit 0 airlock verify "$T/v2" --trust "$T/one.yaml"
expect_exit 1 airlock verify "$T/v2" --trust "$T/trust.yaml"
expect_stderr_contains "role 'security' needs signatures by 2 distinct keys of 2, has 1"

# security1's signature of version 1 copied into version 2
cp "$s1" "$(sigfile "$T/v2" security "$S1")"
expect_refused "$T/v2" "$T/trust.yaml" \
    "'signatures/security.$S1.minisig': the signature by key $S1 does not match the signed file (SHA256SUMS was changed after signing, or the signature was made for another bundle)" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"

# ... into a bundle of another name, same version
tiny_bundle "$T/other" other 1
sign "$T/other" builder builder
sign "$T/other" security security2
cp "$s1" "$(sigfile "$T/other" security "$S1")"
expect_refused "$T/other" "$T/trust.yaml" \
    "'signatures/security.$S1.minisig': the signature by key $S1 does not match the signed file" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"

# a signature over version 2's SHA256SUMS whose trusted comment speaks of version 1
expect_exit 0 minisign -S -s "$K/security1.key" -m "$T/v2/SHA256SUMS" -t "${tc1#trusted comment: }" \
    -x "$(sigfile "$T/v2" security "$S1")"
exp2=$(json "$T/v2/airlock.json" .expires)
expect_refused "$T/v2" "$T/trust.yaml" \
    "'signatures/security.$S1.minisig': its trusted comment says \"${tc1#trusted comment: }\", expected \"airlock bundle=tiny version=2 role=security expires=$exp2\"" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"
# (with the right comment it counts)
sign "$T/v2" security security1
expect_verified "$T/v2" "$T/trust.yaml"

# another role: security1 may also sign as builder in this policy, but its security
# signature renamed to a builder signature is not a builder approval
policy_of "$T/both.yaml" "keys/builder.pub, keys/security1.pub" "keys/security1.pub, keys/security2.pub" \
    "builder, security"
expect_exit 0 airlock verify "$T/b" --trust "$T/both.yaml"
rm "$(sigfile "$T/b" builder "$B")"
cp "$s1" "$(sigfile "$T/b" builder "$S1")"
exp1=$(json "$T/b/airlock.json" .expires)
expect_refused "$T/b" "$T/both.yaml" \
    "'signatures/builder.$S1.minisig': its trusted comment says \"airlock bundle=tiny version=1 role=security expires=$exp1\", expected \"airlock bundle=tiny version=1 role=builder expires=$exp1\"" \
    "role 'builder' needs signatures by 1 distinct key of 2, has 0"
# (signed as builder, it counts)
sign "$T/b" builder security1
expect_exit 0 airlock verify "$T/b" --trust "$T/both.yaml"
expect_role_keys builder "1 of 1 needed" "$S1"
