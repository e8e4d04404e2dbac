#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Two bundles hold a wheel of the same file name with other bytes (a rebuild): the index of
# `airlock serve` lists the file once, with the sha256 of the later import, and serves
# the later bytes (serve.md: "the later import is served"). pip pinned to the later hash
# installs it; pip pinned to the earlier hash must fail with a hash mismatch and install
# nothing. Before the second import the earlier file is what is served (and the earlier
# hash installs), so the test would notice a server that always serves one of the two.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl jq python3

pip_setup

F=air_lock_rebuilt-1.0-py3-none-any.whl
for b in first second; do
    mkdir -p "$T/$b/wheels"
    python3 "$SRCDIR/tests/e2e/rebuilt-wheel.py" "$T/$b/wheels" "$b build" || fail "mkwheel $b"
    printf 'name: rebuilt-%s\nversion: 1\nartifacts:\n  - kind: wheel\n    path: wheels\n' "$b" >"$T/$b/airlock.yaml"
    expect_exit 0 airlock bundle create -f "$T/$b/airlock.yaml" -o "$T/bundle-$b" --quiet
done
H1=$(sha256 "$T/first/wheels/$F")
H2=$(sha256 "$T/second/wheels/$F")
[ "$H1" != "$H2" ] || fail "the two builds are the same bytes"
printf 'air-lock-rebuilt==1.0 --hash=sha256:%s\n' "$H1" >"$T/req1.txt"
printf 'air-lock-rebuilt==1.0 --hash=sha256:%s\n' "$H2" >"$T/req2.txt"
PY0=${PIP_PYS[0]}

STORE=$T/store
expect_exit 0 airlock init --store "$STORE"

# served_is WHEEL HASH: the HTML and JSON pages list the file once with HASH; its bytes are WHEEL
served_is() {
    fetch page "$URL/simple/air-lock-rebuilt/" -H 'Accept: text/html'
    expect_code page 200
    assert_eq "$(grep -o "$F#sha256=[0-9a-f]*" "$T/http/page.body" | sort | uniq -c | sed 's/^ *//')" \
        "1 $F#sha256=$2" "anchors of $F"
    fetch pagej "$URL/simple/air-lock-rebuilt/" -H 'Accept: application/vnd.pypi.simple.v1+json'
    expect_code pagej 200
    assert_eq "$(jq -c '[.files[] | [.filename, .hashes.sha256]]' "$T/http/pagej.body")" \
        "[[\"$F\",\"$2\"]]" "JSON files of air-lock-rebuilt"
    fetch file "$URL/packages/$F"
    expect_code file 200
    body_is file "$1"
}

# ------------------------------------------------------------------ the first build alone
expect_exit 0 airlock import "$T/bundle-first" --store "$STORE" --allow-unsigned -q
serve_start
served_is "$T/first/wheels/$F" "$H1"
pip_venv "$T/v0" "$PY0"
expect_exit 0 pip_for "$PY0" --python "$T/v0/bin/python" install --index-url "$URL/simple/" \
    --no-cache-dir --require-hashes -r "$T/req1.txt"
expect_exit 0 "$T/v0/bin/python" -c 'import air_lock_rebuilt_mod as m; print(m.BUILD)'
assert_eq "$(cat "$OUT")" "first build" "module installed from the first import"
serve_stop

# ------------------------------------------------------------------ the later import wins
expect_exit 0 airlock import "$T/bundle-second" --store "$STORE" --allow-unsigned -q
serve_start
served_is "$T/second/wheels/$F" "$H2"

i=0
for py in "${PIP_PYS[@]}"; do
    i=$((i + 1))
    note "pip $(pip_version "$py") of $py"
    pip_venv "$T/new$i" "$py"
    expect_exit 0 pip_for "$py" --python "$T/new$i/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir --require-hashes -r "$T/req2.txt"
    expect_exit 0 "$T/new$i/bin/python" -c 'import air_lock_rebuilt_mod as m; print(m.BUILD)'
    assert_eq "$(cat "$OUT")" "second build" "module installed from the later import"

    pip_venv "$T/old$i" "$py"
    expect_exit 1 pip_for "$py" --python "$T/old$i/bin/python" install --index-url "$URL/simple/" \
        --no-cache-dir --require-hashes -r "$T/req1.txt"
    expect_stderr_contains "Expected sha256 $H1"
    expect_exit 1 "$T/old$i/bin/python" -c 'import air_lock_rebuilt_mod'
done

serve_alive
serve_stop
