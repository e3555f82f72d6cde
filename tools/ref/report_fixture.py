#!/usr/bin/python3
"""Writes tests/data/report_run/: a small run folder exactly per docs/run-folder.md, the fixture
of tests/test_report.c and tests/browser/report.sh. Standard library only; deterministic.

Usage: /usr/bin/python3 tools/ref/report_fixture.py [OUT_DIR]   (default tests/data/report_run)

Texts carry <, >, &, both quotes, a URL and non-ASCII letters so that the report's escaping is
tested; metric values are chosen to be recognisable after "%.4f" formatting."""
import json
import math
import os
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "tests", "data", "report_run")
os.makedirs(out, exist_ok=True)
rng = random.Random(20240611)


def dump(name, obj):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


with open(os.path.join(out, "config.yaml"), "w") as f:
    f.write("""# a report fixture: the keys the report shows; the loader fills the rest
data:
  name: "fixture-pairs"
  label_min: 0
  label_max: 5
model:
  encoder_type: hashing
  hidden_dim: 64
  num_prototypes: 4
  gating_strategy: softmax
  tau_init: 2.5
  type: linear
train:
  max_epochs: 4
  seed: 7
  threads: 2
kernel:
  projection_type: resmlp
  max_epochs: 3
logging:
  run_name: "report-fixture"
""")


def mset(mse, mae, r2, p, s, k, scale=1.0):
    return {"mse": mse * scale * scale, "rmse": math.sqrt(mse) * scale, "mae": mae * scale,
            "r2": r2, "pearson": p, "spearman": s, "kendall": k}


U = 1 / 5.0  # raw -> unit
dump("metrics.json", {
    "format": "prle-metrics", "version": 1, "label_min": 0, "label_max": 5,
    "splits": {
        "validation": {"n": 10, "raw": mset(0.5432109, 0.5123, 0.7012, 0.8401, 0.8302, 0.6603),
                       "unit": mset(0.5432109, 0.5123, 0.7012, 0.8401, 0.8302, 0.6603, U)},
        "test": {"n": 10, "raw": mset(0.6123456, 0.6012, 0.6543, 0.8765432, 0.8554321, 0.6789012),
                 "unit": mset(0.6123456, 0.6012, 0.6543, 0.8765432, 0.8554321, 0.6789012, U)},
    },
    "intervals": [
        {"method": "plain", "level": 0.9, "q": 1.5, "n_calib": 10,
         "validation": {"n": 10, "folds": 10, "coverage": 0.9, "mean_width": 2.6543},
         "test": {"n": 10, "coverage": 0.8, "mean_width": 2.4321}},
        {"method": "adaptive", "level": 0.9, "q": 1.1234, "n_calib": 10,
         "validation": {"n": 10, "folds": 10, "coverage": 1.0, "mean_width": 2.9876},
         "test": {"n": 10, "coverage": 0.9, "mean_width": 2.8765}}]})

dump("dataset.json", {"format": "prle-run-dataset", "version": 1, "name": "fixture-pairs",
                      "n_texts": 2, "label_min": 0, "label_max": 5, "n_rows": [40, 10, 10],
                      "validation_labels": [0.5, 1.5, 2.5, 3.5, 4.5, 0.2, 1.2, 2.2, 3.2, 4.2]})

# ten test rows: (label, prediction, top slot, top weight); the plain interval q = 1.5,
# clipped to [0, 5]; rows 3 (|error| 2.0) and 6 (1.9) fall outside theirs: coverage 0.8
test_rows = [(0.2, 0.9, 3, 0.91), (1.0, 1.3, 2, 0.55), (2.4, 2.1, 1, 0.72), (4.8, 2.8, 0, 0.38),
             (3.6, 3.26, 0, 0.5), (0.6, 0.1, 3, 0.99), (1.1, 3.0, 2, 0.61), (2.9, 3.1, 1, 0.83),
             (4.4, 4.9, 0, 0.97), (3.3, 2.5, 1, 0.45)]
