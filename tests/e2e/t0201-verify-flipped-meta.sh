#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: one flipped bit in airlock.json is caught, naming it.
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
want=$(sha256 "$T/b/airlock.json")
flip_byte "$T/b/airlock.json" 20
got=$(sha256 "$T/b/airlock.json")
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "digest mismatch for 'airlock.json': expected sha256:$want, got sha256:$got"
expect_stderr_contains "FAILED verification"
