#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety at each injected fault point (AIRLOCK_FAULT: the process SIGKILLs itself
# there): the store passes fsck right after the crash, and importing again completes,
# once. For a directory bundle and for a tar bundle (two staging paths).
. "$(dirname "$0")/lib.sh"
need jq

sample_bundle "$T/b"
sample_bundle "$T/b.tar" --tar

for bundle in "$T/b" "$T/b.tar"; do
    for point in after-stage mid-blobs before-commit after-commit; do
        St=$T/store-$point-$(basename "$bundle")
        expect_exit 0 airlock init --store "$St"
        expect_exit 137 env AIRLOCK_FAULT=$point "$AIRLOCK" import --allow-unsigned --store "$St" --quiet "$bundle"
        expect_exit 0 airlock store fsck --store "$St"
        expect_stdout_contains "is consistent"
        expect_exit 0 airlock store fsck --store "$St" --json
        assert_eq "$(json "$OUT" .ok)" true "fsck after a crash at $point ($bundle)"
        expect_exit 0 airlock store ls --store "$St" --json
        case $point in
        after-commit) want=1 ;;
        *) want=0 ;;
        esac
        assert_eq "$(json "$OUT" '.bundles | length')" "$want" "bundles after a crash at $point"

        expect_exit 0 airlock import --allow-unsigned --store "$St" "$bundle"
        case $point in
        after-commit) expect_stdout_contains "already imported demo-stack version 1" ;;
        *) expect_stdout_contains "imported demo-stack version 1" ; expect_stdout_not_contains "already" ;;
        esac
        expect_exit 0 airlock store fsck --store "$St" --json
        assert_eq "$(json "$OUT" .ok)" true "fsck after re-import ($point, $bundle)"
        assert_eq "$(json "$OUT" .unreferenced)" 0 "unreferenced blobs after re-import ($point)"
        expect_exit 0 airlock store ls --store "$St" --json
        assert_eq "$(json "$OUT" '[.bundles[] | .name + ":" + (.version | tostring)] | join(",")')" demo-stack:1 \
            "bundles after a crash at $point and a re-import"
        assert_eq "$(json "$OUT" '.artifacts | length')" 7 "artifacts after a crash at $point and a re-import"
        expect_exit 0 airlock store gc --store "$St"
        expect_stdout_contains "removed 0 unreferenced blobs"
        expect_exit 0 airlock store fsck --store "$St" --json
        assert_eq "$(json "$OUT" .staleTmp)" 0 "interrupted imports left after gc ($point)"
    done
done
