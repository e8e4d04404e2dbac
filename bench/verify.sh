#!/usr/bin/env bash
# bench/verify.sh [--quick] [--runs N] [--peers-only] [DIR]
#
# `airlock verify BUNDLE` against stock peers in the same run (warm cache, medians):
#   A  sha256sum -c --quiet SHA256SUMS            (the stock reviewer's check)
#   B  JOBS x `openssl dgst -sha256`, largest first (the parallel OpenSSL limit)
#   C  cat of every file > /dev/null               (the read limit)
# Targets (docs/ARCHITECTURE.md, "Performance targets"): >= 90 % of B, i.e. >= 6.5x A; peak RSS < 64 MiB.
# Benchmark only: never part of the test suite.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init "$@"

bench/make-data "$DIR" "$TOTAL_MIB"

if (( PEERS_ONLY )); then
    BUNDLE=$DIR/standin-bundle
    echo "verify: building a stand-in bundle with stock tools (--peers-only)" >&2
    make_standin_bundle "$DIR/spec/model" "$BUNDLE"
else
    BUNDLE=$DIR/bundle
    echo "verify: airlock bundle create (untimed)" >&2
    rm -rf "$BUNDLE"
    "$AIRLOCK_BIN" bundle create -f "$DIR/spec/airlock.yaml" -o "$BUNDLE" >/dev/null
fi
[[ -f $BUNDLE/SHA256SUMS ]] || { echo "verify: $BUNDLE/SHA256SUMS missing" >&2; exit 2; }

make_lists "$BUNDLE" "$LISTS/verify" "$BUNDLE/SHA256SUMS"
BYTES=$(total_bytes "$BUNDLE" "$LISTS/verify")
NFILES=$(tr -cd '\0' < "$LISTS/verify.all" | wc -c)

bench_header
printf '# bundle: %s (%d files in SHA256SUMS, %s MiB)\n' "$BUNDLE" "$NFILES" $(( BYTES / 1048576 ))

VERIFY_CMD=
if (( ! PEERS_ONLY )); then
    # shellcheck disable=SC2206  # word splitting of the flags is intended
    vflags=(${AIRLOCK_VERIFY_FLAGS-})
    VERIFY_CMD="$(q "$AIRLOCK_BIN") verify"
    for f in "${vflags[@]}"; do VERIFY_CMD+=" $(q "$f")"; done
    VERIFY_CMD+=" $(q "$BUNDLE")"
    # Must succeed before it is worth timing.
    if ! bash -c "$VERIFY_CMD" >/dev/null; then
        echo "verify: '$VERIFY_CMD' failed (exit 0 expected)" >&2; exit 1
    fi
    timeit "airlock verify" "" "$VERIFY_CMD"
fi
timeit "sha256sum -c" "" "cd $(q "$BUNDLE") && sha256sum -c --quiet SHA256SUMS"
timeit "openssl x$JOBS (limit)" "" "$(par_hash_cmd "$BUNDLE" "$LISTS/verify")"
timeit "cat (read limit)" "" "$(cat_cmd "$BUNDLE" "$LISTS/verify")"

T_SUM=${MED["sha256sum -c"]}
T_LIM=${MED["openssl x$JOBS (limit)"]}
T_CAT=${MED["cat (read limit)"]}

echo
printf '%-26s %10s %10s  %s\n' "command" "median s" "GiB/s" "min-max s"
for n in "airlock verify" "sha256sum -c" "openssl x$JOBS (limit)" "cat (read limit)"; do
    [[ -n ${MED[$n]:-} ]] || continue
    printf '%-26s %10.3f %10s  %s\n' "$n" "${MED[$n]}" "$(gibs "$BYTES" "${MED[$n]}")" "${SPREAD[$n]}"
done
echo
printf 'peer ratios: sha256sum -c / openssl limit = %sx, openssl limit / cat = %sx\n' \
    "$(ratio "$T_SUM" "$T_LIM")" "$(ratio "$T_LIM" "$T_CAT")"

if (( ! PEERS_ONLY )); then
    T_AIR=${MED["airlock verify"]}
    RSS=$(peak_rss "" "$VERIFY_CMD")
    SPEEDUP=$(ratio "$T_SUM" "$T_AIR")
    PCT=$(ratio "$T_LIM" "$T_AIR" 100)
    ok() { if "$@"; then echo ok; else echo BELOW; fi; }
    printf 'airlock speedup over sha256sum -c:     %6sx   (target >= 6.5x)   %s\n' \
        "$SPEEDUP" "$(ok ge "$SPEEDUP" 6.5)"
    printf 'airlock as %% of parallel OpenSSL limit: %6s%%   (target >= 90 %%)   %s\n' \
        "$PCT" "$(ok ge "$PCT" 90)"
    printf 'airlock as %% of cat read limit:         %6s%%\n' "$(ratio "$T_CAT" "$T_AIR" 100)"
    printf 'airlock verify peak RSS:               %6s MiB (target < 64 MiB) %s\n' \
        "$(mib "$RSS")" "$(ok ge 65536 "$RSS")"
fi
