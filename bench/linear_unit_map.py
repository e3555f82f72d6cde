#!/usr/bin/python3
"""What the unit-length value space costs a linear fit (README, "Issue 12: where it stands").

make_regression(N, 200, n_informative=20, noise=5, random_state=0), split 70/15/15: a ridge
on X against a ridge on n(W X), W a random full-rank 200 x 200 map and n() the division by the
row's length that PRLE's value space makes, each alpha (1e-3 ... 1e4) chosen on the validation
rows. Usage: bench/linear_unit_map.py [N] (default 300)."""
import sys

import numpy as np
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
X, y = make_regression(n, 200, n_informative=20, noise=5, random_state=0)
a, b = int(0.7 * n), int(0.85 * n)
W = np.random.default_rng(0).normal(size=(200, 200)) / np.sqrt(200)


def unit(v):
    return v / np.linalg.norm(v, axis=1, keepdims=True)


for name, f in (("X", lambda v: v), ("n(W X)", lambda v: unit(v @ W.T))):
    fits = [Ridge(alpha=al).fit(f(X[:a]), y[:a]) for al in np.logspace(-3, 4, 15)]
    best = min(fits, key=lambda m: np.mean((m.predict(f(X[a:b])) - y[a:b]) ** 2))
    print(f"ridge on {name}: alpha {best.alpha:g}, test R^2 "
          f"{r2_score(y[b:], best.predict(f(X[b:]))):.3f}")
