#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Passphrase prompts on a terminal: an answer typed the moment the prompt shows is
# neither echoed nor lost. (Echo must be off, and pending input flushed, *before* the
# prompt is printed, as readpassphrase(3) does.) No scrypt: the two answers differ.
. "$(dirname "$0")/trust-lib.sh"
need expect

# the passing twin: answers after a pause
TTY_DELAY=0.5 TTY_TIMEOUT=20 expect_exit 2 tty_run "passphrase for the new key: " first-secret "again: " second-secret -- \
    "$AIRLOCK" key generate -o "$T/slow"
expect_stdout_contains "the passphrases differ"
expect_stdout_not_contains "first-secret"
expect_stdout_not_contains "second-secret"
assert_absent "$T/slow.key"

# answers at once (five times: a prompt printed before echo is off loses the race often,
# not always)
for i in 1 2 3 4 5; do
    TTY_DELAY=0 TTY_TIMEOUT=5 expect_exit 2 tty_run "passphrase for the new key: " first-secret "again: " second-secret -- \
        "$AIRLOCK" key generate -o "$T/fast"
    expect_stdout_contains "the passphrases differ"
    expect_stdout_not_contains "first-secret"
    expect_stdout_not_contains "second-secret"
    assert_absent "$T/fast.key"
done
