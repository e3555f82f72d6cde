#!/usr/bin/env bash
# The embedding cache never overwrites files PRLE did not write and never hands a run another
# run's embeddings (issue 13, findings 2 and 3): .npy files without a manifest or the
# .prle-cache marker are refused (exit 2, untouched); two runs whose hashing encoders differ
# (train.seed) started together on one cache folder give, six times over, the predictions each
# gives alone.
# Usage: cache.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
stsb_subset 300 80 80 || { finish; exit; }
stsb_yaml shared model.hidden_dim=16 model.num_prototypes=4 train.output_dir=runs train.threads=1
fast=(kernel.max_epochs=1 train.max_epochs=2 --no-analyze --no-report)

# ---- .npy files made elsewhere: refused, untouched -------------------------------------------
mkdir theirs
printf 'not ours' >theirs/train_embeds.npy
check foreign 2 "$prle" -q embed small.yaml data.embedding_cache_dir=theirs
lines foreign err 1
contains foreign err "theirs holds *_embeds.npy files that PRLE did not write"
ok foreign_kept [ "$(cat theirs/train_embeds.npy)" = 'not ours' ]
check foreign_run 2 "$prle" -q run small.yaml data.embedding_cache_dir=theirs "${fast[@]}"
ok foreign_run_kept [ "$(cat theirs/train_embeds.npy)" = 'not ours' ]
# a build of ours that stopped before its manifest is rebuilt (the marker says whose it is)
check ours 0 "$prle" -q embed small.yaml data.embedding_cache_dir=ours
ok ours_marker [ -f ours/.prle-cache ]
rm ours/embeds_manifest.json
check ours_rebuilt 0 "$prle" embed small.yaml data.embedding_cache_dir=ours
contains ours_rebuilt out "(an interrupted build)"

# ---- two runs on one cache folder at once ----------------------------------------------------
for s in 1 7; do
  check "alone_$s" 0 "$prle" -q run small.yaml train.seed=$s logging.run_name=alone$s \
    data.embedding_cache_dir=alone$s "${fast[@]}"
done
for i in 1 2 3 4 5 6; do
  "$prle" -q run small.yaml train.seed=1 logging.run_name=a$i "${fast[@]}" >a.out 2>&1 &
  p1=$!
  "$prle" -q run small.yaml train.seed=7 logging.run_name=b$i "${fast[@]}" >b.out 2>&1 &
  p7=$!
  wait $p1; r1=$?
  wait $p7; r7=$?
  ok "together_${i}_exit" [ "$r1" -eq 0 ] && ok "together_${i}_exit7" [ "$r7" -eq 0 ]
  ok "together_${i}_seed1" cmp -s runs/a$i/predictions_test.csv runs/alone1/predictions_test.csv
  ok "together_${i}_seed7" cmp -s runs/b$i/predictions_test.csv runs/alone7/predictions_test.csv
done
finish
