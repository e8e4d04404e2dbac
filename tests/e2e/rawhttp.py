# SPDX-License-Identifier: Apache-2.0
#
# rawhttp.py: a tiny HTTP/1.1 client over a bare socket, for the hostile-request tests
# (t13xx). Nothing is normalized: the bytes given are the bytes sent, so `..`, `%2e%2e`,
# `//`, backslashes, NULs and overlong UTF-8 reach the server as written. The response is
# parsed just enough to check it: status line, headers, a body by Content-Length,
# chunked or up to EOF.
#
# Used by the tests through   sys.path.insert(0, os.environ["E2E_DIR"]); import rawhttp
# (serve-lib.sh exports E2E_DIR, and HOSTPORT, S, STORE and SERVE_PID as it sets them).
# A test collects what is wrong in a list of problems and ends with report(problems).

import json
import re
import socket
import time

SPEC_CODES = {
    # OCI distribution-spec error codes and the status each one goes with (serve.md)
    "BLOB_UNKNOWN": 404, "BLOB_UPLOAD_INVALID": 400, "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400, "MANIFEST_BLOB_UNKNOWN": 404, "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404, "NAME_INVALID": 400, "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400, "UNAUTHORIZED": 401, "DENIED": 403, "UNSUPPORTED": 405,
    "TOOMANYREQUESTS": 429,
}


class Resp:
    def __init__(self):
        self.status = None      # None: the connection closed without a status line
        self.reason = ""
        self.version = ""
        self.headers = []       # [(lower-case name, value)]
        self.body = b""
        self.error = None       # an exception text, if the exchange broke
        self.timed_out = False  # no answer and no close within the timeout
        self.no_connect = False # the server did not even accept the connection
        self.raw_head = b""

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def __repr__(self):
        return "<%s %s %r body=%dB%s>" % (
            self.status, self.reason, self.headers[:12], len(self.body),
            " error=" + self.error if self.error else "")

    @property
    def closed(self):
        """The server closed (or reset) the connection without a status line."""
        return self.status is None and not self.timed_out and not self.no_connect

    def describe(self):
        return "status=%s headers=%r body[:300]=%r error=%s" % (
            self.status, self.headers[:20], self.body[:300], self.error)


def connect(hostport, timeout=10.0):
    host, port = hostport.rsplit(":", 1)
    s = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    return s


