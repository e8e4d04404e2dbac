#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: one key cannot count twice towards a threshold. Signing twice replaces
# the signature; a copy under the other officer's id, or with its id forged, does not
# count; a policy that lists a key twice (as a file, inline, or the same public key under
# another key id) is refused (exit 2).
. "$(dirname "$0")/trust-lib.sh"
signed_setup

# security1 signs twice, security2 not at all: still one key
cp -r "$T/b" "$T/twice"
rm "$(sigfile "$T/twice" security "$S2")"
sign "$T/twice" security security1
sign "$T/twice" security security1
assert_eq "$(ls "$T/twice/signatures" | wc -l)" 2 "files in signatures/"
expect_refused "$T/twice" "$T/trust.yaml" "role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_role_keys security "1 of 2 needed" "$S1"

# security1's signature copied to security2's name
cp -r "$T/twice" "$T/copy"
cp "$(sigfile "$T/copy" security "$S1")" "$(sigfile "$T/copy" security "$S2")"
expect_refused "$T/copy" "$T/trust.yaml" \
    "'signatures/security.$S2.minisig' is named for key $S2 but was made by key $S1" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_role_keys security "1 of 2 needed" "$S1"
# ... and with security2's key number written into it
forge_keynum "$(sigfile "$T/copy" security "$S2")" "$K/security2.pub"
expect_refused "$T/copy" "$T/trust.yaml" \
    "'signatures/security.$S2.minisig': the signature by key $S2 does not match the signed file" \
    "role 'security' needs signatures by 2 distinct keys of 2, has 1"

# a policy listing a key twice is refused, whatever the spelling
policy_with() {   # FILE KEY1 KEY2: security 2 of these two
    policy_of "$1" keys/builder.pub "\"$2\", \"$3\"" "builder, security"
}
policy_with "$T/twice.yaml" keys/security1.pub keys/security1.pub
expect_exit 2 airlock verify "$T/b" --trust "$T/twice.yaml"
expect_stderr_contains "'$T/twice.yaml': role 'security': key $S1 is listed twice"
policy_with "$T/inline.yaml" keys/security1.pub "$(sed -n 2p "$K/security1.pub")"
expect_exit 2 airlock verify "$T/b" --trust "$T/inline.yaml"
expect_stderr_contains "key $S1 is listed twice"
expect_exit 2 airlock init --store "$T/store" --trust "$T/inline.yaml"
expect_stderr_contains "key $S1 is listed twice"

# The same Ed25519 key under a second key id (minisign's key number is only a label):
# one secret key would then make two "distinct" signatures. The policy must refuse it.
python3 - "$K/security1.key" "$K/twin.key" "$K/twin.pub" "$K/security1.pub" <<'PY' || fail "cannot make the twin key"
import base64, sys
src, key, pub, orig = sys.argv[1:5]
lines = open(src).read().split("\n")
raw = bytearray(base64.b64decode(lines[1]))
assert raw[2:4] == b"\0\0", "the test key must be unencrypted"
raw[54:62] = bytes(b ^ 0x5a for b in raw[54:62])          # another key number, same sk
open(key, "w").write("untrusted comment: twin of security1\n" + base64.b64encode(bytes(raw)).decode() + "\n")
pk = b"Ed" + bytes(raw[54:62]) + bytes(raw[62 + 32:62 + 64])
assert pk[10:] == base64.b64decode(open(orig).read().split("\n")[1])[10:], "not the same public key"
open(pub, "w").write("untrusted comment: minisign public key\n" + base64.b64encode(pk).decode() + "\n")
PY
chmod 600 "$K/twin.key"
TW=$(keyid "$K/twin.pub")
[ "$TW" != "$S1" ] || fail "the twin has security1's id"
cp -r "$T/twice" "$T/tw"
sign "$T/tw" security twin
policy_with "$T/twin.yaml" keys/security1.pub keys/twin.pub
expect_exit 2 airlock verify "$T/tw" --trust "$T/twin.yaml"
expect_stderr_contains "is listed twice"
