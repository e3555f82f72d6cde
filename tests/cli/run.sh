#!/usr/bin/env bash
# prle run / train / eval / predict end to end on a small STS-B subset (the first rows of the
# real files in $PRLE_SHARED_DATA/stsb) with the hashing encoder, kernel.max_epochs 1 and
# train.max_epochs 2: the run folder's files and their contents, eval giving metrics.json's
# bytes, the same bytes for the same seed, kernel reuse, explanations that add up, predict on
# texts, files and splits, and the errors of issue 5 item 7 (exit 2, one line naming the file).
# Usage: run.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3
stsb_subset 300 100 100 || { finish; exit; }
stsb_yaml cache/small model.hidden_dim=32 model.num_prototypes=8 train.seed=7 \
  train.train_batch_size=32 train.output_dir=runs kernel.learning_rate=0.001
fast=(kernel.max_epochs=1 train.max_epochs=2)
run=runs/small

check help 0 "$prle" help run
contains help out "usage: prle run CONFIG"
contains help out "--no-analyze"
check help_predict 0 "$prle" predict --help
contains help_predict out "sentence1"
contains help_predict out "--format FMT"

# ---- the whole job, analysis and report included -------------------------------------------
check run 0 "$prle" run small.yaml "${fast[@]}"
for s in data embed kernel experts evaluate files analysis report; do
  matches "run stage $s" out "^$s +[0-9]+\.[0-9]+ s"
done
matches run out "^test +raw +100 +[0-9.]+ "
matches run out "^test +0-1 +100 +[0-9.]+ "
contains run out "run folder: $tmp/runs/small"
ok run_three_explained [ "$(grep -c '= prediction$' "$tmp/out")" -eq 3 ]
for f in config.yaml kernel.safetensors kernel_report.json model.safetensors prototypes.json \
  metrics.json predictions_validation.csv predictions_test.csv explanations_test.json \
  rows_test.json train_log.csv analysis.json report.html value/train_embeds.npy value/test_embeds.npy; do
  ok "file $f" [ -s "$run/$f" ]
done
ok no_tmp_left [ -z "$(ls -A runs | grep -v '^small$')" ]

# on two threads the value map's affinities are computed beside stage 2 and the analysis adopts
# them (src/analysis/analyze_pre.c); one thread computes them in the analysis: the same
# analysis.json and report, the time and whether the retrieval map came from the cache aside
check two_threads 0 "$prle" run small.yaml "${fast[@]}" train.threads=2 logging.run_name=two
matches two_threads out "^analysis .* the value map's affinities came from beside the experts"
check one_thread 0 "$prle" run small.yaml "${fast[@]}" train.threads=1 logging.run_name=one
lacks one_thread out "affinities came from beside"
strip() { grep -v '"seconds"\|"cached"' "$1"; }
ok threads_same_analysis cmp -s <(strip runs/two/analysis.json) <(strip runs/one/analysis.json)
ok threads_same_model cmp -s runs/two/model.safetensors runs/one/model.safetensors
rm -rf runs/two runs/one
matches run_weights out "^weights test +top-1 share 0\.[0-9]{3}, top-3 [01]\.[0-9]{3}, 80% of the weight in [0-9.]+ prototypes"
matches run_ridge out "^ridge +test +pearson -?[0-9.]+, mse [0-9.]+ \(0-1 scale\); alpha [0-9e.+-]+, same features"
matches run_knn out "^knn +validation pearson -?[0-9.]+, mse [0-9.]+ \(0-1 scale; PRLE -?[0-9.]+, [0-9.]+\); k (5|10|20|50), (uniform|distance) weights, cosine, same features"
# metrics.json carries the weights of both splits and the ridge and kNN yardsticks; each
# warning is printed exactly when PRLE's validation MSE is above that yardstick's
cp "$tmp/err" run_err.txt
check metrics_ridge 0 "$py" - $run/metrics.json run_err.txt <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
for s in ("validation", "test"):
    w = m["splits"][s]["weights"]
    assert 1 / 8 - 1e-9 <= w["top1"] <= w["top3"] <= 1 + 1e-9, w
    assert 1 <= w["n80"] <= 8 and 1 <= w["perplexity"] <= 8 + 1e-6, w
    assert m["ridge"]["splits"][s]["n"] == 100 and "weights" not in m["ridge"]["splits"][s]
assert m["ridge"]["features"] == "retrieval" and m["ridge"]["alpha"] in (1e-2, 0.1, 1, 10, 100, 1e3, 1e4)
k = m["knn"]
assert k["features"] == "retrieval" and k["metric"] == "cosine" and k["k"] in (5, 10, 20, 50)
assert k["weights"] in ("uniform", "distance") and k["splits"]["validation"]["n"] == 100
assert "test" not in k["splits"]
err = open(sys.argv[2]).read()
mine = m["splits"]["validation"]["unit"]["mse"]
for key, words in (("ridge", "a ridge regression"), ("knn", f"a {k['k']}-nearest-neighbour regression")):
    worse = mine > m[key]["splits"]["validation"]["unit"]["mse"]
    warned = f"PRLE is worse than {words}" in err
    assert worse == warned, (key, worse, warned)
    print("ok", key, worse)
EOF
ok pred_rows [ "$(wc -l <$run/predictions_test.csv)" -eq 101 ]
ok pred_rows_val [ "$(wc -l <$run/predictions_validation.csv)" -eq 101 ]
ok pred_header [ "$(head -1 $run/predictions_test.csv)" = "index,label,prediction" ]
ok log_header [ "$(head -1 $run/train_log.csv)" = "stage,epoch,loss,loss_pair,loss_triplet,loss_uniform,val_pair,task,fit,anchor,balance,entropy,metric,proto_self,local,consistency,val_mse,tau,seconds,rows_per_s,kept" ]
ok log_kernel_rows [ "$(grep -c '^kernel,' $run/train_log.csv)" -eq 1 ]
ok log_expert_rows [ "$(grep -c '^experts,' $run/train_log.csv)" -eq 2 ]

# the files parse and agree with each other and with the dataset
cat >checkfolder.py <<'EOF'
import csv, json, math, sys
run, test_file = sys.argv[1], sys.argv[2]
bad = []
def need(c, what):
    if not c: bad.append(what)
m = json.load(open(f"{run}/metrics.json"))
need(m["format"] == "prle-metrics" and m["version"] == 1, "metrics format")
need(m["label_min"] == 0 and m["label_max"] == 5, "label range")
for s in ("validation", "test"):
    sp = m["splits"][s]
    need(sp["n"] == 100, f"{s} n")
    need(abs(sp["unit"]["mse"] - sp["raw"]["mse"] / 25) < 1e-12, f"{s} unit mse")
    need(abs(sp["unit"]["mae"] - sp["raw"]["mae"] / 5) < 1e-12, f"{s} unit mae")
    rows = list(csv.DictReader(open(f"{run}/predictions_{s}.csv")))
    y = [float(r["label"]) for r in rows]; p = [float(r["prediction"]) for r in rows]
    mse = sum((a - b) ** 2 for a, b in zip(y, p)) / len(y)
    need(abs(mse - sp["raw"]["mse"]) < 1e-6, f"{s} mse from the csv")
