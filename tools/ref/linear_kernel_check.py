#!/usr/bin/python3
"""Whether a linear kernel rescues PRLE where a ridge beats it (README, "Defaults from the
data"): on make_regression(N + 400, 200 features, 20 informative, noise 5, random_state 0)
for N = 300 and 1,000, PRLERegressor(random_state=0) fitted on the first 85 % of N rows with
the rest of N as eval_set, with kernel="resmlp" (named: no fallback), with the default
(kernel None: resmlp, and the linear fallback where the ridge wins on validation; kernel_
says which was kept) and with kernel="linear"; each one's test R^2 on the last 400 rows and
its validation MSE against the ridge yardstick's (validation_mse_), and RidgeCV (alphas
1e-2 ... 1e4) on the same training rows.

usage: PYTHONPATH=python PRLE_LIBRARY=build/libprle.so /usr/bin/python3 tools/ref/linear_kernel_check.py
"""
import time
import warnings

import numpy as np
from sklearn.datasets import make_regression
from sklearn.linear_model import RidgeCV

import prle


def r2(y, p):
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def main():
    warnings.simplefilter("ignore", prle.RidgeBetterWarning)
    for n in (300, 1000):
        x, y = make_regression(n + 400, 200, n_informative=20, noise=5, random_state=0)
        a = int(n * 0.85)
        parts = [f"N {n}:"]
        for kernel in ("resmlp", None, "linear"):
            t = time.time()
            m = prle.PRLERegressor(kernel=kernel, random_state=0).fit(x[:a], y[:a],
                                                                     eval_set=(x[a:n], y[a:n]))
            v = m.validation_mse_
            parts.append("%s (kept %s) test R^2 %.3f, validation MSE %.4g against the ridge's "
                         "%.4g (%.1f s)" % (kernel or "default", m.kernel_, r2(y[n:], m.predict(x[n:])),
                                            v["prle"], v["ridge"], time.time() - t))
        rc = RidgeCV(alphas=np.logspace(-2, 4, 7)).fit(x[:a], y[:a])
        parts.append("RidgeCV test R^2 %.3f" % r2(y[n:], rc.predict(x[n:])))
        print("\n  ".join(parts))


if __name__ == "__main__":
    main()
