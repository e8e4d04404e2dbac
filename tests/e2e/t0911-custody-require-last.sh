#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A hash chain cannot show that records were cut from its end; a trust policy can require
# the event the chain must end with (custody: {require_last: received}, docs/FORMAT.md §8).
# Must fail: the last record removed (the chain still holds), no custody.log at all, and a
# broken chain; each by custody verify --trust, verify --trust and import. Passing twin:
# the whole chain, ending with the receiver's 'received'. And the policy's own errors.
. "$(dirname "$0")/custody-lib.sh"

twin_setup
custody_policy "$T/last.yaml" builder courier receiver
printf 'custody:\n  require_last: received\n' >>"$T/last.yaml"

# passing twin
expect_exit 0 airlock custody verify "$T/good" --trust "$T/last.yaml"
expect_stdout_contains "custody chain of '$T/good': 3 records, intact, every key allowed by the trust policy, ends with 'received' as the policy requires"
expect_exit 0 airlock verify "$T/good" --trust "$T/last.yaml"
new_store "$T/st-last" "$T/last.yaml"
expect_exit 0 airlock store trust show --store "$T/st-last"
expect_stdout_contains "require_last"
expect_import_ok "$T/st-last" "$T/good" tiny 1 3

# expect_refused_everywhere BUNDLE MESSAGE: verify --trust and import exit 1 naming MESSAGE
expect_refused_everywhere() {
    expect_exit 1 airlock verify "$1" --trust "$T/last.yaml"
    expect_stderr_contains "$2"
    expect_stderr_contains "FAILED verification"
    new_store "$T/st-$(basename "$1")" "$T/last.yaml"
    expect_exit 1 airlock import "$1" --store "$T/st-$(basename "$1")"
    expect_stderr_contains "airlock: import: $2"
    expect_stdout_not_contains "imported"
}

# the receiver's record cut from the end: the chain holds, but ends with the hand-over
cp -a "$T/good" "$T/cut"
log_lines "$T/cut" 'L.pop()'
expect_intact "$T/cut" 2 "$T/trust.yaml"
cut="the custody chain ends with record 2, 'handed-over' by 'courier', and the trust policy requires it to end with a 'received' record (records cut from its end?)"
expect_broken "$T/cut" "$T/last.yaml" "$cut"
expect_refused_everywhere "$T/cut" "$cut"

# no custody.log at all
cp -a "$T/good" "$T/none"
rm "$T/none/custody.log"
none="the trust policy requires the custody chain to end with a 'received' record, and the bundle has no custody records"
expect_refused_everywhere "$T/none" "$none"
expect_exit 0 airlock verify "$T/none" --trust "$T/trust.yaml"   # without the requirement: fine

# a broken chain cannot show how it ends (record 2 edited)
cp -a "$T/good" "$T/broken"
log_lines "$T/broken" 'L[1] = L[1].replace("\"medium\":\"USB-0042\"", "\"medium\":\"USB-0666\"")'
expect_refused_everywhere "$T/broken" \
    "the trust policy requires the custody chain to end with a 'received' record, and the chain is broken (custody record 2 (by key $KC): the signature does not match the record (edited?))"

# the policy's own errors
custody_policy "$T/p1.yaml" builder
printf 'custody:\n  require_last: lost\n' >>"$T/p1.yaml"
expect_exit 2 airlock verify "$T/good" --trust "$T/p1.yaml"
expect_stderr_contains "'$T/p1.yaml': custody: 'require_last' must be an event: events are packed, sealed, handed-over, received, verified, stored or opened"
custody_policy "$T/p2.yaml" builder
printf 'custody:\n  require_lst: received\n' >>"$T/p2.yaml"
expect_exit 2 airlock verify "$T/good" --trust "$T/p2.yaml"
expect_stderr_contains "'$T/p2.yaml': 'custody' must be a mapping with 'require_last: EVENT'"
custody_policy "$T/p3.yaml" builder
printf 'custody:\n  require_last: received\n  also: x\n' >>"$T/p3.yaml"
expect_exit 2 airlock verify "$T/good" --trust "$T/p3.yaml"
expect_stderr_contains "'$T/p3.yaml': custody: unknown key 'also'"
