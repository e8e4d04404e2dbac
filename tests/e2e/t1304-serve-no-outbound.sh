#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, no outbound connection, ever: the server runs under strace -f (every thread)
# while every route is exercised, including the requests a proxy or a pull-through cache
# would forward upstream (unknown images, projects, models and files, ?ns=, an absolute
# request target, CONNECT, a foreign Host, push attempts with mount/from). Afterwards
# the trace holds no connect() at all, no send with a destination address, and no
# socket() beyond the listening one. The twins: the trace did see the server (its
# listening socket and the accepted connections), and the same strace over curl does
# record curl's connect(), so the check can fail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need strace curl python3 jq

strace -f -o /dev/null true >/dev/null 2>&1 || skip "strace cannot trace here (ptrace not permitted)"

serve_store
TRACE=$T/serve.strace
TRACED="connect,sendto,sendmsg,sendmmsg,socket,listen,accept,accept4"

# serve_start, but under strace; $SERVE_PID is the server itself (strace exec's into it)
out=$T/.serve.out
: >"$out"
# (LeakSanitizer cannot run under ptrace: an ASan build must not try, or it fails at exit)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
strace -f -qq -e trace="$TRACED" -e signal=none -o "$TRACE" \
    sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/serve.pid" \
    "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 --access-log "$T/access.log" \
    >"$out" 2>"$T/serve.err" </dev/null &
STRACE_PID=$!
BG_PIDS+=("$STRACE_PID")
serve_wait_url "$out" "$T/serve.err" "$STRACE_PID" "airlock serve (under strace)"
SERVE_PID=$(cat "$T/serve.pid")
BG_PIDS+=("$SERVE_PID")

M=$(jq -r '.manifests[0].digest' "$S/images/app-oci/index.json")
L=$(jq -r '.layers[0].digest' "$STORE/blobs/sha256/${M#sha256:}")
W=pip-23.0.1-py3-none-any.whl
requests=0
# hit URL [curl args...]: any status is fine here; what matters is what the server does
hit() {
    local path=$1
    shift
    requests=$((requests + 1))
    curl -s -o /dev/null --max-time 10 "$@" "$URL$path" || true
}
for p in /v2/ /v2/_catalog "/v2/_catalog?n=1" /v2/myorg/app/tags/list "/v2/myorg/app/tags/list?n=1&last=1.0" \
         /v2/myorg/app/manifests/1.4 "/v2/myorg/app/manifests/$M" "/v2/myorg/app/blobs/$L" \
         "/v2/myorg/app/referrers/$M" "/v2/myorg/app/referrers/$M?artifactType=x%2Fy" \
         /v2/library/ubuntu/manifests/latest "/v2/library/ubuntu/manifests/latest?ns=docker.io" \
         "/v2/library/ubuntu/blobs/sha256:$(printf '%064d' 0)" /v2/docker.io/library/alpine/tags/list \
         /simple/ /simple/pip/ /simple/Pip /simple/pip "/simple/pip/?format=application/vnd.pypi.simple.v1+json" \
         /simple/requests/ /simple/numpy "/packages/$W" "/packages/$W.metadata" /packages/requests-2.0-py3-none-any.whl \
         /api/models/local/tiny-model /api/models/local/tiny-model/revision/main \
         "/api/models/local/tiny-model/tree/main?recursive=true" /api/models/local/tiny-model/tree/main/sub \
         /local/tiny-model/resolve/main/config.json /local/tiny-model/resolve/main/adapter_config.json \
         /local/tiny-model/resolve/0123456789abcdef0123456789abcdef01234567/config.json \
         /api/models/gpt2 /gpt2/resolve/main/config.json /openai/gpt-oss-20b/resolve/main/config.json \
         /api/datasets/squad /datasets/squad/resolve/main/README.md /api/whoami-v2 \
         /files/runbook.txt /files/no-such-file /healthz /metrics / /favicon.ico /robots.txt; do
    hit "$p"
    hit "$p" -I
