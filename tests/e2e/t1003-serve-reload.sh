#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, reload: a running `airlock serve` picks up imports without a restart. Version 2
# of the bundle names the image myorg/app:1.5 and adds newrepo/tool:1; once it is imported
# the new tag and repository are served (polled for up to 5 s) while 1.4 from version 1
# stays. Version 3 names myorg/app:1.5 again with another image (a changed config): the
# later import is served. While the imports run, a client polling the new tag sees either
# 404 or the whole manifest, never anything else. Must-fail twin: a tampered bundle
# (version 4, new tag 9.0) is refused by import and 9.0 never appears.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need skopeo umoci python3 sha256sum

serve_store
serve_start
source_manifest

req GET /v2/myorg/app/tags/list
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["1.4"]' "tags before the second import"
req GET /v2/myorg/app/manifests/1.5
expect_oci_error 404 MANIFEST_UNKNOWN
req GET /v2/newrepo/tool/tags/list
expect_oci_error 404 NAME_UNKNOWN

# (wait_until 60 below: serve checks the catalog on every request, so the first try
# normally succeeds; the limit is a safety net)
has_tag() {   # has_tag REPO TAG
    curl -sS --max-time 5 "$URL/v2/$1/tags/list" 2>/dev/null | jq -e --arg t "$2" '.tags | index($t) != null' >/dev/null 2>&1
}
digest_is() {   # digest_is REPO TAG DIGEST
    req HEAD "/v2/$1/manifests/$2"
    [ "$CODE" = 200 ] && [ "$(hdr Docker-Content-Digest)" = "$3" ]
}

# watcher REF RESULT: GETs the manifest REF and appends one word per answer to RESULT
# (404, or the digest of a 200's body if the header agrees, else BAD), again and again
# until RESULT.stop exists; the last answer comes after that.
watcher() {
    local code body=$2.body stop=
    while [ -z "$stop" ]; do
        [ ! -e "$2.stop" ] || stop=1
        code=$(curl -sS --max-time 10 -o "$body" -w '%{http_code}' -D "$2.h" "$URL/v2/myorg/app/manifests/$1") || code=ERR
        case $code in
            404) echo 404 ;;
            200) d=$(digest_of "$body")
                 if tr -d '\r' <"$2.h" | grep -ix "docker-content-digest: $d" >/dev/null; then echo "$d"; else echo BAD; fi ;;
            *) echo "BAD:$code" ;;
        esac
    done >>"$2"
}

# ---------------------------------------------------------------- version 2: new tag and repo
sed -e 's/^version: 1$/version: 2/' -e 's|name: myorg/app:1.4$|name: myorg/app:1.5|' \
    "$S/airlock.yaml" >"$S/airlock-v2.yaml"
cat >>"$S/airlock-v2.yaml" <<'EOF'
  - kind: image
    path: images/app-oci:1.4
    name: newrepo/tool:1
EOF
grep -q '^version: 2$' "$S/airlock-v2.yaml" || fail "could not make a version 2 spec"
grep -q 'name: myorg/app:1.5$' "$S/airlock-v2.yaml" || fail "could not rename the image"
expect_exit 0 airlock bundle create -f "$S/airlock-v2.yaml" -o "$T/b2" --quiet

: >"$T/watch2"
watcher 1.5 "$T/watch2" &
BG_PIDS+=("$!")
WPID=$!
expect_exit 0 airlock import "$T/b2" --store "$STORE" --allow-unsigned -q
wait_until 60 has_tag myorg/app 1.5 || fail "tag 1.5 not served 60 s after the import"
touch "$T/watch2.stop"
wait "$WPID" || true
bad=$(grep -cv -e '^404$' -e "^$MDIG\$" "$T/watch2" || true)
[ "$bad" -eq 0 ] || { sort "$T/watch2" | uniq -c >&2; fail "the watcher saw $bad bad answers"; }
assert_eq "$(tail -n 1 "$T/watch2")" "$MDIG" "the watcher's last answer"

req GET /v2/myorg/app/tags/list
expect_code 200
assert_eq "$(jq -c .tags "$BODY")" '["1.4","1.5"]' "tags after the second import"
for t in 1.5 1.4; do
    req GET "/v2/myorg/app/manifests/$t"
    expect_code 200
    expect_body_file "$T/src-manifest.json"
    expect_hdr Docker-Content-Digest "$MDIG"
