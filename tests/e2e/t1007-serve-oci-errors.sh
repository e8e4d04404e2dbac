#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI errors: a sweep of bad requests under /v2/, pulls and pushes, each answered
# with the right status and the spec's JSON error body whose codes are all from the spec's
# closed set ("The code field MUST be one of the following"): invalid tags (a push 400; a
# pull 400, or 404 MANIFEST_UNKNOWN), bad n on tags/list and _catalog, paths that are no
# route, methods a route does not take (405 UNSUPPORTED), deletes (405), bad digests and
# algorithms on push (400 DIGEST_INVALID), a manifest that is not JSON, whose mediaType is
# not its Content-Type, or over 4 MiB (413), an upload that does not exist (404
# BLOB_UPLOAD_UNKNOWN), a chunk whose Content-Range is not where the upload is (416). A
# manifest of exactly 4 MiB is accepted (twin of the 413). The server answers a plain GET
# correctly after all of it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need python3 sha256sum base64

serve_store
push_token
OCI_MT=application/vnd.oci.image.manifest.v1+json
serve_start --push-token-file "$T/token"

SRC=$S/images/app-oci
MDIG=$(json "$SRC/index.json" '.manifests[0].digest')
CFG=$(json "$SRC/blobs/sha256/${MDIG#sha256:}" .config.digest)
[ -f "$SRC/blobs/sha256/${CFG#sha256:}" ] || fail "the sample's config blob is missing"

# ---------------------------------------------------------------- pull side
long_tag=$(printf 'a%.0s' $(seq 1 129))
# (a name that cannot be a tag: 400, or 404 as no such manifest can exist)
for p in /v2/myorg/app/manifests/-bad /v2/myorg/app/manifests/.bad "/v2/myorg/app/manifests/$long_tag"; do
    req GET "$p"
    case $CODE in
        400) expect_spec_error 400 ;;
        *) expect_oci_error 404 MANIFEST_UNKNOWN ;;
    esac
done
for p in '/v2/myorg/app/tags/list?n=abc' '/v2/myorg/app/tags/list?n=-1' '/v2/_catalog?n=x'; do
    req GET "$p"
    expect_spec_error 400
done
for p in /v2/foo /v2/myorg/app /v2/myorg/app/ /v2/myorg/app/nothing/here; do
    req GET "$p"
    expect_spec_error 404
done
for p in /v2/myorg/app/blobs/1.4 /v2/myorg/app/blobs/sha512:abc /v2/myorg/app/referrers/1.4; do
    req GET "$p"
    expect_oci_error 400 DIGEST_INVALID
done

# ---------------------------------------------------------------- methods and deletes
for mp in "POST /v2/_catalog" "PUT /v2/myorg/app/tags/list" "POST /v2/myorg/app/manifests/1.4" \
          "PATCH /v2/myorg/app/manifests/1.4" "PUT /v2/myorg/app/referrers/$MDIG" \
          "DELETE /v2/myorg/app/manifests/1.4" "DELETE /v2/myorg/app/blobs/$CFG"; do
    read -r m p <<<"$mp"
    req "$m" "$p" "${AUTH[@]}"
    expect_oci_error 405 UNSUPPORTED
done
req GET /v2/myorg/app/manifests/1.4
expect_code 200
expect_hdr Docker-Content-Digest "$MDIG"

