#!/usr/bin/env bash
# train.refit: the run fitted again on train + validation with validation's choices frozen
# scores validation, and calibrates its intervals, by the first fit (heldout.safetensors):
# metrics.json's validation entry, predictions_validation.csv and prle eval's validation
# line and interval q are those of the same run without the refit; its test rows come from the
# refit (predictions_test.csv differs, and prle predict on the test embeddings gives it); a
# rerun does not reuse the refitted kernel. Precomputed .npy inputs (encoder_type npy), 6
# columns, y = 3 sin(2 x0) + x1^2 + noise; the neighbour term off, so that the refit runs.
# Usage: refit.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3

mkdir -p emb
npy_py - <<'EOF'
import math
import random
import npy_split
rng = random.Random(5)
for split, n in (("train", 300), ("validation", 60), ("test", 80)):
    rows = [[rng.uniform(-1, 1) for _ in range(6)] for _ in range(n)]
    npy_split.write(split, rows, [3 * math.sin(2 * r[0]) + r[1] ** 2 + 0.1 * rng.gauss(0, 1)
                                  for r in rows])
EOF
npy_yaml r.yaml plain
check plain 0 "$prle" run r.yaml --no-analyze --no-report model.neighbours=false
check refit 0 "$prle" run r.yaml model.neighbours=false train.refit=true logging.run_name=refit
matches refit_line out "^evaluate .*; test by the refit on train \+ validation \(360 rows\)$"
ok heldout_file test -f runs/refit/heldout.safetensors
ok heldout_none test ! -e runs/plain/heldout.safetensors
contains heldout_recorded runs/refit/.prle-run '"heldout.safetensors"'
ok analysis_ran test -s runs/refit/analysis.json
ok same_validation_predictions cmp -s runs/plain/predictions_validation.csv \
  runs/refit/predictions_validation.csv
if cmp -s runs/plain/predictions_test.csv runs/refit/predictions_test.csv; then
  fail "other_test_predictions: the refit's test predictions are the plain run's"
else pass; fi
check same_validation_metrics 0 "$py" - <<'EOF'
import json
a, b = (json.load(open(f"runs/{r}/metrics.json")) for r in ("plain", "refit"))
assert a["splits"]["validation"] == b["splits"]["validation"], (a, b)
assert a["splits"]["test"] != b["splits"]["test"]
for x, y in zip(a["intervals"], b["intervals"]):  # calibrated on the same residuals
    assert x["q"] == y["q"] and x["validation"] == y["validation"], (x, y)
EOF

# prle eval: the validation line and the intervals' q of the first fit, metrics.json untouched
check eval_plain 0 "$prle" eval runs/plain
grep -E "^(validation|interval)" "$tmp/out" | sed 's/; test .*//' >plain_eval.txt
cp runs/refit/metrics.json metrics_refit.json
check eval_refit 0 "$prle" eval runs/refit
grep -E "^(validation|interval)" "$tmp/out" | sed 's/; test .*//' >refit_eval.txt
ok eval_validation_same cmp -s plain_eval.txt refit_eval.txt
lines eval_validation_lines plain_eval.txt 4
ok eval_keeps_metrics cmp -s metrics_refit.json runs/refit/metrics.json

# the saved model is the refit's: predict on the test embeddings gives predictions_test.csv
check predict_emb 0 "$prle" predict runs/refit --embeddings emb/test_embeds.npy --format csv
cp "$tmp/out" emb_out.csv
check predict_same 0 "$py" - <<'EOF'
import csv
a = list(csv.reader(open("emb_out.csv")))[1:]
b = list(csv.reader(open("runs/refit/predictions_test.csv")))[1:]
assert len(a) == len(b) == 80
for x, y in zip(a, b):  # the GEMM's rounding differs with the rows in a block
    assert abs(float(x[2]) - float(y[2])) <= 5e-6 * max(1, abs(float(y[2]))), (x, y)
EOF

# a rerun trains its own first kernel: the saved one learnt from the validation rows
check rerun 0 "$prle" run r.yaml model.neighbours=false train.refit=true logging.run_name=refit \
  --no-analyze --no-report
contains rerun_kernel out "was refitted on train + validation, train.refit)"
check rerun_same 0 "$py" - <<'EOF'
import json
b = json.load(open("runs/refit/metrics.json"))
c = json.load(open("metrics_refit.json"))
assert b["splits"] == c["splits"], (b, c)
EOF
finish
