#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# make-gguf.py OUT.gguf [--seed N]: writes a tiny model in the GGUF v3 format, llama
# architecture, with seeded random F32 weights and a byte-level SentencePiece-style
# vocabulary, so that llama.cpp (through node-llama-cpp) can load it and generate from
# it. Its text is gibberish; the tests check that it loads and completes, not what it
# says. Standard library only: no numpy.
#
# The layout follows the GGUF specification: a header (magic, version, tensor count,
# key/value count), the key/value metadata, the tensor infos (name, dimensions innermost
# first, type, offset), padding to the alignment, then the tensor data, each tensor
# aligned. llama.cpp needs the architecture's hyperparameters (context length, embedding
# length, block count, feed-forward length, head count, RMS epsilon) and a tokenizer
# (model, tokens, scores, token types, BOS/EOS ids).

import random
import struct
import sys

ALIGN = 32
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR = 4, 5, 6, 7, 8, 9
GGML_F32 = 0
TOK_NORMAL, TOK_UNKNOWN, TOK_CONTROL, TOK_BYTE = 1, 2, 3, 6


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


def vocabulary():
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types = [TOK_UNKNOWN, TOK_CONTROL, TOK_CONTROL] + [TOK_BYTE] * 256
    pieces = ["\u2581"] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + list(" .,?!:")
    for p in pieces:
        if p not in tokens:
            tokens.append(p)
            types.append(TOK_NORMAL)
    scores = [0.0] * 259 + [-float(i) for i in range(len(tokens) - 259)]
    return tokens, scores, types


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--seed"):
        sys.exit("usage: make-gguf.py OUT.gguf [--seed N]")
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 1)
    tokens, scores, types = vocabulary()
    n_vocab, n_embd, n_head, n_ff, n_layer, n_ctx = len(tokens), 32, 2, 64, 1, 256

    def weights(rows, cols, scale):
        # a matrix of `rows` rows of `cols` floats; ggml's dimensions are (cols, rows)
        return ([cols, rows], [rng.gauss(0.0, scale) for _ in range(rows * cols)])

    def ones(n):
        return ([n], [1.0] * n)

    tensors = [("token_embd.weight", weights(n_vocab, n_embd, 1.0))]
    p = "blk.0."
    e, f = n_embd ** -0.5, n_ff ** -0.5
    tensors += [(p + "attn_norm.weight", ones(n_embd)),
                (p + "attn_q.weight", weights(n_embd, n_embd, e)),
                (p + "attn_k.weight", weights(n_embd, n_embd, e)),
                (p + "attn_v.weight", weights(n_embd, n_embd, e)),
                (p + "attn_output.weight", weights(n_embd, n_embd, e)),
                (p + "ffn_norm.weight", ones(n_embd)),
                (p + "ffn_gate.weight", weights(n_ff, n_embd, e)),
                (p + "ffn_up.weight", weights(n_ff, n_embd, e)),
                (p + "ffn_down.weight", weights(n_embd, n_ff, f)),
                ("output_norm.weight", ones(n_embd)),
                ("output.weight", weights(n_vocab, n_embd, 1.0))]

    kv = [meta("general.architecture", T_STR, "llama"),
          meta("general.name", T_STR, "airlock-test-tiny"),
          meta("general.file_type", T_U32, 0),
          meta("llama.context_length", T_U32, n_ctx),
          meta("llama.embedding_length", T_U32, n_embd),
          meta("llama.block_count", T_U32, n_layer),
          meta("llama.feed_forward_length", T_U32, n_ff),
          meta("llama.attention.head_count", T_U32, n_head),
          meta("llama.attention.head_count_kv", T_U32, n_head),
          meta("llama.attention.layer_norm_rms_epsilon", T_F32, 1e-5),
          meta("llama.rope.dimension_count", T_U32, n_embd // n_head),
          meta("llama.rope.freq_base", T_F32, 10000.0),
          meta("llama.vocab_size", T_U32, n_vocab),
          meta("tokenizer.ggml.model", T_STR, "llama"),
          meta("tokenizer.ggml.tokens", T_ARR, tokens, T_STR),
          meta("tokenizer.ggml.scores", T_ARR, scores, T_F32),
          meta("tokenizer.ggml.token_type", T_ARR, types, T_I32),
          meta("tokenizer.ggml.bos_token_id", T_U32, 1),
          meta("tokenizer.ggml.eos_token_id", T_U32, 2),
          meta("tokenizer.ggml.unknown_token_id", T_U32, 0),
          meta("tokenizer.ggml.add_bos_token", T_BOOL, True),
          meta("tokenizer.ggml.add_eos_token", T_BOOL, False)]

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
    with open(sys.argv[1], "wb") as out:
        out.write(head)
        for raw in data:
            out.write(raw)


if __name__ == "__main__":
    main()
