#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI pull: skopeo copies the sample image out of `airlock serve` (to oci: and dir:,
# by tag and by digest) and gets the source layout's manifest byte for byte and blobs that
# hash to their names; skopeo inspect and list-tags see the tags. curl checks the
# distribution API itself: /v2/, HEAD/GET of manifests by tag and digest (exact bytes,
# Content-Type, Docker-Content-Digest, Content-Length), blobs with ETag/If-None-Match,
# _catalog, tags/list with n/last pagination and Link, referrers (an empty index), and the
# spec's JSON errors (404 MANIFEST_UNKNOWN/BLOB_UNKNOWN/NAME_UNKNOWN, 400 DIGEST_INVALID/
# NAME_INVALID). Only images are under /v2/. Must-fail twins: a blob flipped in the store
# makes skopeo fail; a blob whose size changed is not sent (500).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need skopeo umoci python3 sha256sum

# The sample, with the same image under three more tags and a second repository.
make_sample "$S"
cat >>"$S/airlock.yaml" <<'EOF'
  - kind: image
    path: images/app-oci:1.4
    name: myorg/app:1.5
  - kind: image
    path: images/app-oci:1.4
    name: myorg/app:latest
  - kind: image
    path: images/app-oci:1.4
    name: myorg/app:2.0
  - kind: image
    path: images/app-oci:1.4
    name: other/tool:v1
EOF
serve_store
serve_start

