#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Quarantine is bounded by the room there is. The store lies on a 48 MiB tmpfs (mounted in
# a private mount namespace: the test re-runs itself under unshare -m). A bundle holding a
# 1 GiB sparse file (a few KiB on disk), as a directory and as a GNU tar with a sparse
# member, is measured at its apparent size before anything is copied and refused with exit 2
# and the sizes; tmp/ and quarantine/ stay empty and the tmpfs is as full as before. The
# twin: a small damaged bundle is quarantined (it fits), and 'store gc --quarantine'
# removes it; a good bundle imports.
if [ -z "${AIRLOCK_T0338_NS:-}" ]; then
    command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null || {
        echo "SKIP: no mount namespaces here (unshare -m)"
        exit 77
    }
    AIRLOCK_T0338_NS=1 exec unshare -m bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need jq tar truncate

file_spec "small"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
St=$T/store
mkdir -p "$St"
mount -t tmpfs -o size=48m tmpfs "$St" || skip "cannot mount a tmpfs here"
# unmount before lib.sh's cleanup removes $T, keeping the exit status
trap 'rc=$?; set +e; umount -l "$St" 2>/dev/null; (exit "$rc"); _cleanup' EXIT
expect_exit 0 airlock init --store "$St"
used() { df -k --output=used "$St" | tail -n 1 | tr -d ' '; }
empty() {
    assert_eq "$(find "$St/tmp" "$St/quarantine" -mindepth 1 | wc -l)" 0 "files in tmp/ and quarantine/ ($1)"
}

# a directory bundle with a 1 GiB sparse file that SHA256SUMS does not list
cp -a "$T/b" "$T/sparse"
truncate -s 1G "$T/sparse/blobs/sha256/extra"
[ "$(du -k "$T/sparse/blobs/sha256/extra" | cut -f1)" -lt 1024 ] || skip "this file system does not make sparse files"
before=$(used)
expect_exit 2 airlock import --allow-unsigned --store "$St" "$T/sparse"
expect_stderr_contains "bundle '$T/sparse' needs "
expect_stderr_contains "bytes in store '$St', which has "
expect_stderr_contains "refused before anything was copied"
empty "a sparse directory bundle"
assert_eq "$(used)" "$before" "tmpfs blocks used after refusing the sparse bundle"

# the same as a GNU tar with a sparse member: small on disk, 1 GiB when extracted
tar --sparse --format=posix -cf "$T/sparse.tar" -C "$T/sparse" . || fail "tar --sparse failed"
[ "$(du -k "$T/sparse.tar" | cut -f1)" -lt 10240 ] || fail "the sparse tar is not small"
expect_exit 2 airlock import --allow-unsigned --store "$St" "$T/sparse.tar"
expect_stderr_contains "refused before anything was copied"
empty "a sparse tar bundle"
assert_eq "$(used)" "$before" "tmpfs blocks used after refusing the sparse tar"

# the twin: a small damaged bundle fits, is quarantined, and gc --quarantine removes it
cp -a "$T/b" "$T/bad"
echo "not listed" >"$T/bad/extra.txt"
expect_exit 1 airlock import --allow-unsigned --store "$St" "$T/bad"
assert_eq "$(find "$St/quarantine" -mindepth 1 -maxdepth 1 | wc -l)" 1 "quarantined bundles"
expect_exit 0 airlock store gc --store "$St" --quarantine
expect_stdout_contains "removed 1 rejected bundles from quarantine"
empty "after gc --quarantine"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "imported tiny version 1"
expect_exit 0 airlock store fsck --store "$St"
