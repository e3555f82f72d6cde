#!/usr/bin/python3
"""Reference numbers for tests/test_meta_init.c (issue 5): the experts' meta-init fits.

A small fixed problem that the test rebuilds bit for bit: uniforms from the LCG
x <- (1664525 x + 1013904223) mod 2^32, u = x / 2^32 - 0.5, x0 = 12345; z (60, 5) row by row,
rows scaled to unit length in double then stored as float32 (as value-space rows are); then
y (60) = z.(1.5, -2, 0.5, 0, 1) + 0.6 u, standardised (mean 0, population sd 1) in double and
stored as float32. Fits, in float64 from the float32 values:
  - Ridge(alpha=1e-3, fit_intercept=True)                       (META_LINEAR)
  - LinearSVR(loss='squared_epsilon_insensitive', dual=True, C=1, epsilon=0.1,
              fit_intercept=True, intercept_scaling=1, tol=1e-10)  (META_SVR)
  - Ridge(alpha=1e-3) on the first 4 rows only (fewer rows than columns: rank-deficient).
  - RIDGE (the warm start): Ridge(alpha) on rows 0-7, their labels moved by +0.8, -0.8, 0,
    +0.8, ... (float32) so that noise calls for shrinkage, for alpha in 1e-3 ... 1e4; the alpha
    with the lowest MSE on rows 8-59 (first of equal scores); and Ridge(alpha=1) on all 60
    rows (no validation rows).
Prints C arrays to paste into the test.

usage: /usr/bin/python3 tools/ref/meta_init_ref.py"""
import numpy as np
import sklearn
from sklearn.linear_model import Ridge
from sklearn.svm import LinearSVR

state = [12345]


def lcg():
    state[0] = (1664525 * state[0] + 1013904223) % 2**32
    return state[0] / 2.0**32 - 0.5


n, d = 60, 5
z = np.array([[lcg() for _ in range(d)] for _ in range(n)])
z /= np.sqrt((z * z).sum(axis=1, keepdims=True))
z = z.astype(np.float32)
noise = np.array([lcg() for _ in range(n)])
y = z.astype(np.float64) @ np.array([1.5, -2.0, 0.5, 0.0, 1.0]) + 0.6 * noise
y = ((y - y.mean()) / y.std()).astype(np.float32)
Z, Y = z.astype(np.float64), y.astype(np.float64)

ridge = Ridge(alpha=1e-3, fit_intercept=True).fit(Z, Y)
svr = LinearSVR(loss='squared_epsilon_insensitive', dual=True, C=1.0, epsilon=0.1,
                fit_intercept=True, intercept_scaling=1.0, tol=1e-10, max_iter=1000000,
                random_state=0).fit(Z, Y)
small = Ridge(alpha=1e-3, fit_intercept=True).fit(Z[:4], Y[:4])
Y8 = (y[:8] + np.array([0.8, -0.8, 0.0] * 3, dtype=np.float32)[:8]).astype(np.float64)
alphas = [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4]
# y is stored as float32: the validation MSE is on the float32 predictions, as in the C code
val = [float(np.mean((Ridge(alpha=a).fit(Z[:8], Y8).predict(Z[8:]).astype(np.float32)
                      - Y[8:]) ** 2)) for a in alphas]
chosen = alphas[int(np.argmin(val))]
warm = Ridge(alpha=chosen).fit(Z[:8], Y8)
warm1 = Ridge(alpha=1.0).fit(Z, Y)


def arr(name, a, ctype='double', fmt='%.17g'):
    a = np.asarray(a).ravel()
    body = ', '.join((fmt % v) + ('f' if ctype == 'float' else '') for v in a)
    return f'static const {ctype} {name}[{len(a)}] = {{{body}}};'


print('/* tools/ref/meta_init_ref.py (scikit-learn %s) */' % sklearn.__version__)
print('/* z[0][0..1] = %.9g %.9g, y[0] = %.9g, y[59] = %.9g */' % (z[0, 0], z[0, 1], y[0], y[59]))
print(arr('ref_ridge', np.append(ridge.coef_, ridge.intercept_)))
print(arr('ref_svr', np.append(svr.coef_, svr.intercept_)))
print(arr('ref_ridge4', np.append(small.coef_, small.intercept_)))
print('/* validation MSE per alpha: %s; chosen %g */' % (' '.join('%.6g' % v for v in val), chosen))
print(arr('ref_warm', np.append(warm.coef_, warm.intercept_)))
print(arr('ref_warm1', np.append(warm1.coef_, warm1.intercept_)))
