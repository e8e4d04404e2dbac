#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, read-only without a push token: every route is exercised (GET, HEAD, ranges,
# conditional requests) and every write is attempted — blob uploads (POST, single POST
# with ?digest=, mount/from, PATCH, PUT, DELETE of a session), manifest PUTs over the
# existing tag, by digest and to a new repository, manifest, tag and blob DELETEs, with no
# credentials and with guessed Bearer and Basic ones — all 401 UNAUTHORIZED with the
# spec's error body and a WWW-Authenticate challenge (a manifest or blob DELETE may also
# be 405 UNSUPPORTED: deleting need not exist at all); writes to the other routes are 405
# with Allow (or 401). The store is byte-for-byte, inode-for-inode and timestamp-for-timestamp what
# it was (find over all of it before the server starts and after it stops), and the image
# and file are still served as they were. Only SQLite's WAL index of the catalog
# (catalog.db-wal, catalog.db-shm: every reader of a WAL database opens them) and the
# store directory's own timestamps, which they move, are left out. The twin: a server with
# --push-token-file refuses a wrong token (403 DENIED, no blob) and takes a push with the
# right one, and the same snapshot comparison then does see the store change.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need python3 curl jq

serve_store
snapshot() {
    find "$STORE" -mindepth 1 ! -name catalog.db-wal ! -name catalog.db-shm \
        -printf '%p %y %m %i %n %s %T@ %C@\n' | LC_ALL=C sort
    find "$STORE" -maxdepth 0 -printf '%p %y %m %i\n'
}
snapshot >"$T/before"
sleep 0.01   # a write after this point gets another timestamp

serve_start

failed=
python3 - >"$T/writes.out" 2>&1 <<'PY' || failed="the read-only server mishandled requests"
import base64, concurrent.futures, hashlib, json, os, sys
sys.path.insert(0, os.environ["E2E_DIR"])
import rawhttp

hp, S, STORE = os.environ["HOSTPORT"], os.environ["S"], os.environ["STORE"]
problems = []

rd = rawhttp.read

idx = json.loads(rd(os.path.join(S, "images/app-oci/index.json")))
mdig = idx["manifests"][0]["digest"]
blob = lambda d: rd(os.path.join(STORE, "blobs/sha256", d.split(":", 1)[1]))
MAN = blob(mdig)
layer = json.loads(MAN)["layers"][0]["digest"]
whl = "pip-23.0.1-py3-none-any.whl"
RUNBOOK = rd(os.path.join(S, "files/runbook.txt"))

# ---------------------------------------------------------------- reads, every route
reads = ["/", "/healthz", "/metrics", "/v2/", "/v2/_catalog", "/v2/myorg/app/tags/list",
         "/v2/myorg/app/tags/list?n=1", "/v2/myorg/app/manifests/1.4",
         "/v2/myorg/app/manifests/" + mdig, "/v2/myorg/app/blobs/" + layer,
         "/v2/myorg/app/referrers/" + mdig, "/simple/", "/simple/pip/", "/simple/Pip",
         "/simple/pip/?format=application/vnd.pypi.simple.v1+json", "/packages/" + whl,
         "/packages/" + whl + ".metadata", "/api/models/local/tiny-model",
         "/api/models/local/tiny-model/revision/main",
         "/api/models/local/tiny-model/tree/main?recursive=true",
         "/local/tiny-model/resolve/main/config.json",
         "/local/tiny-model/resolve/main/model.safetensors", "/files/runbook.txt",
         "/files/no-such-file", "/v2/nosuch/tags/list"]
for t in reads:
    for m in ("GET", "HEAD"):
        r = rawhttp.request(hp, m, t)
        if r.status is None or r.status >= 500:
            problems.append("%s %s: %s" % (m, t, r.describe()))
for t in ("/v2/myorg/app/blobs/" + layer, "/files/runbook.txt", "/packages/" + whl,
          "/local/tiny-model/resolve/main/config.json"):
    for h in ({"Range": "bytes=0-0"}, {"Range": "bytes=-10"}, {"If-None-Match": '"x"'},
              {"If-Range": '"x"', "Range": "bytes=1-"}):
        r = rawhttp.request(hp, "GET", t, h)
        if r.status not in (200, 206, 304):
            problems.append("GET %s %r: %s" % (t, h, r.describe()))

