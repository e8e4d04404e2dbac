#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""token-issuer.py PORT KEY CERT USER PASSWORD LOG: a registry token service for the tests (t0134, t0135).

Answers GET /token?service=S&scope=repository:REPO:ACTIONS[&scope=…] as docker-registry's `auth:
token:` expects (docs/protocols/oci-registry-client.md §3): with HTTP Basic USER:PASSWORD, a
JWT (RS256, signed by `openssl dgst` with KEY, CERT in its x5c header) granting the
actions asked for, as {"token": …}; without or with a wrong credential, 401. Appends one
line per request to LOG: "user=NAME|-|bad scope=… (the scopes, space-separated)" and each token it issued to LOG.tokens
(so a test can check that no token leaks). Stdlib and the openssl CLI only.
"""
import base64
import http.server
import json
import subprocess
import sys
import time
import urllib.parse

port, key, cert, user, password, log = sys.argv[1:7]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(service, scopes):
    grants = []
    for scope in scopes:
        typ, name, actions = scope.split(":")
        grants.append({"type": typ, "name": name, "actions": actions.split(",")})
    now = int(time.time())
    head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    claims = {"iss": "airlock-test-issuer", "sub": user, "aud": service, "exp": now + 600, "nbf": now - 10,
              "iat": now, "jti": str(now), "access": grants}
    signing = b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(), check=True,
                         capture_output=True).stdout
    return signing + "." + b64u(sig)


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        got = self.headers.get("Authorization", "")
        who = "-"
        if got.startswith("Basic "):
            who = "bad"
            if base64.b64decode(got[6:]).decode() == f"{user}:{password}":
                who = user
        with open(log, "a") as f:
            f.write(f"user={who} scope={' '.join(q.get('scope', []))}\n")
        if u.path != "/token" or who != user:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return
        t = token(q.get("service", [""])[0], q.get("scope", []))
        with open(log + ".tokens", "a") as f:
            f.write(t + "\n")
        body = json.dumps({"token": t, "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


http.server.HTTPServer(("127.0.0.1", int(port)), H).serve_forever()