# labels of the test CSV are column 5 of the STS-B file
gold = [float(l.split("\t")[4]) for l in open(test_file, encoding="utf-8")]
rows = list(csv.DictReader(open(f"{run}/predictions_test.csv")))
need([int(r["index"]) for r in rows] == list(range(100)), "index column")
need(all(abs(float(r["label"]) - g) < 1e-6 for r, g in zip(rows, gold)), "labels raw scale")
pr = json.load(open(f"{run}/prototypes.json"))
need(pr["format"] == "prle-prototypes" and len(pr["prototypes"]) == 8, "prototypes")
need(abs(sum(p["usage"] for p in pr["prototypes"]) - 1) < 1e-5, "usage sums to 1")
train = [l.rstrip("\n").split("\t") for l in open(sys.argv[3], encoding="utf-8")]
for p in pr["prototypes"]:
    t = train[p["index"]]
    need(p["text"] == t[5] and p["text2"] == t[6], f"prototype {p['slot']} texts")
    need(abs(p["label"] - float(t[4])) < 1e-6, f"prototype {p['slot']} label")
    need(abs(p["norm"] - 1) < 1e-5 and p["expert_slope"] > 0, f"prototype {p['slot']} norm")
ex = json.load(open(f"{run}/explanations_test.json"))
need(ex["format"] == "prle-explanations" and ex["k"] == 3 and len(ex["rows"]) == 3, "explanations")
labels = sorted(r["label"] for r in ex["rows"])
need(labels[0] < labels[1] < labels[2], "explained rows spread over the labels")
for r in ex["rows"]:
    s = sum(p["contribution"] for p in r["prototypes"]) + r["rest"]["contribution"]
    need(abs(s - r["prediction"]) < 1e-5, f"explained row {r['index']} adds up")
    need(len(r["prototypes"]) == 3 and r["rest"]["count"] == 5, "3 + rest")
# intervals (issue 17): the plain rule's coverage recomputed from the CSVs, 10-fold cross-fit on
# validation (fold = row mod 10), clipped to [0, 5]
def q_of(r, level=0.9):
    r = sorted(r); k = math.ceil((len(r) + 1) * level); return r[min(k, len(r)) - 1]
def clip(v): return min(max(v, 0.0), 5.0)
val = [(float(r["label"]), float(r["prediction"])) for r in csv.DictReader(open(f"{run}/predictions_validation.csv"))]
tst = [(float(r["label"]), float(r["prediction"])) for r in csv.DictReader(open(f"{run}/predictions_test.csv"))]
res = [abs(y - p) for y, p in val]
cov = wid = 0
for i, (y, p) in enumerate(val):
    q = q_of([e for j, e in enumerate(res) if j % 10 != i % 10])
    lo, hi = clip(p - q), clip(p + q); cov += lo <= y <= hi; wid += hi - lo
iv = {x["method"]: x for x in m["intervals"]}
need(sorted(iv) == ["adaptive", "plain"], "intervals: plain and adaptive")
pl = iv["plain"]; q = q_of(res)
need(pl["level"] == 0.9 and abs(pl["q"] - q) < 1e-6 and pl["n_calib"] == 100, "plain q")
need(pl["validation"]["n"] == 100 and pl["validation"]["folds"] == 10, "validation n")
need(abs(pl["validation"]["coverage"] - cov / 100) < 1e-12, "validation coverage cross-fit")
need(abs(pl["validation"]["mean_width"] - wid / 100) < 1e-5, "validation width")
ivs = [(clip(p - q), clip(p + q)) for y, p in tst]
need(abs(pl["test"]["coverage"] - sum(a <= y <= b for (y, _), (a, b) in zip(tst, ivs)) / 100) < 1e-12, "test coverage")
need(abs(pl["test"]["mean_width"] - sum(b - a for a, b in ivs) / 100) < 1e-5, "test width")
need(any(p - q < 0 or p + q > 5 for _, p in tst), "some test intervals are clipped")
rt = json.load(open(f"{run}/rows_test.json"))
need(rt["format"] == "prle-test-rows" and rt["level"] == 0.9 and len(rt["rows"]) == 100, "rows_test")
for r, (y, p), (a, b) in zip(rt["rows"], tst, ivs):
    need(abs(r["label"] - y) < 1e-6 and abs(r["prediction"] - p) < 1e-6, f"rows_test {r['index']}")
    need(abs(r["lo"] - a) < 1e-5 and abs(r["hi"] - b) < 1e-5 and 0 <= r["lo"] <= r["hi"] <= 5, f"rows_test {r['index']} interval")
    need(0 <= r["top_slot"] < 8 and 1 / 8 - 1e-6 <= r["top_weight"] <= 1 + 1e-6, f"rows_test {r['index']} top")
print("bad:", bad) if bad else None
sys.exit(1 if bad else 0)
EOF
check folder_contents 0 $py checkfolder.py $run test.csv train.csv

# ---- eval gives the bytes of metrics.json and rewrites the same files ------------------------
cp $run/metrics.json metrics.saved; cp $run/predictions_test.csv pred.saved
check eval_json 0 "$prle" eval $run --json
ok eval_same_bytes cmp -s "$tmp/out" metrics.saved
ok eval_rewrote_same cmp -s $run/metrics.json metrics.saved
ok eval_pred_same cmp -s $run/predictions_test.csv pred.saved
check eval_intervals 0 "$prle" eval $run --no-write
matches eval_intervals out "^interval plain +90% split-conformal \(q [0-9.]+\): validation coverage [0-9.]+% \(10-fold cross-fit\), mean width [0-9.]+; test [0-9.]+%, mean width [0-9.]+"
matches eval_intervals out "^interval adaptive 90% split-conformal"
check eval_table 0 "$prle" eval $run --split test --no-write
matches eval_table out "^test +raw +100 "
lacks eval_table out "validation"

# ---- same config and seed: the same bytes; the kernel reused when it matches ---------------
check run2 0 "$prle" -q run small.yaml "${fast[@]}" logging.run_name=again --no-analyze --no-report
ok same_model cmp -s $run/model.safetensors runs/again/model.safetensors
ok same_predictions cmp -s $run/predictions_test.csv runs/again/predictions_test.csv
ok same_kernel cmp -s $run/kernel.safetensors runs/again/kernel.safetensors
ok no_report_file [ ! -e runs/again/report.html ]
check reuse 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again --no-analyze --no-report
matches reuse out "^kernel .* reused .*runs/again/kernel.safetensors"
ok reuse_same_model cmp -s $run/model.safetensors runs/again/model.safetensors
ok reuse_log_kept [ "$(grep -c '^kernel,' runs/again/train_log.csv)" -eq 1 ]
# a training label changed (the texts, hence the embeddings, the same): the kernel learned from
# the old one, so it is trained again, saying why; the label back, the folder's kernel is reused
cp train.csv train.csv.keep
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 1 { $5 = ($5 < 2.5 ? 4.5 : 0.5) } { print }' \
  train.csv.keep >train.csv
check label_changed 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again --no-analyze \
  --no-report
