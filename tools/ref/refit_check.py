#!/usr/bin/python3
"""How much of PRLE's gap to the SVR on a small set is the baselines' refit on train +
validation (README, "Defaults from the data"). For each seed: `prle run CONFIG` (its folder
rf<seed> in a new temporary folder, printed), then on that run's splits and retrieval features:

  prle run       the run's own test predictions
  svr train      scikit-learn's SVR (RBF, standardised features), C, gamma and epsilon on
                 validation, fitted on train only, as PRLE is
  svr refit      the same grid point refitted on train + validation, as `prle baselines` does
  prle refit     PRLERegressor on train + validation with the kernel and expert epochs the run
                 kept (no early stopping, no held-out rows, so no warm-start alpha search and no
                 recalibration)

Prints each seed's test Pearson and the means (Pearson, MSE on the 0-1 scale).

With --estimator (README, "The library from Python", the refit), instead of the SVR and the
refit by hand: PRLERegressor(random_state=seed, n_jobs=2) with refit=False and with its
default refit, each fitted on the run's train + validation rows (it holds out its own 15 %),
scored on the test rows, and the seconds of each fit.

usage: refit_check.py [--estimator] PRLE CONFIG CACHE_DIR LABEL_MIN LABEL_MAX SEEDS
  e.g. (after make bench-small, from build/small)
       /usr/bin/python3 ../../tools/ref/refit_check.py ../prle ruddit430.yaml cache-ruddit430 -1 1 1,2,3,4,5
  and (from the repository, OMP_WAIT_POLICY=passive)
       /usr/bin/python3 tools/ref/refit_check.py --estimator build/prle bench/accuracy/ruddit-glove.yaml cache/ruddit-glove -1 1 1,2,3
       /usr/bin/python3 tools/ref/refit_check.py --estimator build/prle bench/accuracy/stsb-glove.yaml cache/stsb-glove 0 5 1,2,3
"""
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.stats import pearsonr
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from prle import PRLERegressor  # noqa: E402
from prle.run import load_run  # noqa: E402

SPLITS = ("train", "validation", "test")


def svr_grid(x, y, lo, hi):
    """The grid point with the lowest validation MSE, fitted on train only."""
    sc = StandardScaler().fit(x["train"])
    g0, best = 1.0 / x["train"].shape[1], None
    for c in (0.1, 0.3, 1, 3, 10):
        for g in (0.3 * g0, g0, 3 * g0):
            for eps in (0.02, 0.1):
                m = SVR(C=c, gamma=g, epsilon=eps * (hi - lo))
                m.fit(sc.transform(x["train"]), y["train"])
                e = np.mean((m.predict(sc.transform(x["validation"])) - y["validation"]) ** 2)
                if best is None or e < best[0]:
                    best = (e, c, g, eps)
    return best[1:]


def main():
    args = sys.argv[1:]
    estimator = bool(args) and args[0] == "--estimator"
    args = args[1:] if estimator else args
    if len(args) != 6:
        sys.exit(__doc__)
    prle, cfg, cache = args[0:3]
    lo, hi = float(args[3]), float(args[4])
    seeds = [int(s) for s in args[5].split(",")]
    res, secs = {}, {}
    runs = tempfile.mkdtemp(prefix="refit_check.")
    print("run folders in", runs, flush=True)

    def add(key, p, y):
        res.setdefault(key, []).append((pearsonr(p, y)[0], np.mean((p - y) ** 2) / (hi - lo) ** 2))

    for seed in seeds:
        subprocess.run([prle, "run", cfg, "--no-analyze", "--no-report", f"train.seed={seed}",
                        f"train.output_dir={runs}", f"logging.run_name=rf{seed}"], check=True,
                       stdout=subprocess.DEVNULL)
        folder = os.path.join(runs, f"rf{seed}")
        run = load_run(folder)
        with open(os.path.join(folder, "train_log.csv")) as f:
            kept = {r["stage"]: int(r["epoch"]) for r in csv.DictReader(f) if r["kept"] == "1"}
        y = {s: run.labels(s) for s in SPLITS}
        x = {s: np.load(os.path.join(cache, f"{s}_embeds.npy")).astype(np.float64) for s in SPLITS}
        yt = y["test"]
        add("prle run", run.predict(embeddings=x["test"].astype(np.float32)), yt)
        xtv = np.vstack([x["train"], x["validation"]])
        ytv = np.concatenate([y["train"], y["validation"]])
        if estimator:
            for refit in (False, True):
                t = time.time()
                est = PRLERegressor(random_state=seed, n_jobs=2, refit=refit).fit(xtv, ytv)
                secs.setdefault(f"refit={refit}", []).append(time.time() - t)
                add(f"refit={refit}", est.predict(x["test"]), yt)
            print("seed", seed, {k: round(v[-1][0], 4) for k, v in res.items()}, flush=True)
            continue
        c, g, eps = svr_grid(x, y, lo, hi)
        for key, xf, yf in (("svr train", x["train"], y["train"]), ("svr refit", xtv, ytv)):
            sc = StandardScaler().fit(xf)
            m = SVR(C=c, gamma=g, epsilon=eps * (hi - lo)).fit(sc.transform(xf), yf)
            add(key, m.predict(sc.transform(x["test"])), yt)
        est = PRLERegressor(label_range=(lo, hi), random_state=seed, val_fraction=0,
                            kernel_max_epochs=kept["kernel"], kernel_patience=0,
                            max_epochs=max(kept.get("experts", 1), 1), patience=0,
                            config={"kernel.keep": "last"})
        add("prle refit", est.fit(xtv, ytv).predict(x["test"]), yt)
        print("seed", seed, "kept", kept, {k: round(v[-1][0], 4) for k, v in res.items()},
              flush=True)
    for key, v in res.items():
        v = np.array(v)
        fit = f"  fit {np.mean(secs[key]):.1f} s" if key in secs else ""
        print(f"{key:10s}  pearson {v[:, 0].mean():.4f}  mse(0-1) {v[:, 1].mean():.5f}{fit}")


if __name__ == "__main__":
    main()