# What the source layout says, computed without airlock.
source_manifest
MSIZE=$(stat -c %s "$T/src-manifest.json")
MT=$(json "$SRC/index.json" '.manifests[0].mediaType')
assert_eq "$MDIG" "$(json "$SRC/index.json" '.manifests[0].digest')" "source manifest digest"
assert_eq "$MT" application/vnd.oci.image.manifest.v1+json "source manifest media type"
CFG=$(json "$T/src-manifest.json" .config.digest)
LAYER=$(json "$T/src-manifest.json" '.layers[0].digest')
CFG_FILE=$SRC/blobs/sha256/${CFG#sha256:}
LAYER_FILE=$SRC/blobs/sha256/${LAYER#sha256:}
INDEX_MT=application/vnd.oci.image.index.v1+json
ZERO=sha256:0000000000000000000000000000000000000000000000000000000000000000

# ---------------------------------------------------------------- /v2/
req GET /v2/
expect_code 200
expect_hdr Docker-Distribution-API-Version registry/2.0

# ---------------------------------------------------------------- manifests
for ref in 1.4 "$MDIG"; do
    for accept in "*/*" "$MT" "application/vnd.docker.distribution.manifest.v2+json, $MT;q=0.9"; do
        req GET "/v2/myorg/app/manifests/$ref" -H "Accept: $accept"
        expect_code 200
        expect_body_file "$T/src-manifest.json"
        expect_hdr Content-Type "$MT"
        expect_hdr Docker-Content-Digest "$MDIG"
        expect_hdr Content-Length "$MSIZE"
    done
    req HEAD "/v2/myorg/app/manifests/$ref" -H "Accept: $MT"
    expect_code 200
    expect_hdr Content-Type "$MT"
    expect_hdr Docker-Content-Digest "$MDIG"
    expect_hdr Content-Length "$MSIZE"
done
for t in 1.5 2.0 latest; do
    req HEAD "/v2/myorg/app/manifests/$t"
    expect_code 200
    expect_hdr Docker-Content-Digest "$MDIG"
done
req GET /v2/other/tool/manifests/v1
expect_code 200
expect_body_file "$T/src-manifest.json"
# a tag of one repository is not a tag of another
req GET /v2/other/tool/manifests/1.4
expect_oci_error 404 MANIFEST_UNKNOWN
req GET /v2/myorg/app/manifests/v1
expect_oci_error 404 MANIFEST_UNKNOWN
req GET /v2/myorg/app/manifests/9.9
expect_oci_error 404 MANIFEST_UNKNOWN
req HEAD /v2/myorg/app/manifests/9.9
expect_code 404
req GET "/v2/myorg/app/manifests/$ZERO"
expect_oci_error 404 MANIFEST_UNKNOWN
req HEAD "/v2/myorg/app/manifests/$ZERO"
expect_code 404
# a blob is not a manifest
req GET "/v2/myorg/app/manifests/$CFG"
expect_oci_error 404 MANIFEST_UNKNOWN

# ---------------------------------------------------------------- blobs
for pair in "$CFG:$CFG_FILE" "$LAYER:$LAYER_FILE"; do
    d=${pair%:/*}
    f=/${pair#*:/}
    size=$(stat -c %s "$f")
    req HEAD "/v2/myorg/app/blobs/$d"
    expect_code 200
    expect_hdr Content-Length "$size"
    expect_hdr Docker-Content-Digest "$d"
    expect_hdr Accept-Ranges bytes
    req GET "/v2/myorg/app/blobs/$d"
    expect_code 200
    expect_body_file "$f"
    expect_hdr Content-Length "$size"
    expect_hdr Docker-Content-Digest "$d"
    etag=$(hdr ETag)
    [[ $etag =~ ^\"[^\"]+\"$ ]] || fail_req "blob ETag '$etag' is not a strong entity tag"
    req GET "/v2/myorg/app/blobs/$d" -H "If-None-Match: $etag"
    expect_code 304
    [ ! -s "$BODY" ] || fail_req "a 304 carries a body"
    req HEAD "/v2/myorg/app/blobs/$d" -H "If-None-Match: $etag"
    expect_code 304
    # twin: another tag is not a match
    req GET "/v2/myorg/app/blobs/$d" -H 'If-None-Match: "not-this-one"'
    expect_code 200
    expect_body_file "$f"
done
# the two blobs have different entity tags
req HEAD "/v2/myorg/app/blobs/$CFG"
etag_cfg=$(hdr ETag)
req HEAD "/v2/myorg/app/blobs/$LAYER"
[ "$(hdr ETag)" != "$etag_cfg" ] || fail_req "two blobs share the ETag $etag_cfg"
req GET "/v2/myorg/app/blobs/$LAYER" -H "If-None-Match: $etag_cfg"
expect_code 200
req GET "/v2/myorg/app/blobs/$ZERO"
expect_oci_error 404 BLOB_UNKNOWN
req HEAD "/v2/myorg/app/blobs/$ZERO"
expect_code 404

# ---------------------------------------------------------------- _catalog, tags/list
req GET /v2/_catalog
expect_code 200
assert_eq "$(jq -c .repositories "$BODY")" '["myorg/app","other/tool"]' "_catalog repositories"

req GET /v2/myorg/app/tags/list
expect_code 200
assert_eq "$(jq -r .name "$BODY")" myorg/app "tags/list name"
assert_eq "$(jq -c .tags "$BODY")" '["1.4","1.5","2.0","latest"]' "tags/list tags"
[ -z "$(link_next)" ] || fail_req "tags/list without n has a next link"
req GET /v2/other/tool/tags/list
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["v1"]' "tags of other/tool"

# all_pages N MAX: follows tags/list?n=N and its Link rel="next" headers, at most MAX pages
# of at most N tags each, and sets $ALL to every tag gathered, comma-separated, in order
all_pages() {
    local next="/v2/myorg/app/tags/list?n=$1" pages=0
    ALL=
    while [ -n "$next" ]; do
        pages=$((pages + 1))
        [ "$pages" -le "$2" ] || fail "tags/list?n=$1 pagination does not end"
        req GET "$next"
        expect_code 200
        [ "$(jq '.tags | length' "$BODY")" -le "$1" ] || fail_req "a page of n=$1 holds more than $1 tags"
        ALL=$ALL$(jq -j '.tags[] | . + ","' "$BODY")
        next=$(link_next)
    done
    ALL=${ALL%,}
}

req GET '/v2/myorg/app/tags/list?n=2'
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["1.4","1.5"]' "tags/list?n=2"
[ -n "$(link_next)" ] || fail_req "tags/list?n=2 of 4 tags has no Link rel=\"next\""
all_pages 2 4
assert_eq "$ALL" "1.4,1.5,2.0,latest" "tags gathered by following Link"

req GET '/v2/myorg/app/tags/list?n=0'
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '[]' "tags/list?n=0"
assert_eq "$(hdr_count Link)" 0 "Link headers on tags/list?n=0"
req GET '/v2/myorg/app/tags/list?last=1.5'
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["2.0","latest"]' "tags/list?last=1.5"
req GET '/v2/myorg/app/tags/list?n=1&last=1.5'
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["2.0"]' "tags/list?n=1&last=1.5"
[ -n "$(link_next)" ] || fail_req "tags/list?n=1&last=1.5 (one more tag after it) has no next link"
req GET '/v2/myorg/app/tags/list?n=10'
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["1.4","1.5","2.0","latest"]' "tags/list?n=10"
[ -z "$(link_next)" ] || fail_req "tags/list?n=10 of 4 tags has a next link"
req GET '/v2/myorg/app/tags/list?last=latest'
expect_code 200
assert_eq "$(jq -c '.tags // []' "$BODY")" '[]' "tags/list?last=latest"
# a last that is not a tag: what sorts after it
req GET '/v2/myorg/app/tags/list?last=1.45'
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["1.5","2.0","latest"]' "tags/list?last=1.45"
req GET '/v2/myorg/app/tags/list?last=0&n=1'
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["1.4"]' "tags/list?last=0&n=1"
# one tag a page: every tag once, in order
all_pages 1 6
assert_eq "$ALL" "1.4,1.5,2.0,latest" "tags gathered one a page"

# ---------------------------------------------------------------- referrers
for d in "$MDIG" "$ZERO"; do
    req GET "/v2/myorg/app/referrers/$d"
    expect_code 200
    expect_hdr Content-Type "$INDEX_MT"
    jq -e --arg mt "$INDEX_MT" '.schemaVersion == 2 and .manifests == []
        and ((.mediaType // $mt) == $mt)' "$BODY" >/dev/null ||
        fail_req "referrers of $d is not an empty OCI index"
done
req GET /v2/myorg/app/referrers/sha256:abc
expect_oci_error 400 DIGEST_INVALID

# ---------------------------------------------------------------- errors
req GET /v2/nosuch/repo/manifests/1.4
expect_oci_error 404 NAME_UNKNOWN
req GET /v2/nosuch/repo/tags/list
expect_oci_error 404 NAME_UNKNOWN
# other kinds of artifact are not images: not under /v2/
req GET /v2/local/tiny-model/tags/list
expect_oci_error 404 NAME_UNKNOWN
model_digest=$("$AIRLOCK" store ls --store "$STORE" --json |
    jq -r '.artifacts[] | select(.kind == "model") | .digest')
[ -n "$model_digest" ] || fail "no model in the store"
req GET "/v2/local/tiny-model/manifests/$model_digest"
expect_code 404
req GET "/v2/myorg/app/manifests/$model_digest"
expect_oci_error 404 MANIFEST_UNKNOWN
for p in /v2/myorg/app/blobs/sha256:abc \
         "/v2/myorg/app/blobs/sha256:$(printf '%064d' 0 | tr 0 A)" \
         "/v2/myorg/app/blobs/sha256:${CFG#sha256:}0" \
         /v2/myorg/app/manifests/sha256:abc \
         "/v2/myorg/app/manifests/sha256:$(printf '%063d' 0)"; do
    req GET "$p"
    expect_oci_error 400 DIGEST_INVALID
done
for p in /v2/MyOrg/app/manifests/1.4 /v2/myorg/-app/tags/list /v2/myorg/app_/tags/list \
         "/v2/myorg/../app/manifests/1.4" "/v2/myorg/./app/manifests/1.4" \
         "/v2/myorg//app/manifests/1.4" "/v2/myorg%2Fapp/manifests/1.4" \
         "/v2/myorg%2fapp/tags/list"; do
    req GET "$p"
    expect_oci_error 400 NAME_INVALID
done

# ---------------------------------------------------------------- skopeo
expect_exit 0 skopeo inspect --tls-verify=false --raw "docker://$HOSTPORT/myorg/app:1.4"
cmp -s "$OUT" "$T/src-manifest.json" || fail "skopeo inspect --raw differs from the source manifest"
expect_exit 0 skopeo inspect --tls-verify=false --config --raw "docker://$HOSTPORT/myorg/app:1.4"
cmp -s "$OUT" "$CFG_FILE" || fail "skopeo inspect --config --raw differs from the source config"
expect_exit 0 skopeo inspect --tls-verify=false "docker://$HOSTPORT/myorg/app:1.4"
assert_eq "$(json "$OUT" .Digest)" "$MDIG" "skopeo inspect .Digest"
assert_eq "$(json "$OUT" '.RepoTags | sort | join(",")')" "1.4,1.5,2.0,latest" "skopeo inspect .RepoTags"
assert_eq "$(json "$OUT" '.Layers | join(",")')" "$LAYER" "skopeo inspect .Layers"
expect_exit 0 skopeo list-tags --tls-verify=false "docker://$HOSTPORT/myorg/app"
assert_eq "$(json "$OUT" '.Tags | join(",")')" "1.4,1.5,2.0,latest" "skopeo list-tags"

# check_oci_copy DIR TAG: the copy's manifest is the source's, byte for byte, and it holds
# exactly the source's blobs, each hashing to its name.
check_oci_copy() {
    local h
    skopeo inspect --raw "oci:$1:$2" >"$T/copy-manifest.json" || fail "skopeo inspect oci:$1:$2"
    cmp -s "$T/copy-manifest.json" "$T/src-manifest.json" ||
        fail "the manifest pulled into $1 differs from the source"
    (cd "$1/blobs/sha256" && ls | LC_ALL=C sort) >"$T/copy-blobs"
    (cd "$SRC/blobs/sha256" && ls | LC_ALL=C sort) >"$T/src-blobs"
    cmp -s "$T/copy-blobs" "$T/src-blobs" || fail "the blobs pulled into $1 are not the source's"
    for h in $(cat "$T/copy-blobs"); do
        assert_eq "$(sha256 "$1/blobs/sha256/$h")" "$h" "digest of pulled blob $h"
    done
}
expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/myorg/app:1.4" "oci:$T/pulled:1.4"
check_oci_copy "$T/pulled" 1.4
expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/myorg/app@$MDIG" "oci:$T/pulled-d:x"
check_oci_copy "$T/pulled-d" x
expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/other/tool:v1" "dir:$T/pulled-dir"
cmp -s "$T/pulled-dir/manifest.json" "$T/src-manifest.json" || fail "dir: manifest differs from the source"
cmp -s "$T/pulled-dir/${CFG#sha256:}" "$CFG_FILE" || fail "dir: config differs from the source"
cmp -s "$T/pulled-dir/${LAYER#sha256:}" "$LAYER_FILE" || fail "dir: layer differs from the source"

jq -se 'any(.[]; .path == "/v2/myorg/app/manifests/1.4" and .method == "HEAD")' \
    "$T/access.log" >/dev/null || fail "the access log has no HEAD /v2/myorg/app/manifests/1.4"
jq -se 'any(.[]; .path == "/v2/" and .method == "GET" and .route == "oci" and .status == 200)' \
    "$T/access.log" >/dev/null || fail "the access log does not record GET /v2/ as route oci, status 200"

# ---------------------------------------------------------------- must-fail twins
# One bit of the layer flipped in the store: the size is unchanged, so it is sent, and the
# client must refuse it.
stored_layer=$STORE/blobs/sha256/${LAYER#sha256:}
assert_exists "$stored_layer"
chmod u+w "$stored_layer"
flip_byte "$stored_layer"
expect_exit 1 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/myorg/app:1.4" "oci:$T/bad:1.4"
expect_stderr_contains "${LAYER#sha256:}"
# The config one byte short: the server must not send it (500), and the client fails.
stored_cfg=$STORE/blobs/sha256/${CFG#sha256:}
chmod u+w "$stored_cfg"
truncate -s -1 "$stored_cfg"
req GET "/v2/myorg/app/blobs/$CFG"
expect_code 500
grep -q "${CFG#sha256:}" "$T/serve.err" || fail "the server did not log the blob it refused to send"
serve_alive
expect_exit 1 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/other/tool:v1" "dir:$T/bad-dir"
serve_alive
serve_stop
