#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock serve` around the routes: /healthz says ok, and stops saying it while the
# catalog cannot be read (the store moved away, as an unmounted volume would); with
# --tls-cert/--tls-key (a self-signed pair made here by openssl) curl --cacert gets the
# same bytes over https, while curl without the CA, and plain http to that port, get
# nothing; a missing, unreadable or mismatched certificate or key is exit 2 with a message
# naming it, half a pair is 64 (usage); the access log has exactly one valid JSON line per
# request (method, path as received with its quotes, backslash and control characters
# escaped, status, bytes, route), appended across runs, or on standard error without
# --access-log; a second server on a port in use, or one without a store, exits 2 and says
# why, and the first one keeps serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need curl openssl jq python3 timeout

serve_store
CFG=$S/models/tiny-model/config.json
RUNBOOK=$S/files/runbook.txt

# get URL [CURL ARGS...]: status in $CODE, body in $T/b, headers in $T/h.
get() {
    local u=$1
    shift
    : >"$T/b"   # (curl writes no file for an empty body)
    CODE=$(curl -sS --path-as-is -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$u") || fail "curl $u failed"
}

# --- plain http: /healthz and the access log
serve_start
get "$URL/healthz"
assert_eq "$CODE" 200 "status of /healthz"
assert_eq "$(tr -d '\r\n' <"$T/b")" ok "body of /healthz"

# raw REQUEST-TARGET: one HTTP/1.1 request sent byte for byte (curl would encode it);
# prints the status code.
raw() {
    python3 - "$HOSTPORT" "$1" <<'PY' || fail "raw request '$1' failed"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
target = sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1")
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + sys.argv[1].encode() + b"\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.") else "none")
PY
}

# Each request, and the line it must leave: method path status bytes route
# (bytes '-' where the body size is not for this test to say)
: >"$T/want-log"
want() { printf '%s\n' "$*" >>"$T/want-log"; }
want GET /healthz 200 - healthz
get "$URL/local/tiny-model/resolve/main/config.json" -I
assert_eq "$CODE" 200 "HEAD config.json"
want HEAD /local/tiny-model/resolve/main/config.json 200 - hf_resolve
get "$URL/local/tiny-model/resolve/main/config.json"
cmp -s "$CFG" "$T/b" || fail "config.json over http differs"
want GET /local/tiny-model/resolve/main/config.json 200 "$(stat -c %s "$CFG")" hf_resolve
get "$URL/files/runbook.txt"
assert_eq "$CODE" 200 "GET /files/runbook.txt"
cmp -s "$RUNBOOK" "$T/b" || fail "runbook.txt over http differs"
want GET /files/runbook.txt 200 "$(stat -c %s "$RUNBOOK")" files
get "$URL/api/models/local/no-such-model"
assert_eq "$CODE" 404 "GET an unknown model"
want GET /api/models/local/no-such-model 404 - hf_api
get "$URL/files/runbook.txt" -H 'Range: bytes=0-9'
assert_eq "$CODE" 206 "GET /files/runbook.txt with a range"
want GET /files/runbook.txt 206 10 files
code=$(raw '/files/quote"and\\backslash')
[[ $code =~ ^[0-9]{3}$ ]] || fail "no HTTP answer to a path with a quote and a backslash"
want GET '/files/quote"and\backslash' "$code" - -
code=$(raw '/files/ctl\x01\x1b[31m.txt')
[[ $code =~ ^[0-9]{3}$ ]] || fail "no HTTP answer to a path with control characters"
want GET $'/files/ctl\x01\x1b[31m.txt' "$code" - -
serve_alive
serve_stop
NREQ=$(wc -l <"$T/want-log")

assert_exists "$T/access.log"
assert_eq "$(wc -l <"$T/access.log")" "$NREQ" "lines in the access log after $NREQ requests"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" | jq -e 'type == "object"' >/dev/null 2>&1 ||
        fail "access log line $n is not one JSON object: $line"
    printf '%s' "$line" | jq -e '(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$"))
            and .remote == "127.0.0.1" and (.method | type) == "string" and (.path | type) == "string"
            and (.status | type) == "number" and (.bytes | type) == "number" and .bytes >= 0
            and (.route | type) == "string" and (.ms | type) == "number" and .ms >= 0' >/dev/null ||
        fail "access log line $n lacks a field or has one of the wrong type: $line"
