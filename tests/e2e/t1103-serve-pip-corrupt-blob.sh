#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The must-fail twins of t1100: what `airlock serve` hands pip is checked by pip.
# - The wheel's blob in the store corrupted (one bit flipped, same size, so the server
#   cannot tell): every pip refuses it with a hash mismatch naming the expected sha256 (the
#   source wheel's) and the sha256 of the corrupted bytes, in hash-checking mode and also
#   without it (the index's #sha256= fragment is checked), and installs nothing;
#   `pip download` saves nothing. Restored, the same install succeeds.
# - The .metadata blob corrupted: a pip that reads core-metadata (>= 23.2) refuses it.
# - The wheel's blob one byte shorter or longer than the catalog says: the server does not
#   send it (500 for GET, a range and HEAD, logged with the blob named), pip fails and
#   installs nothing, the server stays up; restored, it is served again byte for byte.
# Every change to a blob is made in place, as damage on disk would be.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl

pip_setup
W=$(wheel_of wheel)
F=$(basename "$W")
VER=$(wheel_version "$W")
H=$(sha256 "$W")
wheels_req "$T/req.txt" wheel
serve_store
BLOB=$STORE/blobs/sha256/$H
assert_exists "$BLOB"
cmp -s "$W" "$BLOB" || fail "the store's blob $H is not the wheel $W"
cp "$BLOB" "$T/blob.orig"
serve_start

# nothing_installed VENV: no distribution at all in the venv, and 'wheel' does not import.
cat >"$T/nothing.py" <<'PY'
import importlib.metadata as md, importlib.util, sys
dists = [d.metadata["Name"] for d in md.distributions()]
assert not dists, "installed: %r" % dists
assert importlib.util.find_spec("wheel") is None, "'wheel' is importable"
PY
nothing_installed() {
    expect_exit 0 "$1/bin/python" "$T/nothing.py"
}
# expect_got HEX: pip's hash report names HEX as what it received.
expect_got() {
    grep -qE "Got +$1" "$ERR" || fail "pip's stderr lacks 'Got $1'"
}
pip_at_least_23_2() {
    "$1" -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (23, 2))'
}
restore_blob() {
    cat "$T/blob.orig" >"$BLOB" || fail "cannot restore $BLOB"
}

# ---------------------------------------------------------------- same size, one bit flipped
chmod u+w "$BLOB" 2>/dev/null || true
flip_byte "$BLOB"
BAD=$(sha256 "$BLOB")
[ "$BAD" != "$H" ] || fail "flip_byte did not change $BLOB"
[ "$(stat -c %s "$BLOB")" = "$(stat -c %s "$W")" ] || fail "flip_byte changed the size"

i=0
for py in "${PIP_PYS[@]}"; do
    i=$((i + 1))
    pv=$(pip_version "$py")
    note "client $i: pip $pv of $py"

    pip_venv "$T/bad$i" "$py"
    expect_exit 1 pip_for "$py" --python "$T/bad$i/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir --require-hashes -r "$T/req.txt"
    expect_stderr_contains "THESE PACKAGES DO NOT MATCH THE HASHES"
    expect_stderr_contains "Expected sha256 $H"
    expect_got "$BAD"
    expect_stdout_not_contains "Successfully installed"
    nothing_installed "$T/bad$i"

    # without --require-hashes the index's #sha256= is what pip checks
    pip_venv "$T/bad${i}b" "$py"
    expect_exit 1 pip_for "$py" --python "$T/bad${i}b/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir "wheel==$VER"
    expect_stderr_contains "Expected sha256 $H"
    expect_got "$BAD"
    nothing_installed "$T/bad${i}b"

    mkdir -p "$T/dl$i"
    expect_exit 1 pip_for "$py" download --no-deps --no-cache-dir --index-url "$URL/simple/" \
        -d "$T/dl$i" "wheel==$VER"
    expect_stderr_contains "Expected sha256 $H"
    [ -z "$(ls -A "$T/dl$i")" ] || fail "pip $pv download left files behind: $(ls -A "$T/dl$i")"
done

# Restored: the very same install now works (the failure above was the corruption).
restore_blob
py=${PIP_PYS[0]}
pip_venv "$T/good" "$py"
expect_exit 0 pip_for "$py" --python "$T/good/bin/python" install --index-url "$URL/simple/" \
    --no-cache-dir --require-hashes -r "$T/req.txt"
expect_stdout_contains "Successfully installed wheel-$VER"

# ---------------------------------------------------------------- the .metadata file corrupted
wheel_metadata "$W" "$T/METADATA"
MH=$(sha256 "$T/METADATA")
MBLOB=$STORE/blobs/sha256/$MH
assert_exists "$MBLOB"
cp "$MBLOB" "$T/meta.orig"
chmod u+w "$MBLOB" 2>/dev/null || true
flip_byte "$MBLOB"
tested=0
for py in "${PIP_PYS[@]}"; do
    pip_at_least_23_2 "$py" || continue
    tested=1
    rm -rf "$T/dlm" && mkdir "$T/dlm"
    expect_exit 1 pip_for "$py" download --no-deps --no-cache-dir --index-url "$URL/simple/" \
        -d "$T/dlm" "wheel==$VER"
    expect_stderr_contains "Expected sha256 $MH"
    [ -z "$(ls -A "$T/dlm")" ] || fail "pip download left files behind: $(ls -A "$T/dlm")"
done
[ "$tested" = 1 ] || note "no pip >= 23.2 here: the corrupted .metadata case was not run"
cat "$T/meta.orig" >"$MBLOB"

# ---------------------------------------------------------------- size differs from the catalog
# check_refused WHAT: GET, a range and HEAD of the wheel are 500 and nothing of the blob is
# sent; the access log has the 500 and the server's log names the blob; pip fails.
check_refused() {
    local n0
    n0=$(log_lines)
    fetch "$1-get" "$URL/packages/$F"
    expect_code "$1-get" 500
    ! cmp -s "$T/http/$1-get.body" "$BLOB" || fail "$1: the blob was sent with the 500"
    [ "$(stat -c %s "$T/http/$1-get.body")" -lt 4096 ] || fail "$1: a 500 with a body of $(stat -c %s "$T/http/$1-get.body") bytes"
    fetch "$1-range" "$URL/packages/$F" -H 'Range: bytes=0-0'
    expect_code "$1-range" 500
    fetch "$1-head" "$URL/packages/$F" -I
    expect_code "$1-head" 500
    log_since "$n0" GET "/packages/$F" 500 || fail "$1: no GET /packages/$F 500 in the access log"
    grep -q -e "$H" -e "$F" "$T/serve.err" ||
        fail "$1: the server's log does not name the blob ($H) or the wheel: $(tail -n 5 "$T/serve.err")"
    pip_venv "$T/venv-$1" "${PIP_PYS[0]}"
    expect_exit 1 pip_for "${PIP_PYS[0]}" --python "$T/venv-$1/bin/python" install \
        --index-url "$URL/simple/" --no-cache-dir --require-hashes -r "$T/req.txt"
    expect_stdout_not_contains "Successfully installed"
    nothing_installed "$T/venv-$1"
    serve_alive
}

truncate -s -1 "$BLOB"
check_refused truncated
restore_blob
printf 'x' >>"$BLOB"
check_refused extended

# restored: served again, byte for byte
restore_blob
fetch restored "$URL/packages/$F"
expect_code restored 200
body_is restored "$W"

serve_stop
