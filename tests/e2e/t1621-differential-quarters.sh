#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Differential bundles over three quarters (issue 13's scenario): three models, one of them
# changes each quarter.
#   - Q2 is made against Q1 (the bundle), Q3 against an inventory of the inside's store
#     after Q2 (signed there with --key, checked here with --base-key); each carries the
#     changed model's weights and the small manifests and metadata, nothing of the two
#     models that did not change; each imports onto the store that holds what came before;
#   - Q3 onto an empty store fails, naming the digests it lacks;
#   - a tampered inventory (one digest changed, its signature left) is refused;
#   - the sizes: what each differential bundle carries against the full bundle.
. "$(dirname "$0")/lib.sh"
need jq python3
weights() { # DIR SEED: a model directory whose weights are 300 KiB made from SEED
    mkdir -p "$1"
    python3 - "$1" "$2" <<'PY'
import hashlib, json, sys
d, seed = sys.argv[1], sys.argv[2]
out, block = bytearray(), hashlib.sha256(seed.encode()).digest()
while len(out) < 300 * 1024:
    block = hashlib.sha256(block).digest()
    out += block
open(d + "/model.bin", "wb").write(out)
json.dump({"model_type": "llama", "seed": seed}, open(d + "/config.json", "w"))
PY
}
spec() { # QUARTER: the spec of that quarter, whose models are in $T/qQUARTER/
    printf 'name: llm-stack\nversion: %s\nexpires: 120d\nartifacts:\n' "$1" >"$T/q$1/airlock.yaml"
    for m in a b c; do printf '  - kind: model\n    path: %s\n    name: local/model-%s\n' "$m" "$m" >>"$T/q$1/airlock.yaml"; done
}
for q in 1 2 3; do
    weights "$T/q$q/a" "a-$([ $q -ge 1 ] && echo 1)"
    weights "$T/q$q/b" "b-$([ $q -ge 2 ] && echo 2 || echo 1)"
    weights "$T/q$q/c" "c-$([ $q -ge 3 ] && echo 3 || echo 1)"
    spec "$q"
done
carried() { find "$1/blobs" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }
has_blob_of() { [ -f "$1/blobs/sha256/$(sha256 "$2")" ]; }

expect_exit 0 airlock bundle create -f "$T/q1/airlock.yaml" -o "$T/Q1" --quiet
expect_exit 0 airlock bundle create -f "$T/q2/airlock.yaml" -o "$T/Q2full" --quiet
expect_exit 0 airlock bundle create -f "$T/q2/airlock.yaml" -o "$T/Q2" --base "$T/Q1" --quiet
has_blob_of "$T/Q2" "$T/q2/b/model.bin" || fail "Q2 does not carry the model that changed"
for m in a c; do
    has_blob_of "$T/Q2" "$T/q2/$m/model.bin" && fail "Q2 carries model $m, which did not change"
done
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 0 airlock key generate -o "$T/inside" -W
expect_exit 0 airlock import "$T/Q1" --store "$STORE" --allow-unsigned --quiet
expect_exit 0 airlock import "$T/Q2" --store "$STORE" --allow-unsigned --quiet
expect_exit 0 airlock store inventory --store "$STORE" -o "$T/after-q2.inv" --key "$T/inside.key"
expect_exit 0 airlock bundle create -f "$T/q3/airlock.yaml" -o "$T/Q3" --base "$T/after-q2.inv" --base-key "$T/inside.pub" --quiet
has_blob_of "$T/Q3" "$T/q3/c/model.bin" || fail "Q3 does not carry the model that changed"
for m in a b; do
    has_blob_of "$T/Q3" "$T/q3/$m/model.bin" && fail "Q3 carries model $m, which did not change"
done
expect_exit 0 airlock import "$T/Q3" --store "$STORE" --allow-unsigned --quiet
expect_exit 0 airlock store fsck --store "$STORE"

# Q3 alone, onto an empty store
expect_exit 0 airlock init --store "$T/empty"
expect_exit 2 airlock import "$T/Q3" --store "$T/empty" --allow-unsigned
expect_stderr_contains "sha256:$(sha256 "$T/q3/a/model.bin")"
expect_stderr_contains "import the bundle it was made against first"

# a tampered inventory: a digest the inside does not hold, its signature left as it was
python3 - "$T/after-q2.inv" "$(sha256 "$T/q3/c/model.bin")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["blobs"][0]["digest"] = "sha256:" + sys.argv[2]
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
expect_exit 1 airlock bundle create -f "$T/q3/airlock.yaml" -o "$T/Q3x" --base "$T/after-q2.inv" --base-key "$T/inside.pub"
expect_stderr_contains "is not signed by any --base-key"

full=$(carried "$T/Q2full") q2=$(carried "$T/Q2") q3=$(carried "$T/Q3")
note "carried: full bundle $full bytes; Q2 (against Q1) $q2 ($((100 * q2 / full)) %); Q3 (against the inventory) $q3 ($((100 * q3 / full)) %)"
[ "$q2" -lt $((full * 40 / 100)) ] && [ "$q3" -lt $((full * 40 / 100)) ] ||
    fail "a differential bundle carries more than 40 % of the full one (one model of three changed)"
