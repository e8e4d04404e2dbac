#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI push. Without --push-token-file every write is 401 UNAUTHORIZED (skopeo's push
# fails, nothing appears); a token file readable by others, missing or empty refuses to
# serve. With a 0600 token file skopeo pushes the sample image with --dest-creds user:TOKEN
# and pulls it back with the same digests; no token is 401, a wrong one 403 DENIED.
# curl drives every upload kind of the spec: monolithic POST+PUT, single POST ?digest=,
# chunked PATCH with Content-Range (out of order 416, GET on the upload 204 with Range,
# last chunk in the PUT), streamed PATCH, the empty blob, cross-repository mount; a
# digest that does not match the bytes is 400 DIGEST_INVALID and stores nothing; manifests
# are stored byte for byte (by tag and by digest), one naming a missing blob is 400
# MANIFEST_BLOB_UNKNOWN, bad JSON 400 MANIFEST_INVALID, over 4 MiB 413. Afterwards
# store fsck passes, store gc removes a stray blob but keeps what was pushed, and the
# pushed image still pulls, also after a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need skopeo umoci python3 sha256sum base64

serve_store
source_manifest
OCI_MT=application/vnd.oci.image.manifest.v1+json
ZERO=sha256:0000000000000000000000000000000000000000000000000000000000000000

push_token

# nothing_pushed REPO: the repository is unknown and not in the catalog
nothing_pushed() {
    req GET "/v2/$1/tags/list"
    expect_oci_error 404 NAME_UNKNOWN
    req GET /v2/_catalog
    expect_code 200
    jq -e --arg r "$1" '.repositories | index($r) == null' "$BODY" >/dev/null ||
        fail_req "_catalog lists '$1'"
}

# ---------------------------------------------------------------- read-only (no token file)
serve_start
expect_exit 1 skopeo copy --dest-tls-verify=false --dest-creds "user:$TOKEN" \
    "oci:$SRC:1.4" "docker://$HOSTPORT/pushed/app:v1"
nothing_pushed pushed/app
for auth in none bearer basic; do
    case $auth in
        none) a=() ;;
        bearer) a=("${AUTH[@]}") ;;
        basic) a=(-u "user:$TOKEN") ;;
    esac
    req POST /v2/pushed/app/blobs/uploads/ "${a[@]}" --data-binary ''
    expect_oci_error 401 UNAUTHORIZED
    req POST "/v2/pushed/app/blobs/uploads/?mount=$MDIG&from=myorg/app" "${a[@]}" --data-binary ''
    expect_oci_error 401 UNAUTHORIZED
    req PUT /v2/pushed/app/manifests/v1 "${a[@]}" -H "Content-Type: $OCI_MT" \
        --data-binary @"$T/src-manifest.json"
    expect_oci_error 401 UNAUTHORIZED
    req PUT /v2/myorg/app/manifests/1.4 "${a[@]}" -H "Content-Type: $OCI_MT" \
        --data-binary @"$T/src-manifest.json"
    expect_oci_error 401 UNAUTHORIZED
    req PATCH /v2/pushed/app/blobs/uploads/0123456789abcdef "${a[@]}" "${OCTET[@]}" --data-binary 'x'
    expect_oci_error 401 UNAUTHORIZED
    # deleting is refused too: 401 like any write, or 405 as deletion is not offered
    for p in /v2/myorg/app/manifests/1.4 "/v2/myorg/app/blobs/$MDIG"; do
        req DELETE "$p" "${a[@]}"
        case $CODE in
            405) expect_oci_error 405 UNSUPPORTED ;;
            *) expect_oci_error 401 UNAUTHORIZED ;;
        esac
    done
done
nothing_pushed pushed/app
req GET /v2/myorg/app/manifests/1.4
expect_code 200
expect_body_file "$T/src-manifest.json"
serve_stop

# ---------------------------------------------------------------- bad token files
chmod 644 "$T/token"
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 \
    --push-token-file "$T/token"
expect_stdout_not_contains "listening on"
chmod 640 "$T/token"
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 \
    --push-token-file "$T/token"
