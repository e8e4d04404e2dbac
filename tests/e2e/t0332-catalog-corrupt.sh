#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A damaged catalog is never read as a smaller one. One page of a table is overwritten (its
# b-tree root, so the schema still reads and every statement prepares, but stepping through
# that table fails with "database disk image is malformed"): store ls exits 2 instead of
# listing what it could read, serve refuses to start instead of serving a store with
# artifacts or custody records missing (custody is read only by the / page), and fsck fails
# (1) naming the damage. The twin: the same store undamaged lists, serves and passes fsck.
. "$(dirname "$0")/lib.sh"
need jq python3

file_spec "a file"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
expect_exit 0 airlock init --store "$T/good"
expect_exit 0 airlock import --allow-unsigned --store "$T/good" "$T/b"

# damage STORE TABLE: checkpoints the WAL, then overwrites TABLE's root page with 0xff
damage() {
    python3 - "$1/catalog.db" "$2" <<'PY' || fail "cannot damage table '$2'"
import sqlite3, sys
db, table = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
root = c.execute("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
size = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
with open(db, "r+b") as f:
    f.seek((root - 1) * size)
    f.write(b"\xff" * size)
PY
}

# serve_refuses STORE: serve must exit 2 before it listens (timeout: it served)
serve_refuses() {
    expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$1" --listen 127.0.0.1:0
    expect_stdout_not_contains "listening on"
    expect_stderr_contains "database disk image is malformed"
}

for table in artifacts custody events bundles; do
    St=$T/store-$table
    cp -a "$T/good" "$St"
    damage "$St" "$table"
    expect_exit 2 airlock store ls --store "$St" --json
    expect_stderr_contains "listing the store: database disk image is malformed"
    expect_exit 1 airlock store fsck --store "$St"
    expect_stderr_contains "the catalog is damaged"
    expect_stdout_not_contains "is consistent"
    case $table in
    artifacts | custody) serve_refuses "$St" ;;
    esac
done
# the custody table is read by the / page alone: its step names it
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$T/store-custody" --listen 127.0.0.1:0
expect_stderr_contains "reading the custody records for the / page"

# the twin: undamaged
expect_exit 0 airlock store ls --store "$T/good" --json
assert_eq "$(json "$OUT" '.bundles | length')" 1 "bundles in the undamaged store"
expect_exit 0 airlock store fsck --store "$T/good"
expect_stdout_contains "is consistent"
. "$(dirname "$0")/serve-lib.sh"
STORE=$T/good
serve_start
serve_alive
serve_stop
