#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# /metrics of `airlock serve`: Prometheus text format 0.0.4 (its Content-Type) that
# `promtool check metrics` passes (and the same checker fails on a damaged copy: it is
# not a rubber stamp); request counters, bytes and duration histograms rise by exactly the
# requests made, per route, method and code; the store gauges equal what is on disk and
# in the bundle (blobs, bytes, artifacts by kind); a refused import raises
# airlock_verification_failures_total and sets airlock_last_import_success to 0, a good
# one sets it back to 1 and adds its artifact and blob, all without a restart; and a real
# Prometheus (Debian's) scrapes it: up == 1 and airlock_store_blobs has the right value.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need curl jq python3 promtool prometheus

t_before_import=$(date +%s)
serve_store
t_after_import=$(date +%s)
serve_start

# scrape FILE: GET /metrics into FILE, checking the status and the Content-Type.
scrape() {
    local code
    code=$(curl -sS -D "$T/mh" -o "$1" -w '%{http_code}' "$URL/metrics") || fail "curl $URL/metrics failed"
    assert_eq "$code" 200 "status of GET /metrics"
    ct=$(tr -d '\r' <"$T/mh" | sed -n 's/^content-type: *//Ip' | tail -n 1)
    case $ct in
        "text/plain; version=0.0.4"*) ;;
        *) fail "Content-Type of /metrics is '$ct', expected text/plain; version=0.0.4" ;;
    esac
}

