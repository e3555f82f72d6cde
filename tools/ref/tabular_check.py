#!/usr/bin/python3
"""PRLERegressor on tabular data a scikit-learn user brings (README, "The library from
Python", the linear fallback): scikit-learn's diabetes, Friedman #2 and #3 (1,400 rows) and two
make_regression sets, a seeded 70/30 split each; test R^2 of PRLERegressor(kernel="resmlp")
(named: no fallback) and of the default (kernel None; kernel_ says which kernel was kept),
beside RidgeCV (alphas 1e-3 ... 1e4) and an RBF SVR on standardised X with C and gamma from a
3-fold grid, all fitted on the same 70 %.

usage: PYTHONPATH=python PRLE_LIBRARY=build/libprle.so OMP_WAIT_POLICY=passive \
       /usr/bin/python3 tools/ref/tabular_check.py
"""
import time
import warnings

import numpy as np
from sklearn.datasets import (load_diabetes, make_friedman2, make_friedman3,
                              make_regression)
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

import prle

SETS = {
    "diabetes": lambda: load_diabetes(return_X_y=True),
    "friedman2": lambda: make_friedman2(1400, noise=20, random_state=0),
    "friedman3": lambda: make_friedman3(1400, noise=0.1, random_state=0),
    "linear 450x20": lambda: make_regression(450, 20, n_informative=5, noise=10, random_state=1),
    "linear 2400x100": lambda: make_regression(2400, 100, n_informative=30, noise=20,
                                               random_state=2),
}


def r2(y, p):
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def main():
    warnings.simplefilter("ignore", prle.RidgeBetterWarning)
    for name, make in SETS.items():
        x, y = make()
        idx = np.random.RandomState(0).permutation(len(y))
        tr, te = idx[:int(0.7 * len(y))], idx[int(0.7 * len(y)):]
        row = [name]
        for kernel in ("resmlp", None):
            t = time.time()
            m = prle.PRLERegressor(kernel=kernel, random_state=0).fit(x[tr], y[tr])
            row.append("%s (kept %s) %.3f (%.1f s)" % (kernel or "default", m.kernel_,
                                                       r2(y[te], m.predict(x[te])),
                                                       time.time() - t))
        ridge = RidgeCV(alphas=np.logspace(-3, 4, 15)).fit(x[tr], y[tr])
        row.append("RidgeCV %.3f" % r2(y[te], ridge.predict(x[te])))
        svr = GridSearchCV(make_pipeline(StandardScaler(), SVR()),
                           {"svr__C": [0.1, 1, 10, 100, 1000], "svr__gamma": ["scale", 0.01, 0.1]},
                           cv=3).fit(x[tr], y[tr])
        row.append("SVR %.3f" % r2(y[te], svr.predict(x[te])))
        print("  ".join(row), flush=True)


if __name__ == "__main__":
    main()
