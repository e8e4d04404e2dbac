#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# pip installs from `airlock serve`: every pip on the machine (Debian's python3-pip and
# the first python3 on PATH, when that is another one) installs Debian's own wheels (pip,
# setuptools, wheel) from $URL/simple/ into a fresh venv, in hash-checking mode with the
# sha256 of the files in /usr/share/python-wheels; what lands in the venv is those
# versions, each installed file matching its RECORD hash, and the venv's new pip works.
# `pip download --no-deps` saves a file byte-identical to the source wheel, and a pip that
# reads PEP 714 `core-metadata` (>= 23.2) fetched the .metadata file first (PEP 658).
# The must-fail twins (a corrupted or truncated blob) are in t1103.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl jq

pip_setup
PROJECTS="pip setuptools wheel"
wheels_req "$T/req.txt" $PROJECTS
serve_store
serve_start

# check-venv.py WHEELS_DIR PROJECT...: run by the venv's python (expect_exit closes stdin)
cat >"$T/check-venv.py" <<'PY'
import base64, hashlib, importlib.metadata as md, os, sys
wheels_dir, projects = sys.argv[1], sys.argv[2:]
want = {}
for p in projects:
    f = [x for x in os.listdir(wheels_dir) if x.startswith(p + "-") and x.endswith(".whl")]
    want[p] = f[0].split("-")[1]
got = {d.metadata["Name"].lower(): d.version for d in md.distributions()}
assert got == want, "installed %r, expected %r" % (got, want)
checked = 0
for d in md.distributions():
    for f in d.files or []:
        if not f.hash:
            continue
        h = hashlib.new(f.hash.mode, open(f.locate(), "rb").read()).digest()
        v = base64.urlsafe_b64encode(h).rstrip(b"=").decode()
        assert v == f.hash.value, "%s: installed file differs from its RECORD" % f
        checked += 1
assert checked > 100, "only %d files checked" % checked
print("ok", checked)
PY

i=0
for py in "${PIP_PYS[@]}"; do
    i=$((i + 1))
    pv=$(pip_version "$py")
    note "client $i: pip $pv of $py"
    V=$T/venv$i
    pip_venv "$V" "$py"
    n0=$(log_lines)

    expect_exit 0 pip_for "$py" --python "$V/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir --require-hashes -r "$T/req.txt"
    expect_stdout_contains "Looking in indexes: $URL/simple/"
    expect_stdout_contains "Successfully installed"
    # every wheel came from this server, through its index page
    for p in $PROJECTS; do
        f=$(basename "$(wheel_of "$p")")
        log_since "$n0" GET "/simple/$p/" 200 || fail "pip $pv: no 'GET /simple/$p/' 200 in the access log"
        log_since "$n0" GET "/packages/$f" 200 || fail "pip $pv: no 'GET /packages/$f' 200 in the access log"
    done

    # What is in the venv: exactly these distributions at these versions, every file that
    # RECORD hashes is those bytes, and the pip that came from the server runs.
    expect_exit 0 "$V/bin/python" "$T/check-venv.py" "$WHEELS_DIR" $PROJECTS
    expect_exit 0 "$V/bin/python" -m pip --version
    expect_stdout_contains "pip $(wheel_version "$(wheel_of pip)") from $V/"
    expect_exit 0 "$V/bin/python" -m pip list --format=json
    for p in $PROJECTS; do
        assert_eq "$(jq -r --arg p "$p" '.[] | select(.name | ascii_downcase == $p) | .version' "$OUT")" \
            "$(wheel_version "$(wheel_of "$p")")" "pip list: version of $p in venv $i"
    done
    expect_exit 0 "$V/bin/python" -m pip show wheel
    expect_stdout_contains "Version: $(wheel_version "$(wheel_of wheel)")"
    expect_stdout_contains "Location: $V/lib/"
    expect_exit 0 "$V/bin/python" -c 'import wheel, setuptools, pip; print(wheel.__version__)'
    assert_eq "$(cat "$OUT")" "$(wheel_version "$(wheel_of wheel)")" "wheel.__version__ in venv $i"

    # pip download: the saved file is the source wheel, byte for byte. Without hash
    # checking, a pip that reads `core-metadata` resolves from the .metadata file first.
    for p in $PROJECTS; do
        src=$(wheel_of "$p")
        n1=$(log_lines)
        expect_exit 0 pip_for "$py" download --no-deps --no-cache-dir --index-url "$URL/simple/" \
            -d "$T/dl$i" "$p==$(wheel_version "$src")"
        assert_exists "$T/dl$i/$(basename "$src")"
        cmp -s "$src" "$T/dl$i/$(basename "$src")" ||
            fail "pip $pv download: $(basename "$src") differs from $src ($(sha256 "$T/dl$i/$(basename "$src")") vs $(sha256 "$src"))"
        if "$py" -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (23, 2))'; then
            log_since "$n1" GET "/packages/$(basename "$src").metadata" 200 ||
                fail "pip $pv download $p: the PEP 658 .metadata file was not fetched (is core-metadata in the JSON page?)"
        fi
    done
    [ "$(find "$T/dl$i" -type f | wc -l)" -eq 3 ] || fail "pip download saved other files: $(ls "$T/dl$i")"
done

serve_alive
serve_stop
