#!/usr/bin/env bash
# make bench-accuracy: PRLE with the library's defaults against ridge, kNN and SVR on the same
# features and split (issue 12's scoreboard). For each config in bench/accuracy/ (data and
# encoder keys only) and each seed: `prle run --no-analyze --no-report` (seconds measured
# around it) and `prle baselines` (ridge, kNN with the Euclidean and the cosine metric, SVR,
# grid-searched on validation) into one run folder; then bench/accuracy_table.py prints the
# table the README quotes.
# Environment: BUILD (build), SEEDS ("1 2 3 4 5"), SETS (the three configs), CONFIGS (the
# folder holding SET.yaml, bench/accuracy), OUT ($BUILD/accuracy), EXTRA (more key=value
# overrides for every command, e.g. train.threads=1: the results do not depend on it, README
# "Reproducibility").
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SEEDS=${SEEDS:-"1 2 3 4 5"}
SETS=${SETS:-"stsb-glove ruddit-glove mlqe-ru-en-hashing"}
OUT=${OUT:-$BUILD/accuracy}
CONFIGS=${CONFIGS:-bench/accuracy}
prle=$BUILD/prle
mkdir -p "$OUT"
out=$(cd "$OUT" && pwd)
for set in $SETS; do
  cfg=$CONFIGS/$set.yaml
  for seed in $SEEDS; do
    name=$set-$seed
    # shellcheck disable=SC2206 # EXTRA is a list of words
    over=(train.seed="$seed" train.output_dir="$out" logging.run_name="$name" ${EXTRA:-})
    "$prle" -q embed "$cfg" "${over[@]}" >"$out/$name.log" 2>&1 # the cache, outside the timing
    # a folder left by an earlier run would lend its kernel, and the seconds would leave out
    # its training: every run here trains one
    t0=$(date +%s.%N)
    "$prle" -q run "$cfg" "${over[@]}" pipeline.reuse_kernel=false --no-analyze --no-report \
      >>"$out/$name.log" 2>&1
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}' >"$out/$name/seconds"
    "$prle" -q baselines "$cfg" "${over[@]}" --models ridge,knn,svr --knn-cosine \
      >>"$out/$name.log" 2>&1
    echo "$name: done ($(cat "$out/$name/seconds") s)" >&2
  done
done
/usr/bin/python3 bench/accuracy_table.py "$out" "$SETS" "$SEEDS"
