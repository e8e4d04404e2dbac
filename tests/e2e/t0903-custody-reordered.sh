#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin of t0900: records reordered (lines 2 and 3 of custody.log swapped). Both
# moved records are named: each claims the other's place and neither chains; custody add
# refuses; import quarantines.
. "$(dirname "$0")/custody-lib.sh"

twin_setup
cp -a "$T/good" "$T/bad"
log_lines "$T/bad" 'L[1], L[2] = L[2], L[1]'
assert_eq "$(LC_ALL=C sort "$T/bad/custody.log" | sha256sum)" "$(LC_ALL=C sort "$T/good/custody.log" | sha256sum)" \
    "the reordered log holds the same lines"

msgs=("custody record 2 says it is record 3 (removed or reordered records?)"
      "custody record 2 does not chain to the record before it (removed, reordered or edited records?)"
      "custody record 3 says it is record 2 (removed or reordered records?)"
      "custody record 3 does not chain to the record before it (removed, reordered or edited records?)")
expect_broken "$T/bad" "" "${msgs[@]}"
expect_broken "$T/bad" "$T/trust.yaml" "${msgs[@]}"
expect_stderr_not_contains "custody record 1 "

expect_add_refused "$T/bad" "${msgs[0]}"
expect_import_rejected "$T/st" "$T/bad" "${msgs[@]}"
expect_import_ok "$T/st" "$T/good" tiny 1 3
