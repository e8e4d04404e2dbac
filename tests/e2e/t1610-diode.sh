#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock diode send|receive` (src/lib/xfer/diode_*.c, docs/cmd/diode.md) across two
# network namespaces made here, joined by a veth pair, with addresses that exist only
# inside them. The link is one-way below IP too: the receiving side answers no ARP (the
# sender has a static neighbour entry) and has IPv6 off, so nothing it could send would
# even reach the wire.
#   - 0 %, 1 % and 5 % loss (iptables' statistic match on the receiver's INPUT): the tar
#     arrives byte-exact in one pass within the repair budget, blocks rebuilt at 5 %, and
#     the loss the receiver reports is about what was dropped;
#   - 10 % loss with 5 % repair and one pass: the receiver says what is missing, exits 2
#     and leaves nothing behind; with two passes (and 8 % repair) it completes;
#   - a receiver started after the sender's first pass completes from later passes;
#   - a sender killed midway: the receiver reports, keeps the part file of what came, and a
#     resend completes from it; reordered and duplicated datagrams (a captured session
#     replayed shuffled, each twice) give the tar;
#   - a replay whose manifest names another tar SHA-256 (its CRC made to match) exits 1
#     and puts nothing in place: every block matches the index, only the whole tar's hash,
#     kept block by block as they come, catches it;
#   - junk and datagrams with a bad CRC32C are counted and ignored;
#   - a 9000-byte MTU with 8192-byte symbols at 1 % loss; a send the link refuses (sendto
#     fails) stops at once and names the address;
#   - the receiver sends nothing: strace shows it making no connect and no send of any
#     kind, and its interface's transmit counter stays 0 through every session (the
#     kernel's own ICMP port-unreachable for a closed port is dropped, as a diode would);
#   - `receive --import` installs the bundle, with the hand-over that `send --custody-key`
#     recorded in it before sending.
. "$(dirname "$0")/lib.sh"
need ip iptables strace jq cmp python3
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
NS_S=als$$ NS_R=alr$$
trap 'rc=$?; ip netns del "$NS_S" 2>/dev/null; ip netns del "$NS_R" 2>/dev/null; (exit $rc); _cleanup' EXIT
ip netns add "$NS_S" || fail "cannot make a network namespace"
ip netns add "$NS_R"
ip link add "vs$$" type veth peer name "vr$$"
ip link set "vs$$" netns "$NS_S"
ip link set "vr$$" netns "$NS_R"
for ns in "$NS_S" "$NS_R"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$NS_S" addr add 10.231.7.1/24 dev "vs$$"
ip -n "$NS_R" addr add 10.231.7.2/24 dev "vr$$"
ip -n "$NS_R" link set "vr$$" arp off
# The kernel answers a datagram to a closed port (the late sender's last passes, after its
# receiver is done) with ICMP port-unreachable; a real diode's hardware drops that. It is
# not airlock's: drop it here, so that the transmit counter below counts what remains.
ip netns exec "$NS_R" iptables -A OUTPUT -p icmp -j DROP
ip -n "$NS_S" link set "vs$$" up
ip -n "$NS_R" link set "vr$$" up
MAC=$(ip -n "$NS_R" -j link show "vr$$" | jq -r '.[0].address')
ip -n "$NS_S" neigh replace 10.231.7.2 lladdr "$MAC" dev "vs$$" nud permanent
tx() { ip -n "$NS_R" -s -j link show "vr$$" | jq '.[0].stats64.tx.packets'; }
TX0=$(tx)

# a bundle of about 4 MiB: 15 blocks of 200 symbols of 1400 bytes
rnd() { head -c "$1" /dev/urandom | base64 -w0; }
file_spec "$(rnd 1000000)" "$(rnd 1000000)" "$(rnd 1000000)"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b.tar" --tar --quiet
PORT=9000

