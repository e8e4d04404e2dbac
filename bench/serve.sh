#!/usr/bin/env bash
# bench/serve.sh [--quick] [--runs N] [--wrk-runs N] [--peers-only] [DIR]
#
# `airlock serve` against stock servers in the same run, on the same bytes:
#   downloads of one 512 MiB blob (an image layer) by 1 and 4 concurrent curl clients
#     airlock serve      GET /v2/bench/big/blobs/sha256:<hex>
#     nginx              GET /big.bin (sendfile on; a hard link to the same file)
#     docker-registry    GET /v2/bench/big/blobs/sha256:<hex> (filesystem storage, pushed by skopeo)
#   and the servers' peak RSS while they send (VmHWM, reset first through clear_refs)
#   small requests, wrk -t2 -c32 -d10s --latency:
#     airlock            GET /v2/bench/big/manifests/1 (Accept: OCI manifest), GET /simple/pip/
#     docker-registry    GET /v2/bench/big/manifests/1 (Accept: OCI manifest)
#     nginx              GET /small.bin (a static 2 KiB file)
# Targets (docs/ARCHITECTURE.md, "Performance targets"): downloads >= nginx and >= docker-registry at 1 and 4 clients,
# memory flat; manifests and simple pages >= 10x docker-registry's manifest rate and
# >= 25 % of nginx static, p99 < 10 ms.
# The script starts every server itself on free ports and stops them on exit.
# Benchmark only: never part of the test suite.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"   # cd's to the repo root; q, ratio, ge, mib

usage() {
    cat >&2 <<EOF
usage: $0 [--quick] [--runs N] [--wrk-runs N] [--peers-only] [DIR]
  DIR           data directory (default \${AIRLOCK_BENCH_DIR:-/var/tmp/airlock-bench}/serve)
  --quick       3 download runs, 1 wrk run of 5 s per target (default: 9 runs; 3 wrk runs of 10 s)
  --runs N      timed download runs per server and client count
  --wrk-runs N  wrk runs per small-request target
  --peers-only  only nginx and docker-registry (no airlock binary needed)
env: AIRLOCK (binary, default build/airlock), AIRLOCK_SERVE_FLAGS (extra flags for serve),
     BENCH_WRK_DURATION (seconds per wrk run), BENCH_KEEP=1 (keep the run directory)
EOF
    exit 64
}

QUICK=0 PEERS_ONLY=0 RUNS="" WRK_RUNS="" DIR=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) QUICK=1 ;;
        --peers-only) PEERS_ONLY=1 ;;
        --runs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage; RUNS=$2; shift ;;
        --wrk-runs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage; WRK_RUNS=$2; shift ;;
        -h|--help) usage ;;
        -*) echo "$0: unknown option $1" >&2; usage ;;
        *) [[ -z $DIR ]] || usage; DIR=$1 ;;
    esac
    shift
done
if (( QUICK )); then
    RUNS=${RUNS:-3}; WRK_RUNS=${WRK_RUNS:-1}; WRK_DUR=${BENCH_WRK_DURATION:-5}
else
    RUNS=${RUNS:-9}; WRK_RUNS=${WRK_RUNS:-3}; WRK_DUR=${BENCH_WRK_DURATION:-10}
fi
[[ $WRK_DUR =~ ^[1-9][0-9]*$ ]] || { echo "$0: BENCH_WRK_DURATION must be a positive integer" >&2; exit 64; }
DIR=${DIR:-${AIRLOCK_BENCH_DIR:-/var/tmp/airlock-bench}/serve}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
export LC_ALL=C

