#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A tar is verified in one pass: verify opens it once, even when the model holds more
# JSON than the check keeps in memory (every JSON blob may be a manifest by its content,
# and telling which used to mean reading the tar again for each one past the 16 MiB kept).
# The must-fail side: a manifest hidden among those JSON blobs is still followed.
. "$(dirname "$0")/lib.sh"
need strace python3 jq
mkdir -p "$T/m"
python3 - "$T/m" <<'PY'
import os, sys
for i in range(300):
    with open(os.path.join(sys.argv[1], "shard-%03d.json" % i), "w") as f:
        f.write('{"i": %d, "pad": "%s"}\n' % (i, "x" * 60000))
PY
printf 'name: onepass\nversion: 1\nartifacts:\n  - kind: model\n    path: m\n    name: local/onepass\n' >"$T/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/airlock.yaml" -o "$T/b.tar" --tar --quiet
# (LeakSanitizer cannot run under ptrace: in a sanitizer build, leaks are checked elsewhere)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    expect_exit 0 strace -f -o "$T/trace" -e trace=open,openat "$AIRLOCK" verify "$T/b.tar" --quiet
expect_stdout_contains "is intact"
assert_eq "$(grep -c "\"$T/b.tar\"" "$T/trace")" 1 "times verify opened the tar"

# the twin: a JSON blob that is a manifest by its content (schemaVersion 2) naming a blob
# the bundle lacks, among the shards, fails, tar and all
mkdir "$T/x" && tar -C "$T/x" -xf "$T/b.tar"
missing=$(printf 'never shipped\n' | sha256sum | cut -d' ' -f1)
shard=$(sha256 "$T/m/shard-150.json")
printf '{"schemaVersion":2,"layers":[{"mediaType":"application/octet-stream","digest":"sha256:%s","size":14}]}' "$missing" \
    >"$T/x/blobs/sha256/$shard"
new=$(sha256 "$T/x/blobs/sha256/$shard")
mv "$T/x/blobs/sha256/$shard" "$T/x/blobs/sha256/$new"
man=$(jq -r '.manifests[0].digest' "$T/x/index.json" | cut -d: -f2)
sed "s/$shard/$new/g" "$T/x/blobs/sha256/$man" >"$T/man"
size=$(stat -c %s "$T/x/blobs/sha256/$new")
python3 - "$T/man" "$new" "$size" <<'PY'
import json, sys
path, digest, size = sys.argv[1], "sha256:" + sys.argv[2], int(sys.argv[3])
m = json.load(open(path))
for l in m["layers"]:
    if l["digest"] == digest:
        l["size"] = size
open(path, "w").write(json.dumps(m, separators=(",", ":")))
PY
newman=$(sha256 "$T/man")
rm "$T/x/blobs/sha256/$man" && mv "$T/man" "$T/x/blobs/sha256/$newman"
manifest_size=$(stat -c %s "$T/x/blobs/sha256/$newman")
for f in index.json airlock.json sbom.cdx.json; do
    sed -i "s/$man/$newman/g" "$T/x/$f"
done
jq ".manifests[0].size = $manifest_size" "$T/x/index.json" >"$T/j" && mv "$T/j" "$T/x/index.json"
jq ".artifacts[0].size = $manifest_size" "$T/x/airlock.json" >"$T/j" && mv "$T/j" "$T/x/airlock.json"
regen_sums "$T/x"
tar --format=pax -C "$T/x" -cf "$T/bad.tar" .
expect_exit 1 airlock verify "$T/bad.tar"
expect_stderr_contains "missing blob 'blobs/sha256/$missing' (referenced by manifest 'blobs/sha256/$new')"
expect_stderr_contains "FAILED verification: 1 problem"
