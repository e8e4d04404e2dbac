#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The version orders that vulnerability matching rests on (src/lib/scan/vercmp.c), each
# against an oracle that is not airlock, over thousands of pairs:
#   - Debian: dpkg --compare-versions itself, over every version installed on this
#     machine (/var/lib/dpkg/status) and generated ones full of '~', '+', epochs and
#     revisions;
#   - PEP 440: Debian's python3-packaging, over every version the shipped advisory data
#     names and generated ones (epochs, pre, post, dev releases, local labels), and which
#     strings are versions at all;
#   - SemVer: npm's semver package (tests/node), over generated versions with pre-releases
#     and build metadata, and which strings are SemVer at all.
# The twin: the same comparison run over a deliberately wrong answer sheet must fail, so
# the comparison itself can fail.
. "$(dirname "$0")/lib.sh"
need dpkg node
[ -n "${VERCMP:-}" ] || fail "VERCMP is not set (run through meson)"
/usr/bin/python3 -c 'import packaging.version, yaml' 2>/dev/null || skip "Debian's python3-packaging and python3-yaml are missing"
[ -d "$SRCDIR/tests/node/node_modules/semver" ] || skip "tests/node has no node_modules (scripts/install-deps runs npm ci)"
mkdir -p "$T/pypa"
tar -xzf "$SRCDIR/tests/data/pypa-advisory-db.tar.gz" -C "$T/pypa" || fail "cannot unpack the advisory data"

# ---------------------------------------------------------------- dpkg
/usr/bin/python3 - "$T/dpkg.pairs" <<'PY' || fail "cannot make the dpkg pairs"
import random, re, sys
rnd = random.Random(1503)
real = sorted(set(re.findall(r"^Version: (\S+)$", open("/var/lib/dpkg/status").read(), re.M)))
def gen():
    up = str(rnd.randint(0, 12))
    for _ in range(rnd.randint(0, 4)):
        up += rnd.choice([".", ".", "+", "~", "~~", "", "a", "b", "rc", "+dfsg", "~rc", "-"]) + rnd.choice(["", "0", "1", "01", "2", "10", "a", "z"])
    up = up.rstrip("-") or "0"
    v = up
    if "-" in up or rnd.random() < 0.5:
        v = up + "-" + rnd.choice(["0", "1", "1.1", "1~bpo1", "2+b1", "0ubuntu1", "1a"])
    if ":" in v or rnd.random() < 0.2:
        v = str(rnd.randint(0, 3)) + ":" + v
    return v
gens = [gen() for _ in range(600)]
pairs = set()
for i in range(len(real) - 1):
    pairs.add((real[i], real[i + 1]))
for _ in range(1500):
    pairs.add((rnd.choice(gens), rnd.choice(gens)))
    pairs.add((rnd.choice(real), rnd.choice(gens)))
for a in gens[:50]:
    pairs.add((a, a))
with open(sys.argv[1], "w") as f:
    for a, b in sorted(pairs):
        f.write("dpkg\t%s\t%s\n" % (a, b))
PY
"$VERCMP" <"$T/dpkg.pairs" >"$T/dpkg.airlock" || fail "vercmp failed on the dpkg pairs"
/usr/bin/python3 - "$T/dpkg.pairs" "$T/dpkg.airlock" <<'PY' >"$T/dpkg.out" 2>&1 || { cat "$T/dpkg.out" >&2; fail "airlock's Debian order differs from dpkg's (above)"; }
import subprocess, sys
pairs = [l.rstrip("\n").split("\t")[1:] for l in open(sys.argv[1])]
got = [l.strip() for l in open(sys.argv[2])]
bad = checked = 0
for (a, b), g in zip(pairs, got):
    r = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], capture_output=True)
    if r.stderr:
        if g != "E":
            print("dpkg warns about %r or %r (%s) but airlock compared them: %s" % (a, b, r.stderr.decode().strip(), g))
            bad += 1
        continue
    want = "-1" if r.returncode == 0 else ("0" if subprocess.run(["dpkg", "--compare-versions", a, "eq", b]).returncode == 0 else "1")
    checked += 1
    if g != want:
        print("dpkg %r vs %r: dpkg %s, airlock %s" % (a, b, want, g))
        bad += 1
