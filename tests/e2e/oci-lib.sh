# SPDX-License-Identifier: Apache-2.0
#
# oci-lib.sh: HTTP helpers for the OCI distribution tests of `airlock serve`
# (t1000-t1049). Source it after lib.sh and serve-lib.sh.
#
#   req METHOD PATH|URL [CURL_ARGS...]   one request with curl; status in $CODE, headers
#                                        in $H, body in $BODY (HEAD: no body read)
#   hdr NAME                             the value of header NAME in the last response
#                                        (case-insensitive; the last one if repeated)
#   hdr_count NAME                       how many times NAME appears in the last response
#   expect_code CODE                     fails unless the last status is CODE
#   expect_hdr NAME VALUE                fails unless header NAME is exactly VALUE
#   expect_body_file FILE                fails unless the last body is FILE, byte for byte
#   expect_oci_error STATUS CODE         the last response is STATUS with the spec's JSON
#                                        error body whose first error has code CODE
#   expect_spec_error STATUS             the last response is STATUS with the spec's JSON
#                                        error body, every code from the spec's closed set
#   abs_url LOCATION                     LOCATION made absolute against $URL
#   with_query URL PARAM                 URL with PARAM appended (? or &)
#   digest_of FILE                       sha256:<hex of FILE>
#   source_manifest                      the sample image's manifest as skopeo reads it from
#                                        the source layout $SRC, not through airlock:
#                                        $T/src-manifest.json and its digest $MDIG
#   slice FILE START END                 bytes START..END (inclusive) of FILE on stdout
#   serve_store_big                      serve_store, with a second image myorg/big:1.0 whose
#                                        layer holds 300 kB of random bytes ($SRC, $BIG: the
#                                        sample's and the big image's layouts)
#   push_token                           a random push token in $TOKEN and $T/token (0600),
#                                        its header in AUTH, and OCTET for blob bodies
#
# skopeo runs with a policy that accepts anything, no auth file and no registries.conf
# from the machine, so nothing outside $T steers it.

need curl jq

H=$T/.resp-headers
BODY=$T/.resp-body
CODE=
LAST_REQ=

printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$T/policy.json"
printf '{}\n' >"$T/auth.json"
: >"$T/registries.conf"
export REGISTRY_AUTH_FILE=$T/auth.json
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf
export CONTAINERS_REGISTRIES_CONF_DIR=$T/registries.conf.d
mkdir -p "$T/registries.conf.d"

# skopeo ARGS...: as in lib.sh, plus our policy.
skopeo() { command skopeo --tmpdir "$TMPDIR" --policy "$T/policy.json" "$@"; }

fail_req() {
    {
        echo "--- last request: $LAST_REQ -> $CODE"
        echo "--- response headers:"
        tr -d '\r' <"$H" 2>/dev/null | head -c 4000 || true
        echo "--- response body (first 2000 bytes):"
        head -c 2000 "$BODY" 2>/dev/null || true
        echo
    } >&2
    fail "$*"
}