matches label_changed out "^kernel .* trained \(saved kernel .*: the rows of its train split are not those it was trained on \(.*train.csv\)\)"
# a training label outside the preset's range [0, 5]: its file and line, not the kernel's API
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 3 { $5 = 5.5 } { print }' train.csv.keep >train.csv
check label_outside 2 "$prle" run small.yaml "${fast[@]}" logging.run_name=outside \
  pipeline.reuse_kernel=false --no-analyze --no-report
contains label_outside err "train.csv:3: training label 5.5 lies outside the label range [0, 5]"
# a training label at the range's end that float rounds outward (4.9f > 4.9) is inside
awk -F'\t' 'BEGIN { OFS = "\t" } $5 > 4.9 { $5 = 4.8 } NR == 3 { $5 = 4.9 } { print }' \
  train.csv.keep >train.csv
check label_at_end 0 "$prle" -q run small.yaml "${fast[@]}" logging.run_name=outside \
  data.label_max=4.9 pipeline.reuse_kernel=false --no-analyze --no-report
# training labels all equal, under the preset's range: nothing to learn, said before training
awk -F'\t' 'BEGIN { OFS = "\t" } { $5 = 2.5 } { print }' train.csv.keep >train.csv
check label_constant 2 "$prle" run small.yaml "${fast[@]}" logging.run_name=constant --no-analyze \
  --no-report
contains label_constant err "train.csv: all 300 training labels are 2.5: there is nothing to learn"
# data.on_bad_row: skip says how many rows it left out, and the first one's line and reason
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 2 || NR == 5 { $5 = "n/a" } { print }' train.csv.keep \
  >train.csv
check bad_skipped 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=skipped \
  data.on_bad_row=skip --no-analyze --no-report
matches bad_skipped out "^data .* \(2 bad rows skipped; first: .*train.csv:2: [^)]*n/a[^)]*\)"
ok bad_skipped_json grep -q '"n_skipped": 2' runs/skipped/dataset.json
mv train.csv.keep train.csv
check label_back 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again --no-analyze \
  --no-report
matches label_back out "^kernel .* trained \(saved kernel .*: the rows of its train split"
check label_back_reuse 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again \
  --no-analyze --no-report
matches label_back_reuse out "^kernel .* reused .*runs/again/kernel.safetensors"
check retrain 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again kernel.learning_rate=0.002 \
  --no-analyze --no-report
matches retrain out "^kernel .* trained \(saved kernel .*kernel.learning_rate is 0.002"
# the default, kernel.standardize_inputs null, decides by two ridges on the training rows
# (raw and standardised columns, compared on validation): these hashing pairs' u * v block is
# far smaller than the rest, and the runs above standardised
matches std_note out "inputs standardised \(a ridge on standardised columns: validation MSE [0-9.]+ % lower, [0-9.]+ standard errors\)"
lacks std_note_ratio out "offset ratio" # centred because standardised, not by the ratio (< 1 here)
contains std_tensor runs/again/kernel.safetensors '"projection_head.input_scale"'
contains std_report runs/again/kernel_report.json '"standardize_inputs": true'
contains std_report_test runs/again/kernel_report.json '"gain_standard_errors"'
# the test's raw ridge is the yardstick's: the same as a run without the test fits itself
ridge_of() { $py -c 'import json, sys; r = json.load(open(sys.argv[1]))["ridge"]; print(r["alpha"], r["splits"]["test"]["unit"]["mse"])' "$1"; }
ridge_auto=$(ridge_of runs/again/metrics.json)
check std_false 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again \
  kernel.standardize_inputs=false --no-analyze --no-report
matches std_false out "trained \(saved kernel .*kernel.standardize_inputs is false, the saved kernel's true"
lacks std_false_note out "inputs standardised"
ok std_same_ridge [ "$(ridge_of runs/again/metrics.json)" = "$ridge_auto" ]
check std_auto_again 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again --no-analyze \
  --no-report
matches std_auto_again out "kernel.standardize_inputs null now gives true, the saved kernel's false"
# kernel.center_inputs adds a tensor (input_mean), yet flipping it retrains rather than fails
# (the standardising, which centres too, off from here)
fast+=(kernel.standardize_inputs=false)
check std_off 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again --no-analyze --no-report
check center 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again kernel.center_inputs=true \
  --no-analyze --no-report
matches center out "^kernel .* trained \(saved kernel .*kernel.center_inputs is true, the saved kernel's false"
contains center_tensor runs/again/kernel.safetensors '"projection_head.input_mean"'
check center_reuse 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again \
  kernel.center_inputs=true --no-analyze --no-report
matches center_reuse out "^kernel .* reused .*runs/again/kernel.safetensors"
# the default, kernel.center_inputs null, decides from the training rows: these hashing
# features lie about the origin (offset ratio below 1: not centred, the runs above), so the
# centred kernel saved just now retrains; the same rows moved by +5 are centred
check center_auto_plain 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=again \
  --no-analyze --no-report
matches center_auto_plain out "kernel.center_inputs null now gives false, the saved kernel's true"
lacks center_auto_plain_quiet out "inputs centred"
mkdir -p npyoff
$py - <<'EOF'
# the standard library only: every float of the .npy files (C-order <f4 after the header) + 5
import struct
for s in ("train", "validation", "test"):
    b = bytearray(open(f"cache/small/{s}_embeds.npy", "rb").read())
    off = 10 + struct.unpack("<H", b[8:10])[0]
    n = (len(b) - off) // 4
    b[off:] = struct.pack(f"<{n}f", *(v + 5.0 for v in struct.unpack(f"<{n}f", b[off:])))
    open(f"npyoff/{s}_embeds.npy", "wb").write(b)
EOF
off=(model.encoder_type=npy data.embedding_cache_dir=npyoff logging.run_name=off --no-analyze
  --no-report)
check center_auto 0 "$prle" run small.yaml "${fast[@]}" "${off[@]}"
matches center_auto out "^kernel .* inputs centred \(offset ratio [0-9.e+]+ > 1\)"
contains center_auto_tensor runs/off/kernel.safetensors '"projection_head.input_mean"'
contains center_auto_report runs/off/kernel_report.json '"center_inputs": true'
check center_auto_false 0 "$prle" run small.yaml "${fast[@]}" "${off[@]}" kernel.center_inputs=false
matches center_auto_false out "kernel.center_inputs is false, the saved kernel's true"
check center_auto_again 0 "$prle" run small.yaml "${fast[@]}" "${off[@]}"
matches center_auto_again out "kernel.center_inputs null now gives true, the saved kernel's false"
# a run on precomputed embeddings has no text encoder: texts are refused (before the input file
# is read) with the option that takes such a run's inputs; its embeddings are predicted
for how in "--text A --text2 B" "--input test.csv"; do
  # shellcheck disable=SC2086 # the option and its value as two words
  check "npy_run ${how%% *}" 2 "$prle" predict runs/off $how
  lines "npy_run ${how%% *}" err 1
  contains "npy_run ${how%% *}" err "prle: predict: runs/off has no text encoder (model.encoder_type npy"
  contains "npy_run ${how%% *}" err "give the inputs' embeddings with --embeddings FILE.npy instead of ${how%% *}, or --split NAME"
  empty "npy_run ${how%% *} out" out
