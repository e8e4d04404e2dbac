#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Custody chain, the passing case: three records by three actors with their own keys are
# listed in order with their fields and verify (without a policy the output says the keys
# were not checked; with one it says every key is allowed); --json parses and matches
# docs/FORMAT.md "Custody", checked here independently (digests, chain, signatures); the
# log leaves 'airlock verify' and 'sha256sum -c' alone and signing still works after it;
# the tar form verifies too; import with the policy keeps the records plus the store's
# own received and verified rows. The must-fail twins are t0901..t0907.
. "$(dirname "$0")/custody-lib.sh"
need tar

custody_keys
custody_policy "$T/trust.yaml" builder courier receiver
B=$T/b
tiny_bundle "$B" tiny 1
sums=$(sums_digest "$B")

# no log yet: an empty chain is intact
assert_absent "$B/custody.log"
expect_intact "$B" 0

chain3 "$B"

# show: one line per record, in order, with every field, then the summary
expect_exit 0 airlock custody show "$B"
assert_eq "$(wc -l <"$OUT")" 4 "lines printed by custody show"
line() { sed -n "${1}p" "$OUT"; }
re_time='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
line 1 | stdin_has -E "^ +1  $re_time  packed +Bob Builder +key $KB  \"built in CI\"$" ||
    fail "custody show line 1: $(line 1)"
line 2 | stdin_has -E "^ +2  $re_time  handed-over courier +key $KC  medium USB-0042  seal S-7$" ||
    fail "custody show line 2: $(line 2)"
line 3 | stdin_has -E "^ +3  $re_time  received +Rita Receiver +key $KR  \"seal S-7 unbroken\"$" ||
    fail "custody show line 3: $(line 3)"
assert_eq "$(line 4)" "custody chain of '$B': 3 records, intact (keys not checked against a policy: give --trust FILE)" \
    "custody show summary"
expect_exit 0 airlock custody show "$B" --trust "$T/trust.yaml"
assert_eq "$(line 4)" "custody chain of '$B': 3 records, intact, every key allowed by the trust policy" \
    "custody show --trust summary"

# verify prints only the summary
expect_intact "$B" 3
assert_eq "$(wc -l <"$OUT")" 1 "lines printed by custody verify"
expect_intact "$B" 3 "$T/trust.yaml"

# --json: the records as written, with their key ids
expect_exit 0 airlock custody verify "$B" --json
assert_eq "$(json "$OUT" '[.ok, .keysChecked, (.problems | length), (.records | length)] | map(tostring) | join(",")')" \
    true,false,0,3 "custody verify --json: ok, keysChecked, problems, records"
expect_exit 0 airlock custody show "$B" --trust "$T/trust.yaml" --json
cp "$OUT" "$T/show.json"
assert_eq "$(json "$T/show.json" '[.ok, .keysChecked, .bundle] | map(tostring) | join(",")')" "true,true,$B" \
    "custody show --json: ok, keysChecked, bundle"
assert_eq "$(json "$T/show.json" '[.records[] | [.v, .seq, .event, .actor, .key] | map(tostring) | join("/")] | join(",")')" \
    "1/1/packed/Bob Builder/$KB,1/2/handed-over/courier/$KC,1/3/received/Rita Receiver/$KR" "records"
assert_eq "$(json "$T/show.json" '[.records[] | [.medium, .seal, .note] | map(. // "-") | join("/")] | join(",")')" \
    "-/-/built in CI,USB-0042/S-7/-,-/-/seal S-7 unbroken" "records' medium, seal and note"
assert_eq "$(json "$T/show.json" '[.records[].bundle] | unique | join(",")')" "$sums" "records' bundle digest"
json "$T/show.json" '.records[].time' | stdin_has -Ev "^$re_time\$" && fail "a record's time is not RFC 3339 UTC"

# the log itself, read independently: four tab-separated fields a line; the JSON as
# listed; prev is the sha256 of the line before (without its newline); the key id is the
# public key's; the signature is Ed25519 over BLAKE2b-512 of the JSON's bytes (checked
# when python has the 'cryptography' module)
python3 - "$B/custody.log" "$sums" "$K" <<'PY' >"$T/indep.out" 2>&1 || { cat "$T/indep.out" >&2; fail "custody.log does not match docs/FORMAT.md"; }
import base64, hashlib, json, sys
path, sums, keys = sys.argv[1:4]
data = open(path, "rb").read()
assert data.endswith(b"\n"), "no final newline"
lines = data[:-1].split(b"\n")
assert len(lines) == 3, lines
pubs = {}
for name in ("builder", "courier", "receiver"):
    b64 = open(f"{keys}/{name}.pub").read().split("\n")[1]
    pubs[b64] = name
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    Ed25519PublicKey = None
    print("note: no 'cryptography' module: signatures not checked independently")
