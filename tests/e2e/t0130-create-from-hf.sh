#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `bundle create` with `from: hf://ORG/NAME@REVISION` (docs/FORMAT.md §1 "Remote sources"),
# against `airlock serve` as the upstream Hub (docs/protocols/hf-hub.md), over a store that
# holds a model of a few files, one of them 3 MiB.
# - A pull by branch (`main`) records the commit the Hub resolves it to, in airlock.json's
#   info.revision and upstream and in the manifest's annotations; the bundle verifies, and
#   every model file's blob has the sha256sum of the original.
# - `include`/`exclude` select exactly the expected files; a model of 2100 files is listed
#   through several pages (Link rel="next") and its layers come in a directory walk's order.
# - The endpoint from HF_ENDPOINT; the cache under $XDG_CACHE_HOME without --cache, and none
#   at all for a spec without remote sources; a second run is served from the cache (the access log shows
#   no file download); a damaged cache entry is fetched again.
# - Must-fail twins: a file corrupted in the upstream store (one bit, same size) is refused
#   with the expected and the actual SHA-256 and the reference, and nothing is left at OUT;
#   an unknown revision and an unknown repository are 404s naming the reference.
# - The token: through nginx as a gate in front of the Hub (401 unless the request carries
#   `Authorization: Bearer TOKEN`), a pull with HF_TOKEN works, so the token is sent; without
#   one the 401 says no credential was sent, with a wrong one (--hf-token-file) that the
#   token from --hf-token-file was refused.
# - Secrets: HF_TOKEN, and a token from --hf-token-file, never appear in any output, error,
#   the bundle or the cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
. "$(dirname "$0")/hf-lib.sh"
need jq python3 sha256sum grep

M=$T/up/tiny
mkdir -p "$M/sub"
printf '{"model_type": "tiny"}\n' >"$M/config.json"
printf '{"version": "1.0", "vocab": ["a", "b"]}\n' >"$M/tokenizer.json"
head -c 3145728 /dev/urandom >"$M/model.safetensors"
printf 'extra notes\n' >"$M/sub/notes.txt"
printf '# tiny\n' >"$M/README.md"
cat >"$T/up/airlock.yaml" <<'YAML'
name: upstream
version: 1
artifacts:
  - kind: model
    path: tiny
    name: org/tiny
    revision: v1.0
YAML
# (a spec without remote sources fetches nothing and makes no cache)
XDG_CACHE_HOME=$T/xdg expect_exit 0 airlock bundle create -f "$T/up/airlock.yaml" -o "$T/up-bundle" --quiet
assert_absent "$T/xdg"
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 0 airlock import "$T/up-bundle" --store "$STORE" --allow-unsigned -q
hf_extra_models   # test/many-files: 2100 files, more than two pages of a tree listing
serve_start
# the commit the Hub gives a model without a 40-hex revision (docs/protocols/hf-hub.md §2)
COMMIT=$(jq -r '.manifests[0].digest' "$T/up-bundle/index.json" | cut -c8-47)
[[ $COMMIT =~ ^[0-9a-f]{40}$ ]] || fail "no commit from the upstream bundle"

TOKEN=hf_SeCrEtToKeN0123456789abcdefXYZ
spec() {   # spec FILE FROM [YAML LINES...]
    local f=$1 from=$2
    shift 2
    { printf 'name: pulled\nversion: 1\nartifacts:\n  - kind: model\n    from: %s\n' "$from"
      for l in "$@"; do printf '    %s\n' "$l"; done; } >"$f"
}
# files FILE: the model files the bundle carries, from its manifest's annotations, sorted
files() {
    local m
    m=$(jq -r '.artifacts[0].digest' "$1/airlock.json" | cut -c8-)
    jq -r '.layers[].annotations["org.cncf.model.filepath"]' "$1/blobs/sha256/$m" | LC_ALL=C sort
}

# --- a pull by branch, everything
spec "$T/all.yaml" "hf://org/tiny@main"
HF_TOKEN=$TOKEN expect_exit 0 airlock bundle create -f "$T/all.yaml" -o "$T/all" --cache "$T/cache" \
    --hf-endpoint "$URL/" --quiet
