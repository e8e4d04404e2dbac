#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, running out of connections and descriptors. Started with a soft open-file limit
# of 256, the server raises it to fit (serve.md: "the open-file limit is raised to fit")
# and serves 1000 clients at once, every one answered right, three times over (a burst of
# requests that all arrive together once left a multiple of 128 unanswered for good, in
# libmicrohttpd's epoll loop: see start_daemon in server.c). With --max-connections 50,
# 200 clients held open at once cost the server no more than ~50 descriptors (the twin:
# without the limit the same 200 do show up as descriptors, so the count can fail),
# every client gets either a right answer or a closed connection (never a wrong answer,
# never a hang), the server stays up, and once they are gone a new client is served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl

hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 2400 ]; then
    skip "the hard open-file limit ($hard) is below 2400"
fi
serve_store

fds() { find "/proc/$SERVE_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# serve_diag: what the server is doing, kept for a report when clients hang. The listen
# socket's Recv-Q is what waits to be accepted; then the connections by state, and each
# thread.
serve_diag() {
    local port=${HOSTPORT##*:} t
    echo "# listen socket (Recv-Q: connections not yet accepted):"
    ss -ltn "sport = :$port" 2>&1
    echo "# connections by state:"
    ss -tan "sport = :$port" 2>&1 | awk 'NR > 1 {print $1}' | sort | uniq -c
    echo "# server threads (state, wchan, name):"
    for t in /proc/"$SERVE_PID"/task/*; do
        echo "  $(awk '{print $3}' "$t/stat" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null) $(cat "$t/comm" 2>/dev/null)"
    done
    echo "# descriptors: $(fds)"
}

# ---------------------------------------------------------------- a low soft limit
# (a wrapper lowers the limit and exec's the binary, so $SERVE_PID is the server itself)
printf '#!/bin/sh\nulimit -Sn 256 || exit 99\nexec "%s" "$@"\n' "$AIRLOCK" >"$T/airlock-low"
chmod +x "$T/airlock-low"
REAL_AIRLOCK=$AIRLOCK
AIRLOCK=$T/airlock-low
serve_start
AIRLOCK=$REAL_AIRLOCK
soft=$(awk '/^Max open files/ {print $4}' "/proc/$SERVE_PID/limits")
note "the server's soft open-file limit: $soft (started with 256)"
[ "$soft" = unlimited ] || [ "$soft" -ge 1100 ] || fail "the server kept a soft open-file limit of $soft"
# (a round takes 3-5 s; a run still going after 25 s is stuck: its state is kept for the report)
( sleep 25 && serve_diag >"$T/diag" 2>&1 ) </dev/null >/dev/null 2>&1 &
diag_pid=$!
BG_PIDS+=("$diag_pid")
python3 - 1000 3 >"$T/low.out" 2>&1 <<'PY' || { cat "$T/low.out" "$T/diag" >&2 2>/dev/null; fail "1000 clients under a low soft limit were not all served (above)"; }
import asyncio, os, resource, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
hp = os.environ["HOSTPORT"]
host, port = hp.rsplit(":", 1)
n, rounds = int(sys.argv[1]), int(sys.argv[2])
want = open(os.path.join(os.environ["S"], "files/runbook.txt"), "rb").read()
opened, gate, bad = [0], None, []   # (per round, the first two)

async def one(i):
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 30)
    except Exception as e:
        bad.append("connect %d: %r" % (i, e))
        r = None
    opened[0] += 1
    if opened[0] == n:
        gate.set()
    await gate.wait()
    if r is None:
        return
    try:
        w.write(b"GET /files/runbook.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(r.read(), 30)
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") or body != want:
            bad.append("client %d: %r" % (i, data[:120]))
    except Exception as e:
        bad.append("client %d: %r" % (i, e))
    finally:
        w.close()

async def main():
    global gate
    for r in range(rounds):
        opened[0], gate = 0, asyncio.Event()
        await asyncio.wait_for(asyncio.gather(*[one(i) for i in range(n)]), 60)
        if bad:
            break
asyncio.run(main())
print("%d clients, %d rounds, %d problems" % (n, rounds, len(bad)))
for b in bad[:20]:
    print("PROBLEM:", b)
sys.exit(1 if bad else 0)
PY
cat "$T/low.out"
pkill -P "$diag_pid" 2>/dev/null || true   # (its sleep, then itself)
kill "$diag_pid" 2>/dev/null || true
serve_alive
serve_stop

# ---------------------------------------------------------------- --max-connections 50
# hold_and_ask N WANT: holds N idle connections and waits (up to 60 s) until the server
# holds WANT more descriptors for them, then, when WANT < N, one second more, so that a
# server that ignores its limit shows it; counts the server's descriptors, then makes
# each connection ask
hold_and_ask() {
    python3 - "$1" "$SERVE_PID" "$2" <<'PY'
import os, socket, sys, time
n, pid, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
hp = os.environ["HOSTPORT"]
host, port = hp.rsplit(":", 1)
def fds():
    return len(os.listdir("/proc/%s/fd" % pid))
base = fds()
socks = []
for i in range(n):
    s = socket.create_connection((host, int(port)), timeout=10)
    socks.append(s)
t0 = time.monotonic()   # the server accepts them in its own time
while fds() < base + want and time.monotonic() - t0 < 60:
    time.sleep(0.05)
if want < n:
    time.sleep(1.0)
held = fds()
ok = closed = bad = 0
for s in socks:
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
for s in socks:
    s.settimeout(15)
    data = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    except socket.timeout:
        bad += 1
        print("a client neither answered nor closed in 15 s")
        continue
    except OSError:
        pass
    if not data:
        closed += 1
    elif data.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")) and data.endswith(b"ok\n"):
        ok += 1
    elif data.startswith((b"HTTP/1.1 503", b"HTTP/1.0 503")):
        closed += 1
    else:
        bad += 1
        print("a wrong answer: %r" % data[:200])
    s.close()
print("%d %d %d %d %d" % (base, held, ok, closed, bad))
PY
}

serve_start --max-connections 50 --timeout 5
base_fds=$(fds)
hold_and_ask 200 50 >"$T/limited.out" || { cat "$T/limited.out" >&2; fail "holding 200 connections failed"; }
cat "$T/limited.out"
read -r base held ok closed bad < <(tail -n 1 "$T/limited.out")
note "max 50: descriptors $base -> $held with 200 held; $ok answered, $closed closed, $bad wrong"
[ "$bad" -eq 0 ] || fail "with --max-connections 50, $bad clients got a wrong answer or a hang"
[ "$ok" -ge 1 ] || fail "with --max-connections 50, no client was answered at all"
[ "$held" -le $((base + 50 + 8)) ] ||
    fail "with --max-connections 50 the server held $held descriptors for 200 clients (from $base)"
serve_alive
expect_exit 0 curl -sS --fail --max-time 10 "$URL/healthz"
expect_stdout_contains ok
serve_stop

# the twin: without the limit, 200 held connections are 200 more descriptors (--timeout
# 60, not 5: all 200 must still be open when they ask, however slowly they were accepted)
serve_start --timeout 60
hold_and_ask 200 200 >"$T/unlimited.out" || { cat "$T/unlimited.out" >&2; fail "holding 200 connections failed"; }
read -r base held ok closed bad < <(tail -n 1 "$T/unlimited.out")
note "no limit: descriptors $base -> $held with 200 held; $ok answered, $closed closed, $bad wrong"
[ "$held" -ge $((base + 190)) ] || fail "the twin: 200 held connections show as only $((held - base)) descriptors"
[ "$ok" -eq 200 ] || fail "the twin: without a limit only $ok of 200 were answered"
serve_stop