prev = ""
for i, line in enumerate(lines, 1):
    f = line.split(b"\t")
    assert len(f) == 4, f"record {i}: {len(f)} fields"
    rec = json.loads(f[0])
    assert rec["seq"] == i and rec["v"] == 1, rec
    assert rec["bundle"] == sums, (rec["bundle"], sums)
    assert rec["prev"] == prev, (i, rec["prev"], prev)
    assert f[2].decode() in pubs, f"record {i}: key not one of ours"
    raw = base64.b64decode(f[2])
    assert raw[:2] == b"Ed" and f[1].decode() == raw[2:10][::-1].hex().upper(), f"record {i}: key id"
    sig = base64.b64decode(f[3])
    assert len(sig) == 64
    if Ed25519PublicKey:
        Ed25519PublicKey.from_public_bytes(raw[10:]).verify(sig, hashlib.blake2b(f[0]).digest())
    prev = "sha256:" + hashlib.sha256(line).hexdigest()
print("ok")
PY
grep -qx ok "$T/indep.out" || fail "the independent check of custody.log did not finish"

# the log is not covered by SHA256SUMS: the bundle still verifies, sha256sum -c agrees
grep -q 'custody' "$B/SHA256SUMS" && fail "SHA256SUMS lists custody.log"
assert_eq "$(sums_digest "$B")" "$sums" "the SHA256SUMS digest after custody records"
expect_exit 0 airlock verify "$B"
expect_stdout_contains "bundle '$B' is intact"
(cd "$B" && sha256sum -c --quiet --strict SHA256SUMS) >"$OUT" 2>"$ERR" || fail "sha256sum -c failed after custody records"

# signing after the records works, the signature holds, and the chain still holds
expect_exit 0 airlock sign "$B" --key "$K/builder.key" --role builder
expect_stdout_contains "signed '$B' as role 'builder' with key $KB"
expect_exit 0 airlock verify "$B" --trust "$T/trust.yaml"
expect_stdout_contains "signatures satisfy the trust policy '$T/trust.yaml'"
expect_intact "$B" 3 "$T/trust.yaml"
(cd "$B" && sha256sum -c --quiet --strict SHA256SUMS) >"$OUT" 2>"$ERR" || fail "sha256sum -c failed after signing"

# the tar form: checked the same way; records are added only to the directory form
expect_exit 0 tar -C "$B" -cf "$T/b.tar" .
expect_intact "$T/b.tar" 3 "$T/trust.yaml"
expect_exit 2 airlock custody add "$T/b.tar" --event stored --actor x --key "$K/receiver.key"
expect_stderr_contains "'$T/b.tar' is a tar: custody records are added to the directory form"

# usage errors
expect_exit 64 airlock custody add "$B" --event lost --actor x --key "$K/receiver.key"
expect_stderr_contains "unknown event 'lost'"
expect_exit 64 airlock custody add "$B" --event stored --actor x
expect_stderr_contains "give a bundle, --event, --actor (not empty) and --key"
expect_exit 64 airlock custody check "$B"
expect_stderr_contains "unknown subcommand 'check'"
assert_eq "$(wc -l <"$B/custody.log")" 3 "records after refused adds"

# import with the policy: the records go into the catalog, then the store's own two
new_store "$T/st" "$T/trust.yaml"
expect_import_ok "$T/st" "$B" tiny 1 3
assert_eq "$(json "$OUT" '[.custody[] | [.seq, .event, .actor, .key] | map(tostring) | join("/")] | join(",")')" \
    "1/packed/Bob Builder/$KB,2/handed-over/courier/$KC,3/received/Rita Receiver/$KR,4/received/airlock import/,5/verified/airlock import/" \
    "custody rows in the catalog"
expect_exit 0 airlock store fsck --store "$T/st"
# and the tar form into another store (custody.log read from the tar)
new_store "$T/st-tar" "$T/trust.yaml"
expect_import_ok "$T/st-tar" "$T/b.tar" tiny 1 3
