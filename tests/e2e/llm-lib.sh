# SPDX-License-Identifier: Apache-2.0
#
# llm-lib.sh: a real llama.cpp engine behind an OpenAI-compatible endpoint, offline, for the
# tests of clients that ask a model questions and score its answers. Source it after lib.sh.
# The model is a hand-built GGUF (make-gguf.py --qa) whose real forward pass answers each
# golden question with its golden answer; the server is tests/node/llm-server.mjs over
# node-llama-cpp (pinned in tests/node), on 127.0.0.1 only.
#
#   llm_model OUT QA.json [--ctx N]
#                     writes the QA model OUT (make-gguf.py --qa; its log $T/make-gguf.log).
#                     QA.json: {"pairs": [{"question", "answer", "key"?}], "default"?}. Run
#                     greedily on "User: QUESTION\nAssistant:" it answers exactly that
#                     question's answer, then stops; "default" when no key word matches
#   llm_start MODEL [NAME=VALUE...]
#                     starts llm-server.mjs MODEL on a free port in the background, with
#                     NAME=VALUE in its environment (LLM_DELAY_MS, LLM_FAIL_EVERY, LLM_CTX,
#                     LLM_MODEL_ID: see llm-server.mjs), and waits for its "listening PORT"
#                     line: read from a FIFO, so the wait ends on the line or on the server's
#                     exit (EOF), never on a poll; 120 s is the safety net. Sets, exported:
#                       $LLM_URL   http://127.0.0.1:$LLM_PORT (no trailing slash)
#                       $LLM_PORT, $LLM_PID
#                       $LLM_ERR   the server's stderr ($T/llm-N.err)
#                       $LLM_LOG   its request log, one JSON line per completion request
#                                  ($T/llm-N.jsonl: n, path, status, prompt, text, ...)
#                     The EXIT trap kills it. Each call starts another server (N counts up);
#                     the variables name the latest: save them to keep two running.
#   llm_launch CMD... as llm_start, for any command that ends in llm-server.mjs (its
#                     "listening PORT" line on standard output): e.g. a model server
#                     started as `deploy render`'s unit says (tests/node/hub-model-server)
#   llm_stop [PID]    SIGTERM to PID ($LLM_PID), and fails the test unless it exits 0 within 60 s
#   llm_alive         fails the test if the server $LLM_PID has died
#   llm_post PATH JSON [OUT]
#                     POSTs JSON to $LLM_URL/PATH with curl and prints the HTTP status; the
#                     body goes to OUT ($LLM_RESP, $T/.llm-resp.json)
#   llm_chat QUESTION [FIELDS]
#                     a chat completion of one user message, FIELDS (a JSON object, e.g.
#                     '{"max_tokens": 1}') merged into the request; fails the test unless 200;
#                     prints the answer (no newline added). $LLM_RESP holds the whole response
#   llm_complete PROMPT [FIELDS]
#                     the same through /v1/completions, the prompt as given
#   llm_field FILE EXPR
#                     prints EXPR (Python, over the parsed JSON `r`, e.g.
#                     'r["choices"][0]["finish_reason"]') of the JSON file FILE
#   $LLM_PYTHON       /usr/bin/python3 if there is one, else python3 (standard library only)
#
# Measured on 2 cores: llm_start about 1 s; a request to a QA model a few milliseconds.

LLM_N=0
LLM_RESP=$T/.llm-resp.json
# the system's python3 (Debian's, which scripts/install-deps installs) when there is one: a
# version manager's shim or interpreter on PATH can take 0.1 s to start, and a request here
# runs two or three of them
LLM_PYTHON=python3
[ ! -x /usr/bin/python3 ] || LLM_PYTHON=/usr/bin/python3

llm_model() {
    need python3
    "$LLM_PYTHON" "$SRCDIR/tests/e2e/make-gguf.py" "$1" --qa "$2" "${@:3}" >"$T/make-gguf.log" 2>&1 ||
        { cat "$T/make-gguf.log" >&2; fail "make-gguf.py $1 --qa $2 failed"; }
}

llm_start() {
    local model=$1
    shift
    [ -f "$model" ] || fail "llm_start: no model '$model'"
    need_node_package node-llama-cpp   # (sets $NODE_DIR)
    llm_launch env "$@" node "$NODE_DIR/llm-server.mjs" "$model" 0
}