print("dpkg: %d pairs compared, %d differ" % (checked, bad))
sys.exit(1 if bad or checked < 2000 or len(got) != len(pairs) else 0)
PY
cat "$T/dpkg.out"

# ---------------------------------------------------------------- PEP 440
/usr/bin/python3 - "$T/pypa" "$T/pep440.pairs" <<'PY' || fail "cannot make the PEP 440 pairs"
import glob, os, random, sys, yaml
rnd = random.Random(440)
vs = set()
for f in glob.glob(os.path.join(sys.argv[1], "vulns", "*", "*.yaml")):
    r = yaml.safe_load(open(f))
    for a in r.get("affected", []):
        vs.update(a.get("versions", []))
        for rg in a.get("ranges", []):
            for e in rg["events"]:
                vs.update(v for v in e.values() if v != "0")
def gen():
    v = ".".join(str(rnd.choice([0, 1, 2, 9, 10])) for _ in range(rnd.randint(1, 4)))
    if rnd.random() < 0.2: v = "%d!%s" % (rnd.randint(0, 2), v)
    if rnd.random() < 0.4: v += rnd.choice(["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "-rc", ".a", "_b"]) + rnd.choice(["", "0", "1", "2"])
    if rnd.random() < 0.3: v += rnd.choice([".post", "post", "-", ".rev", "r", "-post"]) + rnd.choice(["", "0", "1", "3"])
    if rnd.random() < 0.3: v += rnd.choice([".dev", "dev", "-dev"]) + rnd.choice(["", "0", "2"])
    if rnd.random() < 0.15: v += "+" + rnd.choice(["local", "1", "abc.1", "ubuntu-1", "0.x", "A"])
    if rnd.random() < 0.05: v = rnd.choice(["v", " ", "V"]) + v
    if rnd.random() < 0.05: v += rnd.choice([".x", "+", "-foo", "..1", "+a..b", " junk"])
    return v
gens = [gen() for _ in range(800)]
real = sorted(vs)
pairs = set()
for _ in range(2500):
    pairs.add((rnd.choice(real), rnd.choice(real)))
    pairs.add((rnd.choice(gens), rnd.choice(gens)))
    pairs.add((rnd.choice(real), rnd.choice(gens)))
with open(sys.argv[2], "w") as f:
    for a, b in sorted(pairs):
        f.write("pep440\t%s\t%s\n" % (a, b))
PY
"$VERCMP" <"$T/pep440.pairs" >"$T/pep440.airlock" || fail "vercmp failed on the PEP 440 pairs"
pep440_check() {
    /usr/bin/python3 - "$T/pep440.pairs" "$1" <<'PY'
import sys
from packaging.version import Version, InvalidVersion
pairs = [l.rstrip("\n").split("\t")[1:] for l in open(sys.argv[1])]
got = [l.strip() for l in open(sys.argv[2])]
bad = compared = refused = 0
def parse(s):
    try: return Version(s)
    except InvalidVersion: return None
for (a, b), g in zip(pairs, got):
    x, y = parse(a), parse(b)
    want = "E" if x is None or y is None else str((x > y) - (x < y))
    compared += want != "E"
    refused += want == "E"
    if g != want:
        print("pep440 %r vs %r: packaging %s, airlock %s" % (a, b, want, g))
        bad += 1
print("pep440: %d pairs compared, %d refused by both, %d differ" % (compared, refused, bad))
sys.exit(1 if bad or compared < 5000 or refused < 50 or len(got) != len(pairs) else 0)
PY
}
pep440_check "$T/pep440.airlock" >"$T/pep440.out" 2>&1 || { cat "$T/pep440.out" >&2; fail "airlock's PEP 440 order differs from packaging's (above)"; }
cat "$T/pep440.out"

# ---------------------------------------------------------------- SemVer
/usr/bin/python3 - "$T/semver.pairs" <<'PY' || fail "cannot make the SemVer pairs"
import random, sys
rnd = random.Random(2)
def ident():
    bad = rnd.random() < 0.03
    return rnd.choice(["01", "", "_"] if bad else ["alpha", "beta", "rc", "0", "1", "2", "11", "x", "x-y", "a1", "-", "A"])
def gen():
    bad = rnd.random() < 0.05
    v = ".".join(rnd.choice(["0", "1", "2", "10"] + (["01"] if bad else [])) for _ in range(rnd.choice([3, 3, 3, 3, 3, 3, 2, 4])))
    if rnd.random() < 0.5: v += "-" + ".".join(ident() for _ in range(rnd.randint(1, 3)))
    if rnd.random() < 0.2: v += "+" + ".".join(rnd.choice(["build", "1", "001", "sha.5114f85", ""]) for _ in range(rnd.randint(1, 2)))
    return v
gens = sorted(set(gen() for _ in range(1500)))
pairs = set((rnd.choice(gens), rnd.choice(gens)) for _ in range(4000))
with open(sys.argv[1], "w") as f:
    for a, b in sorted(pairs):
        f.write("semver\t%s\t%s\n" % (a, b))
PY
"$VERCMP" <"$T/semver.pairs" >"$T/semver.airlock" || fail "vercmp failed on the SemVer pairs"
cat >"$T/semver-check.cjs" <<'JS'
const fs = require("fs");
const semver = require(process.argv[2]);
const pairs = fs.readFileSync(process.argv[3], "utf8").trim().split("\n").map((l) => l.split("\t").slice(1));
const got = fs.readFileSync(process.argv[4], "utf8").trim().split("\n");
let bad = 0, compared = 0, refused = 0;
// a string is SemVer when the package parses it strictly and gives it back unchanged
const ok = (s) => semver.valid(s) !== null && semver.parse(s).raw === s && !/^[v=\s]/.test(s);
pairs.forEach(([a, b], i) => {
  const want = ok(a) && ok(b) ? String(semver.compare(a, b)) : "E";
  if (want === "E") refused++; else compared++;
  if (got[i] !== want) { bad++; console.log(`semver ${a} vs ${b}: npm semver ${want}, airlock ${got[i]}`); }
});
console.log(`semver: ${compared} pairs compared, ${refused} refused by both, ${bad} differ`);
process.exit(bad || compared < 1000 || refused < 100 || got.length !== pairs.length ? 1 : 0);
JS
node "$T/semver-check.cjs" "$SRCDIR/tests/node/node_modules/semver" "$T/semver.pairs" "$T/semver.airlock" >"$T/semver.out" 2>&1 ||
    { cat "$T/semver.out" >&2; fail "airlock's SemVer order differs from npm's semver (above)"; }
cat "$T/semver.out"

# ---------------------------------------------------------------- the twin
# one answer turned round: the check must notice
awk 'NR == 1 || $0 == "E" { print; next } !done && $0 != "0" { print -$0; done = 1; next } { print }' \
    "$T/pep440.airlock" >"$T/pep440.wrong"
cmp -s "$T/pep440.airlock" "$T/pep440.wrong" && fail "the twin changed no answer"
if pep440_check "$T/pep440.wrong" >"$T/twin.out" 2>&1; then
    cat "$T/twin.out" >&2
    fail "the twin: a wrong answer was not noticed"
fi
grep -q "1 differ" "$T/twin.out" || { cat "$T/twin.out" >&2; fail "the twin: not exactly one difference"; }
note "orders agree with dpkg, packaging and npm semver; a wrong answer is caught"
