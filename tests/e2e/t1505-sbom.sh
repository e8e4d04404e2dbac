#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock sbom`: the CycloneDX 1.6 document is valid against the official CycloneDX
# schema (bom-1.6, with its SPDX licence list and JSF schemas, as the CycloneDX project
# ships them in @cyclonedx/cyclonedx-library from npm), checked by ajv; the SPDX 2.3
# document holds every field SPDX 2.3 requires of a document and of a package (checked
# field by field below, with the closed sets of keys and values SPDX 2.3 defines: no SPDX
# 2.3 JSON schema is packaged by Debian or npm). In both,
# every artifact appears with its purl and the SHA-256 sha256sum computes; the model with
# its card's licence, base model and datasets; the wheel with its declared requirements.
# Twins: a document with one wrong field fails each check; a damaged bundle gets none.
. "$(dirname "$0")/lib.sh"
need jq node python3
NODE_MODULES=$SRCDIR/tests/node/node_modules
[ -d "$NODE_MODULES/ajv" ] && [ -d "$NODE_MODULES/@cyclonedx/cyclonedx-library/res/schema" ] ||
    skip "tests/node has no node_modules (scripts/install-deps runs npm ci)"
make_sample "$S"
# the sample's model gets a card that states a base model and datasets; a wheel with requirements
cat >"$S/models/tiny-model/README.md" <<'EOF'
---
license: llama3
base_model: meta-llama/Meta-Llama-3-8B
datasets:
  - HuggingFaceFW/fineweb
  - allenai/c4
---
# tiny model
EOF
python3 - "$S/wheels-extra" <<'PY' || fail "cannot make the wheel"
import os, sys, zipfile
os.makedirs(sys.argv[1])
with zipfile.ZipFile(os.path.join(sys.argv[1], "needs_things-1.0-py3-none-any.whl"), "w") as z:
    z.writestr("needs_things/__init__.py", "")
    z.writestr("needs_things-1.0.dist-info/METADATA",
               "Metadata-Version: 2.1\nName: needs-things\nVersion: 1.0\nRequires-Dist: requests (>=2.0)\n"
               "Requires-Dist: Pip ; python_version >= \"3.8\"\nRequires-Dist: rich[jupyter]>=10 ; extra == 'fancy'\n\nbody\n")
    z.writestr("needs_things-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: t1505\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("needs_things-1.0.dist-info/RECORD", "")
PY
printf '  - kind: wheel\n    path: wheels-extra\n' >>"$S/airlock.yaml"
B=$T/bundle.tar
expect_exit 0 airlock bundle create -f "$S/airlock.yaml" -o "$B" --tar --quiet
mkdir -p "$T/x"
tar -xf "$B" -C "$T/x"

# ---------------------------------------------------------------- CycloneDX, against the schema
expect_exit 0 airlock sbom "$B" --format cyclonedx -o "$T/bom.json"
cat >"$T/validate.cjs" <<'JS'
const fs = require("fs"), path = require("path");
const [nm, doc] = process.argv.slice(2);
const Ajv = require(path.join(nm, "ajv")), addFormats = require(path.join(nm, "ajv-formats"));
const dir = path.join(nm, "@cyclonedx/cyclonedx-library/res/schema");
// (the package names its copies *.SNAPSHOT.*; the schemas' own ids are CycloneDX's published names)
const load = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8").replace(/\.SNAPSHOT\.schema\.json/g, ".schema.json"));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(load("spdx.SNAPSHOT.schema.json"));
ajv.addSchema(load("jsf-0.82.SNAPSHOT.schema.json"));
const validate = ajv.compile(load("bom-1.6.SNAPSHOT.schema.json"));
if (validate(JSON.parse(fs.readFileSync(doc, "utf8")))) { console.log("valid"); process.exit(0); }
console.log(JSON.stringify(validate.errors.slice(0, 5), null, 1));
process.exit(1);
JS
node "$T/validate.cjs" "$NODE_MODULES" "$T/bom.json" >"$T/v.out" 2>&1 || { cat "$T/v.out" >&2; fail "the CycloneDX document is not valid against bom-1.6"; }
# the bundle's own sbom.cdx.json, written by bundle create, is valid too
node "$T/validate.cjs" "$NODE_MODULES" "$T/x/sbom.cdx.json" >"$T/v.out" 2>&1 || { cat "$T/v.out" >&2; fail "the bundle's sbom.cdx.json is not valid against bom-1.6"; }
# the twin: a component type the schema does not know
jq '.components[0].type = "model"' "$T/bom.json" >"$T/bom-bad.json"
node "$T/validate.cjs" "$NODE_MODULES" "$T/bom-bad.json" >"$T/v.out" 2>&1 && fail "the schema check passed a component of type 'model'"
# every artifact, with its purl, and the digest sha256sum computes
jq -r '.artifacts[] | [.ref, .kind, (.info.sha256 // (.digest | ltrimstr("sha256:")))] | @tsv' "$T/x/airlock.json" >"$T/arts.tsv"
while IFS=$'\t' read -r ref kind hex; do
    [ "$(sha256 "$T/x/blobs/sha256/$hex")" = "$hex" ] || fail "$ref: the blob does not hash to $hex"
    jq -e --arg r "$ref" --arg h "$hex" '[.components[] | select(."bom-ref" == $r and (.purl | startswith("pkg:")) and
          (.hashes[0].alg == "SHA-256") and .hashes[0].content == $h)] | length == 1' "$T/bom.json" >/dev/null ||
        fail "$ref ($kind): no component with its purl and SHA-256 $hex"
