#!/usr/bin/python3
"""Writes a random-weight llama-architecture GGUF for the gguf encoder's tests and bench.

Usage: tiny_gguf.py GGUF_PY_DIR OUT.gguf [--shape tiny|small|0.5b] [--seed N] [--kind KIND]
  GGUF_PY_DIR  llama.cpp's gguf-py (scripts/llama.sh copies it into the llama cache)
  --shape      tiny: 2 layers, width 64 (about 0.1 M parameters, 0.3 MB);
               small: 4 layers, width 256; 0.5b: 24 layers, width 896, FFN 4864, vocabulary
               32,000 (Qwen2-0.5B's body on a llama tokenizer: about 0.5 G parameters, f16)
  --kind       model (default); vocab-only: the same metadata and no tensors (a GGUF with no
               embedding output); no-blocks: the token embeddings alone (llama.cpp cannot build
               the model); both for the error tests

The tokenizer is a small SentencePiece-style ("llama") vocabulary: <unk>, <s>, </s>, the 256
byte tokens (so any text tokenizes), the letters and digits with and without the word mark
"\u2581", and common English words; add_bos_token is true, so every text starts with <s>.
Weights are N(0, 0.02^2) from numpy's seeded generator, norms 1: the same seed gives the
same bytes.
"""
import argparse
import sys

import numpy as np

SHAPES = {
    #         layers width heads kv_heads  ffn   vocab (0: the small vocabulary)
    "tiny": (2, 64, 4, 2, 128, 0),
    "small": (4, 256, 8, 4, 704, 0),
    "0.5b": (24, 896, 14, 2, 4864, 32000),
}
WORDS = ("the a an of and to in is was for on that with as by it at from this be are or "
         "man woman dog cat person people playing guitar is are riding horse car plane "
         "cutting onion slicing eating running water ball two three children sitting").split()


def vocabulary(size):
    toks = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [2, 3, 3] + [6] * 256  # unknown, control, control, byte
    pieces = ["\u2581"]
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'-":
        pieces += [c, "\u2581" + c]
    for w in WORDS:
        pieces += ["\u2581" + w, w]
    seen = set(toks)
    for p in pieces:
        if p not in seen:
            seen.add(p)
            toks.append(p)
            types.append(1)
    n = 0
    while size and len(toks) < size:  # filler pieces for a realistic vocabulary size
        p = "\u2581w%d" % n
        n += 1
        toks.append(p)
        types.append(1)
    # SentencePiece scores: longer pieces first, then earlier ones
    scores = [0.0] * 259 + [-(100.0 - len(t)) - i * 1e-4 for i, t in enumerate(toks[259:])]
    return toks, scores, types


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf_py")
    ap.add_argument("out")
    ap.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--kind", default="model", choices=["model", "vocab-only", "no-blocks"])
    a = ap.parse_args()
    sys.path.insert(0, a.gguf_py)
    import gguf  # noqa: E402  (llama.cpp's gguf-py, from the same source as the library)

    layers, d, heads, kv_heads, ffn, vsize = SHAPES[a.shape]
    toks, scores, types = vocabulary(vsize)
    hd = d // heads
    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name("prle-test-%s" % a.shape)
    w.add_context_length(2048)
    w.add_embedding_length(d)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_dimension_count(hd)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32 if a.shape == "tiny" else gguf.LlamaFileType.MOSTLY_F16)
    w.add_tokenizer_model("llama")
    w.add_token_list(toks)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    if a.kind != "vocab-only":
        rng = np.random.default_rng(a.seed)
        big = np.float32 if a.shape == "tiny" else np.float16

        def mat(rows, cols):
            return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(big)

        ones = np.ones(d, dtype=np.float32)
        w.add_tensor("token_embd.weight", mat(len(toks), d))
        for i in range(layers if a.kind == "model" else 0):
            p = "blk.%d." % i
            w.add_tensor(p + "attn_norm.weight", ones)
            w.add_tensor(p + "attn_q.weight", mat(heads * hd, d))
            w.add_tensor(p + "attn_k.weight", mat(kv_heads * hd, d))
            w.add_tensor(p + "attn_v.weight", mat(kv_heads * hd, d))
            w.add_tensor(p + "attn_output.weight", mat(d, heads * hd))
            w.add_tensor(p + "ffn_norm.weight", ones)
            w.add_tensor(p + "ffn_gate.weight", mat(ffn, d))
            w.add_tensor(p + "ffn_up.weight", mat(ffn, d))
            w.add_tensor(p + "ffn_down.weight", mat(d, ffn))
        if a.kind == "model":
            w.add_tensor("output_norm.weight", ones)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
