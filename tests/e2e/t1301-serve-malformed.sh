#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, malformed requests: malformed digests (short, upper-case hex, wrong length,
# sha512 of the wrong length, md5, no colon, empty) are 400 DIGEST_INVALID on blobs,
# manifests and referrers, while a well-formed unknown digest is 404 BLOB_UNKNOWN and the
# real one 200; invalid repository names are 400 NAME_INVALID (an unknown valid one 404
# NAME_UNKNOWN); invalid tags are refused with a spec code; /simple/ names no project can
# have are refused (or redirected only to a valid URI); invalid Range headers
# (bytes=abc, 5-2, several ranges, numbers past 2^64, -0, past the end) never give a
# wrong 206; a request line over 64 KiB and a header block over 32 KiB are refused (414/
# 431 or a closed connection) while a 24 KiB header block is served; bad HTTP versions,
# garbage bytes, a TLS hello, unknown methods, CONNECT and TRACE, a missing or doubled
# Host, broken header lines and contradictory Content-Length are refused with the right
# status; pipelined requests are answered in order. Every 4xx under /v2/ carries the
# spec's JSON error body with a code that goes with its status. The server survives all
# of it and still answers correctly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl jq

serve_store
serve_start

failed=
python3 - >"$T/malformed.out" 2>&1 <<'PY' || failed="malformed requests were mishandled"
import json, os, random, re, sys
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp

hp, S, STORE = os.environ["HOSTPORT"], os.environ["S"], os.environ["STORE"]
problems = []
count = [0]

rd = rawhttp.read

def prob(what, r, why):
    problems.append("%s: %s -- %s" % (what, why, r.describe() if r is not None else ""))

idx = json.loads(rd(os.path.join(S, "images/app-oci/index.json")))
mdig = idx["manifests"][0]["digest"]
blob = lambda d: rd(os.path.join(STORE, "blobs/sha256", d.split(":", 1)[1]))
man = json.loads(blob(mdig))
layer = man["layers"][0]["digest"]
LAYER = blob(layer)
N = len(LAYER)
hexd = layer.split(":", 1)[1]
RUNBOOK = rd(os.path.join(S, "files/runbook.txt"))

def send(method, target, headers=None, version="HTTP/1.1", body=b""):
    count[0] += 1
    return rawhttp.request(hp, method, target, headers, body=body, version=version)

def expect(method, target, statuses, codes=None, headers=None, body_eq=None):
    """statuses: the acceptable statuses; codes: the acceptable OCI codes (under /v2/)."""
    r = send(method, target, headers)
    what = "%s %s%s" % (method, target[:120], " " + repr(headers) if headers else "")
    if r.status not in statuses:
        prob(what, r, "expected %s" % (statuses,))
        return r
    if target.startswith("/v2/") and 400 <= r.status < 500 and method != "HEAD":
        p = rawhttp.oci_error_problem(r)
        if p:
            prob(what, r, "not the spec's error body: " + p)
        elif codes and not set(rawhttp.oci_codes(r)) & set(codes):
            prob(what, r, "expected code %s" % (codes,))
    if body_eq is not None and r.status == 200 and r.body != body_eq:
        prob(what, r, "200 but not the stored bytes")
    return r

# ------------------------------------------------------------------ twins
r = expect("GET", "/v2/myorg/app/blobs/" + layer, (200,), body_eq=LAYER)
if r.header("docker-content-digest") != layer:
    prob("GET blob", r, "Docker-Content-Digest is not " + layer)
