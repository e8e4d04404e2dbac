#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a signature by a key the policy does not list for that role: a key in
# no role at all, and the builder's key signing as security; a role the policy lacks.
. "$(dirname "$0")/trust-lib.sh"
signed_setup

# the outsider instead of security2
cp -r "$T/b" "$T/o"
rm "$(sigfile "$T/o" security "$S2")"
sign "$T/o" security outsider
expect_refused "$T/o" "$T/trust.yaml" \
    "'signatures/security.$X.minisig': key $X is not a key of role 'security' in the trust policy (unknown key)" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_role_keys security "1 of 2 needed" "$S1"

# the builder's key (known, but not in role security) instead of security2
cp -r "$T/b" "$T/w"
rm "$(sigfile "$T/w" security "$S2")"
sign "$T/w" security builder
expect_refused "$T/w" "$T/trust.yaml" \
    "'signatures/security.$B.minisig': key $B is not a key of role 'security' in the trust policy (unknown key)" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"

# a role the policy does not have
cp -r "$T/b" "$T/r"
sign "$T/r" auditor outsider
expect_refused "$T/r" "$T/trust.yaml" \
    "'signatures/auditor.$X.minisig' is for role 'auditor', which the trust policy does not have"