chmod 600 "$T/token"
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 \
    --push-token-file "$T/no-such-token"
: >"$T/empty-token"
chmod 600 "$T/empty-token"
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 \
    --push-token-file "$T/empty-token"

# ---------------------------------------------------------------- push with a token
serve_start --push-token-file "$T/token"
req GET /v2/ "${AUTH[@]}"
expect_code 200
req GET /v2/ -u "user:$TOKEN"
expect_code 200
# anonymous: 200, or 401 with a challenge (so that skopeo sends its --dest-creds) ...
req GET /v2/
case $CODE in
    200) ;;
    401) [ -n "$(hdr WWW-Authenticate)" ] || fail_req "a 401 on /v2/ without a challenge" ;;
    *) fail_req "GET /v2/ (anonymous) answered $CODE" ;;
esac
# ... but pulls stay anonymous
req GET /v2/myorg/app/manifests/1.4
expect_code 200
expect_body_file "$T/src-manifest.json"

# deletion is not offered, even with the token (the store changes by import and gc)
for p in /v2/myorg/app/manifests/1.4 "/v2/myorg/app/manifests/$MDIG"; do
    req DELETE "$p" "${AUTH[@]}"
    expect_oci_error 405 UNSUPPORTED
done
req GET /v2/myorg/app/manifests/1.4
expect_code 200
expect_body_file "$T/src-manifest.json"

# skopeo: without the token, with a wrong one: refused, and nothing appears
expect_exit 1 skopeo copy --dest-tls-verify=false \
    "oci:$SRC:1.4" "docker://$HOSTPORT/pushed/app:v1"
expect_exit 1 skopeo copy --dest-tls-verify=false --dest-creds "user:wrong$TOKEN" \
    "oci:$SRC:1.4" "docker://$HOSTPORT/pushed/app:v1"
nothing_pushed pushed/app
# with it: pushed, and pulled back unchanged
expect_exit 0 skopeo copy --dest-tls-verify=false --dest-creds "user:$TOKEN" \
    "oci:$SRC:1.4" "docker://$HOSTPORT/pushed/app:v1"
expect_exit 0 skopeo inspect --tls-verify=false "docker://$HOSTPORT/pushed/app:v1"
assert_eq "$(json "$OUT" .Digest)" "$MDIG" "digest of the pushed image"
expect_exit 0 skopeo list-tags --tls-verify=false "docker://$HOSTPORT/pushed/app"
assert_eq "$(json "$OUT" '.Tags | join(",")')" v1 "tags of pushed/app"

PULLS=0
# check_pull REPO:TAG: skopeo pulls it (anonymously) and it is the source image
check_pull() {
    local d h
    PULLS=$((PULLS + 1))
    d=$T/pull-$PULLS
    expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/$1" "oci:$d:x"
    skopeo inspect --raw "oci:$d:x" >"$T/pulled-manifest.json" || fail "skopeo inspect oci:$d:x"
    cmp -s "$T/pulled-manifest.json" "$T/src-manifest.json" ||
        fail "the manifest pulled from $1 differs from the source"
    for h in $(cd "$SRC/blobs/sha256" && ls); do
        cmp -s "$d/blobs/sha256/$h" "$SRC/blobs/sha256/$h" || fail "blob $h pulled from $1 differs"
    done
}
check_pull pushed/app:v1
for h in $(cd "$SRC/blobs/sha256" && ls); do
    assert_exists "$STORE/blobs/sha256/$h"
done

# curl: no token 401 (with a challenge), wrong token 403, right token in either form 202
req POST /v2/pushed/curl/blobs/uploads/ --data-binary ''
expect_oci_error 401 UNAUTHORIZED
[ -n "$(hdr WWW-Authenticate)" ] || fail_req "a 401 without WWW-Authenticate"
req POST /v2/pushed/curl/blobs/uploads/ -H "Authorization: Bearer x$TOKEN" --data-binary ''
expect_oci_error 403 DENIED
req POST /v2/pushed/curl/blobs/uploads/ -u "user:${TOKEN}x" --data-binary ''
expect_oci_error 403 DENIED
req PUT /v2/pushed/curl/manifests/v1 -H "Authorization: Bearer ${TOKEN:1}" \
    -H "Content-Type: $OCI_MT" --data-binary @"$T/src-manifest.json"
