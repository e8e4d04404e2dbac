#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scan.json in the bundle: `airlock scan --attach` writes the scan into the unsigned bundle
# directory and lists it in SHA256SUMS, so the signatures made next cover it (sha256sum -c
# agrees); verify and import show its verdict; a trust policy with `scan: {require: pass}`
# refuses a bundle without one, or whose verdict is worse, and `require: review` takes a
# review. Twins: attaching to a signed bundle or to a tar is refused; a scan.json changed
# after signing, or taken from another bundle, fails verification.
. "$(dirname "$0")/trust-lib.sh"
need sha256sum jq
test_keys
policy "$T/pass.yaml" "scan:" "  require: pass"
policy "$T/review.yaml" "scan:" "  require: review"
printf 'origins:\n  deny: ["file:*"]\n' >"$T/deny-files.yaml"
printf 'telemetry: review\n' >"$T/default.yaml"

# ---------------------------------------------------------------- attach, then sign
tiny_bundle "$T/ok" ok 1
expect_exit 0 airlock scan "$T/ok" --attach --policy "$T/default.yaml"
expect_stdout_contains "verdict: pass"
grep -q '  scan.json$' "$T/ok/SHA256SUMS" || fail "scan.json is not listed in SHA256SUMS"
(cd "$T/ok" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c fails on the bundle with its scan"
awk '{print $2}' "$T/ok/SHA256SUMS" | LC_ALL=C sort -c || fail "SHA256SUMS is no longer sorted by path"
jq -e '.verdict.result == "pass" and .airlock.name == "ok" and .airlock.version == 1' "$T/ok/scan.json" >/dev/null ||
    fail "scan.json is not this bundle's scan"
# attaching again (a rescan before signing) replaces it, once
expect_exit 0 airlock scan "$T/ok" --attach
[ "$(grep -c '  scan.json$' "$T/ok/SHA256SUMS")" -eq 1 ] || fail "scan.json is listed more than once"
expect_exit 0 airlock verify "$T/ok"
expect_stdout_contains "scan attached (scan.json): verdict pass"
sign_all "$T/ok"
expect_exit 0 airlock verify "$T/ok" --trust "$T/pass.yaml"
# the twins: attaching to a signed bundle, or to a tar
expect_exit 1 airlock scan "$T/ok" --attach
expect_stderr_contains "already signed"
tiny_bundle "$T/t" t 1
expect_exit 0 airlock bundle create -f "$T/spec$TINY_N/airlock.yaml" -o "$T/t.tar" --tar --quiet
expect_exit 64 airlock scan "$T/t.tar" --attach
expect_stderr_contains "needs the bundle as a directory"

# bundle create --scan: the same, in one step; with --tar it is refused
mkdir -p "$T/cs/files"
echo "made and scanned in one step" >"$T/cs/files/note.txt"
printf 'name: cs\nversion: 1\nexpires: 30d\nartifacts:\n  - kind: file\n    path: files/note.txt\n' >"$T/cs/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/cs/airlock.yaml" -o "$T/cs-b" --scan --scan-policy "$T/default.yaml" --quiet
expect_exit 0 airlock verify "$T/cs-b"
expect_stdout_contains "scan attached (scan.json): verdict pass"
expect_exit 1 airlock bundle create -f "$T/cs/airlock.yaml" -o "$T/cs-bad" --scan --scan-policy "$T/deny-files.yaml" --quiet
jq -e '.verdict.result == "fail"' "$T/cs-bad/scan.json" >/dev/null || fail "create --scan did not attach the failing verdict"
expect_exit 64 airlock bundle create -f "$T/cs/airlock.yaml" -o "$T/cs.tar" --tar --scan
[ ! -e "$T/cs.tar" ] || fail "create --tar --scan wrote a bundle"

# ---------------------------------------------------------------- the trust policy requires it
tiny_bundle "$T/none" none 1
sign_all "$T/none"
expect_exit 1 airlock verify "$T/none" --trust "$T/pass.yaml"
expect_stderr_contains "requires an attached scan"
tiny_bundle "$T/bad" bad 1
expect_exit 1 airlock scan "$T/bad" --attach --policy "$T/deny-files.yaml"
jq -e '.verdict.result == "fail"' "$T/bad/scan.json" >/dev/null || fail "the denied origin did not make the attached verdict fail"
sign_all "$T/bad"
expect_exit 1 airlock verify "$T/bad" --trust "$T/review.yaml"
expect_stderr_contains "the attached scan's verdict is fail; the trust policy requires review or pass"
# import: the store's policy decides, and the verdict is shown
expect_exit 0 airlock init --store "$T/store" --trust "$T/pass.yaml"
expect_exit 0 airlock import "$T/ok" --store "$T/store"
expect_stdout_contains "verdict pass"
expect_exit 1 airlock import "$T/none" --store "$T/store"
expect_stderr_contains "requires an attached scan"
expect_exit 1 airlock import "$T/bad" --store "$T/store" --json
jq -e '.status == "rejected" and .scan == "fail"' "$OUT" >/dev/null || fail "import --json does not show the refused bundle's verdict"
expect_exit 0 airlock store trust show --store "$T/store"
expect_stdout_contains "require: pass"

# ---------------------------------------------------------------- scan.json changed after signing, or another bundle's
cp -r "$T/ok" "$T/edited"
chmod u+w "$T/edited/scan.json"
jq '.verdict.failing = 0 | .verdict.note = "edited"' "$T/ok/scan.json" >"$T/edited/scan.json"
expect_exit 1 airlock verify "$T/edited"
expect_stderr_contains "digest mismatch for 'scan.json'"
(cd "$T/edited" && ! sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1) || fail "sha256sum -c accepts the edited scan.json"
tiny_bundle "$T/other" other 1
cp "$T/ok/scan.json" "$T/other/scan.json"
h=$(sha256 "$T/other/scan.json")
{ cat "$T/other/SHA256SUMS"; printf '%s  scan.json\n' "$h"; } | LC_ALL=C sort -k2 >"$T/sums" && cp "$T/sums" "$T/other/SHA256SUMS"
expect_exit 1 airlock verify "$T/other"
expect_stderr_contains "'scan.json' is the scan of another bundle (ok version 1)"
note "attached before signing, covered by SHA256SUMS; the trust policy requires it; edits and strays refused"
