#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `airlock release` (src/lib/store/release.c, docs/cmd/release.md) on a store with the
# usual trust policy and signed bundles, some with a scan attached:
#   - create pins artifacts by digest; the release digest is recomputed here with
#     sha256sum from the artifacts `store ls` lists; refusals: a name taken, a bundle not
#     imported, a pattern that matches nothing, one name with two digests;
#   - promote through the gates; rollback in one step, recorded, and a second rollback past
#     the first release refused; the channel's history says who, when and why;
#   - must-fail twins, each leaving the channel as it was: a failing scan verdict, no scan
#     where the policy requires one, an expired bundle (its expiry moved into the past in
#     the catalog with python's sqlite3), a bundle imported with --allow-unsigned, and a
#     catalog step that fails mid-promotion (AIRLOCK_FAULT).
. "$(dirname "$0")/trust-lib.sh"
test_keys
ST=$T/store
policy "$T/trust.yaml"
printf 'origins:\n  deny: ["file:*"]\n' >"$T/deny-files.yaml"
printf 'telemetry: review\n' >"$T/default.yaml"
# signed NAME VERSION SCAN-POLICY|none [TEXT]: a tiny bundle, scanned (or not), signed by every role
signed() {
    local d=$T/spec-$1-$2
    mkdir -p "$d/files"
    echo "${4:-$1 $2}" >"$d/files/$1.txt"
    printf 'name: %s\nversion: %s\nexpires: 30d\nartifacts:\n  - kind: file\n    path: files/%s.txt\n' "$1" "$2" "$1" >"$d/airlock.yaml"
    expect_exit 0 airlock bundle create -f "$d/airlock.yaml" -o "$T/$1-$2" --quiet
    case $3 in
        none) ;;
        deny) airlock scan "$T/$1-$2" --attach --policy "$T/deny-files.yaml" >/dev/null 2>&1 || true
              jq -e '.verdict.result == "fail"' "$T/$1-$2/scan.json" >/dev/null || fail "$1 $2: the scan did not fail" ;;
        *) expect_exit 0 airlock scan "$T/$1-$2" --attach --policy "$T/$3" ;;
    esac
    sign_all "$T/$1-$2"
    expect_exit 0 airlock import "$T/$1-$2" --store "$ST" --quiet
}
# channel_is CHANNEL RELEASE|null
channel_is() {
    expect_exit 0 airlock release channel "$1" --store "$ST" --json
    assert_eq "$(json "$OUT" '.release')" "$2" "the release on channel $1"
}

expect_exit 0 airlock init --store "$ST" --trust "$T/trust.yaml"
signed llm-stack 1 default.yaml
signed llm-stack 2 default.yaml
signed risky 1 deny
signed plain 1 none

# ------------------------------------------------------------------ create
expect_exit 0 airlock release create 2027-Q1 --from llm-stack@1 --store "$ST" --actor "Ada AI-team" --json
assert_eq "$(json "$OUT" .artifacts)" 1 "artifacts in 2027-Q1"
d1=$(json "$OUT" .digest)
expect_exit 0 airlock store ls --store "$ST" --json
line=$(jq -r '.artifacts[] | select(.bundle == "llm-stack" and .bundleVersion == 1) | "\(.kind) \(.name) \(.digest)"' "$OUT")
assert_eq "$d1" "sha256:$(printf '%s\n' "$line" | sha256sum | cut -d' ' -f1)" "the release digest"
expect_exit 0 airlock release create 2027-Q2 --from llm-stack@2 --store "$ST"
expect_stdout_contains "created release '2027-Q2': 1 artifacts, sha256:"
expect_exit 1 airlock release create 2027-Q1 --from llm-stack@2 --store "$ST"
expect_stderr_contains "already has a release '2027-Q1': a release never changes"
expect_exit 2 airlock release create X --from llm-stack@9 --store "$ST"
expect_stderr_contains "holds no bundle llm-stack version 9"
expect_exit 2 airlock release create X --from llm-stack@1 --artifacts 'model/*' --store "$ST"
expect_stderr_contains "no artifact of the store matches 'model/*'"
expect_exit 1 airlock release create X --from llm-stack@1 --from llm-stack@2 --store "$ST"
expect_stderr_contains "file 'llm-stack.txt' comes with 2 different digests"
expect_exit 0 airlock release create both --from llm-stack@1 --from risky@1 --artifacts 'file/*' --store "$ST" --json
expect_exit 0 airlock release show both --store "$ST" --json
assert_eq "$(json "$OUT" '[.artifacts[].name] | join(",")')" "llm-stack.txt,risky.txt" "the artifacts of 'both'"
expect_exit 64 airlock release create X --store "$ST"
expect_exit 64 airlock release create ../x --from llm-stack@1 --store "$ST"
expect_stderr_contains "release name '../x'"
expect_exit 64 airlock release create X --from llm-stack --store "$ST"
expect_exit 64 airlock release promote 2027-Q1 --store "$ST"
expect_exit 0 airlock release show 2027-Q1 --store "$ST" --json
assert_eq "$(json "$OUT" '.artifacts[0].digest')" "${line##* }" "the pinned digest"
assert_eq "$(json "$OUT" '.actor')" "Ada AI-team" "who made 2027-Q1"
assert_eq "$(json "$OUT" '.sources | join(",")')" "llm-stack@1" "the sources of 2027-Q1"
expect_exit 2 airlock release show 2099-Q9 --store "$ST"
expect_stderr_contains "has no release '2099-Q9'"

