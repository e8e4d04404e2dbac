#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A manifest of 64 KiB or more is parsed by the worker that hashed it, beside the other
# workers' hashing, from exactly the bytes that were hashed (docs/FORMAT.md §2
# "Verification"). Here a model of 600 files, whose manifest is about 150 KiB:
# - it verifies, as a directory and as a tar;
# - must-fail twins (SHA256SUMS made again, so only the structure can catch them): a layer
#   blob removed is a missing blob named by the manifest; the manifest replaced by bytes
#   that are not JSON (renamed to their digest, index.json and airlock.json pointing at
#   them) is reported as not valid JSON, not taken as "no manifest"; among so many files
#   (whose stat runs in parallel after the walk), a hard link and a symbolic link in place
#   of a blob are still reported.
. "$(dirname "$0")/lib.sh"
need jq python3 sha256sum

mkdir -p "$T/src/model"
python3 - "$T/src/model" <<'PY'
import os, sys
for i in range(600):
    open(os.path.join(sys.argv[1], f"shard-{i:04d}.bin"), "wb").write(os.urandom(64 + i))
PY
printf 'name: big-manifest\nversion: 1\nartifacts:\n  - kind: model\n    path: model\n    name: local/shards\n' >"$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b.tar" --tar --quiet
man=$(jq -r '.artifacts[0].digest' "$T/b/airlock.json")
size=$(stat -c %s "$T/b/blobs/sha256/${man#sha256:}")
[ "$size" -ge 65536 ] || fail "the manifest is $size bytes: too small for this test"
expect_exit 0 airlock verify "$T/b" --quiet
expect_exit 0 airlock verify "$T/b.tar" --quiet

# must fail: a layer removed
cp -a "$T/b" "$T/gone"
layer=$(jq -r '.layers[300].digest' "$T/b/blobs/sha256/${man#sha256:}")
rm "$T/gone/blobs/sha256/${layer#sha256:}"
regen_sums "$T/gone"
expect_exit 1 airlock verify "$T/gone"
expect_stderr_contains "missing blob 'blobs/sha256/${layer#sha256:}' (referenced by manifest 'blobs/sha256/${man#sha256:}')"

# must fail: the manifest's bytes are not JSON
cp -a "$T/b" "$T/bad"
# (it names schemaVersion, so the worker tries to parse it: a JSON object cut short)
{ printf '{"schemaVersion": 2, "layers": ['; head -c 69970 /dev/zero | tr '\0' ' '; } >"$T/notjson"
new=sha256:$(sha256 "$T/notjson")
rm "$T/bad/blobs/sha256/${man#sha256:}"
cp "$T/notjson" "$T/bad/blobs/sha256/${new#sha256:}"
n=$(stat -c %s "$T/notjson")
jq --arg d "$new" --argjson n "$n" '.manifests[0].digest = $d | .manifests[0].size = $n' "$T/bad/index.json" >"$T/j" && mv "$T/j" "$T/bad/index.json"
jq --arg d "$new" --argjson n "$n" '.artifacts[0].digest = $d | .artifacts[0].size = $n' "$T/bad/airlock.json" >"$T/j" && mv "$T/j" "$T/bad/airlock.json"
regen_sums "$T/bad"
expect_exit 1 airlock verify "$T/bad"
expect_stderr_contains "'blobs/sha256/${new#sha256:}' is not valid JSON"

# must fail: among 600 files, a blob that is a hard link, and one that is a symbolic link
cp -a "$T/b" "$T/links"
l1=$(jq -r '.layers[10].digest' "$T/b/blobs/sha256/${man#sha256:}")
l2=$(jq -r '.layers[20].digest' "$T/b/blobs/sha256/${man#sha256:}")
ln "$T/links/blobs/sha256/${l1#sha256:}" "$T/elsewhere"
mv "$T/links/blobs/sha256/${l2#sha256:}" "$T/target"
ln -s "$T/target" "$T/links/blobs/sha256/${l2#sha256:}"
expect_exit 1 airlock verify "$T/links"
expect_stderr_contains "'blobs/sha256/${l1#sha256:}' is a hard link (a bundle holds only regular files and directories)"
expect_stderr_contains "'blobs/sha256/${l2#sha256:}' is a symbolic link (a bundle holds only regular files and directories)"
