#!/usr/bin/env bash
# The neighbour term through a run folder: a synthetic set (precomputed .npy inputs, encoder_type
# npy) whose labels follow which of 60 directions a row points in, more than 25 local experts
# tell apart, so `prle run` keeps the term. Its line and file; prle eval, prle predict on the
# split and on the same rows as --embeddings give the run's numbers; explanations carry the
# term and still sum; a copy of the folder without the data still gives intervals (the
# validation column is in the file); a missing or changed neighbours.safetensors is an error
# naming it, and so is a changed input file where the training rows' column needs it. Writes
# the .npy files with the standard library (no NumPy).
# Usage: neighbours.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3

mkdir -p emb
npy_py - <<'EOF'
import random
import npy_split
rng = random.Random(12)
dirs = [[rng.gauss(0, 1) for _ in range(6)] for _ in range(60)]
value = [rng.gauss(0, 1) for _ in range(60)]
for split, n in (("train", 800), ("validation", 200), ("test", 200)):
    rows, labels = [], []
    for i in range(n):
        g = rng.randrange(60)
        rows.append([d + 0.3 * rng.gauss(0, 1) + 3 for d in dirs[g]])
        labels.append(value[g] + 0.1 * rng.gauss(0, 1))
    npy_split.write(split, rows, labels)
EOF
npy_yaml nb.yaml directions
run=runs/directions

check run 0 "$prle" run nb.yaml --no-analyze --no-report
matches run out "^evaluate .*; the (5|10|20|50) nearest training rows \((uniform|1/distance)\) weigh [01]\.[0-9]{2} in each prediction \(validation MSE [0-9.]+ % lower\)$"
ok file [ -s "$run/neighbours.safetensors" ]
matches run out "^test +raw +200 "

# metrics.json names the term, with the weight the explanations carry; the report says so
check metrics 0 "$py" - <<'EOF'
import json
m = json.load(open("runs/directions/metrics.json"))["neighbours"]
assert m["features"] == "retrieval" and m["metric"] == "cosine" and m["k"] in (5, 10, 20, 50)
assert m["weights"] in ("uniform", "distance") and 0 < m["weight"] <= 1, m
assert 0.01 <= m["validation_mse_gain"] < 1, m
EOF
check report 0 "$prle" report $run
contains report $run/report.html "Neighbour term (model.neighbours): every prototype"
contains report_rows $run/report.html "Neighbour term: every local prediction above is"
check explain_train 0 "$prle" predict $run --split train --explain 1 --format json
lacks explain_train out '"rows"' # the run keeps no rows of its training split

# prle eval: the numbers of metrics.json
cp "$run/metrics.json" metrics_run.json
check eval 0 "$prle" eval $run
ok eval_same_metrics cmp -s metrics_run.json "$run/metrics.json"

# predict on the split, and on the same rows as embeddings, give the run's predictions
check predict_split 0 "$prle" predict $run --split test --format csv
ok predict_split_same cmp -s "$tmp/out" $run/predictions_test.csv
check predict_emb 0 "$prle" predict $run --embeddings emb/test_embeds.npy --format csv
cp "$tmp/out" emb_out.csv
check predict_emb_same 0 "$py" - <<'EOF'
import csv
a = list(csv.reader(open("emb_out.csv")))[1:]
b = list(csv.reader(open("runs/directions/predictions_test.csv")))[1:]
assert len(a) == len(b) == 200
for x, y in zip(a, b):  # the GEMM's rounding differs with the rows in a block
    assert abs(float(x[2]) - float(y[2])) <= 5e-6 * max(1, abs(float(y[2]))), (x, y)
EOF

# explanations carry the term (its weight, the neighbours' prediction) and still sum
check explain 0 "$prle" predict $run --split test --explain 3 --format json
cp "$tmp/out" explained.jsonl
check explain_sums 0 "$py" - <<'EOF'
import json
rows = [json.loads(l) for l in open("explained.jsonl")]
assert len(rows) == 200
for r in rows:
    s = sum(x["contribution"] for x in r["prototypes"]) + r["rest"]["contribution"]
    assert abs(s - r["prediction"]) < 1e-4, (s, r["prediction"])
    nb = r["neighbours"]
    assert 0 < nb["weight"] <= 1 and isinstance(nb["prediction"], float), nb
