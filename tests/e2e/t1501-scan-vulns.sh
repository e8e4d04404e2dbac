#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock scan` against the real PyPA advisory data (tests/data/pypa-advisory-db.tar.gz):
# a bundle of ~200 made-up wheels whose names and versions sit at the edges of the
# records' ranges (each introduced, fixed and last_affected version, and the pre-, post-
# and dev releases beside them) must show exactly the advisories an oracle written apart
# from airlock finds (osv-oracle.py, with Debian's python3-packaging): no more, no fewer.
# The same data as OSV's all.zip form (one JSON file per record) gives the same findings.
# Also: osv-scanner's JSON shape; aliases grouped; a withdrawn record left out; a record
# that is not OSV refused, naming its file; the policy's verdict and exit code, an
# exception that suppresses until its expiry date and no longer; a telemetry import found
# by file and line; a bundle that fails verification is not scanned.
. "$(dirname "$0")/lib.sh"
need jq zip
/usr/bin/python3 -c 'import packaging.version, yaml' 2>/dev/null || skip "Debian's python3-packaging and python3-yaml are missing"
ORACLE=$SRCDIR/tests/e2e/osv-oracle.py
mkdir -p "$T/pypa"
tar -xzf "$SRCDIR/tests/data/pypa-advisory-db.tar.gz" -C "$T/pypa" || fail "cannot unpack the advisory data"
V=$T/pypa/vulns

