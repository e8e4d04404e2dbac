#!/usr/bin/env bash
# bench/media.sh [--quick] [--runs N] [DIR]
#
# The ways across, against stock peers in the same run (warm cache, medians), on the
# bundle of make-data as one tar (2 GiB, or 256 MiB with --quick):
#   split: airlock media split TAR --size (a quarter of the tar and some) --parity 2
#     peers: cp of the tar (moving the bytes, nothing else); split -b of the tar into the
#           same data volumes' share; and split, sha256sum of the pieces and sync (cutting,
#           hashing and writing to disk, as media split does, without parity)
#   join:  airlock media join of every volume (every chunk hashed and checked)
#     peers: cp of the tar; cat of the pieces; sha256sum of the pieces, then cat of them
#           (checking, then joining)
#   the erasure code alone (bench/ec-rate: ISA-L, 4 + 2 rows of the chunk split uses, in
#     memory, nothing read, hashed or written)
#   join, rebuilt: the same with 2 of its volumes gone (their data rebuilt from parity)
#   floors: the SHA-256 split and join must compute, alone, on both cores (openssl dgst of
#     the same bytes, nothing written): no split or join that checks what the volumes
#     promise can take less
#   diode: airlock diode receive + send over loopback, 8 % repair, one pass, at 1 Gbit/s
#     peer: cp of the tar (a local copy: the floor for moving and writing the bytes)
# Peak RSS of split, join (with the rebuild) and the receiver. Memory must not grow with
# the size of the bundle. Benchmark only: never part of the test suite.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init "$@"

bench/make-data "$DIR" "$TOTAL_MIB"
SPEC=$DIR/spec/airlock.yaml
TAR=$DIR/media-bundle.tar
M=$DIR/media-vols
P=$DIR/media-pieces
J=$DIR/media-joined.tar
IN=$DIR/media-in
cleanup() { rm -rf "$M" "$P" "$J" "$IN" "$DIR/media-copy.tar"; }
trap cleanup EXIT
[[ -f $TAR ]] || "$AIRLOCK_BIN" bundle create -f "$SPEC" -o "$TAR" --tar --quiet >/dev/null
BYTES=$(stat -c %s "$TAR")
VOL=$(( BYTES / 4 + (BYTES / 64) ))          # 4 data volumes with room to spare
PIECE=$(( (BYTES + 3) / 4 ))

