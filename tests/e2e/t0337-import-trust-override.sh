#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# An import checked against 'import --trust FILE' instead of the store's policy is an
# override, and it is audited: the catalog keeps the policy that was used (keys inline),
# `store ls` shows "POLICY OVERRIDE" for that bundle and --json gives the policy as
# policyOverride, and the import event says so. On a store with a policy and on one
# without. The twin: an import checked against the store's own policy shows no override.
. "$(dirname "$0")/lib.sh"
need jq

G=$SRCDIR/tests/data/keys/golden
# the twin: the store's own policy
expect_exit 0 airlock init --store "$T/own" --trust "$G/trust.yaml"
expect_exit 0 airlock import --store "$T/own" "$G/bundle"
expect_stdout_not_contains "POLICY OVERRIDE"
expect_exit 0 airlock store ls --store "$T/own"
expect_stdout_not_contains "POLICY OVERRIDE"
expect_exit 0 airlock store ls --store "$T/own" --json
assert_eq "$(json "$OUT" '.bundles[0].policyOverride')" null "policyOverride under the store's own policy"

# a weaker policy (one security key of two instead of two of two) given with --trust
cat >"$T/weaker.yaml" <<YAML
roles:
  builder:
    keys: [$SRCDIR/tests/data/keys/builder.pub]
  security:
    threshold: 1
    keys: [$SRCDIR/tests/data/keys/security1.pub, $SRCDIR/tests/data/keys/security2.pub]
require: [builder, security]
YAML
# the text the catalog keeps for a policy, as trust show prints it
expect_exit 0 airlock init --store "$T/scratch" --trust "$T/weaker.yaml"
expect_exit 0 airlock store trust show --store "$T/scratch"
cp "$OUT" "$T/weaker.text"
for store in with-policy without-policy; do
    St=$T/$store
    if [ "$store" = with-policy ]; then
        expect_exit 0 airlock init --store "$St" --trust "$G/trust.yaml"
    else
        expect_exit 0 airlock init --store "$St"
    fi
    expect_exit 0 airlock import --store "$St" --trust "$T/weaker.yaml" "$G/bundle"
    expect_stdout_contains "POLICY OVERRIDE: checked against '$T/weaker.yaml' (--trust), not the store's policy"
    expect_exit 0 airlock store ls --store "$St"
    expect_stdout_contains "POLICY OVERRIDE: checked against 'import --trust FILE', not the store's policy"
    expect_exit 0 airlock store ls --store "$St" --json
    jq -j '.bundles[0].policyOverride' "$OUT" >"$T/recorded" || fail "jq failed"
    cmp -s "$T/recorded" "$T/weaker.text" || fail "the recorded policy is not the one given with --trust ($store)"
    assert_eq "$(json "$OUT" '[.events[] | select(.action == "import" and .result == "imported")][0].detail')" \
        "golden version 1 (checked against --trust, not the store's policy)" "the import event ($store)"
done
