#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The PyPI index of `airlock serve` with wheels made here (python3 zipfile) to reach what
# Debian's wheels cannot:
# - a project whose name needs PEP 503 normalization (Name: Air_Lock.Demo, served as
#   air-lock-demo; /simple/Air_Lock.Demo/, /simple/AIR--LOCK__DEMO and
#   /simple/air.lock.demo/ redirect to /simple/air-lock-demo/);
# - two versions of it: 0.1 with Requires-Python '>=3.7, <4' (both '<' and '>' escaped in
#   the HTML) and 0.2 with '>=4'; a project with no Requires-Python at all and a UTF-8
#   METADATA (served byte for byte);
# - the wheels are imported into a store the server is already serving (empty until then:
#   valid empty pages), and are served from the next request on;
# - every pip installs 'Air_Lock.Demo' from the index and gets 0.1 (data-requires-python
#   is honoured), refuses 'air-lock-demo==0.2' naming the Requires-Python, installs it with
#   --ignore-requires-python (so the file itself is fine), and downloads the other project
#   byte for byte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl jq python3

pip_setup
JSONT=application/vnd.pypi.simple.v1+json

# mkwheel DIR NAME VERSION REQUIRES_PYTHON ('' for none): a minimal valid pure wheel
# (METADATA, WHEEL, RECORD with sha256 of each file; a module 'MODULE' with VERSION).
mkdir -p "$T/src/wheels"
cat >"$T/mkwheel.py" <<'PY'
import base64, hashlib, re, sys, zipfile
out, name, version, rp, module = sys.argv[1:6]
dist = re.sub(r"[-_.]+", "_", name).lower()
fname = "%s/%s-%s-py3-none-any.whl" % (out, dist, version)
info = "%s-%s.dist-info" % (dist, version)
meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
meta += "Summary: airlock e2e fixture \u00fcn\u00efc\u00f6d\u00e9 \u2713\n"
if rp:
    meta += "Requires-Python: %s\n" % rp
