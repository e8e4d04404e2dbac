#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# airlock eval run against a real llama.cpp engine (node-llama-cpp over a hand-built QA
# model, tests/e2e/llm-lib.sh), offline (docs/cmd/eval.md):
#   - every scorer on the answers the engine really gives: the production model scores
#     0.96 (the f1 pair scores 0.8, worked out by hand), a candidate whose one answer
#     differs scores 0.76; the answers recorded are the ones curl gets from the same
#     engine; chat and completions, one and four at a time, give the same;
#   - releases: the run is recorded for the release a channel names; `release promote
#     --eval` runs the candidate and refuses it with the figures (twin: a tolerance that
#     covers the drop lets it through, on the recorded runs); `--baseline` exits 1 on a
#     regression (twin: the production model against itself exits 0); a golden set one
#     byte different has no baseline; the drill rehearses a promotion with the eval on a
#     scratch copy (the candidate model blocks it, the production model does not);
#   - a server that fails every other request is retried through; one too slow for
#     --timeout leaves every pair unanswered: exit 2, recorded, metrics say so, and a
#     promotion on it is refused;
#   - metrics: the textfile passes `promtool check metrics`; a real Pushgateway takes the
#     push and serves it back (twin: a gateway that is down is an error); the eval alert
#     rules pass their unit tests (twin: a changed expectation fails) and, like the
#     dashboard, name only metrics eval writes (twin: a misspelt one is caught);
#   - nothing phones home: every connection eval opens (strace) goes to the endpoint;
#   - the shipped cron line runs as written.
. "$(dirname "$0")/trust-lib.sh"
. "$(dirname "$0")/llm-lib.sh"
. "$(dirname "$0")/nginx-lib.sh"
need jq curl python3 promtool strace prometheus-pushgateway
D=$SRCDIR/deploy

# --- the models: production answers every golden question; the candidate gets one wrong
cat >"$T/qa.json" <<'EOF'
{"pairs": [
  {"question": "What is the capital of France?", "answer": "Paris"},
  {"question": "Who wrote Hamlet?", "answer": "William Shakespeare"},
  {"question": "What is 6 times 7?", "answer": "The answer is 42.", "key": "times"},
  {"question": "What color is the sky on a clear day?", "answer": "The sky is blue."},
  {"question": "Name the largest planet in our solar system.", "answer": "Jupiter"}
 ],
 "default": "I don't know."}
EOF
sed 's/"Jupiter"/"Saturn"/' "$T/qa.json" >"$T/cand-qa.json"
llm_model "$T/prod.gguf" "$T/qa.json"
llm_model "$T/cand.gguf" "$T/cand-qa.json"
G=$T/golden.jsonl
cat >"$G" <<'EOF'
{"id": "capital", "question": "What is the capital of France?", "answer": "Paris", "tags": ["geo"]}
{"id": "hamlet", "question": "Who wrote Hamlet?", "answer": "shakespeare", "scorer": "contains", "tags": ["lit"]}
{"id": "times", "question": "What is 6 times 7?", "answer": 42, "scorer": "numeric", "tags": ["math"]}

{"id": "sky", "question": "What color is the sky on a clear day?", "answer": "sky blue", "scorer": "f1", "tags": ["geo"]}
{"id": "planet", "question": "Name the largest planet in our solar system.", "answer": "^Jupiter$", "scorer": "regex", "tags": ["space"]}
EOF
GD=sha256:$(sha256 "$G")

llm_start "$T/prod.gguf"
PROD=$LLM_URL PROD_PID=$LLM_PID PROD_PORT=$LLM_PORT
llm_start "$T/cand.gguf"
CAND=$LLM_URL

# --- no store: the scores, and the answers as the engine gives them to curl
expect_exit 0 airlock eval run --golden "$G" --endpoint "$PROD/v1" --model test --json
assert_eq "$(json "$OUT" '[.score, .pairs, .passed, .errors, .golden] | map(tostring) | join(" ")')" "0.96 5 5 0 $GD" \
    "score, pairs, passed, errors and set of the production model"
assert_eq "$(json "$OUT" '[.results[] | .id + "=" + (.score | tostring)] | join(",")')" \
    "capital=1,hamlet=1,times=1,sky=0.8,planet=1" "each pair's score"
LLM_URL=$PROD
for q in "What is the capital of France?" "Who wrote Hamlet?" "What is 6 times 7?" "What color is the sky on a clear day?" \
    "Name the largest planet in our solar system."; do
    want=$(llm_chat "$q")
    got=$(jq -r --arg q "$q" --slurpfile g <(jq -c . "$G") \
        '($g[] | select(.question == $q) | .id) as $id | .results[] | select(.id == $id) | .answer' "$OUT")
    assert_eq "$got" "$want" "the answer eval recorded for '$q'"