expect("HEAD", "/v2/myorg/app/blobs/" + layer, (200,))
expect("GET", "/v2/myorg/app/manifests/1.4", (200,), body_eq=blob(mdig))
expect("GET", "/v2/myorg/app/manifests/" + mdig, (200,), body_eq=blob(mdig))
expect("GET", "/v2/myorg/app/blobs/sha256:" + "0" * 64, (404,), ("BLOB_UNKNOWN",))
expect("GET", "/v2/myorg/app/manifests/sha256:" + "0" * 64, (404,), ("MANIFEST_UNKNOWN",))
expect("GET", "/v2/myorg/app/manifests/1.4x", (404,), ("MANIFEST_UNKNOWN",))
expect("GET", "/v2/nosuch/app/tags/list", (404,), ("NAME_UNKNOWN",))
expect("GET", "/v2/nosuch/app/manifests/1.4", (404,), ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"))
expect("GET", "/v2/myorg/app/referrers/" + mdig, (200,))

# ------------------------------------------------------------------ digests
bad_digests = [
    "sha256:abc", "sha256:" + hexd.upper(), "sha256:" + hexd[:63], "sha256:" + hexd + "0",
    "sha256:" + hexd[:63] + "g", "sha256:", "sha256", "sha256" + hexd, ":" + hexd,
    "SHA256:" + hexd, "sha512:" + hexd, "md5:" + hexd[:32], "sha256:" + hexd + "%20",
    "sha256:%20" + hexd, "sha256::" + hexd, "sha256:" + hexd[:32] + "-" + hexd[33:],
    "sha256+b64:" + hexd, "sha256:" + "z" * 64, "sha256:" + hexd + "%0a",
]
for d in bad_digests:
    # (a control character may be refused before the digest is looked at)
    if "%0a" in d:
        expect("GET", "/v2/myorg/app/blobs/" + d, (400,), ("DIGEST_INVALID", "NAME_INVALID"))
        continue
    expect("GET", "/v2/myorg/app/blobs/" + d, (400,), ("DIGEST_INVALID",))
    expect("HEAD", "/v2/myorg/app/blobs/" + d, (400,))
    if ":" in d:
        expect("GET", "/v2/myorg/app/manifests/" + d, (400,), ("DIGEST_INVALID",))
        expect("GET", "/v2/myorg/app/referrers/" + d, (400,), ("DIGEST_INVALID",))
# a well-formed sha512 the store does not hold: refused as unsupported or unknown
expect("GET", "/v2/myorg/app/blobs/sha512:" + "ab" * 64, (400, 404),
       ("DIGEST_INVALID", "BLOB_UNKNOWN"))
expect("GET", "/v2/myorg/app/manifests/sha512:" + "ab" * 64, (400, 404),
       ("DIGEST_INVALID", "MANIFEST_UNKNOWN"))

# ------------------------------------------------------------------ names and tags
bad_names = ["MyOrg/app", "myorg/App", "-app", "app-", "a..b", "a___b", "a%20b", "a$b",
             "a.-b", "_app", "myorg/app_", "a%00b", "a%2Eb%2E", "%C3%A9"]
for n in bad_names:
    expect("GET", "/v2/%s/tags/list" % n, (400,), ("NAME_INVALID",))
    expect("GET", "/v2/%s/manifests/1.4" % n, (400,), ("NAME_INVALID",))
    expect("GET", "/v2/%s/blobs/%s" % (n, layer), (400,), ("NAME_INVALID",))
# a very long name of valid characters: refused one way or another, never a crash
expect("GET", "/v2/%s/tags/list" % "/".join(["abcdefgh"] * 60), (400, 404),
       ("NAME_INVALID", "NAME_UNKNOWN"))
bad_tags = ["-bad", ".bad", "a" * 129, "a%20b", "a%2Bb", "a$b", "a%00b", "t%C3%A9"]
for t in bad_tags:
    expect("GET", "/v2/myorg/app/manifests/" + t, (400, 404),
           ("MANIFEST_INVALID", "NAME_INVALID", "MANIFEST_UNKNOWN", "DIGEST_INVALID"))
expect("GET", "/v2/myorg/app/manifests/" + "a" * 128, (404,), ("MANIFEST_UNKNOWN",))
for q in ("n=abc", "n=-1", "n=99999999999999999999", "n=1&n=2", "last=%00", "n=",
          "last=" + "z" * 5000):
    # what to do with a bad n or last is not specified: ignored (200) or refused (400)
    r = send("GET", "/v2/myorg/app/tags/list?" + q)
    if r.status not in (200, 400):
        prob("GET tags/list?" + q[:40], r, "expected 200 or 400")
    elif r.status == 200:
        try:
            doc = json.loads(r.body)
            assert doc["name"] == "myorg/app" and isinstance(doc["tags"], list)
        except Exception:
            prob("GET tags/list?" + q[:40], r, "200 without a tags document")
    elif not (isinstance(json.loads(r.body or b"{}").get("errors"), list)):
        prob("GET tags/list?" + q[:40], r, "400 without an errors body")

# /simple/ with names no project can have: refused, or at most redirected to a Location
# that is a valid URI reference (nothing raw that the client would have to guess about)
URI_OK = re.compile(r"^[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+$")
for t in ("/simple/Pip%3Cscript%3E", "/simple/Pip%20x", "/simple/pip%C3%A9/", "/simple/%C0%AE/",
          "/simple/Pip%22onload=x", "/simple/a%7Cb/"):
    r = send("GET", t)
    if r.status in (400, 404):
        continue
    if r.status in (301, 308) and URI_OK.match(r.header("location") or ""):
        continue
    prob("GET " + t, r, "expected 400/404, or a redirect to a valid URI")

# ------------------------------------------------------------------ ranges
def ranged(target, full, rng):
    r = send("GET", target, {"Range": rng})
    return r

def range_ok(target, full, rng, allowed):
    """allowed: a set of outcomes: 'full' (200 with the whole body), '416', or a
    tuple (a, b) meaning 206 with full[a:b+1] and Content-Range bytes a-b/len."""
    r = ranged(target, full, rng)
    size = len(full)
    what = "GET %s Range: %s" % (target[:60], rng if len(rng) < 80 else rng[:60] + "...")
    if r.status == 200 and "full" in allowed:
        if r.body != full:
            prob(what, r, "200 but not the whole content")
        return
    if r.status == 416 and "416" in allowed:
        if r.header("content-range") != "bytes */%d" % size:
            prob(what, r, "416 without Content-Range: bytes */%d" % size)
        return
    if r.status == 206:
        for a in allowed:
            if isinstance(a, tuple):
                lo, hi = a
                if r.body == full[lo:hi + 1] and \
                        r.header("content-range") == "bytes %d-%d/%d" % (lo, hi, size):
                    return
        prob(what, r, "a 206 that is not one of %s" % (allowed,))
        return
    prob(what, r, "expected one of %s" % (allowed,))

for target, full in (("/v2/myorg/app/blobs/" + layer, LAYER), ("/files/runbook.txt", RUNBOOK)):
    n = len(full)
    range_ok(target, full, "bytes=0-0", [(0, 0)])                     # twins
    range_ok(target, full, "bytes=1-3", [(1, 3)])
    range_ok(target, full, "bytes=-5", [(n - 5, n - 1)])
    range_ok(target, full, "bytes=5-", [(5, n - 1)])
    range_ok(target, full, "bytes=5-2", ["416"])                       # the OCI suite: 416
    range_ok(target, full, "bytes=%d-" % n, ["416"])
    range_ok(target, full, "bytes=%d-%d" % (n + 10, n + 20), ["416"])
    range_ok(target, full, "bytes=-0", ["416"])
    range_ok(target, full, "bytes=abc", ["full", "416"])
    range_ok(target, full, "bytes=", ["full", "416"])
    range_ok(target, full, "bytes=-", ["full", "416"])
    range_ok(target, full, "bytes=1-2-3", ["full", "416"])
    range_ok(target, full, "bytes=0x10-0x20", ["full", "416"])
    range_ok(target, full, "bytes=+1-2", ["full", "416"])
    range_ok(target, full, "bytes=--1", ["full", "416"])
    range_ok(target, full, "bytes= 1 - 2 ", ["full", "416", (1, 2)])
    range_ok(target, full, "items=0-1", ["full"])
    range_ok(target, full, "bytes=0-1,3-4", ["full", "416"])
    range_ok(target, full, "bytes=0-1,,", ["full", "416", (0, 1)])
    range_ok(target, full, ",".join(["bytes=0-0"] + ["%d-%d" % (i, i) for i in range(1, 400)]),
             ["full", "416"])
    range_ok(target, full, "bytes=99999999999999999999-", ["full", "416"])
    range_ok(target, full, "bytes=18446744073709551615-", ["full", "416"])
    range_ok(target, full, "bytes=18446744073709551616-18446744073709551617", ["full", "416"])
    range_ok(target, full, "bytes=9223372036854775807-", ["full", "416"])
    range_ok(target, full, "bytes=0-99999999999999999999", ["full", (0, n - 1)])
    range_ok(target, full, "bytes=0-18446744073709551615", ["full", (0, n - 1)])
    range_ok(target, full, "bytes=-99999999999999999999", ["full", (0, n - 1)])
    range_ok(target, full, "bytes=-18446744073709551615", ["full", (0, n - 1)])
    range_ok(target, full, "bytes=1-" + "9" * 5000, ["full", "416", (1, n - 1)])

# ------------------------------------------------------------------ oversize
def refused_or_closed(what, r, statuses):
    if r.closed:
        return                      # closed without an answer: allowed
    if r.status not in statuses:
        prob(what, r, "expected %s or a closed connection" % (statuses,))

count[0] += 1
r = rawhttp.exchange(hp, b"GET /v2/" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
refused_or_closed("a 70 KB request line", r, (414, 431, 400))
count[0] += 1
r = rawhttp.exchange(hp, b"GET /files/" + b"%2e" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
refused_or_closed("a 120 KB request line", r, (414, 431, 400))
count[0] += 1
r = rawhttp.exchange(hp, b"GET /" + b"x" * (1 << 20))           # 1 MiB, no end of line
refused_or_closed("a 1 MiB request line without an end", r, (414, 431, 400))

# 24 KiB of headers: served (the twin); 40 KiB in one header or in many: refused
pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 1000) for i in range(24))
count[0] += 1
r = rawhttp.exchange(hp, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + pad + b"\r\n")
if r.status != 200:
    prob("GET /healthz with 24 KiB of headers", r, "expected 200")
for what, hdrs in (("one 40 KiB header", b"X-Big: " + b"b" * 40960 + b"\r\n"),
                   ("4000 small headers", b"".join(b"X-H%d: v\r\n" % i for i in range(4000))),
                   ("2 MiB of headers", b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 500)
                                                 for i in range(4000)))):
    count[0] += 1
    r = rawhttp.exchange(hp, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + hdrs + b"\r\n")
    refused_or_closed(what, r, (431,))

