#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: airlock.json must agree with index.json's annotations (kind, name,
# upstream) and media type, and a ref names one artifact only. SHA256SUMS is regenerated
# each time, so only the cross-checks can catch it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need jq
resummed_small_bundle "$T/b"   # the twin: regenerating SHA256SUMS alone changes nothing

# edit FILE JQ: a copy of the bundle as $T/c with FILE edited by JQ and SHA256SUMS regenerated
edit() {
    rm -rf "$T/c" && cp -a "$T/b" "$T/c"
    jq "$2" "$T/c/$1" >"$T/j" && mv "$T/j" "$T/c/$1"
    regen_sums "$T/c"
}

edit airlock.json '.artifacts[0].name = "other.txt"'
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'airlock.json': artifacts[0] ('file/a.txt') has name 'other.txt' but entry 0 of 'index.json' has a.txt"
expect_stderr_contains "FAILED verification: 1 problem"

edit index.json '.manifests[1].annotations["io.airlock.upstream"] = "file:evil"'
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'airlock.json': artifacts[1] ('file/b.json') has upstream 'file:b.json' but entry 1 of 'index.json' has file:evil"
expect_stderr_contains "FAILED verification: 1 problem"

edit index.json '.manifests[0].annotations["io.airlock.kind"] = "model"'
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "has kind 'file' but entry 0 of 'index.json' has model"

edit index.json 'del(.manifests[0].annotations["io.airlock.name"])'
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "has name 'a.txt' but entry 0 of 'index.json' has none"

# two index.json entries with one ref (airlock.json follows, so each entry matches)
rm -rf "$T/c" && cp -a "$T/b" "$T/c"
jq '.manifests[1].annotations["org.opencontainers.image.ref.name"] = "file/a.txt"' "$T/b/index.json" >"$T/c/index.json"
jq '.artifacts[1].ref = "file/a.txt"' "$T/b/airlock.json" >"$T/c/airlock.json"
regen_sums "$T/c"
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'index.json': entries 0 and 1 have the same ref 'file/a.txt' (refs are unique in a bundle)"
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/c"
expect_stderr_contains "have the same ref 'file/a.txt'"