llm_launch() {
    local fifo line fd rc=0
    need curl python3 mkfifo
    need_node_package node-llama-cpp
    LLM_N=$((LLM_N + 1))
    fifo=$T/.llm-$LLM_N.fifo
    LLM_ERR=$T/llm-$LLM_N.err
    LLM_LOG=$T/llm-$LLM_N.jsonl
    mkfifo "$fifo" || fail "mkfifo $fifo failed"
    LLM_LOG="$LLM_LOG" "$@" >"$fifo" 2>"$LLM_ERR" </dev/null &
    LLM_PID=$!
    BG_PIDS+=("$LLM_PID")
    # opening the FIFO waits for the server's end of it, which the shell opened before it ran
    exec {fd}<"$fifo"
    IFS= read -r -t 120 -u "$fd" line || rc=$?
    exec {fd}<&-
    rm -f "$fifo"
    if [ "$rc" -gt 128 ]; then
        cat "$LLM_ERR" >&2
        fail "the model server ($*) did not listen within 120 s"
    fi
    [[ $rc -eq 0 && $line =~ ^listening\ ([0-9]+)$ ]] ||
        { cat "$LLM_ERR" >&2; fail "the model server ($*) exited before listening (it printed '$line')"; }
    LLM_PORT=${BASH_REMATCH[1]}
    LLM_URL=http://127.0.0.1:$LLM_PORT
    export LLM_URL LLM_PORT LLM_PID LLM_ERR LLM_LOG
}

_llm_gone() { ! kill -0 "$1" 2>/dev/null; }

llm_stop() {
    local pid=${1:-$LLM_PID} rc i
    kill -TERM "$pid" 2>/dev/null || fail "llm-server.mjs ($pid) is not running"
    wait_until 60 _llm_gone "$pid" || fail "llm-server.mjs ($pid) did not stop on SIGTERM in 60 s"
    if wait "$pid"; then rc=0; else rc=$?; fi
    [ "$rc" -eq 0 ] || { cat "$LLM_ERR" >&2; fail "llm-server.mjs ($pid) exited $rc on SIGTERM"; }
    # reaped: its id may be reused, so the cleanup must not kill it any more
    local -a keep=()
    for i in "${BG_PIDS[@]}"; do [ "$i" = "$pid" ] || keep+=("$i"); done
    BG_PIDS=("${keep[@]+"${keep[@]}"}")
}

llm_alive() {
    kill -0 "$LLM_PID" 2>/dev/null || { cat "$LLM_ERR" >&2; fail "llm-server.mjs died"; }
}

llm_post() {
    # the body on stdin, not in an argument: a long prompt may be over the kernel's limit of one
    curl -sS -o "${3:-$LLM_RESP}" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary @- "$LLM_URL$1" <<<"$2" || fail "curl POST $LLM_URL$1 failed"
}

llm_field() {
    "$LLM_PYTHON" - "$1" "$2" <<'PY' || fail "cannot read $2 from $1: $(head -c 2000 "$1")"
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    r = json.load(f)
v = eval(sys.argv[2], {"r": r})
sys.stdout.write(v if isinstance(v, str) else json.dumps(v))
PY
}

# _llm_ask PATH KEY TEXT FIELDS: the body {KEY: TEXT} + FIELDS, sent; prints the answer
_llm_ask() {
    local body status
    body=$("$LLM_PYTHON" - "$2" "$3" "$4" <<'PY'
import json, sys
key, text, fields = sys.argv[1], sys.argv[2], json.loads(sys.argv[3] or "{}")
body = {"model": "test", key: [{"role": "user", "content": text}] if key == "messages" else text}
body.update(fields)
print(json.dumps(body))
PY
    ) || fail "cannot build the request for '$3'"
    status=$(llm_post "$1" "$body")
    [ "$status" = 200 ] || fail "POST $1 for '$3' answered $status: $(head -c 2000 "$LLM_RESP")"
    if [ "$2" = messages ]; then
        llm_field "$LLM_RESP" 'r["choices"][0]["message"]["content"]'
    else
        llm_field "$LLM_RESP" 'r["choices"][0]["text"]'
    fi
}

llm_chat() { _llm_ask /v1/chat/completions messages "$1" "${2-}"; }
llm_complete() { _llm_ask /v1/completions prompt "$1" "${2-}"; }
