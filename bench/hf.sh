#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/hf.sh [--quick] [--runs N] [DIR]: a model of 40 files (2 GiB; --quick: 256 MiB,
# from bench/make-data) pulled from a Hugging Face endpoint on loopback, `airlock bundle
# create` with `from: hf://` against `curl` fetching the same files, 4 at a time
# (`xargs -P 4`), the two taking turns, each from an empty cache and to a new output.
#
# The endpoint is `airlock serve` over a store holding the model (its Hub API is tested
# against the official client; untimed setup). airlock does more than curl here: it asks
# for the commit and the file list, checks each file's SHA-256 as it streams into the
# cache, copies it into the bundle (hashing again) and writes SHA256SUMS and the SBOM;
# curl only writes the bytes. Also reported: airlock's peak RSS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init "$@"
declare -A CPU=()
R=$DIR/hf
SERVE_PID=""
cleanup() {
    [[ -z $SERVE_PID ]] || { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null || true; }
    [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$R/run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$R/run"

"$BENCH_ROOT/bench/make-data" "$DIR" "$TOTAL_MIB" >/dev/null
printf 'name: hf\nversion: 1\nartifacts:\n  - kind: model\n    path: %s\n    name: bench/model\n' "$DIR/spec/model" \
    >"$R/run/local.yaml"
"$AIRLOCK_BIN" bundle create -f "$R/run/local.yaml" -o "$R/run/bundle" --quiet
"$AIRLOCK_BIN" init --store "$R/run/store" >/dev/null
"$AIRLOCK_BIN" import --store "$R/run/store" --allow-unsigned "$R/run/bundle" --quiet >/dev/null
rm -rf "$R/run/bundle"
"$AIRLOCK_BIN" serve --store "$R/run/store" --listen 127.0.0.1:0 >"$R/run/serve.out" 2>"$R/run/serve.err" &
SERVE_PID=$!
URL=""
for (( i = 0; i < 150; i++ )); do
    URL=$(sed -n 's|^listening on \(http://[^ ]*\)/$|\1|p' "$R/run/serve.out")
    [[ -n $URL ]] && break
    sleep 0.1
done
[[ -n $URL ]] || { echo "$0: airlock serve did not start" >&2; exit 2; }
curl -sf "$URL/api/models/bench/model/tree/main?recursive=true" |
    python3 -c 'import json, sys; [print(e["path"]) for e in json.load(sys.stdin) if e["type"] == "file"]' >"$R/run/files"
sed "s|^|$URL/bench/model/resolve/main/|" "$R/run/files" >"$R/run/urls"
printf 'name: hf\nversion: 1\nartifacts:\n  - kind: model\n    from: hf://bench/model@main\n' >"$R/run/airlock.yaml"

bench_header
printf '# model: %s files, %s MiB, from %s\n' "$(wc -l <"$R/run/files")" "$TOTAL_MIB" "$URL"
A_PREP="rm -rf $(q "$R/run/cache") $(q "$R/run/out")"
A_CMD="$(q "$AIRLOCK_BIN") bundle create -f $(q "$R/run/airlock.yaml") -o $(q "$R/run/out") --cache $(q "$R/run/cache") --hf-endpoint $(q "$URL") --quiet"
C_PREP="rm -rf $(q "$R/run/curl") && mkdir -p $(q "$R/run/curl")"
C_CMD="cd $(q "$R/run/curl") && xargs -P 4 -n 1 curl -sfO < $(q "$R/run/urls")"
bash -c "$A_PREP && $A_CMD" && "$AIRLOCK_BIN" verify "$R/run/out" --quiet
timeit_alternating "airlock bundle create" "$A_PREP" "$A_CMD" "curl, 4 at a time" "$C_PREP" "$C_CMD"
RSS=$(peak_rss "$A_PREP" "$A_CMD")

a=${MED[airlock bundle create]} c=${MED[curl, 4 at a time]}
printf '\n%-24s %9s  %-15s %s\n' "" "median s" "min-max" "MiB/s"
for n in "airlock bundle create" "curl, 4 at a time"; do
    printf '%-24s %9.3f  %-15s %6.0f\n' "$n" "${MED[$n]}" "${SPREAD[$n]}" \
        "$(awk -v m="$TOTAL_MIB" -v t="${MED[$n]}" 'BEGIN { print m / t }')"
done
printf '\nairlock / curl time: %.2f (below 1: airlock is faster)\n' "$(awk -v a="$a" -v c="$c" 'BEGIN { print a / c }')"
printf 'peak RSS: airlock %d MiB (target < 64)\n' $(( RSS / 1024 ))
