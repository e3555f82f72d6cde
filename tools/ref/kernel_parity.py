#!/usr/bin/python3
"""Is `prle kernel` training the same computation as the PyTorch peer (../shared/peers/prle_torch.py)?

Both sides start from the same weights and see the same batches: this script rebuilds PRLE's
initial weights (prle__head_init_weights: stream (seed, "kernel.init", 0), nn.Linear's
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, LayerNorm 1 and 0) and its batch
order (stream (seed, "kernel.shuffle", epoch - 1), Fisher-Yates, batches of B in that order, a
last batch of one row skipped) through a port of prle_rng, then trains the peer's ResMLP with
the peer's loss (pair MSE over off-diagonal pairs against 1 - |dy| / M, plus 0.01 log(mean
exp(-2 d^2) over i < j + 1e-8)) and torch.optim.Adam (betas 0.9, 0.999, eps 1e-8).

Run:  /usr/bin/python3 tools/ref/kernel_parity.py
        prints the reference arrays of tests/test_kernel_fit.c (a tiny problem, float64 torch)
      /usr/bin/python3 tools/ref/kernel_parity.py --run RUN_DIR EMB_DIR [SEED]
        compares a `prle kernel ... kernel.max_epochs=E` run folder (kernel.safetensors,
        train_log.csv, value/train_embeds.npy) with torch on EMB_DIR/train_embeds.npy,
        EMB_DIR/train_labels.npy (labels in 0-1, e.g. from tools/ref/stsb_peer_dir.py); prints
        per-epoch losses, the largest weight differences and the value-space distance-label
        Pearson on the report's 50,000 pairs, for float32 and float64 torch. A kernel trained
        with kernel.center_inputs holds input_mean: torch then trains on the rows minus it.
"""
import csv
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from prle_rng import Rng
from safetensors_read import read_safetensors

# ---- the model, PRLE's initial weights, the loss --------------------------------------------
class ResMLP(nn.Module):  # the peer's ResMLP (= the original's ResMLPProjectionHead, p = 0)
    def __init__(s, H, hid, D):
        super().__init__()
        s.net = nn.Sequential(nn.Linear(H, hid), nn.ReLU(), nn.Linear(hid, hid), nn.ReLU())
        s.out_proj = nn.Linear(hid, D) if hid != D else nn.Identity()
        s.norm = nn.LayerNorm(D)

    def forward(s, x):
        h = s.out_proj(s.net(x))
        return s.norm(h + x if h.shape[-1] == x.shape[-1] else h)


def prle_init(model, seed):
    """Fills model like prle__head_init_weights: tensors in state_dict order, elements in
    row-major order, each (float)((2 u - 1) / sqrt(fan_in)); LayerNorm weight 1, bias 0."""
    rng = Rng(seed, "kernel.init", 0)
    sd, fan_in = {}, None
    for name, t in model.state_dict().items():
        if name.startswith("norm."):
            sd[name] = torch.full_like(t, 1.0 if name.endswith("weight") else 0.0)
            continue
        if t.dim() == 2:
            fan_in = t.shape[1]
        bound = 1.0 / math.sqrt(fan_in)
        v = [(2.0 * rng.uniform() - 1.0) * bound for _ in range(t.numel())]
        sd[name] = torch.tensor(np.array(v, dtype=np.float32)).reshape(t.shape).to(t.dtype)
    model.load_state_dict(sd)


def batches(n, B, seed, epoch):
    perm = list(range(n))
    Rng(seed, "kernel.shuffle", epoch - 1).shuffle(perm)
    return [perm[i:i + B] for i in range(0, n, B) if len(perm[i:i + B]) >= 2]


def kloss(z, y, M):  # prle_torch.py kloss, label range M
    B = len(y); S = z @ z.T; T = 1 - (y[:, None] - y[None, :]).abs() / M
    off = ~torch.eye(B, dtype=torch.bool)
    lp = ((S - T)[off] ** 2).mean(); iu = torch.triu_indices(B, B, 1)
    d2 = ((z[iu[0]] - z[iu[1]]) ** 2).sum(-1); lu = torch.log(torch.exp(-2 * d2).mean() + 1e-8)
    return lp + 0.01 * lu, lp, lu


def train(X, y, hid, B, lr, epochs, seed, M, dtype, scale=1.0):
    torch.set_default_dtype(dtype)
    H = X.shape[1]
    g = ResMLP(H, hid, H)
    prle_init(g, seed)
    init = {k: v.clone() for k, v in g.state_dict().items()}
    opt = torch.optim.Adam(g.parameters(), lr=lr)
    Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y, dtype=dtype)
    hist = []
    for ep in range(1, epochs + 1):
        acc = np.zeros(3)
        bs = batches(len(y), B, seed, ep)
        for b in bs:
            loss, lp, lu = kloss(F.normalize(g(Xt[b]), dim=-1), yt[b], M)
            opt.zero_grad(); (scale * loss).backward(); opt.step()
            acc += [loss.item(), lp.item(), lu.item()]
        hist.append(acc / len(bs))
    torch.set_default_dtype(torch.float32)
    return g, hist, init


def fmt(v):
    return ", ".join(f"{x:.9g}" for x in np.asarray(v, dtype=np.float64).ravel())


