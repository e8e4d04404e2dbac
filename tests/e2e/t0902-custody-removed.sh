#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: a record removed (line 2 of 3 deleted from custody.log). The
# record that was 3 is now second: custody verify and show exit 1 saying record 2 claims
# to be record 3 and does not chain; custody add refuses; import quarantines.
. "$(dirname "$0")/custody-lib.sh"

twin_setup
cp -a "$T/good" "$T/bad"
log_lines "$T/bad" 'del L[1]'
assert_eq "$(wc -l <"$T/bad/custody.log")" 2 "lines left"

seq_msg="custody record 2 says it is record 3 (removed or reordered records?)"
chain="custody record 2 does not chain to the record before it (removed, reordered or edited records?)"
expect_broken "$T/bad" "" "$seq_msg" "$chain"
expect_broken "$T/bad" "$T/trust.yaml" "$seq_msg" "$chain"
expect_stderr_not_contains "custody record 1 "

# the first record removed instead: the new first one does not start the chain
cp -a "$T/good" "$T/bad1"
log_lines "$T/bad1" 'del L[0]'
first=("custody record 1 says it is record 2 (removed or reordered records?)"
       "custody record 1 does not chain to the record before it (removed, reordered or edited records?)"
       "custody record 2 says it is record 3 (removed or reordered records?)")
expect_broken "$T/bad1" "$T/trust.yaml" "${first[@]}"

expect_add_refused "$T/bad" "$seq_msg"
expect_import_rejected "$T/st" "$T/bad" "$seq_msg" "$chain"
expect_import_rejected "$T/st" "$T/bad1" "${first[@]}"
expect_import_ok "$T/st" "$T/good" tiny 1 3
