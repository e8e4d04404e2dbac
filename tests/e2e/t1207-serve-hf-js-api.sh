#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The rest of the Hub read API that real clients call, through the Hugging Face JS client
# (@huggingface/hub, pinned in tests/node) with hubUrl set to `airlock serve`:
# snapshotDownload into the standard cache layout (read back by the client's own
# scanCacheDir), downloadFileToCacheDir (which needs paths-info with expand's lastCommit to
# place the file under the commit), pathsInfo, fileExists (which asks /raw/), downloadFile
# with raw, listModels by owner and listCommits; huggingface_hub's form-encoded paths-info
# by curl; a model whose only file is three directories deep is listed whole (it used to
# list no file); an API that is not served is a JSON 501 that says so, never a 404 that
# claims a missing entry. Must-fail twin: a blob flipped in the store is caught by the
# comparison of what snapshotDownload wrote with the source model.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/hf-lib.sh"
need node jq curl python3 sha256sum
need_node_package @huggingface/hub

M=$T/src/tiny
mkdir -p "$M/sub/deeper" "$T/src/deep/a/b/c" "$T/src/other"
printf '{"model_type": "tiny"}\n' >"$M/config.json"
printf 'a tiny model\n' >"$M/README.md"
head -c 5000 /dev/urandom >"$M/sub/deeper/w.bin"
head -c 777 /dev/urandom >"$T/src/deep/a/b/c/w.bin"
printf '{}\n' >"$T/src/other/config.json"
cat >"$T/src/airlock.yaml" <<'EOF'
name: hf-api
version: 1
expires: 30d
artifacts:
  - kind: model
    path: tiny
    name: org/tiny
  - kind: model
    path: deep
    name: org/deep
  - kind: model
    path: other
    name: elsewhere/other
EOF
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/bundle" --quiet
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 0 airlock import "$T/bundle" --store "$STORE" --allow-unsigned -q
COMMIT=$(bundle_commit "$T/bundle" org/tiny)
serve_start

hfapi() { node "$NODE_DIR/hf-api.mjs" "$URL" org/tiny "$1" --path config.json --path sub/deeper/w.bin --missing nope.txt; }
expect_exit 0 hfapi "$T/cache"
cp "$OUT" "$T/api.json"
J=$T/api.json

# snapshotDownload: every file, byte for byte, under snapshots/<commit>
assert_eq "$(json "$J" .snapshot.folder)" "models--org--tiny/snapshots/$COMMIT" "the snapshot folder"
model_files "$M" >"$T/want"
json "$J" '.snapshot.files[].path' >"$T/got"
cmp -s "$T/want" "$T/got" || fail "snapshotDownload files: $(diff "$T/want" "$T/got")"
while read -r f; do
    assert_eq "$(json "$J" ".snapshot.files[] | select(.path == \"$f\") | .sha256")" "$(sha256 "$M/$f")" "snapshot '$f'"
done <"$T/want"
# scanCacheDir reads the cache back: one repo, the commit with its ref, the top-level files
# (the client's scan does not descend into a snapshot's folders)
assert_eq "$(json "$J" '[.scan.repos[].id] | join(",")')" org/tiny "scanCacheDir repos"
assert_eq "$(json "$J" '[.scan.repos[0].revisions[].commit] | join(",")')" "$COMMIT" "scanCacheDir revisions"
assert_eq "$(json "$J" '.scan.repos[0].revisions[0].refs | join(",")')" main "scanCacheDir refs"
assert_eq "$(json "$J" '[.scan.repos[0].revisions[0].files[] | split("/") | last] | join(",")')" "README.md,config.json" \
    "scanCacheDir files"
assert_eq "$(json "$J" '.scan.warnings | length')" 0 "scanCacheDir warnings"

# downloadFileToCacheDir: under the commit (paths-info with expand gave lastCommit)
assert_eq "$(json "$J" .cached.path)" "models--org--tiny/snapshots/$COMMIT/config.json" "downloadFileToCacheDir path"
assert_eq "$(json "$J" .cached.sha256)" "$(sha256 "$M/config.json")" "downloadFileToCacheDir bytes"

# pathsInfo: the two that exist, in order, with their sizes and SHA-256; not the missing one
assert_eq "$(json "$J" '[.pathsInfo[].path] | join(",")')" "config.json,sub/deeper/w.bin" "pathsInfo paths"
assert_eq "$(json "$J" '.pathsInfo[1].lfs.oid')" "$(sha256 "$M/sub/deeper/w.bin")" "pathsInfo lfs oid"
assert_eq "$(json "$J" '.pathsInfo[1].size')" 5000 "pathsInfo size"

# fileExists (HEAD /raw/): true, true, false; downloadFile raw: the bytes
assert_eq "$(json "$J" '[.exists["config.json"], .exists["sub/deeper/w.bin"], .exists["nope.txt"]] | map(tostring) | join(",")')" \
    "true,true,false" "fileExists"