# ------------------------------------------------------------------ versions, garbage
def raw_case(what, data, statuses, closed_ok=True):
    count[0] += 1
    r = rawhttp.exchange(hp, data)
    if r.closed and closed_ok:
        return r
    if r.status not in statuses:
        prob(what, r, "expected %s%s" % (statuses, " or a closed connection" if closed_ok else ""))
    return r

r = raw_case("HTTP/1.0", b"GET /healthz HTTP/1.0\r\n\r\n", (200,), closed_ok=False)
raw_case("HTTP/9.9", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", (505, 400))
raw_case("HTTP/2.0 in a request line", b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", (505, 400))
raw_case("HTTP/1.x", b"GET /healthz HTTP/1.x\r\nHost: x\r\n\r\n", (400, 505))
raw_case("HTTP/11", b"GET /healthz HTTP/11\r\nHost: x\r\n\r\n", (400, 505))
raw_case("HTTX/1.1", b"GET /healthz HTTX/1.1\r\nHost: x\r\n\r\n", (400,))
raw_case("lower-case http/1.1", b"GET /healthz http/1.1\r\nHost: x\r\n\r\n", (400,))
raw_case("HTTP/0.9", b"GET /healthz\r\n\r\n", (400,))
# (RFC 9112 section 3 lets a server split the request line on any whitespace)
raw_case("two spaces", b"GET  /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", (400, 200))
raw_case("extra token", b"GET /healthz HTTP/1.1 x\r\nHost: x\r\n\r\n", (400,))
raw_case("h2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", (400, 505, 405, 501))
raw_case("TLS ClientHello", bytes.fromhex(
    "16030100a1010000" + "9d0303" + "00" * 32 + "00" + "0002c02f" + "0100" + "0072") +
    b"\x00" * 100 + b"\r\n\r\n", (400,))
rnd = random.Random(1300)
for i in range(20):
    g = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4096)))
    raw_case("garbage #%d" % i, g + b"\r\n\r\n", (400, 505, 501, 405, 414, 431))