loss() { # PERCENT: drop that share of the datagrams to the receiver's port, at random
    ip netns exec "$NS_R" iptables -F INPUT
    [ "$1" = 0 ] || ip netns exec "$NS_R" iptables -A INPUT -p udp --dport $PORT \
        -m statistic --mode random --probability "0.$(printf '%02d' "$1")" -j DROP
}
# receive_bg DIR [ARGS…]: a receiver in the background (its output in DIR.out, DIR.err,
# its exit status in DIR.rc); under strace, which logs every network call it makes, unless
# NOTRACE=1 (LeakSanitizer cannot run under ptrace, so some sessions run without it)
receive_bg() {
    local dir=$1 trace=(strace -f -qq -e trace=%network -o "$1.strace") asan=${ASAN_OPTIONS:-}
    shift
    rm -f "$dir.rc" "$dir.out" "$dir.err" "$dir.strace"   # (a directory may be received into again)
    if [ "${NOTRACE:-}" = 1 ]; then
        trace=()
    else
        asan="$asan:detect_leaks=0"
    fi
    ( set +e; ASAN_OPTIONS=$asan ip netns exec "$NS_R" "${trace[@]}" \
        "$AIRLOCK" diode receive --listen 10.231.7.2:$PORT -o "$dir" --idle 20 --json "$@" \
        >"$dir.out" 2>"$dir.err"; echo $? >"$dir.rc" ) &
    BG_PIDS+=("$!")
    if [ "${NOTRACE:-}" = 1 ]; then
        wait_until 60 bound || fail "the receiver never bound its socket"
    else
        wait_until 60 grep -q 'bind(' "$dir.strace" 2>/dev/null || fail "the receiver never bound its socket"
    fi
}
bound() { ip netns exec "$NS_R" ss -Hlun "sport = :${1:-$PORT}" | stdin_has .; }
# send ARGS…: the sender, in its namespace
send() { expect_exit 0 ip netns exec "$NS_S" "$AIRLOCK" diode send "$T/b.tar" --to 10.231.7.2:$PORT --rate 200M "$@"; }
# received DIR WANT-RC: waits for the receiver and checks its exit status
received() {
    wait_until 120 test -s "$1.rc" || fail "the receiver of $1 never finished"
    [ "$(cat "$1.rc")" = "$2" ] || { cat "$1.err" "$1.out" >&2; fail "the receiver of $1 exited $(cat "$1.rc"), not $2"; }
}
no_sends() { # DIR: the receiver made no call that sends or connects
    if grep -E '(^|[^a-z])(connect|sendto|sendmsg|sendmmsg|send)\(' "$1.strace"; then
        fail "the receiver of $1 made a network call that sends (above)"
    fi
    grep -q 'recvmmsg(' "$1.strace" || fail "strace did not see the receiver of $1 receive: the check would prove nothing"
}

for pct in 0 1 5; do
    loss "$pct"
    receive_bg "$T/in$pct"
    fec=8%
    [ "$pct" -lt 5 ] || fec=15%
    send --fec $fec --repeat 1
    received "$T/in$pct" 0
    cmp "$T/b.tar" "$T/in$pct/tiny-1.tar" || fail "at $pct % loss the tar is not the one sent"
    no_sends "$T/in$pct"
    note "$pct % loss: $(jq -c '{datagrams, loss, rebuilt, bad_crc}' "$T/in$pct.out")"
done
[ "$(jq .rebuilt "$T/in5.out")" -gt 0 ] || fail "at 5 % loss no block was rebuilt from repair symbols"
# the loss it reports is about what iptables dropped
jq -e '.loss >= 0.02 and .loss <= 0.10' "$T/in5.out" >/dev/null || fail "at 5 % loss the receiver reported $(jq .loss "$T/in5.out")"
jq -e '.loss < 0.01' "$T/in0.out" >/dev/null || fail "at 0 % loss the receiver reported $(jq .loss "$T/in0.out")"

# ---------------------------------------------------------------- beyond the budget, then more passes
loss 10
receive_bg "$T/short"
send --fec 5% --repeat 1
received "$T/short" 2
grep -q 'incomplete: ' "$T/short.err" || fail "the receiver did not say the session is incomplete"
jq -e '.missing > 0 and (.missing_blocks | length) > 0' "$T/short.out" >/dev/null ||
    fail "the receiver did not list the missing blocks"
# what is left is at most the part file of the blocks that came whole (kept for a resend)
[ -z "$(find "$T/short" -mindepth 1 ! -name '.diode-*.tar.part')" ] ||
    fail "an incomplete session left more than its part file: $(ls -A "$T/short")"
NOTRACE=1 receive_bg "$T/short"
send --fec 8% --repeat 2
received "$T/short" 0
cmp "$T/b.tar" "$T/short/tiny-1.tar" || fail "two passes at 10 % loss did not deliver the tar"
[ -z "$(find "$T/short" -name '*.part')" ] || fail "a complete session left part files"
loss 0

# ---------------------------------------------------------------- a receiver that starts late
( set +e; ip netns exec "$NS_S" "$AIRLOCK" diode send "$T/b.tar" --to 10.231.7.2:$PORT --rate 20M --repeat 4 \
    >"$T/late.send.out" 2>"$T/late.send.err"; echo $? >"$T/late.send.rc" ) &
