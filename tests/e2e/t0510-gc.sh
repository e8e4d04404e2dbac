#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# gc: a stray, well-formed blob that no bundle references is counted by fsck (not an
# error) and removed by gc; referenced blobs stay; staging leftovers go too.
. "$(dirname "$0")/lib.sh"
need jq

sample_bundle "$T/b"
St=$T/store
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_exit 0 airlock store fsck --store "$St" --json
blobs=$(json "$OUT" .blobs)
assert_eq "$(json "$OUT" .unreferenced)" 0 "unreferenced blobs after an import"

head -c 4096 /dev/urandom >"$T/stray"
stray=$(sha256 "$T/stray")
cp "$T/stray" "$St/blobs/sha256/$stray"
mkdir -p "$St/tmp/import-leftover/blobs"
echo partial >"$St/tmp/import-leftover/blobs/x"

expect_exit 0 airlock store fsck --store "$St"
expect_stdout_contains "(1 unreferenced blobs, 1 interrupted imports: 'airlock store gc' removes them)"
expect_exit 0 airlock store fsck --store "$St" --json
assert_eq "$(json "$OUT" .ok)" true "fsck --json .ok with a stray blob"
assert_eq "$(json "$OUT" .unreferenced)" 1 "unreferenced blobs"
assert_eq "$(json "$OUT" .staleTmp)" 1 "interrupted imports"
assert_eq "$(json "$OUT" .blobs)" $((blobs + 1)) "blobs counted by fsck"

expect_exit 0 airlock store gc --store "$St"
expect_stdout_contains "removed 1 unreferenced blobs (4.0 KiB)"
assert_absent "$St/blobs/sha256/$stray"
assert_absent "$St/tmp/import-leftover"
expect_exit 0 airlock store fsck --store "$St" --json
assert_eq "$(json "$OUT" .unreferenced)" 0 "unreferenced blobs after gc"
assert_eq "$(json "$OUT" .staleTmp)" 0 "interrupted imports after gc"
assert_eq "$(json "$OUT" .blobs)" "$blobs" "blobs after gc"
expect_exit 0 airlock store gc --store "$St" --json
assert_eq "$(json "$OUT" .removed)" 0 "gc --json .removed on a clean store"

# everything the bundle references is still there and intact
while read -r h _; do
    assert_exists "$St/blobs/sha256/$h"
done <"$T/b/SHA256SUMS"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "already imported"

# twin: a stray file whose name is not its digest is corruption, not garbage
printf 'junk\n' >"$St/blobs/sha256/$(printf 'junk-name\n' | sha256sum | cut -d' ' -f1)"
expect_exit 1 airlock store fsck --store "$St"
expect_stderr_contains "its content no longer matches its name"