AIRLOCK_BIN=${AIRLOCK:-build/airlock}
[[ $AIRLOCK_BIN == /* ]] || AIRLOCK_BIN=$BENCH_ROOT/$AIRLOCK_BIN
if (( ! PEERS_ONLY )) && [[ ! -x $AIRLOCK_BIN ]]; then
    echo "$0: no airlock binary at $AIRLOCK_BIN (set AIRLOCK=..., or use --peers-only)" >&2
    exit 2
fi
for t in curl wrk nginx docker-registry skopeo openssl python3; do
    command -v "$t" >/dev/null || { echo "$0: $t missing (scripts/install-deps)" >&2; exit 2; }
done

BLOB_BYTES=$(( 512 * 1048576 ))
MT_MANIFEST=application/vnd.oci.image.manifest.v1+json
IMG=$DIR/image          # the OCI layout (kept between runs)
WWW=$DIR/www            # nginx's root: big.bin (hard link to the layer), small.bin (kept)
R=$DIR/run              # everything of this run: bundle, store, configs, logs (removed on exit)
WHEELS=/usr/share/python-wheels

# ---------------------------------------------------------------- servers and cleanup
SERVER_PIDS=()
stop_pid() {   # stop_pid PID: SIGTERM, up to 10 s, then SIGKILL
    local p=$1 i
    kill -TERM "$p" 2>/dev/null || return 0
    for (( i = 0; i < 100; i++ )); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$p" 2>/dev/null && { echo "serve: pid $p ignored SIGTERM; killing it" >&2; kill -KILL "$p" 2>/dev/null; }
    wait "$p" 2>/dev/null || true
}
cleanup() {
    local p
    for p in "${SERVER_PIDS[@]}"; do stop_pid "$p"; done
    SERVER_PIDS=()
    if [[ -n ${BENCH_KEEP:-} ]]; then echo "serve: kept $R" >&2; else rm -rf "$R"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL PID: until URL answers (any HTTP status) or PID dies; 15 s at most.
wait_http() {
    local url=$1 pid=$2 i code
    for (( i = 0; i < 150; i++ )); do
        kill -0 "$pid" 2>/dev/null || return 1
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        [[ $code != 000 ]] && return 0
        sleep 0.1
    done
    return 1
}

start_nginx() {
    local d=$R/nginx try
    mkdir -p "$d/tmp"
    for (( try = 0; try < 3; try++ )); do
        NGINX_PORT=$(free_port)
        {
            (( EUID == 0 )) && echo "user root root;"
            cat <<EOF
worker_processes auto;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WWW;
    }
}
EOF
        } > "$d/nginx.conf"
        nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" </dev/null >"$d/stdout" 2>&1 &
        NGINX_PID=$!
        if wait_http "http://127.0.0.1:$NGINX_PORT/small.bin" "$NGINX_PID"; then
            SERVER_PIDS+=("$NGINX_PID"); return 0
        fi
        stop_pid "$NGINX_PID"
    done
    cat "$d/error.log" "$d/stdout" >&2 2>/dev/null || true
    echo "serve: nginx did not start" >&2; exit 2
}

start_registry() {
    local d=$R/registry try
    mkdir -p "$d/data"
    for (( try = 0; try < 3; try++ )); do
        REG_PORT=$(free_port)
        # Debian's /etc/docker/registry/config.yml, without the htpasswd auth, on a free
        # loopback port, storing under the run directory.
        cat > "$d/config.yml" <<EOF
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
        docker-registry serve "$d/config.yml" </dev/null >"$d/log" 2>&1 &
        REG_PID=$!
        if wait_http "http://127.0.0.1:$REG_PORT/v2/" "$REG_PID"; then
            SERVER_PIDS+=("$REG_PID"); return 0
        fi
        stop_pid "$REG_PID"
    done
    tail -n 20 "$d/log" >&2 || true
    echo "serve: docker-registry did not start" >&2; exit 2
}

start_airlock() {
    local out=$R/airlock.out i flags
    # shellcheck disable=SC2206  # word splitting of the flags is intended
    flags=(${AIRLOCK_SERVE_FLAGS-})
    : > "$out"
    "$AIRLOCK_BIN" serve --store "$R/store" --listen 127.0.0.1:0 --access-log "$R/airlock-access.log" \
        "${flags[@]}" </dev/null >"$out" 2>"$R/airlock.err" &
    AIR_PID=$!
    SERVER_PIDS+=("$AIR_PID")
    AIR_URL=
    for (( i = 0; i < 300; i++ )); do
        AIR_URL=$(sed -n 's|^listening on \(http://[^ ]*\)/$|\1|p;T;q' "$out")
        [[ -n $AIR_URL ]] && break
        kill -0 "$AIR_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [[ -z $AIR_URL ]]; then
        cat "$R/airlock.err" >&2
        echo "serve: airlock serve did not print its listening line" >&2; exit 2
    fi
}

# ---------------------------------------------------------------- data
sha_hex() { openssl dgst -sha256 -r "$1" | cut -c1-64; }

# The layer: a ustar archive of exactly 512 MiB (one 512-byte header, one member of
# 512 MiB - 1536 bytes of AES-CTR keystream, the two zero blocks that end an archive),
# so it is a valid uncompressed OCI layer, incompressible and the same on every machine.
make_layer() {
    local out=$1 n=$(( BLOB_BYTES - 1536 ))
    python3 - "$n" > "$out" <<'PY'
import sys, tarfile
ti = tarfile.TarInfo("weights.bin")
ti.size = int(sys.argv[1]); ti.mtime = 1704067200; ti.mode = 0o644
ti.uname = ti.gname = "root"
sys.stdout.buffer.write(ti.tobuf(format=tarfile.USTAR_FORMAT))
PY
    head -c "$n" /dev/zero \
        | openssl enc -aes-128-ctr -nosalt -K "$(printf airlock-bench-serve | sha256sum | cut -c1-32)" \
            -iv 00000000000000000000000000000000 >> "$out"
    head -c 1024 /dev/zero >> "$out"
    [[ $(stat -c %s "$out") == "$BLOB_BYTES" ]] || { echo "serve: short layer $out" >&2; exit 2; }
}

# put_blob FILE: moves FILE into $IMG/blobs/sha256/<hex>; prints the hex.
put_blob() {
    local h
    h=$(sha_hex "$1")
    mv -f "$1" "$IMG/blobs/sha256/$h"
    printf '%s' "$h"
}

# The image, an OCI layout written by hand (tag 1): the layer, a config, a manifest.
# Kept between runs; rebuilt when its stamp is missing.
make_image() {
    if [[ -f $IMG/.complete ]] && [[ -f $WWW/big.bin ]] && [[ -f $WWW/small.bin ]]; then
        LAYER_HEX=$(sed -n 1p "$IMG/.complete"); MANIFEST_HEX=$(sed -n 2p "$IMG/.complete")
        if [[ $(stat -c %s "$IMG/blobs/sha256/$LAYER_HEX" 2>/dev/null) == "$BLOB_BYTES" ]]; then
            echo "serve: reusing the image in $IMG" >&2; return 0
        fi
    fi
    echo "serve: writing the 512 MiB image layout $IMG" >&2
    rm -rf "$IMG" "$WWW"
    mkdir -p "$IMG/blobs/sha256" "$WWW"
    local t=$IMG/.tmp cfg_hex cfg_size man_size
    make_layer "$t"
    LAYER_HEX=$(put_blob "$t")
    printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"bench/serve.sh"}]}' \
        "$LAYER_HEX" > "$t"
    cfg_size=$(stat -c %s "$t")
    cfg_hex=$(put_blob "$t")
    printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
        "$MT_MANIFEST" "$cfg_hex" "$cfg_size" "$LAYER_HEX" "$BLOB_BYTES" > "$t"
    man_size=$(stat -c %s "$t")
    MANIFEST_HEX=$(put_blob "$t")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
        "$MT_MANIFEST" "$MANIFEST_HEX" "$man_size" > "$IMG/index.json"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$IMG/oci-layout"
    skopeo inspect "oci:$IMG:1" >/dev/null || { echo "serve: skopeo cannot read $IMG:1" >&2; exit 2; }
    ln "$IMG/blobs/sha256/$LAYER_HEX" "$WWW/big.bin" 2>/dev/null || cp "$IMG/blobs/sha256/$LAYER_HEX" "$WWW/big.bin"
    head -c 2048 /dev/zero | openssl enc -aes-128-ctr -nosalt -K 00112233445566778899aabbccddeeff \
        -iv 00000000000000000000000000000000 > "$WWW/small.bin"
    printf '%s\n%s\n' "$LAYER_HEX" "$MANIFEST_HEX" > "$IMG/.complete"
}

make_store() {
    mkdir -p "$DIR/spec"
    cat > "$DIR/spec/airlock.yaml" <<EOF
name: bench-serve
version: 1
expires: 30d
artifacts:
  - kind: image
    path: $IMG:1
    name: bench/big:1
  - kind: wheel
    path: $WHEELS
EOF
    echo "serve: airlock bundle create, init, import --allow-unsigned (untimed)" >&2
    "$AIRLOCK_BIN" bundle create -f "$DIR/spec/airlock.yaml" -o "$R/bundle" --quiet >/dev/null
    "$AIRLOCK_BIN" init --store "$R/store" >/dev/null
    "$AIRLOCK_BIN" import "$R/bundle" --store "$R/store" --allow-unsigned --quiet >/dev/null
    rm -rf "$R/bundle"   # the store holds its own copy
}

push_registry() {
    echo "serve: skopeo copy into docker-registry (untimed)" >&2
    skopeo copy --quiet --preserve-digests "oci:$IMG:1" "docker://127.0.0.1:$REG_PORT/bench/big:1" --dest-tls-verify=false \
        >"$R/skopeo.log" 2>&1 || { cat "$R/skopeo.log" >&2; echo "serve: skopeo push failed" >&2; exit 2; }
}

# ---------------------------------------------------------------- checks (before timing)
# check_blob NAME URL: the server must send exactly the layer's bytes.
check_blob() {
    local h
    h=$(curl -fsS "$2" | openssl dgst -sha256 -r | cut -c1-64 || true)
    [[ $h == "$LAYER_HEX" ]] || { echo "serve: $1 sent a blob with sha256 $h, not $LAYER_HEX ($2)" >&2; exit 1; }
}
# check_manifest NAME URL: 200, the manifest's bytes, and a matching Docker-Content-Digest.
check_manifest() {
    local body=$R/check.body hdr=$R/check.hdr h dcd
    curl -fsS -H "Accept: $MT_MANIFEST" -D "$hdr" -o "$body" "$2" \
        || { echo "serve: $1: GET $2 failed" >&2; exit 1; }
    h=$(sha_hex "$body")
    dcd=$(tr -d '\r' < "$hdr" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p' | tail -n 1)
    [[ $h == "$MANIFEST_HEX" ]] \
        || echo "serve: note: $1's manifest is sha256:$h, not the layout's sha256:$MANIFEST_HEX" >&2
    [[ $dcd == "sha256:$h" ]] || { echo "serve: $1: Docker-Content-Digest '$dcd' != sha256:$h" >&2; exit 1; }
}
check_simple() {
    local want w=("$WHEELS"/pip-*.whl)
    want=${w[0]##*/}
    case "$(curl -fsS "$1")" in
        *"$want"*) ;;
        *) echo "serve: airlock $1 does not list $want" >&2; exit 1 ;;
    esac
}
check_small() {
    [[ $(curl -fsS "$1" | wc -c) == 2048 ]] || { echo "serve: nginx $1 is not 2048 bytes" >&2; exit 1; }
}

