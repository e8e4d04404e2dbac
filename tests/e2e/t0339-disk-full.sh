#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A full disk is an operational error, never a signal. The store lies on a 24 MiB tmpfs (in
# a private mount namespace: the test re-runs itself under unshare -m) that a file then
# fills to the last block. store ls, fsck and trust show, import and gc each end with exit
# 2 and a message (SQLite extends its WAL index with write(2), so no SIGBUS from its
# mapping), and change nothing: once the file is gone the store passes fsck and imports.
if [ -z "${AIRLOCK_T0339_NS:-}" ]; then
    command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null || {
        echo "SKIP: no mount namespaces here (unshare -m)"
        exit 77
    }
    AIRLOCK_T0339_NS=1 exec unshare -m bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need jq dd

file_spec "one"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b1" --quiet
sed -i 's/^version: 1/version: 2/' "$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b2" --quiet
Fs=$T/fs
mkdir -p "$Fs"
mount -t tmpfs -o size=24m tmpfs "$Fs" || skip "cannot mount a tmpfs here"
trap 'rc=$?; set +e; umount -l "$Fs" 2>/dev/null; (exit "$rc"); _cleanup' EXIT
St=$Fs/store
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"
dd if=/dev/zero of="$Fs/fill" bs=4k 2>/dev/null || true
[ "$(df -k --output=avail "$Fs" | tail -n 1 | tr -d ' ')" -eq 0 ] || fail "the tmpfs is not full"

for cmd in "store ls" "store fsck" "store trust show" "store gc" "import --allow-unsigned $T/b2"; do
    # shellcheck disable=SC2086
    expect_exit 2 airlock $cmd --store "$St"
    [ -s "$ERR" ] || fail "'$LAST_CMD' failed without a message"
    expect_stderr_contains "airlock: "
done

rm "$Fs/fill"
expect_exit 0 airlock store fsck --store "$St"
expect_stdout_contains "is consistent"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '.bundles | length')" 1 "bundles after the disk was full"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b2"
expect_stdout_contains "imported tiny version 2"
