#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Import under the store's trust policy: a fully signed bundle goes in and its signers are
# recorded; an under-signed one is refused and quarantined; --trust FILE replaces the
# store's policy for one import; a store without a policy refuses, with the way out, until
# --allow-unsigned (recorded, shown by store ls), which a policy forbids (exit 64).
. "$(dirname "$0")/trust-lib.sh"
signed_setup
ST=$T/store
tiny_bundle "$T/u2" tiny 2          # under-signed: security 1 of 2
sign "$T/u2" builder builder
sign "$T/u2" security security1
tiny_bundle "$T/u3" tiny 3
sign "$T/u3" builder builder
sign "$T/u3" security security2

expect_exit 0 airlock init --store "$ST" --trust "$T/trust.yaml"
expect_stdout_contains "store ready at '$ST' with its trust policy"
expect_exit 0 airlock store trust show --store "$ST"
for id in "$B" "$S1" "$S2"; do expect_stdout_contains "# $id"; done

# fully signed: in, with its signers
expect_exit 0 airlock import "$T/b" --store "$ST"
expect_stdout_contains "imported tiny version 1 into '$ST'"
expect_role_keys builder "1 of 1 needed" "$B"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"
expect_exit 0 airlock store ls --store "$ST" --json
assert_eq "$(json "$OUT" '.bundles[0].unsigned')" 0 ".bundles[0].unsigned"
assert_eq "$(json "$OUT" '.bundles[0].signers.builder.keys | join(",")')" "$B" "builder signers"
assert_eq "$(json "$OUT" '.bundles[0].signers.security.keys | sort | join(",")')" \
    "$(printf '%s\n' "$S1" "$S2" | LC_ALL=C sort | paste -sd, -)" "security signers"
expect_exit 0 airlock store ls --store "$ST"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"
expect_stdout_not_contains "UNSIGNED"
expect_exit 0 airlock import "$T/b" --store "$ST" --json
assert_eq "$(json "$OUT" .status)" "already imported" "import --json .status"
assert_eq "$(json "$OUT" .unsigned)" false "import --json .unsigned"

# under-signed: refused, quarantined with the reason, nothing installed
expect_exit 1 airlock import "$T/u2" --store "$ST"
expect_stderr_contains "airlock: import: role 'security' needs signatures by 2 distinct keys of 2, has 1"
expect_stderr_contains "it was moved to '$ST/quarantine/"
q=$(sed -n "s|.*it was moved to '\\($ST/quarantine/[^']*\\)'.*|\\1|p" "$ERR")
[ -n "$q" ] && [ -d "$q" ] || fail "no quarantine directory named in stderr"
grep -qF "role 'security' needs signatures by 2 distinct keys of 2, has 1" "$q/REASON" ||
    fail "the quarantine REASON does not name the cause: $(cat "$q/REASON" 2>/dev/null)"
expect_exit 0 airlock store ls --store "$ST" --json
assert_eq "$(json "$OUT" '[.bundles[] | .version] | map(tostring) | join(",")')" 1 "versions in the store"
expect_exit 0 airlock store fsck --store "$ST"

# --trust FILE replaces the store's policy for this one import: 1 of 2 is enough ...
sed 's/threshold: 2/threshold: 1/' "$T/trust.yaml" >"$T/one.yaml"
expect_exit 0 airlock import "$T/u2" --store "$ST" --trust "$T/one.yaml"
expect_stdout_contains "imported tiny version 2"
expect_role_keys security "1 of 1 needed" "$S1"
expect_exit 0 airlock store ls --store "$ST" --json
assert_eq "$(json "$OUT" '[.bundles[] | select(.version == 2) | .signers.security.threshold] | join(",")')" 1 \
    "the threshold recorded for version 2"