done
# the completions API, four at a time: the same answers (the prompt is the chat form, by hand)
python3 - "$G" "$T/golden-prompts.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        if line.strip():
            p = json.loads(line)
            p["question"] = "User: %s\nAssistant:" % p["question"]
            o.write(json.dumps(p) + "\n")
PY
expect_exit 0 airlock eval run --golden "$T/golden-prompts.jsonl" --endpoint "$PROD/v1/" --model test --api completions \
    --concurrency 4 --json
assert_eq "$(json "$OUT" '[.results[] | .id + "=" + (.score | tostring)] | join(",")')" \
    "capital=1,hamlet=1,times=1,sky=0.8,planet=1" "each pair's score through /v1/completions"

# --- the candidate: one pair wrong, named with what came and what was wanted
expect_exit 0 airlock eval run --golden "$G" --endpoint "$CAND/v1" --model test --concurrency 2
expect_stdout_contains " FAIL 'planet' (regex, line 6): got 'Saturn' want '^Jupiter\$'"
expect_stdout_contains "eval: 4 of 5 passed, score 0.7600 ($GD, 0 errors,"

# --- a store with the usual trust policy, release 2027-Q1 on production and 2027-Q2 as the candidate
test_keys
policy "$T/trust.yaml"
S=$T/store
expect_exit 0 airlock init --store "$S" --trust "$T/trust.yaml"
for v in 1 2 3; do
    tiny_bundle "$T/b$v" llm "$v" 30d "model config v$v"
    sign_all "$T/b$v"
done
expect_exit 0 airlock import "$T/b1" --store "$S" --quiet
expect_exit 0 airlock import "$T/b2" --store "$S" --quiet
expect_exit 0 airlock release create 2027-Q1 --from llm@1 --store "$S"
expect_exit 0 airlock release create 2027-Q2 --from llm@2 --store "$S"
expect_exit 0 airlock release promote 2027-Q1 --to production --store "$S"

# a promotion gated on an eval of a release that has none is refused, naming what to run
expect_exit 1 airlock release promote 2027-Q2 --to production --store "$S" --eval "$G"
expect_stdout_contains "FAIL eval       the candidate release '2027-Q2' has no eval run on golden set"
expect_stderr_contains "gates failed"

# production's run, recorded for the release the channel names
mkdir "$T/tf"
expect_exit 0 airlock eval run --golden "$G" --endpoint "$PROD/v1" --model test --store "$S" --release production \
    --actor tester --textfile "$T/tf"
assert_eq "$(sql "$S/catalog.db" "SELECT release, model, golden, pairs, passed, errors, score, actor FROM eval_runs")" \
    "2027-Q1|test|$GD|5|5|0|0.96|tester" "the recorded run"
assert_eq "$(sql "$S/catalog.db" "SELECT group_concat(pair || '=' || answer, ',') FROM (SELECT * FROM eval_results ORDER BY seq)")" \
    "capital=Paris,hamlet=William Shakespeare,times=The answer is 42.,sky=The sky is blue.,planet=Jupiter" \
    "the recorded answers"

# the candidate, asked by the promotion itself: refused with its figures; production stays
expect_exit 1 airlock release promote 2027-Q2 --to production --store "$S" --eval "$G" --endpoint "$CAND/v1" --model test
expect_stdout_contains "eval of the candidate: 4 of 5 passed, score 0.7600, 0 errors"
expect_stdout_contains "FAIL eval       score 0.7600 < 0.9600 of 'production' (release '2027-Q1') minus the tolerance 0.0000; regressed: planet"
expect_exit 0 airlock release channel production --store "$S" --json
assert_eq "$(json "$OUT" .release)" 2027-Q1 "production after the refused promotion"
# twin: a tolerance that covers the drop, on the runs already recorded (no endpoint)
expect_exit 0 airlock release promote 2027-Q2 --to production --store "$S" --eval "$G" --tolerance 25% --json
assert_eq "$(json "$OUT" '.gates[] | select(.gate == "eval") | [.ok, .detail] | map(tostring) | join(" ")')" \
    "true score 0.7600 >= 0.9600 of 'production' (release '2027-Q1') minus the tolerance 0.2500; regressed: planet" "the eval gate"
expect_exit 0 airlock release rollback production --store "$S"

# --baseline: the candidate regresses against production (exit 1); production against itself does not
expect_exit 1 airlock eval run --golden "$G" --endpoint "$CAND/v1" --model test --store "$S" --release 2027-Q2 \
    --baseline production --tolerance 0.1 --textfile "$T/tf/cand.prom"
expect_stdout_contains "baseline 'production' (release '2027-Q1'): 0.9600; REGRESSION"
grep -qxF 'airlock_eval_regression{release="2027-Q2",model="test"} 1' "$T/tf/cand.prom" ||
    fail "the textfile does not flag the regression: $(grep regression "$T/tf/cand.prom")"
expect_exit 0 airlock eval run --golden "$G" --endpoint "$PROD/v1" --model test --store "$S" --release production \
    --baseline production --textfile "$T/tf"
expect_stdout_contains "baseline 'production' (release '2027-Q1'): 0.9600; no regression"
grep -qxF 'airlock_eval_regression{release="2027-Q1",model="test"} 0' "$T/tf/airlock_eval.prom" ||
    fail "the textfile flags a regression that is not one"
# a golden set one byte different is another set: no baseline run, exit 2, nothing asked
sed 's/"Paris"/"Paris "/' "$G" >"$T/golden2.jsonl"
: >"$LLM_LOG"
expect_exit 2 airlock eval run --golden "$T/golden2.jsonl" --endpoint "$CAND/v1" --model test --store "$S" --baseline production
expect_stderr_contains "baseline 'production' (release '2027-Q1') has no eval run on golden set sha256:$(sha256 "$T/golden2.jsonl") without errors"
assert_eq "$(wc -c <"$LLM_LOG")" 0 "requests made when the baseline is missing"
expect_exit 0 airlock eval ls --store "$S" --json
assert_eq "$(json "$OUT" '[.runs[] | .release + ":" + (.score | tostring) + ":" + (.score | type)] | join(",")')" \
    "2027-Q1:0.96:number,2027-Q2:0.76:number,2027-Q2:0.76:number,2027-Q1:0.96:number" "the runs, newest first"
expect_exit 0 airlock eval ls --store "$S" --limit 1
expect_stdout_contains "2027-Q1          test                 0.9600     5/5    0"
expect_exit 0 airlock eval ls --store "$S" --release 2027-Q2 --limit 1 --pairs --json
assert_eq "$(json "$OUT" '.runs[0].pairs | map(select(.pass == 0) | .pair + "=" + .answer) | join(",")')" "planet=Saturn" \
    "the failed pair of the candidate's newest run"

# --- the drill rehearses the promotion with the eval, on a scratch copy: the candidate
# model blocks it (twin: the production model does not); the live store keeps its runs
runs=$(sql "$S/catalog.db" "SELECT count(*) FROM eval_runs")
expect_exit 1 airlock drill --store "$S" --bundle "$T/b3" --eval "$G" --endpoint "$CAND/v1" --model test --json
assert_eq "$(json "$OUT" '[.steps[] | .step + "=" + (.ok | tostring)] | join(",")')" \
    "trust policy=true,scratch copy=true,import=true,release=true,eval=true,promote=false" "the drill's steps"
assert_eq "$(json "$OUT" '.steps[] | select(.step == "eval") | .detail')" \
    "4 of 5 golden questions passed, score 0.7600, 0 without an answer" "the drill's eval"
json "$OUT" '.steps[] | select(.step == "promote") | .detail' | stdin_has -F "eval: score 0.7600 < 0.9600 of 'production'" ||
    fail "the drill's promotion does not name the eval gate: $(cat "$OUT")"
expect_exit 0 airlock drill --store "$S" --bundle "$T/b3" --eval "$G" --endpoint "$PROD/v1" --model test --json
assert_eq "$(json "$OUT" '[.steps[] | .step + "=" + (.ok | tostring)] | join(",")')" \
    "trust policy=true,scratch copy=true,import=true,release=true,eval=true,promote=true,rollback=true" \
    "the drill's steps with the production model"
assert_eq "$(sql "$S/catalog.db" "SELECT count(*) FROM eval_runs")" "$runs" "the live store's eval runs after the drills"

# --- metrics: the text format, the rules' unit tests, and only names eval writes
expect_exit 0 promtool check metrics <"$T/tf/airlock_eval.prom"
for m in 'airlock_eval_score_ratio{release="2027-Q1",model="test"} 0.96' \
    'airlock_eval_tag_score_ratio{release="2027-Q1",model="test",tag="geo"} 0.9' \
    'airlock_eval_passed_pairs{release="2027-Q1",model="test"} 5' \
    'airlock_eval_request_duration_seconds_count{release="2027-Q1",model="test"} 5'; do
    grep -qxF "$m" "$T/tf/airlock_eval.prom" || fail "the textfile lacks '$m'"
done
expect_exit 0 promtool check rules "$D/prometheus/airlock-eval.rules.yml"
expect_exit 0 bash -c "cd '$D/prometheus' && promtool test rules airlock-eval.rules.test.yml"
mkdir "$T/bad-rules"
cp "$D/prometheus/airlock-eval.rules.yml" "$T/bad-rules/"
sed 's/did not answer 3 golden/did not answer 4 golden/' "$D/prometheus/airlock-eval.rules.test.yml" \
    >"$T/bad-rules/airlock-eval.rules.test.yml"
expect_exit 1 bash -c "cd '$T/bad-rules' && promtool test rules airlock-eval.rules.test.yml"
cat "$T/tf/airlock_eval.prom" "$T/tf/cand.prom" >"$T/written.prom"
eval_names() { grep -ohE 'airlock_eval_[a-z0-9_]+' "$@" | LC_ALL=C sort -u; }
unknown() { LC_ALL=C comm -23 <(eval_names "$@") <(grep -oE '^airlock_eval_[a-z_]+' "$T/written.prom" | LC_ALL=C sort -u); }
jq -r '.panels[].targets[].expr' "$D/grafana/airlock.json" >"$T/exprs"
grep -E '^ +expr:' "$D/prometheus/airlock-eval.rules.yml" >>"$T/exprs"
[ "$(eval_names "$T/exprs" | wc -l)" -ge 6 ] || fail "the dashboard and rules name fewer than 6 eval metrics"
assert_eq "$(unknown "$T/exprs")" "" "eval metrics the dashboard and rules name that eval does not write"
sed 's/airlock_eval_error_pairs/airlock_eval_errors_pairs/' "$T/exprs" >"$T/bad-exprs"
assert_eq "$(unknown "$T/bad-exprs")" "airlock_eval_errors_pairs" "the misspelt metric, caught"

# --- a real Pushgateway takes the push, replacing the group
PGPORT=$(free_port)
prometheus-pushgateway --web.listen-address="127.0.0.1:$PGPORT" --log.level=warn >"$T/pushgateway.log" 2>&1 </dev/null &
PG_PID=$!
BG_PIDS+=("$PG_PID")
wait_until 60 curl -fsS -o /dev/null "http://127.0.0.1:$PGPORT/-/ready" || fail "the Pushgateway did not start: $(cat "$T/pushgateway.log")"
expect_exit 0 airlock eval run --golden "$G" --endpoint "$PROD/v1" --model test --store "$S" --release production \
    --pushgateway "http://127.0.0.1:$PGPORT"
curl -fsS "http://127.0.0.1:$PGPORT/metrics" >"$T/pg.txt" || fail "cannot read the Pushgateway's /metrics"
stdin_has -xF 'airlock_eval_score_ratio{instance="2027-Q1",job="airlock_eval",model="test",release="2027-Q1"} 0.96' <"$T/pg.txt" ||
    fail "the Pushgateway does not hold the score: $(grep airlock_eval_score "$T/pg.txt")"
stdin_has -E '^push_failure_time_seconds\{instance="2027-Q1",job="airlock_eval"\} 0$' <"$T/pg.txt" ||
    fail "the Pushgateway recorded a failed push"
# twin: a gateway that does not answer is an error (the run is recorded all the same)
kill "$PG_PID" && wait_until 60 bash -c "! curl -s -o /dev/null http://127.0.0.1:$PGPORT/"
expect_exit 2 airlock eval run --golden "$G" --endpoint "$PROD/v1" --model test --pushgateway "http://127.0.0.1:$PGPORT" --retries 1
expect_stderr_contains "the Pushgateway"

# --- failures underneath: retried through; too slow is unanswered, recorded, and blocks a promotion
llm_start "$T/prod.gguf" LLM_FAIL_EVERY=2
expect_exit 0 airlock eval run --golden "$G" --endpoint "$LLM_URL/v1" --model test --json
assert_eq "$(json "$OUT" '[.passed, .errors] | map(tostring) | join(" ")')" "5 0" "passed and errors through a failing server"
[ "$(grep -c '"status":500' "$LLM_LOG")" -ge 2 ] || fail "the server did not fail any request: $(cat "$LLM_LOG")"
llm_start "$T/prod.gguf" LLM_DELAY_MS=3000
expect_exit 2 airlock eval run --golden "$G" --endpoint "$LLM_URL/v1" --model test --timeout 1 --retries 1 --concurrency 5 \
    --store "$S" --release 2027-Q2 --textfile "$T/tf/slow.prom"
