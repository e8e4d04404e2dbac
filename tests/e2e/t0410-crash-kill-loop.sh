#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety by the clock: an import of a ~200 MiB bundle is killed with SIGKILL after
# random short delays; after each kill the store passes fsck, and a final import
# completes with the bundle listed once.
. "$(dirname "$0")/lib.sh"
need jq

mkdir -p "$T/src/model"
for i in 1 2 3 4 5 6 7 8; do
    head -c 25M /dev/urandom >"$T/src/model/weights-$i.bin"
done
printf 'config\n' >"$T/src/model/config.json"
cat >"$T/src/airlock.yaml" <<'YAML'
name: big
version: 1
artifacts:
  - kind: model
    path: model
    name: local/big-model
YAML
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/big" --quiet
rm -rf "$T/src"

# how long one import takes here, so that the kills land inside it
expect_exit 0 airlock init --store "$T/calib"
t0=$(date +%s%N)
expect_exit 0 airlock import --allow-unsigned --store "$T/calib" --quiet "$T/big"
ms=$((($(date +%s%N) - t0) / 1000000))
rm -rf "$T/calib"
[ "$ms" -ge 20 ] || ms=20
note "one import takes ${ms} ms"

St=$T/store
expect_exit 0 airlock init --store "$St"
kills=0
for i in 1 2 3 4 5 6; do
    delay=$((RANDOM % ms))
    "$AIRLOCK" import --allow-unsigned --store "$St" --quiet "$T/big" >"$T/import.out" 2>"$T/import.err" </dev/null &
    pid=$!
    BG_PIDS+=("$pid")
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    if wait "$pid" 2>/dev/null; then rc=0; else rc=$?; fi
    BG_PIDS=()
    note "iteration $i: killed after ${delay} ms, exit $rc"
    case $rc in
    137) kills=$((kills + 1)) ;;
    0) ;;
    *) cat "$T/import.err" >&2; fail "an import killed after ${delay} ms exited $rc (expected 137, or 0 if it finished)" ;;
    esac
    expect_exit 0 airlock store fsck --store "$St"
    expect_stdout_contains "is consistent"
    if [ "$rc" -eq 0 ]; then
        # it finished: go on with a fresh store so that the next kill interrupts something
        expect_exit 0 airlock store ls --store "$St" --json
        assert_eq "$(json "$OUT" '.bundles | length')" 1 "bundles after a completed import"
        St=$T/store-$i
        expect_exit 0 airlock init --store "$St"
    fi
done
[ "$kills" -gt 0 ] || fail "no kill landed inside an import (imports take ${ms} ms)"

expect_exit 0 airlock import --allow-unsigned --store "$St" "$T/big"
expect_stdout_contains "imported big version 1"
expect_exit 0 airlock store fsck --store "$St"
expect_exit 0 airlock store ls --store "$St" --json
assert_eq "$(json "$OUT" '[.bundles[] | .name] | join(",")')" big "bundles after the final import"
assert_eq "$(json "$OUT" '.artifacts | length')" 1 "artifacts after the final import"
expect_exit 0 airlock store gc --store "$St"
expect_exit 0 airlock store fsck --store "$St" --json
assert_eq "$(json "$OUT" .ok)" true "fsck after gc"
assert_eq "$(json "$OUT" .unreferenced)" 0 "unreferenced blobs after gc"
assert_eq "$(json "$OUT" .staleTmp)" 0 "interrupted imports after gc"
