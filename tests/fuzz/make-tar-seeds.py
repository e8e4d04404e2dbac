#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make-tar-seeds.py: writes the seeds of corpus/tar/ from one real tar bundle.

Usage: make-tar-seeds.py BUNDLE.tar OUTDIR

BUNDLE.tar is made with the real tool (README.md shows how). Each seed is that
bundle damaged or restructured in one way; where the damage is meant to reach
the structural checks (index.json, manifests, airlock.json), digests and
SHA256SUMS are recomputed so that the earlier checks pass. Seeds stay small
(the members, without the padding after the end marker).
"""
import hashlib
import io
import json
import os
import sys
import tarfile

EXEMPT = ("SHA256SUMS", "custody.log")


def sha(b):
    return hashlib.sha256(b).hexdigest()


def read_bundle(path):
    files = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.isfile():
                files[m.name] = t.extractfile(m).read()
    return files


def sums(files):
    lines = [
        "%s  %s\n" % (sha(data), name)
        for name, data in sorted(files.items())
        if name not in EXEMPT and not name.startswith("signatures/")
    ]
    return "".join(lines).encode()


def resum(files):
    files = {k: v for k, v in files.items() if k != "SHA256SUMS"}
    files["SHA256SUMS"] = sums(files)
    return files


def write(out, name, files, fmt=tarfile.PAX_FORMAT, extra=(), prefix=""):
    """files: name -> bytes; extra: TarInfo entries (no data) appended at the end."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        dirs = set()
        for n in sorted(files):
            parts = n.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(prefix + d + "/")
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    t.addfile(ti)
            ti = tarfile.TarInfo(prefix + n)
            ti.size = len(files[n])
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(files[n]))
        for ti in extra:
            t.addfile(ti)
    save(out, name, buf.getvalue())


def save(out, name, data):
    """Writes a tar without the padding after its end marker (readers need none)."""
    end = len(data)
    while end >= 512 and not any(data[end - 512:end]):
        end -= 512
    with open(os.path.join(out, name), "wb") as f:
        f.write(data[:end + 1024] if end < len(data) else data)


def blob(files, obj):
    """Adds a JSON blob; returns its descriptor fields (digest, size)."""
    b = json.dumps(obj, separators=(",", ":")).encode()
    files["blobs/sha256/" + sha(b)] = b
    return "sha256:" + sha(b), len(b)


def retarget(files, mt, digest, size):
    """Points index.json's entry 0 and airlock.json's artifact 0 at a new top object."""
    idx = json.loads(files["index.json"])
    meta = json.loads(files["airlock.json"])
    for d in (idx["manifests"][0], meta["artifacts"][0]):
        d["mediaType"], d["digest"], d["size"] = mt, digest, size
    files["index.json"] = (json.dumps(idx, indent=2) + "\n").encode()
    files["airlock.json"] = (json.dumps(meta, indent=2) + "\n").encode()


