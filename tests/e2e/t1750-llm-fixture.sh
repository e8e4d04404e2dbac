#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The LLM fixture of the eval tests (llm-lib.sh), checked on its own: a QA model that
# make-gguf.py --qa builds from five golden pairs (one answer of several words, two of
# digits), served by llm-server.mjs over the real llama.cpp (node-llama-cpp), answers
#   - each golden question with exactly its golden answer, then stops, through
#     /v1/chat/completions and through /v1/completions ("User: Q\nAssistant:");
#   - the default answer to a question it does not know;
#   - with max_tokens 1, the first word ("length"); with a stop string, the text before it;
#     with a system message first, the same; with two questions, the latter's answer;
#   - 400 with an OpenAI error object for a body that is not JSON and for a prompt over the
#     context; concurrent requests, each with its own answer;
# and stops with status 0 on SIGTERM. With LLM_DELAY_MS and LLM_FAIL_EVERY it makes a
# client time out, then answers 500, 200, 500.
# Must-fail twin: a "candidate" model built with one answer changed gives the changed
# answer for that pair, and only for that one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/llm-lib.sh"
need curl python3
need_node_package node-llama-cpp

# since_ms START: the milliseconds since START (an $EPOCHREALTIME)
since_ms() {
    local now=${EPOCHREALTIME/./} start=${1/./}
    echo $(((10#$now - 10#$start) / 1000))
}

cat >"$T/qa.json" <<'EOF'
{"pairs": [
  {"question": "What is the capital of France?", "answer": "Paris"},
  {"question": "Who wrote the play Hamlet?", "answer": "William Shakespeare"},
  {"question": "What is 6 times 7?", "answer": "42", "key": "times"},
  {"question": "What color is the sky on a clear day?", "answer": "The sky is blue."},
  {"question": "In which year did Apollo 11 land on the Moon?", "answer": "1969"}
 ],
 "default": "I don't know."}
EOF
# the candidate: the same, but for one answer
python3 - "$T/qa.json" "$T/candidate.json" <<'PY' || fail "cannot write the candidate's pairs"
import json, sys
qa = json.load(open(sys.argv[1]))
qa["pairs"][1]["answer"] = "Christopher Marlowe"
json.dump(qa, open(sys.argv[2], "w"))
PY
# pairs QA.json: "question<TAB>answer" lines
pairs() {
    "$LLM_PYTHON" - "$1" <<'PY' || fail "cannot read $1"
import json, sys
for p in json.load(open(sys.argv[1]))["pairs"]:
    print(p["question"] + "\t" + p["answer"])
PY
}
finish() { llm_field "$LLM_RESP" 'r["choices"][0]["finish_reason"]'; }
NL=$'\n'

llm_model "$T/golden.gguf" "$T/qa.json"
llm_model "$T/candidate.gguf" "$T/candidate.json"

# ------------------------------------------------------------------ the golden model
t0=$EPOCHREALTIME
llm_start "$T/golden.gguf"
note "golden server listening after $(since_ms "$t0") ms"

curl -sS -o "$T/health.json" "$LLM_URL/health" || fail "GET /health failed"
assert_eq "$(llm_field "$T/health.json" 'r["status"]')" ok "/health"
curl -sS -o "$T/models.json" "$LLM_URL/v1/models" || fail "GET /v1/models failed"
assert_eq "$(llm_field "$T/models.json" 'r["data"][0]["id"]')" golden "the model's id"

n=0
t0=$EPOCHREALTIME
while IFS=$'\t' read -r q a; do
    assert_eq "$(llm_chat "$q")" "$a" "chat answer to '$q'"
    assert_eq "$(finish)" stop "chat finish_reason for '$q'"
    assert_eq "$(llm_complete "User: $q${NL}Assistant:")" "$a" "completion of '$q'"
    assert_eq "$(finish)" stop "completion finish_reason for '$q'"
    n=$((n + 2))
done < <(pairs "$T/qa.json")
assert_eq "$n" 10 "requests for the golden pairs"
note "10 golden requests: $(($(since_ms "$t0") / 10)) ms each on average (curl and python3 included)"

assert_eq "$(llm_chat 'How do I bake bread?')" "I don't know." "chat answer to an unknown question"
assert_eq "$(llm_complete "User: Is it raining?${NL}Assistant:")" "I don't know." "completion of an unknown question"
assert_eq "$(llm_chat 'Who wrote the play Hamlet?' '{"max_tokens": 1}')" William "max_tokens 1"
assert_eq "$(finish)" length "finish_reason at max_tokens"
assert_eq "$(llm_field "$LLM_RESP" 'r["usage"]["completion_tokens"]')" 1 "completion_tokens at max_tokens 1"
assert_eq "$(llm_chat 'Who wrote the play Hamlet?' '{"stop": [" Shakespeare"]}')" William "stop string"
assert_eq "$(finish)" stop "finish_reason at a stop string"
assert_eq "$(llm_chat 'What is 6 times 7?' '{"messages": [{"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "What is 6 times 7?"}]}')" 42 "a system message first"
assert_eq "$(llm_chat 'Who wrote the play Hamlet? What is the capital of France?')" Paris \
    "two questions: the latter's key word wins"