assert_eq "$(json "$J" .raw.sha256)" "$(sha256 "$M/config.json")" "downloadFile raw"

# listModels by owner: org's two, not elsewhere/other; listCommits: the one commit
assert_eq "$(json "$J" '.models | sort | join(",")')" "org/deep,org/tiny" "listModels owner org"
assert_eq "$(json "$J" '[.commits[].oid] | join(",")')" "$COMMIT" "listCommits"

# the model list pages with Link: one a page, three pages, each model once, in order
next="$URL/api/models?limit=1"
: >"$T/paged"
for i in 1 2 3 4; do
    curl -sS -D "$T/lh" -o "$T/lp.json" "$next" || fail "curl $next failed"
    json "$T/lp.json" '.[].id' >>"$T/paged"
    next=$(tr -d '\r' <"$T/lh" | sed -n 's/^link: *<\([^>]*\)>; rel="next"$/\1/Ip')
    [ -n "$next" ] || break
done
assert_eq "$(tr '\n' ' ' <"$T/paged")" "elsewhere/other org/deep org/tiny " "the model list, one a page"
assert_eq "$i" 3 "pages of the model list"

# huggingface_hub's form-encoded paths-info, with expand
curl -sS -o "$T/pi.json" -w '%{http_code}' -X POST --data 'paths=config.json&paths=sub&paths=nope&expand=True' \
    "$URL/api/models/org/tiny/paths-info/main" >"$T/code" || fail "curl paths-info failed"
assert_eq "$(cat "$T/code")" 200 "form paths-info status"
assert_eq "$(json "$T/pi.json" '[.[] | .type + ":" + .path] | join(",")')" "file:config.json,directory:sub" "form paths-info"
assert_eq "$(json "$T/pi.json" '.[0].lastCommit.id')" "$COMMIT" "form paths-info lastCommit"
# a GET of paths-info is 405, an unknown revision 404 RevisionNotFound
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/models/org/tiny/paths-info/main")" 405 "GET paths-info"
assert_eq "$(curl -s -o /dev/null -w '%{http_code} %header{x-error-code}' -X POST --data 'paths=config.json' \
    "$URL/api/models/org/tiny/paths-info/nosuchrev")" "404 RevisionNotFound" "paths-info, unknown revision"

# a model whose only file is three directories deep: listed whole, recursively; one level otherwise
curl -sS "$URL/api/models/org/deep/tree/main?recursive=true" >"$T/deep.json" || fail "curl tree failed"
assert_eq "$(json "$T/deep.json" '[.[] | .type + ":" + .path] | join(",")')" \
    "directory:a,directory:a/b,directory:a/b/c,file:a/b/c/w.bin" "the deep model's recursive tree"
curl -sS "$URL/api/models/org/deep/tree/main" >"$T/deep1.json" || fail "curl tree failed"
assert_eq "$(json "$T/deep1.json" '[.[] | .type + ":" + .path] | join(",")')" "directory:a" "the deep model's top level"
curl -sS "$URL/api/models/org/deep/tree/main/a/b" >"$T/deep2.json" || fail "curl tree failed"
assert_eq "$(json "$T/deep2.json" '[.[] | .type + ":" + .path] | join(",")')" "directory:a/b/c" "the deep model's a/b"

# APIs that are not served: JSON, with an honest code
for p in /api/whoami-v2 /api/models/org/tiny/discussions /api/models/org/tiny/xet-read-token/main; do
    code=$(curl -s -o "$T/e.json" -w '%{http_code} %header{x-error-code} %header{content-type}' "$URL$p")
    assert_eq "$code" "501 NotImplemented application/json" "$p"
    json "$T/e.json" .error | grep "not served" >/dev/null || fail "$p: the error does not say it is not served: $(cat "$T/e.json")"
done
assert_eq "$(curl -s -o /dev/null -w '%{http_code} %header{x-error-code}' "$URL/api/datasets/org/tiny")" \
    "404 RepoNotFound" "a dataset"
assert_eq "$(curl -s -o /dev/null -w '%{http_code} %header{x-error-code}' "$URL/api/models/org/tiny/commits/nosuchrev")" \
    "404 RevisionNotFound" "commits of an unknown revision"

# the twin: one bit of a blob flipped in the store, and the snapshot no longer matches
flip_byte "$STORE/blobs/sha256/$(sha256 "$M/sub/deeper/w.bin")"
expect_exit 0 hfapi "$T/cache2"
assert_eq "$(json "$OUT" '.snapshot.files[] | select(.path == "sub/deeper/w.bin") | .size')" 5000 "twin: size"
[ "$(json "$OUT" '.snapshot.files[] | select(.path == "sub/deeper/w.bin") | .sha256')" != "$(sha256 "$M/sub/deeper/w.bin")" ] ||
    fail "twin: a flipped blob went unnoticed by the comparison"
serve_alive
serve_stop
