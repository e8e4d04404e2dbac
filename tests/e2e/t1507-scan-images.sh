#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What is installed in images: `airlock scan` and `airlock sbom` read dpkg's status, apk's
# installed database, Python's *.dist-info/METADATA and /etc/os-release from the layer
# tars as streams, layer over layer:
#   - a Debian 12 image of two layers: the second replaces dpkg's status (openssl upgraded
#     to its fixed version) and whites out one Python package. The findings are exactly
#     those of the packages the image ends with, matched as OSV's Debian data names them
#     (source package and source version, the release's ecosystem "Debian:12"), under
#     dpkg's order, whose expectations are checked with dpkg --compare-versions itself;
#   - an Alpine 3.19 image: matched in "Alpine:v3.19" under apk's order (musl before its
#     fix, busybox at its fix; a v3.18 record does not apply);
#   - an image with dpkg's status but no os-release: its release is unknown, so its
#     packages are not matched (they would match every release's advisories), and that
#     is a finding to review;
#   - the SBOM lists each image's packages with their purls.
. "$(dirname "$0")/lib.sh"
need jq python3 dpkg
python3 - "$T/src" <<'PY' || fail "cannot make the images"
import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]

def layout(name, layers, arch="amd64"):
    out = os.path.join(root, name)
    os.makedirs(out + "/blobs/sha256", exist_ok=True)
    def put(b):
        d = hashlib.sha256(b).hexdigest()
        open(f"{out}/blobs/sha256/{d}", "wb").write(b)
        return {"digest": "sha256:" + d, "size": len(b)}
    descs, diffs = [], []
    for files in layers:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
            for path, data in files:
                ti = tarfile.TarInfo(path)
                ti.size, ti.mtime = len(data), 0
                t.addfile(ti, io.BytesIO(data))
        rb = raw.getvalue()
        descs.append(dict(put(gzip.compress(rb, mtime=0)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip"))
        diffs.append("sha256:" + hashlib.sha256(rb).hexdigest())
    cfg = dict(put(json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": diffs}, "config": {}}).encode()),
               mediaType="application/vnd.oci.image.config.v1+json")
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cfg, "layers": descs}).encode()
    md = dict(put(man), mediaType="application/vnd.oci.image.manifest.v1+json", annotations={"org.opencontainers.image.ref.name": "1"})
    json.dump({"schemaVersion": 2, "manifests": [md]}, open(out + "/index.json", "w"))
    open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')

def status(pkgs):
    return "".join("Package: %s\nStatus: install ok installed\nArchitecture: amd64\n%sVersion: %s\nDescription: x\n\n" %
                   (p, ("Source: %s\n" % s) if s else "", v) for p, s, v in pkgs).encode()

osrel = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
meta = lambda n, v: ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (n, v)).encode()
dp = "usr/lib/python3/dist-packages/"
base = [("openssl", None, "3.0.11-1~deb12u1"), ("libssl3", "openssl", "3.0.11-1~deb12u1"),
        ("zlib1g", "zlib", "1:1.2.13.dfsg-1"), ("bash", "bash (5.2.15-2)", "5.2.15-2+b2")]
upgraded = [(p, s, "3.0.11-1~deb12u2" if p in ("openssl", "libssl3") else v) for p, s, v in base]
layout("debian-app", [
    [("etc/os-release", osrel), ("var/lib/dpkg/status", status(base)),
     (dp + "requests-2.28.1.dist-info/METADATA", meta("Requests", "2.28.1")),
     (dp + "Jinja2-3.1.2.dist-info/METADATA", meta("Jinja2", "3.1.2"))],
    [("var/lib/dpkg/status", status(upgraded)), (dp + ".wh.Jinja2-3.1.2.dist-info", b"")],
])
apkdb = b"C:Q1x\nP:musl\nV:1.2.4_git20230717-r4\no:musl\n\nC:Q1y\nP:busybox\nV:1.36.1-r15\no:busybox\n\n"
layout("bare-app", [[("var/lib/dpkg/status", status(base))]])   # no os-release: the release is unknown
layout("alpine-app", [[("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n"), ("lib/apk/db/installed", apkdb)]])
# the advisories (made up, in OSV's form)
v = os.path.join(root, "osv")
os.makedirs(v)
def rec(i, eco, name, fixed, intro="0"):
    json.dump({"id": i, "modified": "2026-01-01T00:00:00Z", "summary": "t1507 " + i,
               "affected": [{"package": {"ecosystem": eco, "name": name},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": intro}, {"fixed": fixed}]}]}]},
              open(os.path.join(v, i + ".json"), "w"))
rec("x_DEB-openssl", "Debian:12", "openssl", "3.0.11-1~deb12u2")
rec("x_DEB-zlib", "Debian:12", "zlib", "1:1.2.13.dfsg-2")
rec("x_DEB-bash", "Debian:12", "bash", "5.2.15-3")
rec("x_DEB11-zlib", "Debian:11", "zlib", "1:9")
rec("x_PYPI-requests", "PyPI", "requests", "2.31.0")
rec("x_PYPI-jinja2", "PyPI", "jinja2", "3.1.3")
rec("x_APK-musl", "Alpine:v3.19", "musl", "1.2.4_git20230717-r5")
rec("x_APK-busybox", "Alpine:v3.19", "busybox", "1.36.1-r15")
rec("x_APK318-musl", "Alpine:v3.18", "musl", "9")
PY
# the expectations rest on dpkg's own order
dpkg --compare-versions 3.0.11-1~deb12u2 ge 3.0.11-1~deb12u2 || fail "dpkg: the upgraded openssl is not at its fix"
dpkg --compare-versions 3.0.11-1~deb12u1 lt 3.0.11-1~deb12u2 || fail "dpkg: the first layer's openssl is not before its fix"
dpkg --compare-versions 1:1.2.13.dfsg-1 lt 1:1.2.13.dfsg-2 || fail "dpkg: zlib"
dpkg --compare-versions 5.2.15-2 lt 5.2.15-3 || fail "dpkg: bash's source version"
cat >"$T/src/airlock.yaml" <<'EOF'
name: images
version: 1
expires: 30d
artifacts:
  - kind: image
    path: debian-app:1
    name: acme/debian-app:1
  - kind: image
    path: alpine-app:1
    name: acme/alpine-app:1
  - kind: image
    path: bare-app:1
    name: acme/bare-app:1
EOF
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet

expect_exit 1 airlock scan "$T/b" --vulndb "$T/src/osv" --json -o "$T/scan.json"
jq -r '.results[0].packages[] | .package as $p | .vulnerabilities[] | [$p.ecosystem, $p.name, $p.version, .id] | @tsv' \
    "$T/scan.json" | sort >"$T/got"
sort >"$T/want" <<'EOF'
Debian:12	bash	5.2.15-2	x_DEB-bash
Alpine:v3.19	musl	1.2.4_git20230717-r4	x_APK-musl
Debian:12	zlib	1:1.2.13.dfsg-1	x_DEB-zlib
PyPI	requests	2.28.1	x_PYPI-requests
EOF
diff "$T/want" "$T/got" >&2 || fail "the image findings differ (< expected, > found)"
jq -e '.unmatched == [{"artifact": "acme/bare-app:1", "packages": 4, "disposition": "review",
                       "why": "airlock has no version order for their ecosystem, or the image does not say its release"}]' \
    "$T/scan.json" >/dev/null || fail "only the image without os-release should be unmatched: $(jq -c .unmatched "$T/scan.json")"

# ---------------------------------------------------------------- the SBOM lists them
expect_exit 0 airlock sbom "$T/b" --format cyclonedx -o "$T/bom.json"
jq -r '.components[] | select(.type == "container") | .components[]? | .purl' "$T/bom.json" | sort >"$T/purls"
sort >"$T/want-purls" <<'EOF'
pkg:apk/alpine/busybox@1.36.1-r15?distro=alpine-3.19.1
pkg:apk/alpine/musl@1.2.4_git20230717-r4?distro=alpine-3.19.1
pkg:deb/debian/bash@5.2.15-2+b2?distro=debian-12
pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12
pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12
pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?distro=debian-12
pkg:pypi/requests@2.28.1
EOF
# (the bare image's packages: no distro known)
sort -o "$T/want-purls" "$T/want-purls" - <<'EOF'
pkg:deb/debian/bash@5.2.15-2+b2
pkg:deb/debian/libssl3@3.0.11-1~deb12u1
pkg:deb/debian/openssl@3.0.11-1~deb12u1
pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1
EOF
diff "$T/want-purls" "$T/purls" >&2 || fail "the SBOM's image packages differ (< expected, > found)"
NODE_MODULES=$SRCDIR/tests/node/node_modules
if [ -d "$NODE_MODULES/ajv" ]; then
    node - "$NODE_MODULES" "$T/bom.json" <<'JS' || fail "the CycloneDX document with image packages is not valid against bom-1.6"
const fs = require("fs"), path = require("path");
const [nm, doc] = process.argv.slice(2);
const Ajv = require(path.join(nm, "ajv")), addFormats = require(path.join(nm, "ajv-formats"));
const dir = path.join(nm, "@cyclonedx/cyclonedx-library/res/schema");
const load = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8").replace(/\.SNAPSHOT\.schema\.json/g, ".schema.json"));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(load("spdx.SNAPSHOT.schema.json"));
ajv.addSchema(load("jsf-0.82.SNAPSHOT.schema.json"));
const v = ajv.compile(load("bom-1.6.SNAPSHOT.schema.json"));
if (!v(JSON.parse(fs.readFileSync(doc, "utf8")))) { console.error(JSON.stringify(v.errors.slice(0, 3))); process.exit(1); }
JS
fi
expect_exit 0 airlock sbom "$T/b" --format spdx
jq -e '[.relationships[] | select(.relationshipType == "CONTAINS")] | length == 11' "$OUT" >/dev/null ||
    fail "the SPDX document does not contain the 11 installed packages"
note "the image's last layer decides; Debian by source package and version; Alpine under apk's order"
