#!/usr/bin/python3
"""The scoreboard of make bench-accuracy from its run folders: per data set, PRLE's test Pearson
and MSE (0-1 scale) over the seeds (mean, min, max), the best of ridge/kNN/SVR on the same split
(best by validation MSE per seed, as a user would pick it), the gaps against issue 12's floor
(Pearson >= best - 0.02, MSE <= best x 1.08), the weights' concentration and the seconds.

usage: accuracy_table.py OUT "SETS" "SEEDS" """
import json, statistics, sys


def display(model):
    """A baseline's name as the README's tables write it: SVR, ridge, kNN (", cosine" when the
    grid chose the cosine metric)."""
    name = {"svr": "SVR", "knn": "kNN"}.get(model["name"], model["name"])
    if model["name"] == "knn" and "metric=cosine" in model.get("best", ""):
        name += ", cosine"
    return name


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    out, sets, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
    print("| data | PRLE test Pearson mean (min-max) | PRLE MSE | best baseline | its Pearson | "
          "its MSE | Pearson gap | MSE ratio | floor | top-1 | top-3 | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in sets:
        rows = []
        for seed in seeds:
            d = f"{out}/{s}-{seed}"
            m = load(f"{d}/metrics.json")["splits"]
            b = load(f"{d}/baselines.json")["models"]
            best = min(b, key=lambda r: r["val_mse"])  # the one validation would pick
            rows.append(dict(p=m["test"]["unit"]["pearson"], mse=m["test"]["unit"]["mse"],
                             t1=m["test"]["weights"]["top1"], t3=m["test"]["weights"]["top3"],
                             bname=display(best), bp=best["test"]["pearson"],
                             bmse=best["test"]["mse"],
                             sec=float(open(f"{d}/seconds").read())))
        mean = lambda k: statistics.mean(r[k] for r in rows)
        p, bp, mse, bmse = mean("p"), mean("bp"), mean("mse"), mean("bmse")
        names = sorted({r["bname"] for r in rows})
        ok = p >= bp - 0.02 and mse <= bmse * 1.08
        print(f"| {s} | {p:.4f} ({min(r['p'] for r in rows):.4f}-{max(r['p'] for r in rows):.4f})"
              f" | {mse:.4f} | {'/'.join(names)} | {bp:.4f} | {bmse:.4f} | {p - bp:+.4f} | "
              f"{mse / bmse:.3f} | {'met' if ok else 'missed'} | {mean('t1'):.2f} | "
              f"{mean('t3'):.2f} | {mean('sec'):.1f} |")
    print(f"\nseeds {' '.join(seeds)}; test split, 0-1 label scale; floor: Pearson >= best - 0.02 "
          "and MSE <= best x 1.08 (issue 12)")


if __name__ == "__main__":
    main()
