#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, clients that ask for a big file and never read it ("slow read"): 100 of them
# ask for a 64 MiB file (and 100 more for a 64 MiB range of it) with tiny receive
# windows and then stall. Meanwhile a normal client downloads the whole file, byte for
# byte right, and so does a slow one that reads in bursts with pauses longer than the
# timeout (curl --limit-rate 2M: the idle timer counts progress, not only the kernel's
# send buffer); the server's resident memory stays under 64 MiB (sendfile, nothing
# buffered per client; not checked under AddressSanitizer); and with --timeout 5 the
# stalled connections are dropped: the server's descriptors fall back to where they
# were (the twin: while the readers stall, the descriptors do show them, so the count
# can fail), and the access log records each of them as aborted with the bytes it took,
# not the 64 MiB it asked for.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl jq

STALLED=100
soft=$(ulimit -Sn)
if [ "$soft" != unlimited ] && [ "$soft" -lt 1024 ]; then
    ulimit -Sn 1024 2>/dev/null || skip "cannot raise the open-file limit to 1024"
fi

# a store with one 64 MiB file
mkdir -p "$T/src"
python3 - "$T/src/big.bin" <<'PY'
import hashlib, sys
blk = hashlib.sha256(b"t1308").digest() * 2048
with open(sys.argv[1], "wb") as f:
    for i in range(1024):
        f.write(blk[:-4] + i.to_bytes(4, "big"))
PY
cat >"$T/src/airlock.yaml" <<'EOF'
name: big-file
version: 1
expires: 30d
artifacts:
  - kind: file
    path: big.bin
EOF
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/bundle" --quiet
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 0 airlock import "$T/bundle" --store "$STORE" --allow-unsigned -q

rss_checked
serve_start --timeout 5
export STALLED
BIG=$T/src/big.bin
export BIG

python3 - >"$T/slow.out" 2>&1 <<'PY' || { cat "$T/slow.out" >&2; fail "slow readers were mishandled (above)"; }
import hashlib, os, socket, sys, threading, time
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp
hp, pid, n = os.environ["HOSTPORT"], int(os.environ["SERVE_PID"]), int(os.environ["STALLED"])
host, port = hp.rsplit(":", 1)
want = hashlib.sha256(open(os.environ["BIG"], "rb").read()).hexdigest()
problems = []

def fds():
    return len(os.listdir("/proc/%d/fd" % pid))
mem = rawhttp.PeakRSS(pid)

base = fds()
stalled = []
for i in range(2 * n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # a tiny window, never read
    s.connect((host, int(port)))
    rng = b"" if i < n else b"Range: bytes=1-67108863\r\n"
    s.sendall(b"GET /files/big.bin HTTP/1.1\r\nHost: x\r\n" + rng + b"\r\n")
    stalled.append(s)
t0 = time.monotonic()   # the server registers them as it accepts them
while time.monotonic() - t0 < 20 and fds() < base + 2 * n - 10:
    time.sleep(0.1)
held = fds()
print("descriptors: %d before, %d with %d stalled readers" % (base, held, 2 * n))
if held < base + 2 * n - 10:
    problems.append("the twin: %d stalled readers show as only %d descriptors" % (2 * n, held - base))

# a normal client, meanwhile
t0 = time.monotonic()
r = rawhttp.get(hp, "/files/big.bin", timeout=30)
if r.status != 200 or hashlib.sha256(r.body).hexdigest() != want:
    problems.append("the normal download: " + r.describe())
else:
    print("a normal client downloaded 64 MiB in %.1f s beside them" % (time.monotonic() - t0))
r = None

# a client that reads in bursts: curl drains what the kernel holds (megabytes on
# loopback), then sleeps until its average is back to 2 MB/s, longer than --timeout
import subprocess
t0 = time.monotonic()
got = subprocess.run(["curl", "-sS", "--limit-rate", "2M", "-r", "0-25165823",
                      "http://%s/files/big.bin" % hp], capture_output=True, timeout=120)
want24 = hashlib.sha256(open(os.environ["BIG"], "rb").read(25165824)).hexdigest()
if got.returncode != 0 or hashlib.sha256(got.stdout).hexdigest() != want24:
    problems.append("a client reading 24 MiB at 2 MB/s: curl exit %d, %d bytes, %s"
                    % (got.returncode, len(got.stdout), got.stderr.decode(errors="replace")))
else:
    print("a client reading at 2 MB/s took 24 MiB in %.1f s" % (time.monotonic() - t0))

# --timeout 5: the stalled ones go
t0 = time.monotonic()
while time.monotonic() - t0 < 60 and fds() > base + 5:
    time.sleep(0.5)
left = fds()
print("descriptors %.0f s later: %d" % (time.monotonic() - t0, left))
if left > base + 5:
    problems.append("stalled readers still hold %d descriptors after 60 s with --timeout 5"
                    % (left - base))
mem.stop()
print("peak server RSS: %d KiB" % mem.peak)
if os.environ["CHECK_RSS"] == "1" and mem.peak >= 64 * 1024:
    problems.append("server RSS peaked at %d KiB with %d stalled 64 MiB readers" % (mem.peak, 2 * n))
for s in stalled:
    s.close()
rawhttp.check_healthz(hp, problems, "afterwards")
rawhttp.report(problems)
PY
cat "$T/slow.out"
serve_alive
serve_stop

# the access log: the stalled readers are logged as aborted with what they took; the
# whole downloads (the normal one, the 2 MB/s one) as complete
aborted=$(jq -s '[.[] | select(.path == "/files/big.bin" and .aborted == true)] | length' "$T/access.log")
took=$(jq -s '[.[] | select(.path == "/files/big.bin" and .aborted == true) | .bytes] | max // 0' "$T/access.log")
whole=$(jq -s '[.[] | select(.path == "/files/big.bin" and .aborted != true and .status == 200 and .bytes == 67108864)] | length' "$T/access.log")
note "access log: $aborted aborted (at most $took bytes each), $whole whole"
[ "$aborted" -ge $((2 * STALLED - 10)) ] || fail "only $aborted of $((2 * STALLED)) cut-off readers are logged as aborted"
[ "$took" -lt $((16 << 20)) ] || fail "a stalled reader is logged with $took bytes, more than its socket buffers could take"
[ "$whole" -ge 1 ] || fail "the whole download is not logged as complete"
