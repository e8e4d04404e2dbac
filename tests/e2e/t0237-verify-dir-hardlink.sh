#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a hard link in a directory bundle (docs/FORMAT.md rule 1: a regular
# file with more than one link is refused, as in a tar), whether the second name is
# inside the bundle or outside it. The twin: a copy of the same file verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
small_bundle "$T/b"
blob=blobs/sha256/$(sha256 "$T/small/a.txt")

cp -a "$T/b" "$T/c"
cp "$T/c/$blob" "$T/outside"
expect_exit 0 airlock verify "$T/c"

ln "$T/c/$blob" "$T/outside-link"
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'$blob' is a hard link (a bundle holds only regular files and directories)"
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/c"
expect_stderr_contains "'$blob' is a hard link"
rm "$T/outside-link"
expect_exit 0 airlock verify "$T/c"

# the second name inside the bundle: both names are refused
ln "$T/c/oci-layout" "$T/c/blobs/sha256/$(sha256 "$T/c/oci-layout")"
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'oci-layout' is a hard link"
expect_stderr_contains "'blobs/sha256/$(sha256 "$T/c/oci-layout")' is a hard link"
