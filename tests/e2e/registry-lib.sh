# SPDX-License-Identifier: Apache-2.0
#
# registry-lib.sh: Debian's docker-registry for the tests that pull from or push to a
# registry (t0134, t0135). Source it after lib.sh and nginx-lib.sh (free_port).
#
#   registry_start NAME VAR [AUTH_YAML [HTTP_YAML]]
#                     a docker-registry on a free loopback port, configured in $T/NAME, its
#                     host:port in VAR. Storage is $T/NAME/storage, or $SHARED_STORAGE when
#                     set (not REGISTRY_*: docker-registry reads those as its own settings; replicas
#                     that share one directory, as distribution documents for
#                     high availability, must also share the http secret, which is fixed here).
#                     Readiness is awaited by polling /v2/ (a generous 60 s bound).
#   token_registry_start USER PASSWORD
#                     token-issuer.py on $TP (its key and certificate $T/tok.key, $T/tok.pem, its
#                     log $T/issuer.log, the tokens it issued $T/issuer.log.tokens) and a
#                     docker-registry with token auth that trusts it, its host:port in $Q.

registry_start() {
    local port d=$T/$1
    port=$(free_port)
    mkdir -p "$d"
    cat >"$d/config.yml" <<CONF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: ${SHARED_STORAGE:-$d/storage}}}
http: {addr: 127.0.0.1:$port, secret: airlock-test${4:+, $4}}
${3:-}
CONF
    docker-registry serve "$d/config.yml" >"$d/log" 2>&1 </dev/null &
    BG_PIDS+=("$!")
    wait_until 60 curl -s -o /dev/null "http://127.0.0.1:$port/v2/" || fail "docker-registry did not listen on $port"
    printf -v "$2" '127.0.0.1:%s' "$port"
}

token_registry_start() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$T/tok.key" -out "$T/tok.pem" -subj /CN=airlock-test-issuer \
        >/dev/null 2>&1 || fail "openssl req failed"
    TP=$(free_port)
    python3 "$SRCDIR/tests/e2e/token-issuer.py" "$TP" "$T/tok.key" "$T/tok.pem" "$1" "$2" "$T/issuer.log" \
        >"$T/issuer.out" 2>&1 </dev/null &
    BG_PIDS+=("$!")
    wait_until 60 curl -s -o /dev/null "http://127.0.0.1:$TP/" || fail "token-issuer.py did not listen on $TP"
    registry_start treg Q "auth: {token: {realm: 'http://127.0.0.1:$TP/token', service: airlock-test-registry, issuer: airlock-test-issuer, rootcertbundle: $T/tok.pem}}"
}
