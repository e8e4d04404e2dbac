#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Hugging Face JS client against `airlock serve --tls-cert/--tls-key` (a self-signed
# certificate made here, trusted through NODE_EXTRA_CA_CERTS, as a site would add its own
# CA): every file of local/tiny-model arrives byte for byte over https, and the 2101-file
# model lists completely, so the Link rel="next" URLs the server builds are https ones
# the client follows. Must-fail twin: without the CA the client refuses the server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/hf-lib.sh"
need node jq curl openssl python3 sha256sum
need_node_package @huggingface/hub

# hf ARGS...: the JS client script, trusting the test's CA (for use with expect_exit).
hf() { NODE_EXTRA_CA_CERTS=$T/cert.pem node "$NODE_DIR/hf-download.mjs" "$@"; }
hf_no_ca() { env -u NODE_EXTRA_CA_CERTS node "$NODE_DIR/hf-download.mjs" "$@"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T/key.pem" -out "$T/cert.pem" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1 || fail "openssl req failed"
serve_store
hf_extra_models
serve_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
case $URL in https://*) ;; *) fail "the listening line of a TLS server is '$URL', not https://" ;; esac
TINY=$S/models/tiny-model

expect_exit 0 hf "$URL" local/tiny-model "$T/dl"
cp "$OUT" "$T/dl.json"
assert_eq "$(json "$T/dl.json" .sha)" "$(bundle_commit "$B" local/tiny-model)" "modelInfo sha over https"
model_files "$TINY" >"$T/want-files"
json "$T/dl.json" '[.files[].path] | sort | .[]' >"$T/got-files"
cmp -s "$T/want-files" "$T/got-files" || fail "files downloaded over https: $(diff "$T/want-files" "$T/got-files" | head)"
while read -r f; do
    cmp -s "$TINY/$f" "$T/dl/$f" || fail "'$f' over https differs from the sample model's"
done <"$T/want-files"

# the Link pages, over https
curl -sS --cacert "$T/cert.pem" -D "$T/h" -o /dev/null "$URL/api/models/test/many-files/tree/main?recursive=true" ||
    fail "curl the tree over https failed"
link=$(tr -d '\r' <"$T/h" | sed -n 's/^link: *//Ip')
[ -z "$link" ] || case $link in "<$URL/"*) ;; *) fail "Link over https is not an https URL on $URL: $link" ;; esac
expect_exit 0 hf "$URL" test/many-files "$T/dl-many" --list-only
assert_eq "$(json "$OUT" '[.listed[] | select(.type == "file") | .path] | unique | length')" $((MANY_N + 1)) \
    "distinct files listFiles yields over https"
assert_eq "$(json "$OUT" '[.listed[] | select(.type == "file")] | length')" $((MANY_N + 1)) \
    "files listFiles yields over https"

# must fail: a client that does not trust the certificate
expect_exit 4 hf_no_ca "$URL" local/tiny-model "$T/dl-no-ca" --only config.json
grep -qiE 'certificate|self.signed|fetch failed' "$ERR" || fail "the client's refusal does not name the certificate: $(head -c 500 "$ERR")"
assert_absent "$T/dl-no-ca/config.json"

serve_alive
serve_stop
