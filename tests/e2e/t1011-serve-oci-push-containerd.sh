#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, pushes from containerd's `ctr` (a real containerd, started by the test with its
# own root, state and socket): with the token the sample image is pushed and pulled back by
# skopeo with the same digest; without credentials a push of a new tag whose blobs are
# already there goes straight to the manifest PUT, which is refused (401) quickly — ctr
# writes the whole body before it reads, and used to hang for ever when the refusal came
# before the body and the connection closed; a wrong token is 403. The twin at the HTTP
# level: a refused small manifest body is read first and the connection stays open for the
# next request, while a refused blob upload is still answered before its body, with the
# connection closed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need containerd ctr skopeo python3 jq timeout
[ "$(id -u)" -eq 0 ] || fail "containerd needs root (the suite runs as root: scripts/test)"

make_sample "$S"
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
push_token
serve_start --push-token-file "$T/token"

# a containerd of the test's own, on a socket in $T
C=$T/ctrd
mkdir -p "$C"
cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$C/sock"
EOF
containerd --config "$C/config.toml" >"$C/log" 2>&1 </dev/null &
BG_PIDS+=("$!")
for i in $(seq 1 600); do
    [ -S "$C/sock" ] && ctr -a "$C/sock" version >/dev/null 2>&1 && break
    kill -0 "${BG_PIDS[-1]}" 2>/dev/null || { cat "$C/log" >&2; fail "containerd exited"; }
    sleep 0.1
done
ctr -a "$C/sock" version >/dev/null 2>&1 || { tail -20 "$C/log" >&2; fail "containerd did not answer in 60 s"; }
ctr_() { ctr -a "$C/sock" "$@"; }

expect_exit 0 skopeo copy "oci:$S/images/app-oci:1.4" "oci-archive:$T/app.tar:docker.io/library/app:1.4"
expect_exit 0 ctr_ images import --no-unpack "$T/app.tar"
want=$(skopeo inspect --raw "oci:$S/images/app-oci:1.4" | sha256sum | cut -d' ' -f1)

# with the token: pushed, and the same digest comes back
expect_exit 0 timeout 120 ctr -a "$C/sock" images push --plain-http --user "ci:$TOKEN" \
    "$HOSTPORT/pushed/app:v1" docker.io/library/app:1.4
expect_exit 0 skopeo inspect --tls-verify=false "docker://$HOSTPORT/pushed/app:v1"
assert_eq "$(jq -r .Digest "$OUT")" "sha256:$want" "the digest skopeo reads back"
# /metrics counts what the push committed: the manifest, and the config and each layer
metric() { curl -sS "$URL/metrics" | awk -v n="$1" '$1 == n {print $2}'; }
nblobs=$(skopeo inspect --raw "oci:$S/images/app-oci:1.4" | jq '.layers | length + 1')
assert_eq "$(metric airlock_push_manifests_total)" 1 "manifests pushed"
assert_eq "$(metric airlock_push_blobs_total)" "$nblobs" "blobs pushed"

# without credentials: the blobs are there, so ctr's first write is the manifest PUT;
# refused in well under a minute (it used to hang)
t0=$(date +%s)
expect_exit 1 timeout 60 ctr -a "$C/sock" images push --plain-http "$HOSTPORT/pushed/app:v2" docker.io/library/app:1.4
expect_stderr_contains "401 Unauthorized"
[ $(($(date +%s) - t0)) -lt 30 ] || fail "the refusal took $(($(date +%s) - t0)) s"
expect_exit 1 timeout 60 ctr -a "$C/sock" images push --plain-http --user "ci:not-the-token" \
    "$HOSTPORT/pushed/app:v3" docker.io/library/app:1.4
expect_stderr_contains "403 Forbidden"
expect_exit 0 skopeo inspect --tls-verify=false "docker://$HOSTPORT/pushed/app:v1"
assert_eq "$(metric airlock_push_manifests_total)" 1 "manifests pushed, after the refused pushes"
expect_exit 1 skopeo inspect --tls-verify=false "docker://$HOSTPORT/pushed/app:v2"
expect_stderr_contains "manifest unknown"

# the same at the HTTP level, on one connection
export HOSTPORT E2E_DIR=$(cd "$(dirname "$0")" && pwd -P)
python3 - >"$T/http.out" 2>&1 <<'PY' || { cat "$T/http.out" >&2; fail "refusals of small and large bodies were mishandled (above)"; }
import os, sys
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp
hp = os.environ["HOSTPORT"]
problems = []
s = rawhttp.connect(hp, timeout=30)
body = b'{"schemaVersion":2}' + b" " * 2000
s.sendall(b"PUT /v2/pushed/app/manifests/v9 HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
buf = [b""]
r = rawhttp.read_response(s, buf=buf)
if r.status != 401 or (r.header("connection") or "").lower() == "close":
    problems.append("a small refused manifest: expected 401 on a kept connection, got " + r.describe())
s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
r = rawhttp.read_response(s, buf=buf)
if r.status != 401:
    problems.append("the next request on the same connection: expected 401 (a challenge), got " + r.describe())
s.close()
# a blob upload is refused before its body, and the connection closes
s = rawhttp.connect(hp, timeout=30)
s.sendall(b"POST /v2/pushed/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
r = rawhttp.read_response(s)
if r.status != 401:
    problems.append("a blob upload with its body unsent: expected 401 at once, got " + r.describe())
s.close()
for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
PY
serve_alive
serve_stop
