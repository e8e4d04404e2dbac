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
