#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a manifest is followed by what it is, not by what its descriptor calls
# it. A manifest labelled application/octet-stream in index.json, or a manifest (known
# only by its schemaVersion 2) hidden as a layer of another, must not hide a missing
# blob. The twins: the same relabelling with nothing missing verifies, and so does a
# JSON file that is no manifest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need jq python3 tar
small_bundle "$T/b"
a_blob=blobs/sha256/$(sha256 "$T/small/a.txt")

# relabel DIR: index.json and airlock.json call artifact 0's manifest application/octet-stream
relabel() {
    jq '.manifests[0].mediaType = "application/octet-stream"' "$1/index.json" >"$T/j" && mv "$T/j" "$1/index.json"
    jq '.artifacts[0].mediaType = "application/octet-stream"' "$1/airlock.json" >"$T/j" && mv "$T/j" "$1/airlock.json"
}

# the twin: relabelled, with every blob present, it is still whole
cp -a "$T/b" "$T/twin"
relabel "$T/twin"
regen_sums "$T/twin"
expect_exit 0 airlock verify "$T/twin"

# relabelled, and the file's blob removed: the manifest's layer is missing
cp -a "$T/twin" "$T/bad"
rm "$T/bad/$a_blob"
regen_sums "$T/bad"
man=blobs/sha256/$(json "$T/bad/index.json" '.manifests[0].digest' | cut -d: -f2)
expect_exit 1 airlock verify "$T/bad"
expect_stderr_contains "missing blob '$a_blob' (referenced by manifest '$man')"
expect_stderr_contains "FAILED verification: 1 problem"
# the same as a tar
tar --format=pax -C "$T/bad" -cf "$T/bad.tar" .
expect_exit 1 airlock verify "$T/bad.tar"
expect_stderr_contains "missing blob '$a_blob' (referenced by manifest '$man')"

# hide DIR INNER_DIGEST INNER_SIZE: adds to artifact 0's manifest a layer labelled
# application/octet-stream that is itself a manifest (schemaVersion 2, no mediaType)
# with one layer, INNER_DIGEST of INNER_SIZE bytes; index.json, airlock.json and the
# SBOM follow.
hide() {
    python3 - "$@" <<'PY'
import hashlib, json, os, sys
d, inner_digest, inner_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs/sha256", h), "wb").write(data)
    return "sha256:" + h
index = json.load(open(os.path.join(d, "index.json")))
meta = json.load(open(os.path.join(d, "airlock.json")))
old = index["manifests"][0]["digest"]
man = json.load(open(os.path.join(d, "blobs/sha256", old[7:])))
inner = json.dumps({"schemaVersion": 2, "config": man["config"],
                    "layers": [{"mediaType": "application/octet-stream", "digest": inner_digest,
                                "size": inner_size}]}).encode()
man["layers"].append({"mediaType": "application/octet-stream", "digest": put(inner), "size": len(inner)})
data = json.dumps(man).encode()
new = put(data)
os.unlink(os.path.join(d, "blobs/sha256", old[7:]))
for o in (index["manifests"][0], meta["artifacts"][0]):
    o["digest"], o["size"] = new, len(data)
sbom = json.load(open(os.path.join(d, "sbom.cdx.json")))
for p in sbom["components"][0]["properties"]:
    if p["name"] == "airlock:manifest":
        p["value"] = new
json.dump(sbom, open(os.path.join(d, "sbom.cdx.json"), "w"))
json.dump(index, open(os.path.join(d, "index.json"), "w"))
json.dump(meta, open(os.path.join(d, "airlock.json"), "w"))
print(hashlib.sha256(inner).hexdigest())
PY
}
# the twin: the hidden manifest's layer is present
cp -a "$T/b" "$T/hid-ok"
hide "$T/hid-ok" "sha256:$(sha256 "$T/small/a.txt")" "$(stat -c %s "$T/small/a.txt")" >/dev/null
regen_sums "$T/hid-ok"
expect_exit 0 airlock verify "$T/hid-ok"
# ... and absent
cp -a "$T/b" "$T/hid"
missing=$(printf 'never shipped\n' | sha256sum | cut -d' ' -f1)
inner=$(hide "$T/hid" "sha256:$missing" 14)
regen_sums "$T/hid"
expect_exit 1 airlock verify "$T/hid"
expect_stderr_contains "missing blob 'blobs/sha256/$missing' (referenced by manifest 'blobs/sha256/$inner')"
expect_stderr_contains "FAILED verification: 1 problem"
