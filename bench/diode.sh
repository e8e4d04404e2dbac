#!/usr/bin/env bash
# bench/diode.sh [--quick] [--runs N] [DIR]      (root: it makes network namespaces)
#
# The diode's goodput on a veth link between two network namespaces made here, at a set
# rate (BENCH_DIODE_RATE, default 500M bits a second on the wire) and 0 % and 2 % loss
# (iptables' statistic match on the receiving side), one pass, repair at BENCH_DIODE_FEC
# (default 8 %). The data: a tar of random bytes (256 MiB, or 64 MiB with --quick).
#   airlock: diode receive, then diode send; the time from the send's start to the
#            receiver's exit with the tar verified and renamed into place
#   peer:    udpcast (Debian's udp-sender/udp-receiver) on the same link and loss, in its
#            one-way mode (--async, --fec 8x16/128: 16 redundant of 128, about 12 %), at the
#            same --max-bitrate, from the send's start to the receiver's exit
# Goodput = the file's bits / that time. udpcast stops at the first stripe it cannot
# repair in --async mode; that is reported as "lost", not timed. Both tools count the rate
# on the wire (headers and repair included), so goodput can reach at most the rate
# / (1 + repair) / (1 + headers). For airlock a second figure, "link", counts from the
# receiver's first datagram (its --json "seconds") instead of the send's start: it leaves
# out the sender's check of the bundle and its measuring pass, made before anything is sent.
# BENCH_DIODE_MTU=9000 runs the link with jumbo frames and airlock with 8,192-byte symbols
# (BENCH_DIODE_SYMBOL); udpcast's packets are at most 1,456 bytes whatever the MTU.
# Benchmark only: never part of the test suite.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init "$@"
[[ $(id -u) -eq 0 ]] || { echo "$0: network namespaces need root" >&2; exit 2; }
for t in ip iptables udp-sender udp-receiver; do
    command -v "$t" >/dev/null || { echo "$0: $t missing (apt-get install iproute2 iptables udpcast)" >&2; exit 2; }
done
RATE=${BENCH_DIODE_RATE:-500M}
FEC=${BENCH_DIODE_FEC:-8%}
MTU=${BENCH_DIODE_MTU:-1500}
SYMBOL=${BENCH_DIODE_SYMBOL:-$(( MTU >= 8260 ? 8192 : 1400 ))}
MIB=$(( QUICK ? 64 : 256 ))
NS_S=abs$$ NS_R=abr$$ VS=vbs$$ VR=vbr$$
IN=$DIR/diode-in
U=$DIR/diode-udpcast.out
cleanup() { ip netns del "$NS_S" 2>/dev/null || true; ip netns del "$NS_R" 2>/dev/null || true; rm -rf "$IN" "$U"; }
trap cleanup EXIT
ip netns add "$NS_S"; ip netns add "$NS_R"
ip link add "$VS" type veth peer name "$VR"
ip link set "$VS" netns "$NS_S"; ip link set "$VR" netns "$NS_R"
for ns in "$NS_S" "$NS_R"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" addr add 10.233.7.1/24 dev "$VS"; ip -n "$NS_R" addr add 10.233.7.2/24 dev "$VR"
ip -n "$NS_S" link set "$VS" mtu "$MTU" up; ip -n "$NS_R" link set "$VR" mtu "$MTU" up

SRC=$DIR/diode-src
TAR=$DIR/diode-$MIB.tar
if [[ ! -f $TAR ]]; then
    rm -rf "$SRC"; mkdir -p "$SRC"
    head -c $(( MIB << 20 )) /dev/urandom >"$SRC/weights.bin"
    printf 'name: diode-bench\nversion: 1\nartifacts:\n  - kind: file\n    path: weights.bin\n' >"$SRC/airlock.yaml"
    "$AIRLOCK_BIN" bundle create -f "$SRC/airlock.yaml" -o "$TAR" --tar --quiet >/dev/null
fi
BYTES=$(stat -c %s "$TAR")
RBITS=$(numfmt --from=si "$RATE")

