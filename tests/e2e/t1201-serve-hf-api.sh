#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Hugging Face endpoint of `airlock serve`, checked with curl against what
# huggingface_hub, hf-hub (Rust) and @huggingface/hub need (docs/protocols/hf-hub.md §2-§6):
# model info by default branch, by `main`, by the commit and by the recorded revision
# (id, 40-hex sha, siblings[].rfilename); the recursive tree, whose Link rel="next" pages,
# followed to the end, give every file exactly once; HEAD and GET resolve with
# X-Repo-Commit, ETag = X-Linked-Etag = the quoted SHA-256, X-Linked-Size and
# Content-Length; Range bytes=0-0 answered 206 with Content-Range bytes 0-0/SIZE; and the
# 404s the clients tell apart by X-Error-Code: EntryNotFound (with X-Repo-Commit),
# RevisionNotFound, RepoNotFound.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/hf-lib.sh"
need curl jq python3 sha256sum cmp

serve_store
hf_extra_models
serve_start
TINY=$S/models/tiny-model
COMMIT=$(bundle_commit "$B" local/tiny-model)
ONE_COMMIT=$(bundle_commit "$T/hfx-bundle" tinyone)
model_files "$TINY" >"$T/tiny-files"
model_files "$MANY_DIR" >"$T/many-files"

# req METHOD PATH [CURL ARGS...]: one request; $T/h the headers, $T/b the body, $CODE the status.
req() {
    local m=$1 p=$2
    shift 2
    : >"$T/b"   # (curl writes no file for an empty body)
    local -a how=(-X "$m" -o "$T/b")
    [ "$m" = HEAD ] && how=(-I -o /dev/null) && : >"$T/b"   # (curl -I writes the headers as the body)
    CODE=$(curl -sS --path-as-is "${how[@]}" -D "$T/h" -w '%{http_code}' "$@" "$URL$p") ||
        fail "curl $m $p failed"
    LAST_REQ="$m $p"
}
# hdr NAME: the value of header NAME in the last response ('' when absent).
hdr() { tr -d '\r' <"$T/h" | sed -n "s/^$1: *//Ip" | tail -n 1; }
expect_code() { assert_eq "$CODE" "$1" "status of $LAST_REQ"; }
expect_hdr() { assert_eq "$(hdr "$1")" "$2" "header $1 of $LAST_REQ"; }
expect_json() {
    case $(hdr Content-Type) in application/json*) ;; *) fail "$LAST_REQ: Content-Type '$(hdr Content-Type)' is not JSON" ;; esac
    jq -e . "$T/b" >/dev/null || fail "$LAST_REQ: the body is not JSON: $(head -c 300 "$T/b")"
}
# expect_hf_error CODE X-ERROR-CODE: a JSON {"error": ...} with that X-Error-Code.
expect_hf_error() {
    expect_code "$1"
    expect_hdr X-Error-Code "$2"
    if [ -s "$T/b" ]; then
        expect_json
        [ "$(jq -r '.error | type' "$T/b")" = string ] || fail "$LAST_REQ: no .error string in $(head -c 300 "$T/b")"
    fi
}

# --- model info: id, sha, siblings; the same for every revision that names it
check_info() {   # PATH ID SHA FILELIST
    req GET "$1"
    expect_code 200
    expect_json
    assert_eq "$(json "$T/b" .id)" "$2" "id from $1"
    assert_eq "$(json "$T/b" .sha)" "$3" "sha from $1"
    [[ $(json "$T/b" .sha) =~ ^[0-9a-f]{40}$ ]] || fail "sha from $1 is not 40 hex digits"
    json "$T/b" '[.siblings[].rfilename] | sort | .[]' >"$T/siblings"
    cmp -s "$4" "$T/siblings" || fail "siblings from $1: $(diff "$4" "$T/siblings" | head -10)"
}
for p in "" /revision/main "/revision/$COMMIT"; do
    check_info "/api/models/local/tiny-model$p" local/tiny-model "$COMMIT" "$T/tiny-files"
done
for p in "" /revision/main "/revision/$MANY_REV"; do
    check_info "/api/models/test/many-files$p" test/many-files "$MANY_REV" "$T/many-files"
