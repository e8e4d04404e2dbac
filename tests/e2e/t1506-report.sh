#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock report`: the reviewer's page, opened in headless Chromium. The sample bundle,
# signed by the builder and both security officers, with a custody record and a model
# card whose licence name carries markup, is scanned with the sample's advisories:
#   - Chromium renders it (a screenshot is taken) and the text of each section is there:
#     the verdict, the summary, every artifact with its pin, pip's advisory with its fix,
#     the licence (the markup shown as text, never as an element), the roles and keys
#     that signed, the custody record;
#   - the page has no script and refers to nothing outside itself;
#   - under a policy that fails at low, the page says FAIL; without --trust, the signatures
#     are shown as not checked;
#   - a damaged bundle gets no page, and a trust policy it does not meet neither.
. "$(dirname "$0")/trust-lib.sh"
need chromium jq python3
test_keys
make_sample "$S"
cat >"$S/models/tiny-model/README.md" <<'EOF'
---
license: "<script>alert(1)</script>"
---
# tiny
EOF
Bd=$T/bundle
expect_exit 0 airlock bundle create -f "$S/airlock.yaml" -o "$Bd" --quiet
sign_all "$Bd"
expect_exit 0 airlock custody add "$Bd" --key "$K/builder.key" --event packed --actor "build host" --medium "USB SN 7"
policy "$T/trust.yaml"
expect_exit 0 airlock report "$Bd" -o "$T/review.html" --vulndb "$S/osv" --trust "$T/trust.yaml"
expect_stdout_contains "to $T/review.html"

# ---------------------------------------------------------------- what Chromium shows
chrome() {
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$T/chromium-profile" "$@" </dev/null
}
chrome --dump-dom "file://$T/review.html" >"$T/dom.html" 2>"$T/chrome.err" || { cat "$T/chrome.err" >&2; fail "chromium --dump-dom failed"; }
grep -qi '<body' "$T/dom.html" || { cat "$T/chrome.err" >&2; fail "chromium gave no DOM"; }
chrome --screenshot="$T/review.png" --window-size=1280,2000 "file://$T/review.html" >/dev/null 2>>"$T/chrome.err" ||
    { cat "$T/chrome.err" >&2; fail "chromium --screenshot failed"; }
python3 - "$T/review.png" <<'PY' || fail "the screenshot is not a 1280x2000 PNG"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n" and len(d) > 20000, "not a PNG with content"
w, h = struct.unpack(">II", d[16:24])
assert (w, h) == (1280, 2000), (w, h)
PY
# the text of each section, by its id, from the DOM Chromium built
python3 - "$T/dom.html" "$T/sections.json" <<'PY' || fail "cannot read the DOM"
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sec, self.text, self.tags = None, {}, []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "section":
            self.sec = a.get("id")
        if a.get("id") == "verdict":
            self.sec = "verdict"
    def handle_endtag(self, tag):
        if tag == "section":
            self.sec = None
    def handle_data(self, d):
        if self.sec:
            self.text[self.sec] = self.text.get(self.sec, "") + " " + " ".join(d.split())
p = P()
p.feed(open(sys.argv[1]).read())
json.dump({"sections": p.text, "tags": sorted(set(p.tags))}, open(sys.argv[2], "w"))
PY
section_has() {
    jq -e --arg s "$1" --arg t "$2" '.sections[$s] // "" | contains($t)' "$T/sections.json" >/dev/null ||
        fail "section '$1' does not show '$2': $(jq -r --arg s "$1" '.sections[$s] // "(no such section)"' "$T/sections.json" | cut -c1-400)"
}
section_has verdict "Verdict: PASS"
section_has summary "demo-stack version 1"
section_has summary "sha256:$(sha256 "$Bd/SHA256SUMS")"
section_has summary "26 OSV records"
while IFS=$'\t' read -r kind name digest; do
    section_has artifacts "$name"
    section_has artifacts "$digest"
done < <(jq -r '.artifacts[] | [.kind, .name, .digest] | @tsv' "$Bd/airlock.json")
section_has artifacts "pypi:pip==23.0.1"
section_has vulnerabilities "PYSEC-2023-228"
section_has vulnerabilities "CVE-2023-5752"
section_has vulnerabilities "23.3"
section_has licenses "<script>alert(1)</script>"
section_has signatures "builder"
section_has signatures "$S1"
section_has signatures "$S2"
section_has custody "packed"
section_has custody "USB SN 7"
section_has phone_home "outside-host"
jq -e '.tags | index("script") == null' "$T/sections.json" >/dev/null || fail "the page has a script element"
if grep -Eio '<script|<link|<img|<iframe|src=|href=|url\(|@import' "$T/review.html" >"$T/refs"; then
    cat "$T/refs" >&2
    fail "the page refers to something outside itself"
fi

# ---------------------------------------------------------------- another verdict, no trust policy
printf 'fail_on: low\n' >"$T/strict.yaml"
expect_exit 0 airlock report "$Bd" -o "$T/strict.html" --vulndb "$S/osv" --policy "$T/strict.yaml"
grep -q 'class="verdict v-fail"' "$T/strict.html" || fail "under fail_on: low the page does not say FAIL"
grep -q "Not checked against a trust policy" "$T/strict.html" || fail "without --trust the signatures are not said to be unchecked"

# ---------------------------------------------------------------- no page for a bundle that fails
policy_of "$T/strict-trust.yaml" keys/outsider.pub "keys/security1.pub, keys/security2.pub" "builder"   # (only the outsider may build)
expect_exit 1 airlock report "$Bd" -o "$T/none.html" --trust "$T/strict-trust.yaml"
[ ! -e "$T/none.html" ] || fail "a page was written for a bundle its trust policy refuses"
cp -r "$Bd" "$T/damaged"
f=$(jq -r '.artifacts[] | select(.kind == "file") | .info.sha256' "$T/damaged/airlock.json")
chmod u+w "$T/damaged/blobs/sha256/$f"
printf 'x' >>"$T/damaged/blobs/sha256/$f"
expect_exit 1 airlock report "$T/damaged" -o "$T/none.html"
expect_stderr_contains "FAILED verification: no report"
[ ! -e "$T/none.html" ] || fail "a page was written for a damaged bundle"
note "the page renders in Chromium with every section; no script, nothing outside; failing bundles get none"