# ------------------------------------------------------------------ methods
for m, target in (("FOO", "/v2/"), ("FOO", "/healthz"), ("BREW", "/files/runbook.txt"),
                  ("get", "/healthz"), ("TRACE", "/"), ("TRACE", "/v2/"),
                  ("PROPFIND", "/files/"), ("MKCOL", "/files/x")):
    r = send(m, target)
    if r.status not in (405, 501, 400):
        prob("%s %s" % (m, target), r, "expected 405 or 501")
    elif target.startswith("/v2/") and r.status == 405:
        p = rawhttp.oci_error_problem(r)
        if p:
            prob("%s %s" % (m, target), r, "405 under /v2/ without the spec body: " + p)
    if m == "TRACE" and b"Connection: close" in r.body:
        prob("TRACE %s" % target, r, "TRACE echoed the request")
raw_case("CONNECT", b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
         (400, 405, 501), closed_ok=False)

# ------------------------------------------------------------------ header syntax
H = b"GET /healthz HTTP/1.1\r\n"
raw_case("no Host", H + b"Connection: close\r\n\r\n", (400,), closed_ok=False)
raw_case("two Hosts", H + b"Host: a\r\nHost: b\r\nConnection: close\r\n\r\n", (400,), closed_ok=False)
raw_case("space before colon", H + b"Host : x\r\nConnection: close\r\n\r\n", (400,), closed_ok=False)
raw_case("no colon", H + b"Host: x\r\nNoColonHere\r\n\r\n", (400,), closed_ok=False)
raw_case("NUL in a value", H + b"Host: x\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n", (400, 200),
         closed_ok=False)