# ---------------------------------------------------------------- measurements
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f\n", m }'; }
spread() { sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.2f-%.2f", a, b }'; }

declare -A DLS=() DL_MED=() DL_SPREAD=()
# dl_once NAME URL K: K concurrent `curl -o /dev/null` of URL. Each must get 200 and
# every byte. The rate is K * size / the slowest transfer's time_total (curl's own clock:
# process start-up is not counted; the K transfers start within a few ms of each other).
# Prints GiB/s.
dl_once() {
    local name=$1 url=$2 k=$3 j pids=() bad=0 tmax
    for (( j = 0; j < k; j++ )); do
        curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$url" > "$R/dl.$j" 2>"$R/dlerr.$j" &
        pids+=($!)
    done
    for (( j = 0; j < k; j++ )); do wait "${pids[j]}" || bad=1; done
    for (( j = 0; j < k; j++ )); do
        read -r code size _ < "$R/dl.$j" || bad=1
        [[ ${code:-} == 200 && ${size:-} == "$BLOB_BYTES" ]] || bad=1
    done
    if (( bad )); then
        echo "serve: $name, $k clients: a download failed or was short:" >&2
        cat "$R"/dl.* "$R"/dlerr.* >&2; exit 1
    fi
    tmax=$(cat "$R"/dl.[0-9]* | awk '$3 > m { m = $3 } END { print m }')
    rm -f "$R"/dl.* "$R"/dlerr.*
    awk -v n="$k" -v b="$BLOB_BYTES" -v t="$tmax" 'BEGIN { printf "%.4f\n", n * b / t / 1073741824 }'
}

# RSS of a server's processes: nginx is its master and workers; the others, one process.
server_pids() {
    case $1 in
        nginx) echo "$NGINX_PID"; pgrep -P "$NGINX_PID" || true ;;
        docker-registry) echo "$REG_PID" ;;
        airlock) echo "$AIR_PID" ;;
    esac
}
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
declare -A RSS_IDLE=() RSS_PEAK=() RSS_NOTE=() RSS_IDLE_SUM=()
HWM_RESET=1
rss_reset() {   # rss_reset NAME: idle RSS (largest process, and the sum) and the peaks reset
    local p r s=0 m=0
    for p in $(server_pids "$1"); do
        r=$(status_kib "$p" VmRSS); s=$(( s + r ))
        (( r > m )) && m=$r
        echo 5 > "/proc/$p/clear_refs" 2>/dev/null || HWM_RESET=0
    done
    RSS_IDLE[$1]=$m RSS_IDLE_SUM[$1]=$s
}
rss_read() {    # rss_read NAME: the largest VmHWM of one process, and the sum of all
    local p h s=0 m=0 n=0
    for p in $(server_pids "$1"); do
        h=$(status_kib "$p" VmHWM); s=$(( s + h )); n=$(( n + 1 ))
        (( h > m )) && m=$h
    done
    RSS_PEAK[$1]=$m
    RSS_NOTE[$1]=""
    (( n > 1 )) && RSS_NOTE[$1]="largest of $n processes (master and workers); all together $(mib "${RSS_IDLE_SUM[$1]}") / $(mib "$s") MiB"
    return 0
}

