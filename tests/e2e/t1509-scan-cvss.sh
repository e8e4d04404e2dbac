#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# CVSS scores are computed from the vector (src/lib/scan/cvss.c), never copied, for v2,
# v3.0, v3.1 and v4.0, and each is checked against an independent calculator, npm's
# ae-cvss-calculator (tests/node):
#   - every base vector of v2 (729), v3.0 and v3.1 (2,592 each) and v4.0 (104,976);
#   - 20,000 v4.0 vectors with generated threat, environmental and supplemental metrics;
#   - vectors that are not vectors (a base metric missing or twice, an unknown metric or
#     value, a trailing '/', the wrong prefix) are refused, never scored.
# Then end to end: `scan` rates advisories that carry only a v2, only a v4, both a v3 and a
# v4 vector (the higher counts), or only an Ubuntu priority, and stops with the advisory
# named when its vector is malformed.
# The twin: the same comparison over a deliberately wrong answer sheet must fail.
. "$(dirname "$0")/lib.sh"
need jq
need_node_package ae-cvss-calculator
[ -n "${VERCMP:-}" ] || fail "VERCMP is not set (run through meson)"

# ---------------------------------------------------------------- every vector, two calculators
/usr/bin/python3 - >"$T/vectors" <<'PY' || fail "cannot make the vectors"
import itertools, random
rnd = random.Random(1509)
def every(prefix, metrics):
    for vals in itertools.product(*[m[1] for m in metrics]):
        yield prefix + "/".join("%s:%s" % (m[0], v) for m, v in zip(metrics, vals))
v2 = [("AV", "LAN"), ("AC", "HML"), ("Au", "MSN"), ("C", "NPC"), ("I", "NPC"), ("A", "NPC")]
v3 = [("AV", "NALP"), ("AC", "LH"), ("PR", "NLH"), ("UI", "NR"), ("S", "UC"), ("C", "HLN"), ("I", "HLN"), ("A", "HLN")]
v4 = [("AV", "NALP"), ("AC", "LH"), ("AT", "NP"), ("PR", "NLH"), ("UI", "NPA"), ("VC", "HLN"), ("VI", "HLN"),
      ("VA", "HLN"), ("SC", "HLN"), ("SI", "HLN"), ("SA", "HLN")]
v4more = [("E", "XAPU"), ("CR", "XHML"), ("IR", "XHML"), ("AR", "XHML"), ("MAV", "XNALP"), ("MAC", "XLH"),
          ("MAT", "XNP"), ("MPR", "XNLH"), ("MUI", "XNPA"), ("MVC", "XHLN"), ("MVI", "XHLN"), ("MVA", "XHLN"),
          ("MSC", "XHLN"), ("MSI", "XSHLN"), ("MSA", "XSHLN"), ("S", "XNP"), ("AU", "XNY"), ("R", "XAUI"),
          ("V", "XDC"), ("RE", "XLMH")]
out = [("CVSS_V2", v) for v in every("", v2)]
out += [("CVSS_V3", v) for p in ("CVSS:3.0/", "CVSS:3.1/") for v in every(p, v3)]
out += [("CVSS_V4", v) for v in every("CVSS:4.0/", v4)]
for _ in range(20000):
    parts = ["%s:%s" % (m, rnd.choice(vs)) for m, vs in v4]
    parts += ["%s:%s" % (m, rnd.choice(vs)) for m, vs in v4more if rnd.random() < 0.35]
    out.append(("CVSS_V4", "CVSS:4.0/" + "/".join(parts)))
for t, v in out:
    print("cvss\t%s\t%s" % (t, v))
