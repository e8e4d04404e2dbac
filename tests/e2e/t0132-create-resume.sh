#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interrupted downloads resume (docs/cmd/bundle-create.md "Remote sources"): `bundle create`
# is killed (SIGKILL) while it fetches a 64 MiB file that nginx sends at a limited rate,
# once the file's .part in the cache has passed 8 MiB (waited for by its size). The rerun:
# - asks only for the rest: nginx's access log shows its request with `Range: bytes=N-`,
#   N the size the .part had, answered 206 with exactly SIZE-N bytes;
# - makes the same bundle as an uninterrupted run from an empty cache: the same SHA256SUMS
#   lines for every file but airlock.json and sbom.cdx.json (which hold the creation time
#   and the SBOM's random serial number), and the same airlock.json but for those times.
# The uninterrupted run is on a terminal: its progress line shows bytes, rate and ETA.
# Also: a server that ignores Range (200 with the whole file) is started over correctly; a
# .part longer than the file (416) is started over; a .part whose bytes are wrong fails the
# digest check (exit 1), is thrown away, and the next run succeeds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
need jq sha256sum stat script

SIZE=$((64 * 1048576))
mkdir -p "$T/www/slow" "$T/www/norange"
head -c "$SIZE" /dev/urandom >"$T/www/slow/big.bin"
H=$(sha256 "$T/www/slow/big.bin")
head -c 300000 /dev/urandom >"$T/www/norange/small.bin"
HS=$(sha256 "$T/www/norange/small.bin")
NGINX_RATE=4m nginx_start   # 16 s for the whole file: the kill below comes long before

cat >"$T/spec.yaml" <<YAML
name: big
version: 1
artifacts:
  - kind: file
    from: $NGINX_URL/slow/big.bin
    sha256: $H
YAML
PART=$T/cache/tmp/sha256-$H.part

