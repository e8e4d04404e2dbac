#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""pickle-cases.py DIR: pickles for t1500-scan-pickle.sh, written by Python's own pickle module
(and a few by hand, opcode by opcode), each as DIR/NAME.pkl with DIR/NAME.want: the imports
an opcode reader must find, one "OFFSET OP MODULE NAME" a line, in order.

The oracle walks the opcodes with pickletools.genops (never unpickling): GLOBAL and INST
name their import; STACK_GLOBAL takes the two values pushed last, skipping the memo's
MEMOIZE and PUT, bringing back a memo string for a GET, and "?" for anything else; EXT1,
EXT2 and EXT4 import by a registry code. Concatenated pickles are read while the next
starts with PROTO; what cannot be read ends the list (the imports before it stay).
"""
import collections
import io
import os
import pickle
import pickletools
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

STRINGS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}
MEMO_PUT = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
GETS = {"GET", "BINGET", "LONG_BINGET"}


def imports(data):
    found, memo, top, at = [], {}, [None, None], 0
    while True:
        try:
            for op, arg, pos in pickletools.genops(io.BytesIO(data[at:])):
                pos += at
                name = op.name
                if name in ("PROTO", "FRAME"):
                    continue
                if name == "MEMOIZE":
                    memo[len(memo)] = top[0]
                elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    memo[arg] = top[0]
                elif name in GETS:
                    top = [memo.get(arg), top[0]]
                elif name in STRINGS:
                    v = arg.decode("latin-1") if isinstance(arg, bytes) else arg
                    top = [v, top[0]]
                elif name in ("GLOBAL", "INST"):
                    m, n = arg.split(" ", 1)
                    found.append((pos, name, m, n))
                    top = [None, top[0]]
                elif name == "STACK_GLOBAL":
                    found.append((pos, name, top[1] if top[1] is not None else "?", top[0] if top[0] is not None else "?"))
                    top = [None, None]
                elif name.startswith("EXT"):
                    found.append((pos, name, "(extension)", str(arg)))
                    top = [None, top[0]]
                else:
                    top = [None, top[0]]
                if name == "STOP":
                    at = pos + 1
        except ValueError:
            return found  # malformed: what was found before stays
        if at + 1 < len(data) and data[at] == 0x80 and data[at + 1] <= 5:
            continue
        return found


class Evil:
    def __reduce__(self):
        return (os.system, ("true",))


class Evaluator:
    def __reduce__(self):
        return (eval, ("1+1",))


def case(name, data):
    open(f"{out}/{name}.pkl", "wb").write(data)
    with open(f"{out}/{name}.want", "w") as f:
        for pos, op, m, n in imports(data):
            f.write(f"{pos} {op} {m} {n}\n")


for p in range(6):
    case(f"ordereddict-p{p}", pickle.dumps(collections.OrderedDict([("a", 1), ("b", [1, 2])]), protocol=p))
    case(f"system-p{p}", pickle.dumps({"x": Evil()}, protocol=p))
    case(f"eval-p{p}", pickle.dumps([Evaluator()], protocol=p))
case("system-p4-optimized", pickletools.optimize(pickle.dumps({"x": Evil()}, protocol=4)))
# by hand: the strings stored in the memo, dropped from the stack, brought back by BINGET
case("memo-get", b"\x80\x04\x8c\x02os\x94\x8c\x06system\x940" + b"0" + b"h\x00h\x01\x93)R.")
# by hand: the module is not a string pushed just before (a tuple is), so it cannot be named
case("computed", b"\x80\x04\x8c\x02os)\x8c\x06system\x93)R.")
# by hand: an import by the copyreg extension registry
case("ext1", b"\x80\x02\x82\x05)R.")
# cut in the middle, after its import: still listed
full = pickle.dumps({"x": Evil()}, protocol=2)
case("truncated", full[: full.index(b"R") if b"R" in full else len(full) - 2])
# two pickles, then one followed by raw bytes (as a legacy PyTorch file's storages)
case("two", pickle.dumps(collections.OrderedDict(), protocol=2) + pickle.dumps({"x": Evil()}, protocol=2))
case("raw-tail", pickle.dumps(collections.OrderedDict(), protocol=2) + b"\x00\x01raw storage bytes")
case("unknown-opcode", b"\x80\x02\xff.")
