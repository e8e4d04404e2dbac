#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Passphrase-protected keys across tools: a key minisign made with a passphrase signs
# in airlock (--passphrase-file); an encrypted key airlock made signs with `minisign -S`
# on a terminal, and airlock accepts that signature. (Four scrypt steps.)
. "$(dirname "$0")/trust-lib.sh"
need expect

PW='tr0ub4dor & 3'
printf '%s\n' "$PW" >"$T/pw"
mkdir -p "$T/k"
cat >"$T/trust.yaml" <<'EOF'
roles:
  security:
    threshold: 2
    keys: [k/mini.pub, k/air.pub]
require: [security]
EOF

# minisign -G with a passphrase (minisign reads it, twice, from stdin when stdin is
# not a terminal) (scrypt 1)
printf '%s\n%s\n' "$PW" "$PW" | minisign -G -p "$T/k/mini.pub" -s "$T/k/mini.key" >"$OUT" 2>"$ERR" ||
    fail "minisign -G with a passphrase failed"
M=$(keyid "$T/k/mini.pub")
python3 - "$T/k/mini.key" <<'PY' || fail "minisign's key is not encrypted"
import base64, sys
raw = base64.b64decode(open(sys.argv[1]).read().split("\n")[1])
assert raw[0:6] == b"EdScB2", raw[0:6]
PY

# airlock key generate with a passphrase (scrypt 2)
expect_exit 0 airlock key generate -o "$T/k/air" --passphrase-file "$T/pw"
expect_stdout_contains "(encrypted)"
A=$(keyid "$T/k/air.pub")

tiny_bundle "$T/b" tiny 1
expires=$(json "$T/b/airlock.json" .expires)
tc="airlock bundle=tiny version=1 role=security expires=$expires"

# minisign's encrypted key signs in airlock (scrypt 3)
expect_exit 0 airlock sign "$T/b" --key "$T/k/mini.key" --role security --passphrase-file "$T/pw"
expect_stdout_contains "with key $M: $T/b/signatures/security.$M.minisig"
(cd "$T/b" && expect_exit 0 minisign -H -Vm SHA256SUMS -x "signatures/security.$M.minisig" -p "$T/k/mini.pub")
expect_stdout_contains "Trusted comment: $tc"
# half the policy: not yet
expect_exit 1 airlock verify "$T/b" --trust "$T/trust.yaml"
expect_stderr_contains "role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_role_keys security "1 of 2 needed" "$M"

# airlock's encrypted key signs with minisign on a terminal, with the trusted comment
# airlock expects (scrypt 4)
expect_exit 0 tty_run "Password: " "$PW" -- \
    minisign -S -s "$T/k/air.key" -m "$T/b/SHA256SUMS" -t "$tc" -x "$T/b/signatures/security.$A.minisig"
expect_stdout_not_contains "$PW"
assert_eq "$(sed -n 3p "$T/b/signatures/security.$A.minisig")" "trusted comment: $tc" "minisign's trusted comment"
expect_exit 0 airlock verify "$T/b" --trust "$T/trust.yaml"
expect_role_keys security "2 of 2 needed" "$M" "$A"
expect_stdout_contains "signatures satisfy the trust policy '$T/trust.yaml'"
(cd "$T/b" && expect_exit 0 minisign -H -Vm SHA256SUMS -x "signatures/security.$A.minisig" -p "$T/k/air.pub")
