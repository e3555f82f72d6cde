#!/usr/bin/env bash
# A test split of one row (precomputed .npy inputs, encoder_type npy) has its metrics.json entry:
# n 1, the MSE, RMSE and MAE of its one prediction (predictions_test.csv) on both scales, and
# r2, pearson, spearman, kendall null; the ridge yardstick's test entry likewise. prle eval gives
# the same entry (--json) and prints "-" for the null ones with a line saying why; the report
# shows the row with a note. Writes the .npy files with the standard library (no NumPy).
# Usage: one_row.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3

mkdir -p emb
npy_py - <<'EOF'
import random
import npy_split
rng = random.Random(3)
for split, n in (("train", 60), ("validation", 20), ("test", 1)):
    rows = [[rng.gauss(0, 1) for _ in range(4)] for _ in range(n)]
    npy_split.write(split, rows, [r[0] + 0.1 * rng.gauss(0, 1) for r in rows])
EOF
npy_yaml one.yaml one
run=runs/one

check run 0 "$prle" run one.yaml --no-analyze
matches run out "^evaluate .*, test mse [0-9.e+-]+ \(1 row: pearson undefined\)(;.*)?$"
cat >entry.py <<'EOF'
# entry.py METRICS_JSON: the 1-row test entry against predictions_test.csv, by hand
import csv, json, math, sys
m = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open("runs/one/predictions_test.csv")))
assert len(rows) == 1, rows
y, p = float(rows[0]["label"]), float(rows[0]["prediction"])
span = m["label_max"] - m["label_min"]
t = m["splits"]["test"]
assert t["n"] == 1, t
for scale, k in (("raw", 1.0), ("unit", 1.0 / span)):
    e = abs(y - p) * k
    got = t[scale]
    assert math.isclose(got["mse"], e * e, rel_tol=1e-6), (scale, got, e)
    assert math.isclose(got["rmse"], e, rel_tol=1e-6) and math.isclose(got["mae"], e, rel_tol=1e-6), (scale, got, e)
    assert got["mse"] > 0, got
    for key in ("r2", "pearson", "spearman", "kendall"):
        assert key in got and got[key] is None, (scale, key, got)
assert 0 < t["weights"]["top1"] <= 1, t
v = m["splits"]["validation"]  # 20 rows: every metric
assert v["n"] == 20 and all(isinstance(v["raw"][k], float) for k in ("r2", "pearson")), v
r = m["ridge"]["splits"]["test"]
assert r["n"] == 1 and r["raw"]["mse"] > 0 and r["raw"]["pearson"] is None, r
EOF
check metrics 0 "$py" entry.py $run/metrics.json
cp $run/metrics.json metrics_run.json

# prle eval: the same entry, "-" where null, and why
check eval 0 "$prle" eval $run
ok eval_same cmp -s metrics_run.json $run/metrics.json
matches eval out "^test +raw +1 +[0-9.e+-]+ +[0-9.e+-]+ +[0-9.e+-]+ +- +- +- +-$"
matches eval out "^test +0-1 +1 +[0-9.e+-]+ +[0-9.e+-]+ +[0-9.e+-]+ +- +- +- +-$"
contains eval out "test       1 row: r2, pearson, spearman and kendall undefined (they need 2)"
contains eval out "ridge   test       pearson -, mse "
lacks eval out "nan"
check eval_json 0 "$prle" eval $run --json --no-write
cp "$tmp/out" eval.json
check eval_json_entry 0 "$py" entry.py eval.json

# the report: the row, a dash for each null, and the note
check report 0 "$prle" report $run
contains report $run/report.html '<tr><td class="l">test</td><td>1</td><td>'
matches report $run/report.html '<td class="l">test</td><td>1</td>(<td>[0-9.e-]+</td>){3}(<td>—</td>){4}</tr>'
contains report $run/report.html "A split of 1 row has its MSE, RMSE and MAE"
finish