# --- interrupted at more than 8 MiB
"$AIRLOCK" bundle create -f "$T/spec.yaml" -o "$T/b1" --cache "$T/cache" --quiet >"$T/run1.out" 2>&1 &
PID=$!
BG_PIDS+=("$PID")
for i in $(seq 1 2400); do
    [ -f "$PART" ] && [ "$(stat -c %s "$PART")" -gt $((8 * 1048576)) ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$T/run1.out" >&2; fail "bundle create ended before it was interrupted"; }
    sleep 0.05
done
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
N=$(stat -c %s "$PART")
[ "$N" -gt $((8 * 1048576)) ] && [ "$N" -lt "$SIZE" ] || fail "the .part has $N bytes, not part of the file"
cmp -s -n "$N" "$PART" "$T/www/slow/big.bin" || fail "the .part is not a prefix of the file"
assert_absent "$T/b1"

# --- the rerun fetches only the rest
expect_exit 0 airlock bundle create -f "$T/spec.yaml" -o "$T/b1" --cache "$T/cache" --quiet
expect_exit 0 airlock verify "$T/b1" --quiet
assert_absent "$PART"
grep '^GET /slow/big.bin ' "$NGINX_LOG" >"$T/big.log"
assert_eq "$(wc -l <"$T/big.log")" 2 "requests for the big file"
assert_eq "$(sed -n 2p "$T/big.log")" "GET /slow/big.bin 206 range=\"bytes=$N-\" sent=$((SIZE - N))" "the resumed request"

# --- the same bundle as an uninterrupted run, on a terminal (script(1)): the progress line
# counts the download, with the size nginx announced, a rate and an ETA
script -q -e -c "'$AIRLOCK' bundle create -f '$T/spec.yaml' -o '$T/b2' --cache '$T/cache-ref'" "$T/tty.log" \
    >/dev/null 2>&1 </dev/null || { cat "$T/tty.log" >&2; fail "bundle create on a terminal failed"; }
grep -q 'gathering [0-9.]* [KM]iB / 64.0 MiB  [0-9.]* [KM]\{0,1\}i\{0,1\}B/s ETA [0-9]*s' "$T/tty.log" ||
    fail "no download progress line on the terminal: $(tr '\r' '\n' <"$T/tty.log" | head -5)"
assert_eq "$(grep -c '^GET /slow/big.bin 200 range="-" sent='"$SIZE\$" "$NGINX_LOG")" 1 "whole downloads of the big file"
grep -v -e ' airlock.json$' -e ' sbom.cdx.json$' "$T/b1/SHA256SUMS" >"$T/sums1"
grep -v -e ' airlock.json$' -e ' sbom.cdx.json$' "$T/b2/SHA256SUMS" >"$T/sums2"
cmp -s "$T/sums1" "$T/sums2" || { diff "$T/sums1" "$T/sums2" >&2 || true; fail "SHA256SUMS differs from an uninterrupted run's"; }
grep -q "^$H  blobs/sha256/$H\$" "$T/sums1" || fail "SHA256SUMS does not list the file's blob"
assert_eq "$(jq -c 'del(.created, .expires)' "$T/b1/airlock.json")" "$(jq -c 'del(.created, .expires)' "$T/b2/airlock.json")" \
    "airlock.json against an uninterrupted run's"

# --- a server that ignores Range: the whole file again, written from the start
mkdir -p "$T/cache3/tmp"
head -c 100000 "$T/www/norange/small.bin" >"$T/cache3/tmp/sha256-$HS.part"
cat >"$T/small.yaml" <<YAML
name: small
version: 1
artifacts:
  - kind: file
    from: $NGINX_URL/norange/small.bin
    sha256: $HS
YAML
expect_exit 0 airlock bundle create -f "$T/small.yaml" -o "$T/b3" --cache "$T/cache3" --quiet
assert_eq "$(grep '^GET /norange/small.bin ' "$NGINX_LOG")" "GET /norange/small.bin 200 range=\"bytes=100000-\" sent=300000" "request to the server without ranges"
cmp -s "$T/www/norange/small.bin" "$T/b3/blobs/sha256/$HS" || fail "the file is wrong after a 200 to a Range request"

# --- a .part longer than the file: 416, started over
mkdir -p "$T/cache4/tmp"
head -c 400000 /dev/urandom >"$T/cache4/tmp/sha256-$H.part"
cp "$T/www/norange/small.bin" "$T/www/slow/small.bin"
sed "s|norange/small.bin|slow/small.bin|" "$T/small.yaml" >"$T/small416.yaml"
mv "$T/cache4/tmp/sha256-$H.part" "$T/cache4/tmp/sha256-$HS.part"
expect_exit 0 airlock bundle create -f "$T/small416.yaml" -o "$T/b4" --cache "$T/cache4" --quiet
grep '^GET /slow/small.bin ' "$NGINX_LOG" | cut -d' ' -f3,4 >"$T/416.log"
assert_eq "$(tr '\n' ' ' <"$T/416.log")" '416 range="bytes=400000-" 200 range="-" ' "the 416 and the new start"
cmp -s "$T/www/norange/small.bin" "$T/b4/blobs/sha256/$HS" || fail "the file is wrong after a 416"

# --- must-fail: a .part whose bytes are wrong is caught, thrown away, and fetched anew
mkdir -p "$T/cache5/tmp"
head -c 100000 /dev/urandom >"$T/cache5/tmp/sha256-$HS.part"
expect_exit 1 airlock bundle create -f "$T/small416.yaml" -o "$T/b5" --cache "$T/cache5" --quiet
expect_stderr_contains "digest mismatch for '$NGINX_URL/slow/small.bin' ($NGINX_URL/slow/small.bin): expected sha256 $HS, got "
assert_no_leftovers "$T/b5"
assert_absent "$T/cache5/tmp/sha256-$HS.part"
expect_exit 0 airlock bundle create -f "$T/small416.yaml" -o "$T/b5" --cache "$T/cache5" --quiet
cmp -s "$T/www/norange/small.bin" "$T/b5/blobs/sha256/$HS" || fail "the file is wrong after a bad .part"