expect_stderr_contains "5 of 5 golden questions got no answer from $LLM_URL/v1 (the run is recorded)"
expect_stdout_contains "FAIL 'planet' (regex, line 6): 'planet': cannot fetch $LLM_URL/v1/chat/completions: Operation timed out after"
expect_stdout_contains "(gave up after 2 attempts)"
grep -qxF 'airlock_eval_error_pairs{release="2027-Q2",model="test"} 5' "$T/tf/slow.prom" || fail "the textfile hides the errors"
assert_eq "$(sql "$S/catalog.db" "SELECT errors, score FROM eval_runs ORDER BY id DESC LIMIT 1")" "5|0.0" "the unanswered run, recorded"
expect_exit 2 airlock release promote 2027-Q2 --to production --store "$S" --eval "$G" --endpoint "$LLM_URL/v1" --model test \
    --timeout 1 --retries 1 --concurrency 5 --tolerance 50%
expect_stderr_contains "release '2027-Q2' is not promoted: 5 of 5 golden questions got no answer"
expect_exit 0 airlock release channel production --store "$S" --json
assert_eq "$(json "$OUT" .release)" 2027-Q1 "production after a promotion whose eval got no answers"
# a dead endpoint: every pair an error, named
llm_stop "$LLM_PID"
expect_exit 2 airlock eval run --golden "$G" --endpoint "$LLM_URL/v1" --model test --retries 1
expect_stdout_contains "Couldn't connect to server"

# a hostile endpoint (a few lines of Python, not a model): an answer with a NUL after the
# golden text is an error (the JSON parser refuses \u0000), never scored on what comes before
# the NUL; a reply that is not JSON is one too
cat >"$T/hostile.py" <<'PY'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        first = self.server.n % 2 == 0
        self.server.n += 1
        # json.dumps writes the NUL as the escape \u0000: valid JSON, a string with a NUL in it
        body = (json.dumps({"choices": [{"message": {"role": "assistant", "content": "Paris\x00 or not"}}]})
                if first else "not json").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
s.n = 0
print("listening %d" % s.server_address[1], flush=True)
s.serve_forever()
PY
printf '{"id": "nul", "question": "Capital?", "answer": "Paris"}\n{"id": "junk", "question": "Capital?", "answer": "Paris"}\n' \
    >"$T/two.jsonl"
llm_launch python3 "$T/hostile.py"
expect_exit 2 airlock eval run --golden "$T/two.jsonl" --endpoint "$LLM_URL/v1" --model test --retries 1
expect_stdout_contains "FAIL 'nul' (exact, line 1): 'the endpoint's answer' is not valid JSON: line 1 column 78: \\u0000 is not allowed"
expect_stdout_contains "FAIL 'junk' (exact, line 2): 'the endpoint's answer' is not valid JSON"
expect_stderr_contains "2 of 2 golden questions got no answer"

# --- nothing phones home: every connection goes to the endpoint
# (LeakSanitizer cannot run under ptrace: in a sanitizer build, leaks are checked elsewhere)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 expect_exit 0 strace -f -qq -e trace=connect -o "$T/strace.log" "$AIRLOCK" eval run --golden "$G" --endpoint "$PROD/v1" \
    --model test --concurrency 2
python3 - "$T/strace.log" "$PROD_PORT" <<'PY' || fail "eval connected somewhere else: $(cat "$T/strace.log")"
import re, sys
inet = [l for l in open(sys.argv[1]) if "AF_INET" in l]
ok = [l for l in inet if 'sin_port=htons(%s)' % sys.argv[2] in l and '127.0.0.1' in l]
sys.exit(0 if inet and ok == inet else 1)
PY

# --- the shipped cron line, as written but for the paths
line=$(grep -E '^[0-9]' "$D/cron/airlock-eval")
cmd=${line#* * * * * airlock }
cmd=${cmd//\/usr\/local\/bin\/airlock/$AIRLOCK}
cmd=${cmd//\/etc\/airlock\/golden.jsonl/$G}
cmd=${cmd//http:\/\/127.0.0.1:8000\/v1/$PROD/v1}
cmd=${cmd//--model model/--model test}
cmd=${cmd//\/var\/lib\/airlock\/store/$S}
cmd=${cmd//\/var\/lib\/prometheus\/node-exporter/$T/cron-tf}
mkdir "$T/cron-tf"
expect_exit 0 sh -c "$cmd"
assert_exists "$T/cron-tf/airlock_eval.prom"
LLM_PID=$PROD_PID llm_alive   # the production server lived through it all
