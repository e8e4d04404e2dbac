#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: custody.log copied from bundle A into bundle B (the same name,
# built again with other content, so only the SHA256SUMS digest tells them apart). Every
# record is named as being for another bundle, with both digests; custody add refuses;
# import quarantines B. A, and B without the copied log, pass first.
. "$(dirname "$0")/custody-lib.sh"

twin_setup
A=$T/good
dA=$(sums_digest "$A")
tiny_bundle "$T/bad" tiny 1 "other content"
dB=$(sums_digest "$T/bad")
[ "$dA" != "$dB" ] || fail "the two bundles have the same SHA256SUMS"
expect_exit 0 airlock sign "$T/bad" --key "$K/builder.key" --role builder
expect_intact "$T/bad" 0 "$T/trust.yaml"
cp "$A/custody.log" "$T/bad/custody.log"

msgs=()
for n in 1 2 3; do msgs+=("custody record $n is for another bundle ($dA, this bundle's SHA256SUMS is $dB)"); done
expect_broken "$T/bad" "" "${msgs[@]}"
expect_broken "$T/bad" "$T/trust.yaml" "${msgs[@]}"
expect_exit 0 airlock verify "$T/bad" --trust "$T/trust.yaml"   # B itself is fine

expect_add_refused "$T/bad" "${msgs[2]}"
expect_import_rejected "$T/st" "$T/bad" "${msgs[@]}"
# A still goes in, and B with its own (empty) chain would too
expect_import_ok "$T/st" "$A" tiny 1 3
rm "$T/bad/custody.log"
new_store "$T/st-b" "$T/trust.yaml"
expect_import_ok "$T/st-b" "$T/bad" tiny 1 0
