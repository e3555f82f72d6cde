#!/usr/bin/env bash
# Throughput of encoder_type gguf (issue 16): `prle embed` of STS-B sentences (single texts,
# mean pooling, max_seq_length 128, batches of 64 rows) on random-weight llama GGUFs written by
# tests/data/tiny_gguf.py: tiny (2 layers, width 64) and 0.5b (24 layers, width 896, FFN 4864,
# vocabulary 32,000: 0.4 G parameters, f16, 0.8 GB; skipped with GGUF_BENCH_BIG=0 or when the
# disk has less than 4 GB free), each with 1 and 2 threads in one process and with 2 MPI ranks
# of 1 thread. Prints tokens/s and rows/s over the encoding (model load excluded; the wall time
# with it beside).
# Usage: bench/gguf.sh [BUILD]   (default build; make bench runs it)
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
llama=$("$here/../scripts/llama.sh") || exit 1
out=$build/bench-gguf
mkdir -p "$out"
out=$(cd "$out" && pwd)
prle=$(cd "$build" && pwd)/prle
stsb=${PRLE_SHARED_DATA:-$here/../../shared/data}/stsb/sts-train.csv
mpi=(mpirun -n 2 --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none \
  OMPI_MCA_plm_rsh_agent=false OMPI_MCA_mpi_yield_when_idle=1
cd "$out" || exit 1

texts() { # N: train.tsv with N sentences (STS-B's first sides; generated without the files)
  { printf 'text\tscore\n'
    if [ -f "$stsb" ]; then awk -F'\t' -v n="$1" 'NF >= 7 && c < n {print $6 "\t" $5; c++}' "$stsb"
    else for ((i = 0; i < $1; i++)); do printf 'a man is playing the guitar number %d\t%d\n' "$i" $((i % 5)); done; fi
  } >train.tsv
  head -11 train.tsv >dev.tsv
  cp dev.tsv test.tsv
  printf 'data:\n  name: bench\n  format: tsv\n  header: true\n  quoting: false\n' >bench.yaml
  printf '  files: {train: train.tsv, validation: dev.tsv, test: test.tsv}\n' >>bench.yaml
  printf '  text_fields: [text]\n  label_field: score\n  label_min: 0\n  label_max: 5\n' >>bench.yaml
  printf 'model:\n  encoder_type: gguf\n' >>bench.yaml
}

run() { # model, rows, label, command...
  local model=$1 rows=$2 label=$3; shift 3
  rm -rf cache
  local t0 t1
  t0=$(date +%s.%N)
  "$@" "$prle" -q embed bench.yaml model.model_path="$model" data.embedding_cache_dir=cache \
    >run.out 2>run.err || { cat run.err; return 1; }
  t1=$(date +%s.%N)
  awk -v m="$(basename "$model" .gguf)" -v r="$rows" -v l="$label" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" '
    /^tokens/ { gsub(/[(,]/, " "); tok = $2; tps = $3; rps = $5 }
    END { printf "embed_gguf  %-5s %5d rows %7d tokens  %-18s %9.0f tokens/s %8.1f rows/s  (%.1f s wall with loading)\n",
          m, r, tok, l, tps, rps, w }' run.out
}

/usr/bin/python3 "$here/../tests/data/tiny_gguf.py" "$llama/gguf-py" tiny.gguf || exit 1
texts 2000
sed -i 's/^model:/train:\n  threads: 1\nmodel:/' bench.yaml
run tiny.gguf 2000 "1 thread" env || exit 1
sed -i 's/  threads: 1/  threads: 2/' bench.yaml
run tiny.gguf 2000 "2 threads" env || exit 1
sed -i 's/  threads: 2/  threads: 1/' bench.yaml
run tiny.gguf 2000 "2 ranks x 1 thread" "${mpi[@]}" || exit 1

free_kb=$(df -Pk . | awk 'NR == 2 {print $4}')
if [ "${GGUF_BENCH_BIG:-1}" = 0 ] || [ "$free_kb" -lt 4000000 ]; then
  echo "embed_gguf  0.5b  skipped (GGUF_BENCH_BIG=0 or less than 4 GB free)"; exit 0
fi
[ -f 0.5b.gguf ] || /usr/bin/python3 "$here/../tests/data/tiny_gguf.py" "$llama/gguf-py" 0.5b.gguf \
  --shape 0.5b || exit 1
texts 100
sed -i 's/^model:/train:\n  threads: 1\nmodel:/' bench.yaml
run 0.5b.gguf 100 "1 thread" env || exit 1
sed -i 's/  threads: 1/  threads: 2/' bench.yaml
run 0.5b.gguf 100 "2 threads" env || exit 1
sed -i 's/  threads: 2/  threads: 1/' bench.yaml
run 0.5b.gguf 100 "2 ranks x 1 thread" "${mpi[@]}" || exit 1
