#!/usr/bin/python3
"""What a ridge term would give PRLE (README, "Defaults from the data"): the neighbour term's
blend with a global ridge on the retrieval features in place of the kNN. For each seed:
`prle run CONFIG` (its folder runs/rt<seed> and its embedding cache cache-rt<seed>, beside the
config, so that every seed's split and encoder are its own), then on that run's splits:

  prle     the run's own test predictions p
  ridge    scikit-learn's Ridge on the raw retrieval features, alpha (1e-2 ... 1e4) chosen on
           validation, fitted on train only (the run's ridge yardstick)
  blend    p + lam (r - p), lam the least-squares weight on validation clipped to [0, 1], as
           the neighbour term chooses its weight

and the blend's validation gain: the fall of the validation MSE in per cent and in standard
errors of the rows' paired differences of squared errors (the neighbour term keeps itself at
>= 1 % and >= 2 standard errors). Prints each seed and the means (Pearson, MSE on the 0-1
scale).

usage: ridge_term_check.py PRLE CONFIG LABEL_MIN LABEL_MAX SEEDS
  e.g. /usr/bin/python3 tools/ref/ridge_term_check.py build/prle /tmp/rt/reviews3000h.yaml 1 5 1,2,3
"""
import csv
import os
import subprocess
import sys

import numpy as np
from scipy.stats import pearsonr
from sklearn.linear_model import Ridge

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from prle.run import load_run  # noqa: E402

SPLITS = ("train", "validation", "test")


def predictions(path):
    with open(path, newline="") as f:
        return np.array([float(r["prediction"]) for r in csv.DictReader(f)])


def ridge(x, y):
    """Validation and test predictions of the alpha with the lowest validation MSE."""
    best = None
    for a in (1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4):
        m = Ridge(alpha=a, solver="cholesky").fit(x["train"], y["train"])
        v = float(((m.predict(x["validation"]) - y["validation"]) ** 2).mean())
        if best is None or v < best[0]:
            best = (v, m)
    return {s: best[1].predict(x[s]) for s in ("validation", "test")}


def one_seed(prle, cfg, seed):
    here = os.path.dirname(os.path.abspath(cfg))
    name, cache = f"rt{seed}", os.path.join(here, f"cache-rt{seed}")
    subprocess.run([prle, "-q", "run", cfg, f"train.seed={seed}", f"logging.run_name={name}",
                    f"train.output_dir={os.path.join(here, 'runs')}",
                    f"data.embedding_cache_dir={cache}", "pipeline.reuse_kernel=false",
                    "--no-analyze", "--no-report"], check=True, stdout=subprocess.DEVNULL)
    folder = os.path.join(here, "runs", name)
    run = load_run(folder)
    y = {s: np.asarray(run.labels(s), dtype=np.float64) for s in SPLITS}
    x = {s: np.load(os.path.join(cache, f"{s}_embeds.npy")).astype(np.float64) for s in SPLITS}
    p = {s: predictions(os.path.join(folder, f"predictions_{s}.csv"))
         for s in ("validation", "test")}
    r = ridge(x, y)
    d, e = r["validation"] - p["validation"], y["validation"] - p["validation"]
    lam = float(np.clip(d @ e / (d @ d), 0.0, 1.0)) if d @ d > 0 else 0.0
    b = {s: p[s] + lam * (r[s] - p[s]) for s in r}
    g = (p["validation"] - y["validation"]) ** 2 - (b["validation"] - y["validation"]) ** 2
    se = g.std(ddof=1) / np.sqrt(len(g))
    gain_pct = 100.0 * g.mean() / ((p["validation"] - y["validation"]) ** 2).mean()
    return [pearsonr(p["test"], y["test"])[0], ((p["test"] - y["test"]) ** 2).mean(),
            pearsonr(r["test"], y["test"])[0], ((r["test"] - y["test"]) ** 2).mean(),
            pearsonr(b["test"], y["test"])[0], ((b["test"] - y["test"]) ** 2).mean(),
            lam, gain_pct, g.mean() / se if se > 0 else 0.0]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    prle, cfg = sys.argv[1], sys.argv[2]
    lo, hi = float(sys.argv[3]), float(sys.argv[4])
    scale = (hi - lo) ** 2
    rows = []
    for seed in (int(s) for s in sys.argv[5].split(",")):
        v = one_seed(prle, cfg, seed)
        for i in (1, 3, 5):
            v[i] /= scale
        rows.append(v)
        print("seed %d: prle %.4f / %.5f  ridge %.4f / %.5f  blend %.4f / %.5f  lam %.2f  "
              "validation gain %.1f %% (%.1f SE)" % (seed, *v))
    m = np.mean(rows, axis=0)
    print("mean:   prle %.4f / %.5f  ridge %.4f / %.5f  blend %.4f / %.5f  lam %.2f  "
          "validation gain %.1f %% (%.1f SE)" % tuple(m))


if __name__ == "__main__":
    main()