done
check npy_run_embeddings 0 "$prle" predict runs/off --embeddings npyoff/test_embeds.npy --format csv
lines npy_run_embeddings out 101
# a kernel saved with a hidden width other than the one the default gives now (the resmlp
# default widened on 2026-12-06) retrains with the reason when the config leaves the width to
# the default, instead of failing on the shapes
check hidden_named 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid \
  kernel.projection_kwargs.hidden_dim=24 --no-analyze --no-report
check hidden_default 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid --no-analyze \
  --no-report
matches hidden_default out "^kernel .* trained \(saved kernel .*kernel.projection_kwargs.hidden_dim 0 now gives [0-9]+, the saved kernel's is 24\)"
check hidden_default_reuse 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid \
  --no-analyze --no-report
matches hidden_default_reuse out "^kernel .* reused .*runs/hid/kernel.safetensors"
# another architecture named in the config (here the hidden width) retrains too, with what
# differs (it was an error until 2026-12-06: the saved kernel cannot apply either way)
check arch_changed 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid \
  kernel.projection_kwargs.hidden_dim=40 --no-analyze --no-report
matches arch_changed out "^kernel .* trained \(saved kernel .*runs/hid/kernel.safetensors: hidden_dim is [0-9]+, the config gives 40\)"
contains arch_changed_meta runs/hid/kernel.safetensors '"hidden_dim":"40"'
# so does a dropout, which renumbers the resmlp's layers (net.3 for net.2): a missing tensor
check arch_dropout 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid \
  kernel.projection_kwargs.hidden_dim=40 kernel.projection_kwargs.dropout=0.1 --no-analyze \
  --no-report
matches arch_dropout out "^kernel .* trained \(saved kernel .*runs/hid/kernel.safetensors: tensor projection_head.net.3.weight missing"
check arch_dropout_back 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid \
  kernel.projection_kwargs.hidden_dim=40 --no-analyze --no-report
matches arch_dropout_back out "^kernel .* trained \(saved kernel .*runs/hid/kernel.safetensors"
check arch_changed_type 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid \
  kernel.projection_type=mlp --no-analyze --no-report
matches arch_changed_type out "^kernel .* trained \(saved kernel .*: projection type is resmlp, the config says mlp\)"
# so does one of the value width the default gave inputs above 2,048 wide before 2026-12-06
# (their own; now 512): 5 x 416 = 2,080 pair features
wide=(model.hidden_dim=416 data.embedding_cache_dir=cache/wide logging.run_name=wide --no-analyze
  --no-report)
check value_named 0 "$prle" run small.yaml "${fast[@]}" "${wide[@]}" kernel.proj_dim=2080
check value_default 0 "$prle" run small.yaml "${fast[@]}" "${wide[@]}"
matches value_default out "^kernel .* trained \(saved kernel .*kernel.proj_dim 0 now gives 512, the saved kernel's is 2080\)"
contains value_default_meta runs/wide/kernel.safetensors '"proj_dim":"512"'
check value_default_reuse 0 "$prle" run small.yaml "${fast[@]}" "${wide[@]}"
matches value_default_reuse out "^kernel .* reused .*runs/wide/kernel.safetensors"
# other embeddings (another width of the hashing encoder: 5 x 16 pair features, not 5 x 32)
# retrain with the reason; without a kernel stage to train, the saved kernel is an error
check width_changed 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid model.hidden_dim=16 \
  data.embedding_cache_dir=cache/small16 --no-analyze --no-report
matches width_changed out "^kernel .* trained \(saved kernel .*runs/hid/kernel.safetensors: its input width is 160, the embeddings have 80\)"
check width_back 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid --no-analyze \
  --no-report
matches width_back out "its input width is 80, the embeddings have 160\)"
check width_must_reuse_err 2 "$prle" run small.yaml "${fast[@]}" logging.run_name=hid \
  model.hidden_dim=16 data.embedding_cache_dir=cache/small16 'pipeline.stages=[experts]' \
  --no-analyze --no-report
contains width_must_reuse_err err "saved kernel does not fit the config"
# more prototypes asked than half the training rows: one per two rows, said on the experts
# line; the analysis' oracle and the report count the model's prototypes
check few_rows 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=few model.num_prototypes=200
contains few_rows out "150 prototypes (k-medoids)"
contains few_rows out "(model.num_prototypes 200: at most one per two of the 300 training rows)"
contains few_rows_report runs/few/report.html "kernel · 150 prototypes"
contains few_rows_report runs/few/report.html "<td>150, of model.num_prototypes 200"
# one test row: the analysis (it needs two) is skipped with the reason, the run goes on
head -1 test.csv >test1.csv
check one_test_row 0 "$prle" run small.yaml "${fast[@]}" logging.run_name=one data.files.test=test1.csv \
  data.embedding_cache_dir=cache/one
matches one_test_row out "^analysis +[0-9.]+ s  skipped: 300 training and 1 test rows \(it needs 2 of each\)"
ok one_test_row_no_analysis [ ! -e runs/one/analysis.json ]
ok one_test_row_report [ -s runs/one/report.html ]
# prle train: the same stages on the cached embeddings (seed 8 below rebuilds the cache)
check train 0 "$prle" train small.yaml "${fast[@]}" logging.run_name=trained
ok train_model [ -s runs/trained/model.safetensors ]
ok train_no_analysis [ ! -e runs/trained/analysis.json ]
check train_no_cache 2 "$prle" train small.yaml data.embedding_cache_dir=cache/none logging.run_name=x
contains train_no_cache err "prle embed CONFIG"
ok train_no_cache_no_folder [ ! -e runs/x ]

check seed 0 "$prle" -q run small.yaml "${fast[@]}" logging.run_name=seed8 train.seed=8 \
  --no-analyze --no-report
ok other_seed_differs bash -c "! cmp -s $run/model.safetensors runs/seed8/model.safetensors"

# ---- predict ----------------------------------------------------------------------------------
cat >sums.py <<'EOF'
import json, sys
k, p = int(sys.argv[1]), int(sys.argv[2])
n = 0
for line in sys.stdin:
    r = json.loads(line); n += 1
    s = sum(x["contribution"] for x in r["prototypes"]) + r["rest"]["contribution"]
    assert abs(s - r["prediction"]) < 1e-5, (s, r["prediction"])
    assert len(r["prototypes"]) == min(k, p) and r["rest"]["count"] == p - min(k, p)
    w = [(-x["weight"], x["slot"]) for x in r["prototypes"]]  # heaviest first, ties by slot
    assert w == sorted(w), w
    assert not r["prototypes"] or r["rest"]["count"] == 0 or \
        r["rest"]["weight"] <= r["rest"]["count"] * -w[-1][0] + 1e-6  # none heavier left out
    assert all(set(x) >= {"index", "text", "label", "weight", "local_prediction", "contribution"}
               for x in r["prototypes"])
    if k >= p:
        assert sorted(x["slot"] for x in r["prototypes"]) == list(range(p))