# wrk_bench NAME URL [HEADER]: WRK_RUNS runs of wrk -t2 -c32 -dWRK_DUR --latency after a
# 2 s warm-up; medians of req/s and of p99 (ms). Non-2xx answers or socket errors fail.
declare -A RPS=() P99=() RPS_SPREAD=()
wrk_bench() {
    local name=$1 url=$2 hdr=${3:-} i out=$R/wrk.out args=() rps=() p99=()
    [[ -n $hdr ]] && args=(-H "$hdr")
    printf '  wrk %-28s ' "$name" >&2
    wrk -t2 -c32 -d2s "${args[@]}" "$url" >/dev/null
    for (( i = 0; i < WRK_RUNS; i++ )); do
        wrk -t2 -c32 -d"${WRK_DUR}s" --latency "${args[@]}" "$url" > "$out"
        if grep -qE 'Non-2xx|Socket errors' "$out"; then
            echo "FAILED" >&2; cat "$out" >&2
            echo "serve: $name: wrk saw errors" >&2; exit 1
        fi
        rps+=("$(awk '/^Requests\/sec:/ { print $2 }' "$out")")
        p99+=("$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                   f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1;
                   printf "%.3f\n", v * f }' "$out")")
    done
    RPS[$name]=$(printf '%s\n' "${rps[@]}" | median)
    RPS_SPREAD[$name]=$(printf '%s\n' "${rps[@]}" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.0f-%.0f", a, b }')
    P99[$name]=$(printf '%s\n' "${p99[@]}" | median | awk '{ printf "%.2f", $1 }')
    printf '%10.0f req/s  p99 %s ms\n' "${RPS[$name]}" "${P99[$name]}" >&2
}

# ---------------------------------------------------------------- run
# Another heavy job on the machine (2 cores) would skew everything: wait up to 60 s for
# the CPUs to be mostly idle (measured over 2 s from /proc/stat, not the load average,
# which still holds a previous run of this script for minutes).
cpu_busy_pct() {
    local a b
    a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    sleep 2
    b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); u = y[1] - x[1]; i = y[2] - x[2];
        printf "%.0f\n", (u + i > 0) ? 100 * u / (u + i) : 0 }'
}
# CPU ticks: the machine's (busy, steal) from /proc/stat, and ours: this shell with its
# reaped descendants plus the servers still running (nginx's workers included). Once the
# servers are stopped and reaped, their time is in this shell's cutime/cstime, so
# machine busy - ours = what other jobs used during the measurements.
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
own_ticks() {
    local p s
    s=$(proc_ticks $$)
    for p in "$@"; do s=$(( s + $(proc_ticks "$p") )); done
    echo "$s"
}