meta += "\nA fixture for t1104.\n"
files = {
    module + "/__init__.py": 'VERSION = "%s"\n' % version,
    info + "/METADATA": meta,
    info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: airlock-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
for path, text in files.items():
    data = text.encode()
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record += "%s,sha256=%s,%d\n" % (path, h, len(data))
record += info + "/RECORD,,\n"
files[info + "/RECORD"] = record
with zipfile.ZipFile(fname, "w", zipfile.ZIP_DEFLATED) as z:
    for path, text in files.items():
        zi = zipfile.ZipInfo(path, (2024, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        z.writestr(zi, text.encode())
print(fname)
PY
W01=$(python3 "$T/mkwheel.py" "$T/src/wheels" Air_Lock.Demo 0.1 '>=3.7, <4' airlock_demo_mod) || fail "mkwheel 0.1"
W02=$(python3 "$T/mkwheel.py" "$T/src/wheels" Air_Lock.Demo 0.2 '>=4' airlock_demo_mod) || fail "mkwheel 0.2"
WZ=$(python3 "$T/mkwheel.py" "$T/src/wheels" Zest.Other_Pkg 1.0 '' zest_other_mod) || fail "mkwheel zest"
cat >"$T/src/airlock.yaml" <<'EOF'
name: pypi-names
version: 1
artifacts:
  - kind: wheel
    path: wheels
EOF

STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
serve_start

# ------------------------------------------------------------------ empty store: empty index
fetch empty-json "$URL/simple/" -H "Accept: $JSONT"
expect_code empty-json 200
expect_content_type empty-json "$JSONT"
assert_eq "$(jq -c '[.meta."api-version", .projects]' "$T/http/empty-json.body")" '["1.1",[]]' "/simple/ of an empty store"
fetch empty-html "$URL/simple/" -H 'Accept: text/html'
expect_code empty-html 200
grep -qi '<a ' "$T/http/empty-html.body" && fail "/simple/ of an empty store has anchors"
fetch before "$URL/simple/air-lock-demo/"
expect_code before 404

# ------------------------------------------------------------------ import while serving
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/bundle" --quiet
expect_exit 0 airlock import "$T/bundle" --store "$STORE" --allow-unsigned -q
serve_alive

# check-page.py HTMLBODY JSONBODY PAGEURL PROJECT WHEEL...: both forms list exactly these
# wheels, each with its sha256, size, Requires-Python (escaped in HTML, absent when the
# wheel has none) and the sha256 of its METADATA; prints each file's URL
cat >"$T/check-page.py" <<'PY'
import hashlib, html, json, os, re, sys, urllib.parse, zipfile
sys.path.insert(0, os.environ["E2E_DIR"])
import simplehtml
hbody, jbody, page, proj = sys.argv[1:5]
wheels = sys.argv[5:]
want = {}
for w in wheels:
    with zipfile.ZipFile(w) as z:
        n = [x for x in z.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", x)][0]
        meta = z.read(n)
    rp = None
    for line in meta.decode().split("\n"):
        if line.startswith("Requires-Python: "):
            rp = line.split(": ", 1)[1]
    want[os.path.basename(w)] = dict(sha=hashlib.sha256(open(w, "rb").read()).hexdigest(),
        size=os.path.getsize(w), rp=rp, msha=hashlib.sha256(meta).hexdigest(),
        version=os.path.basename(w).split("-")[1])

text = open(hbody, encoding="utf-8").read()
p = simplehtml.Page(text)
raws = re.findall(r"<a\s.*?</a>", text, re.S | re.I)
assert len(p.anchors) == len(want) == len(raws), "%d anchors, expected %d" % (len(p.anchors), len(want))
urls = {}
for (attrs, label), raw in zip(p.anchors, raws):
    assert label in want, "unexpected anchor %r" % label
    w = want[label]
    url, _, frag = urllib.parse.urljoin(page, attrs["href"]).partition("#")
    assert urllib.parse.unquote(url.rsplit("/", 1)[1]) == label, "href %r" % attrs["href"]
    assert frag == "sha256=" + w["sha"], "%s: fragment %r" % (label, frag)
    assert attrs.get("data-core-metadata") == "sha256=" + w["msha"], "%s: data-core-metadata %r" % (label, attrs.get("data-core-metadata"))
    assert attrs.get("data-dist-info-metadata") == "sha256=" + w["msha"], "%s: data-dist-info-metadata %r" % (label, attrs.get("data-dist-info-metadata"))
    m = re.search(r'data-requires-python\s*=\s*"([^"]*)"', raw)
    if w["rp"] is None:
        assert m is None and "data-requires-python" not in attrs, "%s: data-requires-python without Requires-Python" % label
    else:
        assert m, "%s: no data-requires-python" % label
        v = m.group(1)
        assert "<" not in v and ">" not in v, "%s: data-requires-python not escaped: %r" % (label, v)
        assert html.unescape(v) == w["rp"], "%s: data-requires-python %r, expected %r" % (label, html.unescape(v), w["rp"])
    urls[label] = url

d = json.load(open(jbody, encoding="utf-8"))
assert d["meta"]["api-version"] == "1.1"
assert d["name"] == proj, "name %r, expected %r" % (d["name"], proj)
assert sorted(d["versions"]) == sorted({w["version"] for w in want.values()}), "versions %r" % d["versions"]
assert sorted(f["filename"] for f in d["files"]) == sorted(want), "files %r" % [f["filename"] for f in d["files"]]
for f in d["files"]:
    w = want[f["filename"]]
    assert urllib.parse.urljoin(page, f["url"]) == urls[f["filename"]], "%s: JSON url %r" % (f["filename"], f["url"])
    assert f["hashes"] == {"sha256": w["sha"]}, "%s: hashes %r" % (f["filename"], f["hashes"])
    assert f["size"] == w["size"], "%s: size %r, expected %d" % (f["filename"], f["size"], w["size"])
    assert f.get("requires-python") == w["rp"], "%s: requires-python %r, expected %r" % (f["filename"], f.get("requires-python"), w["rp"])
    assert f.get("core-metadata") == {"sha256": w["msha"]}, "%s: core-metadata %r" % (f["filename"], f.get("core-metadata"))
    assert "dist-info-metadata" not in f, "JSON 'dist-info-metadata' breaks pip 22.3-23.1 (PEP 714)"
for u in urls.values():
    print(u)
PY

check_project() {   # PROJECT WHEEL...
    local proj=$1 page u w
    shift
    page=$URL/simple/$proj/
    fetch "$proj-html" "$page" -H 'Accept: text/html'
    expect_code "$proj-html" 200
    fetch "$proj-json" "$page" -H "Accept: $JSONT"
    expect_code "$proj-json" 200
    expect_content_type "$proj-json" "$JSONT"
    python3 "$T/check-page.py" "$T/http/$proj-html.body" "$T/http/$proj-json.body" "$page" "$proj" "$@" \
        >"$T/$proj.urls" || fail "the pages of $proj: see above"
    for w in "$@"; do
        u=$(grep -F "/$(basename "$w")" "$T/$proj.urls") || fail "no URL for $(basename "$w")"
        fetch file "$u"
        expect_code file 200
        body_is file "$w"
        wheel_metadata "$w" "$T/METADATA"
        fetch meta "$u.metadata"
        expect_code meta 200
        body_is meta "$T/METADATA"
    done
}
check_project air-lock-demo "$W01" "$W02"
check_project zest-other-pkg "$WZ"

fetch root "$URL/simple/" -H "Accept: $JSONT"
expect_code root 200
assert_eq "$(jq -r '[.projects[].name | ascii_downcase | gsub("[-_.]+"; "-")] | sort | join(",")' "$T/http/root.body")" \
    air-lock-demo,zest-other-pkg "projects of /simple/"

for bad in Air_Lock.Demo/ AIR--LOCK__DEMO air.lock.demo/ air-lock-demo Zest.Other_Pkg/; do
    want=$(printf '%s' "$bad" | tr -d / | sed -E 's/[-_.]+/-/g' | tr 'A-Z' 'a-z')
    fetch redirect "$URL/simple/$bad"
    expect_code redirect 301
    got=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urljoin(sys.argv[1], sys.argv[2]))' \
        "$URL/simple/$bad" "$(hdr redirect Location)")
    assert_eq "$got" "$URL/simple/$want/" "Location for /simple/$bad"
done

# ------------------------------------------------------------------ pip
i=0
for py in "${PIP_PYS[@]}"; do
    i=$((i + 1))
    pv=$(pip_version "$py")
    note "client $i: pip $pv of $py"

    pip_venv "$T/a$i" "$py"
    expect_exit 0 pip_for "$py" --python "$T/a$i/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir Air_Lock.Demo
    expect_exit 0 "$T/a$i/bin/python" -c 'import importlib.metadata as m, airlock_demo_mod as d; print(m.version("air-lock-demo"), d.VERSION)'
    assert_eq "$(cat "$OUT")" "0.1 0.1" "pip $pv installed (0.2 requires Python >= 4)"

    pip_venv "$T/b$i" "$py"
    expect_exit 1 pip_for "$py" --python "$T/b$i/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir air-lock-demo==0.2
    expect_stderr_contains "Requires-Python >=4"
    expect_exit 1 "$T/b$i/bin/python" -c 'import airlock_demo_mod'
    expect_exit 0 pip_for "$py" --python "$T/b$i/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir --ignore-requires-python air-lock-demo==0.2
    expect_exit 0 "$T/b$i/bin/python" -c 'import airlock_demo_mod as d; print(d.VERSION)'
    assert_eq "$(cat "$OUT")" 0.2 "pip $pv --ignore-requires-python installed"

    expect_exit 0 pip_for "$py" download --no-deps --no-cache-dir --index-url "$URL/simple/" \
        -d "$T/dl$i" Zest.Other_Pkg
    cmp -s "$WZ" "$T/dl$i/$(basename "$WZ")" || fail "pip $pv download: $(basename "$WZ") differs"
done

serve_alive
serve_stop
