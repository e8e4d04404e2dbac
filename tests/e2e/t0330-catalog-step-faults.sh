#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every catalog query fails closed. AIRLOCK_FAULT=catalog-step:N makes the N-th SQLite step
# of the process fail as an I/O error would. For import (new and again), store ls, store
# fsck and store trust show, every N up to the command's last step must end in exit 2 with
# the message of the failed query: never a success over a partial read, never "already
# imported", "is consistent" or "no trust policy" read from a query that failed, and the
# store is as it was (no bundle added, fsck passes). The twin: one step past the last, the
# command succeeds as usual.
. "$(dirname "$0")/lib.sh"
need jq

file_spec "step faults"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/b" --quiet
St=$T/store
expect_exit 0 airlock init --store "$St"

# the store holds WANT bundles (and, with "fsck", passes fsck)
store_is() {
    expect_exit 0 airlock store ls --store "$St" --json
    assert_eq "$(json "$OUT" '.bundles | length')" "$1" "bundles after a failed step"
    [ "${2:-}" = fsck ] || return 0
    expect_exit 0 airlock store fsck --store "$St" --json
    assert_eq "$(json "$OUT" .ok)" true "fsck after a failed step"
}

# faults CHECK NOT_OUT ARGS...: `airlock ARGS` with the fault at step 1, 2, ... until it
# succeeds; each failure must be exit 2 with the injected fault's message, print nothing on
# stdout and not claim NOT_OUT; then CHECK runs. Sets STEPS to the number of failed runs.
faults() {
    local check=$1 not=$2 n=1 rc
    shift 2
    while :; do
        LAST_CMD="AIRLOCK_FAULT=catalog-step:$n airlock $*"
        if AIRLOCK_FAULT=catalog-step:$n "$AIRLOCK" "$@" >"$OUT" 2>"$ERR" </dev/null; then rc=0; else rc=$?; fi
        [ "$rc" -eq 0 ] && break
        [ "$rc" -eq 2 ] || fail "'$LAST_CMD' exited $rc, expected 2"
        expect_stderr_contains "injected fault (AIRLOCK_FAULT)"
        [ ! -s "$OUT" ] || fail "'$LAST_CMD' printed on stdout although it failed"
        expect_stderr_not_contains "$not"
        $check
        n=$((n + 1))
        [ "$n" -le 400 ] || fail "'airlock $*' still fails at step 400"
    done
    STEPS=$((n - 1))
    [ "$STEPS" -ge 2 ] || fail "'airlock $*' ran only $STEPS catalog steps (the fault hook is not reached)"
    note "airlock $*: $STEPS steps, each failing closed"
}

check_empty() { store_is 0; }
check_one() { store_is 1; }
nothing() { :; }

faults check_empty "imported tiny version" import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "imported tiny version 1"
store_is 1 fsck

# again: a failed read of the versions imported is not "already imported"
faults check_one "already imported" import --allow-unsigned --store "$St" "$T/b"
expect_stdout_contains "already imported tiny version 1"
store_is 1 fsck

faults nothing "bundles:" store ls --store "$St"
expect_stdout_contains "tiny"
faults nothing "is consistent" store fsck --store "$St"
expect_stdout_contains "is consistent"

# a failed read of the policy is not "no trust policy"
St=$T/store-policy
expect_exit 0 airlock init --store "$St" --trust "$SRCDIR/tests/data/keys/golden/trust.yaml"
faults nothing "has no trust policy" store trust show --store "$St"
expect_stdout_contains "roles:"
expect_stdout_not_contains "has no trust policy"
# and an unsigned import onto it is refused (64) or fails (2) whatever step fails: a failed
# read of the policy never lets --allow-unsigned through
for n in $(seq 1 12); do
    LAST_CMD="AIRLOCK_FAULT=catalog-step:$n airlock import --allow-unsigned --store $St $T/b"
    if AIRLOCK_FAULT=catalog-step:$n "$AIRLOCK" import --allow-unsigned --store "$St" "$T/b" \
        >"$OUT" 2>"$ERR" </dev/null; then rc=0; else rc=$?; fi
    case $rc in
    2) expect_stderr_contains "injected fault (AIRLOCK_FAULT)" ;;
    64) expect_stderr_contains "'--allow-unsigned' is refused: a trust policy applies to this import" ;;
    *) fail "'$LAST_CMD' exited $rc, expected 2 or 64" ;;
    esac
done
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '.bundles | length')" 0 "bundles in the store with a policy"
