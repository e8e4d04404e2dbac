#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `bundle create` with `from: docker://…` images (docs/FORMAT.md §1 "Remote sources"),
# pulled from Debian's docker-registry on loopback, into which skopeo pushed images made
# by make-oci-images.py.
# - One image by tag, by tag@digest and by digest alone, as OCI and as Docker v2
#   (skopeo --format v2s2): the bundle verifies, its manifest digest is what skopeo
#   reports for the registry's manifest (and sha256sum of its raw bytes), its upstream
#   names the reference and that digest, and skopeo reads the image from the bundle.
# - TLS: a registry is asked for over https:// unless --plain-http names it (loopback
#   too); TLS is verified: refused without --ca-file (exit 2), pulled with it.
# - An index of three platforms, cut to the spec's two: only their manifests' blobs are
#   in the bundle; the cut index names the registry's index; an index without
#   `platforms:` and a platform the index lacks are refused.
# - Must-fail twins: a wrong @sha256: pin (exit 1, expected and got, nothing at OUT); a
#   404 tag (exit 2, names the reference); a manifest and a layer changed in the
#   registry's storage (exit 1); a registry with htpasswd: without credentials exit 2
#   naming the registry, with a wrong password exit 2 naming the user and the file, with
#   --registry-auth and $REGISTRY_AUTH_FILE it works; an unsupported media type and a
#   Content-Type that contradicts the manifest's own mediaType are refused (nginx); the password is in no output, log,
#   cache or bundle file.
# - A registry with token auth (token-issuer.py, JWTs signed by openssl): without
#   credentials the token service's 401 is named; with them the token flow pulls the image
#   (the issuer saw the right user and scope); neither password nor token leaks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nginx-lib.sh"   # (free_port, and nginx as a registry that misbehaves)
. "$(dirname "$0")/registry-lib.sh"
need docker-registry skopeo python3 jq curl sha256sum base64 openssl

export HOME=$T/home   # no credentials of the machine's
unset REGISTRY_AUTH_FILE   # (docker-registry would read it as its own auth: setting)
mkdir -p "$HOME"
skopeo() { command skopeo --tmpdir "$TMPDIR" --insecure-policy "$@"; }

python3 "$SRCDIR/tests/e2e/make-oci-images.py" "$T/lay" || fail "make-oci-images.py failed"
registry_start reg R
expect_exit 0 skopeo copy --dest-tls-verify=false oci:"$T/lay":single "docker://$R/app:1.0"
expect_exit 0 skopeo copy --dest-tls-verify=false --format v2s2 oci:"$T/lay":single "docker://$R/app:v2"
expect_exit 0 skopeo copy --all --dest-tls-verify=false oci:"$T/lay":multi "docker://$R/app:multi"

spec() {   # spec FILE REF [NAME [PLATFORMS]]
    { printf 'name: img\nversion: 1\n'
      [ -z "${4:-}" ] || printf 'platforms: %s\n' "$4"
      printf 'artifacts:\n  - kind: image\n    from: %s\n' "$2"
      [ -z "${3:-}" ] || printf '    name: %s\n' "$3"; } >"$1"
}
# (a docker:// reference names no scheme: https://, unless --plain-http names the host)
airlock_pc() { airlock bundle create --plain-http 127.0.0.1 "$@"; }
create() { airlock_pc -o "$@" --cache "$T/cache" --quiet; }
raw_digest() { skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | cut -d' ' -f1; }

# --- one image: by tag, OCI and Docker v2
for tag in 1.0 v2; do
    D=$(skopeo inspect --tls-verify=false "docker://$R/app:$tag" | jq -r .Digest)
    assert_eq "sha256:$(raw_digest "$R/app:$tag")" "$D" "skopeo's digest of app:$tag"
    spec "$T/t-$tag.yaml" "docker://$R/app:$tag"
    expect_exit 0 create "$T/b-$tag" -f "$T/t-$tag.yaml"
    expect_exit 0 airlock verify "$T/b-$tag" --quiet
    assert_eq "$(jq -r '.artifacts[0].digest' "$T/b-$tag/airlock.json")" "$D" "bundled manifest digest of app:$tag"
    assert_eq "$(jq -r '.artifacts[0].name' "$T/b-$tag/airlock.json")" "app:$tag" "default name"
    assert_eq "$(jq -r '.artifacts[0].upstream' "$T/b-$tag/airlock.json")" "docker://$R/app:$tag@$D" "upstream"
    assert_eq "$(jq -r '.components[0].purl' "$T/b-$tag/sbom.cdx.json")" \
        "pkg:oci/app@sha256%3A${D#sha256:}?repository_url=$R/app&tag=$tag" "purl names the registry"
    # (skopeo's oci: transport reads OCI manifests only, so not the Docker v2 one)
    [ "$tag" = v2 ] && continue
    expect_exit 0 skopeo inspect "oci:$T/b-$tag:image/app:$tag"
    assert_eq "$(jq -r .Digest "$OUT")" "$D" "skopeo's digest of the bundled app:$tag"
