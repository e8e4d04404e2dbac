#!/usr/bin/env bash
# bench/many-files.sh [--files N] [--max-kib K] [--no-tar] [--tar-peer] [--compare BIN] [--quick] [--runs N]
#                     [--peers-only] [DIR]
#
# `airlock verify` of a bundle of many small files (one `kind: model` artifact of N files,
# default 5000, of 1..K KiB, default 64) against stock peers, the commands taking turns
# within every round (warm cache, medians of wall and CPU time):
#   airlock verify BUNDLE                     vs  cd BUNDLE && sha256sum -c --quiet SHA256SUMS
#   airlock verify BUNDLE.tar                 vs  the same sha256sum -c (the same files, already unpacked)
#   with --tar-peer also: tar -xf BUNDLE.tar -C X && cd X && sha256sum -c (writes 5000 files:
#   bound by the disk and slow on a busy machine, so not run by default)
#   with --compare BIN also: BIN verify BUNDLE (another build, e.g. the one before a change,
#   in the same rounds: two builds measured in separate runs of a shared machine differ
#   by more than the change)
#   informational: JOBS x `openssl dgst -sha256` over the same files (xargs batches many
#   files into one process, so this is the per-file limit of stock tools)
# Target (issue 8, "Many files"): airlock verify faster than sha256sum -c. Peak RSS < 64 MiB.
# Benchmark only: never part of the test suite.
set -euo pipefail

