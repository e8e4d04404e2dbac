#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a version replayed. Into a store with a trust policy, the same signed
# bundle again is a no-op (directory or tar); another bundle with the same name and
# version, fully signed too, is refused and changes nothing.
. "$(dirname "$0")/trust-lib.sh"
need tar
signed_setup
ST=$T/store
expect_exit 0 airlock init --store "$ST" --trust "$T/trust.yaml"
expect_stdout_contains "store ready at '$ST' with its trust policy"

expect_exit 0 airlock import "$T/b" --store "$ST"
expect_stdout_contains "imported tiny version 1 into '$ST'"
expect_exit 0 airlock import "$T/b" --store "$ST"
expect_stdout_contains "already imported tiny version 1"
expect_exit 0 tar -C "$T/b" -cf "$T/b.tar" .
expect_exit 0 airlock import "$T/b.tar" --store "$ST"
expect_stdout_contains "already imported tiny version 1"
expect_exit 0 airlock store ls --store "$ST" --json
jq -S '{bundles: [.bundles[] | del(.imported)], artifacts}' "$OUT" >"$T/ls-before"

# same name and version, other content, properly signed
tiny_bundle "$T/r" tiny 1 30d "other content, same version"
sign_all "$T/r"
expect_verified "$T/r" "$T/trust.yaml"
expect_exit 1 airlock import "$T/r" --store "$ST"
expect_stderr_contains "bundle 'tiny' version 1 is already imported with different content; a new bundle needs a higher version"
expect_exit 0 airlock store ls --store "$ST" --json
jq -S '{bundles: [.bundles[] | del(.imported)], artifacts}' "$OUT" >"$T/ls-after"
cmp -s "$T/ls-before" "$T/ls-after" || fail "a refused import changed the catalog"
assert_eq "$(json "$OUT" '[.bundles[] | .sums] | join(",")')" \
    "sha256:$(sha256 "$T/b/SHA256SUMS")" "the bundle in the store"
expect_exit 0 airlock store fsck --store "$ST"