# ------------------------------------------------------------------ promote, rollback
channel_is production null
expect_exit 2 airlock release rollback production --store "$ST"
expect_stderr_contains "channel 'production' has no release"
expect_exit 0 airlock release promote 2027-Q1 --to production --store "$ST" --actor "Sam Security" --reason "quarterly"
expect_stdout_contains "ok   approvals  llm-stack v1: signed under the trust policy"
expect_stdout_contains "ok   scan       llm-stack v1: scan verdict 'pass'"
expect_stdout_contains "promoted '2027-Q1' to 'production' (its first release)"
expect_exit 1 airlock release promote 2027-Q1 --to production --store "$ST"
expect_stderr_contains "release '2027-Q1' is already on 'production'"
expect_exit 0 airlock release promote 2027-Q2 --to production --store "$ST" --json
assert_eq "$(json "$OUT" .previous)" 2027-Q1 "the release 2027-Q2 replaced"
assert_eq "$(json "$OUT" '[.gates[] | select(.ok)] | length')" 3 "gates passed"
channel_is production 2027-Q2
expect_exit 0 airlock release rollback production --store "$ST" --actor "Olga Operator" --reason "answers got worse"
expect_stdout_contains "rolled 'production' back from '2027-Q2' to '2027-Q1'"
channel_is production 2027-Q1
assert_eq "$(json "$OUT" '[.history[] | .action + ":" + .release + ":" + .actor] | join(",")')" \
    "rollback:2027-Q1:Olga Operator,promote:2027-Q2:$(id -un),promote:2027-Q1:Sam Security" "the history of production"
assert_eq "$(json "$OUT" '.history[0].reason')" "answers got worse" "why it was rolled back"
expect_exit 2 airlock release rollback production --store "$ST"
expect_stderr_contains "no previous release to roll back to: '2027-Q1' is the first it had"
channel_is production 2027-Q1
expect_exit 0 airlock release ls --store "$ST" --json
assert_eq "$(json "$OUT" '[.releases[] | .name + ":" + (.channels | join("+"))] | join(",")')" \
    "2027-Q1:production,2027-Q2:,both:" "releases and their channels"

# ------------------------------------------------------------------ gates that fail
expect_exit 1 airlock release promote both --to production --store "$ST"
expect_stdout_contains "FAIL scan       risky v1: scan verdict 'fail'"
expect_stderr_contains "release 'both' is not promoted to 'production': gates failed:"
expect_stderr_contains "scan: risky v1: scan verdict 'fail'"
expect_stderr_not_contains "llm-stack v1: scan"
channel_is production 2027-Q1
expect_exit 0 airlock release create plain --from plain@1 --store "$ST"
expect_exit 0 airlock release promote plain --to candidate --store "$ST"
policy "$T/require.yaml" "scan:" "  require: pass"
expect_exit 0 airlock store trust set "$T/require.yaml" --store "$ST"
expect_exit 1 airlock release promote plain --to production --store "$ST" --json
assert_eq "$(json "$OUT" '[.gates[] | select(.ok | not) | .detail] | join(";")')" \
    "plain v1: no scan attached, and the store's policy requires one" "the failed gate, as JSON"
channel_is production 2027-Q1
expect_exit 0 airlock store trust set "$T/trust.yaml" --store "$ST"
sql "$ST/catalog.db" "UPDATE bundles SET expires = '2001-02-03T04:05:06Z' WHERE name = 'llm-stack' AND version = 2" >/dev/null
expect_exit 1 airlock release promote 2027-Q2 --to production --store "$ST"
expect_stderr_contains "expiry: llm-stack v2: expired 2001-02-03T04:05:06Z"
channel_is production 2027-Q1

# a catalog step failing anywhere in a promotion leaves the channel as it was: fail step
# 1, 2, … until the promotion goes through, checking the channel after each
n=1
while :; do
    rc=0
    AIRLOCK_FAULT=catalog-step:$n "$AIRLOCK" release promote plain --to production --store "$ST" \
        >"$T/fault.out" 2>"$T/fault.err" || rc=$?
    [ "$rc" -eq 0 ] && break
    [ "$rc" -eq 2 ] || fail "promotion with catalog step $n failing exited $rc: $(cat "$T/fault.err")"
    grep -qF "injected fault" "$T/fault.err" || fail "step $n: $(cat "$T/fault.err")"
    channel_is production 2027-Q1
    n=$((n + 1))
    [ "$n" -lt 100 ] || fail "a promotion takes 100 catalog steps?"
done
[ "$n" -gt 5 ] || fail "the promotion went through when step $n failed"
channel_is production plain

# approvals: a store without a policy, a bundle imported with --allow-unsigned
U=$T/open
expect_exit 0 airlock init --store "$U"
tiny_bundle "$T/u1" loose 1
expect_exit 0 airlock import "$T/u1" --store "$U" --allow-unsigned --quiet
expect_exit 0 airlock release create r --from loose@1 --store "$U"
expect_exit 1 airlock release promote r --to production --store "$U"
expect_stderr_contains "approvals: loose v1: imported with --allow-unsigned, so no role approved it"
expect_exit 0 airlock release channel production --store "$U" --json
assert_eq "$(json "$OUT" .release)" null "production of the open store"