NFILES=5000 MAX_KIB=64 TAR=1 TAR_PEER=0 COMPARE=""
args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --files) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "$0: --files N" >&2; exit 64; }; NFILES=$2; shift ;;
        --max-kib) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "$0: --max-kib K" >&2; exit 64; }; MAX_KIB=$2; shift ;;
        --no-tar) TAR=0 ;;
        --tar-peer) TAR_PEER=1 ;;
        --compare) [[ $# -ge 2 && -x $2 ]] || { echo "$0: --compare BIN (an airlock binary)" >&2; exit 64; }
                   COMPARE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 64 ;;
        *) args+=("$1") ;;
    esac
    shift
done
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
# its own data directory: DIR/n<N>-k<K>/ below $AIRLOCK_BENCH_DIR/many-files or /var/tmp/airlock-bench-small
AIRLOCK_BENCH_DIR=${AIRLOCK_BENCH_DIR:+$AIRLOCK_BENCH_DIR/many-files}
AIRLOCK_BENCH_DIR=${AIRLOCK_BENCH_DIR:-/var/tmp/airlock-bench-small}
RUNS_GIVEN=0
[[ " ${args[*]-} " != *" --runs "* ]] || RUNS_GIVEN=1
bench_init ${args[@]+"${args[@]}"}
# runs are short: 9 rounds by default, 5 with --quick
if (( ! RUNS_GIVEN )); then if (( QUICK )); then RUNS=5; else RUNS=9; fi; fi
DATA=$DIR/n$NFILES-k$MAX_KIB
mkdir -p "$DATA"
command -v sha256sum >/dev/null || { echo "$0: sha256sum missing" >&2; exit 2; }
(( ! TAR )) || command -v tar >/dev/null || { echo "$0: tar missing (or use --no-tar)" >&2; exit 2; }

bench/make-small-data "$DATA" "$NFILES" "$MAX_KIB"
BUNDLE=$DATA/bundle TARB=$DATA/bundle.tar X=$DATA/tar-x
trap 'rm -rf "$X"' EXIT
if (( PEERS_ONLY )); then
    echo "many-files: building a stand-in bundle with stock tools (--peers-only)" >&2
    make_standin_bundle "$DATA/spec/model" "$BUNDLE"
    if (( TAR )); then (cd "$BUNDLE" && tar -cf "$TARB" --format=pax -- *); fi
else
    echo "many-files: airlock bundle create (untimed)" >&2
    rm -rf "$BUNDLE" "$TARB"
    "$AIRLOCK_BIN" bundle create -q -f "$DATA/spec/airlock.yaml" -o "$BUNDLE" >/dev/null
    (( ! TAR )) || "$AIRLOCK_BIN" bundle create -q --tar -f "$DATA/spec/airlock.yaml" -o "$TARB" >/dev/null
fi
make_lists "$BUNDLE" "$LISTS/many" "$BUNDLE/SHA256SUMS"
BYTES=$(total_bytes "$BUNDLE" "$LISTS/many")
TOTAL_MIB=$(( BYTES / 1048576 ))
LISTED=$(tr -cd '\0' < "$LISTS/many.all" | wc -c)

bench_header
printf '# bundle: %s (%d files in SHA256SUMS, %s MiB; model: %d files of 1..%d KiB)\n' \
    "$BUNDLE" "$LISTED" "$TOTAL_MIB" "$NFILES" "$MAX_KIB"

V=""
if (( ! PEERS_ONLY )); then
    # shellcheck disable=SC2206  # word splitting of the flags is intended
    vflags=(${AIRLOCK_VERIFY_FLAGS-})
    V="$(q "$AIRLOCK_BIN") verify -q"
    for f in "${vflags[@]}"; do V+=" $(q "$f")"; done
    check=("$BUNDLE")
    (( ! TAR )) || check+=("$TARB")
    for b in "${check[@]}"; do
        bash -c "$V $(q "$b")" >/dev/null || { echo "many-files: '$V $b' failed (exit 0 expected)" >&2; exit 1; }
    done
    if [[ -n $COMPARE ]]; then
        VC="$(q "$COMPARE") verify -q"
        for f in "${vflags[@]}"; do VC+=" $(q "$f")"; done
        bash -c "$VC $(q "$BUNDLE")" >/dev/null || { echo "many-files: '$VC $BUNDLE' failed (exit 0 expected)" >&2; exit 1; }
        printf '# compared with: %s (%s)\n' "$COMPARE" "$("$COMPARE" --version 2>/dev/null | head -n1 || echo '?')"
    fi
fi

SUMS="cd $(q "$BUNDLE") && sha256sum -c --quiet SHA256SUMS"
TARPEER="mkdir $(q "$X") && tar -xf $(q "$TARB") -C $(q "$X") && cd $(q "$X") && sha256sum -c --quiet SHA256SUMS"
OSSL=$(par_hash_cmd "$BUNDLE" "$LISTS/many")

B0=$(machine_busy_ticks) O0=$(own_ticks) W0=$EPOCHREALTIME
set --
if (( ! PEERS_ONLY )); then
    set -- "airlock verify (dir)" "" "$V $(q "$BUNDLE")"
    (( ! TAR )) || set -- "$@" "airlock verify (tar)" "" "$V $(q "$TARB")"
    [[ -z $COMPARE ]] || set -- "$@" "compared: verify (dir)" "" "$VC $(q "$BUNDLE")"
fi
set -- "$@" "sha256sum -c" "" "$SUMS"
(( ! (TAR && TAR_PEER) )) || set -- "$@" "tar -x + sha256sum -c" "rm -rf $(q "$X")" "$TARPEER"
timeit_alternating "$@"
timeit "openssl x$JOBS (informational)" "" "$OSSL"
B1=$(machine_busy_ticks) O1=$(own_ticks) W1=$EPOCHREALTIME
HZ=$(getconf CLK_TCK)
CAP=$(awk -v a="$W0" -v b="$W1" -v n="$(nproc)" -v hz="$HZ" 'BEGIN { printf "%.0f", (b - a) * n * hz }')
pct() { awk -v a="$1" -v c="$CAP" 'BEGIN { printf "%.0f", (c > 0 && a > 0) ? 100 * a / c : 0 }'; }

echo
printf '%-30s %10s %10s  %s\n' "command" "median s" "cpu s" "min-max s"
for n in "airlock verify (dir)" "compared: verify (dir)" "sha256sum -c" "airlock verify (tar)" \
         "tar -x + sha256sum -c" "openssl x$JOBS (informational)"; do
    [[ -n ${MED[$n]:-} ]] || continue
    printf '%-30s %10.3f %10s  %s\n' "$n" "${MED[$n]}" "${CPU[$n]:--}" "${SPREAD[$n]}"
done
echo
printf 'CPU while measuring: %s %% of the %s cores busy; this script %s %%; other jobs %s %%\n' \
    "$(pct $(( B1 - B0 )))" "$(nproc)" "$(pct $(( O1 - O0 )))" "$(pct $(( B1 - B0 - (O1 - O0) )))"
if (( $(pct $(( B1 - B0 - (O1 - O0) ))) > 5 )); then
    echo "WARNING: other jobs used CPU during the measurements: absolute figures are disturbed (the commands took turns, so compare ratios)"
fi
if (( ! PEERS_ONLY )); then
    T_AIR=${MED["airlock verify (dir)"]} T_SUM=${MED["sha256sum -c"]}
    ok() { if "$@"; then echo ok; else echo SLOWER; fi; }
    printf 'dir: airlock / sha256sum -c = %s (wall), %s (cpu)   target < 1.00   %s\n' \
        "$(ratio "$T_AIR" "$T_SUM")" "$(ratio "${CPU["airlock verify (dir)"]}" "${CPU["sha256sum -c"]}")" \
        "$(ok ge "$T_SUM" "$T_AIR")"
    if [[ -n $COMPARE ]]; then
        printf 'dir: compared / sha256sum -c = %s (wall), %s (cpu); airlock / compared = %s (wall), %s (cpu)\n' \
            "$(ratio "${MED["compared: verify (dir)"]}" "$T_SUM")" \
            "$(ratio "${CPU["compared: verify (dir)"]}" "${CPU["sha256sum -c"]}")" \
            "$(ratio "$T_AIR" "${MED["compared: verify (dir)"]}")" \
            "$(ratio "${CPU["airlock verify (dir)"]}" "${CPU["compared: verify (dir)"]}")"
    fi
    if (( TAR )); then
        printf 'tar: airlock / sha256sum -c (of the directory) = %s (wall), %s (cpu)   target < 1.00   %s\n' \
            "$(ratio "${MED["airlock verify (tar)"]}" "$T_SUM")" \
            "$(ratio "${CPU["airlock verify (tar)"]}" "${CPU["sha256sum -c"]}")" \
            "$(ok ge "$T_SUM" "${MED["airlock verify (tar)"]}")"
    fi
    if (( TAR && TAR_PEER )); then
        printf 'tar: airlock / (tar -x + sha256sum -c) = %s (wall), %s (cpu)\n' \
            "$(ratio "${MED["airlock verify (tar)"]}" "${MED["tar -x + sha256sum -c"]}")" \
            "$(ratio "${CPU["airlock verify (tar)"]}" "${CPU["tar -x + sha256sum -c"]}")"
    fi
    printf 'airlock verify peak RSS: dir %s MiB' "$(mib "$(peak_rss "" "$V $(q "$BUNDLE")")")"
    if (( TAR )); then printf ', tar %s MiB' "$(mib "$(peak_rss "" "$V $(q "$TARB")")")"; fi
    (cd "$BUNDLE" && /usr/bin/time -f %M -o "$LISTS/rss" sha256sum -c --quiet SHA256SUMS)
    printf ' (target < 64 MiB); sha256sum -c %s MiB\n' "$(mib "$(tail -n1 "$LISTS/rss")")"
fi