expect_oci_error 403 DENIED
nothing_pushed pushed/curl
req POST /v2/pushed/curl/blobs/uploads/ -u "someone:$TOKEN" --data-binary ''
expect_code 202
[ -n "$(hdr Location)" ] || fail_req "POST uploads without a Location"

# new_upload REPO: POST an upload session; its absolute location in $LOC
new_upload() {
    req POST "/v2/$1/blobs/uploads/" "${AUTH[@]}" --data-binary ''
    expect_code 202
    LOC=$(hdr Location)
    [ -n "$LOC" ] || fail_req "POST uploads without a Location"
    LOC=$(abs_url "$LOC")
}

# check_blob REPO DIGEST FILE: HEAD and GET give FILE
check_blob() {
    req HEAD "/v2/$1/blobs/$2"
    expect_code 200
    expect_hdr Content-Length "$(stat -c %s "$3")"
    expect_hdr Docker-Content-Digest "$2"
    req GET "/v2/$1/blobs/$2"
    expect_code 200
    expect_body_file "$3"
}

# blob_created REPO DIGEST FILE: the last response is 201 for DIGEST, and its Location
# gives FILE
blob_created() {
    expect_code 201
    expect_hdr Docker-Content-Digest "$2"
    local loc
    loc=$(hdr Location)
    [ -n "$loc" ] || fail_req "201 without a Location"
    req GET "$loc"
    expect_code 200
    expect_body_file "$3"
    check_blob "$1" "$2" "$3"
}

for i in 1 2 3 4 5 6; do head -c $((1000 * i + 17)) /dev/urandom >"$T/data$i"; done
D1=$(digest_of "$T/data1")
D2=$(digest_of "$T/data2")
D3=$(digest_of "$T/data3")
D4=$(digest_of "$T/data4")
D5=$(digest_of "$T/data5")
D6=$(digest_of "$T/data6")

# monolithic: POST, then PUT ?digest= with the body
new_upload pushed/mono
req PUT "$(with_query "$LOC" "digest=$D1")" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/data1"
blob_created pushed/mono "$D1" "$T/data1"

# single POST ?digest= with the body
req POST "/v2/pushed/mono/blobs/uploads/?digest=$D2" "${AUTH[@]}" "${OCTET[@]}" \
    --data-binary @"$T/data2"
blob_created pushed/mono "$D2" "$T/data2"

# chunked: 0-999, then 2000-3016 out of order (416), GET status, 1000-1999, the rest in
# the PUT
n3=$(stat -c %s "$T/data3")
slice "$T/data3" 0 999 >"$T/c1"
slice "$T/data3" 1000 1999 >"$T/c2"
slice "$T/data3" 2000 $((n3 - 1)) >"$T/c3"
new_upload pushed/mono
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H "Content-Range: 0-999" --data-binary @"$T/c1"
expect_code 202
expect_hdr Range 0-999
[ -n "$(hdr Location)" ] || fail_req "PATCH without a Location"
LOC=$(abs_url "$(hdr Location)")
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H "Content-Range: 2000-$((n3 - 1))" --data-binary @"$T/c3"
expect_code 416
req GET "$LOC" "${AUTH[@]}"
expect_code 204
expect_hdr Range 0-999
[ -n "$(hdr Location)" ] || fail_req "GET on an upload without a Location"
LOC=$(abs_url "$(hdr Location)")
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H "Content-Range: 1000-1999" --data-binary @"$T/c2"
expect_code 202
expect_hdr Range 0-1999
LOC=$(abs_url "$(hdr Location)")
req PUT "$(with_query "$LOC" "digest=$D3")" "${AUTH[@]}" "${OCTET[@]}" \
    -H "Content-Range: 2000-$((n3 - 1))" --data-binary @"$T/c3"
blob_created pushed/mono "$D3" "$T/data3"