print(n)
EOF
check predict_json 0 "$prle" predict $run --split test --explain 3 --format json
ok predict_json_sums bash -c "$py sums.py 3 8 <'$tmp/out' | grep -qx 100"
check predict_all 0 "$prle" predict $run --split test --explain 50 --format json
ok predict_all_listed bash -c "$py sums.py 50 8 <'$tmp/out' | grep -qx 100"
check predict_csv 0 "$prle" predict $run --split test --format csv
cp "$tmp/out" split.csv
ok predict_csv_rows [ "$(wc -l <split.csv)" -eq 101 ]
ok predict_csv_matches_run cmp -s split.csv $run/predictions_test.csv
check predict_csv_explain 0 "$prle" predict $run --split test --explain 2 --format csv
ok predict_csv_explain_rows [ "$(grep -c ',rest,' "$tmp/out")" -eq 100 ]
check predict_text 0 "$prle" predict $run --text "A man is playing a guitar." \
  --text2 "A man plays the guitar." --explain 2
contains predict_text out "= prediction"
contains predict_text out "rest (6 prototypes)"
check predict_text_json 0 "$prle" predict $run --text "A man is playing a guitar." \
  --text2 "A man plays the guitar." --explain 8 --format json
ok predict_text_sums bash -c "$py sums.py 8 8 <'$tmp/out' | grep -qx 1"
lacks predict_text_json out '"index":'"$(printf '%s' x)"
check predict_no_text2 2 "$prle" predict $run --text "only one"
contains predict_no_text2 err "--text2"
# new texts are encoded as training encoded them: a header CSV of the test rows, and the test
# file in the dataset's own format, give the split's predictions
$py - <<'EOF'
import csv
rows = [l.rstrip("\n").split("\t") for l in open("test.csv", encoding="utf-8")]
with open("inputs.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["sentence1", "sentence2", "label"])
    for r in rows: w.writerow([r[5], r[6], r[4]])
EOF
check predict_input 0 "$prle" predict $run --input inputs.csv --format csv
ok predict_input_same cmp -s "$tmp/out" split.csv
check predict_input_native 0 "$prle" predict $run --input test.csv --format csv
ok predict_native_same cmp -s "$tmp/out" split.csv
# one labelled row has no Pearson: the score line says why, not "nan"
head -n 2 inputs.csv >one_row.csv
check predict_one_row 0 "$prle" predict $run --input one_row.csv
contains predict_one_row err "1 labelled rows: pearson undefined (one row), mse"
# a header alone has no rows to predict, whatever the format (not an empty table, a CSV
# header or nothing, and exit 0), and nor has a .npy of shape (0, H): exit 2, one line naming
# the file, nothing on stdout
head -n 1 inputs.csv >no_rows.csv
cols=$("$py" - <<'EOF'
import struct
b = open("cache/small/test_embeds.npy", "rb").read()
h = b[10:10 + struct.unpack("<H", b[8:10])[0]].decode()
cols = int(h.split("'shape': (")[1].split(",")[1].strip(" )"))
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, %d), }" % cols
hdr += " " * (118 - len(hdr)) + "\n"
open("no_rows.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
print(cols)
EOF
)
for fmt in table csv json "csv --explain 2"; do
  # shellcheck disable=SC2086 # the format and its options as words
  check "predict_no_rows $fmt" 2 "$prle" predict $run --input no_rows.csv --format $fmt
  lines "predict_no_rows $fmt" err 1
  contains "predict_no_rows $fmt" err "prle: no_rows.csv: no data rows"
  empty "predict_no_rows $fmt out" out
  # shellcheck disable=SC2086
  check "predict_no_rows npy $fmt" 2 "$prle" predict $run --embeddings no_rows.npy --format $fmt
  lines "predict_no_rows npy $fmt" err 1
  contains "predict_no_rows npy $fmt" err "prle: no_rows.npy: no data rows (shape (0, $cols))"
  empty "predict_no_rows npy $fmt out" out
done
# every row as wide as the header: an unquoted comma in a text, or a missing field, is bad
# input naming its line, not a text cut short or a pair without its second text
printf 'sentence1,sentence2\nA man plays, a guitar.,A man plays music.\nA dog runs.\n' >ragged.csv
check predict_input_ragged 2 "$prle" predict $run --input ragged.csv
contains predict_input_ragged err "ragged.csv:2: expected 2 fields like the header, found 3"
lines predict_input_ragged err 1
# plain text: one pair per line, a tab between the two texts, no header and no labels: the
# split's predictions; a line without its tab is refused with its line number
$py - <<'EOF'
rows = [l.rstrip("\n").split("\t") for l in open("test.csv", encoding="utf-8")]
with open("inputs.txt", "w", encoding="utf-8") as f:
    f.writelines(f"{r[5]}\t{r[6]}\n" for r in rows)
with open("inputs_bad.txt", "w", encoding="utf-8") as f:
    f.write(f"{rows[0][5]}\t{rows[0][6]}\n{rows[1][5]}\n")