bench_header
printf '# tar: %s MiB; volumes of %s MiB, parity 2\n' $(( BYTES / 1048576 )) $(( VOL / 1048576 ))
A=$(q "$AIRLOCK_BIN")
SPLIT_CMD="$A media split $(q "$TAR") --size $VOL --parity 2 -o $(q "$M") --quiet"
PEER_SPLIT="mkdir -p $(q "$P") && split -b $PIECE $(q "$TAR") $(q "$P")/piece- && sha256sum $(q "$P")/piece-* >/dev/null && sync"
timeit "media split" "rm -rf $(q "$M")" "$SPLIT_CMD"
timeit "peer: cp" "rm -f $(q "$DIR/media-copy.tar")" "cp $(q "$TAR") $(q "$DIR/media-copy.tar")"
rm -f "$DIR/media-copy.tar"
timeit "peer: split" "rm -rf $(q "$P")" "mkdir -p $(q "$P") && split -b $PIECE $(q "$TAR") $(q "$P")/piece-"
timeit "peer: split+sha256sum+sync" "rm -rf $(q "$P")" "$PEER_SPLIT"
SRSS=$(peak_rss "rm -rf $(q "$M")" "$SPLIT_CMD")
bash -c "rm -rf $(q "$P") && $PEER_SPLIT"
JOIN_CMD="$A media join $(q "$M")/vol-* -o $(q "$J") --quiet"
timeit "media join" "rm -f $(q "$J")" "$JOIN_CMD"
timeit "peer: cat" "rm -f $(q "$J")" "cat $(q "$P")/piece-* > $(q "$J")"
timeit "peer: sha256sum + cat" "rm -f $(q "$J")" "sha256sum $(q "$P")/piece-* >/dev/null && cat $(q "$P")/piece-* > $(q "$J")"
cmp "$TAR" "$J" || { echo "media.sh: the peer's join is not the tar" >&2; exit 1; }
REBUILD_CMD="$A media join $(q "$M")/vol-0[3-9] -o $(q "$J") --quiet"
timeit "media join, 2 volumes lost" "rm -f $(q "$J")" "$REBUILD_CMD"
JRSS=$(peak_rss "rm -f $(q "$J")" "$REBUILD_CMD")
cmp "$TAR" "$J" || { echo "media.sh: the rebuilt join is not the tar" >&2; exit 1; }
# The floors: the SHA-256 each must compute, alone, on every core (OpenSSL, as airlock
# uses it, from the page cache, nothing written). Split: the bundle's check before cutting
# and the tar's own hash (the tar twice), and every chunk, data and parity. Join: every data
# chunk, and the tar.
shopt -s nullglob
DATA_CHUNKS=("$M"/vol-0[1-4]/chunks/*) ALL_CHUNKS=("$M"/vol-*/chunks/*)
shopt -u nullglob
printf '%s\0' "${ALL_CHUNKS[@]}" >"$LISTS/media-all-chunks"
printf '%s\0' "${DATA_CHUNKS[@]}" >"$LISTS/media-data-chunks"
timeit "floor: split hashing" "true" "( openssl dgst -sha256 $(q "$TAR") $(q "$TAR") >/dev/null & xargs -0 openssl dgst -sha256 <$(q "$LISTS/media-all-chunks") >/dev/null; wait )"
timeit "floor: join hashing" "true" "( openssl dgst -sha256 $(q "$TAR") >/dev/null & xargs -0 openssl dgst -sha256 <$(q "$LISTS/media-data-chunks") >/dev/null; wait )"

PORT=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DIODE_CMD="( /usr/bin/time -f %M -o $(q "$LISTS/rss-recv") $A diode receive --listen 127.0.0.1:$PORT -o $(q "$IN") --idle 10 --quiet >/dev/null & r=\$!; sleep 0.3; $A diode send $(q "$TAR") --to 127.0.0.1:$PORT --rate 1G --fec 8% --repeat 1 >/dev/null 2>&1; wait \$r )"
timeit "diode, loopback" "rm -rf $(q "$IN")" "$DIODE_CMD"
RRSS=$(tail -n1 "$LISTS/rss-recv")
cmp "$TAR" "$IN"/*.tar || { echo "media.sh: the diode's tar is not the tar" >&2; exit 1; }

CHUNK=$(jq -r .code.chunk_bytes "$M/vol-01/MEDIA.json")
EC=$("$BENCH_ROOT/build/bench/ec-rate" 4 2 "$CHUNK" $(( BYTES >> 20 )))

printf '\n%-28s %9s  %-15s %s\n' "" "median s" "min-max" "GiB/s"
for n in "media split" "floor: split hashing" "peer: cp" "peer: split" "peer: split+sha256sum+sync" "media join" "floor: join hashing" "peer: cat" "peer: sha256sum + cat" "media join, 2 volumes lost" "diode, loopback"; do
    printf '%-28s %9.3f  %-15s %s\n' "$n" "${MED[$n]}" "${SPREAD[$n]}" "$(gibs "$BYTES" "${MED[$n]}")"
done
printf '\nsplit / cp: %s   split / split -b: %s   split / (split+sha256sum+sync): %s\n' \
    "$(ratio "${MED[media split]}" "${MED[peer: cp]}")" "$(ratio "${MED[media split]}" "${MED[peer: split]}")" \
    "$(ratio "${MED[media split]}" "${MED[peer: split+sha256sum+sync]}")"
printf 'join / cp: %s   join / cat: %s   join / (sha256sum+cat): %s   rebuilt join / (sha256sum+cat): %s\n' \
    "$(ratio "${MED[media join]}" "${MED[peer: cp]}")" "$(ratio "${MED[media join]}" "${MED[peer: cat]}")" \
    "$(ratio "${MED[media join]}" "${MED[peer: sha256sum + cat]}")" "$(ratio "${MED[media join, 2 volumes lost]}" "${MED[peer: sha256sum + cat]}")"
printf "split / its hashing alone: %s   join / its hashing alone: %s   (the hashing alone / cp: split %s, join %s)\n" \
    "$(ratio "${MED[media split]}" "${MED[floor: split hashing]}")" "$(ratio "${MED[media join]}" "${MED[floor: join hashing]}")" \
    "$(ratio "${MED[floor: split hashing]}" "${MED[peer: cp]}")" "$(ratio "${MED[floor: join hashing]}" "${MED[peer: cp]}")"
printf 'diode / cp: %s\n' "$(ratio "${MED[diode, loopback]}" "${MED[peer: cp]}")"
printf 'the erasure code alone (4 + 2, chunks of %s bytes): %s\n' "$CHUNK" "$(echo $EC)"
printf 'peak RSS: split %s MiB, rebuilding join %s MiB, diode receiver %s MiB\n' "$(mib "$SRSS")" "$(mib "$JRSS")" "$(mib "$RRSS")"