done <"$T/access.log"
if grep -qP '[\x00-\x1f]' "$T/access.log"; then fail "the access log holds a raw control character"; fi
# the lines, as a set (workers may finish out of order): method, path, status, bytes, route
python3 - "$T/access.log" "$T/want-log" <<'PY' || fail "the access log does not match the requests made"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = [l.rstrip("\n").split(" ") for l in open(sys.argv[2], encoding="utf-8")]
routes = {w[1]: w[4] for w in want}   # '-': any route
def key(m, p, s, r):
    return (m, p, int(s), r if routes.get(p, "-") != "-" else "-")
gotk = sorted(key(g["method"], g["path"], g["status"], g["route"]) for g in got)
wantk = sorted(key(w[0], w[1], w[2], w[4]) for w in want)
if gotk != wantk:
    sys.exit("got:\n  %s\nwanted:\n  %s" % ("\n  ".join(map(repr, gotk)), "\n  ".join(map(repr, wantk))))
for w in want:
    if w[3] == "-":
        continue
    if not any(g["method"] == w[0] and g["path"] == w[1] and g["status"] == int(w[2]) and g["bytes"] == int(w[3])
               for g in got):
        sys.exit("no line for %s %s %s with bytes %s" % (w[0], w[1], w[2], w[3]))
PY
# appended, not truncated: a second run adds its lines after the first run's
cp "$T/access.log" "$T/access.log.1"
serve_start
get "$URL/healthz"
serve_stop
assert_eq "$(wc -l <"$T/access.log")" $((NREQ + 1)) "lines in the access log after a second run"
head -n "$NREQ" "$T/access.log" | cmp -s - "$T/access.log.1" || fail "the second run rewrote the first run's lines"
# without --access-log the lines go to standard error
"$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 >"$T/plain.out" 2>"$T/plain.err" </dev/null &
P=$!
BG_PIDS+=("$P")
serve_wait_url "$T/plain.out" "$T/plain.err" "$P" "airlock serve without --access-log"
curl -sS -o /dev/null "$URL/stderr-check" || fail "curl failed"
kill -TERM "$P"
wait "$P" || fail "airlock serve exited $? on SIGTERM"
grep '"/stderr-check"' "$T/plain.err" | jq -e '.status == 404' >/dev/null ||
    fail "no access log line on standard error: $(head -c 500 "$T/plain.err")"

# --- TLS with a self-signed certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T/key.pem" -out "$T/cert.pem" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1 || fail "openssl req failed"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T/other-key.pem" -out "$T/other-cert.pem" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl req failed"
serve_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
case $URL in https://127.0.0.1:*) ;; *) fail "the listening line of a TLS server is '$URL', not https://" ;; esac
get "$URL/healthz" --cacert "$T/cert.pem"
assert_eq "$CODE" 200 "status of /healthz over https"
assert_eq "$(tr -d '\r\n' <"$T/b")" ok "body of /healthz over https"
get "$URL/local/tiny-model/resolve/main/model.safetensors" --cacert "$T/cert.pem"
cmp -s "$S/models/tiny-model/model.safetensors" "$T/b" || fail "model.safetensors over https differs"
get "$URL/local/tiny-model/resolve/main/model.safetensors" --cacert "$T/cert.pem" -H 'Range: bytes=0-0'
assert_eq "$CODE" 206 "a range over https"
assert_eq "$(tr -d '\r' <"$T/h" | sed -n 's/^content-range: *//Ip')" \
    "bytes 0-0/$(stat -c %s "$S/models/tiny-model/model.safetensors")" "Content-Range over https"
whls=(/usr/share/python-wheels/pip-*.whl)
whl=${whls[0]}
get "$URL/packages/$(basename "$whl")" --cacert "$T/cert.pem"
assert_eq "$CODE" 200 "GET a wheel over https"
cmp -s "$whl" "$T/b" || fail "the pip wheel ($(stat -c %s "$whl") bytes) over https differs"
# must fail: no CA, another CA, plain http to the TLS port
if curl -sS -o /dev/null "$URL/healthz" 2>/dev/null; then fail "curl trusted the self-signed certificate without --cacert"; fi
if curl -sS -o /dev/null --cacert "$T/other-cert.pem" "$URL/healthz" 2>/dev/null; then
    fail "curl accepted the server with another certificate as its CA"
