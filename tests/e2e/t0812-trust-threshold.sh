#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: security needs 2 of 2 and has 1. The same bundle passes a 1-of-2
# policy; a role the policy defines but does not require may stay unsatisfied.
. "$(dirname "$0")/trust-lib.sh"
signed_setup

rm "$(sigfile "$T/b" security "$S2")"
expect_refused "$T/b" "$T/trust.yaml" "role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_role_keys builder "1 of 1 needed" "$B"
expect_role_keys security "1 of 2 needed" "$S1"
expect_stderr_contains "FAILED verification: 1 problem"
expect_exit 1 airlock verify "$T/b" --trust "$T/trust.yaml" --json
assert_eq "$(json "$OUT" .ok)" false "verify --json .ok"
assert_eq "$(json "$OUT" .roles.security.satisfied)" false ".roles.security.satisfied"
assert_eq "$(json "$OUT" .roles.builder.satisfied)" true ".roles.builder.satisfied"
assert_eq "$(json "$OUT" '.problems | join("|")')" "role 'security' needs signatures by 2 distinct keys of 2, has 1" ".problems"

# 1 of 2 is enough for a policy that asks for 1 of 2
sed 's/threshold: 2/threshold: 1/' "$T/trust.yaml" >"$T/one-of-two.yaml"
expect_exit 0 airlock verify "$T/b" --trust "$T/one-of-two.yaml"
expect_role_keys security "1 of 1 needed" "$S1"

# a role that is defined but not required does not need to be met
policy_of "$T/optional.yaml" keys/builder.pub "keys/security1.pub, keys/security2.pub" builder
expect_exit 0 airlock verify "$T/b" --trust "$T/optional.yaml"
expect_role_keys security "1 of 2 needed \(not required\)" "$S1"
# and nothing at all is not enough
rm -r "$T/b/signatures"
expect_refused "$T/b" "$T/trust.yaml" \
    "role 'builder' needs signatures by 1 distinct key of 1, has 0" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 0"
expect_stdout_contains "role security   0 of 2 needed: -"
