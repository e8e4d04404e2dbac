#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, hostile paths: path traversal in every route (/v2/<name>/blobs/, manifests and
# tags; /simple/; /packages/; /files/; /api/models/…; /<repo>/resolve/<rev>/<path>; /)
# sent byte for byte over a bare socket, so nothing normalizes them: raw `..`, `%2e%2e`
# (any case), `%2F`, `//`, `.`, backslashes raw and as `%5c`, NUL as `%00` and raw,
# overlong UTF-8 (raw and encoded), double encoding, absolute paths, the absolute and
# relative request-target forms. Every answer is 400 or 404 (under /v2/ with the spec's
# JSON error body), never a 200, and no body carries the catalog or /etc/passwd. The
# twins: the same routes with honest names answer 200 with the exact bytes, so a 404
# cannot come from a route that is missing; the leak detector does flag the real
# catalog and passwd bytes. The server stays up, serves a normal request afterwards,
# and its access log stays one JSON object per line with no raw control characters (the
# request with a raw ESC is there, escaped).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl jq

serve_store
serve_start

failed=
python3 - >"$T/traversal.out" 2>&1 <<'PY' || failed="hostile paths were mishandled"
import hashlib, json, os, sys
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp

hp, S, STORE = os.environ["HOSTPORT"], os.environ["S"], os.environ["STORE"]
problems = []

rd = rawhttp.read

catalog = rd(os.path.join(STORE, "catalog.db"))
passwd = rd("/etc/passwd")
passwd_line = passwd.split(b"\n")[0]

def leaks(body):
    """What of the store's internals or the host's files a body carries."""
    found = []
    if b"SQLite format 3" in body:
        found.append("an SQLite database")
    if passwd_line and passwd_line in body:
        found.append("/etc/passwd")
    if len(body) >= 64 and body[:64] in catalog[:4096]:
        found.append("bytes of catalog.db")
    return found

# The detector is no decoration: it flags the real files.
assert leaks(catalog), "leak detector misses catalog.db"
assert leaks(passwd), "leak detector misses /etc/passwd"
assert not leaks(b'{"errors":[{"code":"NAME_INVALID","message":"bad name"}]}')

# ---------------------------------------------------------------- honest twins
idx = json.loads(rd(os.path.join(S, "images/app-oci/index.json")))
mdig = idx["manifests"][0]["digest"]
blob = lambda d: rd(os.path.join(STORE, "blobs/sha256", d.split(":", 1)[1]))
manifest = blob(mdig)
layer = json.loads(manifest)["layers"][0]["digest"]
whl = "pip-23.0.1-py3-none-any.whl"
honest = [
    ("/v2/myorg/app/manifests/1.4", manifest),
    ("/v2/myorg/app/manifests/" + mdig, manifest),
    ("/v2/myorg/app/blobs/" + layer, blob(layer)),
    ("/v2/myorg/app/tags/list", None),
    ("/simple/", None),
    ("/simple/pip/", None),
    ("/packages/" + whl, rd("/usr/share/python-wheels/" + whl)),
    ("/files/runbook.txt", rd(os.path.join(S, "files/runbook.txt"))),
    ("/api/models/local/tiny-model", None),
    ("/api/models/local/tiny-model/revision/main", None),
    ("/api/models/local/tiny-model/tree/main", None),
    ("/local/tiny-model/resolve/main/config.json",
     rd(os.path.join(S, "models/tiny-model/config.json"))),
    ("/", None),
]
for target, want in honest:
    r = rawhttp.get(hp, target)
    if r.status != 200:
        problems.append("honest GET %s: expected 200, got %s" % (target, r.describe()))
    elif want is not None and r.body != want:
        problems.append("honest GET %s: 200 but not the stored bytes (%d bytes, want %d)"
                        % (target, len(r.body), len(want)))

# ---------------------------------------------------------------- hostile paths
UP = [  # ways to say "../"
    b"../", b"%2e%2e/", b"%2E%2E/", b".%2e/", b"%2e./", b"..%2f", b"..%2F", b"%2e%2e%2f",
    b"..\\", b"..%5c", b"..%5C", b"%c0%ae%c0%ae/", b"..%c0%af", b"%c0%ae%c0%ae%c0%af",
    b"%e0%80%ae%e0%80%ae/", b"\xc0\xae\xc0\xae/", b"..\xc0\xaf", b"%252e%252e%252f",
    b"....//", b"..;/", b"%2e%2e%5c", b"..%00/", b"..%u2215",
]
def ups(u, n):
    return u * n

