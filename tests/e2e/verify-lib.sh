# SPDX-License-Identifier: Apache-2.0
#
# verify-lib.sh: helpers for the verify tests that need no sample model or image.
# Sourced after lib.sh.
#
# small_bundle OUT [--tar]: a bundle of two small files (no umoci needed), which must
# then verify.
small_bundle() {
    if [ ! -f "$T/small/airlock.yaml" ]; then
        mkdir -p "$T/small"
        printf 'hello from airlock\n' >"$T/small/a.txt"
        printf '{"note": "a small JSON file"}\n' >"$T/small/b.json"
        cat >"$T/small/airlock.yaml" <<'YAML'
name: small
version: 3
artifacts:
  - kind: file
    path: a.txt
  - kind: file
    path: b.json
YAML
    fi
    expect_exit 0 airlock bundle create -f "$T/small/airlock.yaml" -o "$@" --quiet
    expect_exit 0 airlock verify "$1" --quiet
}

# resummed_small_bundle OUT: small_bundle OUT with its SHA256SUMS regenerated, which must
# still verify: the passing twin of the tests that edit a file and regenerate
# SHA256SUMS, so that only airlock's cross-checks can catch the edit.
resummed_small_bundle() {
    small_bundle "$1"
    regen_sums "$1"
    expect_exit 0 airlock verify "$1"
}

# expect_sums_path_refused BUNDLE PATH REASON: appends to BUNDLE's SHA256SUMS a line naming
# PATH (with the digest of a file outside the bundle); verify must exit 1 and name that
# line, PATH and REASON.
expect_sums_path_refused() {
    local n
    echo outside >"$T/x"
    echo "$(sha256 "$T/x")  $2" >>"$1/SHA256SUMS"
    n=$(wc -l <"$1/SHA256SUMS")
    expect_exit 1 airlock verify "$1"
    expect_stderr_contains "'SHA256SUMS' line $n: '$2': $3"
    expect_stderr_contains "FAILED verification"
}

# tar_end TAR: the byte offset where TAR's last member ends (before its
# end-of-archive blocks), as python's tarfile sees it.
tar_end() {
    python3 - "$1" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    t.getmembers()
    print(t.offset)
PY
}