dump("rows_test.json", {
    "format": "prle-test-rows", "version": 1, "split": "test", "interval": "plain",
    "level": 0.9, "q": 1.5,
    "rows": [{"index": i, "label": y, "prediction": p, "lo": round(max(p - 1.5, 0), 6),
              "hi": round(min(p + 1.5, 5), 6), "top_slot": s, "top_weight": w,
              "text": "Row %d says <%s> & more" % (i, "a" * i), "text2": "Row %d's pair" % i}
             for i, (y, p, s, w) in enumerate(test_rows)]})

dump("kernel_report.json", {
    "split": "train", "pairs": 50000, "distance": "euclidean between L2-normalised rows",
    "seed": 7,
    "retrieval": {"pearson": 0.0312, "spearman": 0.0287},
    "value": {"pearson": 0.6496, "spearman": 0.5827},
    "kernel": {"type": "resmlp", "in_dim": 64, "out_dim": 64, "hidden_dim": 64,
               "n_params": 8320, "kept_epoch": 3},
    "epochs": [{"epoch": e, "loss": 0.05 / e, "loss_pair": 0.06 / e, "loss_triplet": 0.0,
                "loss_uniform": -1.2 - 0.01 * e, "val_pair": 0.055 - 0.002 * e,
                "seconds": 0.1, "rows_per_s": 30000.0, "steps": 4} for e in (1, 2, 3)]})

cols = ("stage,epoch,loss,loss_pair,loss_triplet,loss_uniform,val_pair,task,fit,anchor,balance,"
        "entropy,metric,proto_self,local,consistency,val_mse,tau,seconds,rows_per_s,kept").split(",")
rows = []
for e in (1, 2, 3):
    rows.append({"stage": "kernel", "epoch": e, "loss": 0.05 / e, "loss_pair": 0.06 / e,
                 "loss_triplet": 0, "loss_uniform": -1.2 - 0.01 * e, "val_pair": 0.055 - 0.002 * e,
                 "seconds": 0.1, "rows_per_s": 30000, "kept": int(e == 3)})
for e in (1, 2, 3, 4):
    rows.append({"stage": "experts", "epoch": e, "loss": 0.09 / e + 0.01, "task": 0.08 / e,
                 "fit": 0.05 / e, "anchor": 0.02 / e, "balance": 0.001 * e, "entropy": 0,
                 "val_mse": [0.71, 0.64, 0.66, 0.68][e - 1], "tau": 2.5 * 1.1 ** (e - 1),
                 "seconds": 0.2, "rows_per_s": 9000, "kept": int(e == 2)})
with open(os.path.join(out, "train_log.csv"), "w") as f:
    f.write(",".join(cols) + "\n")
    for r in rows:
        f.write(",".join("%.9g" % r[c] if isinstance(r.get(c), float) else str(r.get(c, ""))
                         for c in cols) + "\n")

protos = [
    (0, 3, 'A man says "hi" & <waves>.', "A man waves <hello>.", 4.8, 0.41, 0.3101, 0.5234),
    (1, 11, "It's a café — naïve art & more", "Naïve art in a café", 3.2, 0.27, 0.4402, 0.4123),
    (2, 19, "See http://example.com/a?b=1&c=2 for details", "No link here > none", 1.1, 0.20,
     0.2203, None),
    (3, 27, "Two dogs run <fast> through 'snow'", "Dogs play in snow", 0.4, 0.12, 0.1304, 0.3345),
]
dump("prototypes.json", {
    "format": "prle-prototypes", "version": 1, "method": "k-medoids", "router": "softmax",
    "expert": "linear", "tau": 2.75,
    "prototypes": [{"slot": s, "index": i, "text": t, "text2": t2, "label": y, "norm": 1.0,
                    "usage": u, "local_mse": m, "expert_slope": sl}
                   for s, i, t, t2, y, u, m, sl in protos]})


