#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Never delete a user's input: a bundle inside the store (in tmp/, which every writer
# empties, in quarantine/, or reached through a symlink from outside) is refused with exit
# 2 before anything is cleaned: the bundle is still there, whole (it verifies), the
# store holds nothing new and passes fsck. A tar bundle in tmp/ too. The twin: the same
# bundle outside the store imports.
. "$(dirname "$0")/lib.sh"
need jq

file_spec "mine, not the store's"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b.tar" --tar --quiet
St=$T/store
expect_exit 0 airlock init --store "$St"

refused() {
    local bundle=$1
    expect_exit 2 airlock import --allow-unsigned --store "$St" "$bundle"
    expect_stderr_contains "bundle '$bundle' is inside store '$St'"
    expect_stderr_contains "nothing was imported or cleaned"
    assert_exists "$bundle"
    expect_exit 0 airlock verify "$bundle" --quiet
    expect_exit 0 airlock store ls --store "$St" --json
    assert_eq "$(json "$OUT" '.bundles | length')" 0 "bundles after refusing '$bundle'"
}

cp -a "$T/b" "$St/tmp/b"
refused "$St/tmp/b"
cp "$T/b.tar" "$St/tmp/b.tar"
refused "$St/tmp/b.tar"
cp -a "$T/b" "$St/quarantine/b"
refused "$St/quarantine/b"
ln -s "$St/tmp/b" "$T/link"
refused "$T/link"
assert_exists "$St/tmp/b/SHA256SUMS"
(cd "$St" && refused "./tmp/b.tar")
expect_exit 0 airlock store fsck --store "$St"

# the twin: outside the store it imports, and the next writer then empties tmp/
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "imported tiny version 1"
