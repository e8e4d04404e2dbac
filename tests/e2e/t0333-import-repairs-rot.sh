#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Import repairs rot. A blob the store already holds is re-hashed before the verified staged
# copy of it is thrown away, so a blob that rotted (one bit flipped), went missing or was
# replaced by a symlink is restored by the next import that carries it: re-importing the
# identical bundle says "already imported" only together with the repair, and fsck passes
# afterwards; a newer bundle sharing the blob repairs it too. The twin: on a healthy store a
# re-import changes no blob (same inode, size and mtime) and reports no repair.
. "$(dirname "$0")/lib.sh"
need jq python3

mkdir -p "$T/src/files"
head -c 65536 /dev/urandom >"$T/src/files/a.bin"
echo "second file" >"$T/src/files/b.txt"
spec() {
    printf 'name: tiny\nversion: %s\nexpires: 120d\nartifacts:\n  - kind: file\n    path: files/a.bin\n  - kind: file\n    path: files/b.txt\n' "$1"
}
spec 1 >"$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b1" --quiet
spec 2 >"$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b2" --quiet
St=$T/store
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"
blob=$St/blobs/sha256/$(sha256 "$T/src/files/a.bin")
assert_exists "$blob"
snap() { (cd "$St/blobs/sha256" && find . -type f -printf '%p %i %s %T@\n' | LC_ALL=C sort); }

# the twin first: a healthy store is left as it is
snap >"$T/before"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"
expect_stdout_contains "already imported tiny version 1"
expect_stdout_not_contains "repaired"
snap >"$T/after"
cmp -s "$T/before" "$T/after" || fail "a re-import onto a healthy store changed blobs"

# one bit flipped: fsck fails, the same bundle again repairs it
flip_byte "$blob"
expect_exit 1 airlock store fsck --store "$St"
expect_stderr_contains "its content no longer matches its name"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"
expect_stdout_contains "already imported tiny version 1"
expect_stdout_contains "1 damaged or missing blob repaired from the bundle"
expect_exit 0 airlock store fsck --store "$St"
expect_stdout_contains "is consistent"
cmp -s "$blob" "$T/src/files/a.bin" || fail "the repaired blob is not the file"

# missing
rm "$blob"
expect_exit 1 airlock store fsck --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1" --json
assert_eq "$(json "$OUT" .status)" "already imported" "status of the re-import"
assert_eq "$(json "$OUT" .repairedBlobs)" 1 "repairedBlobs after a blob went missing"
expect_exit 0 airlock store fsck --store "$St"

# replaced by a symlink to a file with the right content: not a blob, replaced
cp "$T/src/files/a.bin" "$T/elsewhere"
rm "$blob"
ln -s "$T/elsewhere" "$blob"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"
expect_stdout_contains "1 damaged or missing blob repaired"
[ -f "$blob" ] && [ ! -L "$blob" ] || fail "the symlink was kept as a blob"
expect_exit 0 airlock store fsck --store "$St"

# rot of the same size, repaired by a newer bundle that shares the blob
flip_byte "$blob" 0
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b2"
expect_stdout_contains "imported tiny version 2"
expect_stdout_contains "1 damaged or missing blob repaired"
expect_exit 0 airlock store fsck --store "$St"
expect_stdout_contains "is consistent"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '[.events[] | select(.result == "repaired")] | length')" 3 "repair events"
# and, healthy again, a re-import reports no repair
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b2" --json
assert_eq "$(json "$OUT" .repairedBlobs)" 0 "repairedBlobs on a healthy store"
