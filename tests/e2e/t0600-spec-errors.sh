#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A bad spec or a missing source is an operational error (exit 2) that names the
# problem and leaves nothing at -o (no bundle, no .partial leftovers), in both forms.
. "$(dirname "$0")/lib.sh"

make_sample "$S"

# bad_spec MESSAGE: the spec on stdin, written beside the sample so that its relative
# paths resolve; bundle create must exit 2 with MESSAGE and leave nothing behind.
n=0
bad_spec() {
    n=$((n + 1))
    cat >"$S/bad-$n.yaml"
    expect_exit 2 airlock bundle create -f "$S/bad-$n.yaml" -o "$T/out-$n" --quiet
    expect_stderr_contains "$1"
    expect_stdout_not_contains "wrote"
    assert_no_leftovers "$T/out-$n"
    expect_exit 2 airlock bundle create -f "$S/bad-$n.yaml" -o "$T/out-$n.tar" --tar --quiet
    expect_stderr_contains "$1"
    assert_no_leftovers "$T/out-$n.tar"
}

bad_spec "bad-1.yaml: artifacts[0]: unknown kind 'foo' (expected model, wheel, wheels, image, file or vulndb)" <<'YAML'
name: x
version: 1
artifacts:
  - kind: foo
    path: files/runbook.txt
YAML
bad_spec "bad-2.yaml: 'version' is missing" <<'YAML'
name: x
artifacts:
  - kind: file
    path: files/runbook.txt
YAML
bad_spec "bad-3.yaml: unknown key 'colour'" <<'YAML'
name: x
version: 1
colour: red
artifacts:
  - kind: file
    path: files/runbook.txt
YAML
bad_spec "bad-4.yaml: artifacts[0]: unknown key 'colour'" <<'YAML'
name: x
version: 1
artifacts:
  - kind: file
    path: files/runbook.txt
    colour: red
YAML
bad_spec "bad-5.yaml: artifacts[0]: 'from' is 'ftp://example/app': airlock fetches https:// files, hf:// models and docker:// images" <<'YAML'
name: x
version: 1
artifacts:
  - kind: image
    from: ftp://example/app
YAML
# a missing source, after a good one (which is already being gathered)
bad_spec "artifacts[1] (file '$S/files/nope.txt'): cannot stat '$S/files/nope.txt': No such file or directory" <<'YAML'
name: x
version: 1
artifacts:
  - kind: model
    path: models/tiny-model
  - kind: file
    path: files/nope.txt
YAML
bad_spec "artifacts[1] (image '$S/images/app-oci'): image layout '$S/images/app-oci' has no tag '9.9'" <<'YAML'
name: x
version: 1
artifacts:
  - kind: model
    path: models/tiny-model
  - kind: image
    path: images/app-oci:9.9
YAML
bad_spec "artifacts[0] (model '$S/models/tiny-model'): '$S/models/tiny-model' holds no files that match 'include'" <<'YAML'
name: x
version: 1
artifacts:
  - kind: model
    path: models/tiny-model
    include: ["*.gguf"]
YAML
# found only after every file was copied: the partial output must still go
bad_spec "two artifacts would both be 'file/runbook.txt'" <<'YAML'
name: x
version: 1
artifacts:
  - kind: model
    path: models/tiny-model
  - kind: file
    path: files/runbook.txt
  - kind: file
    path: files/runbook.txt
YAML
bad_spec "bad-10.yaml: 'version' must be a positive integer" <<'YAML'
name: x
version: 0
artifacts:
  - kind: file
    path: files/runbook.txt
YAML

# no spec at all
expect_exit 2 airlock bundle create -f "$T/no-such.yaml" -o "$T/out-none"
expect_stderr_contains "$T/no-such.yaml"
assert_no_leftovers "$T/out-none"

# an output that exists is never touched
for kind in dir file; do
    o=$T/exists-$kind
    if [ $kind = dir ]; then mkdir "$o" && echo keep >"$o/keep"; else echo keep >"$o"; fi
    expect_exit 2 airlock bundle create -f "$S/airlock.yaml" -o "$o" --quiet
    expect_stderr_contains "'$o' already exists; choose a new output path"
    expect_exit 2 airlock bundle create -f "$S/airlock.yaml" -o "$o" --tar --quiet
    expect_stderr_contains "'$o' already exists"
    if [ $kind = dir ]; then
        assert_eq "$(ls -A "$o")" keep "contents of the existing output directory"
    else
        assert_eq "$(cat "$o")" keep "contents of the existing output file"
    fi
    for f in "$o".partial*; do [ ! -e "$f" ] || fail "leftover '$f'"; done
done
ln -s "$T/nowhere" "$T/dangling"
expect_exit 2 airlock bundle create -f "$S/airlock.yaml" -o "$T/dangling" --quiet
expect_stderr_contains "already exists"
assert_absent "$T/nowhere"
