# shellcheck shell=bash disable=SC2034  # MED, SPREAD etc. are read by the scripts that source this
# bench/lib.sh: shared by bench/verify.sh and bench/create-import.sh (sourced).
#
# Timing: hyperfine when installed (warmup 1, --prepare before every run,
# median from its CSV export); otherwise a loop of runs timed with
# `date +%s.%N`, one untimed warmup first, median. Peak RSS: /usr/bin/time -f %M.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$BENCH_ROOT" || exit 2

QUICK=0 PEERS_ONLY=0 RUNS="" DIR=""
JOBS=${BENCH_JOBS:-$(nproc)}
declare -A MED=() SPREAD=()

bench_usage() {
    cat >&2 <<EOF
usage: $0 [--quick] [--runs N] [--peers-only] [DIR]
  DIR           data directory (default \$AIRLOCK_BENCH_DIR, else
                /var/tmp/airlock-bench, or /var/tmp/airlock-bench-quick with --quick)
  --quick       256 MiB of data, 3 runs (default: 2 GiB, 5 runs)
  --runs N      timed runs per measurement
  --peers-only  time only the stock peers (no airlock binary needed); a stand-in
                bundle (hard links + SHA256SUMS) is built with stock tools
env: AIRLOCK (binary, default build/airlock), BENCH_JOBS (hash processes, default nproc),
     BENCH_NO_HYPERFINE=1 (force the date loop), AIRLOCK_VERIFY_FLAGS, AIRLOCK_IMPORT_FLAGS
EOF
    exit 64
}