busy=$(cpu_busy_pct)
for (( i = 0; i < 15 && busy > 25; i++ )); do
    (( i == 0 )) && echo "serve: the CPUs are ${busy} % busy; waiting up to 60 s for them to calm down" >&2
    busy=$(cpu_busy_pct)
done
(( busy <= 25 )) || echo "serve: WARNING: the CPUs are still ${busy} % busy: another job is running, figures will be off" >&2

rm -rf "$R"; mkdir -p "$R"
make_image
(( PEERS_ONLY )) || make_store
start_nginx
start_registry
push_registry
(( PEERS_ONLY )) || start_airlock

NGINX_URL=http://127.0.0.1:$NGINX_PORT
REG_URL=http://127.0.0.1:$REG_PORT
BLOB_PATH=/v2/bench/big/blobs/sha256:$LAYER_HEX
MAN_PATH=/v2/bench/big/manifests/1

SERVERS=()
(( PEERS_ONLY )) || SERVERS+=(airlock)
SERVERS+=(nginx docker-registry)
declare -A BLOB_URL=([nginx]=$NGINX_URL/big.bin [docker-registry]=$REG_URL$BLOB_PATH)
(( PEERS_ONLY )) || BLOB_URL[airlock]=$AIR_URL$BLOB_PATH

echo "serve: checking what each server sends (untimed)" >&2
for s in "${SERVERS[@]}"; do check_blob "$s" "${BLOB_URL[$s]}"; done
check_manifest docker-registry "$REG_URL$MAN_PATH"
check_small "$NGINX_URL/small.bin"
if (( ! PEERS_ONLY )); then
    check_manifest airlock "$AIR_URL$MAN_PATH"
    check_simple "$AIR_URL/simple/pip/"
