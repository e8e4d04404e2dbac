#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Differential bundles (docs/FORMAT.md "Differential bundles", docs/cmd/bundle-create.md):
# `bundle create --base PREVIOUS-BUNDLE|INVENTORY` leaves out the blobs the inside already
# holds and lists them in base.json, which SHA256SUMS (and so the signatures) covers.
#   - what stock tools see: sha256sum -c passes on the differential bundle, GNU tar reads
#     its tar form; `verify` passes and says which blobs it takes on trust from the base;
#   - import into a store without the base refuses, naming the missing digests, and
#     installs nothing; after the base, it imports and fsck passes; a base blob that rotted
#     in the store is refused the same way (the blobs are re-hashed, not trusted);
#   - `store inventory` makes a base from inside; a bundle made against it imports; signed
#     (--key), stock minisign checks it, and --base-key refuses another key or an edit;
#   - twins: base.json edited (SHA256SUMS no longer matches), base.json listing a blob
#     nothing references, a manifest left out as if from the base: each fails verify;
#   - scan refuses a differential bundle with the reason (it would need every blob).
. "$(dirname "$0")/lib.sh"
need jq tar sha256sum
B1=$T/b1
sample_bundle "$B1"
version_spec() { # N: the spec of version N-1 (the sample's for 2) at version N, with one more file
    local prev=$S/v$(($1 - 1)).yaml
    [ "$1" -gt 2 ] || prev=$S/airlock.yaml
    sed "s/^version: $(($1 - 1))\$/version: $1/" "$prev" >"$S/v$1.yaml"
    echo "new in version $1" >"$S/new$1.txt"
    printf '  - kind: file\n    path: new%s.txt\n' "$1" >>"$S/v$1.yaml"
}
version_spec 2
version_spec 3
version_spec 4

