#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The PyPI simple API of `airlock serve`, checked with curl against the specs (PEP 503,
# 592, 629, 658, 691, 700, 714) and the contract (docs/cmd/serve.md), every expected value
# computed here from Debian's wheels in /usr/share/python-wheels:
# - /simple/ in HTML and JSON, chosen by Accept (q-values, pip's own header, the
#   `latest` alias answered with the concrete v1 type) or by ?format=; 406 when nothing
#   acceptable; exact Content-Types.
# - each project page: one anchor per file whose text is the file name, href ending in it,
#   #sha256= the wheel's sha256, data-requires-python HTML-escaped, data-core-metadata and
#   data-dist-info-metadata the sha256 of the .metadata file served, which is byte for
#   byte the wheel's *.dist-info/METADATA; the JSON page with api-version 1.1, versions,
#   hashes, size, requires-python, core-metadata (and no JSON dist-info-metadata, which
#   pip 22.3-23.1 crash on: PEP 714).
# - 301 from unnormalized names and missing slashes to /simple/NAME/; 404 for unknown ones.
# - /packages/: the wheel byte for byte, HEAD (200, Content-Length, Accept-Ranges, no body
#   on a kept-alive connection), ranges (bytes=N-, 0-0, -N, 416), ETag with If-None-Match
#   and If-Range.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl jq python3

HTML=application/vnd.pypi.simple.v1+html
JSONT=application/vnd.pypi.simple.v1+json
PIP_ACCEPT="$JSONT, $HTML; q=0.1, text/html; q=0.01"   # what pip >= 22.2 sends
PROJECTS="pip setuptools wheel"
for p in $PROJECTS; do wheel_of "$p" >/dev/null; done
serve_store
serve_start

# expect_html NAME: a 200 whose Content-Type is one of the two HTML types of PEP 691.
expect_html() {
    expect_code "$1" 200
    case "$(media_type "$1")" in
    text/html | "$HTML") ;;
    *) fail "request '$1': Content-Type '$(hdr "$1" Content-Type)' is not HTML" ;;
    esac
}
expect_json() {
    expect_code "$1" 200
    expect_content_type "$1" "$JSONT"
    jq -e . "$T/http/$1.body" >/dev/null || fail "request '$1': the body is not JSON"
}
# location_is NAME URL: a 301 whose Location (resolved against the request URL) is URL.
location_is() {
    local got
    expect_code "$1" 301
    got=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urljoin(sys.argv[1], sys.argv[2]))' \
        "$2" "$(hdr "$1" Location)")
    assert_eq "$got" "$3" "Location of the redirect '$1'"
}

# ------------------------------------------------------------------ the checkers

# check-html.py BODY PAGEURL FILENAME SHA256 REQUIRES_PYTHON METADATA_SHA256
# prints the file's absolute URL (without the fragment)
cat >"$T/check-html.py" <<'PY'
import html, os, re, sys, urllib.parse
sys.path.insert(0, os.environ["E2E_DIR"])
import simplehtml
body, page, fname, sha, rp, msha = sys.argv[1:7]
text = open(body, encoding="utf-8").read()

p = simplehtml.Page(text)
assert text.lstrip().lower().startswith("<!doctype html"), "no <!DOCTYPE html>"
assert p.meta.get("pypi:repository-version") == "1.1", \
    "meta pypi:repository-version is %r, expected '1.1'" % p.meta.get("pypi:repository-version")
assert len(p.anchors) == 1, "%d anchors, expected 1: %r" % (len(p.anchors), p.anchors)
attrs, label = p.anchors[0]
assert label == fname, "anchor text %r, expected %r" % (label, fname)
href = attrs.get("href")
assert href, "no href"
url, _, frag = urllib.parse.urljoin(page, href).partition("#")
assert urllib.parse.unquote(url.rsplit("/", 1)[1]) == fname, "href %r does not end in %r" % (href, fname)
assert frag == "sha256=" + sha, "href fragment %r, expected sha256=%s" % (frag, sha)
assert attrs.get("data-core-metadata") == "sha256=" + msha, \
    "data-core-metadata %r, expected sha256=%s" % (attrs.get("data-core-metadata"), msha)
assert attrs.get("data-dist-info-metadata") == attrs.get("data-core-metadata"), \
    "data-dist-info-metadata %r differs from data-core-metadata" % attrs.get("data-dist-info-metadata")
assert "data-yanked" not in attrs, "the file is marked yanked"
# data-requires-python: the value, and '<' '>' escaped in the raw markup (PEP 503)
tag = re.search(r"<a\s.*?</a>", text, re.S | re.I).group(0)   # raw, whatever it holds
raw = re.search(r'data-requires-python\s*=\s*("([^"]*)"|\'([^\']*)\')', tag)
if rp:
    assert raw, "no data-requires-python in %r" % tag
    v = raw.group(2) if raw.group(2) is not None else raw.group(3)
    assert "<" not in v and ">" not in v, "data-requires-python not escaped: %r" % v
    assert html.unescape(v) == rp, "data-requires-python %r, expected %r" % (html.unescape(v), rp)
    assert attrs.get("data-requires-python") == rp
    if ">" in rp:
        assert "&gt;" in v, "'>' in data-requires-python is not written &gt;: %r" % v