cp "$OUT" "$T/out.1"; cp "$ERR" "$T/err.1"
expect_exit 0 airlock verify "$T/all" --quiet
assert_eq "$(jq -r '.artifacts[0].info.revision' "$T/all/airlock.json")" "$COMMIT" "recorded revision"
assert_eq "$(jq -r '.artifacts[0].upstream' "$T/all/airlock.json")" "org/tiny@$COMMIT" "recorded upstream"
assert_eq "$(jq -r '.artifacts[0].name' "$T/all/airlock.json")" "org/tiny" "default name"
MAN=$T/all/blobs/sha256/$(jq -r '.artifacts[0].digest' "$T/all/airlock.json" | cut -c8-)
assert_eq "$(jq -r '.annotations["org.opencontainers.image.revision"]' "$MAN")" "$COMMIT" "manifest revision"
assert_eq "$(files "$T/all" | tr '\n' ' ')" "README.md config.json model.safetensors sub/notes.txt tokenizer.json " "files"
for f in README.md config.json model.safetensors sub/notes.txt tokenizer.json; do
    h=$(sha256 "$M/$f")
    assert_eq "$(jq -r --arg f "$f" '.layers[] | select(.annotations["org.cncf.model.filepath"] == $f) | .digest' "$MAN")" \
        "sha256:$h" "digest of $f"
    assert_exists "$T/all/blobs/sha256/$h"
done
# the same layers as the upstream bundle made from the directory
UMAN=$T/up-bundle/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/up-bundle/index.json" | cut -c8-)
assert_eq "$(jq -c '[.layers[] | {digest, mediaType}]' "$MAN")" "$(jq -c '[.layers[] | {digest, mediaType}]' "$UMAN")" \
    "layers against the local bundle"

# --- include / exclude
spec "$T/sel.yaml" "hf://org/tiny@main" 'name: org/tiny-sel' 'include: ["*.json", "*.safetensors", "sub/*"]' \
    'exclude: ["tokenizer*"]'
HF_ENDPOINT=$URL expect_exit 0 airlock bundle create -f "$T/sel.yaml" -o "$T/sel" --cache "$T/cache" --quiet
assert_eq "$(files "$T/sel" | tr '\n' ' ')" "config.json model.safetensors sub/notes.txt " "selected files"
# everything came from the cache: no file was downloaded again
N=$(grep -c '/org/tiny/resolve/' "$T/access.log")
assert_eq "$N" 5 "downloads in the access log after two pulls"
expect_exit 0 airlock verify "$T/sel" --quiet

# --- a listing of several pages (Link: rel="next", followed to the end) and a 40-hex revision
spec "$T/many.yaml" "hf://test/many-files@main" 'include: ["config.json", "sub/d03/*", "f20*"]'
HF_ENDPOINT=$URL expect_exit 0 airlock bundle create -f "$T/many.yaml" -o "$T/many" --cache "$T/cache" --quiet
assert_eq "$(jq -r '.artifacts[0].info.revision' "$T/many/airlock.json")" "$MANY_REV" "revision of test/many-files"
model_files "$MANY_DIR" | grep -E '^config\.json$|^sub/d03/|/f20[^/]*$' | python3 -c '
import sys
# the order of a directory walk: "/" sorts before any other byte
print("".join(sorted(sys.stdin, key=lambda p: p.replace("/", "\x01"))), end="")' >"$T/many-want"
files "$T/many" >"$T/many-got"
LC_ALL=C sort "$T/many-want" | cmp -s - "$T/many-got" ||
    fail "files of test/many-files: $(LC_ALL=C sort "$T/many-want" | diff - "$T/many-got" | head)"
[ "$(grep -c '^sub/d03/' "$T/many-got")" -gt 100 ] || fail "too few files selected from sub/d03/"
[ "$(grep -c '/api/models/test/many-files/tree/' "$T/access.log")" -ge 3 ] || fail "the tree was not read in pages"
expect_exit 0 airlock verify "$T/many" --quiet
assert_eq "$(jq -r '[.layers[].annotations["org.cncf.model.filepath"]] | join(" ")' \
    "$T/many/blobs/sha256/$(jq -r '.artifacts[0].digest' "$T/many/airlock.json" | cut -c8-)")" \
    "$(tr '\n' ' ' <"$T/many-want" | sed 's/ $//')" "layer order (a directory walk's)"

# --- a damaged cache entry is not used: it is fetched again
flip_byte "$T/cache/blobs/sha256/$(sha256 "$M/config.json")"
HF_ENDPOINT=$URL expect_exit 0 airlock bundle create -f "$T/sel.yaml" -o "$T/sel2" --cache "$T/cache" --quiet
assert_eq "$(grep -c '/org/tiny/resolve/' "$T/access.log")" 6 "downloads after the damaged cache entry"
assert_eq "$(sha256 "$T/cache/blobs/sha256/$(sha256 "$M/config.json")")" "$(sha256 "$M/config.json")" "repaired cache entry"

