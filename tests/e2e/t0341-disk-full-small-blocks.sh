#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A full disk is an operational error, never a signal, also where SQLite's WAL index is
# written through a memory mapping that the file system has not backed yet: on ext4 with
# 1 KiB blocks (a loop-mounted image, no reserved blocks, in a private mount namespace)
# SQLite extends its -shm file one byte per 4 KiB page, and the blocks it did not write are
# allocated only when the mapping is written, which a full disk answers with SIGBUS. The
# disk is filled to leave 2 KiB, 4 KiB, … 40 KiB free, and at each level `store gc` and
# `store trust set` (writers with no room check of their own) end with exit 0 or with exit
# 2 and a message, never killed by a signal (the old binary died of SIGBUS at most levels).
# Then, with the room back, the store passes fsck, lists its bundle and imports a signed one.
if [ -z "${AIRLOCK_T0341_NS:-}" ]; then
    command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null || {
        echo "SKIP: no mount namespaces here (unshare -m)"
        exit 77
    }
    AIRLOCK_T0341_NS=1 exec unshare -m bash "$0" "$@"
fi
. "$(dirname "$0")/trust-lib.sh"
need jq mkfs.ext4 fallocate

tiny_bundle "$T/b1" tiny 1
tiny_bundle "$T/b2" tiny 2
test_keys
policy "$T/trust.yaml"
sign_all "$T/b2"

truncate -s 40M "$T/ext4.img"
mkfs.ext4 -q -m 0 -b 1024 "$T/ext4.img" || fail "mkfs.ext4 failed"
Fs=$T/fs
mkdir -p "$Fs"
mount -o loop "$T/ext4.img" "$Fs" 2>"$T/mount.err" || skip "cannot loop-mount an ext4 image here: $(cat "$T/mount.err")"
trap 'rc=$?; set +e; umount -l "$Fs" 2>/dev/null; (exit "$rc"); _cleanup' EXIT
St=$Fs/store
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"

full=0
for free in $(seq 2 2 40); do
    rm -f "$Fs/fill"
    avail=$(df -B1 --output=avail "$Fs" | tail -n 1 | tr -d ' ')
    fallocate -l $((avail - free * 1024)) "$Fs/fill" || fail "cannot fill the disk to ${free} KiB free"
    for cmd in "store gc" "store trust set $T/trust.yaml"; do
        rc=0
        # shellcheck disable=SC2086
        "$AIRLOCK" $cmd --store "$St" >"$OUT" 2>"$ERR" </dev/null || rc=$?
        LAST_CMD="airlock $cmd (${free} KiB free)"
        case $rc in
        0) ;;
        2)
            full=$((full + 1))
            expect_stderr_contains "airlock: "
            ;;
        *) fail "'$LAST_CMD' exited $rc (a signal is $((rc - 128)) when over 128), expected 0 or 2" ;;
        esac
    done
done
[ "$full" -gt 0 ] || fail "the disk never became full enough to fail a write: the test tested nothing"
note "$full of 40 writes found the disk full and said so"

rm "$Fs/fill"
expect_exit 0 airlock store fsck --store "$St"
expect_stdout_contains "is consistent"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '.bundles | length')" 1 "bundles after the disk was full"
expect_exit 0 airlock store trust set "$T/trust.yaml" --store "$St"
expect_exit 0 airlock import --store "$St" "$T/b2"
expect_stdout_contains "imported tiny version 2"
