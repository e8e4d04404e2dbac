#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# make-gguf.py: writes a tiny model in the GGUF v3 format, llama architecture, that llama.cpp
# (through node-llama-cpp) can load and generate from. Standard library only: no numpy.
#
#   make-gguf.py OUT.gguf [--seed N]
#       seeded random F32 weights and a byte-level SentencePiece-style vocabulary. Its text
#       is gibberish; a test checks that it loads and completes, not what it says.
#
#   make-gguf.py OUT.gguf --qa QA.json [--ctx N]
#       a question-answering model built by hand: run greedily on "User: QUESTION\nAssistant:"
#       its real forward pass generates exactly that question's golden answer, then EOS. QA.json:
#         {"pairs": [{"question": "...", "answer": "...", "key": "optional word"}, ...],
#          "default": "optional: the answer when no key word is in the prompt"}
#       Each question is recognised by one key word (case-sensitive, a whole word after a space
#       or at the start); without "key" it is the longest word of the question that no other
#       question has. With several key words in a prompt the latest one wins. Without
#       "default" an unknown question gets the empty answer. Change one answer to make a
#       "candidate" model that regresses on that pair. --ctx: the context length (2048).
#
# The layout follows the GGUF specification: a header (magic, version, tensor count,
# key/value count), the key/value metadata, the tensor infos (name, dimensions innermost
# first, type, offset), padding to the alignment, then the tensor data, each tensor
# aligned. llama.cpp needs the architecture's hyperparameters (context length, embedding
# length, block count, feed-forward length, head count, RMS epsilon) and a tokenizer
# (model, tokens, scores, token types, BOS/EOS ids); a missing hyperparameter crashes it.
#
# How the QA model works (one transformer block; every number below is set, not trained).
# The residual stream is a set of named one-hot blocks:
#   ONE        1 on every token
#   KEYFLAG    1 on a key-word token (0.5 on BOS when there is a default answer)
#   KEYID[k]   which key word the token is (BOS: the default's slot)
#   CTX[k]     written by attention: the key word the prompt asked about
#   CUR[t]     the token's own identity, for the tokens an answer is made of, and ':'
#   NEXT[t]    written by the feed-forward layer: the token to emit next
# Attention (head 0) queries with ONE and keys with KEYFLAG, so the last position attends to
# the key-word tokens and copies their KEYID into CTX. Its score is A + B*cos(w*d + phi) for
# a key d positions back: one rotary pair turns so slowly that it is a constant A, another
# turns w per position with w*n_ctx + phi < pi, so the score falls with distance and the
# latest key word wins; BOS, half a key, wins only when there is none. Each answer is a chain
# of tokens ':' -> piece1 -> piece2 ... -> EOS. The feed-forward layer has one unit per link:
# silu(gate = CUR[this]) * (up = CTX[key]) writes NEXT[next]; silu(0) = 0, so a unit fires only
# on its own (key, token) pair. The unembedding reads NEXT, and EOS also reads ONE a little, so
# EOS wins when no unit fired. An answer's words are its pieces ("William", " Shakespeare");
# when a piece would repeat (a chain must not loop) the whole answer is one token. Key words
# tokenize to one token because every prefix of "▁KEY" is in the vocabulary, with scores that
# make llama.cpp's SentencePiece merges build it; the script checks each prompt with its own
# copy of that merge algorithm and refuses a QA file whose questions it cannot tell apart.

import heapq
import json
import math
import random
import re
import struct
import sys

ALIGN = 32
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR = 4, 5, 6, 7, 8, 9
GGML_F32 = 0
TOK_NORMAL, TOK_UNKNOWN, TOK_CONTROL, TOK_BYTE = 1, 2, 3, 6
SP = "\u2581"            # SentencePiece's visible space
BOS, EOS = 1, 2
ROLES = {"User", "Assistant", "System"}

USAGE = "usage: make-gguf.py OUT.gguf [--seed N] | make-gguf.py OUT.gguf --qa QA.json [--ctx N]"


