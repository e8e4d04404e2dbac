#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A trust policy that is wrong is refused with exit 2 and a message naming the mistake,
# by verify, init and store trust set alike; nothing is created or changed.
. "$(dirname "$0")/trust-lib.sh"
signed_setup

# bad NAME MESSAGE: $T/bad-NAME.yaml (already written) is refused everywhere
bad() {
    local f=$T/bad-$1.yaml
    expect_exit 2 airlock verify "$T/b" --trust "$f"
    expect_stderr_contains "$2"
    expect_stdout_not_contains "satisfy"
    expect_exit 2 airlock init --store "$T/st-$1" --trust "$f"
    expect_stderr_contains "$2"
    assert_absent "$T/st-$1"
    expect_exit 2 airlock store trust set "$f" --store "$T/good"
    expect_stderr_contains "$2"
    expect_exit 2 airlock import "$T/b" --store "$T/good" --trust "$f"
    expect_stderr_contains "$2"
}
# edit NAME PYTHON-EXPR: $T/bad-NAME.yaml = the usual policy text s, changed
edit() {
    python3 - "$T/trust.yaml" "$T/bad-$1.yaml" "$2" <<'PY' || fail "cannot write bad-$1.yaml"
import sys
s = open(sys.argv[1]).read()
out = eval(sys.argv[3])
assert out != s, "no change"
open(sys.argv[2], "w").write(out)
PY
}
expect_exit 0 airlock init --store "$T/good" --trust "$T/trust.yaml"
expect_exit 0 airlock store trust show --store "$T/good"
cp "$OUT" "$T/good-policy"

edit unknown-top 's + "requires: [builder]\n"'
bad unknown-top "'$T/bad-unknown-top.yaml': unknown key 'requires'"
edit unknown-role-key 's.replace("    threshold: 1\n", "    treshold: 1\n")'
bad unknown-role-key "role 'builder': unknown key 'treshold'"
edit no-roles 's.replace(s[:s.index("require:")], "roles: {}\n")'
bad no-roles "'roles' must map role names to keys and a threshold"
edit role-name 's.replace("  builder:", "  Builder:").replace("[builder,", "[Builder,")'
bad role-name "role 'Builder': a role name starts with a lower-case letter or a digit"
edit threshold-0 's.replace("threshold: 1", "threshold: 0")'
bad threshold-0 "role 'builder': 'threshold' must be a positive integer"
edit threshold-word 's.replace("threshold: 2", "threshold: two")'
bad threshold-word "role 'security': 'threshold' must be a positive integer"
edit threshold-high 's.replace("threshold: 2", "threshold: 3")'
bad threshold-high "role 'security': threshold 3 can never be met by 2 keys"
edit no-keys 's.replace("keys: [keys/builder.pub]", "keys: []")'
bad no-keys "role 'builder': 'keys' must list at least one public key"
edit missing-key 's.replace("keys/builder.pub", "keys/nobody.pub")'
bad missing-key "'keys/nobody.pub' is neither a public key nor a readable .pub file"
edit secret-key 's.replace("keys/builder.pub", "keys/builder.key")'
bad secret-key "'keys/builder.key' is neither a public key nor a readable .pub file"
edit require-unknown 's.replace("require: [builder, security]", "require: [builder, auditor]")'
bad require-unknown "required role 'auditor' is not defined in 'roles'"
edit no-require 's.replace("require: [builder, security]\n", "")'
bad no-require "'require' must list the roles every bundle needs"
edit max-age-word 's + "max_age: forever\n"'
bad max-age-word "bad 'max_age' 'forever' (use 36h, 120d or 2w)"
edit max-age-zero 's + "max_age: 0d\n"'
bad max-age-zero "bad 'max_age' '0d'"
# a date is not an age
edit max-age-date 's + "max_age: 2030-01-01\n"'
bad max-age-date "bad 'max_age' '2030-01-01'"

# allow_legacy_signatures is true or false, nothing that merely looks like it
edit legacy-yes 's + "allow_legacy_signatures: yes\n"'
bad legacy-yes "'allow_legacy_signatures' is true or false"

expect_exit 2 airlock verify "$T/b" --trust "$T/nothing.yaml"
expect_exit 0 airlock store trust show --store "$T/good"
cmp -s "$OUT" "$T/good-policy" || fail "a refused policy changed the store's"
expect_exit 0 airlock import "$T/b" --store "$T/good"
