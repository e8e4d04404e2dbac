#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI referrers with push (distribution-spec 1.1, "Pushing Manifests with Subject"
# and "Listing Referrers"): the server answers the referrers API (200, an OCI index), so
# a manifest pushed with a `subject` must be answered with `OCI-Subject: <subject digest>`
# and be listed by GET /v2/<name>/referrers/<subject>: its mediaType, digest, size,
# artifactType (the manifest's own, else its config's mediaType) and annotations.
# ?artifactType= filters (OCI-Filters-Applied: artifactType). A subject that is not in
# the registry is accepted. Twins: the referrers of another digest stay empty; a filter
# on another type gives an empty index.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need sha256sum base64

serve_store
push_token
OCI_MT=application/vnd.oci.image.manifest.v1+json
INDEX_MT=application/vnd.oci.image.index.v1+json
EMPTY_MT=application/vnd.oci.empty.v1+json
serve_start --push-token-file "$T/token"

SRC=$S/images/app-oci
SUBJ=$(json "$SRC/index.json" '.manifests[0].digest')
SUBJ_SIZE=$(json "$SRC/index.json" '.manifests[0].size')
OTHER=sha256:1111111111111111111111111111111111111111111111111111111111111111

printf '{}' >"$T/empty"
EMPTY=$(digest_of "$T/empty")
req POST "/v2/myorg/app/blobs/uploads/?digest=$EMPTY" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/empty"
expect_code 201
printf 'sbom of app 1.4\n' >"$T/sbom"
SBOM=$(digest_of "$T/sbom")
req POST "/v2/myorg/app/blobs/uploads/?digest=$SBOM" "${AUTH[@]}" "${OCTET[@]}" --data-binary @"$T/sbom"
expect_code 201

# referrer FILE SUBJECT ARTIFACT_TYPE|- CONFIG_MT NOTE: a manifest whose subject is SUBJECT
referrer() {
    local at=
    [ "$3" = - ] || at="\"artifactType\":\"$3\","
    printf '{"schemaVersion":2,"mediaType":"%s",%s"config":{"mediaType":"%s","digest":"%s","size":2},"layers":[{"mediaType":"text/plain","digest":"%s","size":%s}],"subject":{"mediaType":"%s","digest":"%s","size":%s},"annotations":{"note":"%s"}}' \
        "$OCI_MT" "$at" "$4" "$EMPTY" "$SBOM" "$(stat -c %s "$T/sbom")" "$OCI_MT" "$2" "$SUBJ_SIZE" "$5" >"$1"
}

req GET "/v2/myorg/app/referrers/$SUBJ"
expect_code 200
assert_eq "$(jq -c .manifests "$BODY")" '[]' "referrers before any push"

# an artifact with its own artifactType, pushed by digest
referrer "$T/sig.json" "$SUBJ" application/vnd.example.signature "$EMPTY_MT" sig
SIG=$(digest_of "$T/sig.json")
req PUT "/v2/myorg/app/manifests/$SIG" "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/sig.json"
expect_code 201
expect_hdr OCI-Subject "$SUBJ"
# one without artifactType: its config's mediaType stands for it; pushed by tag
referrer "$T/sbom.json" "$SUBJ" - application/vnd.example.sbom.config sbom
SB=$(digest_of "$T/sbom.json")
req PUT /v2/myorg/app/manifests/sbom-1.4 "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/sbom.json"
expect_code 201
expect_hdr OCI-Subject "$SUBJ"
# a subject the registry does not have: accepted
referrer "$T/orphan.json" "$OTHER" application/vnd.example.signature "$EMPTY_MT" orphan
ORPHAN=$(digest_of "$T/orphan.json")
req PUT "/v2/myorg/app/manifests/$ORPHAN" "${AUTH[@]}" -H "Content-Type: $OCI_MT" --data-binary @"$T/orphan.json"
expect_code 201
expect_hdr OCI-Subject "$OTHER"

req GET "/v2/myorg/app/referrers/$SUBJ"
expect_code 200
expect_hdr Content-Type "$INDEX_MT"
jq -S '[.manifests[] | {mediaType, digest, size, artifactType, annotations}] | sort_by(.digest)' \
    "$BODY" >"$T/got"
jq -nS --arg mt "$OCI_MT" --arg sig "$SIG" --argjson sigsize "$(stat -c %s "$T/sig.json")" \
    --arg sb "$SB" --argjson sbsize "$(stat -c %s "$T/sbom.json")" '
    [{mediaType: $mt, digest: $sig, size: $sigsize,
      artifactType: "application/vnd.example.signature", annotations: {note: "sig"}},
     {mediaType: $mt, digest: $sb, size: $sbsize,
      artifactType: "application/vnd.example.sbom.config", annotations: {note: "sbom"}}]
    | sort_by(.digest)' >"$T/want"
cmp -s "$T/got" "$T/want" || { diff "$T/want" "$T/got" >&2 || true; fail_req "the referrers of $SUBJ"; }
jq -e '.schemaVersion == 2' "$BODY" >/dev/null || fail_req "referrers: schemaVersion is not 2"

req GET "/v2/myorg/app/referrers/$SUBJ?artifactType=application/vnd.example.signature"
expect_code 200
expect_hdr OCI-Filters-Applied artifactType
assert_eq "$(jq -c '[.manifests[].digest]' "$BODY")" "[\"$SIG\"]" "referrers filtered by artifactType"
req GET "/v2/myorg/app/referrers/$SUBJ?artifactType=application/vnd.example.none"
expect_code 200
assert_eq "$(jq -c .manifests "$BODY")" '[]' "referrers filtered by a type no referrer has"
req GET "/v2/myorg/app/referrers/$OTHER"
expect_code 200
assert_eq "$(jq -c '[.manifests[].digest]' "$BODY")" "[\"$ORPHAN\"]" "referrers of a subject the registry lacks"
req GET "/v2/myorg/app/referrers/$SIG"
expect_code 200
assert_eq "$(jq -c .manifests "$BODY")" '[]' "referrers of a referrer"
# the referrers are manifests of the repository like any other
req GET "/v2/myorg/app/manifests/$SIG"
expect_code 200
expect_body_file "$T/sig.json"
serve_alive
serve_stop
