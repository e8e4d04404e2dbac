#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock push` (docs/cmd/push.md) into a registry cluster: two docker-registry replicas
# that share one storage directory and http secret, as distribution documents for high
# availability, behind Debian's nginx as the load balancer (round robin, so one upload's
# requests land on both replicas). Both replicas ask for a password (htpasswd).
# - Every kind of the sample store (model, wheels, image, file) is pushed through nginx;
#   skopeo then reads each manifest from each replica directly, by digest and by tag, and
#   its sha256sum is the digest the store holds; every blob each manifest names, fetched
#   from the other replica, hashes to its name (sha256sum); skopeo copies the image out.
# - A second push uploads nothing (no POST, PUT or PATCH in nginx's log) and says so.
# - A shared blob is mounted, not sent again; --chunk-size sends a large blob in PATCH
#   chunks; --artifacts selects, and a pattern that selects nothing pushes nothing.
# - Must-fail twins: no credential and a wrong password (exit 2, naming the registry, the
#   user and the file); https:// by default (exit 2); an upload Location on another server
#   (nginx rewrites it) is refused before any byte goes there (exit 2); a blob that rotted in the store is
#   refused by the registry (DIGEST_INVALID, exit 2) and its manifest is not pushed; a
#   manifest that rotted is refused before it is sent.
# - A registry with token auth: the token asked for names pull,push on the repository.
# - The password is in no output and no log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
. "$(dirname "$0")/registry-lib.sh"
need docker-registry skopeo python3 jq curl sha256sum base64 openssl nginx

export HOME=$T/home   # no credentials of the machine's
unset REGISTRY_AUTH_FILE
mkdir -p "$HOME"
skopeo() { command skopeo --tmpdir "$TMPDIR" --insecure-policy "$@"; }

# --- the store: the sample bundle, and a second bundle with a 3 MiB file
sample_bundle "$T/b"
export AIRLOCK_STORE=$T/store
expect_exit 0 airlock init
expect_exit 0 airlock import --allow-unsigned "$T/b" --quiet
mkdir -p "$T/big/files"
head -c 3145728 /dev/urandom >"$T/big/files/big.bin"
printf 'name: big\nversion: 1\nexpires: 30d\nartifacts:\n  - kind: file\n    path: files/big.bin\n' >"$T/big/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/big/airlock.yaml" -o "$T/b-big" --quiet
expect_exit 0 airlock import --allow-unsigned "$T/b-big" --quiet

# --- the cluster
PW=s3cret-$RANDOM-pw
python3 -W ignore -c 'import crypt, sys; print("alice:" + crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
    "$PW" >"$T/htpasswd" 2>/dev/null || skip "python3 has no crypt module for a bcrypt htpasswd"
AUTH="auth: {htpasswd: {realm: airlock-test, path: $T/htpasswd}}"
SHARED_STORAGE=$T/shared registry_start r1 R1 "$AUTH"
SHARED_STORAGE=$T/shared registry_start r2 R2 "$AUTH"
NGINX_HTTP_EXTRA="upstream cluster { server $R1; server $R2; }
    log_format push '\$request_method \$uri?\$args \$status \$upstream_addr';"
