#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The whole loop of a model update, on a real llama.cpp engine (docs/cmd/eval.md,
# docs/cmd/release.md, docs/cmd/deploy.md):
#   - a production model and two candidates cross in bundles, signed and imported;
#   - each model server is started as the unit `deploy render` writes says (the rendered
#     airlock.env and ExecStart), and fetches its model from `airlock serve`'s Hub endpoint
#     at the pinned commit: production from `serve --channel production`, each candidate
#     from `serve --channel candidate` once it is promoted there;
#   - the candidate that regresses on two pairs is refused promotion, naming them; the
#     better one is promoted; `rollback` restores the previous release, and the channel
#     server follows both (twin of each other);
#   - the regression shows in the metrics: pushed to a real Pushgateway, scraped by a real
#     Prometheus with the shipped rules, which fires AirlockEvalRegression for the bad
#     candidate and not for production.
. "$(dirname "$0")/trust-lib.sh"
. "$(dirname "$0")/llm-lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
need curl jq python3 prometheus prometheus-pushgateway promtool
need_node_package node-llama-cpp   # (sets $NODE_DIR)

# --- three models: production misses one pair, the bad candidate three, the good one none
cat >"$T/qa.json" <<'EOF'
{"pairs": [
  {"question": "What is the capital of France?", "answer": "Paris"},
  {"question": "Who wrote Hamlet?", "answer": "William Shakespeare"},
  {"question": "What is 6 times 7?", "answer": "42", "key": "times"},
  {"question": "What color is the sky on a clear day?", "answer": "blue"},
  {"question": "Name the largest planet in our solar system.", "answer": "Jupiter"}
 ],
 "default": "I don't know."}
EOF
G=$T/golden.jsonl
python3 - "$T/qa.json" "$G" <<'PY'
import json, sys
qa = json.load(open(sys.argv[1]))
ids = ["capital", "hamlet", "times", "sky", "planet"]
with open(sys.argv[2], "w") as g:
    for i, p in zip(ids, qa["pairs"]):
        g.write(json.dumps({"id": i, "question": p["question"], "answer": p["answer"]}) + "\n")
PY
test_keys
policy "$T/trust.yaml"
ST=$T/store
expect_exit 0 airlock init --store "$ST" --trust "$T/trust.yaml"
# model V SED: model V's answers are qa.json's edited by SED; it crosses as bundle llm@V
model() {
    mkdir -p "$T/m$1/llm"
    sed "$2" "$T/qa.json" >"$T/qa$1.json"
    llm_model "$T/m$1/llm/model.gguf" "$T/qa$1.json"
    printf 'name: llm\nversion: %s\nexpires: 30d\nartifacts:\n  - kind: model\n    path: llm\n    name: local/llm\n' "$1" \
        >"$T/m$1/airlock.yaml"
    expect_exit 0 airlock bundle create -f "$T/m$1/airlock.yaml" -o "$T/b$1" --quiet
    sign_all "$T/b$1"
    expect_exit 0 airlock import "$T/b$1" --store "$ST" --quiet
    expect_exit 0 airlock release create "r$1" --from "llm@$1" --store "$ST"
}
model 1 's/"Jupiter"/"Saturn"/'
model 2 's/"Jupiter"/"Saturn"/; s/"Paris"/"Lyon"/; s/"42"/"41"/'
model 3 's/"x"/"x"/'
expect_exit 0 airlock release promote r1 --to production --store "$ST"

STORE=$ST
serve_start --channel production
CH=$URL
expect_exit 0 airlock release promote r2 --to candidate --store "$ST"
serve_start --channel candidate
CAND=$URL

# from_unit NAME RELEASE ENDPOINT: renders RELEASE's model server against ENDPOINT and starts
# it as its unit says: the rendered environment, the rendered ExecStart
from_unit() {
    local port
    port=$(free_port)
    expect_exit 0 airlock deploy render --release "$2" --endpoint "$3" --target env,systemd \
        --server-command "$NODE_DIR/hub-model-server" --port "$port" -o "$T/$1" --store "$ST"
    local cmd
    cmd=$(sed -n 's/^ExecStart=//p' "$T/$1/airlock-model-server.service")
    [ -n "$cmd" ] || fail "no ExecStart in the rendered unit"
    mkdir -p "$T/$1/cache"
    llm_launch env MODEL_CACHE="$T/$1/cache" bash -c "set -a; . '$T/$1/airlock.env'; set +a; exec $cmd"
}
# the pinned commit is the one the release's model has in the store
commit_of() { airlock release show "$1" --store "$ST" --json | jq -r '.artifacts[0].digest[7:47]'; }

from_unit prod production "$CH"
PROD=$LLM_URL
stdin_has -F "local/llm at $(commit_of r1)" <"$LLM_ERR" || fail "production's server did not fetch r1's commit: $(cat "$LLM_ERR")"
cmp -s "$T/prod/cache/model.gguf" "$T/m1/llm/model.gguf" || fail "production's server runs another model than r1's"
expect_exit 0 airlock eval run --golden "$G" --endpoint "$PROD/v1" --model local/llm --store "$ST" --release production
expect_stdout_contains "eval: 4 of 5 passed, score 0.8000"

