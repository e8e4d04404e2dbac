#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a legacy "Ed" signature (minisign -l: the signature covers the file
# itself, not its BLAKE2b-512 hash) is refused unless the policy says
# allow_legacy_signatures: true; then it is checked as strictly as any other.
. "$(dirname "$0")/trust-lib.sh"
signed_setup
s2=$(sigfile "$T/b" security "$S2")
tc=$(sed -n 3p "$s2")
tc=${tc#trusted comment: }

expect_exit 0 minisign -S -l -s "$K/security2.key" -m "$T/b/SHA256SUMS" -t "$tc" -x "$s2"
python3 - "$s2" <<'PY' || fail "minisign -l did not make a legacy signature"
import base64, sys
assert base64.b64decode(open(sys.argv[1]).read().split("\n")[1])[:2] == b"Ed"
PY
(cd "$T/b" && expect_exit 0 minisign -Vm SHA256SUMS -x "signatures/security.$S2.minisig" -p "$K/security2.pub")
(cd "$T/b" && expect_exit 1 minisign -H -Vm SHA256SUMS -x "signatures/security.$S2.minisig" -p "$K/security2.pub")

expect_refused "$T/b" "$T/trust.yaml" \
    "'signatures/security.$S2.minisig': a legacy (non-prehashed) signature; refused unless legacy signatures are allowed" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"
policy "$T/legacy-false.yaml" "allow_legacy_signatures: false"
expect_refused "$T/b" "$T/legacy-false.yaml" "a legacy (non-prehashed) signature"

policy "$T/legacy.yaml" "allow_legacy_signatures: true"
expect_verified "$T/b" "$T/legacy.yaml"
policy "$T/legacy-quoted.yaml" 'allow_legacy_signatures: "true"'
expect_verified "$T/b" "$T/legacy-quoted.yaml"

# allowed, but still checked: the signed file ...
cp -r "$T/b" "$T/c"
tac "$T/c/SHA256SUMS" >"$T/sums.rev" && mv "$T/sums.rev" "$T/c/SHA256SUMS"
expect_exit 0 airlock verify "$T/c"
expect_refused "$T/c" "$T/legacy.yaml" \
    "'signatures/security.$S2.minisig': the signature by key $S2 does not match the signed file"
# ... and the trusted comment
cp -r "$T/b" "$T/d"
sed -i '3s/$/x/' "$(sigfile "$T/d" security "$S2")"
expect_refused "$T/d" "$T/legacy.yaml" "the trusted comment of the signature by key $S2 was altered"

# a store's policy keeps the option
expect_exit 0 airlock init --store "$T/st" --trust "$T/trust.yaml"
expect_exit 1 airlock import "$T/b" --store "$T/st"
expect_stderr_contains "a legacy (non-prehashed) signature"
expect_exit 0 airlock store trust set "$T/legacy.yaml" --store "$T/st"
expect_exit 0 airlock store trust show --store "$T/st"
expect_stdout_contains "allow_legacy_signatures: true"
expect_exit 0 airlock import "$T/b" --store "$T/st"
expect_stdout_contains "imported tiny version 1"