loss() { # PERCENT
    ip netns exec "$NS_R" iptables -F INPUT
    [[ $1 == 0 ]] || ip netns exec "$NS_R" iptables -A INPUT -p udp \
        -m statistic --mode random --probability "0.$(printf '%02d' "$1")" -j DROP
}
bound() { [[ -n $(ip netns exec "$NS_R" ss -Hlun "sport = :$1") ]]; }
wait_bound() { local i; for (( i = 0; i < 500; i++ )); do bound "$1" && return 0; sleep 0.01; done; return 1; }

# one_airlock: seconds of one session end to end, or "lost"; the link's seconds into $LINK_S
one_airlock() {
    local rc=0 t0 t1
    rm -rf "$IN"
    ip netns exec "$NS_R" "$AIRLOCK_BIN" diode receive --listen 10.233.7.2:9400 -o "$IN" --idle 10 --json \
        >"$LISTS/diode-recv.json" 2>"$LISTS/diode-recv.err" &
    local r=$!
    wait_bound 9400
    t0=$(date +%s.%N)
    ip netns exec "$NS_S" "$AIRLOCK_BIN" diode send "$TAR" --to 10.233.7.2:9400 --rate "$RATE" --fec "$FEC" \
        --symbol-size "$SYMBOL" --repeat 1 >/dev/null 2>&1
    wait "$r" || rc=$?
    t1=$(date +%s.%N)
    if (( rc == 0 )) && cmp -s "$TAR" "$IN"/*.tar; then
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
        jq -r '.seconds' "$LISTS/diode-recv.json" >>"$LISTS/diode-link.s"
    else echo lost; fi
}
one_udpcast() {
    local rc=0 t0 t1
    rm -f "$U"
    ip netns exec "$NS_R" udp-receiver --interface "$VR" --file "$U" --nokbd --exitWait 0 \
        --mcast-rdv-address 224.0.0.78 >"$LISTS/udpcast-recv.log" 2>&1 &
    local r=$!
    wait_bound 9000
    t0=$(date +%s.%N)
    ip netns exec "$NS_S" udp-sender --interface "$VS" --file "$TAR" --async --fec 8x16/128 \
        --max-bitrate "${RATE,,}" --autostart 3 --nokbd --no-progress \
        --mcast-data-address 224.0.0.77 --mcast-rdv-address 224.0.0.78 >/dev/null 2>&1
    wait "$r" || rc=$?
    t1=$(date +%s.%N)
    if (( rc == 0 )) && cmp -s "$TAR" "$U"; then awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
    else echo lost; fi
}

bench_header
printf '# tar: %s MiB; rate %s (%s bit/s on the wire), MTU %s, airlock symbols of %s bytes and repair %s, one pass\n' \
    $(( BYTES >> 20 )) "$RATE" "$RBITS" "$MTU" "$SYMBOL" "$FEC"
printf '\n%-8s %-13s %-32s %9s  %s\n' loss tool "runs (s)" "goodput" "of the rate"
line() { # LOSS TOOL RUNS OK…
    local pct=$1 tool=$2 runs=$3 med gp share; shift 3
    if (( $# )); then
        med=$(printf '%s\n' "$@" | _median)
        gp=$(awk -v b="$BYTES" -v s="$med" 'BEGIN { printf "%.0f", b * 8 / s / 1e6 }')
        share=$(awk -v b="$BYTES" -v s="$med" -v r="$RBITS" 'BEGIN { printf "%.1f %%", b * 8 / s / r * 100 }')
        printf '%-8s %-13s %-32s %6s Mb/s  %s\n' "$pct %" "$tool" "$runs" "$gp" "$share"
    else
        printf '%-8s %-13s %-32s %9s  %s\n' "$pct %" "$tool" "$runs" "-" "never delivered"
    fi
}
for pct in 0 2; do
    loss "$pct"
    for tool in airlock udpcast; do
        runs=() ok=()
        : >"$LISTS/diode-link.s"
        for (( i = 0; i < RUNS; i++ )); do
            s=$(one_$tool); runs+=("$s")
            [[ $s == lost ]] || ok+=("$s")
        done
        line "$pct" "$tool" "${runs[*]}" "${ok[@]}"
        if [[ $tool == airlock ]]; then
            mapfile -t link <"$LISTS/diode-link.s"
            (( ${#link[@]} )) && line "$pct" "airlock link" "$(printf '%.3f ' "${link[@]}")" "${link[@]}"
        fi
    done
done
