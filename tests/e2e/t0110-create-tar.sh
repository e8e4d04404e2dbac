#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The tar form: one pax tar that verifies, starts with oci-layout, and skopeo reads as
# an oci-archive with the same image digest.
. "$(dirname "$0")/lib.sh"
need jq skopeo tar

make_sample "$S"
B=$T/bundle.tar
expect_exit 0 airlock bundle create -f "$S/airlock.yaml" -o "$B" --tar
expect_stdout_contains "wrote tar bundle '$B': demo-stack version 1, 7 artifacts"
[ -f "$B" ] || fail "'$B' is not a regular file"
expect_exit 0 airlock verify "$B"
expect_stdout_contains "bundle '$B' is intact: demo-stack version 1, 7 artifacts"

expect_exit 0 tar -tf "$B"
assert_eq "$(head -n 1 "$OUT")" oci-layout "first entry of the tar"
grep -qxF SHA256SUMS "$OUT" || fail "the tar has no SHA256SUMS"
grep -qxF "$(model_blob)" "$OUT" || fail "the tar lacks the model's weights blob"
# GNU tar reads every entry as a regular file or directory.
expect_exit 0 tar -tvf "$B"
awk '{print substr($1, 1, 1)}' "$OUT" | sort -u | tr -d '\n' >"$T/types"
assert_eq "$(cat "$T/types")" "-d" "entry types in the tar"

# Extracted with GNU tar, it is the same bundle: verify and sha256sum agree.
mkdir "$T/x"
expect_exit 0 tar -xf "$B" -C "$T/x"
( cd "$T/x" && sha256sum --check --strict --quiet SHA256SUMS ) >"$OUT" 2>"$ERR" ||
    fail "sha256sum --check failed on the extracted tar"
expect_exit 0 airlock verify "$T/x"

expect_exit 0 airlock bundle inspect --json "$B"
cp "$OUT" "$T/inspect.json"
assert_eq "$(json "$T/inspect.json" .name)" demo-stack "inspect of the tar: name"
expect_exit 0 skopeo inspect "oci-archive:$B:image/myorg/app:1.4"
assert_eq "$(json "$OUT" .Digest)" "$(json "$T/inspect.json" '.artifacts[] | select(.kind == "image") | .digest')" \
    "image digest from skopeo (oci-archive) vs airlock.json"
assert_eq "$(json "$OUT" .Digest)" "$(json "$S/images/app-oci/index.json" '.manifests[0].digest')" \
    "image digest from skopeo (oci-archive) vs the source layout"
