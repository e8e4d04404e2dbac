#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `bundle create` with `kind: wheels` and a hash-pinned requirements file
# (docs/FORMAT.md §1 "Wheels from an index"), from a PEP 503 tree of real wheels served by
# Debian's nginx on loopback, once as HTML pages and once as PEP 691 JSON.
# - For python 3.11 on linux/amd64 and linux/arm64, the wheels in the bundle are exactly
#   the union of what `pip download --only-binary=:all: --no-deps` chooses for each
#   platform from the same tree (pip is the oracle); each is byte for byte the index's
#   file, the bundle verifies, and a wheel chosen for both platforms is there once.
# - A second run takes every wheel from the cache: only the index pages are asked for.
# - The index precedence: --index-url wins over the requirements file's --index-url.
# - Must-fail twins, each exit code and message checked, nothing left at OUT: a wheel
#   changed on the index after its hash was pinned (exit 1, expected and actual digest);
#   a requirement whose only hash is of no file (exit 1); an unhashed line (exit 2,
#   naming the line); an sdist-only project (exit 2, saying so); a spec without
#   `python:` (exit 2); a page served as something that is neither HTML nor JSON.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
. "$(dirname "$0")/wheels-lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
need jq
wheels_setup
cat >"$T/tree.txt" <<'TXT'
alpha alpha-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
alpha alpha-1.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl
alpha alpha-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
alpha alpha-1.0-cp311-cp311-win_amd64.whl
alpha alpha-0.9-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
beta beta-2.0-py3-none-any.whl
beta beta-2.0-1-py3-none-any.whl
delta delta-1.5-cp37-abi3-manylinux2014_x86_64.whl requires-python=>=3.12
delta delta-1.5-py3-none-any.whl
theta-pkg Theta_Pkg-1.0-py3-none-any.whl
gamma gamma-3.0.tar.gz
TXT
TREE=$T/www/simple
make_tree "$TREE"
mkdir -p "$T/www/json"
for p in "$TREE"/*/; do
    p=$(basename "$p")
    mkdir -p "$T/www/json/$p"
    cp "$TREE/$p/index.json" "$T/www/json/$p/index.json"
    ln -s "$TREE/$p"/*.* "$T/www/json/$p/" 2>/dev/null || true
    rm -f "$T/www/json/$p/index.html"
done
# /json/ answers with the PEP 691 form; /odd/ with a page of a type no index uses
NGINX_EXTRA='location /json/ { index index.json; types { application/vnd.pypi.simple.v1+json json; application/octet-stream whl; } }
        location /odd/ { alias '"$TREE"'/; types { image/png html; } }'
nginx_start

# every file of the pinned versions hashed, as pip-compile --generate-hashes writes it
python3 - "$TREE" >"$T/req.txt" <<'PY'
import hashlib, os, sys
root = sys.argv[1]
pins = {"alpha": "1.0", "beta": "2.0", "delta": "1.5", "theta-pkg": "1.0"}
print("# generated for the test, in the form of pip-compile --generate-hashes")
for project, pin in pins.items():
    hs = [hashlib.sha256(open(os.path.join(root, project, f), "rb").read()).hexdigest()
          for f in sorted(os.listdir(os.path.join(root, project)))
          if f.endswith(".whl") and f.lower().startswith(f"{project.replace('-', '_')}-{pin}-")]
    name = "Theta_Pkg" if project == "theta-pkg" else project
    print(f"{name}=={pin} \\")
    print(" \\\n".join(f"    --hash=sha256:{h}" for h in hs))
    print("    # via -r requirements.in")
PY
grep -c -- '--hash' "$T/req.txt" >/dev/null || fail "no hashes in the requirements"

spec() {   # spec FILE REQ [no-python]
    { printf 'name: deps\nversion: 1\n'
      [ "${3:-}" = no-python ] || printf 'python: "3.11"\n'
      printf 'platforms: [linux/amd64, linux/arm64]\nartifacts:\n  - kind: wheels\n    requirements: %s\n' "$2"; } >"$1"
}
spec "$T/spec.yaml" "$T/req.txt"

# pip's choice for both platforms (union, one name a line, sorted)
want=$( { pip_pick 3.11 linux/amd64 "$T/req.txt"; pip_pick 3.11 linux/arm64 "$T/req.txt"; } | sort -u)
[ "$(wc -l <<<"$want")" -ge 5 ] || fail "pip chose too little: $want"
bundle_wheels() { jq -r '.artifacts[] | select(.kind == "wheel") | .info.filename' "$1/airlock.json" | sort; }

for form in simple json; do
    expect_exit 0 airlock bundle create -f "$T/spec.yaml" -o "$T/b-$form" --cache "$T/cache-$form" \
        --index-url "$NGINX_URL/$form/" --quiet
    expect_exit 0 airlock verify "$T/b-$form" --quiet
    got=$(bundle_wheels "$T/b-$form")
    [ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got") >&2; fail "the $form index gave other wheels than pip chooses"; }
    assert_eq "$(jq '[.artifacts[] | .info.filename] | length' "$T/b-$form/airlock.json")" \
        "$(wc -l <<<"$want")" "wheels in the $form bundle (each once)"
    while read -r f; do
        p=${f%%-*}; p=$(tr 'A-Z_' 'a-z-' <<<"$p")
        h=$(sha256 "$TREE/$p/$f")
        cmp -s "$TREE/$p/$f" "$T/b-$form/blobs/sha256/$h" || fail "$f in the bundle differs from the index's"
        assert_eq "$(jq -r --arg f "$f" '.artifacts[] | select(.info.filename == $f) | .upstream' "$T/b-$form/airlock.json")" \
            "pypi:$p==$(cut -d- -f2 <<<"$f")" "upstream of $f"
        # where it came from: the index and the file's URL, in airlock.json, the manifest and the SBOM
        a=$(jq -c --arg f "$f" '.artifacts[] | select(.info.filename == $f)' "$T/b-$form/airlock.json")
        assert_eq "$(jq -r .info.index <<<"$a")" "$NGINX_URL/$form" "index of $f (recorded without the trailing /)"
        case $(jq -r .info.url <<<"$a") in "$NGINX_URL/"*"/$f") ;; *) fail "url of $f: $(jq -r .info.url <<<"$a")" ;; esac
        m=$(jq -r .digest <<<"$a")
        assert_eq "$(jq -r '.annotations["io.airlock.python.index"]' "$T/b-$form/blobs/sha256/${m#sha256:}")" \
            "$NGINX_URL/$form" "the index in the manifest of $f"
        assert_eq "$(jq -r --arg r "$(jq -r .ref <<<"$a")" '.components[] | select(."bom-ref" == $r) | .purl' "$T/b-$form/sbom.cdx.json")" \
            "pkg:pypi/$p@$(cut -d- -f2 <<<"$f")?file_name=$f&repository_url=$NGINX_URL/$form" "purl of $f"
    done <<<"$got"
    note "$form index: $(wc -l <<<"$got") wheels, as pip chooses for linux/amd64 and linux/arm64"
done

# a second run: the wheels come from the cache, only the pages are fetched
: >"$NGINX_LOG.mark"
before=$(grep -c '\.whl ' "$NGINX_LOG" || true)
expect_exit 0 airlock bundle create -f "$T/spec.yaml" -o "$T/b-again" --cache "$T/cache-simple" \
    --index-url "$NGINX_URL/simple" --quiet
assert_eq "$(grep -c '\.whl ' "$NGINX_LOG" || true)" "$before" "wheel downloads on a cached rerun"
assert_eq "$(cat "$T/b-again/SHA256SUMS" | grep -v airlock.json | grep -v sbom)" \
    "$(cat "$T/b-simple/SHA256SUMS" | grep -v airlock.json | grep -v sbom)" "the rerun's blobs"

# the command line's --index-url wins over the file's (which points nowhere)
{ echo "--index-url http://127.0.0.1:9/nothing"; cat "$T/req.txt"; } >"$T/req-ix.txt"
spec "$T/spec-ix.yaml" "$T/req-ix.txt"
expect_exit 0 airlock bundle create -f "$T/spec-ix.yaml" -o "$T/b-ix" --cache "$T/cache-simple" \
    --index-url "$NGINX_URL/simple" --quiet
assert_eq "$(jq -r '[.artifacts[].info.index] | unique | join(" ")' "$T/b-ix/airlock.json")" "$NGINX_URL/simple" \
    "the index recorded is the one the wheels came from"
expect_exit 2 airlock bundle create -f "$T/spec-ix.yaml" -o "$T/b-ix2" --cache "$T/cache-simple" --quiet
expect_stderr_contains "http://127.0.0.1:9/nothing/alpha/"
assert_no_leftovers "$T/b-ix2"

# --- must-fail twins
create() { airlock bundle create -f "$1" -o "$2" --cache "$T/cache-$3" --index-url "$NGINX_URL/simple" --quiet; }
# a wheel changed on the index after it was pinned (same name, other bytes)
cp -r "$TREE" "$T/tree-orig"
B=beta-2.0-1-py3-none-any.whl
HB=$(sha256 "$TREE/beta/$B")
printf 'tampered' >>"$TREE/beta/$B"
HT=$(sha256 "$TREE/beta/$B")
expect_exit 1 create "$T/spec.yaml" "$T/b-bad" empty1
expect_stderr_contains "digest mismatch for '$B (beta, linux/amd64)' ($NGINX_URL/simple/beta/$B): expected sha256 $HB, got $HT"
assert_no_leftovers "$T/b-bad"
rm -rf "$TREE" && mv "$T/tree-orig" "$TREE"

# a requirement whose only hash is of no file on the index
OTHER=$(printf 'no such file' | sha256sum | cut -d' ' -f1)
printf 'beta==2.0 --hash=sha256:%s\n' "$OTHER" >"$T/req-wrong.txt"
spec "$T/spec-wrong.yaml" "$T/req-wrong.txt"
expect_exit 1 create "$T/spec-wrong.yaml" "$T/b-bad" empty2
expect_stderr_contains "artifacts[0] (wheels '$T/req-wrong.txt')"
expect_stderr_contains "beta"
assert_no_leftovers "$T/b-bad"

# an unhashed line, named with its line number
printf 'beta==2.0 --hash=sha256:%s\nalpha==1.0\n' "$HB" >"$T/req-nohash.txt"
spec "$T/spec-nohash.yaml" "$T/req-nohash.txt"
expect_exit 2 create "$T/spec-nohash.yaml" "$T/b-bad" empty3
expect_stderr_contains "req-nohash.txt:2"
assert_no_leftovers "$T/b-bad"

# an sdist-only project
G=$(sha256 "$TREE/gamma/gamma-3.0.tar.gz")
printf 'gamma==3.0 --hash=sha256:%s\n' "$G" >"$T/req-sdist.txt"
spec "$T/spec-sdist.yaml" "$T/req-sdist.txt"
expect_exit 2 create "$T/spec-sdist.yaml" "$T/b-bad" empty4
expect_stderr_contains "sdist"
assert_no_leftovers "$T/b-bad"

# no python: in the spec
spec "$T/spec-nopy.yaml" "$T/req.txt" no-python
expect_exit 2 create "$T/spec-nopy.yaml" "$T/b-bad" empty5
expect_stderr_contains "kind 'wheels' needs 'python' and 'platforms' at the top of the spec"

# a page that is neither HTML nor PEP 691 JSON
expect_exit 2 airlock bundle create -f "$T/spec.yaml" -o "$T/b-bad" --cache "$T/cache-empty6" \
    --index-url "$NGINX_URL/odd" --quiet
expect_stderr_contains "came as 'image/png', neither PEP 691 JSON nor HTML"
assert_no_leftovers "$T/b-bad"
