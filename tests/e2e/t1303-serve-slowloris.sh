#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, slow clients: 200 slow-loris connections that each dribble one header byte a
# second do not stop a normal client (curl, --max-time 10) from getting right answers on
# every route while they dribble, with only two worker threads. With --timeout 5: an idle
# connection, one that sent half a request line and one idle after a complete request are
# all closed (within 30 s, 5x the timeout and the server's one-second check), and a
# slow-loris that never finishes its header is cut off too (within 40 s; "slow clients
# are cut off") — while the twin, a keep-alive client that makes a request every second
# (a fifth of the timeout) for three times the timeout, is served every time, so the
# closing is about idleness, not age.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl

LORIS=200
soft=$(ulimit -Sn)
if [ "$soft" != unlimited ] && [ "$soft" -lt 1024 ]; then
    ulimit -Sn 1024 2>/dev/null || skip "cannot raise the open-file limit to 1024"
fi

serve_store
serve_start --threads 2
export LORIS

# ---------------------------------------------------------------- 200 slow-loris
python3 - >"$T/loris.out" 2>&1 <<'PY' &
import os, socket, sys, time
hp, n = os.environ["HOSTPORT"], int(os.environ["LORIS"])
host, port = hp.rsplit(":", 1)
socks = []
for i in range(n):
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
    socks.append(s)
print("ready", flush=True)
open(os.path.join(os.environ["TMPDIR"], "loris.ready"), "w").close()
stop = os.path.join(os.environ["TMPDIR"], "loris.stop")
closed = 0
t0 = time.monotonic()
# until the test has made its rounds and says stop (an event); 300 s only bounds a hang
while not os.path.exists(stop) and time.monotonic() - t0 < 300:
    for s in socks:
        if s is None:
            continue
        try:
            s.send(b"a")
        except OSError:
            closed += 1
            s.close()
            socks[socks.index(s)] = None
    time.sleep(1)
print("dribbled for %.0f s; %d of %d closed by the server" % (time.monotonic() - t0, closed, n))
PY
LORIS_PID=$!
BG_PIDS+=("$LORIS_PID")
loris_ready() {
    [ -e "$TMPDIR/loris.ready" ] && return 0
    kill -0 "$LORIS_PID" 2>/dev/null || { cat "$T/loris.out" >&2; fail "the slow-loris clients could not connect"; }
    return 1
}
wait_until 60 loris_ready || fail "the slow-loris clients did not connect in 60 s"

# while they dribble, a normal client gets its answers, several times over
M=$(jq -r '.manifests[0].digest' "$S/images/app-oci/index.json")
for round in 1 2 3 4 5 6; do
    expect_exit 0 curl -sS --fail --max-time 10 "$URL/healthz"
    expect_stdout_contains ok
    expect_exit 0 curl -sS --fail --max-time 10 -o "$T/runbook.got" "$URL/files/runbook.txt"
    cmp -s "$T/runbook.got" "$S/files/runbook.txt" || fail "round $round: /files/runbook.txt differs"
    expect_exit 0 curl -sS --fail --max-time 10 -o "$T/m.got" "$URL/v2/myorg/app/manifests/1.4"
    assert_eq "sha256:$(sha256 "$T/m.got")" "$M" "round $round: manifest digest"
    expect_exit 0 curl -sS --fail --max-time 10 "$URL/simple/pip/"
    expect_stdout_contains "pip-23.0.1-py3-none-any.whl"
    # the twin: a missing file is still a 404, so --fail can fail
    expect_exit 22 curl -sS --fail --max-time 10 "$URL/files/no-such-file"
    sleep 1
done
kill -0 "$LORIS_PID" 2>/dev/null || { cat "$T/loris.out" >&2; fail "the slow-loris clients died early"; }
touch "$TMPDIR/loris.stop"
wait "$LORIS_PID" || { cat "$T/loris.out" >&2; fail "the slow-loris clients failed"; }
cat "$T/loris.out"
serve_alive
serve_stop

# ---------------------------------------------------------------- --timeout 5
serve_start --timeout 5 --threads 2
python3 - >"$T/timeout.out" 2>&1 <<'PY' || { cat "$T/timeout.out" >&2; fail "idle or slow connections were mishandled with --timeout 5 (above)"; }
import os, socket, sys, threading, time
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp
hp = os.environ["HOSTPORT"]
results = {}

def idle():
    s = rawhttp.connect(hp)
    results["an idle connection"] = rawhttp.wait_closed(s, 30)
    s.close()

def partial():
    s = rawhttp.connect(hp)
    s.sendall(b"GET /hea")
    results["half a request line"] = rawhttp.wait_closed(s, 30)
    s.close()

def after_request():
    s = rawhttp.connect(hp)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    r = rawhttp.read_response(s)
    if r.status != 200:
        results["idle after a request"] = "first request: " + r.describe()
        return
    results["idle after a request"] = rawhttp.wait_closed(s, 30)
    s.close()

def loris():
    s = rawhttp.connect(hp)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.monotonic()
    s.settimeout(1)
    while time.monotonic() - t0 < 40:
        try:
            s.send(b"a")
        except OSError:
            results["a slow-loris"] = time.monotonic() - t0
            return
        try:
            s.recv(65536)   # EOF or anything at all (a 408): the server gave up on it
            results["a slow-loris"] = time.monotonic() - t0
            return
        except socket.timeout:
            pass
        except OSError:
            results["a slow-loris"] = time.monotonic() - t0
            return
    results["a slow-loris"] = None
    s.close()

def active():
    # the twin: busy, never idle for the timeout, served for 3x the timeout
    s = rawhttp.connect(hp)
    buf = [b""]
    for i in range(16):
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        r = rawhttp.read_response(s, buf=buf)
        if r.status != 200:
            results["twin"] = "request %d on a busy keep-alive connection: %s" % (i, r.describe())
            return
        time.sleep(1)
    results["twin"] = "ok"
    s.close()

ts = [threading.Thread(target=f) for f in (idle, partial, after_request, loris, active)]
for t in ts:
    t.start()
for t in ts:
    t.join()
bad = 0
for k in ("an idle connection", "half a request line", "idle after a request", "a slow-loris"):
    v = results.get(k)
    if isinstance(v, float):
        print("%s: closed after %.1f s" % (k, v))
    else:
        print("PROBLEM: %s: %s" % (k, "still open (limit 30 s, 40 s for the slow-loris)"
                                   if v is None else v))
        bad += 1
if results.get("twin") != "ok":
    print("PROBLEM: twin:", results.get("twin"))
    bad += 1
else:
    print("a busy keep-alive connection was served for 16 s")
sys.exit(1 if bad else 0)
PY
cat "$T/timeout.out"
serve_alive
expect_exit 0 curl -sS --fail --max-time 10 "$URL/healthz"
serve_stop
