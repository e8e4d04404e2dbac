#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock serve --channel production` serves only the release on that channel, to the real
# clients (docs/cmd/serve.md "--channel"):
#   - two bundles hold a wheel of one file name with other bytes (a rebuild, imported
#     second); the channel's release pins the first: pip installs the first build by its
#     hash from the channel server, and refuses the second's hash (twin: the whole-store
#     server serves the second build, as it always did);
#   - what the release does not pin is not there: pip finds no `pip` wheel, skopeo no image,
#     the Hub API no model (twin: the whole-store server has all three);
#   - a promotion shows on the running server without a restart (the image, the model and
#     the second build come), and a rollback takes them away again;
#   - a channel with no release refuses to start; --channel with a push token is a usage error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl jq python3 skopeo

pip_setup
PY0=${PIP_PYS[0]}
F=air_lock_rebuilt-1.0-py3-none-any.whl
for b in first second; do
    mkdir -p "$T/$b/wheels"
    python3 "$SRCDIR/tests/e2e/rebuilt-wheel.py" "$T/$b/wheels" "$b build" || fail "mkwheel $b"
    printf 'name: rebuilt-%s\nversion: 1\nartifacts:\n  - kind: wheel\n    path: wheels\n' "$b" >"$T/$b/airlock.yaml"
    expect_exit 0 airlock bundle create -f "$T/$b/airlock.yaml" -o "$T/bundle-$b" --quiet
done
printf 'air-lock-rebuilt==1.0 --hash=sha256:%s\n' "$(sha256 "$T/first/wheels/$F")" >"$T/req1.txt"
printf 'air-lock-rebuilt==1.0 --hash=sha256:%s\n' "$(sha256 "$T/second/wheels/$F")" >"$T/req2.txt"

serve_store   # the sample (a model, Debian's wheels, an image, a file) as demo-stack@1
for b in first second; do
    expect_exit 0 airlock import "$T/bundle-$b" --store "$STORE" --allow-unsigned --quiet
done
sql "$STORE/catalog.db" "UPDATE bundles SET unsigned = 0" >/dev/null   # as if signed: the gates are t1700's
expect_exit 0 airlock release create q1 --from rebuilt-first@1 --from demo-stack@1 --artifacts 'wheel/air-lock-rebuilt' \
    --artifacts 'wheel/setuptools' --artifacts 'file/*' --store "$STORE"
expect_exit 0 airlock release create q2 --from rebuilt-second@1 --from demo-stack@1 --store "$STORE"
expect_exit 0 airlock release promote q1 --to production --store "$STORE"

# a channel with no release does not start; a push token does not go with a channel
expect_exit 2 airlock serve --store "$STORE" --listen 127.0.0.1:0 --channel staging
expect_stderr_contains "channel 'staging' of store '$STORE' has no release: promote one first"
echo token >"$T/token"
expect_exit 64 airlock serve --store "$STORE" --listen 127.0.0.1:0 --channel production --push-token-file "$T/token"

# the whole store, for the twins
serve_start
ALL=$URL ALL_HOST=$HOSTPORT
serve_start --channel production
CH=$URL CH_HOST=$HOSTPORT

# install_build URL REQ: installs air-lock-rebuilt through pip from URL pinned by REQ, into a
# fresh venv; prints the BUILD the module says
N=0
install_build() {
    N=$((N + 1))
    pip_venv "$T/v$N" "$PY0"
    pip_for "$PY0" --python "$T/v$N/bin/python" install --index-url "$1/simple/" --no-cache-dir --require-hashes \
        -r "$2" >"$T/pip$N.log" 2>&1 || { cat "$T/pip$N.log"; return 1; }
    "$T/v$N/bin/python" -c 'import air_lock_rebuilt_mod as m; print(m.BUILD)'
}
# has_image HOST: skopeo finds myorg/app:1.4 there
has_image() { skopeo inspect --tls-verify=false --raw "docker://$1/myorg/app:1.4" >/dev/null 2>&1; }
# code URL: the HTTP status of a GET
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }

# --- production is q1: the first build, the file, setuptools; nothing else
expect_exit 0 install_build "$CH" "$T/req1.txt"
assert_eq "$(cat "$OUT")" "first build" "what the channel server installs"
expect_exit 1 install_build "$CH" "$T/req2.txt"
expect_stdout_contains "THESE PACKAGES DO NOT MATCH THE HASHES"
expect_exit 0 install_build "$ALL" "$T/req2.txt"
assert_eq "$(cat "$OUT")" "second build" "what the whole-store server installs"
fetch root "$CH/simple/" -H 'Accept: application/vnd.pypi.simple.v1+json'
assert_eq "$(jq -c '[.projects[].name]' "$T/http/root.body")" '["air-lock-rebuilt","setuptools"]' "the channel's projects"
fetch rootall "$ALL/simple/" -H 'Accept: application/vnd.pypi.simple.v1+json'
assert_eq "$(jq -c '[.projects[].name]' "$T/http/rootall.body")" '["air-lock-rebuilt","pip","setuptools","wheel"]' \
    "the whole store's projects"
expect_exit 1 pip_for "$PY0" download --no-deps --index-url "$CH/simple/" --dest "$T/dl" pip
expect_stderr_contains "No matching distribution found for pip"
expect_exit 0 pip_for "$PY0" download --no-deps --index-url "$ALL/simple/" --dest "$T/dl" pip
has_image "$CH_HOST" && fail "the channel server serves an image q1 does not pin"
has_image "$ALL_HOST" || fail "the whole-store server lost the image"
assert_eq "$(code "$CH/api/models/local/tiny-model")" 404 "the model on the channel server"
assert_eq "$(code "$ALL/api/models/local/tiny-model")" 200 "the model on the whole-store server"
fetch runbook "$CH/files/runbook.txt"
expect_code runbook 200
body_is runbook "$S/files/runbook.txt"
fetch home "$CH/"
grep -qF 'serves the channel <b>production</b> only: the artifacts of release <code>q1</code>' "$T/http/home.body" ||
    fail "the / page does not say which release it serves"

# --- a promotion shows without a restart; a rollback takes it away again
expect_exit 0 airlock release promote q2 --to production --store "$STORE"
wait_until 60 has_image "$CH_HOST" || fail "the image of q2 did not come to the channel server"
assert_eq "$(code "$CH/api/models/local/tiny-model")" 200 "the model after the promotion"
expect_exit 0 install_build "$CH" "$T/req2.txt"
assert_eq "$(cat "$OUT")" "second build" "what the channel server installs after the promotion"
expect_exit 0 airlock release rollback production --store "$STORE"
_model_gone() { [ "$(code "$CH/api/models/local/tiny-model")" = 404 ]; }
wait_until 60 _model_gone || fail "the model stayed after the rollback"
has_image "$CH_HOST" && fail "the image stayed after the rollback"
expect_exit 0 install_build "$CH" "$T/req1.txt"
assert_eq "$(cat "$OUT")" "first build" "what the channel server installs after the rollback"
serve_alive
