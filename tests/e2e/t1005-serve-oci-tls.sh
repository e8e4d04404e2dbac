#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI over TLS (no sendfile on this path): with --tls-cert/--tls-key (a self-signed
# certificate for 127.0.0.1 made here by openssl) skopeo pulls with certificate
# verification on (--src-cert-dir) and gets the source image byte for byte, including a
# ~300 KB random layer; skopeo pushes with the token (--dest-cert-dir) and pulls it back.
# curl --cacert gets whole blobs and ranges (206 bytes=A-B, -N, A-, 416) identical to the
# source. Twins: skopeo without the CA refuses the server; a wrong token is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need skopeo umoci python3 sha256sum openssl base64

serve_store_big

mkdir -p "$T/certs" "$T/nocerts"
expect_exit 0 openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/certs/ca.crt"
push_token
serve_start --tls-cert "$T/certs/ca.crt" --tls-key "$T/key.pem" --push-token-file "$T/token"
case $URL in https://*) ;; *) fail "the listening line of a TLS server says '$URL'" ;; esac
CA=(--cacert "$T/certs/ca.crt")

expect_exit 0 skopeo inspect --raw "oci:$BIG:big"
cp "$OUT" "$T/big-manifest.json"
BIGDIG=$(digest_of "$T/big-manifest.json")
LAYER=$(json "$T/big-manifest.json" '.layers | max_by(.size) | .digest')
LFILE=$BIG/blobs/sha256/${LAYER#sha256:}
n=$(stat -c %s "$LFILE")
[ "$n" -gt 200000 ] || fail "the random layer is only $n bytes"

# curl: manifest, whole blob, ranges
req GET /v2/myorg/big/manifests/1.0 "${CA[@]}"
expect_code 200
expect_body_file "$T/big-manifest.json"
expect_hdr Docker-Content-Digest "$BIGDIG"
req GET "/v2/myorg/big/blobs/$LAYER" "${CA[@]}"
expect_code 200
expect_body_file "$LFILE"
expect_hdr Content-Length "$n"
for r in "100-599 100 599" "-500 $((n - 500)) $((n - 1))" "1000- 1000 $((n - 1))" \
         "65530-131080 65530 131080" "0-0 0 0"; do
    read -r spec a z <<<"$r"
    req GET "/v2/myorg/big/blobs/$LAYER" "${CA[@]}" -H "Range: bytes=$spec"
    expect_code 206
    expect_hdr Content-Range "bytes $a-$z/$n"
    slice "$LFILE" "$a" "$z" >"$T/want"
    expect_body_file "$T/want"
done
req GET "/v2/myorg/big/blobs/$LAYER" "${CA[@]}" -H "Range: bytes=$n-"
expect_code 416
expect_hdr Content-Range "bytes */$n"

# skopeo with verification: pull, push, pull back
expect_exit 0 skopeo copy --src-cert-dir "$T/certs" "docker://$HOSTPORT/myorg/big:1.0" "oci:$T/pulled:x"
cmp -s <(skopeo inspect --raw "oci:$T/pulled:x") "$T/big-manifest.json" || fail "the manifest pulled over TLS differs"
for h in $(json "$T/big-manifest.json" '.config.digest, .layers[].digest'); do
    cmp -s "$T/pulled/blobs/sha256/${h#sha256:}" "$BIG/blobs/sha256/${h#sha256:}" ||
        fail "blob $h pulled over TLS differs"
done
expect_exit 1 skopeo copy --dest-cert-dir "$T/certs" --dest-creds "user:x$TOKEN" \
    "oci:$BIG:big" "docker://$HOSTPORT/pushed/big:1"
req GET /v2/pushed/big/tags/list "${CA[@]}"
expect_oci_error 404 NAME_UNKNOWN
expect_exit 0 skopeo copy --dest-cert-dir "$T/certs" --dest-creds "user:$TOKEN" \
    "oci:$BIG:big" "docker://$HOSTPORT/pushed/big:1"
expect_exit 0 skopeo copy --src-cert-dir "$T/certs" "docker://$HOSTPORT/pushed/big:1" "dir:$T/back"
cmp -s "$T/back/manifest.json" "$T/big-manifest.json" || fail "the image pushed over TLS came back changed"
cmp -s "$T/back/${LAYER#sha256:}" "$LFILE" || fail "the layer pushed over TLS came back changed"

# twin: without the CA, verification fails
expect_exit 1 skopeo inspect --cert-dir "$T/nocerts" "docker://$HOSTPORT/myorg/app:1.4"
expect_stderr_contains "certificate"
serve_alive
serve_stop