done <"$T/arts.tsv"
[ "$(wc -l <"$T/arts.tsv")" -ge 7 ] || fail "too few artifacts"
jq -e '.components[] | select(.type == "machine-learning-model") |
       (.licenses == [{"license": {"name": "llama3"}}]) and
       (.modelCard.modelParameters.datasets | map(.name)) == ["HuggingFaceFW/fineweb", "allenai/c4"] and
       (.pedigree.ancestors | map(.name)) == ["meta-llama/Meta-Llama-3-8B"]' "$T/bom.json" >/dev/null ||
    fail "the model's card facts are missing: $(jq -c '.components[] | select(.type == "machine-learning-model")' "$T/bom.json")"
# requirements: requests and rich are components of their own; pip is the bundle's own wheel
wref=$(jq -r '.artifacts[] | select(.name == "needs-things") | .ref' "$T/x/airlock.json")
pref=$(jq -r '.artifacts[] | select(.name == "pip") | .ref' "$T/x/airlock.json")
jq -e --arg w "$wref" --arg p "$pref" '(.dependencies[] | select(.ref == $w) | .dependsOn) ==
       ["pypi-requirement:requests", $p, "pypi-requirement:rich"] and
       ([.components[] | select(.name == "requests" or .name == "rich") | [.purl, .scope]] ==
        [["pkg:pypi/requests", "required"], ["pkg:pypi/rich", "required"]])' "$T/bom.json" >/dev/null ||
    fail "the declared requirements are not as the METADATA says: $(jq -c '.dependencies' "$T/bom.json")"

# ---------------------------------------------------------------- SPDX 2.3
expect_exit 0 airlock sbom "$B" --format spdx
cp "$OUT" "$T/spdx.json"
spdx_check() {
    python3 - "$1" "$T/arts.tsv" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
bad = []
def need(obj, keys, where):
    for k in keys:
        if k not in obj:
            bad.append("%s lacks %s" % (where, k))
need(d, ["spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace", "creationInfo"], "the document")
if d.get("spdxVersion") != "SPDX-2.3" or d.get("dataLicense") != "CC0-1.0" or d.get("SPDXID") != "SPDXRef-DOCUMENT":
    bad.append("spdxVersion, dataLicense or SPDXID is not SPDX 2.3's")
need(d.get("creationInfo", {}), ["created", "creators"], "creationInfo")
if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d.get("creationInfo", {}).get("created", "")):
    bad.append("created is not YYYY-MM-DDThh:mm:ssZ")
