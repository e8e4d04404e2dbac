#!/usr/bin/env bash
# bench/create-import.sh [--quick] [--runs N] [--peers-only] [DIR]
#
# `airlock bundle create` and `airlock import` from local files against stock
# peers in the same run (warm cache, medians):
#   create: airlock bundle create -f spec -o OUT     (OUT removed before each run)
#     peer: cp -r spec/model COPY, then JOBS x openssl dgst -sha256 over COPY
#           and each half alone (cp -r alone; openssl alone over spec/model)
#   import: airlock import BUNDLE --store S          (fresh `airlock init --store S` before each run)
#     peer: cp -r BUNDLE COPY2, then JOBS x openssl dgst over COPY2; and each alone
# Informational: the peers again with an fsync of every copied file (airlock's
# store writes are durable: tmp -> fsync -> rename).
# Target (docs/ARCHITECTURE.md, "Performance targets"): no slower than the cp + openssl peer; aim near the slower
# of the two alone. Peak RSS < 64 MiB.
# Every run is preceded (untimed) by `sync` (see timeit in lib.sh), so one run's
# writeback does not land in the next one's time. Benchmark only: never part of the test suite.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init "$@"

bench/make-data "$DIR" "$TOTAL_MIB"
SPEC=$DIR/spec/airlock.yaml
MODEL=$DIR/spec/model
OUT=$DIR/create-out
COPY=$DIR/copy
COPY2=$DIR/copy2
STORE=$DIR/store
cleanup() { rm -rf "$OUT" "$COPY" "$COPY2" "$STORE"; }
trap cleanup EXIT

if (( PEERS_ONLY )); then
    BUNDLE=$DIR/standin-bundle
    echo "create-import: building a stand-in bundle with stock tools (--peers-only)" >&2
    make_standin_bundle "$MODEL" "$BUNDLE"
else
    BUNDLE=$DIR/bundle
    echo "create-import: airlock bundle create (untimed, the bundle to import)" >&2
    rm -rf "$BUNDLE"
    "$AIRLOCK_BIN" bundle create -f "$SPEC" -o "$BUNDLE" >/dev/null
fi
[[ -f $BUNDLE/SHA256SUMS ]] || { echo "create-import: $BUNDLE/SHA256SUMS missing" >&2; exit 2; }

# Lists are relative, so the same lists serve the source and its copy.
make_lists "$MODEL" "$LISTS/model"
make_lists "$BUNDLE" "$LISTS/bundle" "$BUNDLE/SHA256SUMS"
MODEL_BYTES=$(total_bytes "$MODEL" "$LISTS/model")
BUNDLE_BYTES=$(total_bytes "$BUNDLE" "$LISTS/bundle")

bench_header
printf '# model: %s MiB; bundle: %s MiB\n' $(( MODEL_BYTES / 1048576 )) $(( BUNDLE_BYTES / 1048576 ))

H=$JOBS
A=$(q "$AIRLOCK_BIN")
# fsync every listed file of ROOT (coreutils sync FILE... fsyncs each one)
fsync_cmd() { printf 'cd %s && xargs -0r sync < %s' "$(q "$1")" "$(q "$2.all")"; }

# shellcheck disable=SC2206  # word splitting of the flags is intended
iflags=(${AIRLOCK_IMPORT_FLAGS-})
IMPORT_CMD="$A import $(q "$BUNDLE") --store $(q "$STORE")"
for f in "${iflags[@]}"; do IMPORT_CMD+=" $(q "$f")"; done
CREATE_CMD="$A bundle create -f $(q "$SPEC") -o $(q "$OUT")"
PREP_CREATE="rm -rf $(q "$OUT")"
PREP_IMPORT="rm -rf $(q "$STORE") && $A init --store $(q "$STORE") >/dev/null"
PREP_COPY="rm -rf $(q "$COPY")"
PREP_COPY2="rm -rf $(q "$COPY2")"

echo "== create" >&2
if (( ! PEERS_ONLY )); then
    bash -c "$PREP_CREATE && $CREATE_CMD" >/dev/null \
        || { echo "create-import: '$CREATE_CMD' failed" >&2; exit 1; }
    timeit "airlock bundle create" "$PREP_CREATE" "$CREATE_CMD"
