#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Wheel selection against pip as the oracle. A PEP 503 tree of made-up wheels (several
# platforms, Python versions, abi3, pure, musllinux, build tags, local versions, yanked
# files, Requires-Python, a name that needs normalization, a file whose hash is not
# pinned) and one hashed requirements file; for each target the wheels that the library
# chooses (through tests/tools/wheelpick, which reads the same pages from disk, HTML and
# PEP 691 JSON) must equal the files `pip download --only-binary=:all: --no-deps
# --python-version X --platform P…` downloads from the same tree. The --platform list
# comes from pip's own packaging (tests/e2e/pip-tags.py), and so does the tag order that
# wheelpick must print. The must-fail twins are in t1451.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
. "$(dirname "$0")/wheels-lib.sh"
wheels_setup
cat >"$T/tree.txt" <<'TXT'
alpha alpha-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
alpha alpha-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
alpha alpha-1.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl
alpha alpha-1.0-cp311-cp311-musllinux_1_1_x86_64.whl
alpha alpha-1.0-cp312-cp312-manylinux_2_28_x86_64.whl
alpha alpha-1.0-cp310-cp310-win_amd64.whl
alpha alpha-1.0-cp38-abi3-win_amd64.whl
alpha alpha-1.0-py3-none-any.whl
alpha alpha-0.9-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
alpha alpha-1.0.tar.gz
beta beta-2.0-py3-none-any.whl
beta beta-2.0-1-py3-none-any.whl
beta beta-2.0-py2.py3-none-any.whl
delta delta-1.5-cp37-abi3-manylinux2014_x86_64.whl requires-python=>=3.12
delta delta-1.5-py3-none-any.whl requires-python=>=3.7,<4
epsilon epsilon-1.0-py3-none-any.whl
epsilon epsilon-1.0+cpu-py3-none-any.whl
zeta zeta-1.0-cp311-cp311-manylinux2014_x86_64.whl yanked
zeta zeta-1.0-py3-none-any.whl
eta eta-1.0-py3-none-any.whl yanked
theta-pkg Theta_Pkg-1.0-py3-none-any.whl
kappa kappa-1.0-cp311-cp311-manylinux2014_x86_64.whl
kappa kappa-1.0-py3-none-any.whl
mu mu-1.0-cp39-cp39-manylinux1_x86_64.whl
mu mu-1.0-cp39-cp39-manylinux_2_16_x86_64.whl
mu mu-1.0-py3-none-any.whl
TXT
make_tree "$TREE"

# every file of the pinned version is hashed, as pip-compile --generate-hashes writes it,
# except kappa's better wheel: pip then prefers the hashed py3-none-any
python3 - "$TREE" "$T/tree.txt" >"$T/req.txt" <<'PY'
import hashlib, os, sys
root, table = sys.argv[1:3]
pins = {"alpha": "1.0", "beta": "2.0", "delta": "1.5", "epsilon": "1.0", "zeta": "1.0",
        "eta": "1.0", "theta-pkg": "1.0", "kappa": "1.0", "mu": "1.0"}
print("# generated for the test, in the form of pip-compile --generate-hashes")
print(f"--index-url file://{root}")
hashes = {}
for line in open(table):
    project, fn = line.split()[:2]
    if fn.startswith(f"{project}-{pins[project]}") or project == "theta-pkg":
        if project == "kappa" and "cp311" in fn:
            continue
        hashes.setdefault(project, []).append(hashlib.sha256(open(os.path.join(root, project, fn), "rb").read()).hexdigest())
for project, pin in pins.items():
    name = "Theta_Pkg" if project == "theta-pkg" else project
    print(f"{name}=={pin} \\")
    print(" \\\n".join(f"    --hash=sha256:{h}" for h in hashes[project]))
    print(f"    # via -r requirements.in")
PY

# the tag order, and the platform list, are pip's
for target in "3.11 linux/amd64" "3.7 linux/arm64" "3.12 linux/386 --glibc 28" "3.9 linux/amd64 --musl 2" \
    "3.13 windows/amd64" "3.8 windows/386" "3.12 linux/arm/v7" "3.10 linux/ppc64le"; do
    for what in platforms tags; do
        # shellcheck disable=SC2086
        /usr/bin/python3 "$SRCDIR/tests/e2e/pip-tags.py" $what $target >"$T/want" || fail "pip-tags.py $what $target"
        # shellcheck disable=SC2086
        "$WHEELPICK" $what $target >"$T/got" || fail "wheelpick $what $target failed"
        cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got" | head -20 >&2; fail "$what for $target differ from pip's"; }
    done
done
note "tag order and platforms equal pip's for 8 targets"

for target in "3.11 linux/amd64" "3.12 linux/amd64" "3.9 linux/amd64" "3.11 linux/arm64" \
    "3.10 windows/amd64" "3.11 linux/amd64 --musl 2" "3.12 linux/amd64 --glibc 28" "3.8 linux/amd64"; do
    # shellcheck disable=SC2086
    set -- $target
    py=$1 plat=$2
    shift 2
    want=$(pip_pick "$py" "$plat" "$T/req.txt" "$@")
    got=$(pick "$py" "$plat" "$T/req.txt" "$@") || fail "wheelpick refused $target"
    [ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got") >&2; fail "choice for $target differs from pip's"; }
    got=$(pick "$py" "$plat" "$T/req.txt" "$@" --json) || fail "wheelpick --json refused $target"
    [ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got") >&2; fail "choice for $target from the JSON pages differs from pip's"; }
    note "$target: $(echo "$want" | wc -l) wheels, as pip chooses"
done

# a few of the choices spelled out, so a change in both pip and the library is seen
got=$(pick 3.11 linux/amd64 "$T/req.txt")
for f in alpha-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl beta-2.0-1-py3-none-any.whl \
    delta-1.5-py3-none-any.whl epsilon-1.0+cpu-py3-none-any.whl zeta-1.0-py3-none-any.whl \
    eta-1.0-py3-none-any.whl kappa-1.0-py3-none-any.whl; do
    grep -qxF "$f" <<<"$got" || fail "expected $f among: $got"
done