# ---- the test's tiny problem ----------------------------------------------------------------
def tiny():
    # x[i][c] = (float)cos(0.9 (i H + c) + 0.3), y_i = ((7 i) mod 11) / 2 (labels 0..5, M = 5)
    N, H, B, E, lr, seed, M = 33, 6, 16, 3, 1e-2, 5, 5.0
    X = np.array([[math.cos(0.9 * (i * H + c) + 0.3) for c in range(H)] for i in range(N)],
                 dtype=np.float32)
    y = np.array([((7 * i) % 11) / 2.0 for i in range(N)], dtype=np.float32)
    # PyTorch's own nn.Linear init has the bound PRLE uses: kaiming_uniform_(a=sqrt(5)) gives
    # gain sqrt(2 / 6) times sqrt(3 / fan_in) = 1 / sqrt(fan_in), and so does the bias
    lin = nn.Linear(H, 4)
    gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    assert abs(gain * math.sqrt(3.0 / H) - 1.0 / math.sqrt(H)) < 1e-12
    assert float(lin.weight.abs().max()) <= 1.0 / math.sqrt(H)
    assert nn.LayerNorm(H).eps == 1e-5
    g, hist, init = train(X, y, H, B, lr, E, seed, M, torch.float64)
    print(f"/* tools/ref/kernel_parity.py: resmlp H {H}, hidden {H}, N {N}, B {B} (batches 16, 16,"
          f" 1 skipped), lr {lr}, {E} epochs, seed {seed}, labels 0-5 (M 5); float64 torch */")
    print(f"static const double PAR_INIT_NET0_W[4] = {{{fmt(init['net.0.weight'].ravel()[:4])}}};")
    rows = ", ".join("{" + fmt(h) + "}" for h in hist)
    print(f"static const double PAR_EPOCH_LOSS[{E}][3] = {{{rows}}};")
    w = np.concatenate([t.detach().numpy().ravel() for t in g.state_dict().values()])
    print(f"/* weights after {E} epochs, tensors in state_dict order */")
    print(f"static const double PAR_W[{w.size}] = {{{fmt(w)}}};")
    # the loss scaled by 1e-6 (lambda_pair 1e-6, lambda_uniform 1e-8): gradients near Adam's
    # eps, so eps and where it enters the step show in the weights
    g, hist, _ = train(X, y, H, B, lr, E, seed, M, torch.float64, 1e-6)
    w = np.concatenate([t.detach().numpy().ravel() for t in g.state_dict().values()])
    print("/* the same with the loss times 1e-6 (Adam's eps matters) */")
    print(f"static const double PAR_SMALL_W[{w.size}] = {{{fmt(w)}}};")


# ---- a run folder -----------------------------------------------------------------------------
def report_pearson(Z, y, seed, n_pairs=50000):
    """prle_kernel_distance_corr's Pearson: pairs i != j from (seed, "kernel.report", 0),
    Euclidean distance between L2-normalised rows against |y_i - y_j|."""
    rng, n = Rng(seed, "kernel.report", 0), len(y)
    I, J = np.empty(n_pairs, dtype=np.int64), np.empty(n_pairs, dtype=np.int64)
    for p in range(n_pairs):
        i = rng.below(n); j = rng.below(n - 1); j += j >= i
        I[p], J[p] = i, j
    Z = Z.astype(np.float64)
    Z = Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)
    y = y.astype(np.float64)
    return np.corrcoef(np.abs(y[I] - y[J]), np.linalg.norm(Z[I] - Z[J], axis=1))[0, 1]


def run(run_dir, emb_dir, seed):
    ours, meta = read_safetensors(f"{run_dir}/kernel.safetensors", "projection_head.")
    X = np.load(f"{emb_dir}/train_embeds.npy")
    mu = ours.pop("input_mean", None)  # kernel.center_inputs: the head reads x - mu
    if mu is not None:
        X = X - mu
    y = np.load(f"{emb_dir}/train_labels.npy").astype(np.float32)
    hid, E = int(meta["hidden_dim"]), int(meta["max_epochs"])
    B, lr = int(meta["batch_size"]), float(meta["learning_rate"])
    with open(f"{run_dir}/train_log.csv") as f:
        log = [r for r in csv.DictReader(f) if r["stage"] == "kernel"]
    print(f"prle: seed {seed}, hidden {hid}, B {B}, lr {lr}, {E} epochs, "
          f"center_inputs {mu is not None}, value pearson "
          f"{report_pearson(np.load(f'{run_dir}/value/train_embeds.npy'), y, seed):.4f}")
    for r in log:
        print(f"  prle   epoch {r['epoch']}: loss {float(r['loss']):.7f} pair "
              f"{float(r['loss_pair']):.7f} uniform {float(r['loss_uniform']):.7f}")
    for dtype in (torch.float32, torch.float64):
        g, hist, _ = train(X, y, hid, B, lr, E, seed, 1.0, dtype)
        for ep, h in enumerate(hist, 1):
            print(f"  torch {str(dtype)[6:]} epoch {ep}: loss {h[0]:.7f} pair {h[1]:.7f} "
                  f"uniform {h[2]:.7f}")
        with torch.no_grad():
            z = g(torch.tensor(X, dtype=torch.float32).to(dtype)).double().numpy()
        print(f"  torch {str(dtype)[6:]}: value pearson {report_pearson(z, y, seed):.4f}")
        worst = max((float(np.abs(g.state_dict()[k].double().numpy() - v).max()), k)
                    for k, v in ours.items())
        scale = max(float(np.abs(v).max()) for v in ours.values())
        print(f"  torch {str(dtype)[6:]}: max |w_torch - w_prle| = {worst[0]:.3g} ({worst[1]}),"
              f" max |w| = {scale:.3g}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    else:
        tiny()
