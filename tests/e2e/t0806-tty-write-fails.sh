#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A passphrase prompt that cannot be written to the terminal is an error, never a prompt
# taken as shown: strace makes one write(2) fail with EIO. The prompt failing used to
# end the questions as if they had been answered (an empty passphrase went on), and the
# newline after the answer failing was reported as a passphrase too long. The passing
# twin is t0805, the same prompts with every write landing.
. "$(dirname "$0")/trust-lib.sh"
need expect strace

# (LeakSanitizer cannot run under ptrace: in a sanitizer build, leaks are checked elsewhere)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# the first write is the prompt
TTY_DELAY=0 TTY_TIMEOUT=60 expect_exit 2 tty_run -- \
    strace -f -qq -o /dev/null -e trace=write -e inject=write:error=EIO:when=1 \
    "$AIRLOCK" key generate -o "$T/k1"
expect_stdout_contains "cannot write to the terminal: Input/output error"
expect_stdout_not_contains "passphrase for the new key"
assert_absent "$T/k1.key"

# the second is the newline after the first answer, which echo did not show
TTY_DELAY=0.2 TTY_TIMEOUT=60 expect_exit 2 tty_run "passphrase for the new key: " first-secret -- \
    strace -f -qq -o /dev/null -e trace=write -e inject=write:error=EIO:when=2 \
    "$AIRLOCK" key generate -o "$T/k2"
expect_stdout_contains "cannot write to the terminal: Input/output error"
expect_stdout_not_contains "too long"
expect_stdout_not_contains "again: "
expect_stdout_not_contains "first-secret"
assert_absent "$T/k2.key"
