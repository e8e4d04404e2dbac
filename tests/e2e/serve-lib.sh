# SPDX-License-Identifier: Apache-2.0
#
# serve-lib.sh: starting and stopping `airlock serve` for the end-to-end tests. Source it
# after lib.sh.
#
#   serve_store          makes the sample data, one unsigned bundle of it and a store
#                        holding it: $S (sample), $B (bundle), $STORE
#   serve_start ARGS...  starts `airlock serve --store $STORE --listen 127.0.0.1:0 ARGS`
#                        in the background, waits for its "listening on URL" line and
#                        sets $URL (no trailing slash), $HOSTPORT and $SERVE_PID; the
#                        access log goes to $T/access.log
#   serve_stop           SIGTERM, and fails the test unless it exits 0 (within 60 s)
#   serve_alive          fails the test if the server has died
#   serve_wait_url, serve_wait_exit   the waits under those two, for a test that starts
#                        the server its own way (under strace, in a mount namespace)
#
# Each of these variables is exported as it is set, for the Python parts of the tests
# (rawhttp.py, found through $E2E_DIR).

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
export E2E_DIR

serve_store() {
    B=$T/bundle
    sample_bundle "$B"
    STORE=$T/store
    export S STORE
    "$AIRLOCK" init --store "$STORE" >/dev/null || fail "init failed"
    "$AIRLOCK" import "$B" --store "$STORE" --allow-unsigned -q >/dev/null \
        || fail "import failed"
}

# serve_wait_url OUT ERR PID WHAT: waits for the "listening on URL/" line that the server
# PID (WHAT, for messages) prints to the file OUT, and sets $URL (no trailing slash) and
# $HOSTPORT; fails the test, showing the file ERR, if PID exits first or after 60 s.
serve_wait_url() {
    wait_until 60 _serve_url_in "$@" || fail "$4 did not print its listening line in 60 s"
    HOSTPORT=${URL#*://}
    export URL HOSTPORT
}
_serve_url_in() {
    URL=$(sed -n 's|^listening on \(https\{0,1\}://[^ ]*\)/$|\1|p;T;q' "$1")
    [ -n "$URL" ] && return 0
    kill -0 "$3" 2>/dev/null || { cat "$2" >&2; fail "$4 exited before listening"; }
    return 1
}

# serve_wait_exit PID: waits up to 60 s for PID to be gone (status 1 if it is not).
serve_wait_exit() { wait_until 60 _serve_gone "$1"; }
_serve_gone() { ! kill -0 "$1" 2>/dev/null; }

serve_start() {
    : >"$T/.serve.out"
    "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 --access-log "$T/access.log" "$@" \
        >"$T/.serve.out" 2>"$T/serve.err" </dev/null &
    SERVE_PID=$!
    export SERVE_PID
    BG_PIDS+=("$SERVE_PID")
    serve_wait_url "$T/.serve.out" "$T/serve.err" "$SERVE_PID" "airlock serve"
}

serve_alive() {
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$T/serve.err" >&2; fail "airlock serve died"; }
}

serve_stop() {
    local rc
    kill -TERM "$SERVE_PID" 2>/dev/null || fail "airlock serve is not running"
    serve_wait_exit "$SERVE_PID" || fail "airlock serve did not stop on SIGTERM in 60 s"
    if wait "$SERVE_PID"; then rc=0; else rc=$?; fi
    [ "$rc" -eq 0 ] || { cat "$T/serve.err" >&2; fail "airlock serve exited $rc on SIGTERM"; }
}
