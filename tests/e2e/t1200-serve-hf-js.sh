#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Hugging Face JS client (@huggingface/hub from npm, pinned in tests/node) with hubUrl
# set to `airlock serve`: modelInfo, listFiles (recursive, every linked page) and
# downloadFile of every file of local/tiny-model give the sample model's files byte for
# byte; the 2100-file model lists every file exactly once through the client's own
# pagination; a one-segment repo id and a pinned commit work.
# Must-fail twins: a blob corrupted in the store (same size, one bit flipped) is caught,
# because the bytes no longer hash to the ETag the server advertises for them; a missing
# file is the client's "no such file" (null), and an unknown repo its 404 HubApiError.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/hf-lib.sh"
need node jq curl python3 sha256sum
need_node_package @huggingface/hub

# hf ARGS...: the JS client script (for use with expect_exit).
hf() { node "$NODE_DIR/hf-download.mjs" "$@"; }

serve_store
hf_extra_models
serve_start
TINY=$S/models/tiny-model
COMMIT=$(bundle_commit "$B" local/tiny-model)

# --- every file of local/tiny-model, byte for byte
expect_exit 0 hf "$URL" local/tiny-model "$T/dl"
cp "$OUT" "$T/dl.json"
assert_eq "$(json "$T/dl.json" .name)" local/tiny-model "modelInfo name"
assert_eq "$(json "$T/dl.json" .sha)" "$COMMIT" "modelInfo sha (the manifest digest's first 40 hex)"
model_files "$TINY" >"$T/want-files"
json "$T/dl.json" '[.listed[] | select(.type == "file") | .path] | sort | .[]' >"$T/got-files"
cmp -s "$T/want-files" "$T/got-files" ||
    fail "listFiles: $(diff "$T/want-files" "$T/got-files" | head -20)"
assert_eq "$(json "$T/dl.json" '.files | length')" "$(wc -l <"$T/want-files")" "files downloaded"
while read -r f; do
    cmp -s "$TINY/$f" "$T/dl/$f" || fail "downloaded '$f' differs from the sample model's"
    h=$(sha256 "$TINY/$f")
    assert_eq "$(json "$T/dl.json" ".files[] | select(.path == \"$f\") | .etag")" "$h" "the ETag of '$f'"
    assert_eq "$(json "$T/dl.json" ".listed[] | select(.path == \"$f\") | .size")" "$(stat -c %s "$TINY/$f")" \
        "listFiles size of '$f'"
done <"$T/want-files"
[ "$(wc -l <"$T/want-files")" -ge 6 ] || fail "the sample model has fewer files than expected"

# --- by the pinned commit too
expect_exit 0 hf "$URL" local/tiny-model "$T/dl-commit" --revision "$COMMIT" --only config.json
cmp -s "$TINY/config.json" "$T/dl-commit/config.json" || fail "config.json at the commit differs"
assert_eq "$(json "$OUT" .sha)" "$COMMIT" "modelInfo sha at the commit"

# --- a one-segment repo id, and its recorded revision
expect_exit 0 hf "$URL" tinyone "$T/dl-one"
for f in config.json README.md weights.bin; do
    cmp -s "$ONE_DIR/$f" "$T/dl-one/$f" || fail "tinyone: downloaded '$f' differs"
done
expect_exit 0 hf "$URL" tinyone "$T/dl-one-rel" --revision release-1 --only weights.bin
cmp -s "$ONE_DIR/weights.bin" "$T/dl-one-rel/weights.bin" || fail "tinyone@release-1: weights.bin differs"

# --- 2101 files: the client follows the server's Link pages to the end, each file once
expect_exit 0 hf "$URL" test/many-files "$T/dl-many" --list-only
cp "$OUT" "$T/many.json"
assert_eq "$(json "$T/many.json" .sha)" "$MANY_REV" "modelInfo sha of test/many-files (its 40-hex revision)"
model_files "$MANY_DIR" >"$T/want-many"
json "$T/many.json" '[.listed[] | select(.type == "file") | .path] | sort | .[]' >"$T/got-many"
assert_eq "$(wc -l <"$T/got-many")" $((MANY_N + 1)) "files listFiles yields for test/many-files"
cmp -s "$T/want-many" "$T/got-many" ||
    fail "listFiles of test/many-files: $(diff "$T/want-many" "$T/got-many" | head -10)"
expect_exit 0 hf "$URL" test/many-files "$T/dl-many" --only sub/d07/f1307.txt
cmp -s "$MANY_DIR/sub/d07/f1307.txt" "$T/dl-many/sub/d07/f1307.txt" || fail "sub/d07/f1307.txt differs"

# --- must fail: a missing file, an unknown repo
expect_exit 3 hf "$URL" local/tiny-model "$T/dl-missing" --only no-such-file.bin
expect_stderr_contains "NOT FOUND no-such-file.bin"
expect_exit 2 hf "$URL" local/no-such-model "$T/dl-nope"
expect_stderr_contains "HubApiError 404"
assert_absent "$T/dl-nope"

# --- must fail: one bit flipped in the weights' blob in the store (same size)
blob=$STORE/$(model_blob)
assert_exists "$blob"
flip_byte "$blob"
expect_exit 1 hf "$URL" local/tiny-model "$T/dl-bad"
expect_stderr_contains "MISMATCH model.safetensors: advertised ETag $(sha256 "$TINY/model.safetensors")"
assert_eq "$(grep -c '^MISMATCH ' "$ERR")" 1 "files reported as mismatched"
cmp -s "$TINY/model.safetensors" "$T/dl-bad/model.safetensors" &&
    fail "the corrupted blob was served as the original bytes"
cmp -s "$TINY/config.json" "$T/dl-bad/config.json" || fail "an intact file was damaged too"
flip_byte "$blob"   # put it back: the client is happy again
expect_exit 0 hf "$URL" local/tiny-model "$T/dl-again" --only model.safetensors
cmp -s "$TINY/model.safetensors" "$T/dl-again/model.safetensors" || fail "the restored blob differs"

serve_alive
serve_stop
