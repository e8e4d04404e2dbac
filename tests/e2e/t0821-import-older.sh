#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a version lower than one already imported (rollback), signed and all,
# is refused by a store with a trust policy; higher versions go in.
. "$(dirname "$0")/trust-lib.sh"
signed_setup
ST=$T/store
for v in 2 3; do
    tiny_bundle "$T/v$v" tiny "$v"
    sign_all "$T/v$v"
done
expect_exit 0 airlock init --store "$ST" --trust "$T/trust.yaml"
expect_exit 0 airlock import "$T/v2" --store "$ST"
expect_stdout_contains "imported tiny version 2"

expect_exit 1 airlock import "$T/b" --store "$ST"
expect_stderr_contains "bundle 'tiny' version 1 is older than version 2 already imported (rollback refused"
expect_exit 0 airlock import "$T/v3" --store "$ST"
expect_stdout_contains "imported tiny version 3"
expect_exit 1 airlock import "$T/b" --store "$ST"
expect_stderr_contains "bundle 'tiny' version 1 is older than version 3 already imported"
# the identical version 2 again is a no-op, not a rollback (a rollback is a version below the highest imported)
expect_exit 0 airlock import "$T/v2" --store "$ST"
expect_stdout_contains "already imported tiny version 2"
expect_exit 0 airlock store ls --store "$ST" --json
assert_eq "$(json "$OUT" '[.bundles[] | .version] | sort | map(tostring) | join(",")')" 2,3 "versions in the store"