PY
"$VERCMP" <"$T/vectors" >"$T/airlock" || fail "the driver failed on the vectors"
(cd "$NODE_DIR" && node --input-type=commonjs - "$T/vectors") >"$T/oracle" <<'JS' || fail "the calculator failed"
const c = require("ae-cvss-calculator");
const out = [];
for (const l of require("fs").readFileSync(process.argv[2], "utf8").split("\n")) {
  if (!l) continue;
  const [, type, v] = l.split("\t");
  const k = type === "CVSS_V2" ? c.Cvss2 : type === "CVSS_V4" ? c.Cvss4P0 : v.startsWith("CVSS:3.0/") ? c.Cvss3P0 : c.Cvss3P1;
  const s = new k(v).calculateScores();
  out.push((type === "CVSS_V4" ? s.overall : s.base).toFixed(1));
}
process.stdout.write(out.join("\n") + "\n");
JS
# compare VECTORS ANSWERS: every score of airlock must be the sheet's
compare() {
    paste "$T/vectors" "$1" "$T/airlock" | awk -F'\t' -v want="$(wc -l <"$T/vectors")" '
        { n[$2]++; if ($4 != $5) { bad++; if (bad <= 10) printf "%s %s: calculator %s, airlock %s\n", $2, $3, $4, $5 } }
        END { for (t in n) printf "%s: %d vectors\n", t, n[t]; printf "%d differ\n", bad
              exit (bad || NR != want || n["CVSS_V2"] != 729 || n["CVSS_V3"] != 5184 || n["CVSS_V4"] != 124976) }'
}
compare "$T/oracle" || fail "airlock's CVSS scores differ from the calculator's (above)"
# the twin: one answer changed must be caught
awk 'NR == 100000 { $0 = ($0 == "9.9" ? "9.8" : "9.9") } { print }' "$T/oracle" >"$T/wrong"
if compare "$T/wrong" >/dev/null; then fail "the comparison passed a wrong answer sheet"; fi

# ---------------------------------------------------------------- not vectors
while IFS='|' read -r type vector; do
    printf 'cvss\t%s\t%s\n' "$type" "$vector"
done >"$T/bad" <<'EOF_BAD'
CVSS_V4|CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N
CVSS_V4|CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AV:L
CVSS_V4|CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N
CVSS_V4|CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/
CVSS_V4|CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N
CVSS_V4|CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:Y
CVSS_V4|CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E
CVSS_V4|CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N
CVSS_V4|CVSS:4.0/
CVSS_V3|CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H
CVSS_V3|CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H
CVSS_V3|CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H
CVSS_V3|AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
CVSS_V2|AV:N/AC:L/Au:N/C:P/I:P
CVSS_V2|AV:N/AC:L/Au:N/C:P/I:P/A:H
CVSS_V2|CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P/
EOF_BAD
"$VERCMP" <"$T/bad" >"$T/bad.out" || fail "the driver failed on the malformed vectors"
[ "$(grep -c '^E$' "$T/bad.out")" -eq "$(wc -l <"$T/bad")" ] || {
    paste "$T/bad" "$T/bad.out" >&2
    fail "a malformed vector was given a score (above)"
}

# ---------------------------------------------------------------- scan rates by the vectors
B=$T/bundle
sample_bundle "$B"
mkdir -p "$T/osv"
record() { # ID SEVERITY-JSON: an advisory of every pip before 99
    printf '{"id": "%s", "modified": "2026-12-01T00:00:00Z", %s "affected": [{"package": {"ecosystem": "PyPI", "name": "pip"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99"}]}]}]}\n' "$1" "$2" >"$T/osv/$1.json"
}
record x_V2 '"severity": [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}],'
record x_V4 '"severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],'
record x_V3V4 '"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}, {"type": "CVSS_V4", "score": "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:H/SC:L/SI:N/SA:H/E:U"}],'
record x_UBUNTU '"severity": [{"type": "Ubuntu", "score": "medium"}],'
expect_exit 1 airlock scan "$B" --vulndb "$T/osv" --json
jq -r '.results[].packages[].airlock.findings[] | [.id, .severity.rating, (.severity.score // "-" | tostring), .severity.source] | @tsv' "$OUT" | sort >"$T/rated"
cat >"$T/want" <<'EOF_WANT'
x_UBUNTU	MEDIUM	-	Ubuntu
x_V2	HIGH	7.5	CVSS_V2
x_V3V4	LOW	2	CVSS_V3
x_V4	CRITICAL	9.3	CVSS_V4
EOF_WANT
diff "$T/want" "$T/rated" >&2 || fail "scan rated the advisories otherwise (above: want, got)"
# a malformed vector stops the scan, naming the advisory and the vector
record x_BAD '"severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"}],'
expect_exit 2 airlock scan "$B" --vulndb "$T/osv"
expect_stderr_contains "advisory x_BAD"
expect_stderr_contains "lacks the base metric SA"
