#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The writer lock: while another process holds STORE/lock, a writer waits for it up to
# --wait SECONDS (default 5). With --wait 0, import and gc stop at once with exit 2
# ("busy") and change nothing; with a short wait they say they wait, then stop the same
# way; fsck and ls still work. A writer that waits long enough succeeds once the holder
# lets go (the test releases the lock only after the import said it waits: no sleeps).
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
while True:   # holds the lock until the test kills it
    time.sleep(3600)
PY
holder=$!
BG_PIDS+=("$holder")
wait_until 60 test -e "$T/locked" || fail "the lock holder did not take the lock in 60 s"

expect_exit 2 airlock import --allow-unsigned --store "$St" --wait 0 "$T/b"
expect_stderr_contains "store '$St' is busy: another import or gc is running (give '--wait SECONDS' to wait for it)"
expect_stderr_not_contains "waiting"
expect_exit 2 airlock store gc --store "$St" --wait 0
expect_stderr_contains "is busy"
expect_exit 2 airlock import --allow-unsigned --store "$St" --wait 1 "$T/b"
expect_stderr_contains "store '$St' is busy (another import or gc); waiting up to 1 s for it"
expect_stderr_contains "store '$St' is busy: another import or gc is running, still after 1 s (give a longer '--wait SECONDS')"
expect_exit 2 airlock store gc --store "$St" --wait 1
expect_stderr_contains "still after 1 s"
expect_exit 64 airlock import --allow-unsigned --store "$St" --wait soon "$T/b"
expect_stderr_contains "--wait wants whole seconds"
expect_exit 0 airlock store fsck --store "$St"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '.bundles | length')" 0 "bundles while the store was busy"
assert_eq "$(find "$St/tmp" "$St/quarantine" -mindepth 1 | wc -l)" 0 "files left by refused commands"

# a writer that waits: started while the lock is held, it succeeds once the holder is gone
"$AIRLOCK" import --allow-unsigned --store "$St" --wait 120 --quiet "$T/b" >"$T/waiter.out" 2>"$T/waiter.err" &
waiter=$!
BG_PIDS+=("$waiter")
wait_until 60 grep -q "waiting up to 120 s" "$T/waiter.err" || { cat "$T/waiter.err" >&2; fail "the waiting import did not say it waits"; }
kill -0 "$waiter" 2>/dev/null || fail "the waiting import ended while the lock was held"
kill -9 "$holder"
wait "$holder" 2>/dev/null || true
if wait "$waiter"; then rc=0; else rc=$?; fi
BG_PIDS=()
[ "$rc" -eq 0 ] || { cat "$T/waiter.err" >&2; fail "the waiting import exited $rc after the lock was released"; }
grep -qF "imported demo-stack version 1" "$T/waiter.out" || fail "the waiting import did not import"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "already imported demo-stack version 1"

# init again on a store that holds a bundle: nothing is lost
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '.artifacts | length')" 7 "artifacts after a second init"
expect_exit 0 airlock store fsck --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "already imported"
expect_exit 0 airlock store gc --store "$St" --wait 0
expect_stdout_contains "removed 0 unreferenced blobs"

# a path that is not a store
echo "not a store" >"$T/afile"
expect_exit 2 airlock init --store "$T/afile"
expect_stderr_contains "'$T/afile'"
