#!/usr/bin/python3
"""Reference numbers for tests/test_metrics.c (STYLE.md §12, "Reference checks").

Builds fixed vectors (hand-written ones with ties in y_true, in y_pred and in both; seeded
random ones with heavy ties, as STS-B labels in 0.5 steps; constant inputs) and computes
every metric with scikit-learn (mean_squared_error, mean_absolute_error, r2_score) and SciPy
(pearsonr, spearmanr, kendalltau), on the raw scale and on the 0-1 scale
(y - label_min) / (label_max - label_min). Writes tests/data/metrics_ref.txt:

    # comment lines
    case <name> <n> <label_min> <label_max>
    y_true <n values>
    y_pred <n values>
    raw <mse> <rmse> <mae> <r2> <pearson> <spearman> <kendall>
    unit <mse> <rmse> <mae> <r2> <pearson> <spearman> <kendall>
    end

Every vector value is a float32 written as the shortest decimal that reads back as the same
double (so the C test's float inputs equal these exactly); metrics use %.17g, NaN as "nan".

Run with Debian's /usr/bin/python3 (numpy, scipy, scikit-learn):
    /usr/bin/python3 tools/ref/metrics_ref.py
"""
import math
import os
import sys
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score


def metrics(t, p):
    t = np.asarray(t, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    with warnings.catch_warnings():
        # constant input: SciPy warns and returns NaN, which is what we record
        warnings.simplefilter("ignore")
        pr = scipy.stats.pearsonr(t, p)[0]
        sr = scipy.stats.spearmanr(t, p)[0]
        kt = scipy.stats.kendalltau(t, p, variant="b")[0]
    mse = mean_squared_error(t, p)
    return [
        mse,
        math.sqrt(mse),
        mean_absolute_error(t, p),
        r2_score(t, p),
        float(pr),
        float(sr),
        float(kt),
    ]


def f32(values):
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def cases():
    out = []
    # hand-written, no ties
    out.append(("no_ties", [1.0, 2.0, 3.5, 4.0, 0.5, 2.75], [1.25, 1.5, 3.0, 4.5, 0.0, 3.25], 0, 5))
    # ties in y_true only
    out.append(("ties_true", [1, 1, 2, 2, 2, 3, 4, 4], [0.5, 1.5, 2.25, 1.75, 2.0, 3.5, 3.0, 4.5], 0, 5))
    # ties in y_pred only
    out.append(("ties_pred", [0.2, 1.1, 2.3, 3.4, 2.9, 4.6, 0.7], [1, 1, 2, 3, 3, 3, 1], 0, 5))
    # ties in both, including pairs tied in both at once
    out.append(("ties_both", [1, 1, 1, 2, 2, 3, 3, 3, 4, 0], [2, 2, 1, 2, 3, 3, 3, 4, 1, 0], 0, 5))
    # anti-correlated with ties
    out.append(("negative", [5, 4, 4, 3, 2, 1, 1, 0], [0.1, 0.9, 1.2, 1.2, 2.8, 4.4, 3.9, 5.0], 0, 5))
    # the smallest allowed n
    out.append(("n2", [1.0, 3.0], [2.0, 1.5], 0, 5))
    # STS-B-like: labels 0..5 in 0.5 steps (heavy ties), predictions in 1/64 steps (some ties)
    rng = np.random.default_rng(20240601)
    t = np.round(rng.uniform(0, 5, 1000) * 2) / 2
    p = np.clip(0.7 * t + 0.75 + rng.normal(0, 0.9, 1000), -0.5, 5.5)
    out.append(("stsb_like_1000", t, np.round(p * 64) / 64, 0, 5))
    # MLQE-like 0..100 scale, continuous float32 predictions (few or no ties)
    t = np.round(rng.uniform(0, 100, 300))
    p = f32(0.5 * t + 20 + rng.normal(0, 15, 300))
    out.append(("wide_scale_300", t, p, 0, 100))
    # constant inputs: correlations undefined (NaN)
    out.append(("const_true", [2.5] * 5, [1.0, 2.0, 2.5, 3.0, 4.0], 0, 5))
    out.append(("const_pred", [1.0, 2.0, 2.5, 3.0, 4.0], [2.0] * 5, 0, 5))
    out.append(("const_both_equal", [3.0] * 4, [3.0] * 4, 0, 5))
    return out


def fmt_value(v):
    v = float(v)
    assert float(np.float32(v)) == v, v  # every input is a float32
    return repr(v)


def fmt_metric(v):
    return "nan" if math.isnan(v) else "%.17g" % v


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "tests", "data", "metrics_ref.txt")
    lines = [
        "# made by tools/ref/metrics_ref.py; do not edit",
        "# python %s, numpy %s, scipy %s, scikit-learn %s"
        % (sys.version.split()[0], np.__version__, scipy.__version__, sklearn.__version__),
    ]
    for name, t, p, lo, hi in cases():
        t, p = f32(t), f32(p)
        assert t.shape == p.shape
        raw = metrics(t, p)
        unit = metrics((t - lo) / (hi - lo), (p - lo) / (hi - lo))
        lines.append("case %s %d %s %s" % (name, t.size, lo, hi))
        lines.append("y_true " + " ".join(fmt_value(v) for v in t))
        lines.append("y_pred " + " ".join(fmt_value(v) for v in p))
        lines.append("raw " + " ".join(fmt_metric(v) for v in raw))
        lines.append("unit " + " ".join(fmt_metric(v) for v in unit))
        lines.append("end")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
    print("wrote", path)


if __name__ == "__main__":
    main()
