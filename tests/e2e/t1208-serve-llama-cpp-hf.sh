#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# llama.cpp's way of naming a model, `-hf user/model:QUANT`, through node-llama-cpp
# (pinned in tests/node, with llama.cpp's prebuilt linux-x64 binaries) against `airlock
# serve`: it asks GET /v2/USER/MODEL/manifests/TAG with User-Agent llama-cpp, gets the
# Hub's GGUF manifest (which file TAG names), downloads that file through resolve, loads
# it and completes a prompt. The model is a tiny GGUF made by the test (make-gguf.py).
# Also: the tag is a quantization matched case-insensitively, "latest" picks Q4_K_M, an
# mmproj file is never the model, a split model answers its first part; an OCI client on
# the same path still gets OCI answers (an image of that name is served as an image), and
# an unknown tag is 404. Must-fail twin: a flipped byte in the stored GGUF reaches the
# client (the test's hash comparison catches it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need node jq curl python3 sha256sum
need_node_package node-llama-cpp

G=$T/src/gguf
mkdir -p "$G" "$T/src/split"
python3 "$SRCDIR/tests/e2e/make-gguf.py" "$G/tiny.Q4_K_M.gguf" --seed 1 || fail "make-gguf failed"
python3 "$SRCDIR/tests/e2e/make-gguf.py" "$G/tiny.Q8_0.gguf" --seed 2 || fail "make-gguf failed"
python3 "$SRCDIR/tests/e2e/make-gguf.py" "$G/mmproj-tiny-f16.gguf" --seed 3 || fail "make-gguf failed"
printf '# a tiny GGUF model made by the test\n' >"$G/README.md"
head -c 1000 /dev/urandom >"$T/src/split/big-Q5_K_M-00002-of-00002.gguf"
head -c 1000 /dev/urandom >"$T/src/split/big-Q5_K_M-00001-of-00002.gguf"
cat >"$T/src/airlock.yaml" <<'EOF'
name: gguf
version: 1
expires: 30d
artifacts:
  - kind: model
    path: gguf
    name: org/tiny-GGUF
  - kind: model
    path: split
    name: org/big-GGUF
EOF
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/bundle" --quiet
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 0 airlock import "$T/bundle" --store "$STORE" --allow-unsigned -q
serve_start

# manifest TAG [MODEL]: the GGUF manifest as llama.cpp asks it
manifest() {
    curl -sS -A llama-cpp -H 'Accept: application/json' -o "$T/man.json" -w '%{http_code}' \
        "$URL/v2/${2:-org/tiny-GGUF}/manifests/$1" || fail "curl manifest $1 failed"
}
assert_eq "$(manifest Q8_0)" 200 "manifest Q8_0"
assert_eq "$(json "$T/man.json" .ggufFile.rfilename)" tiny.Q8_0.gguf "Q8_0 names"
assert_eq "$(json "$T/man.json" .ggufFile.lfs.sha256)" "$(sha256 "$G/tiny.Q8_0.gguf")" "Q8_0 sha256"
assert_eq "$(json "$T/man.json" .mmprojFile.rfilename)" mmproj-tiny-f16.gguf "the mmproj file"
assert_eq "$(manifest q4_k_m)" 200 "manifest q4_k_m"
assert_eq "$(json "$T/man.json" .ggufFile.rfilename)" tiny.Q4_K_M.gguf "q4_k_m (any case) names"
assert_eq "$(manifest latest)" 200 "manifest latest"
assert_eq "$(json "$T/man.json" .ggufFile.rfilename)" tiny.Q4_K_M.gguf "latest is Q4_K_M"
assert_eq "$(manifest Q5_K_M org/big-GGUF)" 200 "manifest of a split model"
assert_eq "$(json "$T/man.json" .ggufFile.rfilename)" big-Q5_K_M-00001-of-00002.gguf "a split model's first part"
assert_eq "$(manifest Q2_K)" 404 "an unknown quantization"
assert_eq "$(manifest F16)" 404 "only an mmproj file has F16: it is never the model"
# an OCI client asking the same path gets the registry's answer, not the Hub's
curl -s -o "$T/oci.json" "$URL/v2/org/tiny-GGUF/manifests/latest" || fail "curl failed"
assert_eq "$(json "$T/oci.json" '.errors[0].code')" NAME_INVALID \
    "the same path without llama.cpp's User-Agent is OCI (upper case is no OCI name)"

# node-llama-cpp: hf:org/tiny-GGUF:Q8_0 resolved, downloaded, loaded and completed
expect_exit 0 node "$NODE_DIR/llama-hf.mjs" "$URL" hf:org/tiny-GGUF:Q8_0 "$T/models"
cp "$OUT" "$T/run.json"
assert_eq "$(json "$T/run.json" .sha256)" "$(sha256 "$G/tiny.Q8_0.gguf")" "the GGUF node-llama-cpp downloaded"
[ "$(json "$T/run.json" .tokens)" -ge 1 ] || fail "the model completed nothing: $(cat "$T/run.json")"
# and the default tag (latest)
expect_exit 0 node "$NODE_DIR/llama-hf.mjs" "$URL" hf:org/tiny-GGUF "$T/models-latest" --no-load
assert_eq "$(json "$OUT" .sha256)" "$(sha256 "$G/tiny.Q4_K_M.gguf")" "hf:org/tiny-GGUF (latest)"
# an unknown quantization is the client's own error
expect_exit 1 node "$NODE_DIR/llama-hf.mjs" "$URL" hf:org/tiny-GGUF:Q2_K "$T/models-none" --no-load
expect_stderr_contains 'Cannot get quantization "Q2_K"'

# the twin: a flipped byte in the store reaches the client, and the comparison sees it
flip_byte "$STORE/blobs/sha256/$(sha256 "$G/tiny.Q4_K_M.gguf")" 100000
expect_exit 0 node "$NODE_DIR/llama-hf.mjs" "$URL" hf:org/tiny-GGUF:Q4_K_M "$T/models-twin" --no-load
[ "$(json "$OUT" .sha256)" != "$(sha256 "$G/tiny.Q4_K_M.gguf")" ] || fail "twin: a flipped byte went unnoticed"
serve_alive
serve_stop
