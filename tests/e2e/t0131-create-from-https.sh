#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `bundle create` with `from: https://…` files pinned by `sha256:` (docs/FORMAT.md §1 "Remote
# sources"), served by Debian's nginx on loopback.
# - A plain http:// loopback URL is allowed; the file's blob and info.sha256 are the
#   sha256sum of the original, its upstream is the URL, and the bundle verifies.
# - TLS with a self-signed CA made here by openssl: works with --ca-file; without it,
#   fails closed (exit 2, a TLS message that names --ca-file), nothing written.
# - Must-fail twins: a wrong sha256: is refused with the expected and the actual digest and
#   nothing at OUT; a 404 and a 401 name the URL (the 401 says no credential was sent);
#   503 is retried and then given up, naming the attempts; plain http:// to a host that is
#   not loopback is refused before any connection; a cache entry changed after it was
#   checked and before it went into the bundle (AIRLOCK_FAULT=create-before-copy stops the
#   process there) is refused (exit 1): the copy into the bundle is hashed again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
need openssl jq sha256sum

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T/key.pem" -out "$T/cert.pem" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1 || fail "openssl req failed"
mkdir -p "$T/www/files"
head -c 300000 /dev/urandom >"$T/www/files/tool.bin"
H=$(sha256 "$T/www/files/tool.bin")
nginx_start "$T/cert.pem" "$T/key.pem"

spec() {   # spec FILE URL SHA256 [NAME]
    { printf 'name: files\nversion: 1\nartifacts:\n  - kind: file\n    from: %s\n    sha256: %s\n' "$2" "$3"
      [ -z "${4:-}" ] || printf '    name: %s\n' "$4"; } >"$1"
}
create() { airlock bundle create -o "$@" --cache "$T/cache" --quiet; }
# (the cache is keyed by digest: a file it holds is not fetched at all, whatever the URL, so
# the failures below start from an empty cache)
create_nc() { airlock bundle create -o "$@" --cache "$T/cache-empty" --quiet; }

# --- plain http to loopback
spec "$T/http.yaml" "$NGINX_URL/files/tool.bin" "$H"
expect_exit 0 create "$T/b1" -f "$T/http.yaml"
expect_exit 0 airlock verify "$T/b1" --quiet
assert_eq "$(jq -r '.artifacts[0].name' "$T/b1/airlock.json")" tool.bin "default name"
assert_eq "$(jq -r '.artifacts[0].upstream' "$T/b1/airlock.json")" "$NGINX_URL/files/tool.bin" "upstream"
assert_eq "$(jq -r '.artifacts[0].info.sha256' "$T/b1/airlock.json")" "$H" "info.sha256"
cmp -s "$T/www/files/tool.bin" "$T/b1/blobs/sha256/$H" || fail "the bundled file differs from the original"
[ "$(stat -c %h "$T/b1/blobs/sha256/$H")" = 1 ] || fail "the bundle's blob is a link (to the cache entry?)"

# --- must-fail: a cache entry changed after it was checked and before it is copied (the
# process stopped there): the bundle's copy is hashed again, and refused
run_paused create-before-copy "flip_byte $(printf %q "$T/cache/blobs/sha256/$H")" \
    "$AIRLOCK" bundle create -f "$T/http.yaml" -o "$T/b-swap" --cache "$T/cache" --quiet
assert_eq "$RC" 1 "exit of a create whose cache entry changed"
expect_stderr_contains "digest mismatch for '$T/cache/blobs/sha256/$H': expected sha256:$H, got sha256:"
assert_no_leftovers "$T/b-swap"
expect_exit 0 create "$T/b-again" -f "$T/http.yaml"   # the damaged entry is dropped and fetched again
cmp -s "$T/www/files/tool.bin" "$T/b-again/blobs/sha256/$H" || fail "the refetched file differs"

# --- https with the CA given; without it, refused
spec "$T/tls.yaml" "$NGINX_TLS_URL/files/tool.bin" "$H" tool-tls.bin
expect_exit 2 airlock bundle create -f "$T/tls.yaml" -o "$T/b2" --cache "$T/cache-tls" --quiet
expect_stderr_contains "'$NGINX_TLS_URL/files/tool.bin': cannot fetch $NGINX_TLS_URL/files/tool.bin: "
expect_stderr_contains "(TLS is verified: give the CA that signed the server's certificate with --ca-file)"
assert_no_leftovers "$T/b2"
expect_exit 0 airlock bundle create -f "$T/tls.yaml" -o "$T/b2" --cache "$T/cache-tls" --ca-file "$T/cert.pem" --quiet
expect_exit 0 airlock verify "$T/b2" --quiet
cmp -s "$T/www/files/tool.bin" "$T/b2/blobs/sha256/$H" || fail "the file fetched over TLS differs"

# --- must-fail: a wrong sha256 (one digit changed)
W=$(printf '%s' "$H" | sed 's/^./0/'); [ "$W" != "$H" ] || W=$(printf '%s' "$H" | sed 's/^./1/')
spec "$T/wrong.yaml" "$NGINX_URL/files/tool.bin" "$W"
expect_exit 1 create "$T/b3" -f "$T/wrong.yaml"
expect_stderr_contains "digest mismatch for '$NGINX_URL/files/tool.bin' ($NGINX_URL/files/tool.bin): expected sha256 $W, got $H"
assert_no_leftovers "$T/b3"
assert_absent "$T/cache/blobs/sha256/$W"

# --- must-fail: 404, 401, 503 (retried, then given up), plain http to another host
spec "$T/404.yaml" "$NGINX_URL/files/nope.bin" "$H"
expect_exit 0 create "$T/b5" -f "$T/404.yaml"   # the digest is cached: no request at all
assert_eq "$(grep -c nope.bin "$NGINX_LOG" || true)" 0 "requests for a cached digest"
expect_exit 2 create_nc "$T/b4" -f "$T/404.yaml"
expect_stderr_contains "'$NGINX_URL/files/nope.bin': not found (HTTP 404 from $NGINX_URL/files/nope.bin)"
spec "$T/401.yaml" "$NGINX_URL/private/tool.bin" "$H"
expect_exit 2 create_nc "$T/b4" -f "$T/401.yaml"
expect_stderr_contains "'$NGINX_URL/private/tool.bin': HTTP 401 from $NGINX_URL/private/tool.bin: no credential was sent"
spec "$T/503.yaml" "$NGINX_URL/flaky/tool.bin" "$H"
expect_exit 2 create_nc "$T/b4" -f "$T/503.yaml"
expect_stderr_contains "'$NGINX_URL/flaky/tool.bin': cannot fetch $NGINX_URL/flaky/tool.bin: HTTP 503 (gave up after 6 attempts)"
assert_eq "$(grep -c '^GET /flaky/tool.bin 503' "$NGINX_LOG")" 6 "requests for the 503 file"
spec "$T/cred.yaml" "https://alice:s3cret-pw@127.0.0.1:$NGINX_TLS_PORT/files/tool.bin" "$H"
expect_exit 2 create_nc "$T/b4" -f "$T/cred.yaml"
expect_stderr_contains "'https://***@127.0.0.1:$NGINX_TLS_PORT/files/tool.bin': credentials in a URL are refused"
expect_stderr_not_contains "s3cret-pw"
spec "$T/far.yaml" "http://example.invalid/tool.bin" "$H"
expect_exit 2 create_nc "$T/b4" -f "$T/far.yaml"
expect_stderr_contains "plain http:// is refused for 'example.invalid', which is not a loopback host (use https://, or allow it with --plain-http example.invalid)"
assert_no_leftovers "$T/b4"
