# SPDX-License-Identifier: Apache-2.0
#
# hf-lib.sh: models for the Hugging Face endpoint tests (t120N-serve-hf-*.sh). Source it
# after lib.sh and serve-lib.sh, and call serve_store first.
#
#   hf_extra_models   builds and imports (unsigned) a second bundle, hf-extra version 1, with
#                     two models, and sets:
#                       $MANY_DIR     test/many-files: config.json and $MANY_N small files
#                                     under sub/dNN/ (more than any page size a tree listing
#                                     should use), with the 40-hex revision $MANY_REV
#                       $ONE_DIR      tinyone (a one-segment repo id), revision "release-1"
#   bundle_commit BUNDLE NAME   the commit serve.md gives a model that crossed without a
#                     40-hex revision: the first 40 hex digits of its manifest digest, read
#                     from the bundle's own index.json (not from airlock)
#   model_files DIR   the files of a model directory as the Hub lists them: relative paths,
#                     dot-files left out (as bundle create leaves them out), sorted

MANY_N=2100
MANY_REV=0123456789abcdef0123456789abcdef01234567

hf_extra_models() {
    local d=$T/hfx
    MANY_DIR=$d/many
    ONE_DIR=$d/tinyone
    mkdir -p "$MANY_DIR" "$ONE_DIR"
    python3 - "$MANY_DIR" "$MANY_N" <<'PY' || fail "cannot write the many-files model"
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
with open(os.path.join(d, "config.json"), "w") as f:
    f.write('{"model_type": "many"}\n')
for i in range(n):
    sub = os.path.join(d, "sub", "d%02d" % (i % 13))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%04d.txt" % i), "w") as f:
        f.write("file %d of the many-files model\n" % i)
PY
    printf '{"model_type": "tinyone"}\n' >"$ONE_DIR/config.json"
    printf 'tiny one-segment model\n' >"$ONE_DIR/README.md"
    head -c 3000 /dev/urandom >"$ONE_DIR/weights.bin"
    cat >"$d/airlock.yaml" <<EOF
name: hf-extra
version: 1
expires: 30d
artifacts:
  - kind: model
    path: many
    name: test/many-files
    source: upstream/many-files
    revision: $MANY_REV
  - kind: model
    path: tinyone
    name: tinyone
    revision: release-1
EOF
    expect_exit 0 airlock bundle create -f "$d/airlock.yaml" -o "$T/hfx-bundle" --quiet
    expect_exit 0 airlock import "$T/hfx-bundle" --store "$STORE" --allow-unsigned -q
}

bundle_commit() {
    jq -r --arg n "$2" '.manifests[] | select(.annotations["io.airlock.name"] == $n) | .digest' \
        "$1/index.json" | sed -n 's/^sha256:\([0-9a-f]\{40\}\).*/\1/p' | grep . ||
        fail "no manifest named '$2' in '$1/index.json'"
}

model_files() {
    (cd "$1" && find . -type f ! -path '*/.*' | sed 's|^\./||' | LC_ALL=C sort)
}