fi

printf '# %s  %s\n' "$(basename "$0")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf '# host: %s, %s cores, %s; CPUs %s %% busy before the run\n' "$(uname -r)" "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" "$busy"
printf '# data: %s; blob 512 MiB; download runs: %s (+1 warm-up); wrk: %s x %s s\n' "$DIR" "$RUNS" "$WRK_RUNS" "$WRK_DUR"
printf '# peers: %s; %s; curl %s; wrk %s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')" \
    "docker-registry $(docker-registry --version 2>/dev/null | awk '{ print $NF }')" \
    "$(curl --version | awk 'NR == 1 { print $2 }')" "$(dpkg-query -W -f '${Version}' wrk 2>/dev/null || echo '?')"
if (( PEERS_ONLY )); then
    printf '# airlock: (peers only)\n'
else
    printf '# airlock: %s (%s) %s\n' "$AIRLOCK_BIN" \
        "$("$AIRLOCK_BIN" --version 2>/dev/null | head -n1 || echo '?')" "${AIRLOCK_SERVE_FLAGS:-}"
fi

# Downloads: the servers take turns within each run (so a drift of the machine's speed
# hits them alike); each server's RSS peak is reset before its first download.
echo "== downloads (512 MiB blob)" >&2
ALL_PIDS=()
for sv in "${SERVERS[@]}"; do mapfile -t -O "${#ALL_PIDS[@]}" ALL_PIDS < <(server_pids "$sv"); done
read -r M0_BUSY M0_STEAL < <(machine_ticks)
OWN0=$(own_ticks "${ALL_PIDS[@]}")
T0_WALL=$(date +%s.%N)
for s in "${SERVERS[@]}"; do rss_reset "$s"; done
for k in 1 4; do
    for s in "${SERVERS[@]}"; do dl_once "$s" "${BLOB_URL[$s]}" "$k" >/dev/null; done   # warm-up
    for (( i = 0; i < RUNS; i++ )); do
        for s in "${SERVERS[@]}"; do
            DLS[$s/$k]+="$(dl_once "$s" "${BLOB_URL[$s]}" "$k") "
        done
    done
    for s in "${SERVERS[@]}"; do
        DL_MED[$s/$k]=$(tr ' ' '\n' <<< "${DLS[$s/$k]}" | grep . | median)
        DL_SPREAD[$s/$k]=$(tr ' ' '\n' <<< "${DLS[$s/$k]}" | grep . | spread)
        printf '  %-16s %d client(s): %.2f GiB/s (%s)\n' "$s" "$k" "${DL_MED[$s/$k]}" "${DL_SPREAD[$s/$k]}" >&2
    done