fi
CP1="cp -r $(q "$MODEL") $(q "$COPY")"
timeit "cp -r + openssl x$H" "$PREP_COPY" "$CP1 && $(par_hash_cmd "$COPY" "$LISTS/model")"
timeit "cp -r model" "$PREP_COPY" "$CP1"
timeit "openssl x$H model" "" "$(par_hash_cmd "$MODEL" "$LISTS/model")"
timeit "cp+openssl+fsync model" "$PREP_COPY" \
    "$CP1 && $(par_hash_cmd "$COPY" "$LISTS/model") && $(fsync_cmd "$COPY" "$LISTS/model")"
rm -rf "$COPY"

echo "== import" >&2
if (( ! PEERS_ONLY )); then
    bash -c "$PREP_IMPORT && $IMPORT_CMD" >/dev/null \
        || { echo "create-import: '$IMPORT_CMD' failed (AIRLOCK_IMPORT_FLAGS='${iflags[*]}')" >&2; exit 1; }
    timeit "airlock import" "$PREP_IMPORT" "$IMPORT_CMD"
fi
CP2="cp -r $(q "$BUNDLE") $(q "$COPY2")"
timeit "cp -r + openssl x$H bundle" "$PREP_COPY2" "$CP2 && $(par_hash_cmd "$COPY2" "$LISTS/bundle")"
timeit "cp -r bundle" "$PREP_COPY2" "$CP2"
timeit "openssl x$H bundle" "" "$(par_hash_cmd "$BUNDLE" "$LISTS/bundle")"
timeit "cp+openssl+fsync bundle" "$PREP_COPY2" \
    "$CP2 && $(par_hash_cmd "$COPY2" "$LISTS/bundle") && $(fsync_cmd "$COPY2" "$LISTS/bundle")"
rm -rf "$COPY2"

echo
printf '%-28s %10s %10s  %s\n' "command" "median s" "GiB/s" "min-max s"
row() { printf '%-28s %10.3f %10s  %s\n' "$1" "${MED[$1]}" "$(gibs "$2" "${MED[$1]}")" "${SPREAD[$1]}"; }
(( PEERS_ONLY )) || row "airlock bundle create" "$MODEL_BYTES"
row "cp -r + openssl x$H" "$MODEL_BYTES"
row "cp -r model" "$MODEL_BYTES"
row "openssl x$H model" "$MODEL_BYTES"
row "cp+openssl+fsync model" "$MODEL_BYTES"
(( PEERS_ONLY )) || row "airlock import" "$BUNDLE_BYTES"
row "cp -r + openssl x$H bundle" "$BUNDLE_BYTES"
row "cp -r bundle" "$BUNDLE_BYTES"
row "openssl x$H bundle" "$BUNDLE_BYTES"
row "cp+openssl+fsync bundle" "$BUNDLE_BYTES"
echo

slower() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; }
MAX1=$(slower "${MED["cp -r model"]}" "${MED["openssl x$H model"]}")
MAX2=$(slower "${MED["cp -r bundle"]}" "${MED["openssl x$H bundle"]}")
printf 'peer: (cp -r + openssl) / slower-alone: create %sx, import %sx\n' \
    "$(ratio "${MED["cp -r + openssl x$H"]}" "$MAX1")" \
    "$(ratio "${MED["cp -r + openssl x$H bundle"]}" "$MAX2")"

if (( ! PEERS_ONLY )); then
    ok() { if "$@"; then echo ok; else echo SLOWER; fi; }
    TC=${MED["airlock bundle create"]} TI=${MED["airlock import"]}
    RC=$(ratio "$TC" "${MED["cp -r + openssl x$H"]}")
    RI=$(ratio "$TI" "${MED["cp -r + openssl x$H bundle"]}")
    printf 'create: airlock / (cp -r + openssl) = %sx (target <= 1.00) %s; / slower-alone = %sx; / durable peer = %sx\n' \
        "$RC" "$(ok ge 1 "$RC")" "$(ratio "$TC" "$MAX1")" "$(ratio "$TC" "${MED["cp+openssl+fsync model"]}")"
    printf 'import: airlock / (cp -r + openssl) = %sx (target <= 1.00) %s; / slower-alone = %sx; / durable peer = %sx\n' \
        "$RI" "$(ok ge 1 "$RI")" "$(ratio "$TI" "$MAX2")" "$(ratio "$TI" "${MED["cp+openssl+fsync bundle"]}")"
    RSS_C=$(peak_rss "$PREP_CREATE" "$CREATE_CMD")
    RSS_I=$(peak_rss "$PREP_IMPORT" "$IMPORT_CMD")
    printf 'peak RSS: create %s MiB, import %s MiB (target < 64 MiB)\n' "$(mib "$RSS_C")" "$(mib "$RSS_I")"
fi
