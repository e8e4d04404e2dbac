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
#   serve_stop           SIGTERM, and fails the test unless it exits 0 within 10 s
#   serve_alive          fails the test if the server has died

serve_store() {
    B=$T/bundle
    sample_bundle "$B"
    STORE=$T/store
    "$AIRLOCK" init --store "$STORE" >/dev/null || fail "init failed"
    "$AIRLOCK" import "$B" --store "$STORE" --allow-unsigned -q >/dev/null \
        || fail "import failed"
}

serve_start() {
    local out=$T/.serve.out i
    : >"$out"
    "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 --access-log "$T/access.log" "$@" \
        >"$out" 2>"$T/serve.err" </dev/null &
    SERVE_PID=$!
    BG_PIDS+=("$SERVE_PID")
    for i in $(seq 1 200); do
        URL=$(sed -n 's|^listening on \(https\{0,1\}://[^ ]*\)/$|\1|p' "$out" | head -n 1)
        [ -n "$URL" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || {
            cat "$T/serve.err" >&2
            fail "airlock serve exited before listening"
        }
        sleep 0.05
    done
    [ -n "$URL" ] || fail "airlock serve did not print its listening line in 10 s"
    HOSTPORT=${URL#*://}
}

serve_alive() {
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$T/serve.err" >&2; fail "airlock serve died"; }
}

serve_stop() {
    local i rc
    kill -TERM "$SERVE_PID" 2>/dev/null || fail "airlock serve is not running"
    for i in $(seq 1 200); do
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$SERVE_PID" 2>/dev/null && fail "airlock serve did not stop on SIGTERM"
    if wait "$SERVE_PID"; then rc=0; else rc=$?; fi
    [ "$rc" -eq 0 ] || { cat "$T/serve.err" >&2; fail "airlock serve exited $rc on SIGTERM"; }
}
