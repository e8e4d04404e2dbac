#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# gc decides before it destroys: it reads its whole keep-set in one transaction and commits
# before it unlinks anything, so a catalog step that fails anywhere (AIRLOCK_FAULT=
# catalog-step:N, every N in turn) ends gc with exit 2 and the message, and removes
# nothing: not the stray blob, not a referenced blob, not the staging leftover. A damaged
# refs table is an error too, never an empty keep-set. The twin: one step past the last,
# gc removes the stray blob and the leftover, keeps every referenced blob, and fsck passes.
. "$(dirname "$0")/lib.sh"
need jq python3

file_spec "kept" "kept too"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
St=$T/store
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b"

head -c 4096 /dev/urandom >"$T/stray"
stray=$(sha256 "$T/stray")
cp "$T/stray" "$St/blobs/sha256/$stray"
mkdir -p "$St/tmp/import-leftover"
echo partial >"$St/tmp/import-leftover/x"
listing() { (cd "$St" && find blobs tmp -mindepth 1 | LC_ALL=C sort); }
listing >"$T/before"

n=1
while :; do
    LAST_CMD="AIRLOCK_FAULT=catalog-step:$n airlock store gc --store $St"
    if AIRLOCK_FAULT=catalog-step:$n "$AIRLOCK" store gc --store "$St" >"$OUT" 2>"$ERR" </dev/null; then
        break
    else
        rc=$?
    fi
    [ "$rc" -eq 2 ] || fail "'$LAST_CMD' exited $rc, expected 2"
    expect_stderr_contains "injected fault (AIRLOCK_FAULT)"
    expect_stdout_not_contains "removed"
    listing >"$T/after"
    cmp -s "$T/before" "$T/after" || { diff "$T/before" "$T/after" >&2; fail "'$LAST_CMD' removed files"; }
    n=$((n + 1))
    [ "$n" -le 200 ] || fail "gc still fails at step 200"
done
[ "$n" -gt 4 ] || fail "gc ran only $((n - 1)) catalog steps (the fault hook is not reached)"
note "gc: $((n - 1)) steps, each failing closed"

# the twin: the run past the last step is an ordinary gc
expect_stdout_contains "removed 1 unreferenced blobs (4.0 KiB)"
assert_absent "$St/blobs/sha256/$stray"
assert_absent "$St/tmp/import-leftover"
while read -r h _; do
    assert_exists "$St/blobs/sha256/$h"
done <"$T/b/SHA256SUMS"
expect_exit 0 airlock store fsck --store "$St" --json
assert_eq "$(json "$OUT" .ok)" true "fsck after gc"
assert_eq "$(json "$OUT" .unreferenced)" 0 "unreferenced blobs after gc"

# a damaged refs table and index: gc fails and removes nothing
cp "$T/stray" "$St/blobs/sha256/$stray"
listing >"$T/before"
python3 - "$St/catalog.db" <<'PY' || fail "cannot damage the refs table"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
roots = [r[0] for r in c.execute("SELECT rootpage FROM sqlite_master WHERE name IN ('refs', 'refs_by_digest')")]
size = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
assert len(roots) == 2, roots
with open(sys.argv[1], "r+b") as f:
    for root in roots:
        f.seek((root - 1) * size)
        f.write(b"\xff" * size)
PY
expect_exit 2 airlock store gc --store "$St"
expect_stderr_contains "database disk image is malformed"
listing >"$T/after"
cmp -s "$T/before" "$T/after" || fail "gc on a damaged catalog removed files"
