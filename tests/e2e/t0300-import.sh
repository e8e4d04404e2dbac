#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Import: a bundle goes in once; the same bundle again is a no-op (also in tar form);
# the same name and version with other content, and a version older than one already
# imported, are refused. $AIRLOCK_STORE is the store when --store is absent.
. "$(dirname "$0")/lib.sh"
need jq tar

sample_bundle "$T/b"
export AIRLOCK_STORE=$T/store
mkdir "$T/cwd" && cd "$T/cwd"   # a ./airlock-store here would mean the env var was ignored

# ls_count FILTER: jq over 'store ls --json'
ls_count() {
    expect_exit 0 airlock store ls --json
    json "$OUT" "$1"
}

expect_exit 0 airlock init
expect_stdout_contains "store ready at '$T/store'"
for d in blobs/sha256 tmp quarantine catalog.db; do assert_exists "$T/store/$d"; done
assert_absent "$T/cwd/airlock-store"
expect_exit 0 airlock init                   # again: safe
expect_exit 0 airlock store fsck

expect_exit 0 airlock import --allow-unsigned "$T/b"
expect_stdout_contains "imported demo-stack version 1 into '$T/store': 7 artifacts"
expect_exit 0 airlock import --allow-unsigned "$T/b"
expect_stdout_contains "already imported demo-stack version 1"
expect_stdout_contains "0 new blobs"
# the very same bytes as a tar are the same bundle
expect_exit 0 tar -C "$T/b" -cf "$T/same.tar" .
expect_exit 0 airlock import --allow-unsigned "$T/same.tar"
expect_stdout_contains "already imported demo-stack version 1"
expect_exit 0 airlock store fsck
expect_stdout_contains "is consistent"
assert_eq "$(ls_count '.artifacts | length')" 7 "artifacts in the store"
assert_eq "$(ls_count '.bundles | length')" 1 "bundles in the store"
assert_eq "$(ls_count '[.bundles[] | .name + ":" + (.version | tostring)] | join(",")')" demo-stack:1 "bundles"
assert_eq "$(ls_count '[.artifacts[].kind] | sort | unique | join(",")')" file,image,model,vulndb,wheel "artifact kinds"
expect_exit 0 airlock import --allow-unsigned --json "$T/b"
assert_eq "$(json "$OUT" .status)" "already imported" "import --json .status"
# --store wins over the environment
expect_exit 2 airlock store ls --store "$T/nowhere"
expect_stderr_contains "no store at '$T/nowhere'"
assert_absent "$T/cwd/airlock-store"

# The same spec built again (another second, so another 'created'): same name and
# version, other content. Refused, and nothing changes.
expect_exit 0 airlock bundle inspect --json "$T/b"
created1=$(json "$OUT" .created)
while [ "$(date -u +%Y-%m-%dT%H:%M:%SZ)" = "$created1" ]; do sleep 0.1; done
expect_exit 0 airlock bundle create -f "$S/airlock.yaml" -o "$T/again.tar" --tar --quiet
expect_exit 0 airlock bundle inspect --json "$T/again.tar"
[ "$(json "$OUT" .created)" != "$created1" ] || fail "the second build has the same 'created'"
expect_exit 0 airlock store ls --json
jq -S '{bundles, artifacts, totals}' "$OUT" >"$T/ls-before"
expect_exit 1 airlock import --allow-unsigned "$T/again.tar"
expect_stderr_contains "bundle 'demo-stack' version 1 is already imported with different content; a new bundle needs a higher version"
expect_exit 0 airlock store ls --json
jq -S '{bundles, artifacts, totals}' "$OUT" >"$T/ls-after"
cmp -s "$T/ls-before" "$T/ls-after" || fail "a refused import changed the catalog"

# version 2 goes in
sed 's/^version: 1$/version: 2/' "$S/airlock.yaml" >"$S/airlock-v2.yaml"
grep -q '^version: 2$' "$S/airlock-v2.yaml" || fail "could not make a version 2 spec"
expect_exit 0 airlock bundle create -f "$S/airlock-v2.yaml" -o "$T/b2" --quiet
expect_exit 0 airlock import --allow-unsigned "$T/b2"
expect_stdout_contains "imported demo-stack version 2"
assert_eq "$(ls_count '[.bundles[] | .name + ":" + (.version | tostring)] | join(",")')" demo-stack:1,demo-stack:2 "bundles"
assert_eq "$(ls_count '.artifacts | length')" 14 "artifacts in the store"
expect_exit 0 airlock store fsck

# A store that holds version 2 refuses a version 1 it never saw (rollback).
expect_exit 0 airlock init --store "$T/store2"
expect_exit 0 airlock import --allow-unsigned --store "$T/store2" "$T/b2"
expect_exit 1 airlock import --allow-unsigned --store "$T/store2" "$T/b"
expect_stderr_contains "bundle 'demo-stack' version 1 is older than version 2 already imported"
expect_exit 0 airlock store ls --store "$T/store2" --json
assert_eq "$(json "$OUT" '[.bundles[] | .version] | join(",")')" 2 "versions in store2"
expect_exit 0 airlock store fsck --store "$T/store2"

# Without a store: exit 2, and the message says how to make one.
expect_exit 2 airlock import --allow-unsigned --store "$T/none" "$T/b"
expect_stderr_contains "no store at '$T/none'"
expect_stderr_contains "airlock init --store $T/none"
assert_absent "$T/none"
AIRLOCK_STORE=$T/none2 expect_exit 2 airlock import --allow-unsigned "$T/b"
expect_stderr_contains "airlock init --store $T/none2"
assert_absent "$T/none2"
assert_absent "$T/cwd/airlock-store"
