#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A directory bundle of the sample spec verifies, and real OCI clients (sha256sum, skopeo,
# umoci) read it as what it claims to be; the same spec gives the same artifact digests.
. "$(dirname "$0")/lib.sh"
need jq skopeo umoci sha256sum

make_sample "$S"
B=$T/bundle

expect_exit 0 airlock bundle create -f "$S/airlock.yaml" -o "$B"
expect_stdout_contains "wrote bundle '$B': demo-stack version 1, 7 artifacts"
expect_exit 0 airlock verify "$B"
expect_stdout_contains "bundle '$B' is intact: demo-stack version 1, 7 artifacts"
expect_stdout_contains "no signature was checked"

# An independent implementation agrees with every line of SHA256SUMS.
( cd "$B" && sha256sum --check --strict --quiet SHA256SUMS ) >"$OUT" 2>"$ERR" ||
    fail "sha256sum --check SHA256SUMS failed inside the bundle"
# ... and SHA256SUMS covers every file but itself.
(cd "$B" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort) >"$T/files"
cut -c67- "$B/SHA256SUMS" | LC_ALL=C sort >"$T/listed"
cmp -s "$T/files" "$T/listed" || { diff "$T/files" "$T/listed" >&2 || true; fail "SHA256SUMS does not list exactly the bundle's files"; }

# The image: one digest, whoever computes it.
expect_exit 0 airlock bundle inspect --json "$B"
cp "$OUT" "$T/inspect.json"
assert_eq "$(json "$T/inspect.json" .verified)" false "inspect --json 'verified'"
img_meta=$(json "$T/inspect.json" '.artifacts[] | select(.kind == "image") | .digest')
img_src=$(json "$S/images/app-oci/index.json" '.manifests[0].digest')
expect_exit 0 skopeo inspect "oci:$B:image/myorg/app:1.4"
img_skopeo=$(json "$OUT" .Digest)
assert_eq "$img_meta" "$img_src" "image digest in airlock.json vs the source layout"
assert_eq "$img_skopeo" "$img_src" "image digest from skopeo vs the source layout"

# The model: a CNCF model-spec manifest, one layer per (non-hidden) file, each layer the
# file's bytes.
expect_exit 0 skopeo inspect --raw "oci:$B:model/local/tiny-model"
cp "$OUT" "$T/model.json"
assert_eq "$(json "$T/model.json" .artifactType)" application/vnd.cncf.model.manifest.v1+json "model artifactType"
assert_eq "$(json "$T/model.json" .config.mediaType)" application/vnd.cncf.model.config.v1+json "model config mediaType"
(cd "$S/models/tiny-model" && find . -type f ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort) >"$T/model-files"
json "$T/model.json" '.layers[].annotations["org.cncf.model.filepath"]' | LC_ALL=C sort >"$T/model-layers"
cmp -s "$T/model-files" "$T/model-layers" ||
    { diff "$T/model-files" "$T/model-layers" >&2 || true; fail "model layers do not match the model's files"; }
assert_eq "$(json "$T/model.json" '.layers | length')" "$(wc -l <"$T/model-files")" "model layer count"
while read -r f; do
    want="sha256:$(sha256 "$S/models/tiny-model/$f")"
    got=$(json "$T/model.json" ".layers[] | select(.annotations[\"org.cncf.model.filepath\"] == \"$f\") | .digest")
    assert_eq "$got" "$want" "layer digest of model file '$f'"
done <"$T/model-files"
model_digest=$(json "$T/inspect.json" '.artifacts[] | select(.kind == "model") | .digest')
assert_eq "sha256:$(skopeo inspect --raw "oci:$B:model/local/tiny-model" | sha256sum | cut -d' ' -f1)" \
    "$model_digest" "model manifest digest (skopeo --raw | sha256sum) vs airlock.json"

# umoci sees every reference ...
expect_exit 0 umoci ls --layout "$B"
LC_ALL=C sort "$OUT" >"$T/refs"
json "$T/inspect.json" '.artifacts[].ref' | LC_ALL=C sort >"$T/refs-meta"
cmp -s "$T/refs" "$T/refs-meta" || { diff "$T/refs" "$T/refs-meta" >&2 || true; fail "umoci ls does not list the bundle's refs"; }
for ref in model/local/tiny-model image/myorg/app:1.4 file/runbook.txt vulndb/osv; do
    grep -qxF "$ref" "$T/refs" || fail "umoci ls lacks '$ref'"
done
# ... and unpacks the image to exactly what the source layout unpacks to.
expect_exit 0 umoci unpack --rootless --image "$B:image/myorg/app:1.4" "$T/unpacked"
expect_exit 0 umoci unpack --rootless --image "$S/images/app-oci:1.4" "$T/unpacked-src"
assert_eq "$(cat "$T/unpacked/rootfs/app/hello.txt")" \
    "Hello from myorg/app 1.4, carried across the air gap by airlock." "app/hello.txt in the image"
diff -r "$T/unpacked/rootfs" "$T/unpacked-src/rootfs" >"$OUT" 2>"$ERR" ||
    fail "the bundle's image unpacks differently from the source image"

# Determinism: the same spec again gives the same manifests (only airlock.json's dates
# differ), also when it is named by a relative path (its paths are relative to it).
cd "$T"
expect_exit 0 airlock bundle create -f sample/airlock.yaml -o bundle2 --quiet
expect_exit 0 airlock verify bundle2
expect_exit 0 airlock bundle inspect --json "$T/bundle2"
cp "$OUT" "$T/inspect2.json"
assert_eq "$(json "$T/inspect2.json" '.artifacts[] | select(.kind == "model") | .digest')" "$model_digest" \
    "model manifest digest of a second bundle of the same spec"
assert_eq "$(json "$T/inspect2.json" '[.artifacts[] | .kind + " " + .ref + " " + .digest] | join(",")')" \
    "$(json "$T/inspect.json" '[.artifacts[] | .kind + " " + .ref + " " + .digest] | join(",")')" \
    "every artifact digest of a second bundle of the same spec"
