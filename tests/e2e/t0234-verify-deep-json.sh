#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Must-fail twin: JSON that nests deeper than 64 levels is refused in every JSON file
# the verifier reads (jansson takes 2048 levels, SQLite's json_extract stops at 2000,
# so a signed bundle with deep metadata would otherwise install and then 404 downstream).
# The twin: exactly 64 levels verify and import.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-lib.sh"
need jq python3
small_bundle "$T/b"

# deepen FILE JQPATH LEVELS: sets JQPATH in FILE to LEVELS nested objects
deepen() {
    python3 - "$@" <<'PY'
import json, sys
path, where, levels = sys.argv[1], sys.argv[2].split("."), int(sys.argv[3])
doc = json.load(open(path))
o = doc
for k in where[:-1]:
    o = o[int(k)] if k.isdigit() else o[k]
o[where[-1]] = "@DEEP@"
deep = '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)
open(path, "w").write(json.dumps(doc, indent=1).replace('"@DEEP@"', deep))
PY
}

# airlock.json: root, artifacts, artifacts[0], info, then info.deep: 4 + N levels
cp -a "$T/b" "$T/ok"
deepen "$T/ok/airlock.json" artifacts.0.info.deep 60
regen_sums "$T/ok"
expect_exit 0 airlock verify "$T/ok"

cp -a "$T/b" "$T/deep"
deepen "$T/deep/airlock.json" artifacts.0.info.deep 61
regen_sums "$T/deep"
expect_exit 1 airlock verify "$T/deep"
expect_stderr_contains "'airlock.json' nests 65 levels deep; at most 64 are accepted"
expect_stderr_contains "FAILED verification: 1 problem"
# far deeper (jansson's own limit is 2048)
cp -a "$T/b" "$T/deeper"
deepen "$T/deeper/airlock.json" artifacts.0.info.deep 2000
regen_sums "$T/deeper"
expect_exit 1 airlock verify "$T/deeper"
expect_stderr_contains "'airlock.json' nests 2004 levels deep; at most 64 are accepted"

# index.json: root, manifests, manifests[0], then the extra member
cp -a "$T/b" "$T/index"
deepen "$T/index/index.json" manifests.0.x 70
regen_sums "$T/index"
expect_exit 1 airlock verify "$T/index"
expect_stderr_contains "'index.json' nests 73 levels deep; at most 64 are accepted"

# import: refused (exit 1) and quarantined; the twin imports
expect_exit 0 airlock init --store "$T/store"
expect_exit 1 airlock import --allow-unsigned --store "$T/store" "$T/deep"
expect_stderr_contains "'airlock.json' nests 65 levels deep"
expect_exit 0 airlock import --allow-unsigned --store "$T/store" "$T/ok"
