#!/usr/bin/python3
"""What a term from the nearest training rows would add to PRLE (README, "Defaults from the
data"). For each seed: `prle run CONFIG` (its folder runs/nb<seed>, beside the config), then
on that run's splits, its retrieval features (CACHE_DIR, written by that run) and its
predictions:

  prle         the run's own predictions
  knn          the mean label of the k nearest training rows, cosine on the retrieval rows
               centred by the training mean, k in 5, 10, 20, 50 by validation MSE
  blend        (1 - lam) prle + lam knn, k and lam (least squares on validation, clipped to
               [0, 1]) chosen together by validation MSE; "on" when that is at least 1 %
               below PRLE's own validation MSE, else the blend is PRLE itself
  regional     the same with the neighbours taken only among the training rows whose
               heaviest prototype is the input's (a kernel over that prototype's region)

Prints each seed and the means (test Pearson, MSE on the label scale given).

usage: neighbors_check.py PRLE CONFIG CACHE_DIR SEEDS
  e.g. /usr/bin/python3 tools/ref/neighbors_check.py build/prle mlqe.yaml cache/mlqe 1,2,3
"""
import os
import subprocess
import sys

import numpy as np
from scipy.stats import pearsonr

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from prle.run import load_run  # noqa: E402

SPLITS = ("train", "validation", "test")
KS = (5, 10, 20, 50)
ON = 0.99  # the blend's validation MSE must be at most this share of PRLE's


def unit(a):
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def neighbour_means(sim, ytr, region_in=None, region_tr=None):
    """For each row of sim (rows x training rows), the mean label of its k nearest, per k."""
    if region_in is not None:  # rows of another region are never neighbours
        sim = np.where(region_in[:, None] == region_tr[None, :], sim, -np.inf)
    order = np.argsort(-sim, axis=1)[:, :max(KS)]
    out = {}
    for k in KS:
        idx = order[:, :k]
        ok = np.isfinite(np.take_along_axis(sim, idx, axis=1))
        lab = np.where(ok, ytr[idx], 0.0)
        out[k] = lab.sum(1) / np.maximum(ok.sum(1), 1)
    return out


def blend(p, knn, y):
    """k and lam with the lowest validation MSE; (k, lam, on)."""
    e0 = np.mean((p["validation"] - y["validation"]) ** 2)
    best = None
    for k in KS:
        d = knn[k]["validation"] - p["validation"]
        lam = float(np.clip(d @ (y["validation"] - p["validation"]) / max(d @ d, 1e-12), 0, 1))
        e = np.mean((p["validation"] + lam * d - y["validation"]) ** 2)
        if best is None or e < best[0]:
            best = (e, k, lam)
    return best[1], best[2], best[0] <= ON * e0


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    prle, cfg, cache = sys.argv[1:4]
    seeds = [int(s) for s in sys.argv[4].split(",")]
    res = {}

    def add(key, pred, y):
        res.setdefault(key, []).append((pearsonr(pred, y)[0], np.mean((pred - y) ** 2)))

    for seed in seeds:
        subprocess.run([prle, "run", cfg, "--no-analyze", "--no-report", f"train.seed={seed}",
                        f"logging.run_name=nb{seed}", "pipeline.reuse_kernel=false"],
                       check=True, stdout=subprocess.DEVNULL)
        run = load_run(os.path.join(os.path.dirname(cfg) or ".", "runs", f"nb{seed}"))
        y = {s: run.labels(s) for s in SPLITS}
        x = {s: np.load(os.path.join(cache, f"{s}_embeds.npy")).astype(np.float32) for s in SPLITS}
        p = {s: run.predict(embeddings=x[s]) for s in SPLITS}
        top = {s: run.explain(embeddings=x[s], k=1).slots[:, 0] for s in SPLITS}
        mu = x["train"].mean(0)
        u = {s: unit(x[s] - mu) for s in SPLITS}
        line = [f"seed {seed}"]
        for name, regional in (("blend", False), ("regional", True)):
            knn = {}
            for s in ("validation", "test"):
                sim = u[s] @ u["train"].T
                m = neighbour_means(sim, y["train"], top[s] if regional else None,
                                    top["train"] if regional else None)
                for k in KS:
                    knn.setdefault(k, {})[s] = m[k]
            k, lam, on = blend(p, knn, y)
            lam = lam if on else 0.0
            if not regional:
                kv = min(KS, key=lambda k: np.mean((knn[k]["validation"] - y["validation"]) ** 2))
                add("knn", knn[kv]["test"], y["test"])
            add(name, p["test"] + lam * (knn[k]["test"] - p["test"]), y["test"])
            line.append(f"{name} k {k} lam {lam:.2f}{'' if on else ' (off)'}")
        add("prle", p["test"], y["test"])
        print(", ".join(line), {key: round(v[-1][0], 4) for key, v in res.items()}, flush=True)
    for key in ("prle", "knn", "blend", "regional"):
        v = np.array(res[key])
        print(f"{key:8s}  pearson {v[:, 0].mean():.4f}  mse {v[:, 1].mean():.5g}")


if __name__ == "__main__":
    main()