# mval FILE NAME [LABEL=VALUE...]: the sum of NAME's samples whose labels include all those
# given; 'absent' when there is none.
mval() {
    python3 - "$@" <<'PY' || fail "cannot parse the metrics in '$1'"
import re, sys
path, name, want = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$')
lab_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')
total, seen = 0.0, False
for line in open(path, encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    m = line_re.match(line)
    if not m:
        sys.exit("unparsable sample line: %r" % line)
    if m.group(1) != name:
        continue
    labels = dict(lab_re.findall(m.group(2) or ""))
    if all(labels.get(k) == v for k, v in want.items()):
        total += float(m.group(3))
        seen = True
if not seen:
    print("absent")
elif total == int(total):
    print(int(total))
else:
    print(repr(total))
PY
}

# expect_metric FILE WANT NAME [LABEL=VALUE...]
expect_metric() {
    local f=$1 want=$2
    shift 2
    assert_eq "$(mval "$f" "$@")" "$want" "metric $*"
}

# wait_metric WANT NAME [LABEL=VALUE...]: scrapes $T/m until the metric has that value
# (at most 60 s: the server may count a request just after it has answered it), then
# checks it once more.
wait_metric() {
    wait_until 60 _metric_is "$@" || true
    expect_metric "$T/m" "$@"
}
_metric_is() {
    local want=$1
    shift
    scrape "$T/m"
    [ "$(mval "$T/m" "$@")" = "$want" ]
}

# promcheck FILE: promtool check metrics on FILE (expect_exit closes stdin, so the file is
# given here).
promcheck() { promtool check metrics <"$1"; }

# store_blobs / store_bytes: what is in $STORE/blobs/sha256, counted here.
store_blobs() { find "$STORE/blobs/sha256" -type f | wc -l; }
store_bytes() { find "$STORE/blobs/sha256" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

# --- the format, and promtool
scrape "$T/m0"
[ -s "$T/m0" ] || fail "/metrics is empty"
[ "$(tail -c 1 "$T/m0" | od -An -c | tr -d ' ')" = '\n' ] || fail "/metrics does not end with a newline"
expect_exit 0 promcheck "$T/m0"
# the build, the connections and the standard process_* metrics, checked against the kernel
expect_metric "$T/m0" 1 airlock_build_info "version=$("$AIRLOCK" version | cut -d' ' -f2)"
[ "$(mval "$T/m0" airlock_http_connections)" -ge 1 ] || fail "airlock_http_connections: the scrape's own connection is open"
rss=$(mval "$T/m0" process_resident_memory_bytes)
kernel_rss=$(($(awk '/^VmRSS:/ {print $2}' "/proc/$SERVE_PID/status") * 1024))
[ "$rss" -gt $((kernel_rss / 4)) ] && [ "$rss" -lt $((kernel_rss * 4)) ] ||
    fail "process_resident_memory_bytes $rss is far from the kernel's VmRSS $kernel_rss"
fds=$(mval "$T/m0" process_open_fds)
kernel_fds=$(ls "/proc/$SERVE_PID/fd" | wc -l)
[ "$fds" -gt $((kernel_fds - 20)) ] && [ "$fds" -lt $((kernel_fds + 20)) ] ||
    fail "process_open_fds $fds is far from the $kernel_fds in /proc"
start=$(mval "$T/m0" process_start_time_seconds)
python3 -c "import sys, time; s = float(sys.argv[1]); sys.exit(0 if time.time() - 600 < s <= time.time() else 1)" "$start" ||
    fail "process_start_time_seconds $start is not within the last ten minutes"
[ "$(mval "$T/m0" process_cpu_seconds_total)" != absent ] || fail "process_cpu_seconds_total is absent"
[ "$(mval "$T/m0" process_max_fds)" != absent ] || fail "process_max_fds is absent"
# each bundle's expiry, as the bundle itself says
want_exp=$(python3 -c "import json, sys, datetime; e = json.load(open(sys.argv[1]))['expires']; print(int(datetime.datetime.fromisoformat(e.replace('Z', '+00:00')).timestamp()))" "$B/airlock.json")
expect_metric "$T/m0" "$want_exp" airlock_bundle_expiry_timestamp_seconds bundle=demo-stack version=1
# the twins: promtool does fail on a lint problem and on a parse error
{ cat "$T/m0"; printf '# HELP airlock_bad_counter x\n# TYPE airlock_bad_counter counter\nairlock_bad_counter 1\n'; } >"$T/m-lint"
expect_exit 3 promcheck "$T/m-lint"
expect_stderr_contains 'airlock_bad_counter counter metrics should have "_total" suffix'
{ cat "$T/m0"; printf 'airlock_broken{x="1" 1\n'; } >"$T/m-parse"
expect_exit 1 promcheck "$T/m-parse"
expect_stderr_contains "text format parsing error"
for n in airlock_http_requests_total airlock_http_sent_bytes_total airlock_store_blobs airlock_store_blob_bytes \
    airlock_store_artifacts airlock_last_import_timestamp_seconds airlock_last_import_success \
    airlock_verification_failures_total airlock_snapshot_timestamp_seconds; do
    grep -q "^# TYPE $n " "$T/m0" || fail "/metrics has no '# TYPE $n'"
done
grep -q '^# TYPE airlock_http_request_duration_seconds histogram$' "$T/m0" ||
    fail "airlock_http_request_duration_seconds is not a histogram"
grep -q '^# TYPE airlock_http_requests_total counter$' "$T/m0" || fail "airlock_http_requests_total is not a counter"

# --- the store gauges: what is on disk and in the bundle
expect_metric "$T/m0" "$(store_blobs)" airlock_store_blobs
expect_metric "$T/m0" "$(store_bytes)" airlock_store_blob_bytes
[ "$(store_blobs)" -gt 10 ] || fail "the sample store has too few blobs to prove anything"
for kind in model wheel image file vulndb; do
    want=$(jq --arg k "$kind" '[.manifests[] | select(.annotations["io.airlock.kind"] == $k)] | length' "$B/index.json")
    [ "$want" -ge 1 ] || fail "the sample bundle has no $kind"
    expect_metric "$T/m0" "$want" airlock_store_artifacts kind="$kind"
done
expect_metric "$T/m0" 1 airlock_last_import_success
expect_metric "$T/m0" 0 airlock_verification_failures_total
ts=$(mval "$T/m0" airlock_last_import_timestamp_seconds)
python3 -c "import sys; t = float(sys.argv[1]); sys.exit(not ($t_before_import <= t < $t_after_import + 1))" "$ts" ||
    fail "airlock_last_import_timestamp_seconds $ts is not when the import ran ($t_before_import..$t_after_import)"
snap=$(mval "$T/m0" airlock_snapshot_timestamp_seconds)
python3 -c "import sys; t = float(sys.argv[1]); sys.exit(not ($t_before_import <= t))" "$snap" ||
    fail "airlock_snapshot_timestamp_seconds $snap is older than the store"

# --- the request counters rise by what was asked, no more
base() { mval "$T/m1" "$@" | sed 's/^absent$/0/'; }
scrape "$T/m1"
api200=$(base airlock_http_requests_total route=hf_api method=GET code=200)
api404=$(base airlock_http_requests_total route=hf_api method=GET code=404)
res200=$(base airlock_http_requests_total route=hf_resolve method=GET code=200)
res_head=$(base airlock_http_requests_total route=hf_resolve method=HEAD code=200)
hz=$(base airlock_http_requests_total route=healthz method=GET code=200)
apicount=$(base airlock_http_request_duration_seconds_count route=hf_api)
resbytes=$(base airlock_http_sent_bytes_total route=hf_resolve)
for i in 1 2 3; do curl -sS -o /dev/null "$URL/api/models/local/tiny-model" || fail "curl failed"; done
curl -sS -o /dev/null "$URL/api/models/local/no-such-model" || fail "curl failed"
for i in 1 2; do curl -sS -o /dev/null "$URL/local/tiny-model/resolve/main/config.json" || fail "curl failed"; done
curl -sS -I -o /dev/null "$URL/local/tiny-model/resolve/main/config.json" || fail "curl failed"
curl -sS -o /dev/null "$URL/healthz" || fail "curl failed"
wait_metric $((api200 + 3)) airlock_http_requests_total route=hf_api method=GET code=200
wait_metric $((api404 + 1)) airlock_http_requests_total route=hf_api method=GET code=404
wait_metric $((res200 + 2)) airlock_http_requests_total route=hf_resolve method=GET code=200
wait_metric $((res_head + 1)) airlock_http_requests_total route=hf_resolve method=HEAD code=200
wait_metric $((hz + 1)) airlock_http_requests_total route=healthz method=GET code=200
wait_metric $((apicount + 4)) airlock_http_request_duration_seconds_count route=hf_api
sent=$(mval "$T/m" airlock_http_sent_bytes_total route=hf_resolve)
[ "$sent" -ge $((resbytes + 2 * $(stat -c %s "$S/models/tiny-model/config.json"))) ] ||
    fail "airlock_http_sent_bytes_total{route=hf_resolve} rose from $resbytes to $sent, less than two config.json"
expect_exit 0 promcheck "$T/m"
# every histogram: cumulative buckets in increasing le order, +Inf == _count
python3 - "$T/m" <<'PY' || fail "a histogram of /metrics is inconsistent"
import re, sys
from collections import defaultdict
buckets, counts = defaultdict(list), {}
for line in open(sys.argv[1]):
    m = re.match(r'^(\w+)_bucket\{(.*)\} (\S+)$', line.strip())
    if m:
        labels = m.group(2)
        le = re.search(r'le="([^"]*)"', labels).group(1)
        rest = re.sub(r',?le="[^"]*"', "", labels).strip(",")
        buckets[(m.group(1), rest)].append((float(le), float(m.group(3))))
        continue
    m = re.match(r'^(\w+)_count(?:\{(.*)\})? (\S+)$', line.strip())
    if m:
        counts[(m.group(1), m.group(2) or "")] = float(m.group(3))
assert buckets, "no histogram buckets"
for key, bs in buckets.items():
    les = [b[0] for b in bs]
    assert les == sorted(les), "%s: le not increasing" % (key,)
    assert les[-1] == float("inf"), "%s: no +Inf bucket" % (key,)
    vals = [b[1] for b in bs]
    assert vals == sorted(vals), "%s: buckets not cumulative: %s" % (key, vals)
    assert counts.get(key) == vals[-1], "%s: +Inf %s != _count %s" % (key, vals[-1], counts.get(key))
PY

# --- a refused import, then a good one, seen without a restart
mkdir -p "$T/spec/files"
printf 'seen by the metrics test\n' >"$T/spec/files/note.txt"
printf 'name: tiny\nversion: 1\nexpires: 30d\nartifacts:\n  - kind: file\n    path: files/note.txt\n' >"$T/spec/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/spec/airlock.yaml" -o "$T/tiny" --quiet
cp -a "$T/tiny" "$T/tiny-bad"
flip_byte "$T/tiny-bad/blobs/sha256/$(sha256 "$T/spec/files/note.txt")"
expect_exit 1 airlock import "$T/tiny-bad" --store "$STORE" --allow-unsigned
wait_metric 1 airlock_verification_failures_total
expect_metric "$T/m" 0 airlock_last_import_success
expect_metric "$T/m" "$(store_blobs)" airlock_store_blobs
files_before=$(mval "$T/m" airlock_store_artifacts kind=file)
expect_exit 0 airlock import "$T/tiny" --store "$STORE" --allow-unsigned
wait_metric 1 airlock_last_import_success
expect_metric "$T/m" 1 airlock_verification_failures_total
expect_metric "$T/m" $((files_before + 1)) airlock_store_artifacts kind=file
expect_metric "$T/m" "$(store_blobs)" airlock_store_blobs
expect_metric "$T/m" "$(store_bytes)" airlock_store_blob_bytes

# --- a real Prometheus scrapes it
PPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: airlock
    static_configs:
      - targets: ['$HOSTPORT']
EOF
promtool check config "$T/prometheus.yml" >/dev/null 2>&1 || fail "promtool check config refused the test's config"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
    --web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$T/prometheus.log" 2>&1 </dev/null &
PROM_PID=$!
BG_PIDS+=("$PROM_PID")
PROM=http://127.0.0.1:$PPORT
# pquery QUERY: the first result's value ('' while there is none)
pquery() {
    curl -sS -G --data-urlencode "query=$1" "$PROM/api/v1/query" 2>/dev/null |
        jq -r 'if .status == "success" then (.data.result[0].value[1] // "") else "" end' 2>/dev/null || true
}
# scraped: up is 1. A 0 (a failed scrape: its lastError says why) is waited past, as
# one scrape over the 1 s scrape_timeout on a loaded machine is no failure of airlock's.
scraped() {
    kill -0 "$PROM_PID" 2>/dev/null || { cat "$T/prometheus.log" >&2; fail "Prometheus exited"; }
    up=$(pquery 'up{job="airlock"}')
    [ "$up" = 1 ]
}
up=
wait_until 120 scraped || true
if [ "$up" != 1 ]; then
    curl -sS "$PROM/api/v1/targets" >"$OUT" 2>"$ERR" || true
    cat "$T/prometheus.log" >>"$ERR"
    fail "Prometheus did not scrape airlock serve: up='$up' ($(jq -r '.data.activeTargets[0].lastError // ""' "$OUT" 2>/dev/null))"
fi
assert_eq "$(pquery airlock_store_blobs)" "$(store_blobs)" "airlock_store_blobs as Prometheus scraped it"
assert_eq "$(pquery 'airlock_store_artifacts{kind="file"}')" $((files_before + 1)) "airlock_store_artifacts{kind=file} in Prometheus"
curl -sS "$PROM/api/v1/targets" >"$T/targets.json" || fail "cannot read Prometheus' targets"
assert_eq "$(json "$T/targets.json" '.data.activeTargets[0].lastError')" "" "Prometheus' last scrape error"
# Prometheus' own scrapes are counted under route="metrics"
scrape "$T/m"
[ "$(mval "$T/m" airlock_http_requests_total route=metrics method=GET code=200)" -ge 2 ] ||
    fail "the scrapes are not counted under route=metrics"

serve_alive
serve_stop