# the closed sets of SPDX 2.3 (the specification's clauses 6, 7.3, 7.10, 7.21, 7.24 and 11):
# what a document, its creation information and a package may hold, and the values of the
# enumerated fields; an unknown key or value is what its JSON schema refuses
DOC_KEYS = {"$schema", "SPDXID", "annotations", "comment", "creationInfo", "dataLicense", "externalDocumentRefs",
            "hasExtractedLicensingInfos", "name", "revieweds", "spdxVersion", "documentNamespace",
            "documentDescribes", "packages", "files", "snippets", "relationships"}
PKG_KEYS = {"SPDXID", "annotations", "attributionTexts", "builtDate", "checksums", "comment", "copyrightText",
            "description", "downloadLocation", "externalRefs", "filesAnalyzed", "hasFiles", "homepage",
            "licenseComments", "licenseConcluded", "licenseDeclared", "licenseInfoFromFiles", "name", "originator",
            "packageFileName", "packageVerificationCode", "primaryPackagePurpose", "releaseDate", "sourceInfo",
            "summary", "supplier", "validUntilDate", "versionInfo"}
PURPOSES = {"OTHER", "INSTALL", "ARCHIVE", "FIRMWARE", "APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER", "SOURCE",
            "DEVICE", "OPERATING-SYSTEM", "FILE"}
REF_CATEGORIES = {"OTHER", "PERSISTENT-ID", "PERSISTENT_ID", "SECURITY", "PACKAGE-MANAGER", "PACKAGE_MANAGER"}
RELATIONSHIPS = {"DESCRIBES", "DESCRIBED_BY", "CONTAINS", "CONTAINED_BY", "DEPENDS_ON", "DEPENDENCY_OF",
                 "DEPENDENCY_MANIFEST_OF", "BUILD_DEPENDENCY_OF", "DEV_DEPENDENCY_OF", "OPTIONAL_DEPENDENCY_OF",
                 "PROVIDED_DEPENDENCY_OF", "TEST_DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "EXAMPLE_OF", "GENERATES",
                 "GENERATED_FROM", "ANCESTOR_OF", "DESCENDANT_OF", "VARIANT_OF", "DISTRIBUTION_ARTIFACT", "PATCH_FOR",
                 "PATCH_APPLIED", "COPY_OF", "FILE_ADDED", "FILE_DELETED", "FILE_MODIFIED", "EXPANDED_FROM_ARCHIVE",
                 "DYNAMIC_LINK", "STATIC_LINK", "DATA_FILE_OF", "TEST_CASE_OF", "BUILD_TOOL_OF", "DEV_TOOL_OF",
                 "TEST_OF", "TEST_TOOL_OF", "DOCUMENTATION_OF", "OPTIONAL_COMPONENT_OF", "METAFILE_OF", "PACKAGE_OF",
                 "AMENDS", "PREREQUISITE_FOR", "HAS_PREREQUISITE", "REQUIREMENT_DESCRIPTION_FOR",
                 "SPECIFICATION_FOR", "OTHER"}
for k in set(d) - DOC_KEYS:
    bad.append("the document holds %r, which SPDX 2.3 does not define" % k)
for k in set(d.get("creationInfo", {})) - {"comment", "created", "creators", "licenseListVersion"}:
    bad.append("creationInfo holds %r, which SPDX 2.3 does not define" % k)
ids = set()
for p in d.get("packages", []):
    need(p, ["SPDXID", "name", "downloadLocation"], "package %s" % p.get("name"))
    for k in set(p) - PKG_KEYS:
        bad.append("package %s holds %r, which SPDX 2.3 does not define" % (p.get("name"), k))
    if "primaryPackagePurpose" in p and p["primaryPackagePurpose"] not in PURPOSES:
        bad.append("package %s: primaryPackagePurpose %r is not one of SPDX 2.3's" % (p.get("name"), p["primaryPackagePurpose"]))
    for e in p.get("externalRefs", []):
        if e.get("referenceCategory") not in REF_CATEGORIES or set(e) - {"comment", "referenceCategory", "referenceLocator", "referenceType"}:
            bad.append("package %s: external reference %r" % (p.get("name"), e))
    if not re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", p.get("SPDXID", "")):
        bad.append("package %s: SPDXID %r" % (p.get("name"), p.get("SPDXID")))
    ids.add(p.get("SPDXID"))
    for c in p.get("checksums", []):
        if c.get("algorithm") != "SHA256" or not re.fullmatch(r"[0-9a-f]{64}", c.get("checksumValue", "")):
            bad.append("package %s: checksum %r" % (p.get("name"), c))
    for l in re.findall(r"LicenseRef-[A-Za-z0-9.-]+", p.get("licenseDeclared", "")):
        if l not in [e["licenseId"] for e in d.get("hasExtractedLicensingInfos", [])]:
            bad.append("%s is used but not declared" % l)