# ---------------------------------------------------------------- the wheels
/usr/bin/python3 "$ORACLE" cases "$V" "$T/cases.tsv" || fail "cannot choose the cases"
printf 'tele-demo\t1.0\n' >>"$T/cases.tsv"
/usr/bin/python3 - "$T/cases.tsv" "$T/wheels" <<'PY' || fail "cannot make the wheels"
import os, re, sys, zipfile
out = sys.argv[2]
os.makedirs(out)
for line in open(sys.argv[1]):
    name, version = line.rstrip("\n").split("\t")
    dist = re.sub(r"[-_.]+", "_", name)
    fn = "%s-%s-py3-none-any.whl" % (dist, version)
    di = "%s-%s.dist-info" % (dist, version)
    with zipfile.ZipFile(os.path.join(out, fn), "w") as z:
        code = "VERSION = %r\n" % version
        if name == "tele-demo":
            code = ('"""Docs: https://docs.vendor-telemetry.io/setup (documentation, not code)."""\n'
                    "import os\n"
                    "import sentry_sdk\n"
                    "ENDPOINT = \"https://ingest.vendor-telemetry.io/v1/events\"\n"
                    "LOCAL = \"http://localhost:8080/\"\n")
        z.writestr(dist + "/__init__.py", code)
        z.writestr(di + "/METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version))
        z.writestr(di + "/WHEEL", "Wheel-Version: 1.0\nGenerator: t1501\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(di + "/RECORD", "")
PY
printf 'name: vulns\nversion: 1\nexpires: 30d\nartifacts:\n  - kind: wheel\n    path: wheels\n' >"$T/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/airlock.yaml" -o "$T/b" --quiet
printf 'fail_on: never\ntelemetry: allow\n' >"$T/never.yaml"

# ---------------------------------------------------------------- exactly the oracle's findings
/usr/bin/python3 "$ORACLE" expect "$V" "$T/cases.tsv" >"$T/want.tsv" || fail "the oracle failed"
[ "$(wc -l <"$T/want.tsv")" -ge 100 ] || fail "the oracle found only $(wc -l <"$T/want.tsv") findings: the cases are too few"
expect_exit 0 airlock scan "$T/b" --vulndb "$V" --policy "$T/never.yaml" --json -o "$T/scan.json"
cmp -s "$OUT" "$T/scan.json" || fail "--json and -o wrote different documents"
findings() {
    jq -r '.results[0].packages[] | .package as $p | .vulnerabilities[] | [$p.name, $p.version, .id] | @tsv' "$1" |
        /usr/bin/python3 -c '
import re, sys
for l in sys.stdin:
    n, v, i = l.rstrip("\n").split("\t")
    print("%s\t%s\t%s" % (re.sub(r"[-_.]+", "-", n).lower(), v, i))' | sort
}
findings "$T/scan.json" >"$T/got.tsv"
sort "$T/want.tsv" >"$T/want.sorted"
diff "$T/want.sorted" "$T/got.tsv" >"$T/diff" || { cat "$T/diff" >&2; fail "airlock's findings differ from the oracle's (< oracle only, > airlock only)"; }
note "$(wc -l <"$T/got.tsv") findings over $(wc -l <"$T/cases.tsv") wheels, exactly the oracle's"
# the twin of the comparison: one finding less must show
sed 1d "$T/got.tsv" >"$T/got.less"
diff -q "$T/want.sorted" "$T/got.less" >/dev/null && fail "the comparison cannot fail"

# osv-scanner's shape: results[].packages[] with package {name, version, ecosystem}, whole OSV
# records in vulnerabilities[], groups[] of ids; and airlock's own keys beside results
jq -e '(.results | type == "array") and (.results[0].packages | length > 10) and
       all(.results[0].packages[]; (.package | has("name") and has("version") and .ecosystem == "PyPI") and
           (.vulnerabilities | length > 0) and all(.vulnerabilities[]; has("id") and has("modified")) and
           (.groups | length > 0) and all(.groups[]; .ids | length > 0)) and
       has("model_files") and has("licenses") and has("phone_home") and .verdict.result == "pass"' \
    "$T/scan.json" >/dev/null || fail "the scan document does not have osv-scanner's shape"

# ---------------------------------------------------------------- the all.zip form
/usr/bin/python3 "$ORACLE" tojson "$V" "$T/json" || fail "cannot write the JSON records"
(cd "$T/json" && zip -q -r "$T/all.zip" .) || fail "zip failed"
expect_exit 0 airlock scan "$T/b" --vulndb "$T/all.zip" --policy "$T/never.yaml" --json
findings "$OUT" >"$T/got.zip.tsv"
diff "$T/got.tsv" "$T/got.zip.tsv" >&2 || fail "the all.zip form gives other findings than the YAML directory"

# ---------------------------------------------------------------- withdrawn, aliases
# (a record with an alias, so that another record can share it)
IFS=$'\t' read -r wid alias < <(jq -r '[.results[0].packages[].vulnerabilities[] | select((.aliases // []) | length > 0)][0] |
      [.id, .aliases[0]] | @tsv' "$T/scan.json")
[ -n "$wid" ] && [ -n "$alias" ] || fail "no finding with an alias"
wfile=$(grep -rl "^id: $wid\$" "$V")
cp -r "$V" "$T/v2"
w2=$T/v2/${wfile#"$V"/}
printf 'withdrawn: 2024-01-01T00:00:00Z\n' >>"$w2"
expect_exit 0 airlock scan "$T/b" --vulndb "$T/v2" --policy "$T/never.yaml" --json
findings "$OUT" | stdin_has "	$wid\$" && fail "the withdrawn record $wid was still reported"
[ "$(jq .airlock.vulndb.withdrawn "$OUT")" -eq "$(($(jq .airlock.vulndb.withdrawn "$T/scan.json") + 1))" ] ||
    fail "the withdrawn count did not grow by one"
cp "$wfile" "$w2"
# a GHSA record naming the same package range and one of the PYSEC record's aliases: one group
/usr/bin/python3 - "$wfile" "$T/v2/extra.yaml" "$alias" <<'PY' || fail "cannot write the alias record"
import sys, yaml
r = yaml.load(open(sys.argv[1]), Loader=yaml.BaseLoader)
r = {"id": "GHSA-t150-1abc-defg", "modified": "2024-05-01T00:00:00Z", "aliases": [sys.argv[3]],
     "affected": r["affected"], "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}
yaml.safe_dump(r, open(sys.argv[2], "w"))
PY
expect_exit 0 airlock scan "$T/b" --vulndb "$T/v2" --policy "$T/never.yaml" --json
jq -e --arg a "$wid" '[.results[0].packages[] | select(any(.vulnerabilities[]; .id == $a))] as $ps | ($ps | length > 0) and
      all($ps[]; [.groups[] | select(any(.ids[]; . == $a))] | length == 1 and
          any(.[0].ids[]; . == "GHSA-t150-1abc-defg") and .[0].max_severity == "9.8")' "$OUT" >/dev/null ||
    fail "the records sharing $alias are not one group with the highest severity"

# ---------------------------------------------------------------- a record that is not OSV
mkdir -p "$T/v3/x"
printf 'id: PYSEC-0000-bad\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package: {ecosystem: PyPI, name: x}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - fixd: "1.0"\n' >"$T/v3/x/bad.yaml"
expect_exit 2 airlock scan "$T/b" --vulndb "$T/v3" --json
expect_stderr_contains "$T/v3/x/bad.yaml"
expect_stderr_contains "not an OSV record"

# ---------------------------------------------------------------- the policy's verdict
# the default policy fails at high, and an advisory without a severity counts as high
expect_exit 1 airlock scan "$T/b" --vulndb "$V"
expect_stdout_contains "verdict: fail"
# one package, one HIGH-or-worse advisory: an exception suppresses it until its date
expect_exit 1 airlock scan "$T/b" --vulndb "$V" --json
jq -e '.verdict.to_review == 1 and ([.phone_home[] | select(.kind == "telemetry-sdk")][0].disposition == "review")' "$OUT" >/dev/null ||
    fail "under the default policy the telemetry import is not the one thing to review"
IFS=$'\t' read -r xproject xversion xid < <(jq -r '[.results[0].packages[] | .package as $p | .airlock.findings[] |
      select(.disposition == "fail") | [$p.name, $p.version, .id]][0] | @tsv' "$OUT")
[ -n "$xid" ] || fail "no failing advisory under the default policy"
exc() { # exc EXPIRES: a policy failing at high that excepts $xid for $xproject@$xversion
    cat >"$T/exc.yaml" <<EOF
fail_on: high
exceptions:
  - vulnerability: {name: $xid}
    products:
      - "@id": pkg:pypi/$xproject@$xversion
    status: not_affected
    justification: vulnerable_code_not_in_execute_path
    impact_statement: reviewed by t1501
    expires: $1
EOF
}
exc 2999-12-31
expect_exit 1 airlock scan "$T/b" --vulndb "$V" --policy "$T/exc.yaml" --json
jq -e --arg id "$xid" --arg p "$xproject" --arg v "$xversion" '.results[0].packages[] | select(.package.name == $p and .package.version == $v) |
      .airlock.findings[] | select(.id == $id) | .disposition == "suppressed" and .exception.justification == "vulnerable_code_not_in_execute_path"' \
    "$OUT" >/dev/null || fail "the exception did not suppress $xid"
exc 2020-01-31
expect_exit 1 airlock scan "$T/b" --vulndb "$V" --policy "$T/exc.yaml" --json
jq -e --arg id "$xid" --arg p "$xproject" --arg v "$xversion" '.results[0].packages[] | select(.package.name == $p and .package.version == $v) |
      .airlock.findings[] | select(.id == $id) | .disposition == "fail" and .exception_expired == "2020-01-31"' \
    "$OUT" >/dev/null || fail "an expired exception still suppressed $xid"
# an exception without an expiry, and an unknown key, are refused
sed -i '/expires/d' "$T/exc.yaml"
expect_exit 2 airlock scan "$T/b" --vulndb "$V" --policy "$T/exc.yaml"
expect_stderr_contains "needs expires"
printf 'fail_on: high\nfial_on: low\n' >"$T/typo.yaml"
expect_exit 2 airlock scan "$T/b" --policy "$T/typo.yaml"
expect_stderr_contains "unknown key 'fial_on'"

# ---------------------------------------------------------------- phone home
jq -e '[.phone_home[] | select(.artifact == "tele-demo")] as $t |
       ($t | map(select(.kind == "telemetry-sdk" and .what == "sentry_sdk" and .line == 3 and .file == "tele_demo/__init__.py" and .disposition == "allow")) | length == 1) and
       ($t | map(select(.kind == "outside-host")) | map(.what) == ["ingest.vendor-telemetry.io"])' \
    "$T/scan.json" >/dev/null || { jq '.phone_home' "$T/scan.json" >&2; fail "the telemetry import or the host was not found as expected (the docstring URL and localhost are not hosts)"; }

# ---------------------------------------------------------------- not verified, not scanned
blob=$(find "$T/b/blobs/sha256" -type f -size -2k -print -quit)
chmod u+w "$blob"
printf 'x' >>"$blob"
expect_exit 1 airlock scan "$T/b" --vulndb "$V"
expect_stderr_contains "FAILED verification: nothing was scanned"