# ... and the store's own policy is back for the next one
expect_exit 1 airlock import "$T/u3" --store "$ST"
expect_stderr_contains "role 'security' needs signatures by 2 distinct keys of 2, has 1"
# a stricter --trust refuses what the store's policy would take
tiny_bundle "$T/v4" tiny 4
sign_all "$T/v4"
policy "$T/strict.yaml"
sed -i 's/^require: \[builder, security\]$/require: [builder, security, auditor]/' "$T/strict.yaml"
python3 - "$T/strict.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("roles:\n", "roles:\n  auditor:\n    threshold: 1\n    keys: [keys/outsider.pub]\n", 1)
open(p, "w").write(s)
PY
expect_exit 1 airlock import "$T/v4" --store "$ST" --trust "$T/strict.yaml"
expect_stderr_contains "role 'auditor' needs signatures by 1 distinct key of 1, has 0"
expect_exit 0 airlock import "$T/v4" --store "$ST"
expect_stdout_contains "imported tiny version 4"

# --allow-unsigned where a policy applies: a usage error, nothing imported
tiny_bundle "$T/n5" tiny 5
expect_exit 64 airlock import "$T/n5" --store "$ST" --allow-unsigned
expect_stderr_contains "'--allow-unsigned' is refused: a trust policy applies to this import"
expect_exit 64 airlock import "$T/n5" --store "$ST" --allow-unsigned --trust "$T/trust.yaml"
expect_stderr_contains "--trust and --allow-unsigned exclude each other"
expect_exit 0 airlock store ls --store "$ST" --json
assert_eq "$(json "$OUT" '[.bundles[] | .version] | map(tostring) | join(",")')" 1,2,4 "versions in the store"

# ------------------------------------------------------------------ a store without a policy
N=$T/nopolicy
expect_exit 0 airlock init --store "$N"
expect_stdout_not_contains "trust policy"
expect_exit 0 airlock store trust show --store "$N"
expect_stdout_contains "store '$N' has no trust policy"
expect_exit 1 airlock import "$T/b" --store "$N"
expect_stderr_contains "store '$N' has no trust policy, so no signature can be checked: set one with 'airlock store trust set' (or 'airlock init --trust'), give '--trust FILE', or import unsigned with '--allow-unsigned' (recorded)"
assert_eq "$(ls "$N/quarantine" | wc -l)" 0 "entries in quarantine"
expect_exit 0 airlock store ls --store "$N" --json
assert_eq "$(json "$OUT" '.bundles | length')" 0 "bundles"
# a signed bundle with --trust FILE
expect_exit 0 airlock import "$T/b" --store "$N" --trust "$T/trust.yaml"
expect_role_keys security "2 of 2 needed" "$S1" "$S2"
# an unsigned one with --allow-unsigned: in, and recorded
expect_exit 0 airlock import "$T/n5" --store "$N" --allow-unsigned
expect_stdout_contains "imported tiny version 5"
expect_stdout_contains "WARNING: imported UNSIGNED (--allow-unsigned); this is recorded in the catalog"
expect_exit 0 airlock store ls --store "$N" --json
assert_eq "$(json "$OUT" '[.bundles[] | select(.version == 5) | .unsigned] | join(",")')" 1 "version 5 .unsigned"
assert_eq "$(json "$OUT" '[.bundles[] | select(.version == 1) | .unsigned] | join(",")')" 0 "version 1 .unsigned"
assert_eq "$(json "$OUT" '[.bundles[] | select(.version == 1) | .signers.security.satisfied] | join(",")')" true \
    "version 1 signers"
expect_exit 0 airlock store ls --store "$N"
expect_stdout_contains "UNSIGNED: imported with --allow-unsigned"
# once the store has a policy, unsigned is over
tiny_bundle "$T/n6" tiny 6
expect_exit 0 airlock store trust set "$T/trust.yaml" --store "$N"
expect_stdout_contains "store '$N' now enforces the trust policy from '$T/trust.yaml'"
expect_exit 64 airlock import "$T/n6" --store "$N" --allow-unsigned
expect_exit 1 airlock import "$T/n6" --store "$N"
expect_stderr_contains "role 'builder' needs signatures by 1 distinct key of 1, has 0"
expect_exit 0 airlock store fsck --store "$N"
