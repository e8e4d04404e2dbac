#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Custody across media (docs/operator/media.md): the bundle's custody log (a "packed"
# record) travels inside the tar and as a copy on every volume; `custody add VOLUME`
# records that medium's hand-over on the volume's copy, chained to the bundle's
# SHA256SUMS digest that MEDIA.json records; `custody show VOLUME` checks it; `media split
# --custody-key` records the packing itself, in the bundle and so on every volume. The twins: an
# edited record on a volume, and a record made for another bundle's volume, are refused.
. "$(dirname "$0")/lib.sh"
need jq cmp
mkdir -p "$T/keys"
expect_exit 0 airlock key generate -o "$T/keys/courier" -W
file_spec "first" "second"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
expect_exit 0 airlock custody add "$T/b" --event packed --actor builder --key "$T/keys/courier.key" --medium "3 x 64K"
expect_exit 0 airlock media split "$T/b" --size 64K --parity 1 -o "$T/m" --quiet
for v in "$T"/m/vol-*; do
    cmp "$T/b/custody.log" "$v/custody.log" || fail "$v does not carry the bundle's custody log"
done
expect_exit 0 airlock custody add "$T/m/vol-02" --event handed-over --actor courier --key "$T/keys/courier.key" --medium "stick 2"
expect_exit 0 airlock custody show "$T/m/vol-02" --json
[ "$(jq '.records | length' "$OUT")" -eq 2 ] || fail "the volume's log does not hold the packing and the hand-over"
[ "$(jq -r '.records[1].event' "$OUT")" = handed-over ] || fail "the hand-over is not the second record"
expect_exit 0 airlock media check "$T/m/vol-02"
# the joined bundle is the bundle as packed: the volume's own records stay on the volume
expect_exit 0 airlock media join "$T"/m/vol-* -o "$T/j.tar"
expect_exit 0 airlock verify "$T/j.tar" --quiet

# split records the packing itself (--custody-key), before it cuts: every volume and the
# bundle inside carry the record; so does diode send its hand-over (checked in the tar it sends)
cp -r "$T/b" "$T/b2"
expect_exit 0 airlock media split "$T/b2" --size 64K --parity 1 -o "$T/m2" --custody-key "$T/keys/courier.key" \
    --actor "courier A" --json
jq -e '.volumes >= 2' "$OUT" >/dev/null || fail "split --json printed something else: $(cat "$OUT")"
expect_stderr_contains "custody record added"
expect_exit 0 airlock custody show "$T/m2/vol-01" --json
[ "$(jq -r '.records[-1].event + " " + .records[-1].actor + " " + .records[-1].medium' "$OUT")" = \
    "packed courier A removable media: volumes of 64K, 1 for parity" ] || fail "split did not record the packing: $(cat "$OUT")"
expect_exit 0 airlock media join "$T"/m2/vol-* -o "$T/j2.tar"
mkdir "$T/j2" && tar -xf "$T/j2.tar" -C "$T/j2"
expect_exit 0 airlock custody show "$T/j2" --json
[ "$(jq -r '.records[-1].event' "$OUT")" = packed ] || fail "the bundle inside the volumes lacks the packing record"
expect_exit 64 airlock media split "$T/j2.tar" --size 64K -o "$T/m3" --custody-key "$T/keys/courier.key" --actor x
expect_stderr_contains "not a tar"
expect_exit 64 airlock media split "$T/b2" --size 64K -o "$T/m3" --custody-key "$T/keys/courier.key"
expect_stderr_contains "go together"

# twin: an edited record on the volume
sed -i 's/stick 2/stick 9/' "$T/m/vol-02/custody.log"
expect_exit 1 airlock custody verify "$T/m/vol-02"
expect_stderr_contains "the signature does not match the record"
# twin: the volume's log moved onto a volume of another bundle
file_spec "other"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/o" --quiet
expect_exit 0 airlock media split "$T/o" --size 64K --parity 1 -o "$T/om" --quiet
cp "$T/m/vol-01/custody.log" "$T/om/vol-01/custody.log"
expect_exit 1 airlock custody verify "$T/om/vol-01"
expect_stderr_contains "is for another bundle"
