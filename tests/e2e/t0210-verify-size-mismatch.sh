#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: a manifest's layer descriptor gets a wrong size while every digest (and SHA256SUMS) is made consistent, so only the size check can catch it. Its twin, the same rewrite without the size change, verifies.
. "$(dirname "$0")/lib.sh"
need sha256sum
# rewrite_model_manifest BUNDLE DELTA: re-serializes the model manifest with layer 0's
# size changed by DELTA, stores it under its new digest, points index.json,
# airlock.json and the SBOM at it, and regenerates SHA256SUMS. Prints the layer's blob path and the
# new manifest's blob path.
rewrite_model_manifest() {
    python3 - "$1" "$2" <<'PY'
import hashlib, json, os, sys
b, delta = sys.argv[1], int(sys.argv[2])
idx = json.load(open(f"{b}/index.json"))
meta = json.load(open(f"{b}/airlock.json"))
i = next(k for k, a in enumerate(meta["artifacts"]) if a["kind"] == "model")
old = idx["manifests"][i]["digest"]
man = json.load(open(f"{b}/blobs/sha256/{old[7:]}"))
layer = man["layers"][0]
layer["size"] += delta
raw = json.dumps(man, indent=1).encode()
new = "sha256:" + hashlib.sha256(raw).hexdigest()
open(f"{b}/blobs/sha256/{new[7:]}", "wb").write(raw)
os.remove(f"{b}/blobs/sha256/{old[7:]}")
for d in (idx["manifests"][i], meta["artifacts"][i]):
    d["digest"] = new
    d["size"] = len(raw)
# the SBOM names a model by its manifest too (hash and airlock:manifest)
sbom = json.load(open(f"{b}/sbom.cdx.json"))
for c in sbom["components"]:
    for h in c.get("hashes", []):
        if h["content"] == old[7:]:
            h["content"] = new[7:]
    for p in c.get("properties", []):
        if p["value"] == old:
            p["value"] = new
json.dump(sbom, open(f"{b}/sbom.cdx.json", "w"), indent=2)
json.dump(idx, open(f"{b}/index.json", "w"))
json.dump(meta, open(f"{b}/airlock.json", "w"), indent=2)
print("blobs/sha256/" + layer["digest"][7:], "blobs/sha256/" + new[7:], layer["size"] - delta)
PY
    regen_sums "$1"
}

sample_bundle "$T/good"
rewrite_model_manifest "$T/good" 0 >"$T/r"
read -r layer man size <"$T/r"
expect_exit 0 airlock verify "$T/good"

sample_bundle "$T/b"
rewrite_model_manifest "$T/b" 1 >"$T/r"
read -r layer man size <"$T/r"
expect_exit 1 airlock verify "$T/b"
expect_stderr_contains "size mismatch for '$layer': manifest '$man' says $((size + 1)) bytes, the file has $size"
expect_stderr_contains "FAILED verification: 1 problem"