def gstr(text):
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def meta(key, kind, value, item_kind=None):
    out = gstr(key) + struct.pack("<I", kind)
    if kind == T_STR:
        return out + gstr(value)
    if kind == T_ARR:
        out += struct.pack("<IQ", item_kind, len(value))
        if item_kind == T_STR:
            return out + b"".join(gstr(v) for v in value)
        fmt = {T_F32: "f", T_I32: "i", T_U32: "I"}[item_kind]
        return out + struct.pack("<%d%s" % (len(value), fmt), *value)
    fmt = {T_U32: "<I", T_I32: "<i", T_F32: "<f", T_BOOL: "<?"}[kind]
    return out + struct.pack(fmt, value)


def llama_meta(name, n_ctx, n_embd, n_layer, n_ff, n_head, n_vocab, tokens, scores, types,
               freq_base=10000.0):
    return [meta("general.architecture", T_STR, "llama"),
            meta("general.name", T_STR, name),
            meta("general.file_type", T_U32, 0),
            meta("llama.context_length", T_U32, n_ctx),
            meta("llama.embedding_length", T_U32, n_embd),
            meta("llama.block_count", T_U32, n_layer),
            meta("llama.feed_forward_length", T_U32, n_ff),
            meta("llama.attention.head_count", T_U32, n_head),
            meta("llama.attention.head_count_kv", T_U32, n_head),
            meta("llama.attention.layer_norm_rms_epsilon", T_F32, 1e-5),
            meta("llama.rope.dimension_count", T_U32, n_embd // n_head),
            meta("llama.rope.freq_base", T_F32, freq_base),
            meta("llama.vocab_size", T_U32, n_vocab),
            meta("tokenizer.ggml.model", T_STR, "llama"),
            meta("tokenizer.ggml.tokens", T_ARR, tokens, T_STR),
            meta("tokenizer.ggml.scores", T_ARR, scores, T_F32),
            meta("tokenizer.ggml.token_type", T_ARR, types, T_I32),
            meta("tokenizer.ggml.bos_token_id", T_U32, BOS),
            meta("tokenizer.ggml.eos_token_id", T_U32, EOS),
            meta("tokenizer.ggml.unknown_token_id", T_U32, 0),
            meta("tokenizer.ggml.add_bos_token", T_BOOL, True),
            meta("tokenizer.ggml.add_eos_token", T_BOOL, False)]


def block_names(i):
    p = "blk.%d." % i
    return [p + n + ".weight" for n in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                            "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")]