# (prefix, suffix, levels): the traversal sits between prefix and suffix
SLOTS = [
    (b"/v2/myorg/app/blobs/", b"catalog.db", 3),
    (b"/v2/myorg/app/blobs/sha256:", b"catalog.db", 2),
    (b"/v2/myorg/app/blobs/sha256:", b"etc/passwd", 12),
    (b"/v2/myorg/app/manifests/", b"catalog.db", 4),
    (b"/v2/myorg/app/manifests/", b"etc/passwd", 12),
    (b"/v2/", b"etc/passwd", 12),
    (b"/v2/myorg/", b"app/manifests/1.4", 1),
    (b"/v2/myorg/app/", b"app/tags/list", 1),
    (b"/v2/myorg/app/tags/", b"list", 1),
    (b"/simple/", b"catalog.db/", 2),
    (b"/simple/", b"etc/passwd", 12),
    (b"/simple/pip/", b"pip/", 1),
    (b"/packages/", b"catalog.db", 2),
    (b"/packages/", b"etc/passwd", 12),
    (b"/packages/x/", b"pip-23.0.1-py3-none-any.whl", 1),
    (b"/files/", b"catalog.db", 2),
    (b"/files/", b"etc/passwd", 12),
    (b"/files/x/", b"runbook.txt", 1),
    (b"/api/models/", b"catalog.db", 2),
    (b"/api/models/local/tiny-model/tree/main/", b"catalog.db", 4),
    (b"/api/models/local/tiny-model/tree/main/", b"etc/passwd", 12),
    (b"/api/models/local/tiny-model/revision/", b"main", 1),
    (b"/local/tiny-model/resolve/main/", b"catalog.db", 4),
    (b"/local/tiny-model/resolve/main/", b"etc/passwd", 12),
    (b"/local/tiny-model/resolve/main/x/", b"config.json", 1),
    (b"/local/tiny-model/resolve/", b"main/config.json", 1),
    (b"/local/x/", b"tiny-model/resolve/main/config.json", 1),
    (b"/", b"etc/passwd", 12),
    (b"/", b"catalog.db", 1),
]
cases = []
for pre, suf, n in SLOTS:
    for u in UP:
        cases.append(pre + ups(u, n) + suf)

# names that only normalization would make honest: ".", "//", "%2F" where a name goes,
# NUL that a C string would cut
cases += [
    b"/v2/myorg/./app/manifests/1.4", b"/v2/myorg//app/manifests/1.4",
    b"/v2//myorg/app/manifests/1.4", b"/v2/myorg%2Fapp/manifests/1.4",
    b"/v2/myorg%2fapp/tags/list", b"/v2/myorg/app/manifests/1.4%00",
    b"/v2/myorg/app%00/manifests/1.4", b"/v2/myorg/app/manifests/./1.4",
    b"/v2/myorg/app/blobs/" + layer.encode() + b"%00",
    b"/v2/myorg/app/blobs/" + layer.encode() + b"/..",
    b"/v2/myorg/app/blobs//" + layer.encode(),
    b"/simple/./pip/", b"/simple//pip/", b"/simple/pip%00/", b"/simple/pip%2F/",
    b"/simple/%2e/", b"/simple/%2e%2e/",
    b"/packages/./" + whl.encode(), b"/packages//" + whl.encode(),
    b"/packages/" + whl.encode() + b"%00", b"/packages/" + whl.encode() + b"%00.metadata",
    b"/packages/%2f" + whl.encode(), b"/packages/" + whl.encode() + b"/.",
    b"/packages/..", b"/packages/.", b"/packages/%2e%2e", b"/packages//etc/passwd",
    b"/packages/%2Fetc%2Fpasswd",
    b"/files/./runbook.txt", b"/files//runbook.txt", b"/files/runbook.txt%00",
    b"/files/runbook.txt%00.html", b"/files/runbook.txt/.", b"/files/runbook.txt/..",
    b"/files/..", b"/files/.", b"/files/%2e%2e", b"/files/%2e", b"/files//etc/passwd",
    b"/files/%2Fetc%2Fpasswd", b"/files/%2fetc%2fpasswd", b"/files/\\etc\\passwd",
    b"/files/%5cetc%5cpasswd", b"/files/C:%5cwindows", b"/files/catalog.db",
    b"/files/lock", b"/files/blobs", b"/files/blobs/sha256",
    b"/api/models/local/./tiny-model", b"/api/models/local//tiny-model",
    b"/api/models/local%2Ftiny-model", b"/api/models/local/tiny-model%00",
    b"/api/models/local/tiny-model/tree/main/.", b"/api/models/local/tiny-model/tree/main//",
    b"/api/models/local/tiny-model/tree/main/%2e%2e",
    b"/api/models/local/tiny-model/tree/main/%2Fetc",
    b"/local/tiny-model/resolve/main/./config.json",
    b"/local/tiny-model/resolve/main//config.json",
    b"/local/tiny-model/resolve/main/config.json%00",
    b"/local/tiny-model/resolve/main/config.json%00.txt",
    b"/local/tiny-model/resolve/main/%2Fetc%2Fpasswd",
    b"/local/tiny-model/resolve/main//etc/passwd",
    b"/local/tiny-model/resolve/main/..",
    b"/local/tiny-model/resolve/main/.",
    b"/local/tiny-model/resolve/./config.json",
    b"/local//tiny-model/resolve/main/config.json",
    b"/local%2Ftiny-model/resolve/main/config.json",
    b"/./local/tiny-model/resolve/main/config.json",
    b"/..", b"/.", b"/%2e%2e", b"//etc/passwd", b"/%2Fetc%2Fpasswd", b"/\\..\\..\\etc\\passwd",
    b"/proc/self/environ", b"/catalog.db", b"/lock", b"/blobs/sha256/",
    # raw bytes nothing may pass through: NUL, ESC, overlong, DEL, a lone high byte
    b"/files/runbook.txt\x00.db", b"/files/\x00", b"/v2/myorg/app\x00/manifests/1.4",
    b"/files/\x1b[31mred", b"/files/run\x7fbook.txt", b"/files/\xff\xfe",
    b"/local/tiny-model/resolve/main/config.json\x00",
]
# request targets not in origin form
other_forms = [
    b"../../catalog.db", b"..", b"catalog.db", b"*",
    b"http://" + hp.encode() + b"/files/../catalog.db",
    b"http://" + hp.encode() + b"/files/%2e%2e/%2e%2e/etc/passwd",
    b"file:///etc/passwd",
]

