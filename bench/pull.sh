#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/pull.sh [--quick] [--runs N] [DIR]: pulling a multi-layer image from a local
# registry, `airlock bundle create` with `from: docker://` against `skopeo copy` into an
# OCI layout, the two taking turns, each from an empty cache and to a new output.
#
# The image: 8 layers of random bytes, 1 GiB in all (--quick: 256 MiB), pushed by skopeo
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
REG_PID=""
cleanup() {
    [[ -z $REG_PID ]] || { kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null || true; }
    [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$R/run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$R/run"

# the image, made once per size
LAY=$R/image-$TOTAL_MIB
if [[ ! -f $LAY/index.json ]]; then
    rm -rf "$LAY"
    python3 - "$LAY" "$TOTAL_MIB" <<'PY'
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
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$R/run/reg"
cat >"$R/run/reg/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $R/run/reg/data}}
http: {addr: 127.0.0.1:$PORT}
EOF
docker-registry serve "$R/run/reg/config.yml" </dev/null >"$R/run/reg/log" 2>&1 &
REG_PID=$!
for (( i = 0; i < 150; i++ )); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break
    sleep 0.1
done
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