done
model_files "$ONE_DIR" >"$T/one-files"
for p in "" /revision/main /revision/release-1 "/revision/$ONE_COMMIT"; do
    check_info "/api/models/tinyone$p" tinyone "$ONE_COMMIT" "$T/one-files"
done
# ?blobs=true (huggingface_hub's files_metadata): the same, and each size or LFS sha256 it
# gives is the file's
check_info "/api/models/local/tiny-model?blobs=true" local/tiny-model "$COMMIT" "$T/tiny-files"
while read -r f; do
    for field in size lfs.size; do
        v=$(jq -r --arg p "$f" ".siblings[] | select(.rfilename == \$p) | .$field // empty" "$T/b")
        [ -z "$v" ] || assert_eq "$v" "$(stat -c %s "$TINY/$f")" "?blobs=true $field of $f"
    done
    v=$(jq -r --arg p "$f" '.siblings[] | select(.rfilename == $p) | .lfs.sha256 // empty' "$T/b")
    [ -z "$v" ] || assert_eq "$v" "$(sha256 "$TINY/$f")" "?blobs=true lfs.sha256 of $f"
done <"$T/tiny-files"
# @huggingface/hub's modelInfo() asks for revision HEAD when given none (see t1200)
check_info /api/models/local/tiny-model/revision/HEAD local/tiny-model "$COMMIT" "$T/tiny-files"