def check(method, target):
    raw_invalid = any(c < 0x21 or c >= 0x7f for c in target) or not target.startswith(b"/")
    r = rawhttp.request(hp, method, target)
    where = "%s %r" % (method, target)
    if r.status is None:
        problems.append("%s: no answer (%s)" % (where, r.error))
        return
    if r.status not in (400, 404):
        problems.append("%s: expected 400 or 404, got %s" % (where, r.describe()))
    found = leaks(r.body)
    if found:
        problems.append("%s: the body carries %s" % (where, ", ".join(found)))
    if target.startswith(b"/v2/") and not raw_invalid and method == "GET" \
            and r.status in (400, 404):
        p = rawhttp.oci_error_problem(r)
        if p:
            problems.append("%s: %d under /v2/ without the spec's error body: %s"
                            % (where, r.status, p))

for t in cases:
    check("GET", t)
for t in other_forms:
    check("GET", t)
for t in cases[::7]:
    check("HEAD", t)

# ---------------------------------------------------------------- still up, still right
for target, want in honest[:3]:
    r = rawhttp.get(hp, target)
    if r.status != 200 or r.body != want:
        problems.append("after the hostile requests, GET %s: %s" % (target, r.describe()))

print("%d hostile requests, %d honest ones" % (len(cases) + len(other_forms)
                                               + len(cases[::7]), len(honest)))
rawhttp.report(problems, 80)
PY
cat "$T/traversal.out"

serve_alive
expect_exit 0 curl -sS --fail --max-time 10 "$URL/healthz"
expect_stdout_contains ok
expect_exit 0 curl -sS --fail --max-time 10 -o "$T/runbook.got" "$URL/files/runbook.txt"
cmp -s "$T/runbook.got" "$S/files/runbook.txt" || fail "/files/runbook.txt differs after the hostile requests"

# The access log: every line one JSON object with the fields serve.md names, control
# characters in paths escaped (the raw NUL and ESC above must not reach the log raw).
[ -s "$T/access.log" ] || fail "the access log is empty"
python3 - "$T/access.log" <<'PY' || fail "the access log is not clean JSON lines (above)"
import json, sys
data = open(sys.argv[1], "rb").read()
bad = [c for c in set(data) if (c < 0x20 and c != 0x0a) or c == 0x7f]
if bad:
    sys.exit("raw control bytes in the access log: %r" % sorted(bad))
n = 0
for ln in data.split(b"\n"):
    if not ln:
        continue
    n += 1
    try:
        o = json.loads(ln)
    except ValueError as e:
        sys.exit("not JSON (%s): %r" % (e, ln[:300]))
    for k in ("time", "remote", "method", "path", "route", "status", "bytes", "ms"):
        if k not in o:
            sys.exit("line lacks %s: %r" % (k, ln[:300]))
if n < 100:
    sys.exit("only %d access log lines for hundreds of requests" % n)
PY
# the must-fail twin of that: the raw-ESC request is there, escaped one way or another
python3 - "$T/access.log" <<'PY' || fail "the raw-ESC request (/files/<ESC>[31mred) is not in the access log"
import json, sys
for ln in open(sys.argv[1], "rb").read().split(b"\n"):
    if ln:
        p = json.loads(ln)["path"]
        if p.startswith("/files/") and p.endswith("[31mred") and \
                any(e in p for e in ("\x1b", "\\x1b", "\\e", "%1b", "%1B", "\\u001b", "?")):
            sys.exit(0)
sys.exit(1)
PY
serve_stop
[ -z "$failed" ] || fail "$failed (above)"
