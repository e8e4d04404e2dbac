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

# Containers, found by their first bytes, not their names.
import zipfile  # noqa: E402


def torch_zip(name, data_pkl, extra=None):
    # the layout torch.save (>= 1.6) writes: stored members under one folder
    with zipfile.ZipFile(f"{out}/{name}", "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/data/0", os.urandom(64))
        z.writestr("archive/version", b"3\n")
        if extra is not None:
            z.writestr("archive/extra", extra)


torch_zip("ok.pt", pickle.dumps(collections.OrderedDict([("w", 1)]), protocol=2))
torch_zip("evil.bin", pickle.dumps({"x": Evil()}, protocol=2))
torch_zip("hidden.pt", pickle.dumps(collections.OrderedDict(), protocol=2), extra=pickle.dumps([Evaluator()], protocol=4))


def npy(name, descr, payload):
    header = "{'descr': %s, 'fortran_order': False, 'shape': (1,), }" % descr
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    open(f"{out}/{name}", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload)


npy("objects.npy", "'|O'", pickle.dumps([Evil()], protocol=3))
npy("floats.npy", "'<f4'", b"\x00\x00\x80\x3f")
# legacy torch.save: five pickles (magic number, protocol, system info, the object, the
# storage keys), then raw storage bytes
legacy = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True},
                                                       collections.OrderedDict(), ["0"]))
open(f"{out}/legacy.bin", "wb").write(legacy + os.urandom(256))
# a pickle over the scan window: read that far, and not called clean
open(f"{out}/huge.pkl", "wb").write(b"\x80\x02B" + struct.pack("<I", 65 << 20) + bytes(65 << 20) + b".")
