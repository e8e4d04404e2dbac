#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, hostile request bodies. Without a push token: a POST announcing 10 GiB, a PUT of
# a 5 MiB manifest, an endless chunked upload and a body dribbled a byte a second are all
# answered (401, or 405 off /v2/) without the server waiting for the body, and nothing is
# written. With a token: a 64 MiB blob pushed under a wrong digest is refused (400
# DIGEST_INVALID) and leaves nothing in blobs/, while the server's memory stays flat (VmRSS
# under 64 MiB, not checked under AddressSanitizer); the twin, the same bytes under their
# right digest, is taken (201) and served back identical. A manifest over 4 MiB is 413;
# upload sessions named with `..`, `%2F` or an unknown id are 400/404 and touch nothing;
# a mount from a traversing repository is no mount. The server stays up throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl jq

serve_store
rss_checked

# ---------------------------------------------------------------- no token
serve_start --timeout 5
sha_catalog=$(sha256 "$STORE/catalog.db")
failed=
python3 - >"$T/notoken.out" 2>&1 <<'PY' || failed="hostile bodies without a token were mishandled"
import os, socket, sys, threading, time
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp
hp = os.environ["HOSTPORT"]
problems = []

def head_then(method, target, extra, first_body, statuses, what):
    """Sends the head and a first piece of the body, then reads the answer without
    sending the rest: the server must answer without waiting for all of it."""
    s = rawhttp.connect(hp, timeout=10)
    try:
        s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (method, target, extra) + first_body)
    except OSError:
        pass
    r = rawhttp.read_response(s)
    s.close()
    if r.status not in statuses:
        problems.append("%s: expected %s, got %s" % (what, statuses, r.describe()))

GiB10 = 10 << 30
head_then(b"POST", b"/v2/myorg/app/blobs/uploads/?digest=sha256:" + b"0" * 64,
          b"Content-Length: %d\r\nContent-Type: application/octet-stream\r\n" % GiB10,
          b"x" * (1 << 20), (401,), "POST announcing 10 GiB, no token")
head_then(b"PUT", b"/v2/myorg/app/manifests/big",
          b"Content-Length: %d\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n" % (5 << 20),
          b"{" + b" " * (64 << 10), (401, 413), "PUT of a 5 MiB manifest, no token")
head_then(b"PUT", b"/files/runbook.txt", b"Content-Length: %d\r\n" % GiB10, b"x" * 65536,
          (405, 401), "PUT announcing 10 GiB to /files/")
head_then(b"POST", b"/simple/", b"Content-Length: %d\r\n" % GiB10, b"x" * 65536,
          (405, 401), "POST announcing 10 GiB to /simple/")

# an endless chunked upload: the answer must come while we are still sending
s = rawhttp.connect(hp, timeout=10)
s.sendall(b"POST /v2/myorg/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\n"
          b"Transfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n")
stop = threading.Event()
def pump():
    chunk = b"10000\r\n" + b"c" * 65536 + b"\r\n"
    t0 = time.monotonic()
    while not stop.is_set() and time.monotonic() - t0 < 8:
        try:
            s.sendall(chunk)
        except OSError:
            return
threading.Thread(target=pump, daemon=True).start()
r = rawhttp.read_response(s)
stop.set()
s.close()
if r.status != 401:
    problems.append("an endless chunked upload, no token: expected 401 while sending, got " + r.describe())