done
wait_until 60 has_tag newrepo/tool 1 || fail "newrepo/tool:1 not served after the import"
req GET /v2/_catalog
expect_code 200
assert_eq "$(jq -c .repositories "$BODY")" '["myorg/app","newrepo/tool"]' "_catalog after the import"
expect_exit 0 skopeo inspect --tls-verify=false "docker://$HOSTPORT/myorg/app:1.5"
assert_eq "$(json "$OUT" .Digest)" "$MDIG" "skopeo inspect myorg/app:1.5"
expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/newrepo/tool:1" "oci:$T/pulled2:1"
cmp -s <(skopeo inspect --raw "oci:$T/pulled2:1") "$T/src-manifest.json" ||
    fail "newrepo/tool:1 pulled after the import differs from the source"

# ---------------------------------------------------------------- version 3: 1.5 is another image
V3=$S/images/app-v3
cp -r "$SRC" "$V3"
expect_exit 0 umoci config --image "$V3:1.4" --tag 1.6 --config.label "org.example.rebuilt=v3"
expect_exit 0 skopeo inspect --raw "oci:$V3:1.6"
cp "$OUT" "$T/v3-manifest.json"
M3=$(digest_of "$T/v3-manifest.json")
[ "$M3" != "$MDIG" ] || fail "the rebuilt image has the old digest"
CFG3=$(json "$T/v3-manifest.json" .config.digest)
cat >"$S/airlock-v3.yaml" <<'EOF'
name: demo-stack
version: 3
expires: 120d
artifacts:
  - kind: image
    path: images/app-v3:1.6
    name: myorg/app:1.5
EOF
expect_exit 0 airlock bundle create -f "$S/airlock-v3.yaml" -o "$T/b3" --quiet
req GET "/v2/myorg/app/manifests/$M3"
expect_oci_error 404 MANIFEST_UNKNOWN

: >"$T/watch3"
watcher 1.5 "$T/watch3" &
BG_PIDS+=("$!")
WPID=$!
expect_exit 0 airlock import "$T/b3" --store "$STORE" --allow-unsigned -q
wait_until 60 digest_is myorg/app 1.5 "$M3" || fail_req "myorg/app:1.5 is not the version 3 image 60 s after its import"
touch "$T/watch3.stop"
wait "$WPID" || true
bad=$(grep -cv -e "^$MDIG\$" -e "^$M3\$" "$T/watch3" || true)
[ "$bad" -eq 0 ] || { sort "$T/watch3" | uniq -c >&2; fail "the watcher saw $bad bad answers"; }
assert_eq "$(tail -n 1 "$T/watch3")" "$M3" "the watcher's last answer"

req GET /v2/myorg/app/manifests/1.5
expect_code 200
expect_body_file "$T/v3-manifest.json"
req GET "/v2/myorg/app/blobs/$CFG3"
expect_code 200
expect_body_file "$V3/blobs/sha256/${CFG3#sha256:}"
req GET /v2/myorg/app/manifests/1.4
expect_code 200
expect_body_file "$T/src-manifest.json"
req GET /v2/myorg/app/tags/list
assert_eq "$(jq -c .tags "$BODY")" '["1.4","1.5"]' "tags after the third import"
expect_exit 0 skopeo copy --src-tls-verify=false "docker://$HOSTPORT/myorg/app:1.5" "oci:$T/pulled3:x"
cmp -s <(skopeo inspect --raw "oci:$T/pulled3:x") "$T/v3-manifest.json" ||
    fail "myorg/app:1.5 pulled after the third import is not the version 3 image"

# ---------------------------------------------------------------- twin: a refused import
sed -e 's/^version: 3$/version: 4/' -e 's|name: myorg/app:1.5$|name: myorg/app:9.0|' \
    "$S/airlock-v3.yaml" >"$S/airlock-v4.yaml"
expect_exit 0 airlock bundle create -f "$S/airlock-v4.yaml" -o "$T/b4" --quiet
cfg_in_bundle=$T/b4/blobs/sha256/${CFG3#sha256:}
assert_exists "$cfg_in_bundle"
chmod u+w "$cfg_in_bundle"
flip_byte "$cfg_in_bundle"
expect_exit 1 airlock import "$T/b4" --store "$STORE" --allow-unsigned -q
req GET /v2/myorg/app/manifests/9.0
expect_oci_error 404 MANIFEST_UNKNOWN
req GET /v2/myorg/app/tags/list
assert_eq "$(jq -c .tags "$BODY")" '["1.4","1.5"]' "tags after a refused import"
req GET /v2/myorg/app/manifests/1.5
expect_code 200
expect_body_file "$T/v3-manifest.json"
serve_alive
serve_stop