assert len({r["neighbours"]["weight"] for r in rows}) == 1
m = json.load(open("runs/directions/metrics.json"))["neighbours"]
assert rows[0]["neighbours"]["weight"] == m["weight"], (rows[0]["neighbours"], m)
EOF
# on new inputs (here their embeddings) the explanation names the k training rows, with the
# labels of train.csv, whose prediction it is (between their smallest and largest label; their
# mean with uniform weights)
check explain_rows 0 "$prle" predict $run --embeddings emb/test_embeds.npy --explain 2 --format json
cp "$tmp/out" explained_rows.jsonl
check explain_rows_labels 0 "$py" - <<'EOF'
import csv, json
train = [float(r["label"]) for r in csv.DictReader(open("train.csv"))]
m = json.load(open("runs/directions/metrics.json"))["neighbours"]
rows = [json.loads(l) for l in open("explained_rows.jsonl")]
assert len(rows) == 200
for r in rows:
    nb = r["neighbours"]
    assert len(nb["rows"]) == m["k"], nb
    labels = [x["label"] for x in nb["rows"]]
    for x in nb["rows"]:
        assert 0 <= x["index"] < 800 and abs(x["label"] - train[x["index"]]) < 1e-5, x
    assert min(labels) - 1e-4 <= nb["prediction"] <= max(labels) + 1e-4, nb
    if m["weights"] == "uniform":
        assert abs(sum(labels) / len(labels) - nb["prediction"]) < 1e-4, nb
# --split names the rows the run kept for its test split: the same as those of the embeddings
split = [json.loads(l) for l in open("explained.jsonl")]
for a, b in zip(rows, split):
    assert abs(a["neighbours"]["prediction"] - b["neighbours"]["prediction"]) < 1e-4
    assert [x["index"] for x in a["neighbours"]["rows"]] == \
        [x["index"] for x in b["neighbours"]["rows"]], (a["neighbours"], b["neighbours"])
# explanations_test.json too
ex = json.load(open("runs/directions/explanations_test.json"))["rows"]
assert ex and all(len(r["neighbours"]["rows"]) == m["k"] for r in ex)
for r in ex:
    assert r["neighbours"]["rows"] == split[r["index"]]["neighbours"]["rows"], r["index"]
EOF
check explain_rows_text 0 "$prle" predict $run --embeddings emb/test_embeds.npy --explain 2
matches explain_rows_text out "^  those rows, nearest first \(train row, label\): [0-9]+ \(-?[0-9.e+-]+\)"
check explain_text 0 "$prle" predict $run --split test --explain 2
matches explain_text out "^  each local prediction is 0\.[0-9]{2} x its expert \+ [01]\.[0-9]{2} x -?[0-9.]+, the nearest training rows' prediction$"

# a copy without the data: intervals from the validation column the file keeps
cp -r $run moved
mkdir gone && mv train.csv validation.csv test.csv gone/
check moved_interval 0 "$prle" predict moved --embeddings emb/test_embeds.npy --interval 0.9 \
  --format csv
ok moved_interval_rows [ "$(wc -l <"$tmp/out")" -eq 201 ]
mv gone/*.csv .

# the file missing, or changed: errors naming it
mv $run/neighbours.safetensors nb.keep
check missing 2 "$prle" predict $run --split test
contains missing err "neighbours.safetensors"
cp nb.keep $run/neighbours.safetensors
printf 'x' >>$run/neighbours.safetensors
check changed 2 "$prle" predict $run --split test
contains changed err "neighbours.safetensors"
mv nb.keep $run/neighbours.safetensors
check restored 0 "$prle" predict $run --split test --format csv
ok restored_same cmp -s "$tmp/out" $run/predictions_test.csv

# the training rows' column is computed from the embeddings again: refused once their file
# changed (the test rows' column is kept in the file)
cp emb/train_embeds.npy train_embeds.keep
printf '\0' >>emb/train_embeds.npy
check train_changed 2 "$prle" predict $run --split train
contains train_changed err "the neighbour column of a split needs the run's embeddings, and"
contains train_changed err "emb/train_embeds.npy is not the file of train embeddings it was made from"
check test_kept 0 "$prle" predict $run --split test --format csv
mv train_embeds.keep emb/train_embeds.npy
check train_restored 0 "$prle" predict $run --split train

# model.neighbours=false: no term, no file
check off 0 "$prle" run nb.yaml --no-analyze --no-report model.neighbours=false logging.run_name=off
lacks off out "nearest training rows"
ok off_no_file [ ! -e runs/off/neighbours.safetensors ]
finish