def _readline(sock, buf):
    while b"\r\n" not in buf[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf[0] += chunk
    line, rest = buf[0].split(b"\r\n", 1)
    buf[0] = rest
    return line


def _readn(sock, buf, n):
    """n bytes: those already in buf first, then from the socket, a bounded recv at a
    time into one growing bytearray (never a recv of n bytes, never a concatenation
    of immutable bytes, which is quadratic for a large body)."""
    have = buf[0]
    if len(have) >= n:
        out, buf[0] = have[:n], have[n:]
        return bytes(out)
    out = bytearray(have)
    buf[0] = b""
    while len(out) < n:
        chunk = sock.recv(min(1 << 20, n - len(out)))
        if not chunk:
            raise EOFError("connection closed after %d of %d body bytes" % (len(out), n))
        out += chunk
    return bytes(out)


def read_response(sock, head=False, buf=None):
    """Reads one response from sock. buf is a one-element list holding bytes already
    received (for pipelining); it is updated with what follows the response."""
    if buf is None:
        buf = [b""]
    r = Resp()
    try:
        # the head
        while b"\r\n\r\n" not in buf[0]:
            chunk = sock.recv(65536)
            if not chunk:
                if buf[0]:
                    r.error = "closed in the middle of a response head: %r" % buf[0][:200]
                else:
                    r.error = "closed without a response"
                return r
            buf[0] += chunk
            if len(buf[0]) > 1 << 20:
                r.error = "response head over 1 MiB"
                return r
        headb, buf[0] = buf[0].split(b"\r\n\r\n", 1)
        r.raw_head = headb
        lines = headb.split(b"\r\n")
        m = re.match(rb"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
        if not m:
            r.error = "bad status line %r" % lines[0][:200]
            return r
        r.version = m.group(1).decode()
        r.status = int(m.group(2))
        r.reason = (m.group(3) or b"").decode("latin-1")
        for ln in lines[1:]:
            if b":" not in ln:
                r.error = "bad header line %r" % ln[:200]
                return r
            k, v = ln.split(b":", 1)
            r.headers.append((k.decode("latin-1").strip().lower(),
                              v.decode("latin-1").strip()))
        # the body
        if head or r.status in (204, 304) or 100 <= r.status < 200:
            return r
        te = (r.header("transfer-encoding") or "").lower()
        cl = r.header("content-length")
        if "chunked" in te:
            body = bytearray()
            while True:
                size = int(_readline(sock, buf).split(b";")[0], 16)
                if size == 0:
                    while _readline(sock, buf) != b"":
                        pass
                    break
                body += _readn(sock, buf, size)
                _readline(sock, buf)
            r.body = bytes(body)
        elif cl is not None:
            r.body = _readn(sock, buf, int(cl))
        else:
            body = bytearray(buf[0])
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                body += chunk
            r.body, buf[0] = bytes(body), b""
    except socket.timeout as e:
        r.error = "timed out: %s" % e
        r.timed_out = True
    except (OSError, EOFError, ValueError) as e:
        r.error = "%s: %s" % (type(e).__name__, e)
    return r


def exchange(hostport, data, head=False, timeout=10.0):
    """Sends the bytes `data` on a new connection and reads one response."""
    try:
        s = connect(hostport, timeout)
    except OSError as e:
        r = Resp()
        r.error = "connect: %s" % e
        r.no_connect = True
        return r
    try:
        try:
            s.sendall(data)
        except OSError as e:
            # the server may refuse early (431, 414) and close: read what it said
            r = read_response(s, head)
            if r.status is None:
                r.error = "send: %s; then %s" % (e, r.error)
            return r
        return read_response(s, head)
    finally:
        s.close()


def request(hostport, method, target, headers=None, body=b"", version="HTTP/1.1",
            timeout=10.0):
    """A request with the target sent byte for byte (bytes or latin-1 str)."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    if isinstance(method, str):
        method = method.encode("latin-1")
    h = [(b"Host", hostport.encode()), (b"Connection", b"close")]
    for k, v in (headers or {}).items():
        h.append((k.encode("latin-1") if isinstance(k, str) else k,
                  v.encode("latin-1") if isinstance(v, str) else v))
    if body or method in (b"PUT", b"POST", b"PATCH"):
        h.append((b"Content-Length", str(len(body)).encode()))
    data = method + b" " + target + b" " + version.encode() + b"\r\n"
    data += b"".join(k + b": " + v + b"\r\n" for k, v in h) + b"\r\n" + body
    return exchange(hostport, data, head=(method == b"HEAD"), timeout=timeout)


def get(hostport, target, headers=None, timeout=10.0):
    return request(hostport, "GET", target, headers, timeout=timeout)


def read(path):
    """The whole of a file, as bytes."""
    with open(path, "rb") as f:
        return f.read()


def check_healthz(hostport, problems, when):
    """Adds a problem unless GET /healthz answers 200 (`when`: "after the bodies")."""
    r = get(hostport, "/healthz")
    if r.status != 200:
        problems.append("%s, /healthz: %s" % (when, r.describe()))


def report(problems, most=None):
    """Prints a PROBLEM line for each problem (the first `most`, then how many more were
    left out) and ends the program: exit 1 if there are any, 0 if not."""
    import sys
    for p in problems[:most]:
        print("PROBLEM:", p)
    if most is not None and len(problems) > most:
        print("... and %d more" % (len(problems) - most))
    sys.exit(1 if problems else 0)


def oci_error_problem(r):
    """None if r's body is a distribution-spec error document whose codes go with its
    status, else what is wrong with it."""
    ctype = (r.header("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return "Content-Type %r is not application/json" % r.header("content-type")
    try:
        doc = json.loads(r.body)
    except ValueError as e:
        return "body is not JSON (%s): %r" % (e, r.body[:200])
    errs = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errs, list) or not errs:
        return "no non-empty 'errors' array: %r" % r.body[:200]
    for e in errs:
        if not isinstance(e, dict) or not isinstance(e.get("code"), str) \
                or not isinstance(e.get("message"), str):
            return "an error lacks a string code or message: %r" % e
        want = SPEC_CODES.get(e["code"])
        if want is None:
            return "code %r is not a distribution-spec code" % e["code"]
        if want != r.status:
            return "code %s goes with %d, not %s" % (e["code"], want, r.status)
    return None


def oci_codes(r):
    try:
        return [e.get("code") for e in json.loads(r.body)["errors"]]
    except Exception:
        return []


def wait_closed(sock, limit):
    """Seconds until the peer closes sock (EOF or reset), or None if it is still open
    after `limit` seconds. Whatever the server sends first (e.g. a 408) is ignored."""
    t0 = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - t0 < limit:
        try:
            chunk = sock.recv(65536)
            if not chunk:
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


class PeakRSS:
    """Samples a process's VmRSS (KiB) every 20 ms on a thread until stop(); .peak is the
    highest seen. Used to show that the server's memory stays flat under load."""

    def __init__(self, pid):
        import threading
        self.pid = pid
        self.peak = self.rss()
        assert self.peak > 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def rss(self):
        with open("/proc/%d/status" % self.pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
        return 0

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.rss())
            except OSError:
                pass
            time.sleep(0.02)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak

