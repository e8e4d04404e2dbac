#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The pickle scanner (src/lib/scan/pickle.c) beside Python: pickle-cases.py writes pickles
# with Python's own pickle module (protocols 0 to 5, optimized, concatenated) and a few by
# hand, each with the imports pickletools' disassembly shows; the scanner, through the
# tests/tools/picklescan driver, must find exactly those, at the same offsets, and judge:
# - allowed: collections.OrderedDict (what checkpoints use), exit 0;
# - must-fail twins: posix.system and builtins.eval in every protocol, through GLOBAL and
#   STACK_GLOBAL, with and without the memo, after pickletools.optimize; a STACK_GLOBAL whose
#   module is no string ("?"); an EXT1 import; a pickle cut short after its import (listed,
#   and malformed); an unknown opcode; the second of two concatenated pickles; exit 1 each.
# - raw bytes after a whole pickle (a legacy PyTorch file's storages) are not a pickle.
# - containers, known by their first bytes: a zip as torch.save writes it (data.pkl, and a
#   member not named .pkl that starts with PROTO), an .npy of objects (its payload) and
#   one of numbers (no pickle), legacy torch.save (five pickles, then storages); a pickle
#   over the 64 MiB scan window is not called clean.
. "$(dirname "$0")/lib.sh"
need python3
[ -x "${PICKLESCAN:-}" ] || fail "PICKLESCAN is not set to the driver"

python3 "$SRCDIR/tests/e2e/pickle-cases.py" "$T/cases" || fail "pickle-cases.py failed"
scan() {   # scan NAME EXIT: the driver's imports must be the oracle's; its exit EXIT
    local rc=0
    "$PICKLESCAN" "$T/cases/$1.pkl" >"$T/$1.out" 2>"$T/$1.err" || rc=$?
    assert_eq "$rc" "$2" "exit of the scan of $1 ($(cat "$T/$1.out" "$T/$1.err"))"
    assert_eq "$(grep -E '^[0-9]+ ' "$T/$1.out" | cut -d' ' -f1-4)" "$(cat "$T/cases/$1.want")" "the imports of $1"
}
for p in 0 1 2 3 4 5; do
    scan "ordereddict-p$p" 0
    grep -q " collections OrderedDict allowed$" "$T/ordereddict-p$p.out" || fail "OrderedDict p$p: $(cat "$T/ordereddict-p$p.out")"
    scan "system-p$p" 1
    grep -q " posix system refused$" "$T/system-p$p.out" || fail "system p$p: $(cat "$T/system-p$p.out")"
    scan "eval-p$p" 1
    grep -qE " (builtins|__builtin__) eval refused$" "$T/eval-p$p.out" || fail "eval p$p: $(cat "$T/eval-p$p.out")"
done
[ "$(grep -c STACK_GLOBAL "$T/system-p4.out")" -ge 1 ] || fail "protocol 4 imports by STACK_GLOBAL"
scan system-p4-optimized 1
scan memo-get 1
grep -q "STACK_GLOBAL os system refused$" "$T/memo-get.out" || fail "the memo's strings: $(cat "$T/memo-get.out")"
scan computed 1
grep -q "STACK_GLOBAL ? system refused$" "$T/computed.out" || fail "an unnamed module: $(cat "$T/computed.out")"
scan ext1 1
grep -q "EXT1 (extension) 5 refused$" "$T/ext1.out" || fail "EXT1: $(cat "$T/ext1.out")"
scan truncated 1
grep -q "^malformed: the pickle ends without STOP" "$T/truncated.out" || fail "truncated: $(cat "$T/truncated.out")"
grep -q "posix system refused$" "$T/truncated.out" || fail "truncated: the import before the cut"
scan unknown-opcode 1
grep -q "^malformed: an unknown opcode at byte 2$" "$T/unknown-opcode.out" || fail "$(cat "$T/unknown-opcode.out")"
scan two 1
grep -q "^pickles 2 " "$T/two.out" || fail "two pickles: $(cat "$T/two.out")"
scan raw-tail 0
n=$(python3 -c 'import collections, pickle; print(len(pickle.dumps(collections.OrderedDict(), protocol=2)))')
grep -q "^pickles 1 end $n$" "$T/raw-tail.out" || fail "raw tail: $(cat "$T/raw-tail.out")"

# --- containers, known by their first bytes
c() {   # c FILE EXIT: the driver on a container file
    local rc=0
    "$PICKLESCAN" "$T/cases/$1" >"$T/$1.out" 2>"$T/$1.err" || rc=$?
    assert_eq "$rc" "$2" "exit of the scan of $1 ($(cat "$T/$1.out" "$T/$1.err"))"
}
c ok.pt 0
assert_eq "$(head -n 2 "$T/ok.pt.out")" $'format pytorch-zip\nmember archive/data.pkl' "ok.pt: a zip, its data.pkl"
grep -q "GLOBAL collections OrderedDict allowed$" "$T/ok.pt.out" || fail "ok.pt: $(cat "$T/ok.pt.out")"
c evil.bin 1
grep -q "GLOBAL posix system refused$" "$T/evil.bin.out" || fail "evil.bin: $(cat "$T/evil.bin.out")"
c hidden.pt 1
grep -q "^member archive/extra$" "$T/hidden.pt.out" || fail "a pickle member not named .pkl: $(cat "$T/hidden.pt.out")"
grep -qE "(builtins|__builtin__) eval refused$" "$T/hidden.pt.out" || fail "hidden.pt: $(cat "$T/hidden.pt.out")"
c objects.npy 1
assert_eq "$(head -n 2 "$T/objects.npy.out")" $'format npy\nmember (npy payload)' "an .npy of objects"
grep -q "posix system refused$" "$T/objects.npy.out" || fail "objects.npy: $(cat "$T/objects.npy.out")"
c floats.npy 0
assert_eq "$(cat "$T/floats.npy.out")" "format npy-numeric" "an .npy of numbers holds no pickle"
c legacy.bin 0
grep -q "^pickles 5 end " "$T/legacy.bin.out" || fail "legacy torch.save: $(cat "$T/legacy.bin.out")"
grep -q "collections OrderedDict allowed$" "$T/legacy.bin.out" || fail "legacy.bin: $(cat "$T/legacy.bin.out")"
c huge.pkl 1
grep -q "^malformed: larger than 64 MiB: not scanned to its end$" "$T/huge.pkl.out" || fail "huge.pkl: $(cat "$T/huge.pkl.out")"
