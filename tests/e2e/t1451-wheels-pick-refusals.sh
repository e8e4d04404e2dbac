#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The must-fail twins of t1450: the library (through tests/tools/wheelpick) refuses, with
# the exit code and a message naming the requirement and its line, what pip in
# hash-checking mode refuses too (pip is run on the same tree to show it):
# - a wrong hash (the only pinned hash is of no file on the index): exit 1;
# - a missing hash (only the Windows wheel is pinned; for Linux pip's best wheel is
#   unpinned): exit 1, naming the wheel and its sha256;
# - an unpinned line (>=), a wildcard pin (which pip would take), an unhashed line: exit 2,
#   naming file and line;
# - an sdist-only project: exit 2, saying there is no wheel;
# - a pinned version the index does not have: exit 2.
# And what pip accepts, accepted alike: an extra pinned hash that matches no file, and an
# extra unpinned wheel on the index that would rank better (pip drops it because another
# file's hash is pinned).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
. "$(dirname "$0")/wheels-lib.sh"
wheels_setup
cat >"$T/tree.txt" <<'TXT'
alpha alpha-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
alpha alpha-1.0-cp311-cp311-win_amd64.whl
alpha alpha-1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
gamma gamma-3.0.tar.gz
TXT
make_tree "$TREE"
LINUX=$(file_hash "$TREE" alpha-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl)
WIN=$(file_hash "$TREE" alpha-1.0-cp311-cp311-win_amd64.whl)
BUILD1=$(file_hash "$TREE" alpha-1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl)
OTHER=$(printf 'no such file' | sha256sum | cut -d' ' -f1)

# refuse REQFILE EXIT MESSAGE: wheelpick exits EXIT naming MESSAGE, and pip fails as well
refuse() {
    expect_exit "$2" "$WHEELPICK" pick 3.11 linux/amd64 "$1" "$TREE" "file://$TREE"
    expect_stderr_contains "$3"
    if /usr/bin/python3 -m pip download --no-deps --only-binary=:all: --python-version 3.11 \
        --platform manylinux2014_x86_64 -d "$T/pipout" -r "$1" --index-url "file://$TREE" >"$T/pip.log" 2>&1; then
        fail "pip accepted $(cat "$1") where wheelpick refused it"
    fi
    rm -rf "$T/pipout"
}

# the positive twin: the right hash is accepted, and so is an extra one (pip does the same)
printf 'alpha==1.0 \\\n    --hash=sha256:%s \\\n    --hash=sha256:%s\n' "$LINUX" "$OTHER" >"$T/ok.txt"
got=$(pick 3.11 linux/amd64 "$T/ok.txt") || fail "the pinned wheel was refused"
assert_eq "$got" alpha-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl "the pinned wheel"
assert_eq "$(pip_pick 3.11 linux/amd64 "$T/ok.txt")" "$got" "pip chooses the same"
# the build-1 wheel ranks above it but is not pinned: pip leaves it, and so does airlock
note "an extra pinned hash, and an extra unpinned better wheel, are passed over as pip does"

printf 'alpha==1.0 --hash=sha256:%s\n' "$OTHER" >"$T/wrong.txt"
refuse "$T/wrong.txt" 1 "alpha==1.0 ($T/wrong.txt:1) for Python 3.11 on linux/amd64: the wheel for this target is 'alpha-1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl' with sha256 $BUILD1, which is not among the 1 hashes pinned for it; refused"

printf '# only Windows was hashed\nalpha==1.0 \\\n    --hash=sha256:%s\n' "$WIN" >"$T/missing.txt"
refuse "$T/missing.txt" 1 "alpha==1.0 ($T/missing.txt:2) for Python 3.11 on linux/amd64: the wheel for this target is 'alpha-1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl' with sha256 $BUILD1, which is not among"

printf 'alpha>=1.0 --hash=sha256:%s\n' "$LINUX" >"$T/unpinned.txt"
refuse "$T/unpinned.txt" 2 "$T/unpinned.txt:1: 'alpha>=1.0' is not pinned to one version: write alpha==VERSION"

printf '\n\nalpha==1.* --hash=sha256:%s\n' "$LINUX" >"$T/wild.txt"
# pip counts '==1.*' as pinned (one '==' specifier) and takes it; airlock is stricter
expect_exit 2 "$WHEELPICK" pick 3.11 linux/amd64 "$T/wild.txt" "$TREE" "file://$TREE"
expect_stderr_contains "$T/wild.txt:3: 'alpha==1.*' is a wildcard, not a pin"

printf 'alpha==1.0\n' >"$T/unhashed.txt"
expect_exit 2 "$WHEELPICK" pick 3.11 linux/amd64 "$T/unhashed.txt" "$TREE" "file://$TREE"
expect_stderr_contains "$T/unhashed.txt:1: 'alpha==1.0' has no --hash=sha256:…: hash-checking mode needs one for every requirement"
# (pip alone takes an unhashed file outside hash-checking mode; with one hashed line it refuses)
printf 'alpha==1.0 --hash=sha256:%s\ngamma==3.0\n' "$LINUX" >"$T/unhashed2.txt"
refuse "$T/unhashed2.txt" 2 "$T/unhashed2.txt:2: 'gamma==3.0' has no --hash=sha256:…"

printf 'gamma==3.0 --hash=sha256:%s\n' "$(file_hash "$TREE" gamma-3.0.tar.gz)" >"$T/sdist.txt"
refuse "$T/sdist.txt" 2 "gamma==3.0 ($T/sdist.txt:1) for Python 3.11 on linux/amd64: the index has no wheel of this version, only a source distribution"

printf 'alpha==2.0 --hash=sha256:%s\n' "$LINUX" >"$T/absent.txt"
refuse "$T/absent.txt" 2 "alpha==2.0 ($T/absent.txt:1) for Python 3.11 on linux/amd64: no file of this version on the index page 'file://$TREE/alpha/'"
