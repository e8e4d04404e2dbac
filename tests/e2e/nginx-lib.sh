# SPDX-License-Identifier: Apache-2.0
#
# nginx-lib.sh: Debian's nginx as an upstream web server for the fetch tests
# (t013N-create-from-*.sh). Source it after lib.sh.
#
#   nginx_start [TLS_CERT TLS_KEY]   serves $T/www on 127.0.0.1:$NGINX_PORT (plain http) and,
#                     with a certificate, on 127.0.0.1:$NGINX_TLS_PORT (https); sets $NGINX_URL and
#                     $NGINX_TLS_URL. Locations: /slow/ is sent at $NGINX_RATE (default 4m)
#                     bytes a second; /norange/ ignores Range (always 200); /private/ answers 401; /flaky/ answers 503 with
#                     Retry-After: 0; $NGINX_EXTRA, when set, is added to that server block, and
#                     $NGINX_HTTP_EXTRA to the http block (an upstream, a log format).
#                     The access log, $NGINX_LOG, has one line per request:
#                     METHOD URI STATUS range="RANGE" sent=BODY_BYTES (nginx writes an absent header as "-")
#                     Readiness is awaited by polling the port (a generous 30 s bound).
#   free_port         prints a free loopback TCP port

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

nginx_start() {
    local d=$T/nginx i tls=""
    need nginx curl
    mkdir -p "$d/tmp" "$T/www"
    NGINX_PORT=$(free_port)
    NGINX_LOG=$d/access.log
    NGINX_URL=http://127.0.0.1:$NGINX_PORT
    if [ $# -eq 2 ]; then
        NGINX_TLS_PORT=$(free_port)
        NGINX_TLS_URL=https://127.0.0.1:$NGINX_TLS_PORT
        tls="server { listen 127.0.0.1:$NGINX_TLS_PORT ssl; ssl_certificate $1; ssl_certificate_key $2; root $T/www; }"
    fi
    cat >"$d/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
    log_format fetch '\$request_method \$uri \$status range="\$http_range" sent=\$body_bytes_sent';
    access_log $NGINX_LOG fetch;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    default_type application/octet-stream;
    ${NGINX_HTTP_EXTRA:-}
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $T/www;
        location /slow/ { limit_rate ${NGINX_RATE:-4m}; }
        location /norange/ { max_ranges 0; }
        location /private/ { return 401; }
        location /flaky/ { add_header Retry-After 0 always; return 503; }
        ${NGINX_EXTRA:-}
    }
    $tls
}
CONF
    nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" >"$d/stdout" 2>&1 </dev/null &
    NGINX_PID=$!
    BG_PIDS+=("$NGINX_PID")
    for i in $(seq 1 600); do
        curl -s -o /dev/null "$NGINX_URL/" && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || { cat "$d/error.log" "$d/stdout" >&2; fail "nginx exited before listening"; }
        sleep 0.05
    done
    fail "nginx did not listen on $NGINX_URL within 30 s"
}