def explained(index, text, text2, label, parts, rest_count, rest_w, rest_c):
    ps = []
    for slot, w, local in parts:
        _, idx, t, t2, y, _, _, _ = protos[slot]
        ps.append({"index": idx, "slot": slot, "text": t, "text2": t2, "label": y, "weight": w,
                   "local_prediction": local, "contribution": w * local})
    pred = sum(p["contribution"] for p in ps) + rest_c
    return {"index": index, "text": text, "text2": text2, "label": label, "prediction": pred,
            "prototypes": ps, "rest": {"count": rest_count, "weight": rest_w,
                                       "contribution": rest_c}}


dump("explanations_test.json", {
    "format": "prle-explanations", "version": 1, "split": "test", "k": 2,
    "rows": [explained(5, "A woman says <bye> & leaves.", "A woman leaves.", 3.6,
                       [(0, 0.5, 4.1), (1, 0.3, 3.0)], 2, 0.2, 0.31),
             explained(8, "Cats sleep \"all day\"", "A cat is asleep", 1.0,
                       [(3, 0.6, 0.7), (2, 0.25, 1.4)], 2, 0.15, 0.12)]})


def bmodel(name, best, mse, mae, p, s, k, scale=1.0):
    t = mset(mse, mae, float("nan"), p, s, k, scale)
    del t["r2"]
    return {"name": name, "best": best, "n_points": 6, "val_mse": mse * scale * scale,
            "seconds": 0.5, "test": dict({"n": 10}, **t)}


base = {"format": "prle-baselines", "version": 1, "dataset": "fixture-pairs", "n_train": 40,
        "n_validation": 10, "n_test": 10, "width": 64, "seed": 7}
dump("baselines.json", dict(base, space="retrieval", label_scale="unit",
                            models=[bmodel("svr", "C=1 epsilon=0.1 gamma=scale", 0.0371, 0.151,
                                           0.6111, 0.6022, 0.4433),
                                    bmodel("ridge", "alpha=10", 0.0402, 0.160, 0.5876, 0.5801,
                                           0.4199)]))
# the value-space file on the raw scale: the report converts (MSE / 25 = 0.0300)
dump("baselines_value.json", dict(base, space="value", label_scale="raw",
                                  models=[bmodel("knn", "k=5 weights=distance", 0.75, 0.70,
                                                 0.8123, 0.8011, 0.6222)]))

n = {"train": 40, "validation": 10, "test": 10}
labels, xy_r, xy_v = [], [], []
for i in range(60):
    y = round(rng.uniform(0, 5), 1)
    labels.append(y)
    xy_r.append([round(rng.gauss(0, 10), 3), round(rng.gauss(0, 10), 3)])
    a = y / 5 * math.pi
    xy_v.append([round(20 * math.cos(a) + rng.gauss(0, 2), 3),
                 round(20 * math.sin(a) + rng.gauss(0, 2), 3)])
for s, i, _, _, y, _, _, _ in protos:
    labels[i] = y
dump("analysis.json", {
    "format": "prle-analysis", "version": 1,
    "correlation": {"retrieval": {"pearson": 0.0345, "spearman": 0.0298},
                    "value": {"pearson": 0.6612, "spearman": 0.5934}},
    "oracle_moe": [{"model": "svr", "k": 4, "global": {"mse": 0.0371, "pearson": 0.6111},
                    "oracle": {"mse": 0.0333, "pearson": 0.6544}},
                   {"model": "linear", "k": 4, "global": {"mse": 0.0402, "pearson": 0.5876},
                    "oracle": {"mse": 0.0389, "pearson": 0.5999}}],
    "tsne": {"perplexity": 30, "seed": 7, "method": "auto",
             "splits": ["train", "validation", "test"],
             "counts": [n["train"], n["validation"], n["test"]], "labels": labels,
             "prototype_points": [p[1] for p in protos],
             "retrieval": {"kl": 1.93, "xy": xy_r}, "value": {"kl": 1.8, "xy": xy_v}}})
print("wrote", os.path.abspath(out))
