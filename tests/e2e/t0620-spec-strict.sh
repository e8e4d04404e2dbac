#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The spec is read like the strictest reader (docs/FORMAT.md §1): a YAML alias used as a
# mapping key is refused (PyYAML reads it as the anchored value, a naive reader as the
# alias's name); a key of the wrong type says "wrong type", not "missing"; platforms and
# python are type-checked and recorded in airlock.json. Passing twin first: a spec with
# platforms and python makes a bundle whose airlock.json carries them, and it verifies.
. "$(dirname "$0")/lib.sh"
need jq

mkdir -p "$T/s/files"
echo "hello" >"$T/s/files/note.txt"
tail_='artifacts:
  - kind: file
    path: files/note.txt'

# passing twin
printf 'name: tiny\nversion: 1\nplatforms: [linux/amd64, linux/arm64/v8]\npython: "3.11"\n%s\n' "$tail_" >"$T/s/good.yaml"
expect_exit 0 airlock bundle create -f "$T/s/good.yaml" -o "$T/good" --quiet
assert_eq "$(jq -c .platforms "$T/good/airlock.json")" '["linux/amd64","linux/arm64/v8"]' "platforms in airlock.json"
assert_eq "$(jq -r .python "$T/good/airlock.json")" 3.11 "python in airlock.json"
expect_exit 0 airlock verify "$T/good"
# without them, airlock.json has neither
printf 'name: tiny\nversion: 1\n%s\n' "$tail_" >"$T/s/plain.yaml"
expect_exit 0 airlock bundle create -f "$T/s/plain.yaml" -o "$T/plain" --quiet
assert_eq "$(jq -c '[has("platforms"), has("python")]' "$T/plain/airlock.json")" '[false,false]' \
    "platforms and python in airlock.json without them in the spec"

# bad NAME MESSAGE: the spec on stdin; bundle create exits 2 naming MESSAGE, writes nothing
bad() {
    cat >"$T/s/$1.yaml"
    expect_exit 2 airlock bundle create -f "$T/s/$1.yaml" -o "$T/out-$1" --quiet
    expect_stderr_contains "$2"
    assert_absent "$T/out-$1"
}

# an alias as a key: PyYAML would read 'tiny: x', airlock (before) 'n: x'
bad alias-key "a YAML alias is used as a mapping key; aliases are not accepted" <<EOF
name: &n tiny
version: 1
*n : x
$tail_
EOF
if python3 -c 'import yaml' 2>/dev/null; then
    assert_eq "$(python3 -c 'import sys, yaml; print(sorted(yaml.safe_load(open(sys.argv[1]))))' "$T/s/alias-key.yaml")" \
        "['artifacts', 'name', 'tiny', 'version']" "PyYAML's reading of the alias key"
fi
bad alias-key-nested "a YAML alias is used as a mapping key" <<'EOF'
name: tiny
version: 1
artifacts:
  - kind: &k path
    *k : files/note.txt
EOF

bad version-seq "$T/s/version-seq.yaml: 'version' has the wrong type: expected an integer, got a sequence" <<EOF
name: tiny
version: [1]
$tail_
EOF
bad name-map "'name' has the wrong type: expected a string, got a mapping" <<EOF
name: {a: b}
version: 1
$tail_
EOF
bad path-seq "artifacts[0]: 'path' has the wrong type: expected a path, got a sequence" <<'EOF'
name: tiny
version: 1
artifacts:
  - kind: file
    path: [files/note.txt]
EOF
bad platforms-str "'platforms' has the wrong type: expected a sequence of platforms such as [linux/amd64], got a scalar" <<EOF
name: tiny
version: 1
platforms: linux/amd64
$tail_
EOF
bad platform-bad "'platforms[0]' is 'amd64', not a platform such as linux/amd64 or linux/arm64/v8" <<EOF
name: tiny
version: 1
platforms: [amd64]
$tail_
EOF
bad python-seq "'python' has the wrong type: expected a version such as \"3.11\", got a sequence" <<EOF
name: tiny
version: 1
python: [3, 11]
$tail_
EOF
bad python-bad "'python' is 'latest', not a version such as \"3.11\" or \"3.11.4\"" <<EOF
name: tiny
version: 1
python: latest
$tail_
EOF

# an unquoted X.Y that PyYAML reads as another number (3.10 is 3.1): refused; quoted, fine
bad python-float "'python' is 3.10 unquoted, which YAML 1.1 readers such as PyYAML read as a number of another value; quote it: python: \"3.10\"" <<EOF
name: tiny
version: 1
python: 3.10
$tail_
EOF
if python3 -c 'import yaml' 2>/dev/null; then
    assert_eq "$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["python"])' "$T/s/python-float.yaml")" \
        3.1 "PyYAML's reading of python: 3.10"
fi
printf 'name: tiny\nversion: 2\npython: "3.10"\n%s\n' "$tail_" >"$T/s/quoted.yaml"
expect_exit 0 airlock bundle create -f "$T/s/quoted.yaml" -o "$T/quoted" --quiet
assert_eq "$(jq -r .python "$T/quoted/airlock.json")" 3.10 "python in airlock.json when quoted"