def write_gguf(path, kv, tensors):
    """tensors: [(name, (dims innermost first, flat F32 values))]."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)) + b"".join(kv)
    data, offset = [], 0
    for name, (dims, values) in tensors:
        raw = struct.pack("<%df" % len(values), *values)
        raw += b"\0" * (-len(raw) % ALIGN)
        head += gstr(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
        head += struct.pack("<IQ", GGML_F32, offset)
        data.append(raw)
        offset += len(raw)
    head += b"\0" * (-len(head) % ALIGN)
    with open(path, "wb") as out:
        out.write(head)
        for raw in data:
            out.write(raw)


# ------------------------------------------------------------------ random weights

def vocabulary():
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types = [TOK_UNKNOWN, TOK_CONTROL, TOK_CONTROL] + [TOK_BYTE] * 256
    pieces = [SP] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + list(" .,?!:")
    for p in pieces:
        if p not in tokens:
            tokens.append(p)
            types.append(TOK_NORMAL)
    scores = [0.0] * 259 + [-float(i) for i in range(len(tokens) - 259)]
    return tokens, scores, types


def random_model(out, seed):
    rng = random.Random(seed)
    tokens, scores, types = vocabulary()
    n_vocab, n_embd, n_head, n_ff, n_layer, n_ctx = len(tokens), 32, 2, 64, 1, 256

    def weights(rows, cols, scale):
        # a matrix of `rows` rows of `cols` floats; ggml's dimensions are (cols, rows)
        return ([cols, rows], [rng.gauss(0.0, scale) for _ in range(rows * cols)])

    def ones(n):
        return ([n], [1.0] * n)

    e, f = n_embd ** -0.5, n_ff ** -0.5
    tensors = [("token_embd.weight", weights(n_vocab, n_embd, 1.0))]
    tensors += zip(block_names(0), [ones(n_embd), weights(n_embd, n_embd, e), weights(n_embd, n_embd, e),
                                    weights(n_embd, n_embd, e), weights(n_embd, n_embd, e), ones(n_embd),
                                    weights(n_ff, n_embd, e), weights(n_ff, n_embd, e),
                                    weights(n_embd, n_ff, f)])
    tensors += [("output_norm.weight", ones(n_embd)),
                ("output.weight", weights(n_vocab, n_embd, 1.0))]
    kv = llama_meta("airlock-test-tiny", n_ctx, n_embd, n_layer, n_ff, n_head, n_vocab,
                    tokens, scores, types)
    write_gguf(out, kv, tensors)


# ------------------------------------------------------------------ question answering

class Vocab:
    """A SentencePiece ("llama") vocabulary: <unk> <s> </s>, the 256 byte-fallback tokens,
    single characters, then whatever the model adds."""

    def __init__(self):
        self.tokens, self.scores, self.types, self.ids = [], [], [], {}
        for text, kind in (("<unk>", TOK_UNKNOWN), ("<s>", TOK_CONTROL), ("</s>", TOK_CONTROL)):
            self.add(text, 0.0, kind)
        for b in range(256):
            self.add("<0x%02X>" % b, 0.0, TOK_BYTE)
        chars = SP + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:?!'\"-()"
        for c in chars:
            self.add(c, 0.0)

    def add(self, text, score, kind=TOK_NORMAL):
        if text not in self.ids:
            self.ids[text] = len(self.tokens)
            self.tokens.append(text)
            self.scores.append(score)
            self.types.append(kind)
        return self.ids[text]

    def tokenize(self, text):
        """llama.cpp's SentencePiece tokenization, as token texts: a space prefix, spaces as
        '▁', then the adjacent pair whose join is a token with the highest score (leftmost on a
        tie) is merged, again and again."""
        syms = list(SP + text.replace(" ", SP))
        nxt = list(range(1, len(syms))) + [-1]
        prv = list(range(-1, len(syms) - 1))
        heap = []

        def pair(left):
            right = nxt[left]
            if left >= 0 and right >= 0 and syms[left] + syms[right] in self.ids:
                joined = syms[left] + syms[right]
                heapq.heappush(heap, (-self.scores[self.ids[joined]], left, joined))

        for i in range(len(syms) - 1):
            pair(i)
        while heap:
            _, left, joined = heapq.heappop(heap)
            right = nxt[left]
            if syms[left] is None or right < 0 or syms[left] + syms[right] != joined:
                continue   # stale: one side has been merged since
            syms[left], syms[right] = joined, None
            nxt[left] = nxt[right]
            if nxt[left] >= 0:
                prv[nxt[left]] = left
            pair(prv[left])
            pair(left)
        return [s for s in syms if s is not None]


def lead_words(text):
    """The words (letters and digits) that follow a space or start the text."""
    return re.findall(r"(?:^| )([A-Za-z0-9]+)(?![A-Za-z0-9])", text)


def prompt(question):
    return "User: %s\nAssistant:" % question


def choose_keys(pairs):
    keys = []
    for i, p in enumerate(pairs):
        key = p.get("key")
        if key is None:
            others = {w for j, o in enumerate(pairs) if j != i for w in re.findall(r"[A-Za-z0-9]+", o["question"])}
            cands = [w for w in lead_words(p["question"]) if w not in others and w not in ROLES]
            if not cands:
                sys.exit("make-gguf: no word of %r is free to be its key; give one" % p["question"])
            key = max(cands, key=len)
        elif not re.fullmatch(r"[A-Za-z0-9]+", key) or key in ROLES:
            sys.exit("make-gguf: key %r must be a word of letters and digits, not a role" % key)
        elif key not in lead_words(p["question"]):
            sys.exit("make-gguf: key %r is not a word of %r after a space" % (key, p["question"]))
        if key in keys:
            sys.exit("make-gguf: key %r names two questions" % key)
        keys.append(key)
    return keys


def qa_model(out, spec, n_ctx):
    pairs, default = spec["pairs"], spec.get("default")
    if not pairs or not all(isinstance(p.get("question"), str) and isinstance(p.get("answer"), str) for p in pairs):
        sys.exit("make-gguf: QA needs pairs, each with a question and an answer (strings)")
    if default is not None and not isinstance(default, str):
        sys.exit("make-gguf: the default answer must be a string")
    keys = choose_keys(pairs)
    answers = [p["answer"] for p in pairs] + ([default] if default is not None else [])
    n_keys = len(answers)            # the default, if any, is the last slot

    vocab = Vocab()
    key_ids = []
    for key in keys:                 # every prefix of ▁KEY, so that merges build it; longer first
        for n in range(1, len(key) + 1):
            tid = vocab.add(SP + key[:n], 100.0 + n)
        key_ids.append(tid)
    colon = vocab.ids[":"]
    key_texts = {SP + k for k in keys}
    chains = []
    for answer in answers:
        if answer[:1].isspace():   # llama.cpp drops the leading space of a reply's first token
            sys.exit("make-gguf: the answer %r begins with a space, which the reply would lose" % answer)
        words = answer.split(" ")
        pieces = [words[0]] + [SP + w for w in words[1:]]
        if (not answer or "" in words or len(set(pieces)) < len(pieces)
                or any(p == ":" or p in key_texts for p in pieces)):
            pieces = [answer.replace(" ", SP)] if answer else []
        if any(p == ":" or p in key_texts or len(p) <= 2 and p.endswith(":") for p in pieces):
            sys.exit("make-gguf: the answer %r would read as a prompt's end or a key word" % answer)
        # answer pieces merge last: they must not change how a question tokenizes
        chains.append([colon] + [vocab.add(p, -1000.0 - len(vocab.tokens)) for p in pieces] + [EOS])

    for i, p in enumerate(pairs):    # each prompt ends in ':' and its last key word is its own
        toks = vocab.tokenize(prompt(p["question"]))
        found = [t for t in toks if t in key_texts]
        if toks[-1] != ":" or not found or found[-1] != SP + keys[i]:
            sys.exit("make-gguf: %r tokenizes as %r: its key %r is not its last key word"
                     % (p["question"], toks, keys[i]))

    cur = sorted({t for c in chains for t in c[:-1]})
    nxt = sorted({t for c in chains for t in c[1:]})
    layout, n = {}, 0
    for name, size in (("ONE", 1), ("KEYFLAG", 1), ("KEYID", n_keys), ("CTX", n_keys),
                       ("CUR", len(cur)), ("NEXT", len(nxt))):
        layout[name], n = n, n + size
    n_head = 4
    n_embd = max(64, -(-n // 32) * 32, n_head * max(8, n_keys))
    hd = n_embd // n_head
    links = [(k, a, b) for k, c in enumerate(chains) for a, b in zip(c, c[1:])]
    n_ff = max(64, -(-len(links) // 32) * 32)
    V, E = len(vocab.tokens), n_embd
    cur_dim = {t: layout["CUR"] + i for i, t in enumerate(cur)}
    next_dim = {t: layout["NEXT"] + i for i, t in enumerate(nxt)}

    def matrix(rows, cols):
        return [rows, cols, [0.0] * (rows * cols)]

    def put(m, r, c, v):
        m[2][r * m[1] + c] = v

    emb = matrix(V, E)
    for t in range(V):
        put(emb, t, layout["ONE"], 1.0)
    for t, d in cur_dim.items():
        put(emb, t, d, 1.0)
    for k, t in enumerate(key_ids):
        put(emb, t, layout["KEYFLAG"], 1.0)
        put(emb, t, layout["KEYID"] + k, 1.0)
    if default is not None:
        put(emb, BOS, layout["KEYFLAG"], 0.5)
        put(emb, BOS, layout["KEYID"] + n_keys - 1, 1.0)

    # Attention. RMS norm scales a token with m unit entries by sqrt(E/m): the query (':' or an
    # answer token: ONE, CUR) by sqrt(E/2), a key word (ONE, KEYFLAG, KEYID) by sqrt(E/3).
    # llama.cpp's rotary embedding ("norm" type) turns dims (2i, 2i+1) of a head by
    # pos * freq_base^(-2i/hd): pair hd/4 turns by w = freq_base^(-1/2), the last pair by about w^2.
    a_const, b_cos, phi = 480.0, 440.0, 0.55
    w = 2.5 / n_ctx
    freq_base = w ** -2
    norm_q, norm_k = math.sqrt(E / 2), math.sqrt(E / 3)
    gain = lambda s: math.sqrt(s * math.sqrt(hd) / (norm_q * norm_k))   # noqa: E731
    q, k, v, o = matrix(E, E), matrix(E, E), matrix(E, E), matrix(E, E)
    put(q, hd - 2, layout["ONE"], gain(a_const))
    put(k, hd - 2, layout["KEYFLAG"], gain(a_const))
    turn = 2 * (hd // 4)
    put(q, turn, layout["ONE"], gain(b_cos) * math.cos(phi))
    put(q, turn + 1, layout["ONE"], gain(b_cos) * math.sin(phi))
    put(k, turn, layout["KEYFLAG"], gain(b_cos))
    for i in range(n_keys):
        put(v, i, layout["KEYID"] + i, 1.0)
        put(o, layout["CTX"] + i, i, 1.0 / norm_k)     # CTX = 1 for a key word

    # Feed-forward: one unit per link of a chain.
    gate, up, down = matrix(n_ff, E), matrix(n_ff, E), matrix(E, n_ff)
    for j, (key, a, b) in enumerate(links):
        put(gate, j, cur_dim[a], 1.0)
        put(up, j, layout["CTX"] + key, 1.0)
        put(down, next_dim[b], j, 1.0)

    unemb = matrix(V, E)
    for t, d in next_dim.items():
        put(unemb, t, d, 1.0)
    put(unemb, EOS, layout["ONE"], 3.0)

    def tensor(m):
        return ([m[1], m[0]], m[2])

    ones = ([E], [1.0] * E)
    tensors = [("token_embd.weight", tensor(emb))]
    tensors += zip(block_names(0), [ones, tensor(q), tensor(k), tensor(v), tensor(o), ones,
                                    tensor(gate), tensor(up), tensor(down)])
    tensors += [("output_norm.weight", ([E], [4.0] * E)), ("output.weight", tensor(unemb))]
    kv = llama_meta("airlock-test-qa", n_ctx, E, 1, n_ff, n_head, V, vocab.tokens, vocab.scores,
                    vocab.types, freq_base=freq_base)
    write_gguf(out, kv, tensors)
    for key, chain in zip(keys + ["(default)"], chains):
        print("%-14s -> %s" % (key, " | ".join(vocab.tokens[t] for t in chain[1:-1])))


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(USAGE)
    out, opts = args[0], args[1:]
    if len(opts) % 2 or any(o not in ("--seed", "--qa", "--ctx") for o in opts[::2]):
        sys.exit(USAGE)
    opts = dict(zip(opts[::2], opts[1::2]))
    if "--qa" in opts:
        if "--seed" in opts:
            sys.exit(USAGE)
        with open(opts["--qa"], encoding="utf-8") as f:
            spec = json.load(f)
        qa_model(out, spec, int(opts.get("--ctx", 2048)))
    else:
        if "--ctx" in opts:
            sys.exit(USAGE)
        random_model(out, int(opts.get("--seed", 1)))


if __name__ == "__main__":
    main()
