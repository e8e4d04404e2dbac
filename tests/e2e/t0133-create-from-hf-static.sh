#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `from: hf://` against a Hub written as static files and served by Debian's nginx (the
# answers huggingface.co gives, docs/protocols/hf-hub-client.md §2), for what `airlock serve`
# never answers: files that are not in LFS, checked by their git blob id (the ids computed
# by `git hash-object`), beside an LFS file checked by SHA-256.
# - Good: the bundle verifies, records the commit, and carries the files' bytes.
# - Must-fail twins: a non-LFS file changed upstream (same size) is refused with the
#   expected and the actual git blob id (exit 1, nothing at OUT); a tree that lists a path
#   twice, a name both as a file and as a directory, or an unsafe path, and a revision
#   answered without a 40-hex commit, are refused (exit 2), naming the reference.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
need git jq sha256sum

C=0123456789abcdef0123456789abcdef01234567
W=$T/www
src=$T/src
mkdir -p "$src"
printf '{"model_type": "static"}\n' >"$src/config.json"
head -c 200000 /dev/urandom >"$src/w.bin"
GB=$(git hash-object "$src/config.json")
SZ=$(stat -c %s "$src/config.json")
HW=$(sha256 "$src/w.bin")

# hub REPO TREE-JSON: the revision answer, the tree at $C, and the files under resolve/
hub() {
    mkdir -p "$W/api/models/$1/revision" "$W/api/models/$1/tree" "$W/$1/resolve/$C"
    printf '{"id": "%s", "sha": "%s"}\n' "$1" "$C" >"$W/api/models/$1/revision/main"
    printf '%s\n' "$2" >"$W/api/models/$1/tree/$C"
    cp "$src/config.json" "$src/w.bin" "$W/$1/resolve/$C/"
}
GOOD='[{"type":"file","path":"config.json","size":'$SZ',"oid":"'$GB'"},
 {"type":"directory","path":"sub","oid":"'$C'","size":0},
 {"type":"file","path":"w.bin","size":200000,"oid":"'$C'","lfs":{"oid":"'$HW'","size":200000,"pointerSize":134}}]'
hub org/good "$GOOD"
hub org/changed "$GOOD"
hub org/dup '[{"type":"file","path":"config.json","size":'$SZ',"oid":"'$GB'"},{"type":"file","path":"config.json","size":'$SZ',"oid":"'$GB'"}]'
hub org/filedir '[{"type":"file","path":"config.json","size":'$SZ',"oid":"'$GB'"},{"type":"file","path":"config.json/x","size":'$SZ',"oid":"'$GB'"}]'
hub org/unsafe '[{"type":"file","path":"../config.json","size":'$SZ',"oid":"'$GB'"}]'
hub org/nocommit '[]'
printf '{"sha": "main"}\n' >"$W/api/models/org/nocommit/revision/main"
nginx_start

pull() {   # pull REPO OUT
    printf 'name: static\nversion: 1\nartifacts:\n  - kind: model\n    from: hf://%s@main\n' "$1" >"$T/spec.yaml"
    airlock bundle create -f "$T/spec.yaml" -o "$2" --cache "$T/cache-$(basename "$2")" --hf-endpoint "$NGINX_URL" --quiet
}

expect_exit 0 pull org/good "$T/good"
expect_exit 0 airlock verify "$T/good" --quiet
assert_eq "$(jq -r '.artifacts[0].info.revision' "$T/good/airlock.json")" "$C" "recorded commit"
cmp -s "$src/config.json" "$T/good/blobs/sha256/$(sha256 "$src/config.json")" || fail "config.json differs"
cmp -s "$src/w.bin" "$T/good/blobs/sha256/$HW" || fail "w.bin differs"
assert_exists "$T/cache-good/blobs/git-sha1/$GB"

# --- must-fail: a non-LFS file changed upstream, same size
flip_byte "$W/org/changed/resolve/$C/config.json" 3
GOT=$(git hash-object "$W/org/changed/resolve/$C/config.json")
expect_exit 1 pull org/changed "$T/changed"
expect_stderr_contains "digest mismatch for 'hf://org/changed@$C/config.json' ($NGINX_URL/org/changed/resolve/$C/config.json): expected git blob $GB, got $GOT"
assert_no_leftovers "$T/changed"

# --- must-fail: trees no Hub should give, and a revision without a commit
expect_exit 2 pull org/dup "$T/dup"
expect_stderr_contains "artifacts[0] (model 'hf://org/dup@main'): hf://org/dup@$C: the Hub lists 'config.json' twice"
expect_exit 2 pull org/filedir "$T/filedir"
expect_stderr_contains "hf://org/filedir@$C: the Hub lists 'config.json' both as a file and as a directory"
expect_exit 2 pull org/unsafe "$T/unsafe"
expect_stderr_contains "'hf://org/unsafe@$C': the tree lists an unsafe path '../config.json'"
expect_exit 2 pull org/nocommit "$T/nocommit"
expect_stderr_contains "'hf://org/nocommit@main': $NGINX_URL/api/models/org/nocommit/revision/main answered no 40-hex commit (\"sha\")"
for d in dup filedir unsafe nocommit; do assert_no_leftovers "$T/$d"; done
