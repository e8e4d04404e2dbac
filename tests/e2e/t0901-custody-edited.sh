#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: a record edited after it was signed (record 2's medium changed
# in custody.log). custody verify and show exit 1 naming record 2 and its signature, and
# record 3, which no longer chains to it; custody add refuses to extend the chain; import
# with the policy quarantines the bundle. The untouched copy passes all three first.
. "$(dirname "$0")/custody-lib.sh"

twin_setup
cp -a "$T/good" "$T/bad"
log_lines "$T/bad" 'assert "\"medium\":\"USB-0042\"" in L[1]; L[1] = L[1].replace("\"medium\":\"USB-0042\"", "\"medium\":\"USB-0666\"")'
cmp -s "$T/good/custody.log" "$T/bad/custody.log" && fail "the edit changed nothing"

sig="custody record 2 (by key $KC): the signature does not match the record (edited?)"
chain="custody record 3 does not chain to the record before it (removed, reordered or edited records?)"
expect_broken "$T/bad" "" "$sig" "$chain"
expect_broken "$T/bad" "$T/trust.yaml" "$sig" "$chain"
expect_stderr_not_contains "custody record 1 "
# the bundle itself is untouched: only the chain is broken
expect_exit 0 airlock verify "$T/bad" --trust "$T/trust.yaml"

expect_add_refused "$T/bad" "$sig"
expect_import_rejected "$T/st" "$T/bad" "$sig" "$chain"
# the intact twin still goes into the same store afterwards
expect_import_ok "$T/st" "$T/good" tiny 1 3
