#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What the store reads underneath is never taken for "nothing there". tmp/ that cannot be
# listed (here a file where the directory should be) stops an import and fsck with exit 2
# and a message naming it, where they used to see no leftovers and go on; an artifact whose
# metadata in the catalog is not JSON makes `store ls` fail with exit 2 naming the column,
# where it used to show a quiet null. The twins: the same store, intact, imports, passes
# fsck and lists the metadata.
. "$(dirname "$0")/lib.sh"
need jq python3

mkdir -p "$T/src/files"
echo "one" >"$T/src/files/a.txt"
printf 'name: tiny\nversion: 1\nexpires: 120d\nartifacts:\n  - kind: file\n    path: files/a.txt\n' >"$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b1" --quiet
sed -i 's/^version: 1$/version: 2/' "$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b2" --quiet
St=$T/store
expect_exit 0 airlock init --store "$St"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"

# twin: intact, the listing carries the artifact's metadata
expect_exit 0 airlock store ls --json --store "$St"
[ "$(jq -r '.artifacts[0].info | type' "$OUT")" = object ] || fail "store ls lost the artifact's metadata: $(cat "$OUT")"
expect_exit 0 airlock store fsck --store "$St"

# tmp/ that cannot be listed
mv "$St/tmp" "$T/tmp.saved"
echo "not a directory" >"$St/tmp"
expect_exit 2 airlock import --allow-unsigned --store "$St" "$T/b2"
expect_stderr_contains "$St/tmp"
expect_exit 2 airlock store fsck --store "$St"
expect_stderr_contains "$St/tmp"
rm "$St/tmp"
mv "$T/tmp.saved" "$St/tmp"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b2"
expect_exit 0 airlock store fsck --store "$St"

# metadata that is not JSON
python3 - "$St/catalog.db" <<'PY' || fail "python3 sqlite3 failed"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE artifacts SET info = '{\"license\": ' WHERE id = (SELECT MIN(id) FROM artifacts)")
db.commit()
PY
expect_exit 2 airlock store ls --json --store "$St"
expect_stderr_contains "column 'info' holds malformed JSON"
expect_stdout_not_contains '"artifacts"'
