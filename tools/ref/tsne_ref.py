#!/usr/bin/python3
"""Reference numbers for tests/test_tsne.c from scikit-learn's t-SNE internals.

Writes tests/data/tsne_ref.txt: a seeded point set X (40, 6), scikit-learn's
_binary_search_perplexity on its 12-NN squared distances (perplexity 5), the joint P of
_joint_probabilities_nn (k = min(n-1, int(3*5+1)) = 16) and, at a fixed Y (40, 2),
_kl_divergence_bh's error and gradient with angle 0 (exact forces).
Run with Debian's python3 (numpy, scipy, sklearn): /usr/bin/python3 tools/ref/tsne_ref.py
"""
import sys
import numpy as np
import sklearn
from sklearn.manifold import _utils
from sklearn.manifold._t_sne import _joint_probabilities_nn, _kl_divergence_bh
from sklearn.neighbors import NearestNeighbors

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/tsne_ref.txt"
rs = np.random.RandomState(0)
n, d, perp = 40, 6, 5.0
X = (rs.randn(n, d) + np.repeat(rs.randn(4, d) * 3, 10, axis=0)).astype(np.float32)

# binary search on brute-force 12-NN squared distances (float64, then float32 as sklearn)
D2 = ((X[:, None, :].astype(np.float64) - X[None, :, :]) ** 2).sum(-1)
np.fill_diagonal(D2, np.inf)
k_bs = 12
order = np.argsort(D2, axis=1, kind="stable")[:, :k_bs]
sqd = np.take_along_axis(D2, order, axis=1).astype(np.float32)
cond = _utils._binary_search_perplexity(sqd, perp, 0)

# joint P as TSNE.fit builds it
k = min(n - 1, int(3.0 * perp + 1))
knn = NearestNeighbors(n_neighbors=k).fit(X)
dist = knn.kneighbors_graph(mode="distance")
dist.data **= 2
P = _joint_probabilities_nn(dist, perp, 0)
P.sort_indices()

Y = (rs.randn(n, 2) * 2).astype(np.float32)
err, grad = _kl_divergence_bh(Y.ravel().copy(), P, 1, n, 2, angle=0.0, compute_error=True)

with open(out, "w") as f:
    f.write(f"# tools/ref/tsne_ref.py, scikit-learn {sklearn.__version__}, numpy {np.__version__}\n")
    f.write(f"X {n} {d}\n" + " ".join(f"{v:.9g}" for v in X.ravel()) + "\n")
    f.write(f"bs {n} {k_bs} {perp:.17g}\n")
    f.write(" ".join(f"{v:.9g}" for v in sqd.ravel()) + "\n")
    f.write(" ".join(f"{v:.17g}" for v in cond.ravel()) + "\n")
    rows = np.repeat(np.arange(n), np.diff(P.indptr))
    f.write(f"P {P.nnz} {k}\n")
    f.write(" ".join(f"{r} {c} {v:.17g}" for r, c, v in zip(rows, P.indices, P.data)) + "\n")
    f.write(f"Y {n}\n" + " ".join(f"{v:.9g}" for v in Y.ravel()) + "\n")
    f.write(f"kl {float(err):.9g}\n")
    f.write(" ".join(f"{v:.9g}" for v in grad.ravel()) + "\n")
print(f"wrote {out}: kl {float(err):.6f}, nnz {P.nnz}")