done
for s in "${SERVERS[@]}"; do rss_read "$s"; done

echo "== small requests (wrk -t2 -c32 -d${WRK_DUR}s)" >&2
ACC="Accept: $MT_MANIFEST"
if (( ! PEERS_ONLY )); then
    wrk_bench "airlock manifest" "$AIR_URL$MAN_PATH" "$ACC"
    wrk_bench "airlock /simple/pip/" "$AIR_URL/simple/pip/"
fi
wrk_bench "docker-registry manifest" "$REG_URL$MAN_PATH" "$ACC"
wrk_bench "nginx static 2 KiB" "$NGINX_URL/small.bin"

# Stop the servers (reaping them), then count what other jobs used meanwhile.
for p in "${SERVER_PIDS[@]}"; do stop_pid "$p"; done
SERVER_PIDS=()
read -r M1_BUSY M1_STEAL < <(machine_ticks)
OWN1=$(own_ticks)
CAP=$(awk -v a="$T0_WALL" -v b="$(date +%s.%N)" -v n="$(nproc)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f", (b - a) * n * hz }')
pct() { awk -v a="$1" -v c="$CAP" 'BEGIN { printf "%.0f", (c > 0) ? 100 * a / c : 0 }'; }
OTHERS=$(( M1_BUSY - M0_BUSY - (OWN1 - OWN0) )); (( OTHERS > 0 )) || OTHERS=0
OTHERS_PCT=$(pct "$OTHERS")