# a body dribbled a byte a second to a route that does not want it (--timeout 5)
s = rawhttp.connect(hp, timeout=1)
s.sendall(b"PUT /files/runbook.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
t0 = time.monotonic()
answered = None
while time.monotonic() - t0 < 30:
    try:
        s.send(b"d")
    except OSError:
        answered = "closed"
        break
    try:
        data = s.recv(65536)
        answered = data[:12] if data else "closed"
        break
    except socket.timeout:
        pass
    except OSError:
        answered = "closed"
        break
s.close()
if answered is None:
    problems.append("a PUT body dribbled a byte a second: neither answered nor cut off in 30 s")
elif answered != "closed" and not answered.startswith((b"HTTP/1.1 405", b"HTTP/1.1 401", b"HTTP/1.1 408")):
    problems.append("a PUT body dribbled a byte a second: answered %r" % answered)

# still up and right
rawhttp.check_healthz(hp, problems, "after the bodies")
rawhttp.report(problems)
PY
cat "$T/notoken.out"
serve_alive
serve_stop
assert_eq "$(sha256 "$STORE/catalog.db")" "$sha_catalog" "catalog.db after refused bodies"
assert_absent "$STORE/blobs/sha256/$(printf '%064d' 0)"

# ---------------------------------------------------------------- with a token
printf 't1306-%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$T/token"
chmod 600 "$T/token"
TOKEN=$(head -n 1 "$T/token")
serve_start --push-token-file "$T/token" --timeout 5
export TOKEN
python3 - >"$T/token.out" 2>&1 <<'PY' || failed="$failed${failed:+; }hostile pushes with a token were mishandled"
import hashlib, json, os, sys, threading, time
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp
hp, STORE, tok = os.environ["HOSTPORT"], os.environ["STORE"], os.environ["TOKEN"]
pid = int(os.environ["SERVE_PID"])
AUTH = {"Authorization": "Bearer " + tok}
problems = []
blobs = os.path.join(STORE, "blobs/sha256")

mem = rawhttp.PeakRSS(pid)

# 64 MiB of content nobody has: pushed in one POST, streamed from a generator
SIZE = 64 << 20
def content():
    blk = hashlib.sha256(b"t1306").digest() * 2048       # 64 KiB
    for i in range(SIZE // len(blk)):
        yield blk[:-4] + i.to_bytes(4, "big")
h = hashlib.sha256()
for c in content():
    h.update(c)
right = "sha256:" + h.hexdigest()
wrong = "sha256:" + hashlib.sha256(b"not the content").hexdigest()

def push(digest):
    s = rawhttp.connect(hp, timeout=60)
    s.sendall(b"POST /v2/myorg/app/blobs/uploads/?digest=%s HTTP/1.1\r\nHost: x\r\n"
              b"Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (digest.encode(), tok.encode(), SIZE))
    try:
        for c in content():
            s.sendall(c)
    except OSError as e:
        pass
    r = rawhttp.read_response(s)
    s.close()
    return r

r = push(wrong)
if r.status != 400 or "DIGEST_INVALID" not in rawhttp.oci_codes(r):
    problems.append("64 MiB under a wrong digest: expected 400 DIGEST_INVALID, got " + r.describe())
for d in (wrong, right):
    if os.path.exists(os.path.join(blobs, d.split(":")[1])):
        problems.append("a refused upload left blobs/%s" % d)
r = push(right)                                           # the twin
if r.status != 201:
    problems.append("64 MiB under its digest: expected 201, got " + r.describe())
else:
    r = rawhttp.request(hp, "GET", "/v2/myorg/app/blobs/" + right, timeout=60)
    if r.status != 200 or "sha256:" + hashlib.sha256(r.body).hexdigest() != right:
        problems.append("the pushed 64 MiB blob does not come back: " + r.describe())
    r = None
mem.stop()
print("peak server RSS during the 64 MiB pushes: %d KiB" % mem.peak)
if os.environ["CHECK_RSS"] == "1" and mem.peak >= 64 * 1024:
    problems.append("server RSS peaked at %d KiB during a 64 MiB push (memory not flat)" % mem.peak)

# a manifest over 4 MiB, with the token: 413
big = b'{"schemaVersion":2,"annotations":{"x":"' + b"a" * (4 << 20) + b'"}}'
r = rawhttp.request(hp, "PUT", "/v2/myorg/app/manifests/huge",
                    dict(AUTH, **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}),
                    body=big, timeout=30)
if r.status != 413 and not (r.status is None and not r.timed_out):
    problems.append("a %d-byte manifest: expected 413, got %s" % (len(big), r.describe()))

# upload sessions that are not ours, or traverse
cat_before = hashlib.sha256(open(os.path.join(STORE, "catalog.db"), "rb").read()).hexdigest()
for sess in ("0123456789abcdef0123456789abcdef", "..%2F..%2Fcatalog.db", "../../catalog.db",
             "%2e%2e%2f%2e%2e%2fcatalog.db", "..", "lock", "..%2Flock", "x%00"):
    for m, q in (("PATCH", ""), ("PUT", "?digest=" + right), ("GET", ""), ("DELETE", "")):
        r = rawhttp.request(hp, m, "/v2/myorg/app/blobs/uploads/" + sess + q,
                            dict(AUTH, **{"Content-Type": "application/octet-stream"}),
                            body=b"evil" if m in ("PATCH", "PUT") else b"")
        if r.status not in (400, 404):
            problems.append("%s uploads/%s: expected 400 or 404, got %s" % (m, sess, r.describe()))
        else:
            p = rawhttp.oci_error_problem(r)
            if p:
                problems.append("%s uploads/%s: %s" % (m, sess, p))
# a mount from a repository name that traverses is no mount
for frm in ("..%2F..%2Fetc", "../x", "myorg/../myorg/app"):
    r = rawhttp.request(hp, "POST", "/v2/other/repo/blobs/uploads/?mount=%s&from=%s" % (right, frm), AUTH)
    if r.status not in (202, 400, 404):
        problems.append("mount from %s: expected 202 (no mount), 400 or 404, got %s" % (frm, r.describe()))
cat_after = hashlib.sha256(open(os.path.join(STORE, "catalog.db"), "rb").read()).hexdigest()
if cat_before != cat_after:
    problems.append("catalog.db changed under refused upload requests")
for f in ("lock",):
    if os.path.getsize(os.path.join(STORE, f)) != 0:
        problems.append("%s was written to" % f)
rawhttp.check_healthz(hp, problems, "after the pushes")
rawhttp.report(problems)
PY
cat "$T/token.out"
serve_alive
serve_stop
[ -z "$failed" ] || fail "$failed (above)"
