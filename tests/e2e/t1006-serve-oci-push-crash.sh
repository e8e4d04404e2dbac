#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI push and a server killed with SIGKILL. Half an upload: nothing reaches
# blobs/, store fsck passes, and after a restart the old upload location is unknown (404
# BLOB_UPLOAD_UNKNOWN) and the blob is not served. A blob PUT and a manifest PUT that were
# answered 201 just before the kill are served after the restart, byte for byte, and
# skopeo pulls the image they make. An upload file a stopped server left in STORE/uploads/
# more than an hour ago is removed when the server starts again, and by store gc, which
# keeps a recent one (an upload that may still be going on).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need skopeo umoci python3 sha256sum base64

serve_store
push_token
OCI_MT=application/vnd.oci.image.manifest.v1+json

# kill9: SIGKILL the server and reap it
kill9() {
    kill -9 "$SERVE_PID" 2>/dev/null || fail "the server was not running"
    wait "$SERVE_PID" 2>/dev/null || true
}
blob_count() { find "$STORE/blobs" -type f | wc -l; }

serve_start --push-token-file "$T/token"

# ---------------------------------------------------------------- half an upload
head -c 200000 /dev/urandom >"$T/data"
D=$(digest_of "$T/data")
slice "$T/data" 0 99999 >"$T/half1"
slice "$T/data" 100000 199999 >"$T/half2"
before=$(blob_count)
req POST /v2/pushed/crash/blobs/uploads/ "${AUTH[@]}" --data-binary ''
expect_code 202
LOC=$(hdr Location)
LOC=${LOC#http*://*/}            # the path (and query) only: the port changes on restart
LOC=/${LOC#/}
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H "Content-Range: 0-99999" --data-binary @"$T/half1"
expect_code 202
expect_hdr Range 0-99999
kill9
assert_eq "$(blob_count)" "$before" "blobs in the store after a killed upload"
assert_absent "$STORE/blobs/sha256/${D#sha256:}"
assert_absent "$STORE/blobs/sha256/$(sha256 "$T/half1")"
expect_exit 0 airlock store fsck --store "$STORE"

serve_start --push-token-file "$T/token"
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H "Content-Range: 100000-199999" --data-binary @"$T/half2"
expect_oci_error 404 BLOB_UPLOAD_UNKNOWN
req PUT "$(with_query "$LOC" "digest=$D")" "${AUTH[@]}" "${OCTET[@]}" --data-binary ''
expect_oci_error 404 BLOB_UPLOAD_UNKNOWN
req HEAD "/v2/pushed/crash/blobs/$D"
expect_code 404
assert_absent "$STORE/blobs/sha256/${D#sha256:}"

# ---------------------------------------------------------------- 201, then SIGKILL
req POST "/v2/pushed/crash/blobs/uploads/?digest=$D" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/data"
expect_code 201
kill9
serve_start --push-token-file "$T/token"
req GET "/v2/pushed/crash/blobs/$D"
expect_code 200
expect_body_file "$T/data"

# the sample image, pushed blob by blob with curl, then its manifest; kill right after
SRC=$S/images/app-oci
expect_exit 0 skopeo inspect --raw "oci:$SRC:1.4"
cp "$OUT" "$T/src-manifest.json"
MDIG=$(digest_of "$T/src-manifest.json")
for b in $(json "$T/src-manifest.json" '.config.digest, .layers[].digest'); do
    req POST "/v2/pushed/image/blobs/uploads/?digest=$b" "${AUTH[@]}" "${OCTET[@]}" \
        --data-binary @"$SRC/blobs/sha256/${b#sha256:}"
    expect_code 201
done
req PUT /v2/pushed/image/manifests/v9 "${AUTH[@]}" -H "Content-Type: $OCI_MT" \
    --data-binary @"$T/src-manifest.json"
expect_code 201
expect_hdr Docker-Content-Digest "$MDIG"
kill9
expect_exit 0 airlock store fsck --store "$STORE"
serve_start --push-token-file "$T/token"
req GET /v2/pushed/image/manifests/v9
expect_code 200
expect_body_file "$T/src-manifest.json"
expect_hdr Content-Type "$OCI_MT"
expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/pushed/image:v9" "oci:$T/pulled:x"
cmp -s <(skopeo inspect --raw "oci:$T/pulled:x") "$T/src-manifest.json" ||
    fail "the image pushed before the kill comes back changed"

# ---------------------------------------------------------------- old upload files go at start
serve_stop
assert_exists "$STORE/uploads"
head -c 5000 /dev/urandom >"$STORE/uploads/0123456789abcdef0123456789abcdef"
touch -d '2 hours ago' "$STORE/uploads/0123456789abcdef0123456789abcdef"
serve_start --push-token-file "$T/token"
req GET /v2/
assert_absent "$STORE/uploads/0123456789abcdef0123456789abcdef"
expect_exit 0 airlock store fsck --store "$STORE"
serve_alive
serve_stop

# ---------------------------------------------------------------- and at gc, only old ones
OLD=$STORE/uploads/fedcba9876543210fedcba9876543210
NEW=$STORE/uploads/00112233445566778899aabbccddeeff
head -c 5000 /dev/urandom >"$OLD"
head -c 5000 /dev/urandom >"$NEW"
touch -d '2 hours ago' "$OLD"
expect_exit 0 airlock store gc --store "$STORE"
assert_absent "$OLD"
assert_exists "$NEW"     # the twin: an upload that may still be going on stays
expect_exit 0 airlock store fsck --store "$STORE"
