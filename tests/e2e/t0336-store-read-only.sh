#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A read-only open never writes. The store is bind-mounted read-only (in a private mount
# namespace: the test runs as root, for whom chmod a-w changes nothing): store ls, store
# fsck, store trust show and serve (healthz, a file, the / page) all work on it, and the
# writers (gc, import) fail with exit 2 and a message, not a crash. The twin: the same
# store mounted read-write changes under gc, which the read-only mount showed it could not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need jq python3 curl unshare mount

file_spec "read me"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
St=$T/store
expect_exit 0 airlock init --store "$St" --trust "$SRCDIR/tests/data/keys/golden/trust.yaml"
expect_exit 0 airlock store trust show --store "$St"
cp "$OUT" "$T/policy"
expect_exit 0 airlock import --trust "$SRCDIR/tests/data/keys/golden/trust.yaml" --store "$St" \
    "$SRCDIR/tests/data/keys/golden/bundle"
head -c 4096 /dev/urandom >"$T/stray"
cp "$T/stray" "$St/blobs/sha256/$(sha256 "$T/stray")"
RO=$T/ro
mkdir -p "$RO"
unshare -m true 2>/dev/null || skip "no mount namespaces here (unshare -m)"

# ro CMD...: runs CMD in a private mount namespace where $RO is $St, read-only
ro() {
    unshare -m bash -c 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" || exit 77; shift 2; exec "$@"' \
        ro "$St" "$RO" "$@"
}
if ro true; then :; else
    rc=$?
    [ "$rc" -eq 77 ] && skip "cannot make a read-only bind mount here"
    fail "the read-only mount failed ($rc)"
fi
ro touch "$RO/x" 2>/dev/null && fail "the read-only mount is writable"
find "$St" -printf '%p %s %T@\n' | LC_ALL=C sort >"$T/before"

expect_exit 0 ro "$AIRLOCK" store ls --store "$RO" --json
assert_eq "$(json "$OUT" '.bundles[0].name')" golden "the bundle listed on a read-only store"
expect_exit 0 ro "$AIRLOCK" store fsck --store "$RO"
expect_stdout_contains "is consistent"
expect_exit 0 ro "$AIRLOCK" store trust show --store "$RO"
cmp -s "$OUT" "$T/policy" || fail "trust show on the read-only store differs"
expect_exit 2 ro "$AIRLOCK" store gc --store "$RO" --wait 0
expect_stderr_contains "Read-only file system"
expect_exit 2 ro "$AIRLOCK" import --allow-unsigned --store "$RO" "$T/b"

# serve: its own namespace lives as long as the server
: >"$T/serve.out"
# (unshare itself, not the function, so that $! is the server: unshare and bash exec it)
unshare -m bash -c 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" || exit 77; shift 2; exec "$@"' \
    ro "$St" "$RO" "$AIRLOCK" serve --store "$RO" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" </dev/null &
pid=$!
BG_PIDS+=("$pid")
serve_wait_url "$T/serve.out" "$T/serve.err" "$pid" "serve on the read-only store"
expect_exit 0 curl -sS --fail --max-time 10 "$URL/healthz"
expect_stdout_contains "ok"
expect_exit 0 curl -sS --fail --max-time 10 -o "$T/note" "$URL/files/note.txt"
cmp -s "$T/note" "$SRCDIR/tests/data/keys/golden/spec/files/note.txt" || fail "the file served differs"
expect_exit 0 curl -sS --fail --max-time 10 "$URL/"
expect_stdout_contains "golden"
kill -TERM "$pid"
wait "$pid" || fail "serve on the read-only store exited $? on SIGTERM"
BG_PIDS=()

find "$St" -printf '%p %s %T@\n' | LC_ALL=C sort >"$T/after"
diff -u "$T/before" "$T/after" >&2 || fail "the store changed under read-only commands"

# the twin: read-write, gc removes the stray blob
expect_exit 0 airlock store gc --store "$St"
expect_stdout_contains "removed 1 unreferenced blobs"