# ---------------------------------------------------------------- make and verify
expect_exit 0 airlock bundle create -f "$S/v2.yaml" -o "$T/b2" --base "$B1" --json
N=$(jq .base.blobs "$OUT")
[ "$N" -gt 10 ] || fail "the differential bundle left out only $N blobs"
assert_exists "$T/b2/base.json"
assert_absent "$T/b2/$(model_blob)"
grep -q '  base.json$' "$T/b2/SHA256SUMS" || fail "SHA256SUMS does not cover base.json"
(cd "$T/b2" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c fails on the differential bundle"
expect_exit 0 airlock verify "$T/b2"
expect_stdout_contains "differential: $N blobs"
expect_stdout_contains "taken on trust from its base"
expect_exit 0 airlock bundle create -f "$S/v2.yaml" -o "$T/b2.tar" --tar --base "$B1" --quiet
tar -tf "$T/b2.tar" | stdin_has '^base.json$' || fail "GNU tar does not list base.json in the tar form"
expect_exit 0 airlock verify "$T/b2.tar" --json
[ "$(jq .base.blobs "$OUT")" -eq "$N" ] || fail "verify --json does not count the base blobs"

# ---------------------------------------------------------------- import needs the base
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 2 airlock import "$T/b2" --store "$STORE" --allow-unsigned
expect_stderr_contains "is differential: the store lacks $N of the $N blobs it takes from its base"
grep -Eq '\(sha256:[0-9a-f]{64}, sha256:' "$ERR" || fail "the refusal does not name the missing digests"
expect_exit 0 airlock store ls --store "$STORE" --json
[ "$(jq '.bundles | length' "$OUT")" -eq 0 ] || fail "a refused differential import installed something"
expect_exit 0 airlock import "$B1" --store "$STORE" --allow-unsigned --quiet
expect_exit 0 airlock import "$T/b2.tar" --store "$STORE" --allow-unsigned
expect_stdout_contains "imported demo-stack version 2"
expect_exit 0 airlock store fsck --store "$STORE"
expect_exit 0 airlock store ls --store "$STORE" --json
jq -e '[.artifacts[] | select(.name == "new2.txt")] | length == 1' "$OUT" >/dev/null ||
    fail "the differential bundle's new artifact is not in the store"

# ---------------------------------------------------------------- an inventory as the base
expect_exit 0 airlock store inventory --store "$STORE" -o "$T/inside.inv"
jq -e '.airlock_inventory == 1 and (.blobs | length) > 10 and (.blobs[0] | keys == ["digest", "size"])' "$T/inside.inv" >/dev/null ||
    fail "the inventory is not digests and sizes"
expect_exit 0 airlock bundle create -f "$S/v3.yaml" -o "$T/b3" --base "$T/inside.inv" --json
[ "$(jq .base.blobs "$OUT")" -gt "$N" ] || fail "a base from the inventory left out no more than the base bundle did"
expect_exit 0 airlock import "$T/b3" --store "$STORE" --allow-unsigned --quiet

# a signed inventory: stock minisign checks its signature; --base-key requires it
need minisign
expect_exit 0 airlock key generate -o "$T/inside" -W
expect_exit 0 airlock key generate -o "$T/other" -W
expect_exit 0 airlock store inventory --store "$STORE" -o "$T/signed.inv" --key "$T/inside.key"
minisign -Vm "$T/signed.inv" -p "$T/inside.pub" >/dev/null || fail "minisign does not accept the inventory's signature"
expect_exit 0 airlock bundle create -f "$S/v3.yaml" -o "$T/b3s" --base "$T/signed.inv" --base-key "$T/inside.pub" --quiet
grep -q "signed by key $(keyid "$T/inside.pub")" "$T/b3s/base.json" || fail "base.json does not say who signed the inventory"
expect_exit 1 airlock bundle create -f "$S/v3.yaml" -o "$T/x1" --base "$T/signed.inv" --base-key "$T/other.pub"
expect_stderr_contains "is not signed by any --base-key"
assert_absent "$T/x1"
sed -i '0,/"size": /s/"size": \([0-9]*\)/"size": 1\1/' "$T/signed.inv"   # one size changed
minisign -Vm "$T/signed.inv" -p "$T/inside.pub" >/dev/null 2>&1 && fail "minisign accepts an edited inventory"
expect_exit 1 airlock bundle create -f "$S/v3.yaml" -o "$T/x2" --base "$T/signed.inv" --base-key "$T/inside.pub"
expect_stderr_contains "is not signed by any --base-key"
expect_exit 64 airlock bundle create -f "$S/v3.yaml" -o "$T/x3" --base "$B1" --base-key "$T/inside.pub"
expect_stderr_contains "is a bundle"

# ---------------------------------------------------------------- a base blob that rotted inside
expect_exit 0 airlock bundle create -f "$S/v4.yaml" -o "$T/b4" --base "$B1" --quiet
flip_byte "$STORE/$(model_blob)"
expect_exit 2 airlock import "$T/b4" --store "$STORE" --allow-unsigned
expect_stderr_contains "the store lacks 1 of the"
expect_stderr_contains "sha256:$(sha256 "$S/models/tiny-model/model.safetensors")"

# ---------------------------------------------------------------- twins
cp -r "$T/b2" "$T/edited"
python3 - "$T/edited/base.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["blobs"].pop()
json.dump(d, open(sys.argv[1], "w"))
PY
expect_exit 1 airlock verify "$T/edited"
expect_stderr_contains "base.json"
regen_sums "$T/edited"   # SHA256SUMS made to match: now a referenced blob is simply missing
expect_exit 1 airlock verify "$T/edited"
expect_stderr_contains "missing blob"
cp -r "$T/b2" "$T/extra"
python3 - "$T/extra/base.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["blobs"].append({"digest": "sha256:" + "ab" * 32, "size": 7})
json.dump(d, open(sys.argv[1], "w"))
PY
regen_sums "$T/extra"
expect_exit 1 airlock verify "$T/extra"
expect_stderr_contains "which nothing in the bundle references"
cp -r "$T/b2" "$T/man"
art=$(jq -r '.manifests[0].digest' "$T/man/index.json")
size=$(jq -r '.manifests[0].size' "$T/man/index.json")
rm "$T/man/blobs/sha256/${art#sha256:}"
python3 - "$T/man/base.json" "$art" "$size" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["blobs"].append({"digest": sys.argv[2], "size": int(sys.argv[3])})
json.dump(d, open(sys.argv[1], "w"))
PY
regen_sums "$T/man"
expect_exit 1 airlock verify "$T/man"
expect_stderr_contains "cannot be taken from the base"

# ---------------------------------------------------------------- scan
expect_exit 2 airlock scan "$T/b2"
expect_stderr_contains "is differential"
expect_exit 64 airlock bundle create -f "$S/v2.yaml" -o "$T/x" --base "$B1" --scan