BG_PIDS+=("$!")
wait_until 120 grep -q 'pass 1 of 4 sent' "$T/late.send.err" || fail "the sender never finished its first pass"
NOTRACE=1 receive_bg "$T/late"
received "$T/late" 0
cmp "$T/b.tar" "$T/late/tiny-1.tar" || fail "the late receiver's tar is not the one sent"
wait_until 120 test -s "$T/late.send.rc"

# ---------------------------------------------------------------- a sender killed midway, then a resend
NOTRACE=1 receive_bg "$T/killed" --idle 3
ip netns exec "$NS_S" "$AIRLOCK" diode send "$T/b.tar" --to 10.231.7.2:$PORT --rate 4M --repeat 1 \
    >"$T/killed.send.out" 2>&1 &
spid=$!
BG_PIDS+=("$spid")
# (the bytes written, not the size: the part file is sparse until the blocks come)
half() { [ "$(($(stat -c '%b * %B' "$T"/killed/.diode-*.tar.part 2>/dev/null || echo 0)))" -gt 2600000 ]; }   # the first 8 blocks whole
wait_until 120 half || fail "the receiver never wrote half of the tar"
kill -9 "$spid"
received "$T/killed" 2
jq -e '.kept != null and .missing > 0' "$T/killed.out" >/dev/null || fail "the receiver did not keep what came: $(cat "$T/killed.out")"
NOTRACE=1 receive_bg "$T/killed"
send --repeat 1
received "$T/killed" 0
cmp "$T/b.tar" "$T/killed/tiny-1.tar" || fail "the resend did not complete the tar"
jq -e '.resumed > 0' "$T/killed.out" >/dev/null || fail "the resend did not resume from the part file: $(cat "$T/killed.out")"

# ---------------------------------------------------------------- reordered and duplicated datagrams
# a session captured on another port, then replayed to the receiver shuffled, every
# datagram twice (netem is not available here: the replay reorders and duplicates)
ip netns exec "$NS_R" python3 - "$T/captured" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.231.7.2", 9001))
s.settimeout(5)
out = open(sys.argv[1], "wb")
try:
    while True:
        p = s.recv(9000)
        out.write(len(p).to_bytes(2, "big") + p)
except socket.timeout:
    pass
out.close()
PY
cpid=$!
BG_PIDS+=("$cpid")
wait_until 60 bound 9001 || fail "the capture never bound"
expect_exit 0 ip netns exec "$NS_S" "$AIRLOCK" diode send "$T/b.tar" --to 10.231.7.2:9001 --rate 200M --repeat 1
wait "$cpid"
NOTRACE=1 receive_bg "$T/shuffled"
ip netns exec "$NS_S" python3 - "$T/captured" <<'PY'
import random, socket, sys, time
data = open(sys.argv[1], "rb").read()
pkts, i = [], 0
while i < len(data):
    n = int.from_bytes(data[i:i + 2], "big")
    pkts.append(data[i + 2:i + 2 + n])
    i += 2 + n
head = [p for p in pkts if p[4] in (1, 2)]          # the manifest and index first, as a pass opens
rest = [p for p in pkts if p[4] not in (1, 2)] * 2  # every other datagram twice
random.Random(1610).shuffle(rest)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k, p in enumerate(head + rest):
    s.sendto(p, ("10.231.7.2", 9000))
    if k % 64 == 0:
        time.sleep(0.002)                            # paced, as the sender paces
PY
received "$T/shuffled" 0
cmp "$T/b.tar" "$T/shuffled/tiny-1.tar" || fail "reordered, duplicated datagrams did not give the tar"

# the twin: the same session with the manifest's tar SHA-256 changed (and its CRC made to
# match). Every block matches the index, so only the whole tar's hash, which the receiver
# keeps block by block as they come, can catch it: exit 1, nothing renamed into place.
NOTRACE=1 receive_bg "$T/forged"
ip netns exec "$NS_S" python3 - "$T/captured" "$T/b.tar" <<'PY'
import hashlib, socket, sys, time
def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 & -(c & 1))
    return c ^ 0xffffffff
real = b"sha256:" + hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest().encode()
fake = real[:23] + hashlib.sha256(b"forged").hexdigest().encode()[16:]
data, pkts, i, forged = open(sys.argv[1], "rb").read(), [], 0, 0
while i < len(data):
    n = int.from_bytes(data[i:i + 2], "big")
    p = data[i + 2:i + 2 + n]
    if p[4] == 1 and real in p:
        body = p[:-4].replace(real, fake)
        p, forged = body + crc32c(body).to_bytes(4, "big"), forged + 1
    pkts.append(p)
    i += 2 + n
