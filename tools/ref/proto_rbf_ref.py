#!/usr/bin/python3
"""Reference numbers for tests/test_proto_rbf.c (issue 5): the proto_rbf closed form in numpy.

A small fixed problem that the test rebuilds bit for bit: uniforms from the LCG
x <- (1664525 x + 1013904223) mod 2^32, u = x / 2^32 - 0.5, x0 = 777; 80 rows of width 3
(the first 60 train, the last 20 validation), each scaled to unit length in double and stored
as float32; y = sin(3 z0) + cos(2 z1) + 0.2 u (one more draw per row, after all rows),
standardised with the training mean and population sd, stored as float32. Prototypes: training
rows 0, 6, ..., 42 (P = 8); a = their labels.

For every tau of the grid 0.25 * 2^k (k = 0..10), in float64 from the float32 values:
W = softmax_p(-tau |z - c_p|^2) computed directly, lambda' = 1e-2 * n / P,
beta = solve(W^T W + lambda' I, W^T y + lambda' a) (numpy.linalg.solve), and the validation
and training MSE of W beta. Prints the beta of the validation argmin, the argmin, and the curves.

usage: /usr/bin/python3 tools/ref/proto_rbf_ref.py"""
import numpy as np

state = [777]


def lcg():
    state[0] = (1664525 * state[0] + 1013904223) % 2**32
    return state[0] / 2.0**32 - 0.5


N, NTR, D = 80, 60, 3
z = np.array([[lcg() for _ in range(D)] for _ in range(N)])
z /= np.sqrt((z * z).sum(axis=1, keepdims=True))
z = z.astype(np.float32)
Z = z.astype(np.float64)
noise = np.array([lcg() for _ in range(N)])
y = np.sin(3 * Z[:, 0]) + np.cos(2 * Z[:, 1]) + 0.2 * noise
mu, sd = y[:NTR].mean(), y[:NTR].std()
y = ((y - mu) / sd).astype(np.float32)
Y = y.astype(np.float64)
rows = list(range(0, 48, 6))
C, A = Z[rows], Y[rows]
ztr, ytr, zva, yva = Z[:NTR], Y[:NTR], Z[NTR:], Y[NTR:]
P = len(rows)
lam = 1e-2 * NTR / P
taus = 0.25 * 2.0 ** np.arange(11)


def weights(x, tau):
    d2 = ((x[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
    e = np.exp(-tau * (d2 - d2.min(axis=1, keepdims=True)))
    return e / e.sum(axis=1, keepdims=True)


betas, val, tr = [], [], []
for tau in taus:
    W = weights(ztr, tau)
    beta = np.linalg.solve(W.T @ W + lam * np.eye(P), W.T @ ytr + lam * A)
    betas.append(beta)
    val.append(np.mean((weights(zva, tau) @ beta - yva) ** 2))
    tr.append(np.mean((W @ beta - ytr) ** 2))
kv, kt = int(np.argmin(val)), int(np.argmin(tr))


def arr(name, a):
    return 'static const double %s[%d] = {%s};' % (
        name, len(a), ', '.join('%.17g' % v for v in np.asarray(a).ravel()))


print('/* tools/ref/proto_rbf_ref.py (numpy %s) */' % np.__version__)
print('/* z[0] = %.9g %.9g %.9g, y[0] = %.9g, y[79] = %.9g */' % (*z[0], y[0], y[79]))
print('#define REF_TAU_VAL %.17g /* validation argmin, k = %d */' % (taus[kv], kv))
print(arr('ref_beta_val', betas[kv]))
print('#define REF_MSE_VAL %.17g' % val[kv])
print('#define REF_TAU_TRAIN %.17g /* training argmin, k = %d */' % (taus[kt], kt))
print(arr('ref_beta_train', betas[kt]))
print('/* validation MSE per tau: %s */' % ' '.join('%.4g' % v for v in val))
print('/* training MSE per tau: %s */' % ' '.join('%.4g' % v for v in tr))
