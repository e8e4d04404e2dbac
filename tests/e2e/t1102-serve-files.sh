#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# /files/<name> of `airlock serve`:
# - the sample's runbook.txt byte for byte, ETag its quoted sha256, HEAD, ranges,
#   If-None-Match (also weak, in a list and '*', as RFC 9110 compares) answered 304;
# - an unknown name is 404; every traversal attempt (.., ., //, NUL, backslash, %2F, in
#   /files/, /packages/ and /simple/, encoded or not) is 400, as the contract says, and no
#   answer ever carries the catalog or /etc/passwd; names that are store internals
#   (catalog.db, lock, a blob's digest) are 404;
# - a bundle imported while the server runs is served from the next request on: a binary
#   file of every byte value, a zero-length file (a range on it: 200 with
#   'Content-Range: bytes */0'), and runbook.txt again with other content, which the
#   later import wins.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/pypi-lib.sh"
need curl python3

serve_store
serve_start
RB=$S/files/runbook.txt
RBSIZE=$(stat -c %s "$RB")

# no_leak NAME: the answer carries nothing of the store or the system.
no_leak() {
    if grep -aq -e 'SQLite format 3' -e 'root:x:0:0' -e 'CREATE TABLE' "$T/http/$1.body"; then
        fail "request '$1' ($2) leaked the catalog or /etc/passwd"
    fi
}

# ------------------------------------------------------------------ the sample's file
fetch rb "$URL/files/runbook.txt"
expect_code rb 200
body_is rb "$RB"
assert_eq "$(hdr rb ETag)" "\"$(sha256 "$RB")\"" "ETag of /files/runbook.txt"
assert_eq "$(hdr rb Content-Length)" "$RBSIZE" "Content-Length of /files/runbook.txt"
assert_eq "$(hdr rb Accept-Ranges)" bytes "Accept-Ranges of /files/runbook.txt"
ETAG=$(hdr rb ETag)

fetch rb-head "$URL/files/runbook.txt" -I
expect_code rb-head 200
assert_eq "$(hdr rb-head Content-Length)" "$RBSIZE" "Content-Length of HEAD /files/runbook.txt"
assert_eq "$(hdr rb-head ETag)" "$ETAG" "ETag of HEAD /files/runbook.txt"

for inm in "$ETAG" "W/$ETAG" "\"0000\", $ETAG" '*'; do
    fetch rb-inm "$URL/files/runbook.txt" -H "If-None-Match: $inm"
    [ "$CODE" = 304 ] || fail "If-None-Match: $inm answered $CODE, expected 304 (RFC 9110 13.1.2, weak comparison)"
    [ ! -s "$T/http/rb-inm.body" ] || fail "a 304 with a body"
done
fetch rb-inm-other "$URL/files/runbook.txt" -H 'If-None-Match: "0000"'
expect_code rb-inm-other 200
body_is rb-inm-other "$RB"

fetch rb-range "$URL/files/runbook.txt" -H 'Range: bytes=10-19'
expect_code rb-range 206
assert_eq "$(hdr rb-range Content-Range)" "bytes 10-19/$RBSIZE" "Content-Range of bytes=10-19"
dd if="$RB" of="$T/rb10" bs=1 skip=10 count=10 status=none
body_is rb-range "$T/rb10"
fetch rb-tail "$URL/files/runbook.txt" -H 'Range: bytes=100-'
expect_code rb-tail 206
assert_eq "$(hdr rb-tail Content-Range)" "bytes 100-$((RBSIZE - 1))/$RBSIZE" "Content-Range of bytes=100-"
tail -c +101 "$RB" >"$T/rbtail"
body_is rb-tail "$T/rbtail"
fetch rb-416 "$URL/files/runbook.txt" -H "Range: bytes=$RBSIZE-"
expect_code rb-416 416
assert_eq "$(hdr rb-416 Content-Range)" "bytes */$RBSIZE" "Content-Range of an unsatisfiable range"

# ------------------------------------------------------------------ unknown names, internals
RBHEX=$(sha256 "$RB")
for u in /files/nope.txt /files/runbook.txt.bak /files/RUNBOOK.TXT /files/catalog.db /files/lock \
    "/files/$RBHEX" "/files/sha256:$RBHEX" /packages/catalog.db /packages/runbook.txt; do
    fetch unknown "$URL$u"
    expect_code unknown 404
    no_leak unknown "$u"
done
assert_eq "$(media_type unknown)" text/plain "Content-Type of a 404 outside /v2/ and /api/"

