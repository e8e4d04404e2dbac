#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: an expired bundle (the clock moved with faketime), and one older than
# the policy's max_age; refused by verify and by import (signed or --allow-unsigned).
. "$(dirname "$0")/trust-lib.sh"
need faketime
signed_setup
expires=$(json "$T/b/airlock.json" .expires)
created=$(json "$T/b/airlock.json" .created)

later() {   # later DAYS CMD...: CMD with the clock DAYS days ahead
    local d=$1
    shift
    faketime -f "+${d}d" "$@"
}
expect_exit 0 later 20 "$AIRLOCK" verify "$T/b" --trust "$T/trust.yaml"
expect_stdout_contains "signatures satisfy the trust policy"
expect_exit 1 later 200 "$AIRLOCK" verify "$T/b" --trust "$T/trust.yaml"
expect_stderr_contains "bundle 'tiny' version 1 expired on $expires"
expect_stderr_contains "FAILED verification: 1 problem"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"

# max_age 10d: fine today, too old in 20 days (though not yet expired)
policy "$T/young.yaml" "max_age: 10d"
expect_exit 0 airlock verify "$T/b" --trust "$T/young.yaml"
expect_exit 0 later 5 "$AIRLOCK" verify "$T/b" --trust "$T/young.yaml"
expect_exit 1 later 20 "$AIRLOCK" verify "$T/b" --trust "$T/young.yaml"
expect_stderr_contains "bundle 'tiny' version 1 was made on $created, longer ago than the policy's max_age"
expect_stderr_not_contains "expired on"

# import: the same bundle goes into one store today, not into another in 200 days
expect_exit 0 airlock init --store "$T/st1" --trust "$T/trust.yaml"
expect_exit 0 airlock import "$T/b" --store "$T/st1"
expect_stdout_contains "imported tiny version 1"
expect_exit 0 airlock init --store "$T/st2" --trust "$T/trust.yaml"
expect_exit 1 later 200 "$AIRLOCK" import "$T/b" --store "$T/st2"
expect_stderr_contains "bundle 'tiny' version 1 expired on $expires"
expect_stderr_contains "it was moved to '$T/st2/quarantine/"
expect_exit 0 airlock store ls --store "$T/st2" --json
assert_eq "$(json "$OUT" '.bundles | length')" 0 "bundles in st2"
# a store with max_age in its policy
expect_exit 0 airlock init --store "$T/st3" --trust "$T/young.yaml"
expect_exit 1 later 20 "$AIRLOCK" import "$T/b" --store "$T/st3"
expect_stderr_contains "longer ago than the policy's max_age"
expect_exit 0 later 5 "$AIRLOCK" import "$T/b" --store "$T/st3"

# unsigned imports expire too
expect_exit 0 airlock init --store "$T/st4"
expect_exit 1 later 200 "$AIRLOCK" import "$T/b" --store "$T/st4" --allow-unsigned
expect_stderr_contains "bundle 'tiny' version 1 expired on $expires"
expect_exit 0 airlock import "$T/b" --store "$T/st4" --allow-unsigned