NGINX_EXTRA="access_log $T/push.log push; client_max_body_size 0; proxy_request_buffering off;
    location /v2/ { proxy_pass http://cluster; proxy_set_header Host \$http_host; proxy_http_version 1.1;
                    proxy_set_header Connection ''; }
    location /v2/evil/ { proxy_pass http://cluster; proxy_set_header Host \$http_host;
                         proxy_redirect ~^http://[^/]+/(.*)\$ http://localhost:9/\$1; }"
nginx_start
LB=127.0.0.1:$NGINX_PORT
b64=$(printf 'alice:%s' "$PW" | base64 -w0)
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$LB" "$b64" >"$T/auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$LB" "$(printf 'alice:wrong' | base64 -w0)" >"$T/bad.json"
push() { airlock push --plain-http 127.0.0.1 "$@"; }

# --- must-fail: no credential, a wrong one, https:// by default
expect_exit 2 push --to "oci://$LB/site"
expect_stderr_contains "the registry $LB asks for a password (HTTP 401 from http://$LB/v2/site/models/"
expect_exit 2 push --to "oci://$LB/site" --registry-auth "$T/bad.json"
expect_stderr_contains "the password of user 'alice' from $T/bad.json was refused or lacks access"
expect_exit 2 airlock push --to "oci://$LB/site" --registry-auth "$T/auth.json"
expect_stderr_contains "cannot fetch https://$LB/v2/site/"
expect_exit 2 push --to "oci://$LB/site" --registry-auth "$T/auth.json" --artifacts 'nothing/*'
expect_stderr_contains "no artifact of the store matches 'nothing/*'"
expect_exit 64 push --to "oci://$LB/site" --chunk-size 12
assert_eq "$(grep -cE '^(POST|PUT|PATCH) ' "$T/push.log" || true)" 0 "uploads by the refused pushes"

# --- must-fail: an upload Location on another server is not followed
expect_exit 2 push --to "oci://$LB/evil" --registry-auth "$T/auth.json" --artifacts 'file/runbook*'
expect_stderr_contains "POST http://$LB/v2/evil/files/runbook.txt/blobs/uploads/ answered a Location on another server or too long (http://localhost:9/v2/evil/files/"
expect_stderr_contains "airlock sends a request on only to the server it began with"

# --- every kind through the load balancer
expect_exit 0 push --to "oci://$LB/site" --registry-auth "$T/auth.json" --json
cp "$OUT" "$T/push1.json"
kinds=$(jq -r '[.artifacts[].kind] | unique | join(",")' "$T/push1.json")
assert_eq "$kinds" "$(airlock store ls --json | jq -r '[.artifacts[].kind] | unique | join(",")')" "kinds pushed"
assert_eq "$(jq '.artifacts | length' "$T/push1.json")" "$(airlock store ls --json | jq '.artifacts | length')" "artifacts pushed"
[ "$(jq '.blobs.sent' "$T/push1.json")" -gt 0 ] || fail "the first push sent no blob"
[ "$(jq '.blobs.mounted' "$T/push1.json")" -gt 0 ] || fail "no blob was mounted (the file artifacts share their config)"
grep -qE '^POST /v2/site/[^ ]*\?mount=sha256:[0-9a-f]{64}&from=site/[^ ]* 201 ' "$T/push.log" || fail "no mount answered 201"
[ "$(cut -d' ' -f4 "$T/push.log" | sort -u | grep -c .)" -ge 2 ] || fail "nginx used one replica only"
creds=(--creds "alice:$PW" --tls-verify=false)
jq -r '.artifacts[] | [.reference, (.tag // ""), .digest, .kind, .name] | @tsv' "$T/push1.json" >"$T/map.tsv"
while IFS=$'\t' read -r ref tag digest kind name; do
    repo=${ref#"$LB/"}; repo=${repo%@*}
    assert_eq "$(airlock store ls --json | jq -r --arg k "$kind" --arg n "$name" \
        '[.artifacts[] | select(.kind == $k and .name == $n) | .digest] | first')" "$digest" "digest of $kind $name"
    for r in "$R1" "$R2"; do
        got=$(skopeo inspect --raw "${creds[@]}" "docker://$r/$repo@$digest" | sha256sum | cut -d' ' -f1)
        assert_eq "sha256:$got" "$digest" "$kind $name from $r by digest"
        if [ -n "$tag" ]; then
            got=$(skopeo inspect --raw "${creds[@]}" "docker://$r/$repo:${tag##*:}" | sha256sum | cut -d' ' -f1)
            assert_eq "sha256:$got" "$digest" "$kind $name from $r by tag"
        fi
    done
    # every blob it names, from the other replica, hashes to its name
    skopeo inspect --raw "${creds[@]}" "docker://$R1/$repo@$digest" >"$T/man.json"
    for d in $(jq -r '(.config.digest // empty), (.layers[]?.digest), (.manifests[]?.digest)' "$T/man.json"); do
        if jq -e --arg d "$d" '.manifests[]? | select(.digest == $d)' "$T/man.json" >/dev/null; then
            url=http://$R2/v2/$repo/manifests/$d
        else
            url=http://$R2/v2/$repo/blobs/$d
        fi
        got=$(curl -sfL -u "alice:$PW" -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$url" | sha256sum | cut -d' ' -f1)
        assert_eq "sha256:$got" "$d" "blob $d of $kind $name from $R2"
    done
done <"$T/map.tsv"
img=$(jq -r 'first(.artifacts[] | select(.kind == "image") | .reference)' "$T/push1.json")
expect_exit 0 skopeo copy --src-creds "alice:$PW" --src-tls-verify=false "docker://$R2/${img#"$LB/"}" "oci:$T/copy:x"

# --- a second push uploads nothing, and says so
mark=$(wc -l <"$T/push.log")
expect_exit 0 push --to "oci://$LB/site" --registry-auth "$T/auth.json"
expect_stdout_contains "nothing was uploaded: the registry held every blob and manifest already"
expect_stdout_contains "blobs: 0 sent (0 B)"
assert_eq "$(tail -n +"$((mark + 1))" "$T/push.log" | grep -cE '^(POST|PUT|PATCH) ' || true)" 0 "uploads by the second push"

# --- --artifacts, and --chunk-size: the 3 MiB file in 1 MiB PATCH chunks
mark=$(wc -l <"$T/push.log")
expect_exit 0 push --to "oci://$LB/chunked" --registry-auth "$T/auth.json" --chunk-size 1M --artifacts 'file/big*' --json
assert_eq "$(jq -r '[.artifacts[].name] | join(",")' "$OUT")" big.bin "--artifacts selects"
assert_eq "$(tail -n +"$((mark + 1))" "$T/push.log" | grep -c '^PATCH ' || true)" 3 "PATCH chunks of the 3 MiB blob"
bd=sha256:$(sha256 "$T/big/files/big.bin")
got=$(curl -sf -u "alice:$PW" "http://$R1/v2/chunked/files/big.bin/blobs/$bd" | sha256sum | cut -d' ' -f1)
assert_eq "sha256:$got" "$bd" "the chunked blob"

# --- must-fail: a blob and a manifest that rotted in the store
cp -a "$T/store" "$T/rot"
flip_byte "$T/rot/blobs/sha256/${bd#sha256:}"
expect_exit 2 push --store "$T/rot" --to "oci://$LB/rot" --registry-auth "$T/auth.json" --artifacts 'file/big*'
expect_stderr_contains "pushing the store's '$T/rot/blobs/sha256/${bd#sha256:}'"
expect_stderr_contains "DIGEST_INVALID"
big_man=$(jq -r '.artifacts[] | select(.name == "big.bin") | .digest' "$T/push1.json")
expect_exit 0 curl -s -o /dev/null -w '%{http_code}' -u "alice:$PW" -I "http://$R1/v2/rot/files/big.bin/manifests/latest"
assert_eq "$(cat "$OUT")" 404 "the manifest of a refused blob"
cp "$T/store/blobs/sha256/${bd#sha256:}" "$T/rot/blobs/sha256/${bd#sha256:}"
flip_byte "$T/rot/blobs/sha256/${big_man#sha256:}"
expect_exit 2 push --store "$T/rot" --to "oci://$LB/rot" --registry-auth "$T/auth.json" --artifacts 'file/big*'
expect_stderr_contains "the manifest '$T/rot/blobs/sha256/${big_man#sha256:}' of the store does not hash to its name: run 'airlock store fsck'"

# --- a registry with token auth
token_registry_start alice "$PW"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$Q" "$b64" >"$T/tauth.json"
expect_exit 0 push --to "oci://$Q/tok" --registry-auth "$T/tauth.json" --artifacts 'file/*'
grep -q '^user=alice scope=repository:tok/files/big.bin:pull,push' "$T/issuer.log" || fail "no pull,push token was asked for"
got=$(skopeo inspect --raw --creds "alice:$PW" --tls-verify=false "docker://$Q/tok/files/big.bin:latest" | sha256sum | cut -d' ' -f1)
assert_eq "sha256:$got" "$big_man" "the file behind token auth"

# --- no secret in any output or log
for secret in "$PW" "$b64"; do
    if grep -rlF -- "$secret" "$T/push.log" "$T/nginx" "$T/r1/log" "$T/r2/log" "$T/push1.json" "$OUT" "$ERR"; then
        fail "a secret is in the files above"
    fi
done
while read -r tok; do
    if grep -rlF -- "$tok" "$OUT" "$ERR" "$T/treg/log"; then fail "a token leaked"; fi
done <"$T/issuer.log.tokens"
