#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/scan.sh [--runs N] [DIR]: the whole PyPA advisory database (tests/data, 2,662
# records) imported with `airlock vulndb import`, then `airlock scan` of a bundle of 500
# wheels against it (the bundle is verified first, as every scan does), with peak RSS.
# Peer in the same run: tests/e2e/osv-oracle.py, the independent Python evaluation the
# tests compare airlock with, which reads every record for the same 500 packages (it has
# no index: the cost an index saves). Targets: the scan under 1 s, peak RSS under 64 MiB.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init "$@"
/usr/bin/python3 -c 'import packaging.version, yaml' 2>/dev/null ||
    { echo "$0: Debian's python3-packaging and python3-yaml are needed (scripts/install-deps)" >&2; exit 2; }
R=$DIR/scan
rm -rf "$R"
mkdir -p "$R/pypa"
tar -xzf "$BENCH_ROOT/tests/data/pypa-advisory-db.tar.gz" -C "$R/pypa"
V=$R/pypa/vulns
# 500 packages named in the data, at versions drawn from their own records (so about half
# are affected), as tiny wheels
/usr/bin/python3 - "$V" "$R/cases.tsv" "$R/wheels" <<'PY'
import glob, os, random, re, sys, zipfile, yaml
v, cases, out = sys.argv[1:]
rnd = random.Random(500)
names = {}
for f in sorted(glob.glob(os.path.join(v, "*", "*.yaml"))):
    r = yaml.load(open(f), Loader=yaml.BaseLoader)
    for a in r.get("affected", []):
        n = a["package"]["name"]
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", n):
            names.setdefault(n, set()).update(x for x in a.get("versions", []) if re.fullmatch(r"[0-9]+(\.[0-9]+)*", x))
pick = rnd.sample(sorted(names), 500)
os.makedirs(out)
with open(cases, "w") as c:
    for n in pick:
        ver = rnd.choice(sorted(names[n])) if names[n] and rnd.random() < 0.5 else "9999.0"
        c.write("%s\t%s\n" % (n, ver))
        dist = re.sub(r"[-_.]+", "_", n)
        with zipfile.ZipFile(os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, ver)), "w") as z:
            z.writestr(dist + "/__init__.py", "VERSION = %r\n" % ver)
            di = "%s-%s.dist-info" % (dist, ver)
            z.writestr(di + "/METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (n, ver))
            z.writestr(di + "/WHEEL", "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            z.writestr(di + "/RECORD", "")
PY
printf 'name: scan-bench\nversion: 1\nartifacts:\n  - kind: wheel\n    path: %s\n' "$R/wheels" >"$R/airlock.yaml"
"$AIRLOCK_BIN" bundle create -f "$R/airlock.yaml" -o "$R/bundle" --quiet
"$AIRLOCK_BIN" init --store "$R/store" >/dev/null
printf 'fail_on: never\n' >"$R/policy.yaml"

bench_header
I_CMD="$(q "$AIRLOCK_BIN") vulndb import $(q "$V") --store $(q "$R/store") --quiet"
S_CMD="$(q "$AIRLOCK_BIN") scan $(q "$R/bundle") --vulndb $(q "$R/store/vulndb.db") --policy $(q "$R/policy.yaml") --json"
SD_CMD="$(q "$AIRLOCK_BIN") scan $(q "$R/bundle") --vulndb $(q "$V") --policy $(q "$R/policy.yaml") --json"
P_CMD="/usr/bin/python3 $(q "$BENCH_ROOT/tests/e2e/osv-oracle.py") expect $(q "$V") $(q "$R/cases.tsv")"
timeit "vulndb import (2,662 files)" "" "$I_CMD"
timeit "scan, 500 wheels" "" "$S_CMD"
timeit "scan, 500 wheels, from YAML" "" "$SD_CMD"
timeit "python oracle, 500 pkgs" "" "$P_CMD"
IRSS=$(peak_rss "" "$I_CMD")
SRSS=$(peak_rss "" "$S_CMD")
PRSS=$(peak_rss "" "$P_CMD")
hits=$(bash -c "$S_CMD" | jq '[.results[0].packages[].vulnerabilities[]] | length')
want=$(bash -c "$P_CMD" | wc -l)

printf '\n%-30s %9s  %-15s %s\n' "" "median s" "min-max" "peak RSS"
for n in "vulndb import (2,662 files)" "scan, 500 wheels" "scan, 500 wheels, from YAML" "python oracle, 500 pkgs"; do
    case $n in vulndb*) r=$IRSS ;; "scan, 500 wheels") r=$SRSS ;; python*) r=$PRSS ;; *) r= ;; esac
    printf '%-30s %9.3f  %-15s %s\n' "$n" "${MED[$n]}" "${SPREAD[$n]}" "${r:+$(mib "$r") MiB}"
done
printf '\nfindings: airlock %d, oracle %d (%s)\n' "$hits" "$want" "$([[ $hits == "$want" ]] && echo same || echo DIFFERENT)"
printf 'scan / oracle time: %.3f; scan target < 1 s: %s; scan RSS target < 64 MiB: %s\n' \
    "$(awk -v a="${MED[scan, 500 wheels]}" -v b="${MED[python oracle, 500 pkgs]}" 'BEGIN { print a / b }')" \
    "$(ge 1 "${MED[scan, 500 wheels]}" && echo ok || echo MISSED)" "$(ge 65536 "$SRSS" && echo ok || echo MISSED)"