# ---------------------------------------------------------------- writes under /v2/
evil = b"written by t1305, must not land in the store\n"
edig = "sha256:" + hashlib.sha256(evil).hexdigest()
emanifest = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                   "digest": edig, "size": len(evil)},
                        "layers": []}).encode()
emdig = "sha256:" + hashlib.sha256(emanifest).hexdigest()
MT = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
OCT = {"Content-Type": "application/octet-stream"}
session = "/v2/myorg/app/blobs/uploads/8f2a5b8e-6c1d-4f3e-9a7b-0c1d2e3f4a5b"
writes = [
    ("POST", "/v2/myorg/app/blobs/uploads/", None, b""),
    ("POST", "/v2/myorg/app/blobs/uploads/?digest=" + edig, OCT, evil),
    ("POST", "/v2/myorg/app/blobs/uploads/?mount=%s&from=other/repo" % layer, None, b""),
    ("POST", "/v2/myorg/app/blobs/uploads/?mount=" + layer, None, b""),
    ("POST", "/v2/newrepo/blobs/uploads/", None, b""),
    ("PATCH", session, OCT, evil),
    ("PUT", session + "?digest=" + edig, OCT, evil),
    ("DELETE", session, None, b""),
    ("PUT", "/v2/myorg/app/manifests/1.4", MT, emanifest),
    ("PUT", "/v2/myorg/app/manifests/evil", MT, emanifest),
    ("PUT", "/v2/myorg/app/manifests/" + emdig, MT, emanifest),
    ("PUT", "/v2/newrepo/manifests/latest", MT, emanifest),
    ("DELETE", "/v2/myorg/app/manifests/1.4", None, b""),
    ("DELETE", "/v2/myorg/app/manifests/" + mdig, None, b""),
    ("DELETE", "/v2/myorg/app/blobs/" + layer, None, b""),
]
creds = [None, {"Authorization": "Bearer guess"},
         {"Authorization": "Basic " + base64.b64encode(b"admin:guess").decode()},
         {"Authorization": "Basic " + base64.b64encode(b"admin:").decode()},
         {"Authorization": "Bearer "}]
def attempt(job):
    method, target, h, body, c = job
    hh = dict(h or {})
    hh.update(c or {})
    return job, rawhttp.request(hp, method, target, hh, body=body)

# all at once: a server that leaves a request unanswered costs one timeout, not dozens
jobs = [(m, t, h, b, c) for m, t, h, b in writes for c in creds]
with concurrent.futures.ThreadPoolExecutor(len(jobs)) as ex:
    results = list(ex.map(attempt, jobs))
for (method, target, h, body, c), r in results:
    what = "%s %s (%s)" % (method, target, c and list(c.values())[0])
    if method == "DELETE" and "/uploads/" not in target and r.status == 405:
        # deleting is content management, which a registry may not offer at all
        p = rawhttp.oci_error_problem(r)
        if p or "UNSUPPORTED" not in rawhttp.oci_codes(r):
            problems.append("%s: 405 without an UNSUPPORTED error body: %s" % (what, p or r.body[:200]))
        continue
    if r.status != 401:
        problems.append("%s: expected 401, got %s" % (what, r.describe()))
        continue
    p = rawhttp.oci_error_problem(r)
    if p or "UNAUTHORIZED" not in rawhttp.oci_codes(r):
        problems.append("%s: 401 without an UNAUTHORIZED error body: %s" % (what, p or r.body[:200]))
    if not r.header("www-authenticate"):
        problems.append("%s: 401 without WWW-Authenticate (RFC 9110 15.5.2)" % what)