done
hit /v2/myorg/app/blobs/"$L" -H "Range: bytes=0-0"
hit /local/tiny-model/resolve/main/config.json -H "Range: bytes=0-0"
hit /v2/myorg/app/manifests/1.4 -H "Host: registry-1.docker.io"
hit /simple/pip/ -H "Host: pypi.org" -H "X-Forwarded-Host: pypi.org"
hit /api/models/gpt2 -H "Host: huggingface.co"
hit /v2/myorg/app/blobs/uploads/ -X POST
hit "/v2/myorg/app/blobs/uploads/?mount=$L&from=library/ubuntu" -X POST
hit "/v2/myorg/app/blobs/uploads/?digest=$L" -X POST --data-binary x
hit /v2/myorg/app/manifests/evil -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" --data-binary '{}'
# a proxy request (absolute target) and CONNECT, sent raw
python3 - <<'PY' || fail "the raw proxy requests could not be sent"
import os, sys
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp
hp = os.environ["HOSTPORT"]
for data in (b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
             b"GET http://10.255.255.1:80/v2/ HTTP/1.1\r\nHost: 10.255.255.1\r\n\r\n",
             b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
             b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
             b"GET /v2/ HTTP/1.1\r\nHost: " + hp.encode() + b"\r\n\r\n"):
    r = rawhttp.exchange(hp, data, timeout=10)
    if r.no_connect:
        sys.exit("the server does not accept connections: " + r.error)
PY
requests=$((requests + 5))
curl -s --max-time 10 "$URL/healthz" >/dev/null || fail "the server stopped answering under strace"
# stop it cleanly: strace exits with the server's status
kill -TERM "$SERVE_PID" 2>/dev/null || fail "airlock serve (under strace) is not running"
serve_wait_exit "$STRACE_PID" || fail "airlock serve under strace did not stop on SIGTERM in 60 s"
if wait "$STRACE_PID"; then rc=0; else rc=$?; fi
[ "$rc" -eq 0 ] || { cat "$T/serve.err" >&2; fail "airlock serve (under strace) exited $rc on SIGTERM"; }

# the twins: the trace saw the server; the same trace over curl sees curl's connect()
grep -E '^[0-9]+ +listen\(' "$TRACE" >/dev/null || fail "the trace does not show the server's listen(): was it traced?"
accepts=$(grep -cE '^[0-9]+ +(accept4?\([0-9]+, |<\.\.\. accept4? resumed>).*\) = [0-9]+$' "$TRACE" || true)
[ "$accepts" -ge "$requests" ] ||
    fail "the trace shows $accepts accepted connections for $requests requests: threads not traced?"
strace -f -qq -e trace="$TRACED" -e signal=none -o "$T/curl.strace" \
    curl -s -o /dev/null --max-time 10 "$URL/healthz" 2>/dev/null || true
grep -E "connect\([0-9]+, \{sa_family=AF_INET, sin_port=htons\(${HOSTPORT##*:}\)" "$T/curl.strace" >/dev/null ||
    fail "the twin: strace over curl shows no connect() to the server's port"

# the check itself
if grep -E '^[0-9]+ +connect\(' "$TRACE" >"$T/connects"; then
    cat "$T/connects" >&2
    fail "the server called connect() (above)"
fi
if grep -E '^[0-9]+ +send(to|msg|mmsg)\(' "$TRACE" | grep -F 'sa_family' >"$T/sends"; then
    cat "$T/sends" >&2
    fail "the server sent to an address of its own choosing (above)"
fi
sockets=$(grep -cE '^[0-9]+ +socket\(' "$TRACE" || true)
listens=$(grep -cE '^[0-9]+ +listen\(' "$TRACE" || true)
if [ "$sockets" -ne "$listens" ]; then
    grep -E '^[0-9]+ +(socket|listen)\(' "$TRACE" >&2
    fail "the server made $sockets sockets but listens on $listens (above): what are the others for?"
fi
grep -E '^[0-9]+ +socket\(' "$TRACE" | grep -vE 'socket\(AF_INET6?, SOCK_STREAM' >&2 &&
    fail "the server made a socket that is not a TCP one (above)"
note "$requests requests, $accepts connections accepted, no connect(), $sockets socket(s), all listening"