# (a line with an empty field name, ": v", is dropped by libmicrohttpd 0.9.75 before the
# server sees the headers, so the request is answered without it; docs/cmd/serve.md)
raw_case("obs-fold", H + b"Host: x\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n", (400, 200),
         closed_ok=False)
raw_case("Content-Length -1", H + b"Host: x\r\nContent-Length: -1\r\n\r\n", (400,), closed_ok=False)
raw_case("Content-Length abc", H + b"Host: x\r\nContent-Length: abc\r\n\r\n", (400,), closed_ok=False)
raw_case("Content-Length 2^64", H + b"Host: x\r\nContent-Length: 18446744073709551616\r\n\r\n",
         (400, 413), closed_ok=False)
raw_case("two Content-Lengths", H + b"Host: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
         (400,), closed_ok=False)
raw_case("unknown Transfer-Encoding", H + b"Host: x\r\nTransfer-Encoding: gzip\r\n\r\n", (400, 501),
         closed_ok=False)
raw_case("bad chunk size", b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"zz\r\nabc\r\n0\r\n\r\n", (400, 405, 501), closed_ok=False)

# ------------------------------------------------------------------ pipelining
s = rawhttp.connect(hp)
targets = ["/healthz", "/files/runbook.txt", "/v2/myorg/app/blobs/" + layer,
           "/v2/myorg/app/manifests/1.4"] * 4 + ["/files/nosuch"]
data = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % t.encode() for t in targets[:-1])
data += b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % targets[-1].encode()
s.sendall(data)
buf = [b""]
want = {"/healthz": 200, "/files/runbook.txt": 200, "/files/nosuch": 404,
        "/v2/myorg/app/blobs/" + layer: 200, "/v2/myorg/app/manifests/1.4": 200}
for i, t in enumerate(targets):
    r = rawhttp.read_response(s, buf=buf)
    count[0] += 1
    if r.status != want[t]:
        prob("pipelined request %d (%s)" % (i, t), r, "expected %d" % want[t])
        break
    if t == "/files/runbook.txt" and r.body != RUNBOOK:
        prob("pipelined request %d (%s)" % (i, t), r, "wrong body")
        break
s.close()

# ------------------------------------------------------------------ still up, still right
r = send("GET", "/v2/myorg/app/blobs/" + layer)
if r.status != 200 or r.body != LAYER:
    prob("GET blob after everything", r, "expected 200 with the layer")
print("%d requests" % count[0])
rawhttp.report(problems, 80)
PY
cat "$T/malformed.out"

serve_alive
expect_exit 0 curl -sS --fail --max-time 10 "$URL/healthz"
expect_stdout_contains ok
# All those odd methods, paths and codes did not break /metrics or grow its label sets:
# it still parses, and route and method keep to a fixed vocabulary.
expect_exit 0 curl -sS --fail --max-time 10 -o "$T/metrics" "$URL/metrics"
if command -v promtool >/dev/null 2>&1; then
    if promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1; then rc=0; else rc=$?; fi
    [ "$rc" -ne 1 ] || { cat "$T/promtool.out" >&2; fail "/metrics no longer parses after the malformed requests"; }
fi
routes=$(grep -o 'route="[^"]*"' "$T/metrics" | sort -u | tr '\n' ' ')
methods=$(grep -o 'method="[^"]*"' "$T/metrics" | sort -u | tr '\n' ' ')
note "route labels: $routes"
note "method labels: $methods"
for r in $routes; do
    case $r in
        'route="oci"'|'route="pypi"'|'route="packages"'|'route="hf_api"'|'route="hf_resolve"'|\
        'route="files"'|'route="metrics"'|'route="healthz"'|'route="page"'|'route="other"') ;;
        *) fail "/metrics has a route label outside serve.md's list: $r" ;;
    esac
done
[ "$(grep -o 'method="[^"]*"' "$T/metrics" | sort -u | wc -l)" -le 10 ] ||
    fail "/metrics grew a method label per odd method: $methods"
for m in $methods; do
    case $m in
        'method="FOO"'|'method="BREW"'|'method="get"'|'method="PROPFIND"'|'method="MKCOL"'|'method="PRI"')
            fail "/metrics keeps the client's own method as a label: $m" ;;
    esac
done
serve_stop
[ -z "$failed" ] || fail "$failed (above)"
