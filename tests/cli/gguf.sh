#!/usr/bin/env bash
# encoder_type gguf end to end on a random-weight llama GGUF the test writes itself
# (tests/data/tiny_gguf.py, with llama.cpp's gguf-py from the llama cache): parity with
# llama.cpp's own llama-embedding (built from the same source by scripts/llama.sh) on the same
# texts, batch sizes and thread counts, pairs, last/cls pooling, the manifest, and the files
# refused with exit 2 and one line (missing, not GGUF, truncated, a damaged header, no tensors,
# tensors llama.cpp cannot build a model from).
# Usage: gguf.sh /path/to/prle   (the llama cache from scripts/llama.sh tool: make test builds
#        the tool before the suite; run alone, this builds it on first use)
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3
if ! llama=$("$here/../../scripts/llama.sh" tool); then
  fail "scripts/llama.sh tool: no llama.cpp build"; finish; exit
fi
tool=$llama/bin/llama-embedding gguf_py=$llama/gguf-py

check write_model 0 "$py" "$here/../data/tiny_gguf.py" "$gguf_py" tiny.gguf
check write_vocab_only 0 "$py" "$here/../data/tiny_gguf.py" "$gguf_py" vocab.gguf --kind vocab-only
check write_no_blocks 0 "$py" "$here/../data/tiny_gguf.py" "$gguf_py" noblk.gguf --kind no-blocks

pairs_tsvs 23 5 6 # rows of animal-word pairs (lib.bash)
small_yaml tiny model.model_path=tiny.gguf train.threads=2
sed -i -e 's/encoder_type: hashing/encoder_type: gguf/' -e '/hidden_dim: 16/d' small.yaml
# one text per row: the first field
sed -e 's/text_fields: \[s1, s2\]/text_fields: [s1]/' -e 's#cache/small#cache/single#' \
  small.yaml >single.yaml

# rows (i, width) from a .npy, and llama-embedding's array output, compared in numpy
compare() { # name, a.npy, b.npy-or-json, tolerance (max over rows of |a-b| / |b|)
  "$py" - "$2" "$3" "$4" >"$tmp/cmp" 2>&1 <<'EOF'
import json, sys
import numpy as np
a = np.load(sys.argv[1]).astype(np.float64)
b = sys.argv[2]
b = np.array(json.load(open(b)), dtype=np.float64) if b.endswith(".json") else np.load(b).astype(np.float64)
assert a.shape == b.shape, (a.shape, b.shape)
assert np.all(np.linalg.norm(b, axis=1) > 0.1), "zero rows"
rel = np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)
print("rows %d width %d max relative difference %.3g" % (a.shape[0], a.shape[1], rel.max()))
sys.exit(0 if rel.max() <= float(sys.argv[3]) else 1)
EOF
  if [ $? -eq 0 ]; then pass; else fail "$1"; fi
  echo "$1: $(cat "$tmp/cmp")"
}

# llama-embedding's embeddings of texts.txt with POOLING into OUT.json. Its output goes through
# llama.cpp's logging thread, which often exits before writing the end (built with OpenMP: a
# whole output in 4-7 of 10 runs on a quiet machine, 2 of 10 beside two busy loops), and can
# drop a piece from the middle, leaving valid JSON with a short row (seen once under the
# sanitizers, 2026-12-06): up to 40 tries for a whole array, one row a text, every row as wide,
# a tenth of a second each.
reference() { # pooling, out
  local i
  for ((i = 0; i < 40; i++)); do
    "$tool" -m tiny.gguf -f texts.txt --pooling "$1" --embd-normalize -1 --embd-output-format \
      array -c 2048 -t 2 --no-warmup >"$2" 2>"$2.log" &&
      "$py" -c "
import json, sys
a = json.load(open(sys.argv[1]))
n = sum(1 for l in open('texts.txt', encoding='utf-8') if l.strip())
sys.exit(0 if len(a) == n and len({len(r) for r in a}) == 1 else 1)" "$2" 2>/dev/null &&
      return 0
  done
  fail "llama-embedding --pooling $1: no whole output in 40 tries"; tail -5 "$2.log"
  return 1
}

# ---- parity with llama-embedding --------------------------------------------------------------
check embed 0 "$prle" embed single.yaml
contains embed out "encoder   gguf v1 model=tiny.gguf sha256=$(sha256sum tiny.gguf | cut -c1-64)"
contains embed out "pooling=mean"
matches embed out "^train +23 +64 "
contains manifest_sha cache/single/embeds_manifest.json "sha256=$(sha256sum tiny.gguf | cut -c1-64)"
contains manifest_pooling cache/single/embeds_manifest.json "pooling=mean"
tail -n +2 train.tsv | cut -f1 >texts.txt
reference mean ref.json && compare parity_llama_embedding cache/single/train_embeds.npy ref.json 1e-4

# ---- batch sizes and thread counts: the same rows ----------------------------------------------
# Other batch sizes change llama.cpp's kernels and its f16 KV cache's attention blocks: measured
# 2.1e-4 (batch 1) and 1.6e-4 (batch 5) relative to batch 64; the thread count changes no bit.
for v in "1 1" "5 2" "64 1"; do
  set -- $v
  check "embed_b$1_t$2" 0 "$prle" embed single.yaml train.eval_batch_size="$1" train.threads="$2" \
    data.embedding_cache_dir="cache/b$1t$2"
  compare "batch_$1_threads_$2" "cache/b$1t$2/train_embeds.npy" cache/single/train_embeds.npy 1e-3
done
ok threads_same_bits cmp -s cache/b64t1/train_embeds.npy cache/single/train_embeds.npy

