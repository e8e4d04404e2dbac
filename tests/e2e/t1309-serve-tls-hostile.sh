#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve over TLS, hostile clients: plain HTTP sent to the TLS port, random bytes, a
# connection that says nothing, a truncated or whole ClientHello left idle, an SNI of
# 4000 bytes, 100 connections that never start their handshake, and hostile paths inside
# TLS (traversal, %2F, raw NUL). The server answers or closes each (an idle connection or
# half-handshake within a generous 10 s of --timeout 2), keeps serving curl over TLS the
# right bytes meanwhile and afterwards, and refuses the hostile paths inside TLS exactly
# as in clear (400/404, never a 200). The twin: the same TLS client asking for honest
# names gets 200 and the stored bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl openssl

serve_store
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/key.pem" -out "$T/cert.pem" >"$T/openssl.log" 2>&1 ||
    { cat "$T/openssl.log" >&2; fail "openssl could not make a test certificate"; }
serve_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --timeout 2 --threads 2
case $URL in https://*) ;; *) fail "a TLS server announced '$URL'" ;; esac
CERT=$T/cert.pem
export CERT

python3 - >"$T/tls.out" 2>&1 <<'PY' || { cat "$T/tls.out" >&2; fail "hostile TLS clients were mishandled (above)"; }
import os, random, socket, ssl, subprocess, sys, threading, time
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp
hp, S, cert = os.environ["HOSTPORT"], os.environ["S"], os.environ["CERT"]
host, port = hp.rsplit(":", 1)
port = int(port)
problems = []
runbook = open(os.path.join(S, "files/runbook.txt"), "rb").read()
config = open(os.path.join(S, "models/tiny-model/config.json"), "rb").read()

def curl_ok(what):
    out = subprocess.run(["curl", "-sS", "--fail", "--max-time", "10", "--cacert", cert,
                          "https://%s/files/runbook.txt" % hp], capture_output=True)
    if out.returncode != 0 or out.stdout != runbook:
        problems.append("%s: curl over TLS got rc=%d %r" % (what, out.returncode, out.stderr[:200]))

def raw_then_wait(what, data, limit=10):
    s = socket.create_connection((host, port), timeout=10)
    try:
        s.sendall(data)
    except OSError:
        return
    waited = rawhttp.wait_closed(s, limit)
    s.close()
    if waited is None:
        problems.append("%s: the connection was neither answered-and-closed nor closed in %d s"
                        % (what, limit))

# plain HTTP to the TLS port, random bytes, a truncated ClientHello then silence
rnd = random.Random(1309)
ctx = ssl.create_default_context(cafile=cert)
inc, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, outb, server_hostname="127.0.0.1")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outb.read()
# all at once, so that a server that never closes costs one wait, not five
waits = [threading.Thread(target=raw_then_wait, args=a) for a in (
    ("plain HTTP", b"GET /files/runbook.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("random bytes", bytes(rnd.randrange(256) for _ in range(3000))),
    ("a connection that never says anything", b""),
    ("half a ClientHello, then silence", hello[: len(hello) // 2]),
    ("a ClientHello, then silence", hello))]
for t in waits:
    t.start()
for t in waits:
    t.join()

# 100 connections that never start TLS, while curl gets its answers
idle = [socket.create_connection((host, port), timeout=10) for _ in range(100)]
curl_ok("beside 100 silent connections")
for s in idle:
    s.close()

# a 4000-byte SNI: the handshake may fail, the server may not
try:
    c2 = ssl.create_default_context(cafile=cert)
    c2.check_hostname = False
    with socket.create_connection((host, port), timeout=10) as s:
        with c2.wrap_socket(s, server_hostname="a" * 63 + ("." + "b" * 62) * 62) as t:
            t.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            t.recv(100)
except (ssl.SSLError, OSError, ValueError, UnicodeError):
    pass
curl_ok("after the hostile handshakes")

# hostile paths inside TLS
def tls_get(target):
    with socket.create_connection((host, port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            t.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            r = rawhttp.read_response(t)
    return r
for target, want in ((b"/files/runbook.txt", runbook),
                     (b"/local/tiny-model/resolve/main/config.json", config)):
    r = tls_get(target)
    if r.status != 200 or r.body != want:
        problems.append("the twin, GET %r over TLS: %s" % (target, r.describe()))
for target in (b"/files/../catalog.db", b"/files/..%2fcatalog.db", b"/files/%2e%2e/%2e%2e/etc/passwd",
               b"/v2/myorg/app/blobs/sha256:../../catalog.db", b"/packages/..%2F..%2Fcatalog.db",
               b"/local/tiny-model/resolve/main/../../../../catalog.db",
               b"/local%2Ftiny-model/resolve/main/config.json",
               b"/files/runbook.txt\x00.db", b"/local/tiny-model/resolve/main/config.json\x00"):
    r = tls_get(target)
    if r.status not in (400, 404):
        problems.append("GET %r over TLS: expected 400 or 404, got %s" % (target, r.describe()))
    if b"SQLite format 3" in r.body or b"root:x:0:0" in r.body:
        problems.append("GET %r over TLS leaked a file" % target)
rawhttp.report(problems)
PY
cat "$T/tls.out"
serve_alive
expect_exit 0 curl -sS --fail --max-time 10 --cacert "$T/cert.pem" "$URL/healthz"
expect_stdout_contains ok
serve_stop
