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

pairs_tsvs 60 12 8
small_yaml kernel-fixture train.train_batch_size=16 train.output_dir=runs \
  kernel.learning_rate=0.005 kernel.max_epochs=3 'kernel.projection_kwargs={hidden_dim: 24}'

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

# a kernel trained anew over a finished run takes the files made in the old value space with
# it: eval and predict then say what to run, not score the old experts on the new space
check full_run 0 "$prle" -q run small.yaml logging.run_name=full --no-analyze --no-report
ok full_run_model [ -s runs/full/model.safetensors ]
check full_kernel 0 "$prle" -q kernel small.yaml logging.run_name=full kernel.learning_rate=0.01
for f in model.safetensors prototypes.json metrics.json predictions_test.csv; do
  ok "stale_$f" [ ! -e "runs/full/$f" ]
done
check stale_eval 2 "$prle" eval runs/full
contains stale_eval err "model.safetensors: no such file"
# the same kernel reused keeps them
check full_again 0 "$prle" -q run small.yaml logging.run_name=full kernel.learning_rate=0.01 \
  --no-analyze --no-report
check full_kernel_reused 0 "$prle" -q kernel small.yaml logging.run_name=full \
  kernel.learning_rate=0.01
ok kept_model [ -s runs/full/model.safetensors ]
check full_eval 0 "$prle" eval runs/full --no-write

# a label range taken from the training labels: one far-out label (a typo) is named on prle
# run's data line, since it sets the scale; the set without it says nothing
sed 's/^\(the [a-z]* and the [a-z]*\tthe [a-z]* and a [a-z]*\t\)3$/\1300/' train.tsv >far.tsv
ok far_label_written grep -q $'\t300$' far.tsv
grep -v '^  label_m' small.yaml | sed 's/train: train.tsv/train: far.tsv/' >far.yaml
check far_label 0 "$prle" run far.yaml logging.run_name=far --no-analyze --no-report
matches far_label out "the training label 300 \(far.tsv:[0-9]+\) lies [0-9]+ interquartile ranges beyond the others and sets the label scale"
grep -v '^  label_m' small.yaml >near.yaml
check near_labels 0 "$prle" run near.yaml logging.run_name=near --no-analyze --no-report
contains near_labels out "data "
lacks near_labels out "interquartile"
check bad_type 2 "$prle" kernel small.yaml kernel.projection_type=bogus
check bad_rff 2 "$prle" kernel small.yaml kernel.projection_type=rff kernel.proj_dim=7
contains bad_rff err "even"
check bad_option 2 "$prle" kernel small.yaml --nope
check no_config 2 "$prle" kernel
finish
