#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A model of 20,000 files would need a manifest past the 4 MiB registries accept: create
# refuses it before copying anything, naming the artifact, the limit and what to do
# (it used to say only "data exceeds its limit of 4194304 bytes", after copying it all).
# The twin: 'include:' leaves three quarters of the files out, and the bundle is made and verified,
# each in less than 64 MiB of memory.
. "$(dirname "$0")/lib.sh"
need python3 /usr/bin/time
mkdir -p "$T/m"
python3 - "$T/m" <<'PY'
import os, sys
for i in range(20000):
    with open(os.path.join(sys.argv[1], "shard-%05d.json" % i), "w") as f:
        f.write('{"i": %d}\n' % i)
PY
cat >"$T/airlock.yaml" <<'YAML'
name: many
version: 1
artifacts:
  - kind: model
    path: m
    name: local/many
YAML
expect_exit 2 airlock bundle create -f "$T/airlock.yaml" -o "$T/b" --quiet
expect_stderr_contains "model 'local/many' (20000 files): its manifest would be larger than 4194304 bytes (4 MiB), the most a registry accepts for one manifest (split it into several artifacts, or leave files out with 'include:')"
assert_no_leftovers "$T/b"

echo '    include: ["shard-0[0-4]*"]' >>"$T/airlock.yaml"
rss_checked
expect_exit 0 /usr/bin/time -f "maxrss %M" "$AIRLOCK" bundle create -f "$T/airlock.yaml" -o "$T/b" --quiet
rss=$(sed -n 's/^maxrss //p' "$ERR")
[ "$CHECK_RSS" = 0 ] || [ "$rss" -lt 65536 ] || fail "bundle create of 5,000 files used $rss KiB (more than 64 MiB)"
expect_exit 0 /usr/bin/time -f "maxrss %M" "$AIRLOCK" verify "$T/b" --quiet
expect_stdout_contains "is intact"
rss=$(sed -n 's/^maxrss //p' "$ERR")
[ "$CHECK_RSS" = 0 ] || [ "$rss" -lt 65536 ] || fail "verify of 5,000 files used $rss KiB (more than 64 MiB)"
assert_eq "$(json "$T/b/airlock.json" '.artifacts[0].info.files')" 5000 "files in the model"