bench_init() {
    while [[ $# -gt 0 ]]; do
        case $1 in
            --quick) QUICK=1 ;;
            --peers-only) PEERS_ONLY=1 ;;
            --runs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || bench_usage; RUNS=$2; shift ;;
            -h|--help) bench_usage ;;
            -*) echo "$0: unknown option $1" >&2; bench_usage ;;
            *) [[ -z $DIR ]] || bench_usage; DIR=$1 ;;
        esac
        shift
    done
    if (( QUICK )); then
        TOTAL_MIB=256; RUNS=${RUNS:-3}
        DIR=${DIR:-${AIRLOCK_BENCH_DIR:-/var/tmp/airlock-bench-quick}}
    else
        TOTAL_MIB=2048; RUNS=${RUNS:-5}
        DIR=${DIR:-${AIRLOCK_BENCH_DIR:-/var/tmp/airlock-bench}}
    fi
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    LISTS=$DIR/lists
    mkdir -p "$LISTS"

    AIRLOCK_BIN=${AIRLOCK:-build/airlock}
    [[ $AIRLOCK_BIN == /* ]] || AIRLOCK_BIN=$BENCH_ROOT/$AIRLOCK_BIN
    if (( ! PEERS_ONLY )) && [[ ! -x $AIRLOCK_BIN ]]; then
        echo "$0: no airlock binary at $AIRLOCK_BIN (set AIRLOCK=..., or use --peers-only)" >&2
        exit 2
    fi
    [[ -x /usr/bin/time ]] || { echo "$0: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
    command -v openssl >/dev/null || { echo "$0: openssl missing" >&2; exit 2; }
    if [[ -z ${BENCH_NO_HYPERFINE:-} ]] && command -v hyperfine >/dev/null; then
        TIMER=hyperfine
    else
        TIMER=date-loop
    fi
    export LC_ALL=C
}

bench_header() {
    printf '# %s  %s\n' "$(basename "$0")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '# host: %s, %s cores, %s; %s\n' "$(uname -r)" "$(nproc)" \
        "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
        "$(grep -qw sha_ni /proc/cpuinfo && echo SHA-NI || echo no SHA-NI)"
    printf '# data: %s (%s MiB), runs: %s, timer: %s, hash jobs: %s\n' \
        "$DIR" "$TOTAL_MIB" "$RUNS" "$TIMER" "$JOBS"
    if (( PEERS_ONLY )); then
        printf '# airlock: (peers only)\n'
    else
        printf '# airlock: %s (%s)\n' "$AIRLOCK_BIN" \
            "$("$AIRLOCK_BIN" --version 2>/dev/null | head -n1 || echo '?')"
    fi
}

# q ARG...: shell-quote for the command strings run by bash -c / hyperfine.
q() { printf '%q' "$1"; }

# timeit NAME PREPARE CMD: median wall seconds of CMD into MED[NAME], "min-max"
# into SPREAD[NAME]. PREPARE
# (may be empty), then `sync`, run untimed before every run, the warmup
# included: no run pays for the writeback of an earlier one.
timeit() {
    local name=$1 prep=${2:+$2 && }sync cmd=$3
    printf '  timing %-26s ' "$name" >&2
    if [[ $TIMER == hyperfine ]]; then
        local csv=$LISTS/hf.csv log=$LISTS/hf.log
        if ! hyperfine --shell=bash --style none --warmup 1 --runs "$RUNS" --prepare "$prep" \
                --export-csv "$csv" -n "$name" "$cmd" >"$log" 2>&1; then
            echo "FAILED" >&2; cat "$log" >&2; return 1
        fi
        MED[$name]=$(awk -F, 'NR==2 { printf "%.4f", $4 }' "$csv")
        SPREAD[$name]=$(awk -F, 'NR==2 { printf "%.3f-%.3f", $7, $8 }' "$csv")
    else
        local i t0 t1 times=()
        for (( i = 0; i <= RUNS; i++ )); do
            bash -c "$prep" >/dev/null
            t0=$(date +%s.%N)
            bash -c "$cmd" >/dev/null
            t1=$(date +%s.%N)
            (( i == 0 )) || times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
        done
        MED[$name]=$(printf '%s\n' "${times[@]}" | sort -g \
            | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f", m }')
        SPREAD[$name]=$(printf '%s\n' "${times[@]}" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f-%.3f", a, b }')
    fi
    printf '%8.3f s\n' "${MED[$name]}" >&2
}

# timeit_alternating NAME PREPARE CMD [NAME PREPARE CMD]...: like timeit, but
# the commands take turns: one untimed warm-up round, then RUNS rounds in each
# of which every command runs once (its PREPARE, then `sync`, untimed before
# it), the first command of a round rotating. So a change in the machine's
# speed (other jobs) hits every command alike. Fills MED and SPREAD (wall s),
# and CPU[NAME]: the median user + system seconds of the run (from the shell's
# `times`, which counts every reaped descendant). Always the date loop: hyperfine
# cannot interleave.
declare -A CPU=()
_times_cpu() {
    # the second line of `times`: the children's user and system time, "0m0.123s 0m0.045s"
    awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); s += p[1] * 60 + p[2] }
                   printf "%.3f\n", s }' "$1"
}
_median() {
    sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f", m }'
}
timeit_alternating() {
    local -a names=() preps=() cmds=()
    local -A walls=() cpus=()
    local k n r i t0 t1 c0 c1
    while (( $# >= 3 )); do
        names+=("$1"); preps+=("${2:+$2 && }sync"); cmds+=("$3"); shift 3
    done
    n=${#names[@]}
    printf '  timing %s: %s rounds, taking turns\n' "${names[*]}" "$RUNS" >&2
    for (( r = 0; r <= RUNS; r++ )); do
        for (( i = 0; i < n; i++ )); do
            k=$(( (i + r) % n ))
            bash -c "${preps[k]}" >/dev/null
            times > "$LISTS/times.0"   # in this shell, not a subshell: its reaped children so far
            t0=$EPOCHREALTIME
            bash -c "${cmds[k]}" >/dev/null
            t1=$EPOCHREALTIME
            times > "$LISTS/times.1"
            (( r == 0 )) && continue
            c0=$(_times_cpu "$LISTS/times.0") c1=$(_times_cpu "$LISTS/times.1")
            walls[$k]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')"$'\n'
            cpus[$k]+="$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')"$'\n'
        done
    done
    for (( k = 0; k < n; k++ )); do
        MED[${names[k]}]=$(printf '%s' "${walls[$k]}" | _median)
        SPREAD[${names[k]}]=$(printf '%s' "${walls[$k]}" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f-%.3f", a, b }')
        CPU[${names[k]}]=$(printf '%s' "${cpus[$k]}" | _median)
        printf '    %-28s %8.3f s  (cpu %.3f s)\n' "${names[k]}" "${MED[${names[k]}]}" "${CPU[${names[k]}]}" >&2
    done
}

# machine_busy_ticks: busy ticks of all CPUs so far (/proc/stat: user nice system irq softirq).
machine_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# own_ticks: this shell's CPU ticks with those of its reaped descendants (/proc/$$/stat).
own_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$$/stat"; }

# peak_rss PREPARE CMD: peak RSS (KiB) of one run of CMD (after PREPARE).
# CMD is run by bash -c under /usr/bin/time; `exec` keeps the shell out of it.
peak_rss() {
    local prep=${1:+$1 && }sync cmd=$2 out=$LISTS/rss
    bash -c "$prep" >/dev/null
    /usr/bin/time -f %M -o "$out" bash -c "exec $cmd" >/dev/null
    tail -n1 "$out"
}

# make_lists ROOT PREFIX [SUMS]: size-sorted (largest first) NUL-separated list
# of the files to hash, relative to ROOT, into PREFIX.all, and a greedy
# (largest first, to the least-loaded process) split into PREFIX.0 ..
# PREFIX.$((JOBS-1)). Files are those listed in SUMS (a SHA256SUMS file,
# relative to ROOT), else every regular file under ROOT.
make_lists() {
    local root=$1 prefix=$2 sums=${3:-} tmp=$2.tmp
    rm -f "$prefix".*
    if [[ -n $sums ]]; then
        local line
        while IFS= read -r line || [[ -n $line ]]; do
            [[ -n $line ]] || continue
            # "<64 hex><space><space or *><path>"
            printf '%s\n' "${line:66}"
        done < "$sums" > "$tmp.names"
    else
        (cd "$root" && find . -type f -printf '%P\n') > "$tmp.names"
    fi
    [[ -s $tmp.names ]] || { echo "make_lists: no files under $root" >&2; return 2; }
    (cd "$root" && tr '\n' '\0' < "$tmp.names" | xargs -0 stat -c '%s %n') \
        | sort -k1,1nr -k2 > "$tmp.sized"
    cut -d' ' -f2- "$tmp.sized" | tr '\n' '\0' > "$prefix.all"
    awk -v jobs="$JOBS" -v prefix="$prefix" '
        BEGIN { for (j = 0; j < jobs; j++) load[j] = 0 }
        {
            size = $1; sub(/^[0-9]+ /, "")
            best = 0
            for (j = 1; j < jobs; j++) if (load[j] < load[best]) best = j
            load[best] += size
            print > (prefix "." best)
        }' "$tmp.sized"
    local j
    for (( j = 0; j < JOBS; j++ )); do
        if [[ -f $prefix.$j ]]; then tr '\n' '\0' < "$prefix.$j" > "$tmp.z"; mv "$tmp.z" "$prefix.$j"
        else : > "$prefix.$j"; fi
    done
    rm -f "$tmp".*
}

# par_hash_cmd ROOT PREFIX: the command string that hashes the lists made by
# make_lists with JOBS concurrent `openssl dgst -sha256` processes in ROOT.
par_hash_cmd() {
    local root=$1 prefix=$2 j s
    s="cd $(q "$root") && { "
    for (( j = 0; j < JOBS; j++ )); do
        s+="xargs -0r openssl dgst -sha256 < $(q "$prefix.$j") > /dev/null & p$j=\$!; "
    done
    for (( j = 0; j < JOBS; j++ )); do
        s+="wait \$p$j && "
    done
    s+="true; }"
    printf '%s' "$s"
}

# cat_cmd ROOT PREFIX: read every listed file once (the read limit).
cat_cmd() {
    printf 'cd %s && xargs -0r cat < %s > /dev/null' "$(q "$1")" "$(q "$2.all")"
}

# total_bytes ROOT PREFIX
total_bytes() {
    (cd "$1" && xargs -0r stat -c %s < "$2.all") | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# make_standin_bundle SRC OUT: a stand-in for an airlock bundle built with stock
# tools, for --peers-only: OUT/blobs/sha256/<hex> hard links to the files in SRC
# (copies across file systems) and OUT/SHA256SUMS listing them.
make_standin_bundle() {
    local src=$1 out=$2 f h
    rm -rf "$out"
    mkdir -p "$out/blobs/sha256"
    : > "$out/SHA256SUMS.tmp"
    while IFS= read -r -d '' f; do
        h=$(openssl dgst -sha256 -r "$src/$f" | cut -c1-64)
        [[ -e $out/blobs/sha256/$h ]] || ln "$src/$f" "$out/blobs/sha256/$h" 2>/dev/null \
            || cp "$src/$f" "$out/blobs/sha256/$h"
        printf '%s  blobs/sha256/%s\n' "$h" "$h" >> "$out/SHA256SUMS.tmp"
    done < <(cd "$src" && find . -type f -printf '%P\0' | sort -z)
    printf '{"imageLayoutVersion":"1.0.0"}\n' > "$out/oci-layout"
    printf '%s  oci-layout\n' "$(sha256sum < "$out/oci-layout" | cut -c1-64)" >> "$out/SHA256SUMS.tmp"
    sort -u -k2 "$out/SHA256SUMS.tmp" > "$out/SHA256SUMS"
    rm -f "$out/SHA256SUMS.tmp"
}

# ratio A B [SCALE]: A / B * SCALE with 2 decimals ("n/a" when B is 0/missing)
ratio() {
    awk -v a="${1:-0}" -v b="${2:-0}" -v s="${3:-1}" \
        'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b * s }'
}

# ge A B: exit 0 when A >= B (floats)
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
gibs() { awk -v b="$1" -v t="$2" 'BEGIN { if (t + 0 == 0) print "n/a"; else printf "%.2f", b / t / 1073741824 }'; }

# bench_image LAY: an OCI layout at LAY (made once) holding one image tagged "big": 8 layers
# of random bytes, TOTAL_MIB in all, and its config.
bench_image() {
    [[ -f $1/index.json ]] && return 0
    rm -rf "$1"
    python3 - "$1" "$TOTAL_MIB" <<'PY'
import hashlib, json, os, sys
out, mib = sys.argv[1], int(sys.argv[2])
os.makedirs(out + "/blobs/sha256")
def put(b, mt):
    d = hashlib.sha256(b).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(b)
    return {"mediaType": mt, "digest": "sha256:" + d, "size": len(b)}
layers = [put(os.urandom(mib * 1024 * 1024 // 8), "application/vnd.oci.image.layer.v1.tar") for _ in range(8)]
cfg = put(json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode(),
          "application/vnd.oci.image.config.v1+json")
man = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": cfg, "layers": layers}).encode(), "application/vnd.oci.image.manifest.v1+json")
man["annotations"] = {"org.opencontainers.image.ref.name": "big"}
json.dump({"schemaVersion": 2, "manifests": [man]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
}

# bench_registry DIR: Debian's docker-registry on a free loopback port ($PORT), storing in
# DIR/data; bench_registry_stop ends it (for an EXIT trap).
REG_PID=""
bench_registry() {
    local i
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$1"
    printf 'version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s/data}}\nhttp: {addr: 127.0.0.1:%s}\n' \
        "$1" "$PORT" >"$1/config.yml"
    docker-registry serve "$1/config.yml" </dev/null >"$1/log" 2>&1 &
    REG_PID=$!
    for (( i = 0; i < 150; i++ )); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && return 0
        sleep 0.1
    done
    echo "$0: docker-registry did not start" >&2
    exit 2
}
bench_registry_stop() {
    [[ -z $REG_PID ]] || { kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null || true; }
    REG_PID=""
}
