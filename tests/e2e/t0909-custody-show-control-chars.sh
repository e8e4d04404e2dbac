#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# custody show prints fields that come from the bundle (actor, medium, seal, note), which
# anyone with a key can write. They must not reach the terminal raw: no escape sequences,
# and no newline that makes a record look like extra output lines, e.g. a fake "intact"
# summary on stdout for a chain that FAILED. Twin first: plain fields give one line each.
. "$(dirname "$0")/custody-lib.sh"

custody_keys
custody_policy "$T/trust.yaml" builder courier receiver
tiny_bundle "$T/b" tiny 1

# the passing twin: plain text, one line per record and the summary
cp -a "$T/b" "$T/plain"
add "$T/plain" packed "Bob Builder" builder --note "built in CI"
expect_exit 0 airlock custody show "$T/plain" --trust "$T/trust.yaml"
assert_eq "$(wc -l <"$OUT")" 2 "lines printed by custody show"

# an outsider's record whose note holds a newline and a fake summary, whose actor holds an
# escape sequence: the chain fails with the policy, and stdout must not say otherwise
fake="custody chain of '$T/b': 1 records, intact, every key allowed by the trust policy"
add "$T/b" packed $'Bob\e[2J\e[HBuilder' outsider --note $'built in CI\n'"$fake" --seal $'S-7\r'
expect_exit 1 airlock custody show "$T/b" --trust "$T/trust.yaml"
expect_stderr_contains "custody record 1 is signed by key $KX, which the trust policy does not allow to sign custody records"
expect_stderr_contains "airlock: the custody chain of '$T/b' FAILED verification"
assert_eq "$(wc -l <"$OUT")" 1 "lines printed by custody show for one record"
grep -q '^custody chain of' "$OUT" && fail "custody show printed a record's note as a summary line"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$OUT" && fail "custody show printed raw control characters"
# the same without a policy (it passes): still one line for the record
expect_exit 0 airlock custody show "$T/b"
assert_eq "$(wc -l <"$OUT")" 2 "lines printed by custody show"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$OUT" && fail "custody show printed raw control characters"
exit 0