for r in d.get("relationships", []):
    need(r, ["spdxElementId", "relationshipType", "relatedSpdxElement"], "a relationship")
    if r.get("relationshipType") not in RELATIONSHIPS:
        bad.append("relationship type %r is not one of SPDX 2.3's" % r.get("relationshipType"))
    if r.get("relatedSpdxElement") not in ids or r.get("spdxElementId") not in ids | {"SPDXRef-DOCUMENT"}:
        bad.append("a relationship names an element that is not there: %r" % r)
described = {r["relatedSpdxElement"] for r in d.get("relationships", []) if r.get("relationshipType") == "DESCRIBES"}
sums = {c["checksumValue"] for p in d.get("packages", []) if p.get("SPDXID") in described for c in p.get("checksums", [])}
for line in open(sys.argv[2]):
    ref, kind, hexd = line.rstrip("\n").split("\t")
    if hexd not in sums:
        bad.append("artifact %s (%s) is not described with its SHA-256" % (ref, kind))
for b in bad[:20]:
    print(b)
sys.exit(1 if bad else 0)
PY
}
spdx_check "$T/spdx.json" >"$T/s.out" 2>&1 || { cat "$T/s.out" >&2; fail "the SPDX document breaks SPDX 2.3's rules (above)"; }
jq -e '(.packages[] | select(.name == "local/tiny-model") | .licenseDeclared == "LicenseRef-llama3") and
       (.hasExtractedLicensingInfos | map(.licenseId) == ["LicenseRef-llama3"]) and
       ((.packages[] | select(.name == "needs-things") | .SPDXID) as $w |
        [.relationships[] | select(.relationshipType == "DEPENDS_ON" and .spdxElementId == $w)] | length == 3)' "$T/spdx.json" >/dev/null ||
    fail "the SPDX licence or the requirements are not as expected"
jq 'del(.packages[0].downloadLocation)' "$T/spdx.json" >"$T/spdx-bad.json"
spdx_check "$T/spdx-bad.json" >/dev/null 2>&1 && fail "the SPDX check passed a package without downloadLocation"
# twins of the closed sets: a purpose SPDX 2.3 does not have (SPDX 3's DATA), a key it does not define
jq '.packages[0].primaryPackagePurpose = "DATA"' "$T/spdx.json" >"$T/spdx-bad.json"
spdx_check "$T/spdx-bad.json" >/dev/null 2>&1 && fail "the SPDX check passed primaryPackagePurpose DATA"
jq '.packages[0].modelCard = "x"' "$T/spdx.json" >"$T/spdx-bad.json"
spdx_check "$T/spdx-bad.json" >/dev/null 2>&1 && fail "the SPDX check passed a key SPDX 2.3 does not define"

# ---------------------------------------------------------------- a damaged bundle gets none
cp -r "$T/x" "$T/y"
blob=$(jq -r '.artifacts[] | select(.kind == "file") | .info.sha256' "$T/y/airlock.json")
chmod u+w "$T/y/blobs/sha256/$blob"
printf 'tampered' >>"$T/y/blobs/sha256/$blob"
expect_exit 1 airlock sbom "$T/y"
expect_stderr_contains "FAILED verification: no bill of materials"
[ ! -s "$OUT" ] || fail "a bill of materials was printed for a damaged bundle"
expect_exit 64 airlock sbom "$B" --format swid
note "CycloneDX valid against bom-1.6; SPDX 2.3 fields complete; $(wc -l <"$T/arts.tsv") artifacts with purl and SHA-256"
