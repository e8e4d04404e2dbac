#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: the builder never signed; security signed twice over (2 of 2).
. "$(dirname "$0")/trust-lib.sh"
signed_setup

rm "$(sigfile "$T/b" builder "$B")"
expect_refused "$T/b" "$T/trust.yaml" "role 'builder' needs signatures by 1 distinct key of 1, has 0"
expect_stdout_contains "role builder    0 of 1 needed: -"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"
expect_stderr_contains "FAILED verification: 1 problem"
expect_exit 1 airlock verify "$T/b" --trust "$T/trust.yaml" --json
assert_eq "$(json "$OUT" .roles.builder.satisfied)" false ".roles.builder.satisfied"
assert_eq "$(json "$OUT" .roles.builder.required)" true ".roles.builder.required"
assert_eq "$(json "$OUT" .roles.security.satisfied)" true ".roles.security.satisfied"
