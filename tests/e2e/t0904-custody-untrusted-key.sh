#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: record 2 is signed by a key the policy's custody_keys does not
# list. The chain itself is intact, so without --trust it verifies (and says the keys were
# not checked), a policy that lists the key accepts it, and custody add (which checks the
# chain, not keys) still extends it; with the policy that does not list the key, custody
# verify and show exit 1 naming record 2 and the key, and import quarantines the bundle.
. "$(dirname "$0")/custody-lib.sh"

custody_keys
custody_policy "$T/trust.yaml" builder courier receiver
custody_policy "$T/trust-x.yaml" builder courier receiver outsider
tiny_bundle "$T/b" tiny 1
expect_exit 0 airlock sign "$T/b" --key "$K/builder.key" --role builder
add "$T/b" packed "Bob Builder" builder
add "$T/b" handed-over courier outsider --medium USB-0042
add "$T/b" received "Rita Receiver" receiver

# the passing twins: no policy (keys not checked), and a policy that lists the key
expect_intact "$T/b" 3
expect_intact "$T/b" 3 "$T/trust-x.yaml"
expect_exit 0 airlock custody verify "$T/b" --json
assert_eq "$(json "$OUT" '[.ok, .keysChecked, .records[1].key] | map(tostring) | join(",")')" "true,false,$KX" \
    "custody verify --json without a policy"
new_store "$T/st-x" "$T/trust-x.yaml"
expect_import_ok "$T/st-x" "$T/b" tiny 1 3

# the policy that does not list it
msg="custody record 2 is signed by key $KX, which the trust policy does not allow to sign custody records"
expect_broken "$T/b" "$T/trust.yaml" "$msg"
expect_stderr_not_contains "custody record 1 "
expect_stderr_not_contains "custody record 3 "
expect_exit 1 airlock custody verify "$T/b" --trust "$T/trust.yaml" --json
assert_eq "$(json "$OUT" '[.keysChecked, (.records | length)] | map(tostring) | join(",")')" "true,3" \
    "custody verify --json with the policy: keysChecked, records"

# custody add checks the chain, not who signed it: it extends this one
cp -a "$T/b" "$T/b4"
add "$T/b4" stored "Rita Receiver" receiver
expect_intact "$T/b4" 4
expect_broken "$T/b4" "$T/trust.yaml" "$msg"

new_store "$T/st" "$T/trust.yaml"
expect_import_rejected "$T/st" "$T/b" "$msg"
