#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Keys, signing and verification with a trust policy, and interop with minisign 0.11 both
# ways: airlock's keys and signatures check with `minisign -V`, a key made by
# `minisign -G` signs in airlock. Signing leaves SHA256SUMS (and sha256sum -c) alone.
. "$(dirname "$0")/trust-lib.sh"
need sha256sum tar
shopt -s extglob

mkdir -p "$T/gen" && cd "$T/gen"
for k in builder sec1 sec2; do
    expect_exit 0 airlock key generate -o "$T/gen/$k" -W --comment "test key $k"
    assert_exists "$T/gen/$k.key"
    assert_exists "$T/gen/$k.pub"
    id=$(keyid "$T/gen/$k.pub")
    expect_stdout_contains "key $id: secret key '$T/gen/$k.key' (NOT encrypted), public key '$T/gen/$k.pub'"
    assert_eq "$(stat -c %a "$T/gen/$k.key")" 600 "mode of $k.key"
    assert_eq "$(sed -n 1p "$T/gen/$k.pub")" "untrusted comment: minisign public key $id" "line 1 of $k.pub"
    assert_eq "$(wc -l <"$T/gen/$k.pub")" 2 "lines in $k.pub"
    assert_eq "$(sed -n 1p "$T/gen/$k.key")" "untrusted comment: test key $k" "line 1 of $k.key"
    # the secret key never shows up on the terminal
    sk=$(sed -n 2p "$T/gen/$k.key")
    ! grep -qF -- "$sk" "$OUT" "$ERR" || fail "key generate printed the secret key"
done
B=$(keyid "$T/gen/builder.pub")
S1=$(keyid "$T/gen/sec1.pub")
S2=$(keyid "$T/gen/sec2.pub")
cd "$T"

cat >"$T/gen/trust.yaml" <<'EOF'
roles:
  builder:
    threshold: 1
    keys: [builder.pub]
  security:
    threshold: 2
    keys: [sec1.pub, sec2.pub]
require: [builder, security]
EOF

tiny_bundle "$T/b" tiny 1
cp "$T/b/SHA256SUMS" "$T/sums-before"
expires=$(json "$T/b/airlock.json" .expires)

# no signature yet: integrity passes and says so; the policy refuses
expect_exit 0 airlock verify "$T/b"
expect_stdout_contains "note: no signature was checked (integrity only)"
expect_exit 1 airlock verify "$T/b" --trust "$T/gen/trust.yaml"
expect_stderr_contains "role 'builder' needs signatures by 1 distinct key of 1, has 0"
expect_stderr_contains "role 'security' needs signatures by 2 distinct keys of 2, has 0"

expect_exit 0 airlock sign "$T/b" --key "$T/gen/builder.key" --role builder
expect_stdout_contains "signed '$T/b' as role 'builder' with key $B: $T/b/signatures/builder.$B.minisig"
expect_exit 0 airlock sign "$T/b" --key "$T/gen/sec1.key" --role security
expect_exit 0 airlock sign "$T/b" --key "$T/gen/sec2.key" --role security
for f in builder.$B security.$S1 security.$S2; do assert_exists "$T/b/signatures/$f.minisig"; done
assert_eq "$(ls "$T/b/signatures" | wc -l)" 3 "files in signatures/"
cmp -s "$T/sums-before" "$T/b/SHA256SUMS" || fail "signing changed SHA256SUMS"
assert_eq "$(sed -n 3p "$T/b/signatures/security.$S1.minisig")" \
    "trusted comment: airlock bundle=tiny version=1 role=security expires=$expires" "trusted comment"

# verify with the policy: every role, with its keys
expect_exit 0 airlock verify "$T/b" --trust "$T/gen/trust.yaml"
expect_stdout_contains "bundle '$T/b' is intact: tiny version 1"
expect_role_keys builder "1 of 1 needed" "$B"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"
expect_stdout_contains "signatures satisfy the trust policy '$T/gen/trust.yaml'"
expect_stdout_not_contains "no signature was checked"
expect_exit 0 airlock verify "$T/b" --trust "$T/gen/trust.yaml" --json
assert_eq "$(json "$OUT" .ok)" true "verify --json .ok"
assert_eq "$(json "$OUT" .signatures)" checked "verify --json .signatures"
assert_eq "$(json "$OUT" '.roles.builder.keys | join(",")')" "$B" "builder keys"
assert_eq "$(json "$OUT" '.roles.security.keys | sort | join(",")')" \
    "$(printf '%s\n' "$S1" "$S2" | LC_ALL=C sort | paste -sd, -)" "security keys"
assert_eq "$(json "$OUT" '[.roles[] | .satisfied] | all')" true "every role satisfied"
expect_exit 0 airlock verify "$T/b" --json
assert_eq "$(json "$OUT" .signatures)" "not checked" "verify --json .signatures without a policy"