# requests at once: each gets its own answer (the server runs them one at a time)
pids=()
i=0
while IFS=$'\t' read -r q a; do
    llm_post /v1/chat/completions "{\"messages\": [{\"role\": \"user\", \"content\": \"$q\"}]}" \
        "$T/par-$i.json" >"$T/par-$i.code" &
    pids+=("$!")
    i=$((i + 1))
done < <(pairs "$T/qa.json")
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent request failed"; done
i=0
while IFS=$'\t' read -r q a; do
    assert_eq "$(cat "$T/par-$i.code")" 200 "status of concurrent request $i"
    assert_eq "$(llm_field "$T/par-$i.json" 'r["choices"][0]["message"]["content"]')" "$a" "concurrent answer to '$q'"
    i=$((i + 1))
done < <(pairs "$T/qa.json")

# errors, OpenAI's way
assert_eq "$(llm_post /v1/chat/completions '{"messages": [')" 400 "a body that is not JSON"
assert_eq "$(llm_field "$LLM_RESP" 'r["error"]["type"]')" invalid_request_error "its error type"
python3 -c 'import json; print(json.dumps({"prompt": "a " * 2100}))' >"$T/long.json" || fail "python3 failed"
assert_eq "$(llm_post /v1/completions "$(cat "$T/long.json")")" 400 "a prompt over the context"
assert_eq "$(llm_field "$LLM_RESP" 'r["error"]["code"]')" context_length_exceeded "its error code"
assert_eq "$(llm_post /v1/chat/completions '{"messages": "hi"}')" 400 "messages that are not a list"
assert_eq "$(llm_chat 'What is the capital of France?')" Paris "an answer after the errors"

# the request log: one line per completion request (10 + 6 + 5 + 4)
assert_eq "$(wc -l <"$LLM_LOG")" 25 "lines of the request log"
llm_alive
t0=$EPOCHREALTIME
llm_stop
note "stopped in $(since_ms "$t0") ms"

# ------------------------------------------------------------------ the twin: the candidate
llm_start "$T/candidate.gguf"
changed=0
while IFS=$'\t' read -r q a; do
    got=$(llm_chat "$q")
    if [ "$got" != "$a" ]; then
        assert_eq "$q" "Who wrote the play Hamlet?" "the question the candidate answers differently"
        assert_eq "$got" "Christopher Marlowe" "the candidate's changed answer"
        changed=$((changed + 1))
    fi
done < <(pairs "$T/qa.json")
assert_eq "$changed" 1 "answers the candidate changed"
assert_eq "$(llm_chat 'How do I bake bread?')" "I don't know." "the candidate's default answer"
llm_stop

# ------------------------------------------------------------------ delays and failures
llm_start "$T/golden.gguf" LLM_DELAY_MS=600 LLM_FAIL_EVERY=2
body='{"messages": [{"role": "user", "content": "What is the capital of France?"}]}'
rc=0
curl -sS -o /dev/null --max-time 0.2 -d "$body" "$LLM_URL/v1/chat/completions" 2>/dev/null || rc=$?
assert_eq "$rc" 28 "curl's exit status when the server is slower than --max-time"
for want in 500 200 500; do
    t0=$EPOCHREALTIME
    assert_eq "$(llm_post /v1/chat/completions "$body")" "$want" "a request under LLM_FAIL_EVERY=2"
    [ "$(since_ms "$t0")" -ge 600 ] || fail "the request came back before LLM_DELAY_MS"
done
assert_eq "$(llm_field "$LLM_RESP" 'r["error"]["type"]')" server_error "the injected failure's type"
curl -sS -o "$T/health.json" "$LLM_URL/health" || fail "GET /health failed"
head -n 1 "$LLM_LOG" >"$T/first.json"
assert_eq "$(llm_field "$T/first.json" 'r.get("client_closed")')" true "the log of the request the client gave up"
llm_stop
