#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Separation of duties: with distinct_roles: true, one key (one person) cannot fill two
# roles of a bundle, even when the policy lists it under both. security1 is both a builder
# key and a security key here. Passing twin: builder, security1 and security2 each sign
# their own role. Must fail: security1 signs as builder too (alone, or beside the builder),
# and the same Ed25519 key under another key id; by verify --trust and import. Without
# distinct_roles the same bundle passes (what the rule adds). And the policy's own errors.
. "$(dirname "$0")/trust-lib.sh"
test_keys

# sod FILE [LINE...]: builder 1 of [builder, security1]; security 2 of [security1, security2]
sod() {
    local f=$1
    shift
    policy_of "$f" "keys/builder.pub, keys/security1.pub" "keys/security1.pub, keys/security2.pub" \
        "builder, security" "$@"
}
sod "$T/sod.yaml" "distinct_roles: true"
sod "$T/loose.yaml"

# passing twin
tiny_bundle "$T/b" tiny 1
sign_all "$T/b"
expect_exit 0 airlock verify "$T/b" --trust "$T/sod.yaml"
expect_stdout_contains "signatures satisfy the trust policy '$T/sod.yaml'"
expect_exit 0 airlock init --store "$T/st-ok" --trust "$T/sod.yaml"
expect_exit 0 airlock store trust show --store "$T/st-ok"
expect_stdout_contains "distinct_roles: true"
expect_exit 0 airlock import "$T/b" --store "$T/st-ok"

both="key $S1 signed in both role 'builder' and role 'security': the trust policy requires distinct keys for distinct roles (distinct_roles: true), so one key cannot fill both"

# security1 is the builder too: every threshold is met, but by one person in two roles
tiny_bundle "$T/one" tiny 2
sign "$T/one" builder security1
sign "$T/one" security security1
sign "$T/one" security security2
expect_exit 0 airlock verify "$T/one" --trust "$T/loose.yaml"     # the rule is what refuses it
expect_refused "$T/one" "$T/sod.yaml" "$both"
expect_exit 0 airlock init --store "$T/st" --trust "$T/sod.yaml"
expect_exit 1 airlock import "$T/one" --store "$T/st"
expect_stderr_contains "airlock: import: $both"
expect_stdout_not_contains "imported"

# ... also when the builder signed as well
cp -r "$T/one" "$T/also"
sign "$T/also" builder builder
expect_refused "$T/also" "$T/sod.yaml" "$both"

# the same Ed25519 key under another key id in the builder role: security1's key with a
# made-up key number, and security1's builder signature rewritten to claim it
python3 - "$K/security1.pub" "$K/alias.pub" <<'PY' || fail "cannot write the aliased key"
import base64, sys
raw = base64.b64decode(open(sys.argv[1]).read().split("\n")[1])
raw = raw[:2] + bytes(range(1, 9)) + raw[10:]
open(sys.argv[2], "w").write("untrusted comment: security1 under another id\n" + base64.b64encode(raw).decode() + "\n")
PY
A=$(keyid "$K/alias.pub")
cat >"$T/alias.yaml" <<'YAML'
roles:
  builder:
    keys: [keys/alias.pub]
  security:
    threshold: 2
    keys: [keys/security1.pub, keys/security2.pub]
require: [builder, security]
distinct_roles: true
YAML
tiny_bundle "$T/al" tiny 3
sign "$T/al" builder security1
mv "$(sigfile "$T/al" builder "$S1")" "$(sigfile "$T/al" builder "$A")"
forge_keynum "$(sigfile "$T/al" builder "$A")" "$K/alias.pub"
sign "$T/al" security security1
sign "$T/al" security security2
sed '/distinct_roles/d' "$T/alias.yaml" >"$T/alias-loose.yaml"
expect_exit 0 airlock verify "$T/al" --trust "$T/alias-loose.yaml"
expect_refused "$T/al" "$T/alias.yaml" \
    "key $A signed in both role 'builder' and role 'security' (there as key id $S1): the trust policy requires distinct keys for distinct roles"

# the policy's own errors
sod "$T/bad.yaml" "distinct_roles: maybe"
expect_exit 2 airlock verify "$T/b" --trust "$T/bad.yaml"
expect_stderr_contains "'$T/bad.yaml': 'distinct_roles' is true or false"
sod "$T/bad2.yaml" "distinct_roles: [true]"
expect_exit 2 airlock verify "$T/b" --trust "$T/bad2.yaml"
expect_stderr_contains "'distinct_roles' is true or false"