# --- must-fail: a file corrupted upstream (same size: the server cannot tell)
W=$(sha256 "$M/model.safetensors")
flip_byte "$STORE/blobs/sha256/$W"
GOT=$(sha256 "$STORE/blobs/sha256/$W")
printf '%s\n' "$TOKEN" >"$T/token"
expect_exit 1 airlock bundle create -f "$T/all.yaml" -o "$T/bad" --cache "$T/cache2" --hf-endpoint "$URL" \
    --hf-token-file "$T/token" --quiet
expect_stderr_contains "digest mismatch for 'hf://org/tiny@$COMMIT/model.safetensors' ($URL/org/tiny/resolve/$COMMIT/model.safetensors): expected sha256 $W, got $GOT"
assert_no_leftovers "$T/bad"
cp "$ERR" "$T/err.2"
assert_absent "$T/cache2/blobs/sha256/$W"
assert_absent "$T/cache2/tmp/sha256-$W.part"   # (bad bytes are not kept for a resume)

# --- must-fail: unknown revision, unknown repository
spec "$T/rev.yaml" "hf://org/tiny@no-such-branch"
HF_TOKEN=$TOKEN expect_exit 2 airlock bundle create -f "$T/rev.yaml" -o "$T/bad" --cache "$T/cache2" --hf-endpoint "$URL" --quiet
expect_stderr_contains "artifacts[0] (model 'hf://org/tiny@no-such-branch'): 'hf://org/tiny@no-such-branch': not found (HTTP 404 (RevisionNotFound) from $URL/api/models/org/tiny/revision/no-such-branch)"
cp "$ERR" "$T/err.3"
spec "$T/repo.yaml" "hf://org/nothing@main"
HF_TOKEN=$TOKEN expect_exit 2 airlock bundle create -f "$T/repo.yaml" -o "$T/bad" --cache "$T/cache2" --hf-endpoint "$URL" --quiet
expect_stderr_contains "'hf://org/nothing@main': not found (HTTP 404 (RepoNotFound)"
cp "$ERR" "$T/err.4"
assert_no_leftovers "$T/bad"

# --- the token is sent: nginx lets only requests with it through to the Hub
NGINX_EXTRA="location /gated/ { if (\$http_authorization != \"Bearer $TOKEN\") { return 401; } proxy_pass $URL/; }"
nginx_start
GATED=$NGINX_URL/gated
flip_byte "$STORE/blobs/sha256/$W"   # (restored)
HF_TOKEN=$TOKEN expect_exit 0 airlock bundle create -f "$T/sel.yaml" -o "$T/gated" --cache "$T/cache3" --hf-endpoint "$GATED" --quiet
cp "$OUT" "$T/out.5"; cp "$ERR" "$T/err.5"
assert_eq "$(files "$T/gated" | tr '\n' ' ')" "config.json model.safetensors sub/notes.txt " "files through the gate"
expect_exit 2 airlock bundle create -f "$T/sel.yaml" -o "$T/bad" --cache "$T/cache3" --hf-endpoint "$GATED" --quiet
expect_stderr_contains "'hf://org/tiny@main': HTTP 401 from $GATED/api/models/org/tiny/revision/main: no credential was sent (set HF_TOKEN or give --hf-token-file)"
printf 'hf_WrongToken42\n' >"$T/wrong-token"
HF_TOKEN=$TOKEN expect_exit 2 airlock bundle create -f "$T/sel.yaml" -o "$T/bad" --cache "$T/cache3" --hf-endpoint "$GATED" \
    --hf-token-file "$T/wrong-token" --quiet
expect_stderr_contains "'hf://org/tiny@main': HTTP 401 from $GATED/api/models/org/tiny/revision/main: the bearer token from --hf-token-file was refused or lacks access"
expect_stderr_not_contains hf_WrongToken42
cp "$ERR" "$T/err.6"
assert_no_leftovers "$T/bad"

# --- without --cache, the cache is under $XDG_CACHE_HOME
XDG_CACHE_HOME=$T/xdg HF_ENDPOINT=$URL expect_exit 0 airlock bundle create -f "$T/sel.yaml" -o "$T/xdg-out" --quiet
assert_exists "$T/xdg/airlock/blobs/sha256/$(sha256 "$M/config.json")"

# --- the token: nowhere in airlock's output, errors, bundles or cache
for f in "$T"/out.* "$T"/err.*; do
    ! grep -qF "$TOKEN" "$f" || fail "the token appears in $f"
done
! grep -rqF "$TOKEN" "$T/all" "$T/sel" "$T/gated" "$T/cache" "$T/cache2" "$T/cache3" || fail "the token appears in a bundle or the cache"
serve_stop