else:
    assert not raw, "data-requires-python on a wheel without Requires-Python"
print(url)
PY

# check-json.py BODY PAGEURL PROJECT VERSION FILENAME SHA256 SIZE REQUIRES_PYTHON METADATA_SHA256
# prints the file's absolute URL
cat >"$T/check-json.py" <<'PY'
import json, re, sys, urllib.parse
body, page, proj, ver, fname, sha, size, rp, msha = sys.argv[1:10]
d = json.load(open(body, encoding="utf-8"))
assert d["meta"]["api-version"] == "1.1", "api-version %r" % d["meta"].get("api-version")
assert d["name"] == proj, "name %r, expected %r" % (d["name"], proj)
assert d["versions"] == [ver], "versions %r, expected [%r]" % (d["versions"], ver)
assert len(d["files"]) == 1, "%d files" % len(d["files"])
f = d["files"][0]
assert f["filename"] == fname, "filename %r" % f["filename"]
url = urllib.parse.urljoin(page, f["url"])
assert "#" not in url, "url with a fragment: %r" % url
assert urllib.parse.unquote(url.rsplit("/", 1)[1]) == fname, "url %r does not end in %r" % (url, fname)
assert f["hashes"] == {"sha256": sha}, "hashes %r, expected sha256 %s" % (f["hashes"], sha)
assert f["size"] == int(size) and type(f["size"]) is int, "size %r, expected %s" % (f["size"], size)
if rp:
    assert f.get("requires-python") == rp, "requires-python %r, expected %r" % (f.get("requires-python"), rp)
else:
    assert f.get("requires-python") in (None,), "requires-python %r" % f.get("requires-python")
assert f.get("core-metadata") == {"sha256": msha}, "core-metadata %r, expected sha256 %s" % (f.get("core-metadata"), msha)
# PEP 714: servers should not emit the old key in JSON: pip 22.3-23.1 (Debian 12's is
# 23.0.1) fail hard on a dict there (pypa/pip#12042).
assert "dist-info-metadata" not in f, "JSON 'dist-info-metadata' breaks pip 22.3-23.1"
assert f.get("yanked", False) is False, "yanked %r" % f.get("yanked")
if "upload-time" in f:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z", f["upload-time"]), f["upload-time"]
print(url)
PY

# check-root.py BODY PAGEURL FORMAT PROJECT...: the project list has exactly PROJECTS
cat >"$T/check-root.py" <<'PY'
import json, os, re, sys, urllib.parse
sys.path.insert(0, os.environ["E2E_DIR"])
import simplehtml
body, page, fmt, projects = sys.argv[1], sys.argv[2], sys.argv[3], sorted(sys.argv[4:])
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
text = open(body, encoding="utf-8").read()
if fmt == "json":
    d = json.loads(text)
    assert d["meta"]["api-version"] == "1.1", "api-version %r" % d["meta"].get("api-version")
    names = sorted(norm(p["name"]) for p in d["projects"])
    assert names == projects, "projects %r, expected %r" % (names, projects)
    sys.exit(0)
p = simplehtml.Page(text)
assert p.meta.get("pypi:repository-version") == "1.1", "meta pypi:repository-version %r" % p.meta.get("pypi:repository-version")
anchors = [(attrs.get("href"), t) for attrs, t in p.anchors]
got = sorted(norm(t.strip()) for _, t in anchors)
assert got == projects, "anchors %r, expected %r" % (got, projects)
for href, t in anchors:
    u = urllib.parse.urljoin(page, href)
    assert u == page + norm(t.strip()) + "/", "%r links to %r" % (t, u)
PY

# ------------------------------------------------------------------ /simple/

fetch root-html "$URL/simple/" -H 'Accept: text/html'
expect_html root-html
python3 "$T/check-root.py" "$T/http/root-html.body" "$URL/simple/" html $PROJECTS ||
    fail "/simple/ (HTML) is not the project list"
fetch root-v1html "$URL/simple/" -H "Accept: $HTML"
expect_code root-v1html 200
expect_content_type root-v1html "$HTML"
python3 "$T/check-root.py" "$T/http/root-v1html.body" "$URL/simple/" html $PROJECTS ||
    fail "/simple/ ($HTML) is not the project list"
fetch root-json "$URL/simple/" -H "Accept: $JSONT"
expect_json root-json
python3 "$T/check-root.py" "$T/http/root-json.body" "$URL/simple/" json $PROJECTS ||
    fail "/simple/ (JSON) is not the project list"