# streamed: one PATCH without Content-Range, then an empty PUT
new_upload pushed/mono
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/data4"
expect_code 202
expect_hdr Range "0-$(($(stat -c %s "$T/data4") - 1))"
LOC=$(abs_url "$(hdr Location)")
req PUT "$(with_query "$LOC" "digest=$D4")" "${AUTH[@]}" "${OCTET[@]}" --data-binary ''
blob_created pushed/mono "$D4" "$T/data4"

# the empty blob; a range of it is 200 with Content-Range: bytes */0
: >"$T/empty"
DE=$(digest_of "$T/empty")
new_upload pushed/mono
req PUT "$(with_query "$LOC" "digest=$DE")" "${AUTH[@]}" "${OCTET[@]}" --data-binary ''
blob_created pushed/mono "$DE" "$T/empty"
req GET "/v2/pushed/mono/blobs/$DE" -H "Range: bytes=0-"
expect_code 200
expect_hdr Content-Range "bytes */0"
[ ! -s "$BODY" ] || fail_req "the empty blob has a body"

# wrong digests: 400 DIGEST_INVALID, and neither digest is stored
new_upload pushed/mono
req PUT "$(with_query "$LOC" "digest=$D6")" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/data5"
expect_oci_error 400 DIGEST_INVALID
req POST "/v2/pushed/mono/blobs/uploads/?digest=$D6" "${AUTH[@]}" "${OCTET[@]}" \
    --data-binary @"$T/data5"
expect_oci_error 400 DIGEST_INVALID
new_upload pushed/mono
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H "Content-Range: 0-$(($(stat -c %s "$T/data5") - 1))" \
    --data-binary @"$T/data5"
expect_code 202
LOC=$(abs_url "$(hdr Location)")
req PUT "$(with_query "$LOC" "digest=$D6")" "${AUTH[@]}" "${OCTET[@]}" --data-binary ''
expect_oci_error 400 DIGEST_INVALID
new_upload pushed/mono
req PUT "$(with_query "$LOC" "digest=sha256:abc")" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/data5"
expect_oci_error 400 DIGEST_INVALID
for d in "$D5" "$D6"; do
    req HEAD "/v2/pushed/mono/blobs/$d"
    expect_code 404
    assert_absent "$STORE/blobs/sha256/${d#sha256:}"
done
# twin of the above: the same bytes with their own digest go in
req POST "/v2/pushed/mono/blobs/uploads/?digest=$D5" "${AUTH[@]}" "${OCTET[@]}" \
    --data-binary @"$T/data5"
blob_created pushed/mono "$D5" "$T/data5"
assert_exists "$STORE/blobs/sha256/${D5#sha256:}"

# cross-repository mount: 201 for a blob the source has; an unknown one opens an upload
req POST "/v2/pushed/other/blobs/uploads/?mount=$D3&from=pushed/mono" "${AUTH[@]}" --data-binary ''
blob_created pushed/other "$D3" "$T/data3"
req POST "/v2/pushed/other/blobs/uploads/?mount=$D6&from=pushed/mono" "${AUTH[@]}" --data-binary ''
expect_code 202
[ -n "$(hdr Location)" ] || fail_req "a mount that cannot mount opens no upload"
req HEAD "/v2/pushed/other/blobs/$D6"
expect_code 404

# manifests: the empty config, a layer pushed above
printf '{}' >"$T/emptyjson"
DJ=$(digest_of "$T/emptyjson")
assert_eq "$DJ" sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a "digest of {}"
req POST "/v2/pushed/mono/blobs/uploads/?digest=$DJ" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/emptyjson"
blob_created pushed/mono "$DJ" "$T/emptyjson"

# manifest FILE LAYER_DIGEST LAYER_SIZE [CONFIG_DIGEST]: an OCI image manifest, compact
manifest() {
    printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}],"annotations":{"test":"t1002 %s"}}' \
        "$OCI_MT" "${4:-$DJ}" "$2" "$3" "$(basename "$1")" >"$1"
}
manifest "$T/m1.json" "$D3" "$n3"
M1=$(digest_of "$T/m1.json")
req PUT /v2/pushed/mono/manifests/m1 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/m1.json"
expect_code 201
expect_hdr Docker-Content-Digest "$M1"
[ -n "$(hdr Location)" ] || fail_req "a manifest PUT without a Location"
for ref in m1 "$M1"; do
    req GET "/v2/pushed/mono/manifests/$ref"
    expect_code 200
    expect_body_file "$T/m1.json"
    expect_hdr Content-Type "$OCI_MT"
    expect_hdr Docker-Content-Digest "$M1"