assert forged, "no manifest datagram held the tar's digest"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k, p in enumerate(pkts):
    s.sendto(p, ("10.231.7.2", 9000))
    if k % 64 == 0:
        time.sleep(0.002)
PY
received "$T/forged" 1
grep -q 'is not the manifest' "$T/forged.err" || fail "a tar that is not the manifest's was not named: $(cat "$T/forged.err")"
[ -z "$(find "$T/forged" -name '*.tar' ! -name '*.part')" ] || fail "a tar that is not the manifest's was put in place"

# ---------------------------------------------------------------- junk on the port
NOTRACE=1 receive_bg "$T/junk"
ip netns exec "$NS_S" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
junk = [b"hello", b"ALD1" + bytes(60)]
hdr = bytearray(b"ALD1\x03\x01\x00\x04" + bytes(28) + b"abcd" + b"\x00\x00\x00\x00")  # a data datagram, CRC 0
for _ in range(50):
    for j in junk + [bytes(hdr)]:
        s.sendto(j, ("10.231.7.2", 9000))
PY
send --repeat 1
received "$T/junk" 0
[ "$(jq .bad_crc "$T/junk.out")" -ge 50 ] || fail "datagrams with a bad CRC were not counted"
cmp "$T/b.tar" "$T/junk/tiny-1.tar" || fail "junk on the port spoiled the tar"

# ---------------------------------------------------------------- jumbo frames
# a link with a 9000-byte MTU and symbols of 8192 bytes, at 1 % loss: byte-exact, and the
# receiver reports the session's time and goodput
ip -n "$NS_S" link set "vs$$" mtu 9000
ip -n "$NS_R" link set "vr$$" mtu 9000
loss 1
NOTRACE=1 receive_bg "$T/jumbo"
send --symbol-size 8192 --repeat 1
received "$T/jumbo" 0
cmp "$T/b.tar" "$T/jumbo/tiny-1.tar" || fail "with 8192-byte symbols the tar is not the one sent"
jq -e --argjson n "$(stat -c %s "$T/b.tar")" '.tar_bytes == $n and .seconds > 0' "$T/jumbo.out" >/dev/null ||
    fail "the receiver did not report the session's bytes and time: $(cat "$T/jumbo.out")"
loss 0
ip -n "$NS_S" link set "vs$$" mtu 1500
ip -n "$NS_R" link set "vr$$" mtu 1500

# ---------------------------------------------------------------- a link that refuses the datagrams
# (sendto fails: the sender stops at once, its reader thread with it, and says where)
ip netns exec "$NS_S" iptables -A OUTPUT -p udp -j DROP
expect_exit 2 ip netns exec "$NS_S" "$AIRLOCK" diode send "$T/b.tar" --to 10.231.7.2:$PORT --rate 200M --repeat 1
grep -q "cannot send to 10.231.7.2:$PORT" "$ERR" || fail "a refused send was not named: $(cat "$ERR")"
ip netns exec "$NS_S" iptables -F OUTPUT

# ---------------------------------------------------------------- --import
# (sent from the directory form with --custody-key: the hand-over is recorded in the bundle
# before it goes, so the record crosses with it)
expect_exit 0 airlock init --store "$T/store"
expect_exit 0 airlock key generate -o "$T/courier" -W
mkdir "$T/bdir" && tar -xf "$T/b.tar" -C "$T/bdir"
NOTRACE=1 receive_bg "$T/imp" --import --store "$T/store" --allow-unsigned
expect_exit 0 ip netns exec "$NS_S" "$AIRLOCK" diode send "$T/bdir" --to 10.231.7.2:$PORT --rate 200M --repeat 1 \
    --custody-key "$T/courier.key" --actor "diode operator"
received "$T/imp" 0
grep -q '"status": "imported"' "$T/imp.out" || { cat "$T/imp.out" >&2; fail "receive --import did not import"; }
expect_exit 0 airlock custody show --store "$T/store" tiny@1 --json
jq -e '.chain[-1].event == "handed-over" and .chain[-1].actor == "diode operator"' "$OUT" >/dev/null ||
    fail "the hand-over to the diode did not cross with the bundle: $(cat "$OUT")"
jq -e '[.store_records[].event] | index("received")' "$OUT" >/dev/null || fail "the import did not record the receipt"
tar -xOf "$T/imp/tiny-1.tar" custody.log | stdin_has "one-way link to 10.231.7.2:$PORT" ||
    fail "the hand-over record does not name the link"

[ "$(tx)" = "$TX0" ] || fail "the receiving side transmitted $(($(tx) - TX0)) packets"
note "the receiving interface sent $(($(tx) - TX0)) packets through every session"
