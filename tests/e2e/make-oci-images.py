#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make-oci-images.py DIR: an OCI image layout for the registry tests (t0134), stdlib only.

Three small images (linux/amd64, linux/arm64/v8, linux/s390x), each a config and one
gzip layer holding a text file named after its platform, and an index of the three.
Tags: "single" (the amd64 manifest) and "multi" (the index). Deterministic output.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

out = sys.argv[1]
os.makedirs(out + "/blobs/sha256", exist_ok=True)


def put(b):
    d = hashlib.sha256(b).hexdigest()
    with open(f"{out}/blobs/sha256/{d}", "wb") as f:
        f.write(b)
    return {"digest": "sha256:" + d, "size": len(b)}


def image(arch, variant=None):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = (f"hello from {arch}\n" * 2000).encode()
        ti = tarfile.TarInfo("etc/hello-" + arch)
        ti.size, ti.mtime = len(data), 0
        t.addfile(ti, io.BytesIO(data))
    rawb = raw.getvalue()
    layer = dict(put(gzip.compress(rawb, mtime=0)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
    plat = {"architecture": arch, "os": "linux"}
    if variant:
        plat["variant"] = variant
    cfg = dict(plat, rootfs={"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(rawb).hexdigest()]}, config={})
    c = dict(put(json.dumps(cfg, sort_keys=True).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": [layer]}
    return dict(put(json.dumps(m, sort_keys=True).encode()), mediaType=m["mediaType"], platform=plat)


ms = [image("amd64"), image("arm64", "v8"), image("s390x")]
ix = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": ms}
ixd = dict(put(json.dumps(ix, sort_keys=True).encode()), mediaType=ix["mediaType"])
single = {k: ms[0][k] for k in ("digest", "size", "mediaType")}
ref = "org.opencontainers.image.ref.name"
top = {"schemaVersion": 2, "manifests": [dict(single, annotations={ref: "single"}), dict(ixd, annotations={ref: "multi"})]}
with open(out + "/index.json", "w") as f:
    json.dump(top, f)
with open(out + "/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