fi
code=$(curl -sS -o "$T/plain-body" -w '%{http_code}' --max-time 10 "http://$HOSTPORT/healthz" 2>/dev/null) || true
if [ "$code" = 200 ] && [ "$(tr -d '\r\n' <"$T/plain-body")" = ok ]; then
    fail "plain http to the TLS port answered ok"
fi
get "$URL/healthz" --cacert "$T/cert.pem"
assert_eq "$CODE" 200 "/healthz over https after a plain http request"
serve_alive
serve_stop

# --- bad TLS files: exit 2 naming the file; half a pair: usage (64)
# no_serve CODE ARGS...: airlock serve ARGS must exit CODE without ever listening.
no_serve() {
    local want=$1
    shift
    expect_exit "$want" timeout 20 "$AIRLOCK" serve --store "$STORE" --listen 127.0.0.1:0 --access-log "$T/bad.log" "$@"
    expect_stdout_not_contains "listening on"
}
no_serve 2 --tls-cert "$T/nowhere.pem" --tls-key "$T/key.pem"
expect_stderr_contains "$T/nowhere.pem"
no_serve 2 --tls-cert "$T/cert.pem" --tls-key "$T/nokey.pem"
expect_stderr_contains "$T/nokey.pem"
mkdir "$T/dir.pem"
no_serve 2 --tls-cert "$T/dir.pem" --tls-key "$T/key.pem"
expect_stderr_contains "$T/dir.pem"
printf 'not a certificate\n' >"$T/garbage.pem"
no_serve 2 --tls-cert "$T/garbage.pem" --tls-key "$T/key.pem"
expect_stderr_contains "$T/garbage.pem"
no_serve 2 --tls-cert "$T/cert.pem" --tls-key "$T/garbage.pem"
expect_stderr_contains "$T/garbage.pem"
no_serve 2 --tls-cert "$T/cert.pem" --tls-key "$T/other-key.pem"   # the key of another certificate
grep -qiE "match|$T/other-key.pem" "$ERR" || fail "a mismatched key is not named: $(cat "$ERR")"
no_serve 64 --tls-cert "$T/cert.pem"
no_serve 64 --tls-key "$T/key.pem"

# --- a port in use, a missing store: exit 2, and the running server keeps serving
serve_start
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$STORE" --listen "$HOSTPORT" --access-log "$T/bad.log"
grep -qiE 'address (already )?in use' "$ERR" || fail "a port in use is not said so: $(cat "$ERR")"
expect_stderr_contains "$HOSTPORT"
expect_exit 2 timeout 20 "$AIRLOCK" serve --store "$T/nowhere" --listen 127.0.0.1:0 --access-log "$T/bad.log"
expect_stderr_contains "no store at '$T/nowhere'"
assert_absent "$T/nowhere"
get "$URL/healthz"
assert_eq "$CODE" 200 "the first server's /healthz after the second failed"

# --- /healthz is not ok once the catalog cannot be read: the store's volume went away (here:
# the store directory is moved, so $STORE/catalog.db is no more), and ok again when it is back
healthz_down() { get "$URL/healthz"; [ "$CODE" != 200 ]; }
healthz_up() { get "$URL/healthz"; [ "$CODE" = 200 ]; }
mv "$STORE" "$STORE.gone"
wait_until 60 healthz_down || fail "/healthz still answers 200 '$(tr -d '\r\n' <"$T/b")' with the store (and its catalog) gone"
[ "$(tr -d '\r\n' <"$T/b")" != ok ] || fail "/healthz says ok with status $CODE"
mv "$STORE.gone" "$STORE"
wait_until 60 healthz_up || true
assert_eq "$CODE" 200 "/healthz once the store is back"
assert_eq "$(tr -d '\r\n' <"$T/b")" ok "body of /healthz once the store is back"
serve_alive
serve_stop
