#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# serve, OCI blob ranges: the conformance suite's Range table (docs/protocols/oci-distribution.md §3.4) on two
# blobs (the sample's 745-byte config and a ~300 KB layer): bytes=A-B, A-, -N, an end past
# the size (clipped), a suffix longer than the blob (all of it), bytes=0-0, the last byte;
# 500-0, a start at or past the size and -0 are 416 with Content-Range: bytes */SIZE.
# If-Range with the blob's ETag gives the range, with another ETag the whole blob (200).
# A download resumed with Range equals the blob. Every body is compared with the bytes of
# the source layout, cut out by tail/head, not by airlock.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/oci-lib.sh"
need skopeo umoci python3 sha256sum

# The sample plus a second image whose new layer is ~300 KB of random bytes.
serve_store_big
serve_start

expect_exit 0 skopeo inspect --raw "oci:$SRC:1.4"
CFG=$(json "$OUT" .config.digest)
expect_exit 0 skopeo inspect --raw "oci:$BIG:big"
BIGLAYER=$(json "$OUT" '.layers | max_by(.size) | .digest')

# range_ok REPO DIGEST FILE RANGE START END: 206 with exactly those bytes
range_ok() {
    local size
    size=$(stat -c %s "$3")
    req GET "/v2/$1/blobs/$2" -H "Range: $4"
    expect_code 206
    expect_hdr Content-Range "bytes $5-$6/$size"
    expect_hdr Content-Length $(($6 - $5 + 1))
    slice "$3" "$5" "$6" >"$T/want"
    expect_body_file "$T/want"
}

# range_416 REPO DIGEST FILE RANGE
range_416() {
    req GET "/v2/$1/blobs/$2" -H "Range: $4"
    expect_code 416
    expect_hdr Content-Range "bytes */$(stat -c %s "$3")"
}

for blob in "myorg/app $CFG $SRC/blobs/sha256/${CFG#sha256:}" \
            "myorg/big $BIGLAYER $BIG/blobs/sha256/${BIGLAYER#sha256:}"; do
    read -r repo d f <<<"$blob"
    n=$(stat -c %s "$f")
    [ "$n" -gt 700 ] || fail "blob $d is too small for the table ($n bytes)"
    note "ranges of $repo $d ($n bytes)"

    req HEAD "/v2/$repo/blobs/$d"
    expect_code 200
    expect_hdr Accept-Ranges bytes
    etag=$(hdr ETag)
    [ -n "$etag" ] || fail_req "no ETag on a blob"

    range_ok "$repo" "$d" "$f" "bytes=100-599" 100 599
    range_ok "$repo" "$d" "$f" "bytes=500-" 500 $((n - 1))
    range_ok "$repo" "$d" "$f" "bytes=-500" $((n - 500)) $((n - 1))
    range_ok "$repo" "$d" "$f" "bytes=600-$((n + 5000))" 600 $((n - 1))
    range_ok "$repo" "$d" "$f" "bytes=-$((n + 100))" 0 $((n - 1))
    range_ok "$repo" "$d" "$f" "bytes=0-0" 0 0
    range_ok "$repo" "$d" "$f" "bytes=$((n - 1))-" $((n - 1)) $((n - 1))
    range_ok "$repo" "$d" "$f" "bytes=0-$((n - 1))" 0 $((n - 1))
    range_ok "$repo" "$d" "$f" "bytes=-1" $((n - 1)) $((n - 1))
    if [ "$n" -ge 2048 ]; then   # the suite's own numbers, on a blob large enough for them
        range_ok "$repo" "$d" "$f" "bytes=500-1499" 500 1499
        range_ok "$repo" "$d" "$f" "bytes=2000-5000" 2000 $((n > 5000 ? 5000 : n - 1))
    fi
    range_416 "$repo" "$d" "$f" "bytes=500-0"
    range_416 "$repo" "$d" "$f" "bytes=$((n + 4000))-$((n + 9000))"
    range_416 "$repo" "$d" "$f" "bytes=$n-"
    range_416 "$repo" "$d" "$f" "bytes=-0"
    serve_alive

    # If-Range: the same entity gets the range, another gets all of it
    req GET "/v2/$repo/blobs/$d" -H "Range: bytes=100-199" -H "If-Range: $etag"
    expect_code 206
    expect_hdr Content-Range "bytes 100-199/$n"
    slice "$f" 100 199 >"$T/want"
    expect_body_file "$T/want"
    req GET "/v2/$repo/blobs/$d" -H "Range: bytes=100-199" -H 'If-Range: "not-this-entity"'
    expect_code 200
    expect_body_file "$f"
    assert_eq "$(hdr_count Content-Range)" 0 "Content-Range headers on an If-Range miss"
    # without Range, If-Range changes nothing
    req GET "/v2/$repo/blobs/$d" -H 'If-Range: "not-this-entity"'
    expect_code 200
    expect_body_file "$f"

    # a download resumed where it stopped is the blob
    half=$((n / 2))
    curl -sS -o "$T/resumed" -r "0-$((half - 1))" "$URL/v2/$repo/blobs/$d" || fail "curl first half"
    assert_eq "$(stat -c %s "$T/resumed")" "$half" "bytes of the first half"
    curl -sS -C - -o "$T/resumed" "$URL/v2/$repo/blobs/$d" || fail "curl -C - (resume)"
    cmp -s "$T/resumed" "$f" || fail "a resumed download of $d differs from the blob"
    assert_eq "$(sha256 "$T/resumed")" "${d#sha256:}" "digest of the resumed download"
done

# twin: the same checks see a wrong slice (a byte flipped in the store, same size)
stored=$STORE/blobs/sha256/${CFG#sha256:}
chmod u+w "$stored"
flip_byte "$stored" 300
req GET "/v2/myorg/app/blobs/$CFG" -H "Range: bytes=100-599"
expect_code 206
slice "$SRC/blobs/sha256/${CFG#sha256:}" 100 599 >"$T/want"
! cmp -s "$BODY" "$T/want" || fail "a range over a flipped byte still matches the source"
serve_alive
serve_stop