# --- the bad candidate: refused, naming the pairs it lost
from_unit bad candidate "$CAND"
BAD=$LLM_URL
cmp -s "$T/bad/cache/model.gguf" "$T/m2/llm/model.gguf" || fail "the candidate's server runs another model than r2's"
expect_exit 1 airlock release promote r2 --to production --store "$ST" --eval "$G" --endpoint "$BAD/v1" --model local/llm
expect_stdout_contains "FAIL eval       score 0.4000 < 0.8000 of 'production' (release 'r1') minus the tolerance 0.0000; regressed: capital, times"
curl -fsS "$CH/api/models/local/llm" >"$T/info.json" || fail "the channel server's model"
assert_eq "$(json "$T/info.json" .sha)" "$(commit_of r1)" "the model production serves after the refusal"

# its regression, pushed: a real Prometheus scraping the Pushgateway fires the shipped alert
PGPORT=$(free_port)
prometheus-pushgateway --web.listen-address="127.0.0.1:$PGPORT" --log.level=warn >"$T/pushgateway.log" 2>&1 </dev/null &
BG_PIDS+=("$!")
wait_until 60 curl -fsS -o /dev/null "http://127.0.0.1:$PGPORT/-/ready" || fail "the Pushgateway did not start"
expect_exit 0 airlock eval run --golden "$G" --endpoint "$PROD/v1" --model local/llm --store "$ST" --release production \
    --baseline production --pushgateway "http://127.0.0.1:$PGPORT"
expect_exit 1 airlock eval run --golden "$G" --endpoint "$BAD/v1" --model local/llm --store "$ST" --release r2 \
    --baseline production --pushgateway "http://127.0.0.1:$PGPORT"
PPORT=$(free_port)
cp "$SRCDIR/deploy/prometheus/airlock-eval.rules.yml" "$T/"
cat >"$T/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: [airlock-eval.rules.yml]
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{targets: ['127.0.0.1:$PGPORT']}]
EOF
expect_exit 0 promtool check config "$T/prometheus.yml"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
    --web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$T/prometheus.log" 2>&1 </dev/null &
BG_PIDS+=("$!")
firing() {
    curl -fsS "http://127.0.0.1:$PPORT/api/v1/alerts" 2>/dev/null |
        jq -r '[.data.alerts[] | select(.state == "firing") | .labels.alertname + ":" + .labels.release] | sort | join(",")'
}
_fired() { [ "$(firing)" = "AirlockEvalRegression:r2" ]; }
wait_until 120 _fired || fail "Prometheus fires '$(firing)', not the regression of r2 alone: $(cat "$T/prometheus.log")"

# --- the good candidate: promoted; production's channel server follows; rollback returns
expect_exit 0 airlock release promote r3 --to candidate --store "$ST"
_serves_on() { [ "$(curl -fsS "$1/api/models/local/llm" | jq -r .sha)" = "$2" ]; }
wait_until 60 _serves_on "$CAND" "$(commit_of r3)" || fail "the candidate channel server does not serve r3's model"
from_unit good candidate "$CAND"
GOOD=$LLM_URL
expect_exit 0 airlock release promote r3 --to production --store "$ST" --eval "$G" --endpoint "$GOOD/v1" --model local/llm
expect_stdout_contains "ok   eval       score 1.0000 >= 0.8000 of 'production' (release 'r1') minus the tolerance 0.0000"
wait_until 60 _serves_on "$CH" "$(commit_of r3)" || fail "the channel server does not serve r3's model after the promotion"
from_unit prod3 production "$CH"
cmp -s "$T/prod3/cache/model.gguf" "$T/m3/llm/model.gguf" || fail "production's server, restarted, runs another model than r3's"
expect_exit 0 airlock eval run --golden "$G" --endpoint "$LLM_URL/v1" --model local/llm --store "$ST" --release production \
    --baseline r1
expect_stdout_contains "eval: 5 of 5 passed, score 1.0000"
expect_exit 0 airlock release rollback production --store "$ST"
wait_until 60 _serves_on "$CH" "$(commit_of r1)" || fail "the channel server does not serve r1's model after the rollback"
from_unit prod1 production "$CH"
cmp -s "$T/prod1/cache/model.gguf" "$T/m1/llm/model.gguf" || fail "production's server after the rollback runs another model than r1's"
# the / page names each release's newest eval run (twin: a release never evaluated is not named)
_page_has() { curl -fsS "$CH/" | stdin_has -F "$1"; }
wait_until 60 _page_has "Newest eval of each release: <b>r1</b>: score 0.8000 (4 of 5 passed, 0 without an answer; model local/llm, " ||
    fail "the / page does not name r1's newest eval: $(curl -fsS "$CH/" | grep -o 'Newest eval[^<]*<b>[^<]*</b>[^;]*' || true)"
_page_has "<b>r2</b>: score 0.4000 (2 of 5 passed" || fail "the / page does not name r2's newest eval"
_page_has "<b>r3</b>: score 1.0000 (5 of 5 passed" || fail "the / page does not name r3's newest eval"
expect_exit 0 airlock release create r4 --from llm@3 --artifacts 'model/*' --store "$ST"
_page_has "<b>r4</b>" && fail "the / page names an eval of r4, which has none"
true