# ---- pairs: joined texts, pair features --------------------------------------------------------
check pairs 0 "$prle" embed small.yaml
matches pairs out "^train +23 +320 "
"$py" - <<'EOF' >pair.out 2>&1 && pass || { fail "pair features"; cat pair.out; }
import numpy as np
p = np.load("cache/small/train_embeds.npy"); u = np.load("cache/single/train_embeds.npy")
d = u.shape[1]
assert p.shape == (23, 5 * d), p.shape
assert np.array_equal(p[:, :d], u), "u is the first texts' embedding"
v = p[:, d:2 * d]
assert np.allclose(p[:, 2 * d:3 * d], u + v) and np.allclose(p[:, 3 * d:4 * d], abs(u - v))
EOF
check joined 0 "$prle" embed small.yaml data.combine_fields=true data.embedding_cache_dir=cache/j
matches joined out "^train +23 +64 "

# ---- pooling last and cls: llama-embedding's too ------------------------------------------------
for pool in last cls; do
  check "embed_$pool" 0 "$prle" embed single.yaml model.pooling="$pool" \
    data.embedding_cache_dir="cache/$pool"
  reference "$pool" "ref_$pool.json" &&
    compare "parity_$pool" "cache/$pool/train_embeds.npy" "ref_$pool.json" 1e-4
done
check normalize 0 "$prle" embed single.yaml model.normalize=true data.embedding_cache_dir=cache/n
"$py" -c "
import numpy as np; a = np.load('cache/n/train_embeds.npy')
assert abs(np.linalg.norm(a, axis=1) - 1).max() < 1e-6" && pass || fail "normalize: unit rows"

# ---- max_seq_length beyond the model's trained context (2048 here): refused before any text
# is read, not a GGML_ASSERT abort or memory without bound ---------------------------------------
check beyond_context 2 "$prle" embed single.yaml data.max_seq_length=4097 \
  data.embedding_cache_dir=cache/ctx
contains beyond_context err "data.max_seq_length 4097 is longer than"
contains beyond_context err "trained context of 2048 tokens"

# ---- a damaged model whose outputs are NaN: refused, naming the encoder, no cache written -----
cp tiny.gguf nan.gguf
"$py" -c "f = open('nan.gguf', 'r+b'); f.seek(300000); f.write(b'\xff' * 50000)"
check nan_model 2 "$prle" embed single.yaml model.model_path=nan.gguf data.embedding_cache_dir=cache/nan
lines nan_model err 1
contains nan_model err "the encoder gave nan for the text"
contains nan_model err "its model or vectors file is damaged (gguf v1 model=nan.gguf"
ok nan_no_cache [ ! -e cache/nan/train_embeds.npy ]

# ---- the model's sha256, remembered per file identity in the user cache -------------------------
cp tiny.gguf memo.gguf
XDG_CACHE_HOME=$tmp/xdg check memo_first 0 "$prle" embed single.yaml model.model_path=memo.gguf \
  data.embedding_cache_dir=cache/memo
contains memo_recorded xdg/prle/sha256-memo.txt "$(sha256sum tiny.gguf | cut -c1-64) 432288 "
XDG_CACHE_HOME=$tmp/xdg check memo_reused 0 "$prle" embed single.yaml model.model_path=memo.gguf \
  data.embedding_cache_dir=cache/memo
contains memo_reused out "reused"
lines memo_one_line xdg/prle/sha256-memo.txt 1
# another model in the same place (same size, new time): hashed again, the cache rebuilt
"$py" "$here/../data/tiny_gguf.py" "$gguf_py" memo.gguf --seed 8
XDG_CACHE_HOME=$tmp/xdg check memo_changed 0 "$prle" embed single.yaml model.model_path=memo.gguf \
  data.embedding_cache_dir=cache/memo
contains memo_changed err "the encoder settings changed"
contains memo_changed out "sha256=$(sha256sum memo.gguf | cut -c1-64)"
lines memo_two_lines xdg/prle/sha256-memo.txt 2

# ---- files refused: exit 2 naming the file, no cache -------------------------------------------
printf 'not a model\n' >text.gguf
head -c 100000 tiny.gguf >cut.gguf
# sixteen bytes of the key-value header inverted: ggml's reader fails, and says so to its log
"$py" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read())
b[200:216] = bytes(x ^ 0xFF for x in b[200:216]); open(sys.argv[2], "wb").write(b)' tiny.gguf kv.gguf
for c in "missing.gguf:no such file" "text.gguf:not a GGUF file" "cut.gguf:truncated" \
  "vocab.gguf:no tensors" "noblk.gguf:llama.cpp cannot load it (" "noblk.gguf:not found)" \
  "kv.gguf:a damaged or truncated GGUF header"; do
  f=${c%%:*} why=${c#*:}
  check "refuse_$f" 2 "$prle" embed single.yaml model.model_path="$f" \
    data.embedding_cache_dir="cache/bad_$f"
  contains "refuse_$f" err "$f"
  contains "refuse_$f" err "$why"
  ok "refuse_${f}_nothing_written" test ! -e "cache/bad_$f/train_embeds.npy"
  lines "refuse_${f}_one_line" err 1 # prle's line alone: llama.cpp's log is kept, not printed
done
check refuse_sif 2 "$prle" embed single.yaml model.pooling=sif data.embedding_cache_dir=cache/s
contains refuse_sif err "model.pooling: sif is not for gguf"

# ---- an empty text: the special tokens alone give its vector, and embed says so ------------------
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 2 { $1 = "" } { print }' train.tsv >etrain.tsv
sed -e 's#train: train.tsv#train: etrain.tsv#' -e 's#cache/single#cache/empty#' single.yaml \
  >empty.yaml
check empty_text 0 "$prle" embed empty.yaml
contains empty_text out "texts with no token of their own (embedded from the special tokens alone): 1"
lacks empty_text out "zero vectors"
finish