# --- tree: every file once, following Link rel="next" to the end
# list_tree PATH OUT: GETs PATH and every page it links, appends each page's items to OUT
# (one JSON object a line); $PAGES is the number of pages.
list_tree() {
    local url=$URL$1 link
    : >"$2"
    PAGES=0
    while [ -n "$url" ]; do
        PAGES=$((PAGES + 1))
        [ "$PAGES" -le 50 ] || fail "more than 50 pages for $1: the Link chain does not end"
        CODE=$(curl -sS -D "$T/h" -o "$T/b" -w '%{http_code}' "$url") || fail "curl $url failed"
        LAST_REQ="GET $url"
        expect_code 200
        expect_json
        [ "$(jq -r type "$T/b")" = array ] || fail "$url: the tree is not a JSON array"
        jq -c '.[]' "$T/b" >>"$2"
        link=$(hdr Link)
        url=
        if [ -n "$link" ]; then
            url=$(printf '%s' "$link" | sed -n 's/.*<\([^>]*\)>[^,]*rel="\{0,1\}next"\{0,1\}.*/\1/p')
            [ -n "$url" ] || fail "$url: a Link header without rel=next: $link"
            # the JS client and huggingface_hub only follow an absolute URL
            case $url in "$URL"/*) ;; *) fail "Link rel=next '$url' is not an absolute URL on $URL" ;; esac
        fi
    done
}
# tree_files ITEMS: the sorted paths of the file items.
tree_files() { jq -r 'select(.type == "file") | .path' "$1" | LC_ALL=C sort; }

list_tree "/api/models/test/many-files/tree/main?recursive=true" "$T/tree-many"
tree_files "$T/tree-many" >"$T/tree-many-files"
assert_eq "$(wc -l <"$T/tree-many-files")" $((MANY_N + 1)) "file entries in the recursive tree of test/many-files ($PAGES pages)"
assert_eq "$(LC_ALL=C sort -u "$T/tree-many-files" | wc -l)" $((MANY_N + 1)) "distinct file paths in the tree"
cmp -s "$T/many-files" "$T/tree-many-files" || fail "tree of test/many-files: $(diff "$T/many-files" "$T/tree-many-files" | head)"
note "test/many-files: $((MANY_N + 1)) files in $PAGES page(s)"
# every entry has what RepoFile needs: type, oid, size, path; a file's size is its size
jq -e -s 'all(.[]; (.type == "file" or .type == "directory") and (.path | type) == "string"
        and (.oid | type) == "string" and (.size | type) == "number")' "$T/tree-many" >/dev/null ||
    fail "a tree entry lacks type, oid, size or path: $(jq -c -s 'map(select(.oid == null or .size == null)) | .[0]' "$T/tree-many")"
assert_eq "$(jq -r -s 'map(select(.type == "file" and .path == "sub/d04/f0095.txt")) | .[0].size' "$T/tree-many")" \
    "$(stat -c %s "$MANY_DIR/sub/d04/f0095.txt")" "tree size of sub/d04/f0095.txt"
# by the commit, the same listing
list_tree "/api/models/test/many-files/tree/$MANY_REV?recursive=true" "$T/tree-many-c"
tree_files "$T/tree-many-c" | cmp -s - "$T/tree-many-files" || fail "the tree at the commit differs from the tree at main"

# tiny-model: sizes, and the LFS block (when given) names the SHA-256
list_tree "/api/models/local/tiny-model/tree/main?recursive=true" "$T/tree-tiny"
tree_files "$T/tree-tiny" | cmp -s - "$T/tiny-files" || fail "tree of local/tiny-model: $(tree_files "$T/tree-tiny" | diff "$T/tiny-files" - | head)"
while read -r f; do
    assert_eq "$(jq -r --arg p "$f" 'select(.path == $p) | .size' "$T/tree-tiny")" "$(stat -c %s "$TINY/$f")" "tree size of $f"
    lfs=$(jq -r --arg p "$f" 'select(.path == $p) | .lfs.oid // empty' "$T/tree-tiny")
    [ -z "$lfs" ] || assert_eq "$lfs" "$(sha256 "$TINY/$f")" "tree lfs.oid of $f"
done <"$T/tiny-files"

# not recursive: the top level only (config.json and the directory sub)
list_tree "/api/models/test/many-files/tree/main" "$T/tree-top"
assert_eq "$(jq -r '.type + ":" + .path' "$T/tree-top" | LC_ALL=C sort | paste -sd' ' -)" "directory:sub file:config.json" \
    "the top level of test/many-files"
# a folder: as the JS client asks (sub/d00) and as huggingface_hub asks (quote(path, safe="")
# makes it sub%2Fd00)
(cd "$MANY_DIR" && ls sub/d00/* | LC_ALL=C sort) >"$T/d00-files"
list_tree "/api/models/test/many-files/tree/main/sub/d00" "$T/tree-d00"
tree_files "$T/tree-d00" | cmp -s - "$T/d00-files" || fail "tree of sub/d00: $(tree_files "$T/tree-d00" | diff "$T/d00-files" - | head -5)"
list_tree "/api/models/test/many-files/tree/main/sub%2Fd00" "$T/tree-d00q"
tree_files "$T/tree-d00q" | cmp -s - "$T/d00-files" || fail "tree of sub%2Fd00 differs from sub/d00"

# --- resolve: HEAD and GET, the headers the clients need
check_head() {   # REPO REV FILE LOCALFILE COMMIT
    local size h
    size=$(stat -c %s "$4")
    h=$(sha256 "$4")
    req HEAD "/$1/resolve/$2/$3" -H 'Accept-Encoding: identity'
    expect_code 200
    expect_hdr X-Repo-Commit "$5"
    expect_hdr ETag "\"$h\""
    expect_hdr X-Linked-Etag "\"$h\""
    expect_hdr X-Linked-Size "$size"
    expect_hdr Content-Length "$size"
    expect_hdr Accept-Ranges bytes
    grep -qi '^x-xet' "$T/h" && fail "$LAST_REQ: X-Xet-* headers would switch the clients to Xet"
    [ -z "$(hdr Location)" ] || fail "$LAST_REQ: a redirect ($(hdr Location)) where 200 was expected"
    req GET "/$1/resolve/$2/$3"
    expect_code 200
    expect_hdr X-Repo-Commit "$5"
    cmp -s "$4" "$T/b" || fail "$LAST_REQ: the bytes differ from '$4'"
}
while read -r f; do
    check_head local/tiny-model main "$f" "$TINY/$f" "$COMMIT"
done <"$T/tiny-files"
check_head local/tiny-model "$COMMIT" config.json "$TINY/config.json" "$COMMIT"
check_head test/many-files main sub/d06/f2099.txt "$MANY_DIR/sub/d06/f2099.txt" "$MANY_REV"
check_head test/many-files "$MANY_REV" config.json "$MANY_DIR/config.json" "$MANY_REV"
check_head tinyone main weights.bin "$ONE_DIR/weights.bin" "$ONE_COMMIT"
check_head tinyone release-1 weights.bin "$ONE_DIR/weights.bin" "$ONE_COMMIT"
check_head tinyone "$ONE_COMMIT" README.md "$ONE_DIR/README.md" "$ONE_COMMIT"

# --- ranges: the probes hf-hub and @huggingface/hub send, the safetensors header read
W=$TINY/model.safetensors
WSIZE=$(stat -c %s "$W")
req GET /local/tiny-model/resolve/main/model.safetensors -H 'Range: bytes=0-0' \
    -H 'Accept: application/vnd.xet-fileinfo+json, */*'
expect_code 206
expect_hdr Content-Range "bytes 0-0/$WSIZE"
expect_hdr Content-Length 1
expect_hdr ETag "\"$(sha256 "$W")\""
expect_hdr X-Repo-Commit "$COMMIT"
cmp -s <(head -c 1 "$W") "$T/b" || fail "$LAST_REQ: not the first byte"
req GET /local/tiny-model/resolve/main/model.safetensors -H 'Range: bytes=0-7'
expect_code 206
expect_hdr Content-Range "bytes 0-7/$WSIZE"
cmp -s <(head -c 8 "$W") "$T/b" || fail "$LAST_REQ: not the first 8 bytes"
req GET /local/tiny-model/resolve/main/model.safetensors -H 'Range: bytes=-100'
expect_code 206
expect_hdr Content-Range "bytes $((WSIZE - 100))-$((WSIZE - 1))/$WSIZE"
cmp -s <(tail -c 100 "$W") "$T/b" || fail "$LAST_REQ: not the last 100 bytes"
req GET /local/tiny-model/resolve/main/model.safetensors -H "Range: bytes=$WSIZE-"
expect_code 416
expect_hdr Content-Range "bytes */$WSIZE"
req GET /local/tiny-model/resolve/main/model.safetensors -H "If-None-Match: \"$(sha256 "$W")\""
expect_code 304
[ ! -s "$T/b" ] || fail "$LAST_REQ: a 304 with a body"

# --- the 404s, told apart by X-Error-Code
for m in HEAD GET; do
    req "$m" /local/tiny-model/resolve/main/no-such-file.json
    expect_hf_error 404 EntryNotFound
    expect_hdr X-Repo-Commit "$COMMIT"
    req "$m" /test/many-files/resolve/main/sub/d00/nope.txt
    expect_hf_error 404 EntryNotFound
    expect_hdr X-Repo-Commit "$MANY_REV"
    req "$m" /local/tiny-model/resolve/no-such-branch/config.json
    expect_hf_error 404 RevisionNotFound
    req "$m" /local/no-such-model/resolve/main/config.json
    expect_hf_error 404 RepoNotFound
    req "$m" /no-such-model/resolve/main/config.json
    expect_hf_error 404 RepoNotFound
done
req GET /api/models/local/tiny-model/revision/no-such-branch
expect_hf_error 404 RevisionNotFound
# one hex digit off the commit is another revision, not this one
req GET "/api/models/local/tiny-model/revision/${COMMIT:0:39}$(printf '%x' $(((16#${COMMIT:39:1} + 1) % 16)))"
expect_hf_error 404 RevisionNotFound
req GET "/api/models/local/tiny-model/tree/no-such-branch?recursive=true"
expect_hf_error 404 RevisionNotFound
for p in /api/models/local/no-such-model /api/models/no-such-model /api/models/local/no-such-model/revision/main \
    "/api/models/local/no-such-model/tree/main?recursive=true" \
    /api/models/myorg/app /api/models/runbook.txt; do   # an image's and a file's names are not models
    req GET "$p"
    expect_hf_error 404 RepoNotFound
done
req GET /myorg/app/resolve/main/config.json
expect_hf_error 404 RepoNotFound

# --- a path that climbs out is refused, and the server stays up
req GET /local/tiny-model/resolve/main/../../../../etc/passwd
expect_code 400
req GET /local/tiny-model/resolve/main/sub/..%2F..%2Fconfig.json
[ "$CODE" = 400 ] || [ "$CODE" = 404 ] || fail "$LAST_REQ: status $CODE, expected 400 or 404"

serve_alive
serve_stop
