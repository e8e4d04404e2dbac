#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/pull.sh [--quick] [--runs N] [DIR]: pulling a multi-layer image from a local
# registry, `airlock bundle create` with `from: docker://` against `skopeo copy` into an
# OCI layout, the two taking turns, each from an empty cache and to a new output.
#
# The image: 8 layers of random bytes, 2 GiB in all (--quick: 256 MiB), pushed by skopeo
# into Debian's docker-registry on a free loopback port (untimed). airlock does more than
# skopeo here: it downloads into its cache (hashing as it streams) and then copies each
# blob into the bundle (hashing again) and writes SHA256SUMS and the SBOM. Also reported:
# airlock's peak RSS, which must not grow with the image (the target is < 64 MiB).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init "$@"
command -v docker-registry >/dev/null && command -v skopeo >/dev/null ||
    { echo "$0: docker-registry and skopeo are needed (scripts/install-deps)" >&2; exit 2; }
declare -A CPU=()
R=$DIR/pull
cleanup() {
    bench_registry_stop
    [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$R/run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$R/run"

LAY=$R/image-$TOTAL_MIB
bench_image "$LAY"
bench_registry "$R/run/reg"
skopeo copy -q --dest-tls-verify=false "oci:$LAY:big" "docker://127.0.0.1:$PORT/bench/big:1"
REF=docker://127.0.0.1:$PORT/bench/big:1
printf 'name: pull\nversion: 1\nartifacts:\n  - kind: image\n    from: %s\n' "$REF" >"$R/run/airlock.yaml"

bench_header
A_PREP="rm -rf $(q "$R/run/cache") $(q "$R/run/out")"
A_CMD="$(q "$AIRLOCK_BIN") bundle create -f $(q "$R/run/airlock.yaml") -o $(q "$R/run/out") --cache $(q "$R/run/cache") --plain-http 127.0.0.1 --quiet"
S_PREP="rm -rf $(q "$R/run/skopeo")"
S_CMD="skopeo copy -q --src-tls-verify=false $(q "$REF") oci:$(q "$R/run/skopeo"):big"
bash -c "$A_PREP && $A_CMD" && "$AIRLOCK_BIN" verify "$R/run/out" --quiet
timeit_alternating "airlock bundle create" "$A_PREP" "$A_CMD" "skopeo copy" "$S_PREP" "$S_CMD"
RSS=$(peak_rss "$A_PREP" "$A_CMD")
SRSS=$(peak_rss "$S_PREP" "$S_CMD")

a=${MED[airlock bundle create]} s=${MED[skopeo copy]}
printf '\n%-24s %9s  %-15s %s\n' "" "median s" "min-max" "MiB/s"
for n in "airlock bundle create" "skopeo copy"; do
    printf '%-24s %9.3f  %-15s %6.0f\n' "$n" "${MED[$n]}" "${SPREAD[$n]}" \
        "$(awk -v m="$TOTAL_MIB" -v t="${MED[$n]}" 'BEGIN { print m / t }')"
done
printf '\nairlock / skopeo time: %.2f (below 1: airlock is faster)\n' "$(awk -v a="$a" -v s="$s" 'BEGIN { print a / s }')"
printf 'peak RSS: airlock %d MiB (target < 64), skopeo %d MiB\n' $(( RSS / 1024 )) $(( SRSS / 1024 ))
