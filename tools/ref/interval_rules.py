#!/usr/bin/python3
"""Split-conformal interval rules on a run folder, measured as README "Prediction intervals"
quotes them: for each scale s(x) of the score |y - yhat| / s(x), the validation coverage
cross-fit over 10 folds (row mod 10), the test coverage of the rule calibrated on all
validation rows, and the mean widths, every interval clipped to the label range.

Scales: plain (1); entropy (1 + H / ln P, prle's --adaptive); spread of the local experts
sqrt(sum_p W_p (E_p - yhat)^2) (+ c); 1 - top-1 weight (+ c); and, apart, Mondrian
calibration in bins of the predicted value.

Usage: /usr/bin/python3 tools/ref/interval_rules.py PRLE RUN [LABEL_MIN LABEL_MAX]"""
import json
import subprocess
import sys

import numpy as np


def load(prle, run, split):
    out = subprocess.run([prle, "predict", run, "--split", split, "--explain", "1000",
                          "--format", "json"], check=True, capture_output=True, text=True).stdout
    y, yh, W, E = [], [], [], []
    for line in out.splitlines():
        o = json.loads(line)
        ps = sorted(o["prototypes"], key=lambda q: q["slot"])
        y.append(o["label"])
        yh.append(o["prediction"])
        W.append([q["weight"] for q in ps])
        E.append([q["local_prediction"] for q in ps])
    return np.array(y), np.array(yh), np.array(W), np.array(E)


def scales(d, kind, c):
    y, yh, W, E = d
    if kind == "plain":
        return np.ones_like(y)
    if kind == "entropy":
        H = -(W * np.log(np.where(W > 0, W, 1))).sum(1)
        return 1 + H / np.log(W.shape[1])
    if kind == "spread":
        return np.sqrt((W * (E - yh[:, None]) ** 2).sum(1)) + c
    if kind == "1-top1":
        return 1 - W.max(1) + c
    raise ValueError(kind)


def q_of(r, level):
    k = int(np.ceil((len(r) + 1) * level))
    return np.sort(r)[min(k, len(r)) - 1]


def measure(v, t, kind, c, level, lo, hi):
    y, yh = v[0], v[1]
    s = scales(v, kind, c)
    r = np.abs(y - yh) / s
    idx = np.arange(len(y))
    cov, wid = [], []
    for f in range(10):
        held = idx % 10 == f
        q = q_of(r[~held], level)
        a, b = np.clip(yh[held] - q * s[held], lo, hi), np.clip(yh[held] + q * s[held], lo, hi)
        cov.append((y[held] >= a) & (y[held] <= b))
        wid.append(b - a)
    q = q_of(r, level)
    st = scales(t, kind, c)
    a, b = np.clip(t[1] - q * st, lo, hi), np.clip(t[1] + q * st, lo, hi)
    tc = ((t[0] >= a) & (t[0] <= b)).mean()
    return np.concatenate(cov).mean(), np.concatenate(wid).mean(), tc, (b - a).mean()


def mondrian(v, t, nb, level, lo, hi):
    def fit(y, p):
        edges = np.quantile(p, np.linspace(0, 1, nb + 1)[1:-1])
        b = np.digitize(p, edges)
        return edges, [q_of(np.abs(y - p)[b == k], level) for k in range(nb)]

    def apply(edges, Q, p):
        q = np.array([Q[k] for k in np.digitize(p, edges)])
        return np.clip(p - q, lo, hi), np.clip(p + q, lo, hi)
    y, yh = v[0], v[1]
    idx = np.arange(len(y))
    cov, wid = [], []
    for f in range(10):
        held = idx % 10 == f
        a, b = apply(*fit(y[~held], yh[~held]), yh[held])
        cov.append((y[held] >= a) & (y[held] <= b))
        wid.append(b - a)
    a, b = apply(*fit(y, yh), t[1])
    return (np.concatenate(cov).mean(), np.concatenate(wid).mean(),
            ((t[0] >= a) & (t[0] <= b)).mean(), (b - a).mean())


def main():
    prle, run = sys.argv[1], sys.argv[2]
    lo, hi = (float(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) > 4 else (0.0, 5.0)
    v, t = load(prle, run, "validation"), load(prle, run, "test")
    print("rule                      level  val cov  val width  test cov  test width")
    rules = [("plain", 0, 0.9), ("plain", 0, 0.91), ("entropy", 0, 0.9), ("spread", 0.3, 0.9),
             ("spread", 0, 0.9), ("1-top1", 0.2, 0.9), ("1-top1", 0.05, 0.9)]
    for kind, c, level in rules:
        name = kind + (" + %g" % c if c else "")
        print("%-25s %5.2f  %6.1f%%  %9.2f  %7.1f%%  %10.2f"
              % ((name, level) + tuple(x * m for x, m in
                                       zip(measure(v, t, kind, c, level, lo, hi),
                                           (100, 1, 100, 1)))))
    cv, wv, ct, wt = mondrian(v, t, 5, 0.9, lo, hi)
    print("%-25s %5.2f  %6.1f%%  %9.2f  %7.1f%%  %10.2f"
          % ("mondrian, 5 yhat bins", 0.9, 100 * cv, wv, 100 * ct, wt))


if __name__ == "__main__":
    main()