fetch root-pip "$URL/simple/" -H "Accept: $PIP_ACCEPT"
expect_json root-pip
fetch root-latest "$URL/simple/" -H 'Accept: application/vnd.pypi.simple.latest+json'
expect_json root-latest     # the concrete v1 type, never 'latest'
fetch root-q "$URL/simple/" -H "Accept: $JSONT;q=0.2, $HTML;q=0.9"
expect_code root-q 200
expect_content_type root-q "$HTML"
fetch root-q0 "$URL/simple/" -H "Accept: $JSONT;q=0, text/html"
expect_html root-q0
fetch root-none "$URL/simple/" -H 'Accept:'
expect_code root-none 200
case "$(media_type root-none)" in text/html | "$HTML" | "$JSONT") ;; *) fail "/simple/ without Accept: Content-Type '$(hdr root-none Content-Type)'" ;; esac
fetch root-fmt-json "$URL/simple/?format=application/vnd.pypi.simple.v1%2Bjson" -H 'Accept: text/html'
expect_json root-fmt-json
python3 "$T/check-root.py" "$T/http/root-fmt-json.body" "$URL/simple/" json $PROJECTS ||
    fail "/simple/?format=json is not the project list"
fetch root-fmt-html "$URL/simple/?format=application/vnd.pypi.simple.v1%2Bhtml" -H "Accept: $JSONT"
expect_code root-fmt-html 200
expect_content_type root-fmt-html "$HTML"
for a in 'image/png' 'application/json' 'application/vnd.pypi.simple.v2+json' "$JSONT;q=0"; do
    fetch root-406 "$URL/simple/" -H "Accept: $a"
    expect_code root-406 406
    fetch proj-406 "$URL/simple/wheel/" -H "Accept: $a"
    expect_code proj-406 406
done
fetch root-noslash "$URL/simple"
case "$CODE" in
301 | 308) location_is root-noslash "$URL/simple" "$URL/simple/" ;;
*) fail "/simple without its slash answered $CODE; PEP 503: redirect to /simple/" ;;
esac

# ------------------------------------------------------------------ each project

for p in $PROJECTS; do
    W=$(wheel_of "$p")
    F=$(basename "$W")
    VER=$(wheel_version "$W")
    H=$(sha256 "$W")
    SIZE=$(stat -c %s "$W")
    wheel_metadata "$W" "$T/$p.METADATA"
    MH=$(sha256 "$T/$p.METADATA")
    RP=$(metadata_field "$T/$p.METADATA" Requires-Python)
    note "$p: $F sha256 $H, Requires-Python '$RP', METADATA sha256 $MH"
    page=$URL/simple/$p/

    fetch "$p-html" "$page" -H 'Accept: text/html'
    expect_html "$p-html"
    furl=$(python3 "$T/check-html.py" "$T/http/$p-html.body" "$page" "$F" "$H" "$RP" "$MH") ||
        fail "the HTML page of $p: see above"
    fetch "$p-v1html" "$page" -H "Accept: $HTML"
    expect_code "$p-v1html" 200
    expect_content_type "$p-v1html" "$HTML"
    python3 "$T/check-html.py" "$T/http/$p-v1html.body" "$page" "$F" "$H" "$RP" "$MH" >/dev/null ||
        fail "the $HTML page of $p: see above"

    for how in accept pip format; do
        case $how in
        accept) fetch "$p-json" "$page" -H "Accept: $JSONT" ;;
        pip) fetch "$p-json" "$page" -H "Accept: $PIP_ACCEPT" ;;
        format) fetch "$p-json" "$page?format=application/vnd.pypi.simple.v1%2Bjson" -H 'Accept: text/html' ;;
        esac
        expect_json "$p-json"
        jurl=$(python3 "$T/check-json.py" "$T/http/$p-json.body" "$page" "$p" "$VER" "$F" "$H" "$SIZE" "$RP" "$MH") ||
            fail "the JSON page of $p ($how): see above"
        assert_eq "$jurl" "$furl" "the file URL in the JSON and the HTML page of $p"
    done

    # the file and its metadata, byte for byte
    fetch "$p-whl" "$furl"
    expect_code "$p-whl" 200
    body_is "$p-whl" "$W"
    assert_eq "$(hdr "$p-whl" Content-Length)" "$SIZE" "Content-Length of $F"
    assert_eq "$(hdr "$p-whl" Accept-Ranges)" bytes "Accept-Ranges of $F"
    fetch "$p-meta" "$furl.metadata"
    expect_code "$p-meta" 200
    body_is "$p-meta" "$T/$p.METADATA"
    assert_eq "$(sha256 "$T/http/$p-meta.body")" "$MH" "sha256 of $F.metadata"

    # redirects to the normalized name with its slash, in one hop
    upper=$(printf '%s' "$p" | tr 'a-z' 'A-Z')
    capital=$(printf '%s' "${p:0:1}" | tr 'a-z' 'A-Z')${p:1}
    for bad in "$capital/" "$p" "$upper"; do
        fetch "$p-redirect" "$URL/simple/$bad"
        location_is "$p-redirect" "$URL/simple/$bad" "$page"
    done
    fetch "$p-follow" "$URL/simple/$capital" -L -H "Accept: $JSONT"
    expect_json "$p-follow"