# the tar made after signing verifies the same way; a tar is never signed
expect_exit 0 tar -C "$T/b" -cf "$T/b.tar" .
expect_exit 0 airlock verify "$T/b.tar" --trust "$T/gen/trust.yaml"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"
expect_exit 2 airlock sign "$T/b.tar" --key "$T/gen/sec1.key" --role security
expect_stderr_contains "is a tar: sign the directory form"

# stock tools, as docs/cmd/sign.md tells a reviewer: sha256sum and minisign (-H: the
# signature must be the prehashed "ED" kind)
(cd "$T/b" && expect_exit 0 sha256sum --strict -c SHA256SUMS)
for f in builder.$B:builder security.$S1:sec1 security.$S2:sec2; do
    (cd "$T/b" && expect_exit 0 minisign -H -Vm SHA256SUMS -x "signatures/${f%:*}.minisig" -p "$T/gen/${f#*:}.pub")
    expect_stdout_contains "Trusted comment: airlock bundle=tiny version=1 role=${f%%.*} expires=$expires"
done
# ... and minisign is not fooled either: wrong key, changed file
(cd "$T/b" && expect_exit 1 minisign -Vm SHA256SUMS -x "signatures/security.$S1.minisig" -p "$T/gen/sec2.pub")
expect_stderr_contains "is ${S1##+(0)}"   # minisign 0.11 prints ids without leading zeros
cp "$T/b/SHA256SUMS" "$T/sums-changed" && echo >>"$T/sums-changed"
expect_exit 1 minisign -Vm "$T/sums-changed" -x "$T/b/signatures/security.$S1.minisig" -p "$T/gen/sec1.pub"

# minisign -> airlock: a key made by minisign signs in airlock; the policy takes it as
# a path and (for sec1) as an inline base64 line
expect_exit 0 minisign -G -W -p "$T/gen/mini.pub" -s "$T/gen/mini.key"
M=$(keyid "$T/gen/mini.pub")
tiny_bundle "$T/m" tiny 2
expect_exit 0 airlock sign "$T/m" --key "$T/gen/builder.key" --role builder
expect_exit 0 airlock sign "$T/m" --key "$T/gen/sec1.key" --role security
expect_exit 0 airlock sign "$T/m" --key "$T/gen/mini.key" --role security
expect_stdout_contains "with key $M: $T/m/signatures/security.$M.minisig"
(cd "$T/m" && expect_exit 0 minisign -H -Vm SHA256SUMS -x "signatures/security.$M.minisig" -p "$T/gen/mini.pub")
cat >"$T/gen/trust-mini.yaml" <<EOF
roles:
  builder:
    threshold: 1
    keys: [builder.pub]
  security:
    threshold: 2
    keys:
      - $(sed -n 2p "$T/gen/sec1.pub")
      - mini.pub
require: [builder, security]
EOF
expect_exit 0 airlock verify "$T/m" --trust "$T/gen/trust-mini.yaml"
expect_role_keys security "2 of 2 needed" "$S1" "$M"
expect_stdout_contains "signatures satisfy the trust policy"
# the first policy does not know the minisign key
expect_exit 1 airlock verify "$T/m" --trust "$T/gen/trust.yaml"
expect_stderr_contains "key $M is not a key of role 'security' in the trust policy (unknown key)"
expect_stderr_contains "role 'security' needs signatures by 2 distinct keys of 2, has 1"
(cd "$T/m" && expect_exit 0 sha256sum --strict -c SHA256SUMS)

# airlock sign refuses what it must not sign, and says why
tiny_bundle "$T/bad" tiny 3
printf 'x' >>"$T/bad/oci-layout"
expect_exit 1 airlock sign "$T/bad" --key "$T/gen/builder.key" --role builder
expect_stderr_contains "digest mismatch for 'oci-layout'"
expect_stderr_contains "refusing to sign '$T/bad': it does not verify"
assert_absent "$T/bad/signatures"
expect_exit 64 airlock sign "$T/m" --key "$T/gen/builder.key" --role "Builder"
expect_stderr_contains "bad role 'Builder'"
expect_exit 64 airlock sign "$T/m" --role builder
expect_exit 64 airlock sign "$T/m" --key "$T/gen/builder.key"
expect_exit 2 airlock sign "$T/m" --key "$T/gen/builder.pub" --role builder
expect_stderr_contains "'$T/gen/builder.pub' is not a minisign secret key"
expect_exit 2 airlock sign "$T/m" --key "$T/gen/nothing.key" --role builder
assert_eq "$(ls "$T/m/signatures" | wc -l)" 3 "files in signatures/ after the refusals"
