#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of fsck: after a clean import (fsck 0), a flipped bit in a store blob,
# a deleted blob and a truncated blob are each found and named (exit 1).
. "$(dirname "$0")/lib.sh"
need jq

sample_bundle "$T/b"
expect_exit 0 airlock init --store "$T/store"
expect_exit 0 airlock import --allow-unsigned --store "$T/store" "$T/b"
expect_exit 0 airlock store fsck --store "$T/store"
expect_stdout_contains "store '$T/store' is consistent"
hex=$(sha256 "$S/models/tiny-model/model.safetensors")
cfg=$(sha256 "$S/models/tiny-model/config.json")
tok=$(sha256 "$S/models/tiny-model/tokenizer.json")
for h in "$hex" "$cfg" "$tok"; do assert_exists "$T/store/blobs/sha256/$h"; done

cp -a "$T/store" "$T/pristine"

# a flipped bit
flip_byte "$T/store/blobs/sha256/$hex"
expect_exit 1 airlock store fsck --store "$T/store"
expect_stderr_contains "corrupt blob 'blobs/sha256/$hex': its content no longer matches its name"
expect_stderr_contains "store '$T/store' FAILED fsck: 1 problem"
expect_exit 1 airlock store fsck --store "$T/store" --json
assert_eq "$(json "$OUT" .ok)" false "fsck --json .ok"
json "$OUT" '.problems[]' | grep -F "blobs/sha256/$hex" >/dev/null || fail "fsck --json does not name the blob"

# a deleted blob
rm -rf "$T/store" && cp -a "$T/pristine" "$T/store"
expect_exit 0 airlock store fsck --store "$T/store"
rm "$T/store/blobs/sha256/$cfg"
expect_exit 1 airlock store fsck --store "$T/store"
expect_stderr_contains "missing blob 'sha256:$cfg' (named in the catalog)"
expect_stderr_contains "FAILED fsck: 1 problem"

# a truncated blob: its size and its content are both wrong
rm -rf "$T/store" && cp -a "$T/pristine" "$T/store"
size=$(stat -c %s "$T/store/blobs/sha256/$tok")
truncate -s $((size - 1)) "$T/store/blobs/sha256/$tok"
expect_exit 1 airlock store fsck --store "$T/store"
expect_stderr_contains "corrupt blob 'blobs/sha256/$tok'"
expect_stderr_contains "size mismatch for blob 'sha256:$tok': catalog $size, file $((size - 1))"

# gc does not make a corrupt store pass: the blob is referenced, so it stays
expect_exit 0 airlock store gc --store "$T/store"
expect_exit 1 airlock store fsck --store "$T/store"
expect_stderr_contains "corrupt blob 'blobs/sha256/$tok'"
