#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# custody show --store: what the catalog keeps of an imported bundle's custody. The signed
# chain (checked at import, each record with its key) is shown apart from the store's own
# records (received, verified by 'airlock import'), which nobody signed, so a reader never
# takes the store's notes for links of the signed chain. Also in --json.
. "$(dirname "$0")/custody-lib.sh"

twin_setup   # $T/good, three signed records, imported into $T/st-good

expect_exit 0 airlock custody show --store "$T/st-good" tiny
expect_stdout_contains "signed custody chain of 'tiny' version 1, as checked at import: 3 records"
expect_stdout_contains "the store's own records (not signed, not part of the chain): 2"
grep -Eq "^ +1  .*packed +Bob Builder +key $KB\$" "$OUT" || fail "record 1 is not shown with its key"
grep -Eq "^ +3  .*received +Rita Receiver +key $KR\$" "$OUT" || fail "record 3 is not shown with its key"
grep -Eq "^ +4  .*received +airlock import +not signed \(the store's own record\)\$" "$OUT" ||
    fail "the store's received record is not shown as unsigned"
grep -Eq "^ +5  .*verified +airlock import +not signed \(the store's own record\)\$" "$OUT" ||
    fail "the store's verified record is not shown as unsigned"
# the store's records come after the heading that sets them apart, the chain's before it
assert_eq "$(grep -n "the store's own records" "$OUT" | cut -d: -f1)" 5 "line of the store records' heading"

expect_exit 0 airlock custody show --store "$T/st-good" tiny@1 --json
assert_eq "$(json "$OUT" '.chain | length')" 3 "signed records in --json"
assert_eq "$(json "$OUT" '[.chain[] | select(.key == "")] | length')" 0 "unsigned records in the chain"
assert_eq "$(json "$OUT" '.store_records | map(.event + "/" + .actor + "/" + .key) | join(",")')" \
    "received/airlock import/,verified/airlock import/" "the store's own records in --json"
assert_eq "$(json "$OUT" .version)" 1 "version in --json"

# must fail: a bundle or version the store does not have, and --store where it has no sense
expect_exit 2 airlock custody show --store "$T/st-good" tiny@2
expect_stderr_contains "the store '$T/st-good' has no custody records of bundle 'tiny' at that version"
expect_exit 2 airlock custody show --store "$T/st-good" other
expect_stderr_contains "has no custody records of bundle 'other'"
expect_exit 64 airlock custody show --store "$T/st-good" tiny@x
expect_exit 64 airlock custody verify --store "$T/st-good" tiny
expect_exit 64 airlock custody show --store "$T/st-good" tiny --trust "$T/trust.yaml"
expect_exit 2 airlock custody show --store "$T/nothere" tiny
