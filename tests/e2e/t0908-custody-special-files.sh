#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: custody.log (or SHA256SUMS) that is not a regular file. custody
# verify, show and add must refuse it promptly (exit 2, "is not a regular file"), never
# block: a named pipe on a hostile medium must not hang the tool (each run is bounded by
# timeout, whose exit 124 fails the test). import quarantines a bundle with such a log.
. "$(dirname "$0")/custody-lib.sh"
need timeout mkfifo

twin_setup
# bounded: a command that blocks is killed after 20 s (exit 124, not the code expected)
al_bounded() { timeout -k 5 20 "$AIRLOCK" "$@"; }

# a directory where custody.log should be
cp -a "$T/good" "$T/dir"
rm "$T/dir/custody.log" && mkdir "$T/dir/custody.log"
for sub in verify show; do
    expect_exit 2 al_bounded custody "$sub" "$T/dir"
    expect_stderr_contains "'$T/dir/custody.log' is not a regular file"
done
expect_exit 2 al_bounded custody add "$T/dir" --event stored --actor x --key "$K/receiver.key"
expect_stderr_contains "'$T/dir/custody.log' is not a regular file"

# a symbolic link to the intact log: not followed
cp -a "$T/good" "$T/link"
rm "$T/link/custody.log" && ln -s "$T/good/custody.log" "$T/link/custody.log"
expect_exit 2 al_bounded custody verify "$T/link"
expect_stderr_contains "'$T/link/custody.log'"
expect_stdout_not_contains "intact"
expect_import_rejected "$T/st" "$T/link" "'custody.log' is a symbolic link"

# a named pipe: refused like the directory, without waiting for a writer
cp -a "$T/good" "$T/fifo"
rm "$T/fifo/custody.log" && mkfifo "$T/fifo/custody.log"
expect_import_rejected "$T/st" "$T/fifo" "'custody.log' is a named pipe"
for sub in verify show; do
    expect_exit 2 al_bounded custody "$sub" "$T/fifo"
    expect_stderr_contains "'$T/fifo/custody.log' is not a regular file"
done
expect_exit 2 al_bounded custody add "$T/fifo" --event stored --actor x --key "$K/receiver.key"
expect_stderr_contains "'$T/fifo/custody.log' is not a regular file"

# SHA256SUMS a named pipe: the same
cp -a "$T/good" "$T/sums"
rm "$T/sums/SHA256SUMS" && mkfifo "$T/sums/SHA256SUMS"
expect_exit 2 al_bounded custody verify "$T/sums"
expect_stderr_contains "'$T/sums/SHA256SUMS' is not a regular file"