done
assert_eq "$(jq -r '.artifacts[0].mediaType' "$T/b-v2/airlock.json")" \
    application/vnd.docker.distribution.manifest.v2+json "Docker v2 kept as it is"
D1=$(jq -r '.artifacts[0].digest' "$T/b-1.0/airlock.json")

# --- TLS: https:// unless --plain-http names the host (loopback too), verified against --ca-file
expect_exit 2 airlock bundle create -f "$T/t-1.0.yaml" -o "$T/b-x" --cache "$T/cache" --quiet
expect_stderr_contains "'docker://$R/app:1.0': cannot fetch https://$R/v2/app/manifests/1.0: "
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T/reg.key" -out "$T/reg.pem" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1 || fail "openssl req failed"
registry_start sreg S "" "tls: {certificate: $T/reg.pem, key: $T/reg.key}"
expect_exit 0 skopeo copy --dest-tls-verify=false oci:"$T/lay":single "docker://$S/app:1.0"
spec "$T/tls.yaml" "docker://$S/app:1.0"
expect_exit 2 airlock bundle create -f "$T/tls.yaml" -o "$T/b-x" --cache "$T/cache-s" --quiet
expect_stderr_contains "'docker://$S/app:1.0': cannot fetch https://$S/v2/app/manifests/1.0: "
expect_stderr_contains "(TLS is verified: give the CA that signed the server's certificate with --ca-file)"
assert_no_leftovers "$T/b-x"
expect_exit 0 airlock bundle create -f "$T/tls.yaml" -o "$T/b-tls" --cache "$T/cache-s" --quiet --ca-file "$T/reg.pem"
expect_exit 0 airlock verify "$T/b-tls" --quiet
assert_eq "$(jq -r '.artifacts[0].digest' "$T/b-tls/airlock.json")" "$D1" "the image over TLS"

# --- by tag@digest and by digest alone, with a name
spec "$T/pin.yaml" "docker://$R/app:1.0@$D1" myorg/app:1.4
expect_exit 0 create "$T/b-pin" -f "$T/pin.yaml"
assert_eq "$(jq -r '.artifacts[0] | .name + " " + .digest' "$T/b-pin/airlock.json")" "myorg/app:1.4 $D1" "pinned pull"
spec "$T/dig.yaml" "docker://$R/app@$D1"
expect_exit 0 create "$T/b-dig" -f "$T/dig.yaml"
assert_eq "$(jq -r '.artifacts[0] | .name + " " + .upstream' "$T/b-dig/airlock.json")" \
    "app:sha256-${D1:7:12} docker://$R/app@$D1" "pull by digest"
expect_exit 0 airlock verify "$T/b-dig" --quiet