done

# unknown projects and files
for u in /simple/no-such-project/ /simple/no-such-project/?format=application/vnd.pypi.simple.v1%2Bjson \
    /packages/no_such-1.0-py3-none-any.whl "/packages/$F.metadata.metadata" "/packages/${F%.whl}.zip"; do
    fetch unknown "$URL$u" -H "Accept: $PIP_ACCEPT"
    expect_code unknown 404
done
fetch unknown-json "$URL/simple/no-such-project/" -H "Accept: $JSONT"
expect_code unknown-json 404

# ------------------------------------------------------------------ HEAD, ranges, ETag

W=$(wheel_of wheel)
F=$(basename "$W")
SIZE=$(stat -c %s "$W")
fetch head "$URL/packages/$F" -I
expect_code head 200
assert_eq "$(hdr head Content-Length)" "$SIZE" "Content-Length of HEAD $F"
assert_eq "$(hdr head Accept-Ranges)" bytes "Accept-Ranges of HEAD $F"
ETAG=$(hdr head ETag)
[ -n "$ETAG" ] || fail "HEAD $F: no ETag"

# HEAD sends no body: on one kept-alive connection, HEAD then GET must both parse
cat >"$T/head-then-get.py" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request("HEAD", u.path)
r = c.getresponse()
assert r.status == 200, "HEAD %d" % r.status
assert r.getheader("Content-Length") == sys.argv[3], "HEAD Content-Length %r" % r.getheader("Content-Length")
r.read()
c.request("GET", u.path)
r = c.getresponse()
assert r.status == 200, "GET after HEAD: %d" % r.status
assert r.read() == open(sys.argv[2], "rb").read(), "GET after HEAD: other bytes"
PY
python3 "$T/head-then-get.py" "$URL/packages/$F" "$W" "$SIZE" || fail "HEAD then GET on one connection"

N=$((SIZE / 2 + 7))
fetch resume "$URL/packages/$F" -H "Range: bytes=$N-"
expect_code resume 206
assert_eq "$(hdr resume Content-Range)" "bytes $N-$((SIZE - 1))/$SIZE" "Content-Range of bytes=$N-"
assert_eq "$(hdr resume Content-Length)" "$((SIZE - N))" "Content-Length of bytes=$N-"
tail -c "$((SIZE - N))" "$W" >"$T/tail"
body_is resume "$T/tail"

fetch first "$URL/packages/$F" -H 'Range: bytes=0-0'
expect_code first 206
assert_eq "$(hdr first Content-Range)" "bytes 0-0/$SIZE" "Content-Range of bytes=0-0"
head -c 1 "$W" >"$T/first"
body_is first "$T/first"

fetch suffix "$URL/packages/$F" -H 'Range: bytes=-100'
expect_code suffix 206
assert_eq "$(hdr suffix Content-Range)" "bytes $((SIZE - 100))-$((SIZE - 1))/$SIZE" "Content-Range of bytes=-100"
tail -c 100 "$W" >"$T/last100"
body_is suffix "$T/last100"

fetch beyond "$URL/packages/$F" -H "Range: bytes=$SIZE-"
expect_code beyond 416
assert_eq "$(hdr beyond Content-Range)" "bytes */$SIZE" "Content-Range of an unsatisfiable range"

fetch inm "$URL/packages/$F" -H "If-None-Match: $ETAG"
expect_code inm 304
[ ! -s "$T/http/inm.body" ] || fail "a 304 with a body"
fetch inm-other "$URL/packages/$F" -H 'If-None-Match: "0000"'
expect_code inm-other 200
body_is inm-other "$W"

fetch ifrange "$URL/packages/$F" -H "Range: bytes=$N-" -H "If-Range: $ETAG"
expect_code ifrange 206
body_is ifrange "$T/tail"
fetch ifrange-stale "$URL/packages/$F" -H "Range: bytes=$N-" -H 'If-Range: "0000"'
expect_code ifrange-stale 200
body_is ifrange-stale "$W"

# the .metadata file is a file like the others
fetch meta-range "$URL/packages/$F.metadata" -H 'Range: bytes=0-9'
expect_code meta-range 206
head -c 10 "$T/wheel.METADATA" >"$T/meta10"
body_is meta-range "$T/meta10"

serve_alive
serve_stop
