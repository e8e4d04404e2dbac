#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The writer lock: while another process holds STORE/lock, import and gc stop with exit
# 2 ("busy") and change nothing; fsck and ls still work; afterwards import succeeds.
# 'init' on a live store loses nothing.
. "$(dirname "$0")/lib.sh"
need jq

sample_bundle "$T/b"
St=$T/store
expect_exit 0 airlock init --store "$St"
assert_exists "$St/catalog.db"

python3 - "$St/lock" "$T/locked" <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(120)
PY
holder=$!
BG_PIDS+=("$holder")
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
assert_exists "$T/locked"

expect_exit 2 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stderr_contains "store '$St' is busy: another import or gc is running"
expect_exit 2 airlock store gc --store "$St"
expect_stderr_contains "is busy"
expect_exit 0 airlock store fsck --store "$St"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '.bundles | length')" 0 "bundles while the store was busy"
assert_eq "$(find "$St/tmp" "$St/quarantine" -mindepth 1 | wc -l)" 0 "files left by refused commands"

kill -9 "$holder"
wait "$holder" 2>/dev/null || true
BG_PIDS=()
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "imported demo-stack version 1"

# init again on a store that holds a bundle: nothing is lost
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '.artifacts | length')" 7 "artifacts after a second init"
expect_exit 0 airlock store fsck --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "already imported"

# a path that is not a store
echo "not a store" >"$T/afile"
expect_exit 2 airlock init --store "$T/afile"
expect_stderr_contains "'$T/afile'"
