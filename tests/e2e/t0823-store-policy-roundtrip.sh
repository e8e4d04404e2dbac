#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The store keeps its trust policy as text (keys inline): what `store trust show` prints
# is itself a policy that accepts and refuses exactly as the file did, and every policy
# the file parser takes keeps working once stored (max_age of any accepted length,
# allow_legacy_signatures).
. "$(dirname "$0")/trust-lib.sh"
signed_setup
tiny_bundle "$T/u" tiny 2
sign "$T/u" builder builder
sign "$T/u" security security1

policy "$T/p.yaml" "max_age: 180d" "allow_legacy_signatures: true"
expect_exit 0 airlock verify "$T/b" --trust "$T/p.yaml"
expect_exit 0 airlock init --store "$T/st" --trust "$T/p.yaml"
expect_exit 0 airlock store trust show --store "$T/st"
cp "$OUT" "$T/shown.yaml"
for id in "$B" "$S1" "$S2"; do expect_stdout_contains "$id"; done
expect_stdout_contains "allow_legacy_signatures: true"
expect_stdout_contains "max_age:"
# the shown text is a policy, and the same one
expect_verified "$T/b" "$T/shown.yaml"
expect_exit 1 airlock verify "$T/u" --trust "$T/shown.yaml"
expect_stderr_contains "role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_exit 0 airlock import "$T/b" --store "$T/st"
expect_exit 1 airlock import "$T/u" --store "$T/st"
expect_stderr_contains "role 'security' needs signatures by 2 distinct keys of 2, has 1"

# store trust set: replaces the policy; a bad file changes nothing
echo "roles: {}" >"$T/bad.yaml"
expect_exit 2 airlock store trust set "$T/bad.yaml" --store "$T/st"
expect_stderr_contains "'roles' must map role names to keys and a threshold"
expect_exit 0 airlock store trust show --store "$T/st"
cmp -s "$OUT" "$T/shown.yaml" || fail "a refused 'store trust set' changed the policy"
expect_exit 2 airlock store trust set "$T/missing.yaml" --store "$T/st"
expect_exit 0 airlock store trust show --store "$T/st"
cmp -s "$OUT" "$T/shown.yaml" || fail "a refused 'store trust set' changed the policy"

# a long max_age that the file parser accepts must keep working once stored
policy "$T/long.yaml" "max_age: 5000d"
expect_exit 0 airlock verify "$T/b" --trust "$T/long.yaml"
expect_exit 0 airlock init --store "$T/st2"
expect_exit 0 airlock store trust set "$T/long.yaml" --store "$T/st2"
expect_exit 0 airlock store trust show --store "$T/st2"
cp "$OUT" "$T/long-shown.yaml"
expect_exit 0 airlock verify "$T/b" --trust "$T/long-shown.yaml"
expect_exit 0 airlock import "$T/b" --store "$T/st2"
expect_stdout_contains "imported tiny version 1"
