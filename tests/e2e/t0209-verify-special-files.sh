#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: special files (a named pipe, a socket, a device node) in the bundle.
. "$(dirname "$0")/lib.sh"
need timeout mkfifo
sample_bundle "$T/b"
mkfifo "$T/b/fifo"
expect_exit 1 timeout 60 "$AIRLOCK" verify "$T/b"
expect_stderr_contains "'fifo' is a named pipe (a bundle holds only regular files and directories)"
expect_stderr_contains "FAILED verification: 1 problem"
rm "$T/b/fifo"
expect_exit 0 airlock verify "$T/b"

if (cd "$T/b/blobs" && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock")'); then
    expect_exit 1 timeout 60 "$AIRLOCK" verify "$T/b"
    expect_stderr_contains "'blobs/sock' is a socket"
    rm "$T/b/blobs/sock"
else
    note "could not make a unix socket: the socket case was not run"
fi

if [ "$(id -u)" -eq 0 ] && mknod "$T/b/dev" c 1 3 2>/dev/null; then
    expect_exit 1 timeout 60 "$AIRLOCK" verify "$T/b"
    expect_stderr_contains "'dev' is a device node (a bundle holds only regular files and directories)"
    rm "$T/b/dev"
else
    note "not root or mknod refused: the device node case was not run"
fi