# ---------------------------------------------------------------- writes elsewhere
other = [
    ("PUT", "/files/runbook.txt", b"overwritten\n"), ("PUT", "/files/evil.txt", evil),
    ("DELETE", "/files/runbook.txt", b""), ("POST", "/files/runbook.txt", evil),
    ("PATCH", "/files/runbook.txt", evil),
    ("PUT", "/packages/evil-1.0-py3-none-any.whl", evil), ("DELETE", "/packages/" + whl, b""),
    ("POST", "/packages/" + whl, evil), ("POST", "/simple/", evil), ("POST", "/simple/pip/", evil),
    ("DELETE", "/simple/pip/", b""), ("POST", "/", evil), ("PUT", "/", evil), ("DELETE", "/", b""),
    ("PUT", "/local/tiny-model/resolve/main/config.json", evil),
    ("DELETE", "/local/tiny-model/resolve/main/config.json", b""),
    ("PUT", "/api/models/local/tiny-model", evil), ("DELETE", "/api/models/local/tiny-model", b""),
    ("POST", "/healthz", evil), ("PUT", "/metrics", evil), ("DELETE", "/metrics", b""),
]
def attempt_other(job):
    method, target, body = job
    return job, rawhttp.request(hp, method, target, {"Content-Type": "application/octet-stream"},
                                body=body)
with concurrent.futures.ThreadPoolExecutor(len(other)) as ex:
    results = list(ex.map(attempt_other, other))
for (method, target, body), r in results:
    if r.status not in (401, 405):
        problems.append("%s %s: expected 405 (or 401), got %s" % (method, target, r.describe()))
    elif r.status == 405 and not r.header("allow"):
        problems.append("%s %s: 405 without Allow (RFC 9110 15.5.6)" % (method, target))

# ---------------------------------------------------------------- nothing changed
r = rawhttp.get(hp, "/v2/myorg/app/manifests/1.4")
if r.status != 200 or r.body != MAN:
    problems.append("the 1.4 manifest changed after the write attempts: " + r.describe())
r = rawhttp.get(hp, "/files/runbook.txt")
if r.status != 200 or r.body != RUNBOOK:
    problems.append("runbook.txt changed after the write attempts: " + r.describe())
for t in ("/v2/myorg/app/blobs/" + edig, "/v2/myorg/app/manifests/evil", "/files/evil.txt",
          "/v2/newrepo/tags/list"):
    r = rawhttp.get(hp, t)
    if r.status != 404:
        problems.append("GET %s after refused writes: expected 404, got %s" % (t, r.describe()))
rawhttp.report(problems, 60)
PY
cat "$T/writes.out"
serve_alive
serve_stop
snapshot >"$T/after"
if ! diff -u "$T/before" "$T/after" >"$T/store.diff"; then
    cat "$T/store.diff" >&2
    failed="$failed${failed:+; }the store changed under a read-only server (diff above: path type mode inode links size mtime ctime)"
fi
[ ! -e "$STORE/blobs/sha256/$(printf 'written by t1305, must not land in the store\n' | sha256sum | cut -d' ' -f1)" ] ||
    fail "the refused blob is in the store"

# ---------------------------------------------------------------- the twin: a push token
printf 't1305-%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$T/token"
chmod 600 "$T/token"
TOKEN=$(head -n 1 "$T/token")
serve_start --push-token-file "$T/token"
printf 'pushed by t1305 with the token\n' >"$T/pushed"
PD=sha256:$(sha256 "$T/pushed")
expect_exit 0 curl -sS --max-time 10 -o "$T/resp" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer wrong-$TOKEN" -H "Content-Type: application/octet-stream" \
    --data-binary @"$T/pushed" "$URL/v2/myorg/app/blobs/uploads/?digest=$PD"
assert_eq "$(cat "$OUT")" 403 "a push with the wrong token"
assert_eq "$(jq -r '.errors[0].code' "$T/resp")" DENIED "the wrong token's error code"
assert_absent "$STORE/blobs/sha256/${PD#sha256:}"
expect_exit 0 curl -sS --max-time 10 -o "$T/resp" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" \
    --data-binary @"$T/pushed" "$URL/v2/myorg/app/blobs/uploads/?digest=$PD"
assert_eq "$(cat "$OUT")" 201 "a single-POST push with the token"
expect_exit 0 curl -sS --fail --max-time 10 -o "$T/pulled" "$URL/v2/myorg/app/blobs/$PD"
cmp -s "$T/pulled" "$T/pushed" || fail "the pushed blob does not come back as pushed"
serve_stop
snapshot >"$T/after-push"
! diff -q "$T/before" "$T/after-push" >/dev/null || fail "the twin: the snapshot does not see a push"
grep -qF "$STORE/blobs/sha256/${PD#sha256:} f" "$T/after-push" ||
    fail "the twin: the pushed blob is not in the snapshot"
[ -z "$failed" ] || fail "$failed (above)"
