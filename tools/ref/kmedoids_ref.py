#!/usr/bin/python3
"""Independent reference for prototype selection (tests/test_prototypes.c).

Writes tests/data/proto_small.npy: 12 rows of width 4 (three loose clusters, L2-normalised,
float32, numpy seed 5) and prints, for P = 1, 2, 3, the exhaustive optimum of the k-medoids
loss (sum of Euclidean distances to the nearest medoid, in float64 from the float32 rows) and
its medoids, plus what a textbook PAM (BUILD + best-swap SWAP, Kaufman & Rousseeuw 1990)
reaches. The optima are committed in test_prototypes__reference.

    /usr/bin/python3 tools/ref/kmedoids_ref.py tests/data/proto_small.npy
"""
import itertools
import sys

import numpy as np
from scipy.spatial.distance import cdist


def make_data():
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(3, 4))
    x = np.repeat(centres, 4, axis=0) + 0.35 * rng.normal(size=(12, 4))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def loss(dm, med):
    return dm[:, list(med)].min(axis=1).sum()


def exhaustive(dm, p):
    best = min(itertools.combinations(range(dm.shape[0]), p), key=lambda m: (loss(dm, m), m))
    return loss(dm, best), best


def pam(dm, p):
    n = dm.shape[0]
    med = [int(np.argmin(dm.sum(axis=0)))]
    while len(med) < p:  # BUILD: the row that lowers the loss most
        cand = [c for c in range(n) if c not in med]
        med.append(min(cand, key=lambda c: (loss(dm, med + [c]), c)))
    while True:  # SWAP: the best single swap while it helps
        cur = loss(dm, med)
        best = (cur, None)
        for i in range(p):
            for c in range(n):
                if c in med:
                    continue
                m = med.copy()
                m[i] = c
                l = loss(dm, m)
                if l < best[0] - 1e-12:
                    best = (l, m)
        if best[1] is None:
            return cur, sorted(med)
        med = best[1]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/proto_small.npy"
    x = make_data()
    np.save(out, x)
    dm = cdist(x.astype(np.float64), x.astype(np.float64))
    for p in (1, 2, 3):
        opt, med = exhaustive(dm, p)
        pl, pm = pam(dm, p)
        print(f"P={p} optimum {opt:.9f} medoids {list(med)}  PAM {pl:.9f} {pm}")


if __name__ == "__main__":
    main()
