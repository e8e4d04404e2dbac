#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A model imported again under the same name while `airlock serve` runs: version 2 of
# demo-stack carries local/tiny-model with another config.json, and from the next request
# on (polled for up to 60 s) the endpoint serves it: a new commit (its manifest digest's
# first 40 hex) in model info, X-Repo-Commit and the tree; the new bytes with the new ETag;
# and the JS client downloads them. Must-fail twin: version 3, whose model blob was
# damaged after it was built, is refused by import, and version 2 stays served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/hf-lib.sh"
need curl jq python3 sha256sum
need_node_package @huggingface/hub

serve_store
serve_start
C1=$(bundle_commit "$B" local/tiny-model)

# version 2: the sample model with another config.json (and nothing else)
mkdir -p "$T/v2"
cp -a "$S/models/tiny-model" "$T/v2/tiny-model"
python3 - "$T/v2/tiny-model/config.json" <<'PY' || fail "cannot edit config.json"
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["max_position_embeddings"] = 256
json.dump(c, open(p, "w"), indent=2)
open(p, "a").write("\n")
PY
cmp -s "$S/models/tiny-model/config.json" "$T/v2/tiny-model/config.json" && fail "config.json did not change"
printf 'name: demo-stack\nversion: 2\nexpires: 30d\nartifacts:\n  - kind: model\n    path: tiny-model\n    name: local/tiny-model\n' \
    >"$T/v2/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/v2/airlock.yaml" -o "$T/b2" --quiet
C2=$(bundle_commit "$T/b2" local/tiny-model)
[ "$C1" != "$C2" ] || fail "version 2 has the same commit as version 1"
NEW=$T/v2-config.json
cp "$T/v2/tiny-model/config.json" "$NEW"

info_sha() { curl -sS "$URL/api/models/local/tiny-model" | jq -r .sha; }
assert_eq "$(info_sha)" "$C1" "the commit before the second import"
expect_exit 0 airlock import "$T/b2" --store "$STORE" --allow-unsigned -q
sha_is() { [ "$(info_sha)" = "$1" ]; }
wait_until 60 sha_is "$C2" || true   # serve checks the catalog on each request: at once
assert_eq "$(info_sha)" "$C2" "the commit after the second import"
assert_eq "$(curl -sS "$URL/api/models/local/tiny-model/revision/main" | jq -r .sha)" "$C2" "the commit of main"
assert_eq "$(curl -sS "$URL/api/models/local/tiny-model/revision/$C2" | jq -r .sha)" "$C2" "the new commit, asked by name"

# resolve: the new bytes, ETag and commit
curl -sS -D "$T/h" -o "$T/cfg" "$URL/local/tiny-model/resolve/main/config.json" || fail "curl resolve failed"
cmp -s "$NEW" "$T/cfg" || fail "resolve/main/config.json is not version 2's"
hdr() { tr -d '\r' <"$T/h" | sed -n "s/^$1: *//Ip" | tail -n 1; }
assert_eq "$(hdr X-Repo-Commit)" "$C2" "X-Repo-Commit after the second import"
assert_eq "$(hdr ETag)" "\"$(sha256 "$NEW")\"" "ETag of the new config.json"
curl -sS -o "$T/cfg2" "$URL/local/tiny-model/resolve/$C2/config.json" || fail "curl resolve by commit failed"
cmp -s "$NEW" "$T/cfg2" || fail "resolve/<new commit>/config.json is not version 2's"
# the tree names the new size; unchanged files are still there
curl -sS "$URL/api/models/local/tiny-model/tree/main?recursive=true" >"$T/tree" || fail "curl tree failed"
assert_eq "$(jq -r '.[] | select(.path == "config.json") | .size' "$T/tree")" "$(stat -c %s "$NEW")" "tree size of the new config.json"
curl -sS -o "$T/w" "$URL/local/tiny-model/resolve/main/model.safetensors" || fail "curl resolve failed"
cmp -s "$S/models/tiny-model/model.safetensors" "$T/w" || fail "the unchanged weights differ"

# the JS client sees version 2
expect_exit 0 node "$NODE_DIR/hf-download.mjs" "$URL" local/tiny-model "$T/dl"
assert_eq "$(json "$OUT" .sha)" "$C2" "modelInfo sha after the second import"
cmp -s "$NEW" "$T/dl/config.json" || fail "the JS client got another config.json"

# must fail: version 3, its model blob damaged, is refused and changes nothing
sed 's/^version: 2$/version: 3/' "$T/v2/airlock.yaml" >"$T/v2/airlock-v3.yaml"
python3 - "$T/v2/tiny-model/config.json" <<'PY' || fail "cannot edit config.json"
import sys
p = sys.argv[1]
open(p, "a").write(" \n")
PY
expect_exit 0 airlock bundle create -f "$T/v2/airlock-v3.yaml" -o "$T/b3" --quiet
flip_byte "$T/b3/blobs/sha256/$(sha256 "$T/v2/tiny-model/config.json")"
expect_exit 1 airlock import "$T/b3" --store "$STORE" --allow-unsigned
sleep 0.5   # no change is expected: give a wrong reload the time to show itself
assert_eq "$(info_sha)" "$C2" "the commit after a refused import"
curl -sS -o "$T/cfg3" "$URL/local/tiny-model/resolve/main/config.json" || fail "curl resolve failed"
cmp -s "$NEW" "$T/cfg3" || fail "a refused import changed what is served"

serve_alive
serve_stop
