#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock drill` (src/cli/cmd_drill.c, src/lib/store/scratch.c, docs/cmd/drill.md): the
# next update rehearsed on a scratch copy of a store with the usual trust policy and a
# release on production. Every step passes for a well-signed next bundle that fits the
# media, and the live store is byte for byte as it was (every file but SQLite's -shm and an empty -wal,
# hashed before and after; its channel and bundles unchanged). Must-fail twins, each named
# in the checklist with exit 1: a store with no trust policy, a bundle only the builder
# signed, a bundle that does not fit the media; and the scratch copy is always removed.
. "$(dirname "$0")/trust-lib.sh"
test_keys
ST=$T/store
policy "$T/trust.yaml"
expect_exit 0 airlock init --store "$ST" --trust "$T/trust.yaml"
tiny_bundle "$T/v1" llm 1 30d "$(head -c 300000 /dev/urandom | base64 -w0)"
sign_all "$T/v1"
expect_exit 0 airlock import "$T/v1" --store "$ST" --quiet
expect_exit 0 airlock release create q1 --from llm@1 --store "$ST"
expect_exit 0 airlock release promote q1 --to production --store "$ST"
tiny_bundle "$T/v2" llm 2 30d "$(head -c 300000 /dev/urandom | base64 -w0)"
sign_all "$T/v2"
# every file of the store but what any SQLite reader makes: the -shm index and an empty -wal
fingerprint() {
    (cd "$ST" && find . -type f ! -name 'catalog.db-shm' ! \( -name 'catalog.db-wal' -empty \) -print0 |
        LC_ALL=C sort -z | xargs -0 sha256sum)
}
fingerprint >"$T/before"
mkdir "$T/tmp2"
export TMPDIR=$T/tmp2

expect_exit 0 airlock drill --store "$ST" --bundle "$T/v2" --media-size 1M --json
assert_eq "$(json "$OUT" '.ok')" true "the drill's verdict"
assert_eq "$(json "$OUT" '[.steps[] | .step + ":" + (.ok | tostring)] | join(",")')" \
    "trust policy:true,media:true,scratch copy:true,import:true,release:true,promote:true,rollback:true" "the steps"
assert_eq "$(json "$OUT" '.steps[] | select(.step == "promote") | .detail')" "to production through every gate; it was q1" "the promotion"
assert_eq "$(json "$OUT" '.steps[] | select(.step == "rollback") | .detail')" "production back to q1 in one step" "the rollback"
json "$OUT" '.steps[] | select(.step == "media") | .detail' | stdin_has "on 3 volumes of 1M (1 data, 2 parity)" ||
    fail "the media step: $(json "$OUT" '.steps[] | select(.step == "media") | .detail')"
fingerprint >"$T/after"
cmp -s "$T/before" "$T/after" || fail "the drill changed the live store: $(diff "$T/before" "$T/after")"
expect_exit 0 airlock release channel production --store "$ST" --json
assert_eq "$(json "$OUT" .release)" q1 "production after the drill"
expect_exit 0 airlock store ls --store "$ST" --json
assert_eq "$(json "$OUT" '[.bundles[] | .version] | join(",")')" 1 "the bundles after the drill"
assert_eq "$(find "$T/tmp2" -mindepth 1 | wc -l)" 0 "what the drill left in TMPDIR"
expect_exit 0 airlock drill --store "$ST" --bundle "$T/v2"
expect_stdout_contains "nothing would block the update"
expect_stdout_contains "ok"

# a bundle only the builder signed: the import step blocks, naming the security role
tiny_bundle "$T/v3" llm 3
sign "$T/v3" builder builder
expect_exit 1 airlock drill --store "$ST" --bundle "$T/v3"
expect_stdout_contains "BLOCKS"
expect_stdout_contains "security"
expect_stdout_contains "the update would be blocked"
# a bundle that does not fit the media
expect_exit 1 airlock drill --store "$ST" --bundle "$T/v2" --media-size 16K --parity 1 --json
assert_eq "$(json "$OUT" '.steps[] | select(.step == "media") | .ok')" false "the media step for 16K volumes"
json "$OUT" '.steps[] | select(.step == "media") | .detail' | stdin_has "use larger media" ||
    fail "the media step does not say why"
# a store with no trust policy
expect_exit 0 airlock init --store "$T/open"
expect_exit 1 airlock drill --store "$T/open" --json
assert_eq "$(json "$OUT" '.steps[0].ok')" false "the policy step of a store without one"
json "$OUT" '.steps[0].detail' | stdin_has "has no trust policy: an update could only come in with --allow-unsigned" ||
    fail "the policy step: $(json "$OUT" '.steps[0].detail')"
expect_exit 64 airlock drill --store "$ST" --media-size 1M
assert_eq "$(find "$T/tmp2" -mindepth 1 | wc -l)" 0 "what the drills left in TMPDIR"
fingerprint >"$T/after2"
cmp -s "$T/before" "$T/after2" || fail "the drills changed the live store"

# a role whose keys have expired: the policy step blocks, naming the key and when; the
# import step too, since the expired key's signature no longer counts. A key that expires
# within 30 days is named before it blocks (twin: the same store, the key renewed, passes).
ymd() { date -u -d "@$(($(date +%s) + $1 * 86400))" +%Y-%m-%d; }
EXP=$T/expiring
policy_of "$T/trust-exp.yaml" keys/builder.pub "keys/security1.pub, {key: keys/security2.pub, expires: $(ymd -2)}" \
    "builder, security"
expect_exit 0 airlock init --store "$EXP" --trust "$T/trust-exp.yaml"
expect_exit 1 airlock drill --store "$EXP" --bundle "$T/v2" --json
assert_eq "$(json "$OUT" '[.steps[] | .step + ":" + (.ok | tostring)] | join(",")')" \
    "trust policy:false,scratch copy:true,import:false" "the steps with an expired key"
json "$OUT" '.steps[0].detail' | stdin_has -E "security 2 of 1 keys unexpired \\($S2 EXPIRED at $(ymd -1)T00:00:00Z\\) \\(UNREACHABLE\\)" ||
    fail "the policy step: $(json "$OUT" '.steps[0].detail')"
json "$OUT" '.steps[2].detail' | stdin_has -F "key $S2 of role 'security' expired at $(ymd -1)T00:00:00Z (trust policy): its signatures no longer count" ||
    fail "the import step: $(json "$OUT" '.steps[2].detail')"
expect_exit 1 airlock import "$T/v2" --store "$EXP" --quiet
expect_stderr_contains "key $S2 of role 'security' expired"
policy_of "$T/trust-exp.yaml" keys/builder.pub "keys/security1.pub, {key: keys/security2.pub, expires: $(ymd 10)}" \
    "builder, security"
expect_exit 0 airlock store trust set "$T/trust-exp.yaml" --store "$EXP"
expect_exit 0 airlock drill --store "$EXP" --bundle "$T/v2" --json
json "$OUT" '.steps[0].detail' | stdin_has -F "security 2 of 2 keys ($S2 expires at $(ymd 11)T00:00:00Z)" ||
    fail "the policy step with a key expiring soon: $(json "$OUT" '.steps[0].detail')"
