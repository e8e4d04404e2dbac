#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a blob replaced by a symbolic link to a file with the very same bytes.
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
blob=$(model_blob)
cp "$T/b/$blob" "$T/outside"
rm "$T/b/$blob"
ln -s "$T/outside" "$T/b/$blob"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "'$blob' is a symbolic link (a bundle holds only regular files and directories)"
expect_stderr_contains "FAILED verification"
# relative, inside the bundle: still a link
rm "$T/b/$blob"
mv "$T/outside" "$T/b/blobs/copy"
ln -s ../copy "$T/b/$blob"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "'$blob' is a symbolic link"
# a symlinked directory
sample_bundle "$T/c"
mv "$T/c/blobs" "$T/blobs-elsewhere"
ln -s "$T/blobs-elsewhere" "$T/c/blobs"
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'blobs' is a symbolic link"
