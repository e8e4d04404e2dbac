#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: SHA256SUMS changed after signing. A file is changed and SHA256SUMS
# made again with sha256sum, so that integrity alone passes; the signatures do not.
. "$(dirname "$0")/trust-lib.sh"
need sha256sum
signed_setup

# resum DIR: SHA256SUMS again, as sha256sum writes it, over every file but itself and
# the signatures
resum() {
    (cd "$1" && find . -type f ! -name SHA256SUMS ! -path './signatures/*' | sed 's|^\./||' |
        LC_ALL=C sort | xargs -r sha256sum) >"$T/sums.new" || fail "sha256sum over '$1' failed"
    mv "$T/sums.new" "$1/SHA256SUMS"
}

# made again over unchanged files, SHA256SUMS is the same file: still signed
resum "$T/b"
expect_verified "$T/b" "$T/trust.yaml"

# the SBOM gets one more space, and SHA256SUMS is made again to match
printf ' ' >>"$T/b/sbom.cdx.json"
resum "$T/b"
(cd "$T/b" && expect_exit 0 sha256sum --strict -c SHA256SUMS)
expect_exit 0 airlock verify "$T/b"
expect_stdout_contains "every digest matches"
expect_refused "$T/b" "$T/trust.yaml" \
    "'signatures/builder.$B.minisig': the signature by key $B does not match the signed file (SHA256SUMS was changed after signing" \
    "'signatures/security.$S1.minisig': the signature by key $S1 does not match the signed file" \
    "'signatures/security.$S2.minisig': the signature by key $S2 does not match the signed file" \
    "role 'builder' needs signatures by 1 distinct key of 1, has 0" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 0"
(cd "$T/b" && expect_exit 1 minisign -Vm SHA256SUMS -x "signatures/builder.$B.minisig" -p "$K/builder.pub")

# SHA256SUMS itself edited, its lines in reverse order: the same digests, so integrity
# still passes; the signatures do not
tiny_bundle "$T/c" tiny 1
sign_all "$T/c"
expect_verified "$T/c" "$T/trust.yaml"
tac "$T/c/SHA256SUMS" >"$T/sums.rev"
mv "$T/sums.rev" "$T/c/SHA256SUMS"
(cd "$T/c" && expect_exit 0 sha256sum --strict -c SHA256SUMS)
expect_exit 0 airlock verify "$T/c"
expect_refused "$T/c" "$T/trust.yaml" "the signature by key $S1 does not match the signed file"
