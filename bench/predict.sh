#!/usr/bin/env bash
# Batch prediction (issue 15, item 3): `prle predict RUN --input` on 100,000 STS-B pairs (the
# test split's 1,379 pairs repeated), plain and with --explain 3, encoding included; prints
# seconds, rows/s and peak memory beside the targets (>= 50,000 and >= 30,000 rows/s); then
# one million pairs (the same file ten times, once) for the peak memory, which follows the
# 2,048-row chunk and not the file (issue 15).
# Usage: bench/predict.sh [BUILD] [RUN]   (defaults: build, runs/stsb-glove from make run)
set -u
build=${1:-build} run=${2:-runs/stsb-glove}
test_tsv=${PRLE_SHARED_DATA:-../shared/data}/stsb/sts-test.csv
if [ ! -f "$run/model.safetensors" ] || [ ! -f "$test_tsv" ]; then
  echo "predict_batch  skipped: needs $run (make run) and $test_tsv"; exit 0
fi
out=$build/bench-predict
mkdir -p "$out"
/usr/bin/python3 - "$test_tsv" "$out/pairs100k.csv" <<'PY'
import csv, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
rows = [(r[5], r[6]) for r in rows if len(r) >= 7]
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f); w.writerow(["sentence1", "sentence2"])
    for i in range(100000): w.writerow(rows[i % len(rows)])
PY
for mode in plain explain; do
  extra=(); target=50000
  [ $mode = explain ] && extra=(--explain 3) && target=30000
  best=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$out/time" "$build/prle" predict "$run" --input "$out/pairs100k.csv" \
      --format csv "${extra[@]}" >"$out/out.csv" || exit 1
    read -r sec kb <"$out/time"
    if [ -z "$best" ] || awk -v a="$sec" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$sec mem=$kb; fi
  done
  awk -v m=$mode -v s="$best" -v k="$mem" -v t=$target 'BEGIN {
    printf "predict_batch  %-7s 100000 pairs  %.2f s  %6.0f rows/s (target >= %d)  peak %.0f MB  (best of 3)\n",
      m, s, 100000 / s, t, k / 1024 }'
done
# memory follows the chunk: ten times the rows, about the same peak
{ cat "$out/pairs100k.csv"; for _ in 2 3 4 5 6 7 8 9 10; do tail -n +2 "$out/pairs100k.csv"; done; } \
  >"$out/pairs1m.csv"
/usr/bin/time -f "%e %M" -o "$out/time" "$build/prle" predict "$run" --input "$out/pairs1m.csv" \
  --format csv >"$out/out.csv" || exit 1
read -r sec kb <"$out/time"
awk -v s="$sec" -v k="$kb" 'BEGIN {
  printf "predict_batch  plain   1000000 pairs  %.2f s  %6.0f rows/s  peak %.0f MB  (once)\n",
    s, 1000000 / s, k / 1024 }'
rm -f "$out/pairs1m.csv" "$out/out.csv"