def special(name, typ, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    base = read_bundle(src)
    with open(src, "rb") as f:
        valid = f.read()
    with open(os.path.join(out, "valid.tar"), "wb") as f:
        f.write(valid)
    with open(os.path.join(out, "truncated.tar"), "wb") as f:
        f.write(valid[:3000])
    with open(os.path.join(out, "empty.tar"), "wb") as f:
        pass
    with open(os.path.join(out, "zeros.tar"), "wb") as f:
        f.write(bytes(1024))
    with open(os.path.join(out, "not-a-tar.tar"), "wb") as f:
        f.write(b"SHA256SUMS\nthis is not a tar archive\n")

    mani = json.loads(next(base[n] for n in base if n.startswith("blobs/") and b"layers" in base[n]))

    # the same bundle in the GNU (with a leading ./) and plain ustar formats
    write(out, "gnu-dotslash.tar", base, fmt=tarfile.GNU_FORMAT, prefix="./")
    write(out, "ustar.tar", base, fmt=tarfile.USTAR_FORMAT)
    # a pax long name and a GNU long name (both unlisted)
    f = dict(base)
    f["x" * 120 + "/" + "y" * 120] = b"long\n"
    write(out, "pax-longname.tar", f)
    write(out, "gnu-longname.tar", f, fmt=tarfile.GNU_FORMAT)
    # what a bundle must not hold
    write(out, "symlink.tar", base, extra=[special("link", tarfile.SYMTYPE, linkname="/etc/passwd")])
    write(out, "hardlink.tar", base, extra=[special("hard", tarfile.LNKTYPE, linkname="oci-layout")])
    write(out, "devices.tar", base, extra=[special("dev", tarfile.CHRTYPE, devmajor=1, devminor=3),
                                            special("fifo", tarfile.FIFOTYPE)])
    write(out, "absolute.tar", {**base, "/tmp/abs": b"x"})
    write(out, "dotdot.tar", {**base, "../escape": b"x"})
    f = dict(base)
    f["oci-layout"] = b'{"imageLayoutVersion":"2.0.0"}'
    write(out, "changed-file.tar", f)
    # a second oci-layout after the first
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tt:
        for n in sorted(base):
            ti = tarfile.TarInfo(n)
            ti.size = len(base[n])
            tt.addfile(ti, io.BytesIO(base[n]))
        ti = tarfile.TarInfo("oci-layout")
        ti.size = 2
        tt.addfile(ti, io.BytesIO(b"{}"))
    save(out, "duplicate.tar", buf.getvalue())
    write(out, "unlisted-extra.tar", {**base, "extra.txt": b"extra\n"})
    write(out, "exempt-files.tar", {**base, "custody.log": b"log\n", "signatures/a.minisig": b"sig\n"})
    f = {k: v for k, v in base.items() if k != "sbom.cdx.json"}
    write(out, "missing-required.tar", resum(f))
    write(out, "missing-sums.tar", {k: v for k, v in base.items() if k != "SHA256SUMS"})

    # structural damage behind consistent digests
    f = dict(base)
    f["oci-layout"] = b'{"imageLayoutVersion":"2.0.0"}'
    write(out, "layout-version.tar", resum(f))
    f = dict(base)
    f["blobs/sha256/" + "0" * 64] = b"not the digest\n"
    write(out, "misnamed-blob.tar", resum(f))
    f = dict(base)
    f["blobs/sha256/short"] = b"x"
    write(out, "short-blob-name.tar", resum(f))
    # an index in front of the manifest, and a chain deeper than 4
    f = dict(base)
    d, s = blob(f, mani)
    ix = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
          "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": s}]}
    d2, s2 = blob(f, ix)
    retarget(f, "application/vnd.oci.image.index.v1+json", d2, s2)
    write(out, "index-of-index.tar", resum(f))
    for _ in range(5):
        ix = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
              "manifests": [{"mediaType": ix["mediaType"], "digest": d2, "size": s2}]}
        d2, s2 = blob(f, ix)
    retarget(f, ix["mediaType"], d2, s2)
    write(out, "deep-index.tar", resum(f))
    # a manifest whose layer size lies, and one that references a missing blob
    f = dict(base)
    m = json.loads(json.dumps(mani))
    m["layers"][0]["size"] += 1
    m["layers"].append({"mediaType": "application/octet-stream", "digest": "sha256:" + "a" * 64, "size": 1})
    d, s = blob(f, m)
    retarget(f, "application/vnd.docker.distribution.manifest.v2+json", d, s)
    write(out, "bad-layers.tar", resum(f))
    # airlock.json that disagrees with index.json, and one with bad fields
    f = dict(base)
    meta = json.loads(f["airlock.json"])
    meta["artifacts"].append(dict(meta["artifacts"][0], ref="file/other"))
    meta["name"] = "Bad Name"
    meta["version"] = 0
    meta["created"] = "yesterday"
    meta["expires"] = "2030-13-01"
    f["airlock.json"] = json.dumps(meta).encode()
    write(out, "meta-mismatch.tar", resum(f))
    f = dict(base)
    meta = json.loads(f["airlock.json"])
    meta["artifacts"] = [{"kind": "wheels"}, 3]
    f["airlock.json"] = json.dumps(meta).encode()
    write(out, "meta-incomplete.tar", resum(f))
    # not JSON where JSON is expected
    f = dict(base)
    f["index.json"] = b'{"manifests": [1, {"digest": "sha256:x"}], "manifests2": '
    write(out, "index-not-json.tar", resum(f))
    # an empty but consistent bundle: no artifacts at all
    f = {k: v for k, v in base.items() if not k.startswith("blobs/")}
    idx = json.loads(f["index.json"])
    idx["manifests"] = []
    f["index.json"] = json.dumps(idx).encode()
    meta = json.loads(f["airlock.json"])
    meta["artifacts"] = []
    f["airlock.json"] = json.dumps(meta).encode()
    write(out, "no-artifacts.tar", resum(f))


if __name__ == "__main__":
    main()