# ---------------------------------------------------------------- push side
req PUT /v2/pushed/x/manifests/-bad "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary '{}'
expect_spec_error 400
req PUT /v2/pushed/x/manifests/sha256:abc "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary '{}'
expect_oci_error 400 DIGEST_INVALID
req POST '/v2/pushed/x/blobs/uploads/?digest-algorithm=sha512' "${AUTH[@]}" --data-binary ''
expect_spec_error 400
req POST '/v2/pushed/x/blobs/uploads/?digest=md5:abc' "${AUTH[@]}" --data-binary 'abc'
expect_oci_error 400 DIGEST_INVALID
req PATCH /v2/pushed/x/blobs/uploads/0123456789abcdef0123456789abcdef "${AUTH[@]}" "${OCTET[@]}" --data-binary 'abc'
expect_oci_error 404 BLOB_UPLOAD_UNKNOWN
req GET /v2/pushed/x/blobs/uploads/0123456789abcdef0123456789abcdef "${AUTH[@]}"
expect_oci_error 404 BLOB_UPLOAD_UNKNOWN
req PUT "/v2/pushed/x/blobs/uploads/0123456789abcdef0123456789abcdef?digest=$CFG" "${AUTH[@]}" "${OCTET[@]}" --data-binary 'abc'
expect_oci_error 404 BLOB_UPLOAD_UNKNOWN

# an upload at 0-2: a chunk that starts elsewhere is 416, the upload is still at 0-2
req POST /v2/pushed/x/blobs/uploads/ "${AUTH[@]}" --data-binary ''
expect_code 202
LOC=$(abs_url "$(hdr Location)")
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H 'Content-Range: 0-2' --data-binary 'abc'
expect_code 202
LOC=$(abs_url "$(hdr Location)")
for cr in 0-2 5-7 2-4; do
    req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H "Content-Range: $cr" --data-binary 'def'
    expect_code 416
done
req GET "$LOC" "${AUTH[@]}"
expect_code 204
expect_hdr Range 0-2
req PATCH "$LOC" "${AUTH[@]}" "${OCTET[@]}" -H 'Content-Range: 3-5' --data-binary 'def'
expect_code 202
expect_hdr Range 0-5
LOC=$(abs_url "$(hdr Location)")
printf abcdef >"$T/abcdef"
req PUT "$(with_query "$LOC" "digest=$(digest_of "$T/abcdef")")" "${AUTH[@]}" "${OCTET[@]}" --data-binary ''
expect_code 201
req GET "/v2/pushed/x/blobs/$(digest_of "$T/abcdef")"
expect_code 200
expect_body_file "$T/abcdef"

# manifests: not JSON, a mediaType that is not the Content-Type, over 4 MiB
req PUT /v2/pushed/x/manifests/v1 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary '{"schemaVersion":2,'
expect_oci_error 400 MANIFEST_INVALID
printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"%s","size":%s},"layers":[]}' \
    "$CFG" "$(stat -c %s "$SRC/blobs/sha256/${CFG#sha256:}")" >"$T/docker-typed.json"
req PUT /v2/myorg/app/manifests/mismatch "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/docker-typed.json"
expect_oci_error 400 MANIFEST_INVALID
req GET /v2/myorg/app/manifests/mismatch
expect_oci_error 404 MANIFEST_UNKNOWN
python3 - "$T" "$CFG" "$(stat -c %s "$SRC/blobs/sha256/${CFG#sha256:}")" <<'PY'
import json, sys
d, cfg, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": size},
     "layers": [], "annotations": {"pad": ""}}
n = len(json.dumps(m, separators=(",", ":")))
for name, total in (("4mib.json", 4 << 20), ("4mib1.json", (4 << 20) + 1)):
    m["annotations"]["pad"] = "x" * (total - n)
    s = json.dumps(m, separators=(",", ":"))
    assert len(s) == total
    open("%s/%s" % (d, name), "w").write(s)
PY
req PUT /v2/myorg/app/manifests/big1 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/4mib1.json"
expect_spec_error 413
req GET /v2/myorg/app/manifests/big1
expect_oci_error 404 MANIFEST_UNKNOWN
req PUT /v2/myorg/app/manifests/big0 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/4mib.json"
expect_code 201
expect_hdr Docker-Content-Digest "$(digest_of "$T/4mib.json")"
req GET /v2/myorg/app/manifests/big0
expect_code 200
expect_body_file "$T/4mib.json"

serve_alive
req GET /v2/myorg/app/manifests/1.4
expect_code 200
expect_hdr Docker-Content-Digest "$MDIG"
serve_stop
