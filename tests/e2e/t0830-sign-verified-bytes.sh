#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock sign` signs exactly the SHA256SUMS it verified. The sign process is stopped
# (AIRLOCK_FAULT=sign-before-hash: it sends itself SIGSTOP) after the bundle verified and
# before it signs; SHA256SUMS is swapped for another well-formed one; then it goes on.
# It must refuse, and write no signature: the swapped file is never signed. The passing
# twin stops and goes on without a swap, and its signature verifies with minisign.
. "$(dirname "$0")/trust-lib.sh"
test_keys

# sign_paused BUNDLE [SWAP]: runs sign in the background, waits for it to stop itself,
# puts SWAP in place of BUNDLE/SHA256SUMS when given, lets it go on; sets RC.
sign_paused() {
    run_paused sign-before-hash "${2:+cp $(printf %q "$2") $(printf %q "$1/SHA256SUMS")}" \
        "$AIRLOCK" sign "$1" --key "$K/builder.key" --role builder
}

# must fail: SHA256SUMS swapped between verification and signing (its lines reversed:
# the same digests, so the swapped file is a well-formed SHA256SUMS for the same files)
tiny_bundle "$T/b" tiny 1
tac "$T/b/SHA256SUMS" >"$T/swapped"
cp "$T/b/SHA256SUMS" "$T/original"
sign_paused "$T/b" "$T/swapped"
[ "$RC" -eq 1 ] || fail "sign of a bundle whose SHA256SUMS was swapped after verification exited $RC, expected 1"
expect_stderr_contains "'SHA256SUMS' in '$T/b' changed while it was being verified"
expect_stderr_contains "refusing to sign '$T/b'"
assert_absent "$T/b/signatures/builder.$B.minisig"
[ -z "$(ls -A "$T/b/signatures" 2>/dev/null)" ] || fail "a signature was written for the swapped SHA256SUMS"

# passing twin: stopped at the same point, nothing swapped: signed, and the signature
# verifies over the file with minisign
cp "$T/original" "$T/b/SHA256SUMS"
sign_paused "$T/b"
[ "$RC" -eq 0 ] || fail "sign after a pause without a swap exited $RC, expected 0"
expect_stdout_contains "signed '$T/b' as role 'builder' with key $B"
(cd "$T/b" && expect_exit 0 minisign -Vm SHA256SUMS -x "signatures/builder.$B.minisig" -p "$K/builder.pub")
# and not over the swapped bytes
(cd "$T" && expect_exit 1 minisign -Vm swapped -x "b/signatures/builder.$B.minisig" -p "$K/builder.pub")