# ---------------------------------------------------------------- report
echo
printf '%-16s %22s %22s %12s %12s\n' "blob download" "1 client GiB/s" "4 clients GiB/s" "RSS before" "RSS peak"
for s in "${SERVERS[@]}"; do
    printf '%-16s %8.2f (%11s) %8.2f (%11s) %8s MiB %8s MiB %s\n' "$s" \
        "${DL_MED[$s/1]}" "${DL_SPREAD[$s/1]}" "${DL_MED[$s/4]}" "${DL_SPREAD[$s/4]}" \
        "$(mib "${RSS_IDLE[$s]}")" "$(mib "${RSS_PEAK[$s]}")" "${RSS_NOTE[$s]}"
done
(( HWM_RESET )) || echo "(clear_refs could not be written: RSS peaks are since each server started)"
printf 'CPU while measuring: %s %% of the %s cores busy; this script, its clients and servers %s %%; other jobs %s %%; steal %s %%\n' \
    "$(pct $(( M1_BUSY - M0_BUSY )))" "$(nproc)" "$(pct $(( OWN1 - OWN0 )))" "$OTHERS_PCT" "$(pct $(( M1_STEAL - M0_STEAL )))"
if (( OTHERS_PCT > 5 )); then
    echo "WARNING: other jobs used ${OTHERS_PCT} % of the CPUs during the measurements: these figures are disturbed"
fi
echo
printf '%-26s %10s %13s %10s\n' "small requests" "req/s" "min-max" "p99 ms"
SMALL=()
(( PEERS_ONLY )) || SMALL+=("airlock manifest" "airlock /simple/pip/")
SMALL+=("docker-registry manifest" "nginx static 2 KiB")
for n in "${SMALL[@]}"; do
    printf '%-26s %10.0f %13s %10s\n' "$n" "${RPS[$n]}" "${RPS_SPREAD[$n]}" "${P99[$n]}"
done
echo
printf 'peer ratios: nginx static / docker-registry manifest = %sx; docker-registry / nginx download = %sx (1 client), %sx (4)\n' \
    "$(ratio "${RPS["nginx static 2 KiB"]}" "${RPS["docker-registry manifest"]}")" \
    "$(ratio "${DL_MED[docker-registry/1]}" "${DL_MED[nginx/1]}")" \
    "$(ratio "${DL_MED[docker-registry/4]}" "${DL_MED[nginx/4]}")"

if (( ! PEERS_ONLY )); then
    ok() { if "$@"; then echo ok; else echo BELOW; fi; }
    lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
    for k in 1 4; do
        a=$(ratio "${DL_MED[airlock/$k]}" "${DL_MED[nginx/$k]}")
        b=$(ratio "${DL_MED[airlock/$k]}" "${DL_MED[docker-registry/$k]}")
        printf 'download, %d client(s): airlock / nginx = %sx %s; airlock / docker-registry = %sx %s (target >= 1.00)\n' \
            "$k" "$a" "$(ok ge "$a" 1)" "$b" "$(ok ge "$b" 1)"
    done
    for n in "airlock manifest" "airlock /simple/pip/"; do
        a=$(ratio "${RPS[$n]}" "${RPS["docker-registry manifest"]}")
        b=$(ratio "${RPS[$n]}" "${RPS["nginx static 2 KiB"]}" 100)
        printf '%s: / docker-registry manifest = %sx (target >= 10x) %s; / nginx static = %s%% (target >= 25 %%) %s; p99 %s ms (target < 10) %s\n' \
            "$n" "$a" "$(ok ge "$a" 10)" "$b" "$(ok ge "$b" 25)" "${P99[$n]}" "$(ok lt "${P99[$n]}" 10)"
    done
    printf 'airlock RSS while sending: %s MiB idle, %s MiB peak (nginx worker %s MiB, docker-registry %s MiB)\n' \
        "$(mib "${RSS_IDLE[airlock]}")" "$(mib "${RSS_PEAK[airlock]}")" \
        "$(mib "${RSS_PEAK[nginx]}")" "$(mib "${RSS_PEAK[docker-registry]}")"
fi