# ------------------------------------------------------------------ traversal: 400, no leak
# (curl --path-as-is sends each path exactly as written here)
n=0
while IFS= read -r u; do
    [ -n "$u" ] || continue
    n=$((n + 1))
    fetch "trav$n" "$URL$u"
    no_leak "trav$n" "$u"
    [ "$CODE" = 400 ] || fail "GET $u answered $CODE, expected 400 (serve.md: a path with .., ., //, NUL, backslash or %2F where a name is expected)"
    serve_alive
done <<'EOF'
/files/../catalog.db
/files/../../../../etc/passwd
/files/%2e%2e/catalog.db
/files/%2E%2E/catalog.db
/files/.%2e/catalog.db
/files/..%2fcatalog.db
/files/..%2Fcatalog.db
/files/%2e%2e%2fcatalog.db
/files/..%2f..%2f..%2f..%2fetc%2fpasswd
/files/%2fetc%2fpasswd
/files//etc/passwd
/files//runbook.txt
/files/./runbook.txt
/files/.
/files/..
/files/runbook.txt%00
/files/runbook.txt%00.png
/files/..%5ccatalog.db
/files/..\catalog.db
/files/blobs%2fsha256
/packages/../catalog.db
/packages/..%2fcatalog.db
/packages/%2e%2e/catalog.db
/packages//etc/passwd
/simple/../catalog.db
/simple/%2e%2e/
/simple/..%2f..%2fcatalog.db/
EOF

# ------------------------------------------------------------------ import while serving
mkdir -p "$T/more/files"
: >"$T/more/files/empty.bin"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 300 + b"\r\n\0end")' >"$T/more/files/bytes.bin"
printf 'Runbook, second edition: a later bundle carries this file.\n' >"$T/more/files/runbook.txt"
cat >"$T/more/airlock.yaml" <<'EOF'
name: more-files
version: 1
artifacts:
  - kind: file
    path: files/empty.bin
  - kind: file
    path: files/bytes.bin
  - kind: file
    path: files/runbook.txt
EOF
fetch before "$URL/files/bytes.bin"
expect_code before 404
expect_exit 0 airlock bundle create -f "$T/more/airlock.yaml" -o "$T/more-b" --quiet
expect_exit 0 airlock import "$T/more-b" --store "$STORE" --allow-unsigned -q
serve_alive

BIN=$T/more/files/bytes.bin
BINSIZE=$(stat -c %s "$BIN")
fetch bin "$URL/files/bytes.bin"
expect_code bin 200
body_is bin "$BIN"
assert_eq "$(hdr bin ETag)" "\"$(sha256 "$BIN")\"" "ETag of /files/bytes.bin"
assert_eq "$(hdr bin Content-Length)" "$BINSIZE" "Content-Length of /files/bytes.bin"
fetch bin-last "$URL/files/bytes.bin" -H 'Range: bytes=-5'
expect_code bin-last 206
assert_eq "$(hdr bin-last Content-Range)" "bytes $((BINSIZE - 5))-$((BINSIZE - 1))/$BINSIZE" "Content-Range of bytes=-5"
tail -c 5 "$BIN" >"$T/bin5"
body_is bin-last "$T/bin5"

fetch empty "$URL/files/empty.bin"
expect_code empty 200
[ ! -s "$T/http/empty.body" ] || fail "/files/empty.bin is not empty"
assert_eq "$(hdr empty Content-Length)" 0 "Content-Length of /files/empty.bin"
assert_eq "$(hdr empty ETag)" "\"$(sha256 "$T/more/files/empty.bin")\"" "ETag of /files/empty.bin"
for r in 'bytes=0-' 'bytes=0-0' 'bytes=-1'; do
    fetch empty-range "$URL/files/empty.bin" -H "Range: $r"
    expect_code empty-range 200
    assert_eq "$(hdr empty-range Content-Range)" 'bytes */0' "Content-Range of $r on a zero-length file"
    [ ! -s "$T/http/empty-range.body" ] || fail "a range of an empty file has a body"
done

fetch rb2 "$URL/files/runbook.txt"
expect_code rb2 200
body_is rb2 "$T/more/files/runbook.txt"
assert_eq "$(hdr rb2 ETag)" "\"$(sha256 "$T/more/files/runbook.txt")\"" "ETag of the newer runbook.txt"
fetch rb2-inm "$URL/files/runbook.txt" -H "If-None-Match: $ETAG"
expect_code rb2-inm 200     # the old ETag no longer matches
body_is rb2-inm "$T/more/files/runbook.txt"

serve_alive
serve_stop
