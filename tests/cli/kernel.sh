#!/usr/bin/env bash
# prle kernel CONFIG [key=value...]: stage 1 end to end on a small generated paraphrase TSV with
# the hashing encoder (no network): the run folder's files, their shapes, the per-epoch lines,
# the same bytes for the same seed and for 1 and 2 threads, bad settings refused with exit 2.
# Usage: kernel.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1

shape() { # the shape in a .npy header, e.g. "(6, 80)"
  head -c 256 "$1" | tr -d '\0' | grep -ao "'shape': ([0-9]*, [0-9]*)" | sed "s/'shape': //"
}
differ() { ! cmp -s "$1" "$2"; }

words=(cat dog bird fish horse cow goat sheep lion tiger bear wolf fox deer mouse owl)
row() { # i: two short texts that share more words the higher the score
  local i=$1 a=${words[$((i % 16))]} b=${words[$(((i * 7) % 16))]} c=${words[$(((i * 3) % 16))]}
  local s=$((i % 6))
  if [ $s -ge 3 ]; then printf 'the %s and the %s\tthe %s and a %s\t%d\n' "$a" "$b" "$a" "$b" "$s"
  else printf 'the %s and the %s\ta %s runs\t%d\n' "$a" "$b" "$c" "$s"; fi
}
printf 's1\ts2\tscore\n' >head.tsv
{ cat head.tsv; for i in $(seq 0 59); do row "$i"; done; } >train.tsv
{ cat head.tsv; for i in $(seq 60 71); do row "$i"; done; } >dev.tsv
{ cat head.tsv; for i in $(seq 72 79); do row "$i"; done; } >test.tsv
cat >small.yaml <<'EOF'
data:
  name: kernel-fixture
  format: tsv
  header: true
  files: {train: train.tsv, validation: dev.tsv, test: test.tsv}
  text_fields: [s1, s2]
  label_field: score
  label_min: 0
  label_max: 5
  embedding_cache_dir: cache/small
model:
  encoder_type: hashing
  hidden_dim: 16
train:
  seed: 7
  train_batch_size: 16
  output_dir: runs
kernel:
  learning_rate: 0.005
  max_epochs: 3
  projection_kwargs:
    hidden_dim: 24
EOF

check help 0 "$prle" help kernel
contains help out "usage: prle kernel CONFIG [key=value...]"

check train 0 "$prle" kernel small.yaml
contains train out "kernel resmlp: H 80, 60 train rows, batch 16"
matches train out "^ +3 +[0-9.]+ +[0-9.]+ +[0-9.]+ +-?[0-9.]+ +[0-9.]+ "
contains train out "distance-label correlation on train (50000 pairs)"
run=runs/small
for f in kernel.safetensors kernel_report.json train_log.csv config.yaml; do
  ok "file_$f" [ -s "$run/$f" ]
done
ok shape_train [ "$(shape $run/value/train_embeds.npy)" = "(60, 80)" ]
ok shape_validation [ "$(shape $run/value/validation_embeds.npy)" = "(12, 80)" ]
ok shape_test [ "$(shape $run/value/test_embeds.npy)" = "(8, 80)" ]
ok names grep -qa 'projection_head.net.2.weight' "$run/kernel.safetensors"
ok out_proj grep -qa 'projection_head.out_proj.weight' "$run/kernel.safetensors"
ok norm grep -qa 'projection_head.norm.bias' "$run/kernel.safetensors"
ok log_lines [ "$(wc -l <"$run/train_log.csv")" -eq 4 ]
ok report_value grep -q '"value"' "$run/kernel_report.json"
ok report_epochs grep -q '"epochs"' "$run/kernel_report.json"

# the same seed gives the same bytes; 1 and 2 threads too
cp "$run/kernel.safetensors" first.safetensors
check again 0 "$prle" kernel small.yaml train.threads=1
ok same_bytes_1_thread cmp -s first.safetensors "$run/kernel.safetensors"
check again2 0 "$prle" kernel small.yaml train.threads=2
ok same_bytes_2_threads cmp -s first.safetensors "$run/kernel.safetensors"
check other_seed 0 "$prle" kernel small.yaml train.seed=8 logging.run_name=seed8
ok other_bytes differ first.safetensors runs/seed8/kernel.safetensors

check quiet 0 "$prle" -q kernel small.yaml kernel.keep=last logging.run_name=quiet
lacks quiet out "val_pair"
contains quiet out "kept epoch 3 (kernel.keep: last)"

check bad_type 2 "$prle" kernel small.yaml kernel.projection_type=bogus
check bad_rff 2 "$prle" kernel small.yaml kernel.projection_type=rff kernel.proj_dim=7
contains bad_rff err "even"
check bad_option 2 "$prle" kernel small.yaml --nope
check no_config 2 "$prle" kernel
finish
