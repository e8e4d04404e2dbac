#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of import: a damaged bundle (directory or tar) is refused with exit 1,
# moved to quarantine/ with a REASON naming the problem, and adds nothing to the catalog.
. "$(dirname "$0")/lib.sh"
need jq tar

sample_bundle "$T/b"
St=$T/store
expect_exit 0 airlock init --store "$St"

catalog() {
    expect_exit 0 airlock store ls --store "$St" --json
    jq -S '{bundles, artifacts, totals}' "$OUT"
}
catalog >"$T/empty"
blob=$(model_blob)

# a flipped bit in a blob of a directory bundle
cp -a "$T/b" "$T/bad"
flip_byte "$T/bad/$blob"
expect_exit 1 airlock import --allow-unsigned --store "$St" "$T/bad"
expect_stderr_contains "digest mismatch for '$blob'"
expect_stderr_contains "bundle '$T/bad' failed verification (2 problems); it was moved to '$St/quarantine/"
catalog >"$T/after"
cmp -s "$T/empty" "$T/after" || fail "a rejected import changed the catalog"
assert_eq "$(find "$St/blobs/sha256" -type f | wc -l)" 0 "blobs installed by a rejected import"
assert_eq "$(find "$St/quarantine" -mindepth 1 -maxdepth 1 -type d | wc -l)" 1 "quarantined bundles"
q=$(find "$St/quarantine" -mindepth 1 -maxdepth 1 -type d)
assert_exists "$q/REASON"
grep -qF "bundle: $T/bad" "$q/REASON" || fail "REASON does not name the bundle"
grep -qF "digest mismatch for '$blob'" "$q/REASON" || fail "REASON does not name the problem"
grep -qF "blob '$blob' does not hash to its name" "$q/REASON" || fail "REASON does not list every problem"
assert_exists "$q/$blob"           # what arrived is kept for inspection
assert_exists "$T/bad/$blob"       # the source is left alone
expect_exit 0 airlock store fsck --store "$St"

# the same again, with --json: status and problems
expect_exit 1 airlock import --allow-unsigned --store "$St" --json "$T/bad"
assert_eq "$(json "$OUT" .status)" rejected "import --json .status"
json "$OUT" '.problems[]' | grep -F "digest mismatch for '$blob'" >/dev/null || fail "import --json lacks the problem"

# a hard link entry in a tar bundle
expect_exit 0 tar -C "$T/b" -cf "$T/good.tar" .
tar_rewrite "$T/good.tar" "$T/bad.tar" hardlink
expect_exit 1 airlock import --allow-unsigned --store "$St" "$T/bad.tar"
expect_stderr_contains "'evil' is a hard link"
catalog >"$T/after"
cmp -s "$T/empty" "$T/after" || fail "a rejected import changed the catalog"
assert_eq "$(find "$St/quarantine" -mindepth 1 -maxdepth 1 -type d | wc -l)" 3 "quarantined bundles"
grep -lF "'evil' is a hard link" "$St"/quarantine/*/REASON >/dev/null || fail "no REASON names the hard link"
assert_eq "$(find "$St/blobs/sha256" -type f | wc -l)" 0 "blobs installed by rejected imports"
expect_exit 0 airlock store fsck --store "$St"

# and the intact bundle still goes in afterwards
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/good.tar"
expect_stdout_contains "imported demo-stack version 1"
expect_exit 0 airlock store fsck --store "$St"
