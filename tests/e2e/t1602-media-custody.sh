#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Custody across media (docs/operator/media.md): the bundle's custody log (a "packed"
# record) travels inside the tar and as a copy on every volume; `custody add VOLUME`
# records that medium's hand-over on the volume's copy, chained to the bundle's
# SHA256SUMS digest that MEDIA.json records; `custody show VOLUME` checks it. The twins: an
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
