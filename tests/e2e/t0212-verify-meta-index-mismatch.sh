#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: airlock.json that disagrees with index.json (SHA256SUMS regenerated, so
# only the cross-check can catch it): an artifact pointing at another manifest, and two
# artifacts swapped.
. "$(dirname "$0")/lib.sh"
need jq

sample_bundle "$T/b"
# the twin: regenerating SHA256SUMS alone changes nothing
regen_sums "$T/b"
expect_exit 0 airlock verify "$T/b"

cp -a "$T/b" "$T/c"
jq '.artifacts[0].digest = .artifacts[1].digest' "$T/b/airlock.json" >"$T/meta" && mv "$T/meta" "$T/b/airlock.json"
regen_sums "$T/b"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "'airlock.json': artifacts[0] ('model/local/tiny-model') does not match entry 0 of 'index.json'"
expect_stderr_contains "FAILED verification: 1 problem"

jq '.artifacts = [.artifacts[1], .artifacts[0]] + .artifacts[2:]' "$T/c/airlock.json" >"$T/meta" && mv "$T/meta" "$T/c/airlock.json"
regen_sums "$T/c"
expect_exit 1 airlock verify "$T/c"
expect_stderr_contains "'airlock.json': artifacts[0] ("
expect_stderr_contains "'airlock.json': artifacts[1] ('model/local/tiny-model') does not match entry 1 of 'index.json'"
expect_stderr_contains "FAILED verification: 2 problems"
