#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI pull of what is not a plain OCI image manifest: a multi-platform image index
# (amd64 + arm64, made from the sample with umoci and a hand-written index) and a Docker
# v2 schema 2 image (the sample converted by skopeo). Each is served with its own media
# type as Content-Type (which clients check against the manifest's mediaType), the index's
# child manifests are served by digest, skopeo copy --all copies the whole index byte for
# byte, --override-arch arm64 picks the arm64 child, and the Docker image pulls unchanged.
# Twin: a child manifest that is not in the index is not served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need skopeo umoci python3 sha256sum

make_sample "$S"
SRC=$S/images/app-oci
MULTI=$S/images/multi-oci
DOCKER=$S/images/docker-v2s2
OCI_MT=application/vnd.oci.image.manifest.v1+json
INDEX_MT=application/vnd.oci.image.index.v1+json
D2_MT=application/vnd.docker.distribution.manifest.v2+json

# the index: the sample (amd64) and the same with another architecture (arm64), plus an
# s390x child left out of the index
cp -r "$SRC" "$MULTI"
expect_exit 0 umoci config --image "$MULTI:1.4" --tag arm --architecture arm64
expect_exit 0 umoci config --image "$MULTI:1.4" --tag s390x --architecture s390x
python3 - "$MULTI" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
ix = json.load(open(d + "/index.json"))
refs = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in ix["manifests"]}
children = []
for tag in ("1.4", "arm"):
    m = refs[tag]
    man = json.load(open(d + "/blobs/sha256/" + m["digest"][7:]))
    cfg = json.load(open(d + "/blobs/sha256/" + man["config"]["digest"][7:]))
    children.append({"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
                     "platform": {"architecture": cfg["architecture"], "os": cfg["os"]}})
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": children}, separators=(",", ":")).encode()
h = hashlib.sha256(body).hexdigest()
open(d + "/blobs/sha256/" + h, "wb").write(body)
ix["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                        "digest": "sha256:" + h, "size": len(body),
                        "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(ix, open(d + "/index.json", "w"))
PY
expect_exit 0 skopeo copy --format v2s2 "oci:$SRC:1.4" "oci:$DOCKER:1.4"
cat >>"$S/airlock.yaml" <<'EOF'
  - kind: image
    path: images/multi-oci:multi
    name: myorg/multi:1.0
  - kind: image
    path: images/docker-v2s2:1.4
    name: myorg/docker:1.4
EOF
serve_store
serve_start

# the source, as skopeo reads it
expect_exit 0 skopeo inspect --raw "oci:$MULTI:multi"
cp "$OUT" "$T/index.json"
IDX=$(digest_of "$T/index.json")
assert_eq "$(json "$T/index.json" .mediaType)" "$INDEX_MT" "source index mediaType"
AMD=$(json "$T/index.json" '.manifests[] | select(.platform.architecture == "amd64") | .digest')
ARM=$(json "$T/index.json" '.manifests[] | select(.platform.architecture == "arm64") | .digest')
[ -n "$AMD" ] && [ -n "$ARM" ] && [ "$AMD" != "$ARM" ] || fail "the source index lacks its two children"
expect_exit 0 skopeo inspect --raw "oci:$MULTI:s390x"
S390=$(digest_of "$OUT")
# (skopeo 1.9 cannot read a Docker-typed descriptor back from an OCI layout: use the file)
DM=$(json "$DOCKER/index.json" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "1.4") | .digest')
cp "$DOCKER/blobs/sha256/${DM#sha256:}" "$T/docker.json"
assert_eq "$(digest_of "$T/docker.json")" "$DM" "digest of the source docker manifest"
assert_eq "$(json "$T/docker.json" .mediaType)" "$D2_MT" "source docker manifest mediaType"

# the index by tag and digest: its bytes and its type
for ref in 1.0 "$IDX"; do
    req GET "/v2/myorg/multi/manifests/$ref" -H "Accept: $INDEX_MT, $OCI_MT"
    expect_code 200
    expect_body_file "$T/index.json"
    expect_hdr Content-Type "$INDEX_MT"
    expect_hdr Docker-Content-Digest "$IDX"
    req HEAD "/v2/myorg/multi/manifests/$ref"
    expect_code 200
    expect_hdr Content-Type "$INDEX_MT"
    expect_hdr Content-Length "$(stat -c %s "$T/index.json")"
done
# its children by digest, and their configs and layers
for d in "$AMD" "$ARM"; do
    req GET "/v2/myorg/multi/manifests/$d"
    expect_code 200
    expect_body_file "$MULTI/blobs/sha256/${d#sha256:}"
    expect_hdr Content-Type "$OCI_MT"
    expect_hdr Docker-Content-Digest "$d"
    cp "$BODY" "$T/child.json"
    for b in $(jq -r '.config.digest, .layers[].digest' "$T/child.json"); do
        req HEAD "/v2/myorg/multi/blobs/$b"
        expect_code 200
        expect_hdr Docker-Content-Digest "$b"
    done
done
# twin: a manifest of the layout that the index does not name
req GET "/v2/myorg/multi/manifests/$S390"
expect_oci_error 404 MANIFEST_UNKNOWN
req GET /v2/myorg/multi/manifests/arm
expect_oci_error 404 MANIFEST_UNKNOWN
req GET /v2/myorg/multi/tags/list
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["1.0"]' "tags of myorg/multi"

# the Docker image: its own type
for ref in 1.4 "$DM"; do
    req GET "/v2/myorg/docker/manifests/$ref" -H "Accept: $D2_MT"
    expect_code 200
    expect_body_file "$T/docker.json"
    expect_hdr Content-Type "$D2_MT"
    expect_hdr Docker-Content-Digest "$DM"
done

# skopeo: the whole index, one platform of it, the Docker image
expect_exit 0 skopeo copy --all --src-tls-verify=false "docker://$HOSTPORT/myorg/multi:1.0" "oci:$T/all:x"
cmp -s <(skopeo inspect --raw "oci:$T/all:x") "$T/index.json" || fail "copy --all: the index differs"
for d in "$AMD" "$ARM"; do
    cmp -s "$T/all/blobs/sha256/${d#sha256:}" "$MULTI/blobs/sha256/${d#sha256:}" ||
        fail "copy --all: child $d differs or is missing"
    for b in $(jq -r '.config.digest, .layers[].digest' "$T/all/blobs/sha256/${d#sha256:}"); do
        assert_eq "$(sha256 "$T/all/blobs/sha256/${b#sha256:}")" "${b#sha256:}" "copy --all: blob $b"
    done
done
expect_exit 0 skopeo --override-arch arm64 --override-os linux copy --src-tls-verify=false \
    "docker://$HOSTPORT/myorg/multi:1.0" "dir:$T/arm"
cmp -s "$T/arm/manifest.json" "$MULTI/blobs/sha256/${ARM#sha256:}" || fail "the arm64 pull is not the arm64 child"
for arch in amd64 arm64; do
    expect_exit 0 skopeo --override-arch $arch --override-os linux inspect --tls-verify=false \
        "docker://$HOSTPORT/myorg/multi:1.0"
    assert_eq "$(json "$OUT" .Digest)" "$IDX" "skopeo inspect ($arch) .Digest of the index"
    assert_eq "$(json "$OUT" .Architecture)" $arch "skopeo inspect ($arch) .Architecture"
done
expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/myorg/docker:1.4" "dir:$T/docker"
cmp -s "$T/docker/manifest.json" "$T/docker.json" || fail "the Docker image's manifest changed on the way"
expect_exit 0 skopeo inspect --tls-verify=false "docker://$HOSTPORT/myorg/docker:1.4"
assert_eq "$(json "$OUT" .Digest)" "$DM" "skopeo inspect .Digest of the Docker image"
serve_alive
serve_stop
