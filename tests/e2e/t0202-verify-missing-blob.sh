#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a blob listed in SHA256SUMS and referenced by a manifest is missing.
. "$(dirname "$0")/lib.sh"
sample_bundle "$T/b"
blob=$(model_blob)
rm "$T/b/$blob"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "missing file '$blob' (listed in SHA256SUMS)"
expect_stderr_contains "FAILED verification: 1 problem"
