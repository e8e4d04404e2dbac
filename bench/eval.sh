#!/usr/bin/env bash
# bench/eval.sh [--quick] [--runs N] [DIR]
#
# The overhead of the eval harness: `airlock eval run` of 200 golden pairs (60 with --quick),
# one at a time, against the tests' llama.cpp engine (tests/node/llm-server.mjs over a
# make-gguf.py --qa model that knows every answer), compared with the sum of the engine's own
# times for the same requests (its request log: from the request's arrival to its answer,
# inside the server). Overhead = (eval wall time - engine time) / engine time: what the
# harness adds around the model (connections, JSON, scoring, the run's bookkeeping).
# The peer, in the same run on the same engine: a minimal Python client (http.client on one
# kept-alive connection, exact-match scoring), timed the same way.
# Needs tests/node installed (scripts/install-deps). Benchmark only: never part of the tests.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init "$@"
NODE_DIR=$BENCH_ROOT/tests/node
[[ -d $NODE_DIR/node_modules/node-llama-cpp ]] || { echo "$0: run scripts/install-deps first (tests/node)" >&2; exit 2; }
PAIRS=$(( QUICK ? 60 : 200 ))
W=$DIR/eval
mkdir -p "$W"
bench_header
printf '# pairs: %s, one at a time; %s runs each, taking turns\n' "$PAIRS" "$RUNS"

python3 - "$PAIRS" "$W" <<'PY'
import json, sys
n, w = int(sys.argv[1]), sys.argv[2]
pairs = [{"question": "What is the code name of project p%03d?" % i, "answer": "It is code %d." % (i * 7)} for i in range(n)]
json.dump({"pairs": pairs, "default": "unknown"}, open(w + "/qa.json", "w"))
with open(w + "/golden.jsonl", "w") as g:
    for i, p in enumerate(pairs):
        g.write(json.dumps({"id": "p%03d" % i, "question": p["question"], "answer": p["answer"]}) + "\n")
PY
python3 "$BENCH_ROOT/tests/e2e/make-gguf.py" "$W/qa.gguf" --qa "$W/qa.json" >"$W/make-gguf.log"
cat >"$W/peer.py" <<'PY'
# the peer: ask each golden question on one kept-alive connection, exact match
import http.client, json, sys
port, golden = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port)
ok = n = 0
for line in open(golden):
    p = json.loads(line)
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": p["question"]}],
                       "temperature": 0, "max_tokens": 64})
    c.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    a = json.loads(r.read())["choices"][0]["message"]["content"]
    ok += a.strip() == p["answer"]
    n += 1
print("%d of %d" % (ok, n))
sys.exit(0 if ok == n else 1)
PY

LOG=$W/engine.jsonl
LLM_LOG=$LOG node "$NODE_DIR/llm-server.mjs" "$W/qa.gguf" 0 >"$W/port" 2>"$W/server.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 600); do [[ -s $W/port ]] && break; sleep 0.1; done
PORT=$(awk '/^listening/ { print $2 }' "$W/port")
[[ -n $PORT ]] || { cat "$W/server.err" >&2; exit 1; }

# engine_s: the engine's own seconds for the requests logged since the log was emptied
engine_s() { python3 -c 'import json,sys; print("%.4f" % (sum(json.loads(l)["ms"] for l in open(sys.argv[1])) / 1000))' "$LOG"; }
declare -A WALL=() ENG=()
round() {
    local name=$1 t0 t1
    shift
    : >"$LOG"
    t0=$(date +%s.%N)
    "$@" >"$W/$name.out" 2>&1 || { cat "$W/$name.out" >&2; exit 1; }
    t1=$(date +%s.%N)
    WALL[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') "
    ENG[$name]+="$(engine_s) "
}
AIR=("$AIRLOCK_BIN" eval run --golden "$W/golden.jsonl" --endpoint "http://127.0.0.1:$PORT/v1" --model bench)
PEER=(python3 "$W/peer.py" "$PORT" "$W/golden.jsonl")
round warmup "${AIR[@]}"
for (( r = 0; r < RUNS; r++ )); do
    if (( r % 2 )); then round peer "${PEER[@]}"; round airlock "${AIR[@]}"
    else round airlock "${AIR[@]}"; round peer "${PEER[@]}"; fi
done
grep -q "of $PAIRS passed, score 1.0000" "$W/airlock.out" || { cat "$W/airlock.out" >&2; exit 1; }
med() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f", m }'; }
# overhead per run, then the median of those
over() {
    paste <(tr ' ' '\n' <<<"${WALL[$1]}" | grep -v '^$') <(tr ' ' '\n' <<<"${ENG[$1]}" | grep -v '^$') |
        awk '{ printf "%.4f\n", ($1 - $2) / $2 * 100 }' | med
}
RSS=$(/usr/bin/time -f %M "${AIR[@]}" 2>&1 >/dev/null | tail -n1)
printf '\n%-30s %10s %12s %10s\n' "client" "wall s" "engine s" "overhead"
for n in airlock peer; do
    printf '%-30s %10s %12s %9s%%\n' "$n" "$(med <<<"${WALL[$n]}")" "$(med <<<"${ENG[$n]}")" "$(over "$n")"
done
printf '\nairlock wall / peer wall: %s\n' "$(awk -v a="$(med <<<"${WALL[airlock]}")" -v b="$(med <<<"${WALL[peer]}")" 'BEGIN { printf "%.3f", a / b }')"
printf 'airlock eval peak RSS: %s KiB\n' "$RSS"
