#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Passphrase-protected keys in airlock: generate with --passphrase-file (minisign's
# scrypt limits, mode 0600), sign with --passphrase-file and on a terminal; a wrong
# passphrase is exit 1 and writes nothing; keys are never overwritten; no terminal and
# no --passphrase-file is exit 2. (Each scrypt step takes ~1 GiB and a few seconds:
# four of them here.)
. "$(dirname "$0")/trust-lib.sh"
need setsid expect

PW='correct horse battery staple'
printf '%s\n' "$PW" >"$T/pw"
printf 'not the passphrase\n' >"$T/wrong"
mkdir -p "$T/k"

# ------------------------------------------------------------------ generate (scrypt 1)
expect_exit 0 airlock key generate -o "$T/k/sec" --passphrase-file "$T/pw" --comment "officer A"
E=$(keyid "$T/k/sec.pub")
expect_stdout_contains "key $E: secret key '$T/k/sec.key' (encrypted), public key '$T/k/sec.pub'"
assert_eq "$(stat -c %a "$T/k/sec.key")" 600 "mode of the secret key"
! grep -qF -- "$PW" "$OUT" "$ERR" "$T/k/sec.key" "$T/k/sec.pub" || fail "the passphrase shows up"
# minisign's layout: "Ed" "Sc" "B2", scrypt limits = libsodium's *_SENSITIVE, same keynum
python3 - "$T/k/sec.key" "$E" <<'PY' || fail "the encrypted secret key does not have minisign's layout"
import base64, struct, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "untrusted comment: officer A", lines[0]
raw = base64.b64decode(lines[1])
assert len(raw) == 158, len(raw)
assert raw[0:6] == b"EdScB2", raw[0:6]
ops, mem = struct.unpack("<QQ", raw[38:54])
assert (ops, mem) == (33554432, 1073741824), (ops, mem)
assert raw[6:38] != bytes(32), "no salt"
PY

# ------------------------------------------------------------------ never overwritten
cp "$T/k/sec.key" "$T/sec.key.orig"
cp "$T/k/sec.pub" "$T/sec.pub.orig"
expect_exit 2 airlock key generate -o "$T/k/sec" -W
expect_stderr_contains "cannot create '$T/k/sec.key'"
expect_stderr_contains "keys are never overwritten"
cmp -s "$T/k/sec.key" "$T/sec.key.orig" || fail "the secret key was overwritten"
cmp -s "$T/k/sec.pub" "$T/sec.pub.orig" || fail "the public key was overwritten"
# a .pub in the way: nothing is left behind, the .pub stays
echo "not mine" >"$T/k/other.pub"
expect_exit 2 airlock key generate -o "$T/k/other" -W
expect_stderr_contains "cannot create '$T/k/other.pub'"
assert_absent "$T/k/other.key"
assert_eq "$(cat "$T/k/other.pub")" "not mine" "the .pub in the way"
# and nothing goes through a symlink
ln -s "$T/elsewhere" "$T/k/link.key"
expect_exit 2 airlock key generate -o "$T/k/link" -W
assert_absent "$T/elsewhere"
assert_absent "$T/k/link.pub"

# ------------------------------------------------------------------ passphrase input
expect_exit 64 airlock key generate -o "$T/k/both" -W --passphrase-file "$T/pw"
expect_stderr_contains "-W (no passphrase) and --passphrase-file exclude each other"
: >"$T/empty"
expect_exit 64 airlock key generate -o "$T/k/empty" --passphrase-file "$T/empty"
expect_stderr_contains "an empty passphrase; use -W"
expect_exit 2 airlock key generate -o "$T/k/nofile" --passphrase-file "$T/missing"
expect_stderr_contains "cannot open passphrase file '$T/missing'"
expect_exit 2 setsid -w "$AIRLOCK" key generate -o "$T/k/notty"
expect_stderr_contains "no terminal to ask for a passphrase: give --passphrase-file FILE"
for p in both empty nofile notty; do assert_absent "$T/k/$p.key"; assert_absent "$T/k/$p.pub"; done
# on a terminal the passphrase is asked twice; two different ones are refused (no scrypt)
expect_exit 2 tty_run "passphrase for the new key: " one "again: " two -- "$AIRLOCK" key generate -o "$T/k/tty"
expect_stdout_contains "the passphrases differ"
assert_absent "$T/k/tty.key"

# ------------------------------------------------------------------ sign (scrypt 2)
cat >"$T/trust.yaml" <<'EOF'
roles:
  security:
    threshold: 1
    keys: [k/sec.pub]
require: [security]
EOF
tiny_bundle "$T/b" tiny 1
expect_exit 0 airlock sign "$T/b" --key "$T/k/sec.key" --role security --passphrase-file "$T/pw"
expect_stdout_contains "signed '$T/b' as role 'security' with key $E"
! grep -qF -- "$PW" "$OUT" "$ERR" || fail "the passphrase shows up"
expect_exit 0 airlock verify "$T/b" --trust "$T/trust.yaml"
expect_role_keys security "1 of 1 needed" "$E"
(cd "$T/b" && expect_exit 0 minisign -H -Vm SHA256SUMS -x "signatures/security.$E.minisig" -p "$T/k/sec.pub")

# ------------------------------------------------------------------ wrong passphrase (scrypt 3)
tiny_bundle "$T/c" tiny 2
expect_exit 1 airlock sign "$T/c" --key "$T/k/sec.key" --role security --passphrase-file "$T/wrong"
expect_stderr_contains "wrong passphrase for '$T/k/sec.key'"
assert_absent "$T/c/signatures/security.$E.minisig"
# no terminal, no passphrase file: exit 2, before any scrypt
expect_exit 2 setsid -w "$AIRLOCK" sign "$T/c" --key "$T/k/sec.key" --role security
expect_stderr_contains "no terminal to ask for a passphrase: give --passphrase-file FILE"
assert_absent "$T/c/signatures/security.$E.minisig"
expect_exit 1 airlock verify "$T/c" --trust "$T/trust.yaml"
expect_stderr_contains "role 'security' needs signatures by 1 distinct key of 1, has 0"

# ------------------------------------------------------------------ on a terminal (scrypt 4)
expect_exit 0 tty_run "passphrase: " "$PW" -- "$AIRLOCK" sign "$T/c" --key "$T/k/sec.key" --role security
expect_stdout_not_contains "$PW"   # not echoed
expect_stdout_contains "signed '$T/c' as role 'security' with key $E"
expect_exit 0 airlock verify "$T/c" --trust "$T/trust.yaml"
expect_role_keys security "1 of 1 needed" "$E"
