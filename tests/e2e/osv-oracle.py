#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""osv-oracle.py: which OSV records affect which PyPI package versions, written apart from
airlock (from the OSV schema's evaluation rules, with Debian's python3-packaging for the
order), for t1501.

  osv-oracle.py cases VULNS-DIR OUT-TSV       choose the test cases: "project<TAB>version"
                                              lines at the edges of the records' ranges
  osv-oracle.py expect VULNS-DIR CASES-TSV    print "project<TAB>version<TAB>id" for every
                                              record that affects a case, sorted
  osv-oracle.py tojson VULNS-DIR OUT-DIR      each record as OUT-DIR/ID.json (OSV's all.zip form)

The rules (docs/protocols/osv.md): withdrawn records are left out; a version listed in
`versions` (the same string, or an equal PEP 440 version) is affected; an ECOSYSTEM range
is evaluated with its events sorted by version ("0" first), introduced on, fixed off,
last_affected off after it, nothing at or after a limit; a range with an event packaging
cannot read counts as affecting; GIT ranges are not evaluated. Scalars are read as
strings (YAML's BaseLoader), as airlock reads them: "1.10" stays "1.10".
"""
import glob
import json
import os
import random
import re
import sys

import yaml
from packaging.version import InvalidVersion, Version


def records(d):
    for f in sorted(glob.glob(os.path.join(d, "*", "*.yaml"))):
        yield yaml.load(open(f), Loader=yaml.BaseLoader)


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def V(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None


def in_range(rg, v):
    ev = []
    for e in rg["events"]:
        (k, s), = e.items()
        if s == "0" and k == "introduced":
            ev.append((0, None, k))
        elif s == "*" and k == "limit":
            ev.append((2, None, k))
        else:
            x = V(s)
            if x is None:
                return True  # cannot be ruled out
            ev.append((1, x, k))
    limits = [e for e in ev if e[2] == "limit"]
    if limits and not any(e[0] == 2 or v < e[1] for e in limits):
        return False
    ev.sort(key=lambda e: (e[0], e[1] if e[1] is not None else Version("0")))
    vuln = False
    for rank, x, k in ev:
        at = True if rank == 0 else (False if rank == 2 else v >= x)
        after = False if rank != 1 else v > x
        if k == "introduced" and at:
            vuln = True
        elif k == "fixed" and at:
            vuln = False
        elif k == "last_affected" and after:
            vuln = False
    return vuln


def affects(entry, version):
    v = V(version)
    for s in entry.get("versions", []):
        if s == version or (v is not None and V(s) is not None and V(s) == v):
            return True
    for rg in entry.get("ranges", []):
        if rg["type"] == "ECOSYSTEM" and in_range(rg, v):
            return True
    return False


def cases(d, out):
    rnd = random.Random(1501)
    by_project = {}
    for r in records(d):
        if "withdrawn" in r:
            continue
        for a in r.get("affected", []):
            if a["package"]["ecosystem"] != "PyPI":
                continue
            p = a["package"]["name"]
            for rg in a.get("ranges", []):
                for e in rg["events"]:
                    (k, s), = e.items()
                    x = V(s)
                    if x is None or s == "0" or x.local:
                        continue
                    c = by_project.setdefault(p, set())
                    c.add(str(x))
                    near = {"fixed": ["rc1", ".post1"], "last_affected": [".post1"], "introduced": [".dev0"]}
                    for suffix in near.get(k, []):
                        y = V(str(x) + suffix)
                        if y is not None:
                            c.add(str(y))
    names = sorted(p for p in by_project if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", p))
    chosen = rnd.sample(names, 40)
    with open(out, "w") as f:
        for p in sorted(chosen):
            vs = sorted(by_project[p], key=Version)
            for v in rnd.sample(vs, min(4, len(vs))):
                f.write("%s\t%s\n" % (p, v))
            f.write("%s\t%s\n" % (p, "0.0.1a1"))


def expect(d, cases_file):
    cases = [l.rstrip("\n").split("\t") for l in open(cases_file)]
    rows = set()
    for r in records(d):
        if "withdrawn" in r:
            continue
        for a in r.get("affected", []):
            if a["package"]["ecosystem"] != "PyPI":
                continue
            for p, v in cases:
                if norm(p) == norm(a["package"]["name"]) and affects(a, v):
                    rows.add((norm(p), v, r["id"]))
    for row in sorted(rows):
        print("\t".join(row))


def tojson(d, out):
    os.makedirs(out, exist_ok=True)
    for r in records(d):
        with open(os.path.join(out, r["id"] + ".json"), "w") as f:
            json.dump(r, f)


if __name__ == "__main__":
    {"cases": cases, "expect": expect, "tojson": tojson}[sys.argv[1]](*sys.argv[2:])
