#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Golden signatures. Ed25519 is deterministic, so: signing the same bundle twice with
# the same key writes the same bytes; airlock's signature of a SHA256SUMS equals the one
# `minisign -S` makes with the same key and trusted comment; and airlock, signing the
# committed golden bundle with the committed test-only keys, reproduces the committed
# signatures (made by minisign, see tests/data/keys/README.md) byte for byte.
. "$(dirname "$0")/trust-lib.sh"
test_keys

# ------------------------------------------------------------------ same input, same bytes
tiny_bundle "$T/b" tiny 1
sign "$T/b" security security1
s=$(sigfile "$T/b" security "$S1")
cp "$s" "$T/first.minisig"
sign "$T/b" security security1
cmp "$T/first.minisig" "$s" >"$OUT" 2>&1 || fail "signing twice with the same key gave different bytes"
assert_eq "$(ls "$T/b/signatures" | wc -l)" 1 "files in signatures/ after signing twice"

# ------------------------------------------------------------------ airlock == minisign
tc=$(sed -n 3p "$s")
tc=${tc#trusted comment: }
assert_eq "$tc" "airlock bundle=tiny version=1 role=security expires=$(json "$T/b/airlock.json" .expires)" "trusted comment"
expect_exit 0 minisign -S -s "$K/security1.key" -m "$T/b/SHA256SUMS" -t "$tc" -x "$T/mini.minisig"
sed -n 2,4p "$s" >"$T/air.234"
sed -n 2,4p "$T/mini.minisig" >"$T/mini.234"
cmp "$T/air.234" "$T/mini.234" >"$OUT" 2>&1 ||
    fail "lines 2-4 of airlock's and minisign's signatures differ: $(diff "$T/air.234" "$T/mini.234" | tr '\n' ' ')"
# with airlock's untrusted comment too, the whole file is the same
expect_exit 0 minisign -S -s "$K/security1.key" -m "$T/b/SHA256SUMS" -t "$tc" -x "$T/mini2.minisig" \
    -c "$(sed -n 1p "$s" | sed 's/^untrusted comment: //')"
cmp "$s" "$T/mini2.minisig" >"$OUT" 2>&1 || fail "airlock's and minisign's signature files differ"
# and minisign's signature, put where airlock's was, is accepted by airlock
cp "$T/mini.minisig" "$s"
sign "$T/b" builder builder
sign "$T/b" security security2
policy "$T/trust.yaml"
expect_verified "$T/b" "$T/trust.yaml"

# ------------------------------------------------------------------ committed golden bundle
G=$KEYS_SRC/golden
expect_exit 0 airlock verify "$G/bundle" --trust "$G/trust.yaml"
expect_role_keys builder "1 of 1 needed" "$B"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"
for f in "$G"/bundle/signatures/*.minisig; do
    (cd "$G/bundle" && expect_exit 0 minisign -H -Vm SHA256SUMS -x "signatures/$(basename "$f")" \
        -P "$(sed -n 2p "$K/$(case $f in *builder.*) echo builder ;; *."$S1".*) echo security1 ;; *) echo security2 ;; esac).pub")")
done
cp -r "$G/bundle" "$T/g"
rm -r "$T/g/signatures"
expect_exit 0 airlock verify "$T/g" --quiet
sign "$T/g" builder builder
sign "$T/g" security security1
sign "$T/g" security security2
for f in "$G"/bundle/signatures/*.minisig; do
    cmp "$f" "$T/g/signatures/$(basename "$f")" >"$OUT" 2>&1 ||
        fail "airlock's signature differs from the golden $(basename "$f"): $(diff "$f" "$T/g/signatures/$(basename "$f")" | tr '\n' ' ')"
done
assert_eq "$(ls "$T/g/signatures" | LC_ALL=C sort | paste -sd' ' -)" \
    "$(ls "$G/bundle/signatures" | LC_ALL=C sort | paste -sd' ' -)" "the signature files"