done
# by digest
manifest "$T/m2.json" "$D4" "$(stat -c %s "$T/data4")"
M2=$(digest_of "$T/m2.json")
req PUT "/v2/pushed/mono/manifests/$M2" "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/m2.json"
expect_code 201
expect_hdr Docker-Content-Digest "$M2"
req GET "/v2/pushed/mono/manifests/$M2"
expect_code 200
expect_body_file "$T/m2.json"
# by a digest that is not the bytes'
manifest "$T/m3.json" "$D4" "$(stat -c %s "$T/data4")"
req PUT "/v2/pushed/mono/manifests/$M2" "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/m3.json"
expect_oci_error 400 DIGEST_INVALID
req GET "/v2/pushed/mono/manifests/$(digest_of "$T/m3.json")"
expect_oci_error 404 MANIFEST_UNKNOWN
# naming a blob the store does not have: a layer, then the config
manifest "$T/bad1.json" "$D6" "$(stat -c %s "$T/data6")"
req PUT /v2/pushed/mono/manifests/bad1 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/bad1.json"
expect_oci_error 400 MANIFEST_BLOB_UNKNOWN
manifest "$T/bad2.json" "$D3" "$n3" "$D6"
req PUT /v2/pushed/mono/manifests/bad2 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/bad2.json"
expect_oci_error 400 MANIFEST_BLOB_UNKNOWN
printf '{"schemaVersion":2,' >"$T/bad3.json"
req PUT /v2/pushed/mono/manifests/bad3 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/bad3.json"
expect_oci_error 400 MANIFEST_INVALID
python3 - "$T/huge.json" "$DJ" "$D3" "$n3" <<'PY'
import json, sys
out, cfg, layer, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2},
     "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer,
                 "size": size}],
     "annotations": {"pad": "x" * (4 * 1024 * 1024)}}
open(out, "w").write(json.dumps(m))
PY
req PUT /v2/pushed/mono/manifests/huge "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/huge.json"
expect_code 413
serve_alive
for t in bad1 bad2 bad3 huge; do
    req GET "/v2/pushed/mono/manifests/$t"
    expect_oci_error 404 MANIFEST_UNKNOWN
done
req GET /v2/pushed/mono/tags/list
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["m1"]' "tags of pushed/mono"
req GET /v2/_catalog
expect_code 200
jq -e '.repositories | index("pushed/app") != null and index("pushed/mono") != null
       and index("myorg/app") != null' "$BODY" >/dev/null || fail_req "_catalog lacks a pushed repository"

# ---------------------------------------------------------------- fsck, gc, restart
expect_exit 0 airlock store fsck --store "$STORE"
head -c 4096 /dev/urandom >"$T/stray"
stray=$(sha256 "$T/stray")
cp "$T/stray" "$STORE/blobs/sha256/$stray"
expect_exit 0 airlock store gc --store "$STORE"
assert_absent "$STORE/blobs/sha256/$stray"
# (what a tagged pushed manifest references; blobs pushed without a manifest may go)
for h in $(cd "$SRC/blobs/sha256" && ls) "${D3#sha256:}" "${DJ#sha256:}"; do
    assert_exists "$STORE/blobs/sha256/$h"
done
expect_exit 0 airlock store fsck --store "$STORE"
check_pull pushed/app:v1
req GET /v2/pushed/mono/manifests/m1
expect_code 200
expect_body_file "$T/m1.json"
check_blob pushed/mono "$D3" "$T/data3"
serve_alive
serve_stop

serve_start
check_pull pushed/app:v1
req GET /v2/pushed/mono/manifests/m1
expect_code 200
expect_body_file "$T/m1.json"
check_blob pushed/mono "$D3" "$T/data3"
serve_stop
