#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The catalog's schema is versioned (PRAGMA user_version, read here with python's sqlite3,
# not airlock). A new store is at version 3. A store from a newer airlock (version 99) is
# refused by every command, readers and writers and serve, with "has catalog version 99;
# this airlock reads up to 4: upgrade airlock", and its catalog is not changed. A store
# made before versions (no user_version, no trust, index-page or override columns) is
# refused by a reader without being touched, and brought up the ladder by a writer: init
# migrates it, the bundle it held is still listed, and an import works on it.
. "$(dirname "$0")/lib.sh"
need jq python3

file_spec "versions"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b1" --quiet
sed -i 's/^version: 1/version: 2/' "$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b2" --quiet

St=$T/store
expect_exit 0 airlock init --store "$St"
assert_eq "$(sql "$St/catalog.db" 'PRAGMA user_version')" 4 "the version of a new catalog"
expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/b1"

# from a newer airlock: refused by everything, unchanged
sql "$St/catalog.db" 'PRAGMA user_version = 99' 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
sum_before=$(sha256 "$St/catalog.db")
msg="store '$St' has catalog version 99; this airlock reads up to 4: upgrade airlock"
for cmd in "store ls" "store fsck" "store trust show" "store gc" "init" "import --allow-unsigned $T/b2"; do
    # shellcheck disable=SC2086
    expect_exit 2 airlock $cmd --store "$St"
    expect_stderr_contains "$msg"
done
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$St" --listen 127.0.0.1:0
expect_stderr_contains "$msg"
assert_eq "$(sql "$St/catalog.db" 'PRAGMA user_version')" 99 "the version after the refusals"
assert_eq "$(sha256 "$St/catalog.db")" "$sum_before" "the catalog after the refusals"

# made before versions: the schema of 0.1.0 (no user_version, no trust, page or override columns)
Old=$T/old
expect_exit 0 airlock init --store "$Old"
expect_exit 0 airlock import --allow-unsigned --store "$Old" "$T/b1"
sql "$Old/catalog.db" 'ALTER TABLE bundles DROP COLUMN policy_override' \
    'ALTER TABLE bundles DROP COLUMN signers' 'ALTER TABLE bundles DROP COLUMN unsigned' \
    'DROP TABLE pypi_pages' 'DROP TABLE channel_events' 'DROP TABLE release_artifacts' 'DROP TABLE releases' \
    'DROP TABLE eval_results' 'DROP TABLE eval_runs' \
    'PRAGMA user_version = 0' 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
sum_before=$(sha256 "$Old/catalog.db")
expect_exit 2 airlock store ls --store "$Old"
expect_stderr_contains "store '$Old' has catalog version 0, older than this airlock's 4: upgrade it with 'airlock init --store $Old'"
expect_exit 2 airlock store fsck --store "$Old"
expect_stderr_contains "has catalog version 0"
assert_eq "$(sha256 "$Old/catalog.db")" "$sum_before" "an old catalog after read-only commands"
expect_exit 0 airlock init --store "$Old"
assert_eq "$(sql "$Old/catalog.db" 'PRAGMA user_version')" 4 "the version after init migrated it"
assert_eq "$(sql "$Old/catalog.db" "SELECT count(*) FROM sqlite_master WHERE name IN ('releases', 'release_artifacts', 'channel_events', 'eval_runs', 'eval_results')")" 5 \
    "the release and eval tables the ladder added"
assert_eq "$(sql "$Old/catalog.db" "SELECT count(*) FROM pragma_table_info('bundles') WHERE name IN ('signers', 'unsigned', 'policy_override')")" 3 \
    "the columns the ladder added"
expect_exit 0 airlock store ls --store "$Old" --json
assert_eq "$(json "$OUT" '[.bundles[] | .name + ":" + (.version | tostring)] | join(",")')" tiny:1 "bundles after the migration"
expect_exit 0 airlock import --allow-unsigned --store "$Old" "$T/b2"
expect_stdout_contains "imported tiny version 2"
expect_exit 0 airlock store fsck --store "$Old"
