#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI push against what crossed signed: a push with the token can add tags, but
# never replace a tag that came in an imported bundle (403 DENIED; the imported manifest
# is still what is served, byte for byte). Its twin: a tag that was only pushed can be
# pushed again (the newer push is served), and a later import of that same tag takes it
# over from the push.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"

serve_store
push_token
serve_start --push-token-file "$T/token"

MT=application/vnd.oci.image.manifest.v1+json
req GET /v2/myorg/app/manifests/1.4 -H "Accept: $MT"
expect_code 200
cp "$BODY" "$T/imported.json"
IMPORTED=$(digest_of "$T/imported.json")

# another valid manifest over the same blobs: the same layers, one annotation more
jq -c '.annotations["io.example.pushed"] = "yes"' "$T/imported.json" >"$T/other.json"
OTHER=$(digest_of "$T/other.json")
[ "$OTHER" != "$IMPORTED" ] || fail "the two manifests should differ"

# the imported tag cannot be replaced, by tag; nothing changes
req PUT /v2/myorg/app/manifests/1.4 "${AUTH[@]}" -H "Content-Type: $MT" --data-binary @"$T/other.json"
expect_oci_error 403 DENIED
# the store was filled with --allow-unsigned: the refusal says so, and does not call it verified
grep -q 'imported unsigned, with --allow-unsigned' "$BODY" || fail_req "the refusal should say why, truly"
if grep -q 'verified' "$BODY"; then fail_req "the refusal calls an unsigned bundle verified"; fi
req GET /v2/myorg/app/manifests/1.4 -H "Accept: $MT"
expect_code 200
expect_body_file "$T/imported.json"
expect_hdr Docker-Content-Digest "$IMPORTED"

# twin: a new tag is accepted and served; pushed again, the newer push wins
req PUT /v2/myorg/app/manifests/1.5 "${AUTH[@]}" -H "Content-Type: $MT" --data-binary @"$T/other.json"
expect_code 201
expect_hdr Docker-Content-Digest "$OTHER"
req PUT /v2/myorg/app/manifests/1.5 "${AUTH[@]}" -H "Content-Type: $MT" --data-binary @"$T/imported.json"
expect_code 201
req GET /v2/myorg/app/manifests/1.5 -H "Accept: $MT"
expect_code 200
expect_body_file "$T/imported.json"

# a pushed tag is taken over by a later import of the same name and tag
req PUT /v2/myorg/app/manifests/2.0 "${AUTH[@]}" -H "Content-Type: $MT" --data-binary @"$T/other.json"
expect_code 201
sed -e 's/^version: 1$/version: 2/' -e 's|name: myorg/app:1.4|name: myorg/app:2.0|' \
    "$S/airlock.yaml" >"$S/airlock-2.yaml"
grep -q 'myorg/app:2.0' "$S/airlock-2.yaml" || fail "the spec edit did not apply"
expect_exit 0 airlock bundle create -f "$S/airlock-2.yaml" -o "$T/bundle2" --quiet
expect_exit 0 airlock import "$T/bundle2" --store "$STORE" --allow-unsigned --quiet
req GET /v2/myorg/app/manifests/2.0 -H "Accept: $MT"
expect_code 200
expect_hdr Docker-Content-Digest "$IMPORTED"
# and from then on it is protected like any imported tag
req PUT /v2/myorg/app/manifests/2.0 "${AUTH[@]}" -H "Content-Type: $MT" --data-binary @"$T/other.json"
expect_oci_error 403 DENIED
grep -q 'imported unsigned' "$BODY" || fail_req "the refusal should say the bundle was unsigned"
serve_alive
serve_stop
