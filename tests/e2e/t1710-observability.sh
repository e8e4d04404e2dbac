#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The observability shipped in deploy/ (docs/operator/observability.md):
#   - the alert rules pass `promtool check rules` and their unit tests (`promtool test
#     rules`); the twin: the same tests with one expected annotation changed fail;
#   - every airlock metric the rules and the Grafana dashboard name is one `airlock serve`
#     exports (scraped from a store with a bundle, a refused import and a release on
#     production); the twin: a dashboard naming a metric that does not exist is caught;
#   - a real Prometheus (Debian's) loads the rules, scrapes the server, and fires the two
#     alerts this store deserves (its last import was refused; a bundle expires within 14
#     days), and not the others; /metrics and the / page name the production release.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
need curl jq python3 promtool prometheus
D=$SRCDIR/deploy

# --- the rules and their unit tests
expect_exit 0 promtool check rules "$D/prometheus/airlock.rules.yml"
expect_stdout_contains "SUCCESS: 8 rules found"
expect_exit 0 bash -c "cd '$D/prometheus' && promtool test rules airlock.rules.test.yml"
expect_stdout_contains "SUCCESS"
mkdir "$T/bad-rules"
cp "$D/prometheus/airlock.rules.yml" "$T/bad-rules/"
sed 's/summary: "the store at a:8080 refused a bundle/summary: "the store at a:8080 took a bundle/' \
    "$D/prometheus/airlock.rules.test.yml" >"$T/bad-rules/airlock.rules.test.yml"
expect_exit 1 bash -c "cd '$T/bad-rules' && promtool test rules airlock.rules.test.yml"
expect_stderr_contains "alertname: AirlockVerificationFailed"

# --- a store with a bundle that expires in 7 days, a refused import, and a release on production
mkdir -p "$T/src/files"
echo "expires soon" >"$T/src/files/soon.txt"
printf 'name: soon\nversion: 1\nexpires: 7d\nartifacts:\n  - kind: file\n    path: files/soon.txt\n' >"$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/soon" --quiet
STORE=$T/store
expect_exit 0 airlock init --store "$STORE"
expect_exit 0 airlock import "$T/soon" --store "$STORE" --allow-unsigned --quiet
expect_exit 0 airlock release create 2027-Q1 --from soon@1 --store "$STORE"
sql "$STORE/catalog.db" "UPDATE bundles SET unsigned = 0" >/dev/null   # as if signed: the gate is t1700's
expect_exit 0 airlock release promote 2027-Q1 --to production --store "$STORE"
sed -i 's/^version: 1/version: 2/' "$T/src/airlock.yaml"
expect_exit 0 airlock bundle create -f "$T/src/airlock.yaml" -o "$T/v2" --quiet
flip_byte "$T/v2/blobs/sha256/$(sha256 "$T/src/files/soon.txt")"
expect_exit 1 airlock import "$T/v2" --store "$STORE" --allow-unsigned --quiet

serve_start
curl -fsS "$URL/metrics" >/dev/null || fail "cannot scrape $URL/metrics"
curl -fsS "$URL/metrics" >"$T/metrics" || fail "cannot scrape $URL/metrics"   # (the first is counted in this one)
grep -qxF 'airlock_release_info{channel="production",release="2027-Q1"} 1' "$T/metrics" ||
    fail "/metrics does not name the production release: $(grep release "$T/metrics")"
curl -fsS "$URL/" >"$T/home.html" || fail "cannot read the / page"
grep -qF '<b>production</b>: <code>2027-Q1</code>' "$T/home.html" || fail "the / page does not name the production release"

# used_metrics FILE…: the airlock_* names the files' expressions use
used_metrics() { grep -ohE 'airlock_[a-z0-9_]+' "$@" | LC_ALL=C sort -u; }
# unknown_metrics FILE…: those of them /metrics does not export
unknown_metrics() {
    LC_ALL=C comm -23 <(used_metrics "$@") <(grep -oE '^airlock_[a-z0-9_]+' "$T/metrics" | LC_ALL=C sort -u)
}
# (the airlock_eval_* series come from `airlock eval run`, not the server: t1751 checks them)
jq -r '.panels[].targets[].expr | select(test("airlock_eval_") | not)' "$D/grafana/airlock.json" >"$T/dash-exprs"
[ "$(wc -l <"$T/dash-exprs")" -ge 10 ] || fail "the dashboard has fewer than 10 queries"
assert_eq "$(unknown_metrics "$T/dash-exprs")" "" "metrics the dashboard names that airlock does not export"
grep -E '^ +expr:|^ +(sum|/)' "$D/prometheus/airlock.rules.yml" >"$T/rule-exprs"
assert_eq "$(unknown_metrics "$T/rule-exprs")" "" "metrics the rules name that airlock does not export"
[ "$(used_metrics "$T/rule-exprs" | wc -l)" -ge 8 ] || fail "the rules name fewer than 8 airlock metrics"
sed 's/airlock_store_blob_bytes/airlock_store_blobz_bytes/' "$T/dash-exprs" >"$T/bad-exprs"
assert_eq "$(unknown_metrics "$T/bad-exprs")" "airlock_store_blobz_bytes" "the misspelt metric, caught"

# --- a real Prometheus evaluates the rules against the server
PPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cp "$D/prometheus/airlock.rules.yml" "$T/"
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - airlock.rules.yml
scrape_configs:
  - job_name: airlock
    static_configs:
      - targets: ['$HOSTPORT']
EOF
expect_exit 0 promtool check config "$T/prometheus.yml"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
    --web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$T/prometheus.log" 2>&1 </dev/null &
PROM_PID=$!
BG_PIDS+=("$PROM_PID")
PROM=http://127.0.0.1:$PPORT
# firing: the names of the alerts firing now, sorted, comma-separated
firing() {
    kill -0 "$PROM_PID" 2>/dev/null || { cat "$T/prometheus.log" >&2; fail "Prometheus exited"; }
    curl -sS "$PROM/api/v1/alerts" 2>/dev/null |
        jq -r '[.data.alerts[] | select(.state == "firing") | .labels.alertname] | unique | join(",")' 2>/dev/null || true
}
both_fire() { [ "$(firing)" = "AirlockBundleExpiresSoon,AirlockLastImportFailed" ]; }
wait_until 120 both_fire || fail "Prometheus fires '$(firing)', not the expiry and the refused import"
curl -sS "$PROM/api/v1/rules" >"$T/rules.json" || fail "cannot read Prometheus' rules"
assert_eq "$(jq '[.data.groups[].rules[]] | length' "$T/rules.json")" 8 "rules Prometheus loaded"
assert_eq "$(jq -r '[.data.groups[].rules[] | select(.health != "ok") | .name] | join(",")' "$T/rules.json")" "" \
    "rules Prometheus could not evaluate"
curl -sS "$PROM/api/v1/alerts" >"$T/alerts.json"
assert_eq "$(jq -r '.data.alerts[] | select(.labels.alertname == "AirlockBundleExpiresSoon") | .labels.bundle' "$T/alerts.json")" \
    soon "the bundle the expiry alert names"
serve_stop
