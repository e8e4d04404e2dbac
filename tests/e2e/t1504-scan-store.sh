#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The inside: `airlock vulndb import` builds the store's advisory database from the OSV
# records that crossed as a vulndb artifact (or from a directory), and `airlock scan
# --store` rescans what is installed with it. The store's scan finds what the bundle's
# scan finds with the same data; newer data finds more; a record that is not OSV leaves
# the database in place untouched; the database also serves `scan BUNDLE --vulndb`.
. "$(dirname "$0")/lib.sh"
need jq
B=$T/bundle
sample_bundle "$B"
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
records=$(find "$S/osv" -type f -name '*.yaml' | wc -l)

# ---------------------------------------------------------------- no data yet
expect_exit 2 airlock vulndb import --store "$STORE"
expect_stderr_contains "holds no vulndb artifact"
[ ! -e "$STORE/vulndb.db" ] || fail "a failed import left a database"
expect_exit 0 airlock import "$B" --store "$STORE" --allow-unsigned --quiet
expect_exit 0 airlock scan --store "$STORE"
expect_stdout_contains "vulnerabilities: NOT CHECKED"

# ---------------------------------------------------------------- from the vulndb artifact
expect_exit 0 airlock vulndb import --store "$STORE" --json
[ "$(jq .records "$OUT")" -eq "$records" ] || fail "vulndb import kept $(jq .records "$OUT") records, not the $records of the artifact"
expect_exit 0 airlock scan --store "$STORE" --json
jq -r '.results[0].packages[] | .package as $p | .vulnerabilities[] | [$p.name, $p.version, .id] | @tsv' "$OUT" | sort >"$T/store.tsv"
expect_exit 0 airlock scan "$B" --vulndb "$S/osv" --json
jq -r '.results[0].packages[] | .package as $p | .vulnerabilities[] | [$p.name, $p.version, .id] | @tsv' "$OUT" | sort >"$T/bundle.tsv"
[ -s "$T/store.tsv" ] || fail "the store's scan found nothing (the sample's pip 23.0.1 has a known advisory)"
diff "$T/bundle.tsv" "$T/store.tsv" >&2 || fail "the store's scan and the bundle's scan differ with the same data"
grep -q "^pip	23.0.1	PYSEC-2023-228$" "$T/store.tsv" || fail "pip 23.0.1's PYSEC-2023-228 was not found"
# the same database serves a bundle's scan; it cannot be mixed with other data
expect_exit 0 airlock scan "$B" --vulndb "$STORE/vulndb.db" --json
jq -r '.results[0].packages[] | .package as $p | .vulnerabilities[] | [$p.name, $p.version, .id] | @tsv' "$OUT" | sort | diff "$T/store.tsv" - >&2 ||
    fail "scan --vulndb STORE/vulndb.db differs"
expect_exit 64 airlock scan "$B" --vulndb "$STORE/vulndb.db" --vulndb "$S/osv"
expect_stderr_contains "cannot be combined"

# ---------------------------------------------------------------- newer data finds more
mkdir -p "$T/newer"
cp -r "$S/osv/." "$T/newer/"
cat >"$T/newer/x-setuptools.json" <<'EOF'
{"id": "x_T1504-0001", "modified": "2026-12-01T00:00:00Z", "summary": "a made-up advisory for the test",
 "affected": [{"package": {"ecosystem": "PyPI", "name": "setuptools"},
               "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "60"}, {"fixed": "66.1.2"}]}]}],
 "database_specific": {"severity": "CRITICAL"}}
EOF
expect_exit 0 airlock vulndb import "$T/newer" --store "$STORE"
expect_exit 1 airlock scan --store "$STORE" 'wheel/setuptools' --json
jq -e '[.results[0].packages[] | .airlock.findings[] | select(.id == "x_T1504-0001")] | length == 1 and .[0].disposition == "fail" and .[0].fixed == ["66.1.2"]' \
    "$OUT" >/dev/null || fail "the newer advisory was not found, or not judged critical with its fix"
jq -e '.airlock.store != null and (.licenses == []) and ([.results[0].packages[].package.name] == ["setuptools"])' "$OUT" >/dev/null ||
    fail "scan --store with a pattern scanned more than the wheel it names"

# ---------------------------------------------------------------- bad data changes nothing
before=$(sha256 "$STORE/vulndb.db")
printf '{"id": "x_BAD", "modified": "2026-12-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI"}}]}\n' >"$T/newer/bad.json"
expect_exit 2 airlock vulndb import "$T/newer" --store "$STORE"
expect_stderr_contains "$T/newer/bad.json"
[ "$(sha256 "$STORE/vulndb.db")" = "$before" ] || fail "a failed import changed the database in place"
[ -z "$(find "$STORE/tmp" -name 'vulndb-*')" ] || fail "a failed import left its temporary database"
expect_exit 2 airlock scan --store "$STORE" 'wheel/nothing-like-this'
expect_stderr_contains "no artifact of the store matches 'wheel/nothing-like-this'"
note "vulndb import from the artifact ($records records), the store's scan equals the bundle's, newer data finds more"