abs_url() {
    case $1 in
        http://* | https://*) printf '%s\n' "$1" ;;
        /*) printf '%s%s\n' "$URL" "$1" ;;
        *) printf '%s/%s\n' "$URL" "$1" ;;
    esac
}

with_query() {
    case $1 in
        *\?*) printf '%s&%s\n' "$1" "$2" ;;
        *) printf '%s?%s\n' "$1" "$2" ;;
    esac
}

req() {
    local m=$1 u
    u=$(abs_url "$2")
    shift 2
    LAST_REQ="$m $u"
    : >"$H"
    : >"$BODY"
    local how=(-X "$m")
    [ "$m" = HEAD ] && how=(--head)
    CODE=$(curl -sS --path-as-is -g --max-time 20 "${how[@]}" -D "$H" -o "$BODY" \
        -w '%{http_code}' "$@" "$u") || fail_req "curl failed: $LAST_REQ"
    # (curl --head writes the headers to -o too: HEAD has no body to keep)
    [ "$m" = HEAD ] && : >"$BODY"
    return 0
}

hdr() {
    tr -d '\r' <"$H" | awk -v n="$1" '
        BEGIN { n = tolower(n) }
        /^HTTP\// { v = "" }
        { i = index($0, ":")
          if (i > 0 && tolower(substr($0, 1, i - 1)) == n) {
              v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v) } }
        END { print v }'
}

hdr_count() {
    tr -d '\r' <"$H" | awk -v n="$1" '
        BEGIN { n = tolower(n) }
        /^HTTP\// { c = 0 }
        { i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) c++ }
        END { print c + 0 }'
}

expect_code() {
    [ "$CODE" = "$1" ] || fail_req "$LAST_REQ: status $CODE, expected $1"
}

expect_hdr() {
    local got
    got=$(hdr "$1")
    [ "$got" = "$2" ] || fail_req "$LAST_REQ: header $1 is '$got', expected '$2'"
}

expect_body_file() {
    cmp -s "$BODY" "$1" || fail_req "$LAST_REQ: the body differs from '$1'"
}

expect_oci_error() {
    local status=$1 code=$2 got
    expect_spec_error "$status"
    got=$(jq -r '.errors[0].code' "$BODY")
    [ "$got" = "$code" ] || fail_req "$LAST_REQ: error code '$got', expected '$code'"
}

# The distribution spec: "The code field MUST be one of the following".
OCI_ERROR_CODES='["BLOB_UNKNOWN","BLOB_UPLOAD_INVALID","BLOB_UPLOAD_UNKNOWN","DIGEST_INVALID",
  "MANIFEST_BLOB_UNKNOWN","MANIFEST_INVALID","MANIFEST_UNKNOWN","NAME_INVALID","NAME_UNKNOWN",
  "SIZE_INVALID","UNAUTHORIZED","DENIED","UNSUPPORTED","TOOMANYREQUESTS"]'

expect_spec_error() {
    local ct
    expect_code "$1"
    ct=$(hdr Content-Type)
    case $ct in
        application/json*) ;;
        *) fail_req "$LAST_REQ: error Content-Type '$ct', expected application/json" ;;
    esac
    jq -e '(.errors | type == "array" and length >= 1)
           and all(.errors[]; (.code | type == "string") and (.message | type == "string"))' \
        "$BODY" >/dev/null 2>&1 || fail_req "$LAST_REQ: the body is not the spec's error JSON"
    jq -e --argjson set "$OCI_ERROR_CODES" 'all(.errors[]; .code as $c | $set | index($c) != null)' \
        "$BODY" >/dev/null || fail_req "$LAST_REQ: an error code outside the spec's set: $(jq -c '[.errors[].code]' "$BODY")"
}

digest_of() { echo "sha256:$(sha256 "$1")"; }

source_manifest() {
    SRC=$S/images/app-oci
    expect_exit 0 skopeo inspect --raw "oci:$SRC:1.4"
    cp "$OUT" "$T/src-manifest.json"
    MDIG=$(digest_of "$T/src-manifest.json")
}

# link_next: the target of the last response's Link header with rel="next", or nothing.
link_next() {
    hdr Link | sed -n 's/^[[:space:]]*<\([^>]*\)>.*rel="\{0,1\}next"\{0,1\}.*$/\1/p'
}

slice() {
    dd if="$1" iflag=skip_bytes,count_bytes bs=64K skip="$2" count=$(($3 - $2 + 1)) status=none
}

push_token() {
    TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
    printf '%s\n' "$TOKEN" >"$T/token"
    chmod 600 "$T/token"
    AUTH=(-H "Authorization: Bearer $TOKEN")
    OCTET=(-H "Content-Type: application/octet-stream")
}

serve_store_big() {
    make_sample "$S"
    SRC=$S/images/app-oci
    BIG=$S/images/big-oci
    cp -r "$SRC" "$BIG"
    expect_exit 0 umoci unpack --rootless --image "$BIG:1.4" "$T/unpacked"
    head -c 300000 /dev/urandom >"$T/unpacked/rootfs/app/random.bin"
    expect_exit 0 umoci repack --image "$BIG:big" "$T/unpacked"
    cat >>"$S/airlock.yaml" <<'EOF'
  - kind: image
    path: images/big-oci:big
    name: myorg/big:1.0
EOF
    serve_store
}