# --- an index cut to two platforms of three
IX=$(skopeo inspect --raw --tls-verify=false "docker://$R/app:multi")
IXD=sha256:$(raw_digest "$R/app:multi")
spec "$T/multi.yaml" "docker://$R/app:multi" "" "[linux/amd64, linux/arm64]"
expect_exit 0 create "$T/b-multi" -f "$T/multi.yaml"
expect_exit 0 airlock verify "$T/b-multi" --quiet
top=$(jq -r '.artifacts[0].digest' "$T/b-multi/airlock.json")
cut=$T/b-multi/blobs/sha256/${top#sha256:}
assert_eq "$(jq -r '.annotations["io.airlock.source.index"]' "$cut")" "$IXD" "the cut index names the registry's"
assert_eq "$(jq -r '[.manifests[].platform.architecture] | join(",")' "$cut")" amd64,arm64 "platforms kept"
assert_eq "$(jq -r '.artifacts[0].upstream' "$T/b-multi/airlock.json")" "docker://$R/app:multi@$IXD" "index upstream"
for arch in amd64 arm64 s390x; do
    m=$(printf '%s' "$IX" | jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture == $a) | .digest')
    man=$T/lay/blobs/sha256/${m#sha256:}
    for b in "$m" $(jq -r '.config.digest, .layers[].digest' "$man"); do
        if [ "$arch" = s390x ]; then
            assert_absent "$T/b-multi/blobs/sha256/${b#sha256:}"
        else
            assert_exists "$T/b-multi/blobs/sha256/${b#sha256:}"
        fi
    done
done
expect_exit 0 skopeo inspect --raw "oci:$T/b-multi:image/app:multi"
expect_exit 0 skopeo copy --all "oci:$T/b-multi:image/app:multi" "oci:$T/copy:x"   # every blob is there

spec "$T/noplat.yaml" "docker://$R/app:multi"
expect_exit 2 create "$T/b-x" -f "$T/noplat.yaml"
expect_stderr_contains "'docker://$R/app:multi' is an index of 3 images: list the ones to carry in the spec's 'platforms'"
spec "$T/ppc.yaml" "docker://$R/app:multi" "" "[linux/ppc64le]"
expect_exit 2 create "$T/b-x" -f "$T/ppc.yaml"
expect_stderr_contains "'docker://$R/app:multi' ($IXD) holds no image for the platform 'linux/ppc64le'"
assert_no_leftovers "$T/b-x"

# --- must-fail: a wrong pin, a 404 tag
W=sha256:$(printf '%s' "${D1#sha256:}" | tr '0-9a-f' '1-9a-f0')
spec "$T/wrong.yaml" "docker://$R/app:1.0@$W"
expect_exit 1 create "$T/b-x" -f "$T/wrong.yaml"
expect_stderr_contains "digest mismatch for 'docker://$R/app:1.0@$W' (http://$R/v2/app/manifests/1.0): expected $W, got $D1"
assert_no_leftovers "$T/b-x"
spec "$T/404.yaml" "docker://$R/app:nope"
expect_exit 2 create "$T/b-x" -f "$T/404.yaml"
expect_stderr_contains "'docker://$R/app:nope': not found (HTTP 404 (MANIFEST_UNKNOWN: manifest unknown) from http://$R/v2/app/manifests/nope)"
assert_no_leftovers "$T/b-x"

# --- must-fail: what the registry stores changed under it (a manifest, then a layer)
store=$T/reg/storage/docker/registry/v2/blobs/sha256
sed -i 's/tar+gzip/tar+gziP/' "$store/${D1:7:2}/${D1#sha256:}/data"
expect_exit 1 airlock_pc -f "$T/t-1.0.yaml" -o "$T/b-x" --cache "$T/cache-x" --quiet
expect_stderr_contains "digest mismatch for 'docker://$R/app:1.0' (http://$R/v2/app/manifests/1.0): the registry's Docker-Content-Digest is $D1, the bytes received are sha256:"
assert_no_leftovers "$T/b-x"
L=$(jq -r '.layers[0].digest' "$T/lay/blobs/sha256/${D1#sha256:}")
printf 'X' | dd of="$store/${L:7:2}/${L#sha256:}/data" bs=1 seek=100 conv=notrunc status=none
expect_exit 1 airlock_pc -f "$T/t-v2.yaml" -o "$T/b-x" --cache "$T/cache-x" --quiet
expect_stderr_contains "digest mismatch for 'docker://$R/app@$L' (http://$R/v2/app/blobs/$L): expected sha256 ${L#sha256:}, got "
assert_no_leftovers "$T/b-x"

# --- must-fail: a manifest of a media type airlock does not carry, and one whose
# Content-Type and own mediaType disagree (nginx serving files as a registry would)
mkdir -p "$T/www/v2/odd/manifests"
printf '{"schemaVersion":2,"mediaType":"application/vnd.example.thing.v1+json"}' >"$T/www/v2/odd/manifests/1.0"
cp "$T/lay/blobs/sha256/${D1#sha256:}" "$T/www/v2/odd/manifests/2.0"
NGINX_EXTRA='location /v2/odd/manifests/ { default_type application/vnd.example.thing.v1+json; }' nginx_start
N=${NGINX_URL#http://}
spec "$T/odd.yaml" "docker://$N/odd:1.0"
expect_exit 2 create "$T/b-x" -f "$T/odd.yaml"
expect_stderr_contains "'docker://$N/odd:1.0': $NGINX_URL/v2/odd/manifests/1.0 has the unsupported media type 'application/vnd.example.thing.v1+json' (airlock carries OCI and Docker v2 images and indexes)"
spec "$T/odd.yaml" "docker://$N/odd:2.0"
expect_exit 2 create "$T/b-x" -f "$T/odd.yaml"
expect_stderr_contains "'docker://$N/odd:2.0': $NGINX_URL/v2/odd/manifests/2.0 came as 'application/vnd.example.thing.v1+json' but says it is 'application/vnd.oci.image.manifest.v1+json'"
assert_no_leftovers "$T/b-x"

# --- a registry with htpasswd (bcrypt, as docker-registry requires)
PW=s3cret-$RANDOM-pw
python3 -W ignore -c 'import crypt, sys; print("alice:" + crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
    "$PW" >"$T/htpasswd" 2>/dev/null || skip "python3 has no crypt module for a bcrypt htpasswd"
registry_start preg P "auth: {htpasswd: {realm: airlock-test, path: $T/htpasswd}}"
expect_exit 0 skopeo copy --dest-tls-verify=false --dest-creds "alice:$PW" oci:"$T/lay":single "docker://$P/priv/app:2.0"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$P" "$(printf 'alice:%s' "$PW" | base64 -w0)" >"$T/auth.json"
printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}\n' "$P" "$(printf 'alice:wrong' | base64 -w0)" >"$T/bad.json"
spec "$T/priv.yaml" "docker://$P/priv/app:2.0"
expect_exit 2 create "$T/b-x" -f "$T/priv.yaml"
expect_stderr_contains "'docker://$P/priv/app:2.0': the registry $P asks for a password (HTTP 401 from http://$P/v2/priv/app/manifests/2.0)"
expect_stderr_contains "(give --registry-auth FILE)"
expect_exit 2 create "$T/b-x" -f "$T/priv.yaml" --registry-auth "$T/bad.json"
expect_stderr_contains "HTTP 401 (UNAUTHORIZED: authentication required) from http://$P/v2/priv/app/manifests/2.0: the password of user 'alice' from $T/bad.json was refused or lacks access"
assert_no_leftovers "$T/b-x"
expect_exit 0 airlock_pc -f "$T/priv.yaml" -o "$T/b-priv" --cache "$T/cache-p" --registry-auth "$T/auth.json"
cp "$OUT" "$T/priv.out"; cp "$ERR" "$T/priv.err"
expect_exit 0 airlock verify "$T/b-priv" --quiet
assert_eq "$(jq -r '.artifacts[0].digest' "$T/b-priv/airlock.json")" "$D1" "the private image"
REGISTRY_AUTH_FILE=$T/auth.json expect_exit 0 airlock_pc -f "$T/priv.yaml" -o "$T/b-priv2" --cache "$T/cache-p2" --quiet
b64=$(printf 'alice:%s' "$PW" | base64 -w0)
for secret in "$PW" "$b64"; do
    if grep -rlF -- "$secret" "$T/b-priv" "$T/b-priv2" "$T/cache-p" "$T/cache-p2" "$T/priv.out" "$T/priv.err" \
        "$T/preg/log" "$OUT" "$ERR"; then
        fail "a secret is in the files above"
    fi
done

# --- a registry with token auth: the Bearer flow, the credential sent to the token service only
token_registry_start alice "$PW"
expect_exit 0 skopeo copy --dest-tls-verify=false --dest-creds "alice:$PW" oci:"$T/lay":single "docker://$Q/tok/app:3.0"
spec "$T/tok.yaml" "docker://$Q/tok/app:3.0"
: >"$T/issuer.log"
expect_exit 2 create "$T/b-x" -f "$T/tok.yaml"
expect_stderr_contains "'docker://$Q/tok/app:3.0': HTTP 401 (UNAUTHORIZED) from http://127.0.0.1:$TP/token?service=airlock-test-registry&scope=repository%3Atok%2Fapp%3Apull: no credential was sent (give --registry-auth FILE)"
assert_no_leftovers "$T/b-x"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$Q" "$(printf 'alice:%s' "$PW" | base64 -w0)" >"$T/tauth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$Q" "$(printf 'alice:wrong' | base64 -w0)" >"$T/tbad.json"
expect_exit 2 create "$T/b-x" -f "$T/tok.yaml" --registry-auth "$T/tbad.json"
expect_stderr_contains "HTTP 401 (UNAUTHORIZED) from http://127.0.0.1:$TP/token?service=airlock-test-registry&scope=repository%3Atok%2Fapp%3Apull: the password of user 'alice' from $T/tbad.json was refused or lacks access"
expect_exit 0 airlock_pc -f "$T/tok.yaml" -o "$T/b-tok" --cache "$T/cache-t" --registry-auth "$T/tauth.json"
cp "$OUT" "$T/tok.out"; cp "$ERR" "$T/tok.err"
expect_exit 0 airlock verify "$T/b-tok" --quiet
assert_eq "$(jq -r '.artifacts[0].digest' "$T/b-tok/airlock.json")" "$D1" "the image behind token auth"
assert_eq "$(grep -c '^user=alice scope=repository:tok/app:pull$' "$T/issuer.log")" 1 "tokens issued for the pull"
[ -s "$T/issuer.log.tokens" ] || fail "the issuer issued no token"
while read -r tok; do
    if grep -rlF -- "$tok" "$T/b-tok" "$T/cache-t" "$T/tok.out" "$T/tok.err" "$T/treg/log"; then
        fail "a token is in the files above"
    fi
done <"$T/issuer.log.tokens"
if grep -rlF -- "$PW" "$T/b-tok" "$T/cache-t" "$T/tok.out" "$T/tok.err" "$T/treg/log"; then
    fail "the password is in the files above"
fi