EOF
check predict_txt 0 "$prle" predict $run --input inputs.txt --format csv
cp "$tmp/out" txt_out.csv
check predict_txt_same 0 $py - txt_out.csv split.csv <<'EOF'
import csv, sys
got, want = (list(csv.reader(open(p)))[1:] for p in sys.argv[1:])
assert [r[2] for r in got] == [r[2] for r in want] and all(r[1] == "" for r in got), got[:3]
EOF
check predict_txt_bad 2 "$prle" predict $run --input inputs_bad.txt
contains predict_txt_bad err "inputs_bad.txt:2: missing text: no text2 (after a tab) in this row"
# inputs are predicted in chunks of 2048 rows: 45 copies of the test rows (more than two
# chunks) give the split's predictions in every copy (to float rounding), one header, indices
# in order; the explanations' predictions are the predictions, their lines sum to them
$py - <<'EOF'
import csv
rows = list(csv.reader(open("inputs.csv", encoding="utf-8")))
with open("many.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(rows[0])
    for _ in range(45): w.writerows(rows[1:])
EOF
check predict_chunks 0 "$prle" predict $run --input many.csv --format csv
cp "$tmp/out" many_out.csv
# a bad row past the first chunk: the output is held until every row was read, so nothing
# reaches stdout, from a file or a pipe alike
{ cat many.csv; printf '"never closed,x\n'; } >many_bad.csv
check predict_chunks_bad 2 "$prle" predict $run --input many_bad.csv --format csv
empty predict_chunks_bad_out out
matches predict_chunks_bad_err err "many_bad.csv:[0-9]+: unterminated quote"
check predict_chunks_bad_pipe 2 sh -c "cat many_bad.csv | '$prle' predict $run --input /dev/stdin --format csv"
empty predict_chunks_bad_pipe_out out
# and a good pipe gives every row, as the file does
check predict_chunks_pipe 0 sh -c "cat many.csv | '$prle' predict $run --input /dev/stdin --format csv"
ok predict_chunks_pipe_same cmp -s "$tmp/out" many_out.csv
check predict_chunks_explain 0 "$prle" predict $run --input many.csv --format csv --explain 2
cp "$tmp/out" many_explained.csv
check predict_chunks_same 0 $py - <<'EOF'
import csv
split = list(csv.reader(open("split.csv")))[1:]
out = list(csv.reader(open("many_out.csv")))
assert out[0] == ["index", "label", "prediction"] and len(out) == 1 + 45 * len(split), len(out)
for i, r in enumerate(out[1:]):  # the GEMM's rounding differs with the rows in a block: float sums, 5e-6
    want = split[i % len(split)]
    assert int(r[0]) == i and r[1] == want[1], (i, r, want)
    assert abs(float(r[2]) - float(want[2])) <= 5e-6 * max(1, abs(float(want[2]))), (i, r, want)
ex = list(csv.reader(open("many_explained.csv")))
assert ex[0][0] == "row" and sum(r[0] == "row" for r in ex) == 1
by_row = {}
for r in ex[1:]:
    by_row.setdefault(int(r[0]), []).append(r)
assert sorted(by_row) == list(range(45 * len(split)))
for i, lines in by_row.items():
    pred = float(lines[0][1])
    assert abs(pred - float(split[i % len(split)][2])) <= 5e-6 * max(1, abs(pred)), (i, pred)
    total = sum(float(l[-1]) for l in lines)
    assert abs(total - pred) <= 1e-4 * max(1, abs(pred)), (i, total, pred)
EOF
# split-conformal intervals: q is the ceil(101 * 0.9) = 91st smallest validation residual;
# the ends are clipped to the label range
check predict_interval 0 "$prle" predict $run --split test --interval 0.9 --format csv
cp "$tmp/err" scored.err
cat >interval.py <<'EOF'
import csv, json, math, sys
run, mode = sys.argv[1], sys.argv[2]
def scales(path):  # 1 + H / ln P from the weights of every prototype (--explain 50)
    out = []
    for line in open(path):
        w = [p["weight"] for p in json.loads(line)["prototypes"]]
        out.append(1 + -sum(x * math.log(x) for x in w if x > 0) / math.log(len(w)))
    return out
val = list(csv.DictReader(open(f"{run}/predictions_validation.csv")))
sv = scales("val_w.jsonl") if mode == "adaptive" else [1.0] * len(val)
r = sorted(abs(float(v["label"]) - float(v["prediction"])) / s for v, s in zip(val, sv))
q = r[math.ceil((len(r) + 1) * 0.9) - 1]
rows = list(csv.DictReader(open("interval.csv")))
st = scales("test_w.jsonl") if mode == "adaptive" else [1.0] * len(rows)
assert len(rows) == 100
clipped = 0
for x, s in zip(rows, st):  # every interval lies in the label range 0-5 (issue 17)
    p, lo, hi = float(x["prediction"]), float(x["lo"]), float(x["hi"])
    want_lo, want_hi = min(max(p - q * s, 0), 5), min(max(p + q * s, 0), 5)
    assert abs(hi - want_hi) < 1e-5 and abs(lo - want_lo) < 1e-5, (lo, hi, want_lo, want_hi)
    assert 0 <= lo <= hi <= 5, (lo, hi)
    clipped += want_lo != p - q * s or want_hi != p + q * s
assert clipped > 0, "no interval reaches past the label range: the clipping is not tested"
EOF
cp "$tmp/out" interval.csv
ok interval_width $py interval.py $run plain
# labelled rows are scored on a line at the end: the test split's metrics.json numbers, and the
# coverage of its intervals
check predict_scored 0 $py - "$run/metrics.json" scored.err <<'EOF'
import json, re, sys
t = json.load(open(sys.argv[1]))["splits"]["test"]["raw"]
line = open(sys.argv[2]).read()
m = re.search(r"prle: predict: 100 labelled rows: pearson (\S+), mse (\S+), mae (\S+) \(the labels' scale\); ([0-9.]+)% inside their 0.9 interval", line)
assert m, line
p, mse, mae = (float(m.group(i)) for i in (1, 2, 3))
assert abs(p - t["pearson"]) < 1e-4 and abs(mse - t["mse"]) < 1e-4 * t["mse"] and abs(mae - t["mae"]) < 1e-4 * t["mae"], (m.groups(), t)
EOF
"$prle" predict $run --split validation --explain 50 --format json >val_w.jsonl
"$prle" predict $run --split test --explain 50 --format json >test_w.jsonl
check predict_adaptive 0 "$prle" predict $run --split test --interval 0.9 --adaptive --format csv
cp "$tmp/out" interval.csv
ok adaptive_width $py interval.py $run adaptive
# a level the 100 validation rows are too few for (0.995: ceil(101 * 0.995) = 101 > 100): every
# interval is the label range 0-5, and a notice says how many rows it needs
check predict_level_too_high 0 "$prle" predict $run --split test --interval 0.995 --format csv
contains predict_level_too_high err "the run's 100 validation rows are too few for a narrower interval at this level (it needs 199)"
ok predict_level_range $py -c 'import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 100 and all(float(r["lo"]) == 0 and float(r["hi"]) == 5 for r in rows)' "$tmp/out"
check predict_bad_level 2 "$prle" predict $run --split test --interval 1.5
# labels beyond the run's range (another scale?) are scored, and counted
printf 'sentence1,sentence2,label\nA man plays.,A man plays music.,7\nA dog.,A cat.,1\n' >beyond.csv
check predict_beyond 0 "$prle" predict $run --input beyond.csv
contains predict_beyond err "prle: predict: 2 labelled rows"
contains predict_beyond err "; 1 of the labels lie outside the run's label range [0, 5]"
check predict_bad_input 2 "$prle" predict $run --input missing.csv
check predict_two_inputs 2 "$prle" predict $run --split test --text a
# a folder where a file belongs: bad input (exit 2) naming it, not a failed read (exit 1)
mkdir -p afolder
check predict_input_folder 2 "$prle" predict $run --input afolder
contains predict_input_folder err "afolder: is a folder, not a file"
check predict_npy_folder 2 "$prle" predict $run --embeddings afolder
contains predict_npy_folder err "afolder: is a folder, not a file"
check run_config_folder 2 "$prle" run afolder
contains run_config_folder err "afolder: is a folder, not a file"
# a file where a folder belongs is bad input (exit 2), as a folder where a file belongs is
touch afile
check cache_dir_file 2 "$prle" embed small.yaml data.embedding_cache_dir=afile
contains cache_dir_file err "afile: exists and is not a folder"
check output_dir_file 2 "$prle" run small.yaml "${fast[@]}" train.output_dir=afile/runs \
  --no-analyze --no-report
# --out into a symbolic link replaces its target and keeps the link; into a FIFO (or a device
# such as /dev/stdout) it writes in place instead of renaming a file over it; a folder is bad
echo old >target.html && ln -s target.html link.html
check out_link 0 "$prle" report $run --out link.html
ok out_link_kept [ -L link.html ] && ok out_link_target grep -q "<html" target.html
# the reader opens the pipe under a time limit: if prle report failed before opening it, the
# test goes on instead of waiting for a writer forever
mkfifo pipe.html && { timeout 120 sh -c 'cat <pipe.html >pipe.txt' & }
check out_fifo 0 "$prle" report $run --out pipe.html
wait
ok out_fifo_kept [ -p pipe.html ] && ok out_fifo_read grep -q "<!DOCTYPE html>" pipe.txt
check out_folder 2 "$prle" report $run --out afolder
contains out_folder err "afolder: is a folder, not a file"
# a run that fails on its data leaves no output folder it created behind
check failed_run_folders 2 "$prle" run small.yaml "${fast[@]}" train.output_dir=new/deeper/runs \
  data.label_field=nosuch --no-analyze --no-report
ok failed_run_folders_gone [ ! -e new ]
# output that cannot be written (a full disk) is a failure, not exit 0 with nothing written
if [ -w /dev/full ]; then
  for c in "predict $run --split test --format csv" "eval $run --json --no-write"; do
    # shellcheck disable=SC2086 # the words of a command line
    "$prle" $c >/dev/full 2>"$tmp/err"
    ok "full_${c%% *}" [ $? -eq 1 ]
    contains "full_${c%% *}_message" err "prle: writing to standard output failed: No space left on device"
  done
fi
check predict_bad_format 2 "$prle" predict $run --split test --format xml
check predict_explain_huge 2 "$prle" predict $run --split test --explain 99999999999999999999
contains predict_explain_huge err "--explain 99999999999999999999: too large"
check predict_explain_zero 2 "$prle" predict $run --split test --explain 0
contains predict_explain_zero err "expected a count >= 1"

# ---- a changed byte: the marker's sha256 stops eval before it rewrites anything (issue 13) -----
cp -r $run flipped
$py - <<'EOF'
b = bytearray(open("flipped/model.safetensors", "rb").read())
b[-5] ^= 0x40 # one float of the last tensor
open("flipped/model.safetensors", "wb").write(b)
EOF
metrics_before=$(sha256sum flipped/metrics.json)
check flipped_eval 2 "$prle" eval flipped
lines flipped_eval err 1
contains flipped_eval err "flipped/model.safetensors: its sha256 is not the one .prle-run records"
ok flipped_metrics_kept [ "$(sha256sum flipped/metrics.json)" = "$metrics_before" ]
check flipped_predict 2 "$prle" predict flipped --split test
cp $run/model.safetensors flipped/model.safetensors
$py - <<'EOF'
b = bytearray(open("flipped/kernel.safetensors", "rb").read())
b[-5] ^= 0x40
open("flipped/kernel.safetensors", "wb").write(b)
EOF
check flipped_reuse 0 "$prle" run small.yaml "${fast[@]}" train.output_dir=. logging.run_name=flipped \
  --no-analyze --no-report
contains flipped_reuse out "trained (the saved kernel is not used: "
contains flipped_reuse out "flipped/kernel.safetensors: its sha256 is not the one"
ok run_marker_records grep -q '"kernel.safetensors"' $run/.prle-run
# a marker that is not the one prle run writes does not switch the checks off; the text marker
# of the runs before the checksums still reads as one
cp -r $run marked
echo '<html>' >marked/.prle-run
check marker_damaged 2 "$prle" predict marked --split test
contains marker_damaged err "marked/.prle-run: not the marker prle run writes"
echo '{"format": "prle-run"}' >marked/.prle-run
check marker_no_files 2 "$prle" predict marked --split test
printf 'PRLE run folder. prle run replaces this folder only because this file is here.\n' \
  >marked/.prle-run
check marker_text 0 "$prle" predict marked --split test

# ---- --out never overwrites what the command reads or a run's files; a missing folder is
# ---- refused before any work
cp $run/config.yaml cfg_before
check report_out_run_file 2 "$prle" report $run --out $run/config.yaml
contains report_out_run_file err "lies in the run folder"
ok report_out_kept cmp -s $run/config.yaml cfg_before
check report_out_subdir 2 "$prle" report $run --out $run/value/r.html
check report_out_nodir 2 "$prle" report $run --out nodir/r.html
contains report_out_nodir err "its folder nodir does not exist"
check report_out_own 0 "$prle" -q report $run --out $run/report.html
cp small.yaml small_copy.yaml
check baselines_out_config 2 "$prle" -q baselines small_copy.yaml --models ridge --out small_copy.yaml
contains baselines_out_config err "--out small_copy.yaml is small_copy.yaml, which this command reads"
ok baselines_config_kept cmp -s small.yaml small_copy.yaml
check baselines_out_nodir 2 "$prle" -q baselines small.yaml --models ridge --out nodir/b.json
check baselines_out_cache 2 "$prle" -q baselines small.yaml --models ridge --out cache/small/b.json
contains baselines_out_cache err "lies in the embedding cache"

# ---- bad input: exit 2, one line naming the file ------------------------------------------------
cp -r $run broken
rm broken/.prle-run # a run from before the marker: the files' own checks below
head -c 3000 $run/model.safetensors >broken/model.safetensors
check truncated 2 "$prle" predict broken --split test
lines truncated err 1
contains truncated err "model.safetensors"
check truncated_eval 2 "$prle" eval broken
contains truncated_eval err "model.safetensors"
cp $run/model.safetensors broken/model.safetensors
sed -i 's/"version":"1"/"version":"9"/' broken/model.safetensors
check other_version 2 "$prle" eval broken
lines other_version err 1
contains other_version err "model.safetensors"
contains other_version err "version"
cp $run/model.safetensors broken/model.safetensors
sed -i 's/"version": 1,/"version": 7,/' broken/metrics.json
check other_metrics_version 2 "$prle" predict broken --split test
contains other_metrics_version err "metrics.json"
check not_a_run 2 "$prle" eval cache

# a config whose kernel differs from the saved one when it must be used (no kernel stage to
# train one): an error naming what differs, the old folder intact (with a kernel stage it
# retrains: arch_changed above)
cp $run/model.safetensors model.before
check kernel_type 2 "$prle" run small.yaml "${fast[@]}" kernel.projection_type=linear \
  'pipeline.stages=[experts]' --no-analyze
lines kernel_type err 1
contains kernel_type err "$tmp/runs/small/kernel.safetensors: projection type is resmlp, the config says linear"
contains kernel_type err "pipeline.stages has no kernel stage"
ok kernel_type_old_kept cmp -s model.before $run/model.safetensors
# a centering flip does not get past another architecture either
check kernel_type_center 2 "$prle" run small.yaml "${fast[@]}" kernel.projection_type=linear \
  kernel.center_inputs=true 'pipeline.stages=[experts]' --no-analyze
contains kernel_type_center err "projection type is resmlp, the config says linear"
ok kernel_type_no_tmp [ -z "$(ls -A runs | grep '^\.')" ]
check kernel_type_fresh 0 "$prle" -q run small.yaml "${fast[@]}" kernel.projection_type=linear \
  pipeline.reuse_kernel=false logging.run_name=lin --no-analyze --no-report
check experts_only_none 2 "$prle" run small.yaml "${fast[@]}" 'pipeline.stages=[experts]' \
  logging.run_name=nokernel --no-analyze --no-report
contains experts_only_none err "no saved kernel"
lacks experts_only_none out "embed" # refused before the embedding, not after it

# NaN in precomputed embeddings: an error naming the file and the row
mkdir -p npyin
cp cache/small/validation_embeds.npy cache/small/test_embeds.npy npyin/
$py - <<'EOF'
# the standard library only (CI machines have python3, not numpy): .npy v1 is a 10-byte
# preamble, a header of the little-endian u16 length it gives, then C-order <f4 rows
import ast, struct
b = bytearray(open("cache/small/train_embeds.npy", "rb").read())
hlen = struct.unpack("<H", b[8:10])[0]
hdr = ast.literal_eval(b[10:10 + hlen].decode("latin1"))
assert b[6] == 1 and hdr["descr"] == "<f4" and not hdr["fortran_order"], hdr
off = 10 + hlen + 4 * (41 * hdr["shape"][1] + 3)
b[off:off + 4] = struct.pack("<f", float("nan"))
open("npyin/train_embeds.npy", "wb").write(b)
EOF
check nan_row 2 "$prle" run small.yaml "${fast[@]}" model.encoder_type=npy \
  data.embedding_cache_dir=npyin logging.run_name=nan --no-analyze --no-report
lines nan_row err 1
contains nan_row err "npyin/train_embeds.npy: row 41 (0-based), column 3 is nan"
check nan_row_embed 2 "$prle" embed small.yaml model.encoder_type=npy data.embedding_cache_dir=npyin
contains nan_row_embed err "npyin/train_embeds.npy: row 41 (0-based), column 3 is nan"
# every training row the same vector (gguf's cls pooling on a decoder-only model): refused
# before the kernel trains, not NaN metrics
mkdir -p npysame
cp cache/small/validation_embeds.npy cache/small/test_embeds.npy npysame/
$py - <<'EOF'
import ast, struct
b = bytearray(open("cache/small/train_embeds.npy", "rb").read())
hlen = struct.unpack("<H", b[8:10])[0]
hdr = ast.literal_eval(b[10:10 + hlen].decode("latin1"))
n, d = hdr["shape"]
row = b[10 + hlen:10 + hlen + 4 * d]
open("npysame/train_embeds.npy", "wb").write(b[:10 + hlen] + row * n)
EOF
check same_rows 2 "$prle" run small.yaml "${fast[@]}" model.encoder_type=npy \
  data.embedding_cache_dir=npysame logging.run_name=same --no-analyze --no-report
lines same_rows err 1
matches same_rows err "all [0-9]+ training texts have the same embedding \(encoder npy\)"
ok same_rows_no_folder [ ! -e runs/same ]

# ---- --embeddings: new rows' retrieval embeddings made elsewhere (issue 14, item 5) ----------
check emb_split 0 "$prle" predict $run --split test --format csv
cut -d, -f3 "$tmp/out" >want.txt
check emb_npy 0 "$prle" predict $run --embeddings cache/small/test_embeds.npy --format csv
cut -d, -f3 "$tmp/out" >got.txt
ok emb_same_predictions cmp -s want.txt got.txt
check emb_explain 0 "$prle" predict $run --embeddings cache/small/test_embeds.npy --explain 2
contains emb_explain out "= prediction"
check emb_nan 2 "$prle" predict $run --embeddings npyin/train_embeds.npy
contains emb_nan err "npyin/train_embeds.npy: row 41 (0-based), column 3 is nan"
$py - <<'EOF'
import struct
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
hdr += " " * (64 - 10 - len(hdr) - 1) + "\n"
open("narrow.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) +
                                hdr.encode() + struct.pack("<6f", *range(6)))
EOF
check emb_width 2 "$prle" predict $run --embeddings narrow.npy
contains emb_width err "narrow.npy: rows are 3 wide, the run's kernel takes"
check emb_two_inputs 2 "$prle" predict $run --embeddings narrow.npy --split test
contains emb_two_inputs err "give one of --text, --input, --embeddings or --split"
$py - <<'EOF'
import ast, struct
b = open("cache/small/test_embeds.npy", "rb").read()
d = ast.literal_eval(b[10:10 + struct.unpack("<H", b[8:10])[0]].decode("latin1"))["shape"][1]
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % d
hdr += " " * (64 - 10 - len(hdr) - 1) + "\n"
open("flat.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) +
                              hdr.encode() + bytes(4 * d))
EOF
check emb_flat 2 "$prle" predict $run --embeddings flat.npy
matches emb_flat err "flat.npy: a 1-D array of shape \([0-9]+,\), where rows of shape \(n, [0-9]+\)"
check predict_twice 2 "$prle" predict $run --text a --text2 b --text c
contains predict_twice err "predict: --text is given twice"
check split_twice 2 "$prle" predict $run --split test --split validation
check quiet_verbose 2 "$prle" -q -v version
contains quiet_verbose err "-q and -v ask for opposite things"
check version_extra 2 "$prle" version extra

# a copied run folder whose data files are gone: eval says what it needs, predict works
# (issue 14, item 4; tests/cli/moved.sh has the rest)
cp -r $run moved && mv train.csv train.csv.away
check moved_eval 2 "$prle" eval moved
lines moved_eval err 1
contains moved_eval err "moved: eval (with the labels of every split) needs the run's dataset"
contains moved_eval err "train.csv"
check moved_predict 0 "$prle" predict moved --text "A man is playing a flute." \
  --text2 "A man plays the flute." --explain 2
mv train.csv.away train.csv

# a split of one row has its MSE and no Pearson: the evaluate line says so (metrics.json:
# tests/cli/one_row.sh), and the explanations' header counts the prototypes there are
mkdir tiny && cd tiny || exit 1
pairs_tsvs 6 1 1
small_yaml tiny model.num_prototypes=25 train.output_dir=runs
check tiny 0 "$prle" run small.yaml --no-analyze --no-report
matches tiny out "^evaluate .* validation mse [0-9.e+-]+ \\(1 row: pearson undefined\\), test mse [0-9.e+-]+ \\(1 row: pearson undefined\\)$"
contains tiny out "explained test predictions (all 3 prototypes):"
matches tiny out "^experts .* 3 prototypes \\(k-medoids\\)"
lacks tiny out "repeat a training"
contains tiny err "prle: warning: the validation split has only 1 row: the kernel's and the experts' kept epochs"
check tiny_eval 0 "$prle" eval runs/small --no-write
matches tiny_eval out "^test +1 row: r2, pearson, spearman and kendall undefined \\(they need 2\\)$"
# no validation rows at all: said once, before the kernel trains, and that nothing stops the
# fits early (data.file cut 90 / 0 / 10)
pairs_tsvs 40 0 0
check no_val 0 "$prle" run small.yaml data.files.train=null data.files.validation=null \
  data.files.test=null data.file=train.tsv \
  'data.split.ratios=[0.9, 0, 0.1]' data.embedding_cache_dir=cache/noval \
  logging.run_name=noval kernel.max_epochs=2 train.max_epochs=2 --no-analyze --no-report
contains no_val err "the validation split has 0 rows"
matches no_val out "^data .*36 / 0 / 4 rows; [0-9]+ of 4 test rows repeat a training pair$"
contains no_val err "nothing stops the kernel and the experts early"
lines no_val err 1
cd .. || exit 1
finish
