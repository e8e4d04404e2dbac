#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI push and pull of a 96 MiB blob: streamed PATCH (curl -T, the body never held
# whole by the client) and monolithic PUT both give 201 and a blob whose download hashes
# to its digest; ranges at the start, in the middle and at the end are the file's bytes.
# The same bytes under a wrong digest are 400 DIGEST_INVALID and stored nowhere. The
# server's peak RSS stays far below the blob's size (skipped under ASan, whose allocator
# keeps freed memory).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need sha256sum base64 dd awk

serve_store
push_token
serve_start --push-token-file "$T/token"

SIZE=$((96 << 20))
head -c "$SIZE" /dev/urandom >"$T/big"
D=$(digest_of "$T/big")

# check_download REPO: the blob's bytes, hashed as they arrive, and three ranges
check_download() {
    local got a z
    got=$(curl -sS --max-time 60 "$URL/v2/$1/blobs/$D" | sha256sum | cut -d' ' -f1)
    assert_eq "sha256:$got" "$D" "digest of the downloaded blob from $1"
    for r in "0 999" "$((SIZE / 2 - 7)) $((SIZE / 2 + 4096))" "$((SIZE - 1000)) $((SIZE - 1))"; do
        read -r a z <<<"$r"
        req GET "/v2/$1/blobs/$D" -H "Range: bytes=$a-$z"
        expect_code 206
        expect_hdr Content-Range "bytes $a-$z/$SIZE"
        slice "$T/big" "$a" "$z" >"$T/want"
        expect_body_file "$T/want"
    done
}

# streamed PATCH
req POST /v2/pushed/big/blobs/uploads/ "${AUTH[@]}" --data-binary ''
expect_code 202
LOC=$(abs_url "$(hdr Location)")
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -T "$T/big"
expect_code 202
expect_hdr Range "0-$((SIZE - 1))"
LOC=$(abs_url "$(hdr Location)")
req PUT "$(with_query "$LOC" "digest=$D")" "${AUTH[@]}" "${OCTET[@]}" --data-binary ''
expect_code 201
expect_hdr Docker-Content-Digest "$D"
assert_eq "$(stat -c %s "$STORE/blobs/sha256/${D#sha256:}")" "$SIZE" "size of the stored blob"
check_download pushed/big

# monolithic PUT into another repository
req POST /v2/pushed/big2/blobs/uploads/ "${AUTH[@]}" --data-binary ''
expect_code 202
LOC=$(abs_url "$(hdr Location)")
req PUT "$(with_query "$LOC" "digest=$D")" "${AUTH[@]}" "${OCTET[@]}" -T "$T/big"
expect_code 201
check_download pushed/big2

# twin: the same bytes under another digest
WRONG=sha256:$(printf '%s' "$D" | sha256sum | cut -d' ' -f1)
req POST /v2/pushed/big3/blobs/uploads/ "${AUTH[@]}" --data-binary ''
expect_code 202
LOC=$(abs_url "$(hdr Location)")
req PUT "$(with_query "$LOC" "digest=$WRONG")" "${AUTH[@]}" "${OCTET[@]}" -T "$T/big"
expect_oci_error 400 DIGEST_INVALID
assert_absent "$STORE/blobs/sha256/${WRONG#sha256:}"
req HEAD "/v2/pushed/big3/blobs/$D"
expect_code 404
req HEAD "/v2/pushed/big3/blobs/$WRONG"
expect_code 404

serve_alive
if grep -qa __asan_init "$AIRLOCK"; then
    note "ASan build: peak RSS not checked"
else
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVE_PID/status")
    [ -n "$hwm" ] || fail "cannot read the server's VmHWM"
    note "server peak RSS: $hwm KiB for a $((SIZE >> 20)) MiB blob pushed twice and pulled twice"
    [ "$hwm" -lt $((SIZE / 1024 / 2)) ] ||
        fail "the server's peak RSS ($hwm KiB) is not flat in the blob's size ($((SIZE / 1024)) KiB)"
fi
serve_stop
