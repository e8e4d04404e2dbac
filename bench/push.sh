#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/push.sh [--quick] [--runs N] [DIR]: `airlock push` of a store holding a
# multi-layer image into a local registry, against `skopeo copy` of the same image from
# an OCI layout into the same registry, the two taking turns, each into an emptied
# registry (so every blob is sent every time).
#
# The image: 8 layers of random bytes, 2 GiB in all (--quick: 256 MiB), the one bench/pull.sh
# uses; the store gets it by `bundle create` and `import` (untimed). Debian's
# docker-registry on a free loopback port is the receiver for both. Also reported: peak RSS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init "$@"
command -v docker-registry >/dev/null && command -v skopeo >/dev/null ||
    { echo "$0: docker-registry and skopeo are needed (scripts/install-deps)" >&2; exit 2; }
declare -A CPU=()
R=$DIR/push
cleanup() {
    bench_registry_stop
    [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$R/run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$R/run"

LAY=$DIR/pull/image-$TOTAL_MIB
bench_image "$LAY"
printf 'name: push\nversion: 1\nartifacts:\n  - kind: image\n    path: %s:big\n    name: bench/big:1\n' "$LAY" >"$R/run/airlock.yaml"
"$AIRLOCK_BIN" bundle create -f "$R/run/airlock.yaml" -o "$R/run/bundle" --quiet
"$AIRLOCK_BIN" init --store "$R/run/store" >/dev/null
"$AIRLOCK_BIN" import --store "$R/run/store" --allow-unsigned "$R/run/bundle" --quiet >/dev/null
bench_registry "$R/run/reg"

bench_header
EMPTY="rm -rf $(q "$R/run/reg/data/docker")"
A_CMD="$(q "$AIRLOCK_BIN") push --store $(q "$R/run/store") --to oci://127.0.0.1:$PORT/a --plain-http 127.0.0.1 --quiet"
S_CMD="skopeo copy -q --dest-tls-verify=false oci:$(q "$LAY"):big docker://127.0.0.1:$PORT/s/bench/big:1"
timeit_alternating "airlock push" "$EMPTY" "$A_CMD" "skopeo copy" "$EMPTY" "$S_CMD"
RSS=$(peak_rss "$EMPTY" "$A_CMD")
SRSS=$(peak_rss "$EMPTY" "$S_CMD")
# a second push into a registry that has it all: HEADs only
bash -c "$A_CMD"
timeit "airlock push (all there)" "" "$A_CMD"

a=${MED[airlock push]} s=${MED[skopeo copy]}
printf '\n%-26s %9s  %-15s %s\n' "" "median s" "min-max" "MiB/s"
for n in "airlock push" "skopeo copy"; do
    printf '%-26s %9.3f  %-15s %6.0f\n' "$n" "${MED[$n]}" "${SPREAD[$n]}" \
        "$(awk -v m="$TOTAL_MIB" -v t="${MED[$n]}" 'BEGIN { print m / t }')"
done
printf '%-26s %9.3f\n' "airlock push (all there)" "${MED[airlock push (all there)]}"
printf '\nairlock / skopeo time: %.2f (below 1: airlock is faster)\n' "$(awk -v a="$a" -v s="$s" 'BEGIN { print a / s }')"
printf 'peak RSS: airlock %d MiB, skopeo %d MiB\n' $(( RSS / 1024 )) $(( SRSS / 1024 ))
