#!/usr/bin/python3
"""Reference numbers for tests/test_kernel.c, from PyTorch and NumPy/SciPy (independent of the C code).

Run:  /usr/bin/python3 tools/ref/kernel_ref.py      (needs python3-torch, -numpy, -scipy)

1. The kernel loss of ../shared/peers/prle_torch.py (`kloss`: pair + 0.01 uniformity, label
   range 1) on z = F.normalize(g) for a fixed g (6, 4) and labels: its value and dL/dg by
   autograd, in float64.
2. The forward z = F.normalize(head(x)) of the original's ResMLPProjectionHead (H 6, hidden 5,
   D 6: out-projection and residual; ReLU) and MLPProjectionHead (H 5, hidden 4, D 3, GELU),
   rebuilt here as nn.Sequential modules with the state_dict names the C kernel writes, every
   tensor filled by the formula `fill(name, n)` below (the C test uses the same formula).
3. The distance-label report: pairs drawn by a port of prle_rng (xoshiro256** seeded by
   splitmix64 from (seed, purpose, index)), Euclidean distances between L2-normalised rows,
   Pearson (numpy.corrcoef) and Spearman (scipy.stats.spearmanr) of (|dy|, dist).
"""
import math

import numpy as np
import scipy.stats
import torch
import torch.nn as nn
import torch.nn.functional as F

from prle_rng import Rng

torch.set_default_dtype(torch.float64)


def fill(name, n):
    return [0.5 * math.sin(0.7 * k + 0.3 * len(name)) for k in range(n)]


def inputs(rows, cols, phase):
    return torch.tensor([[math.cos(0.9 * (r * cols + c) + phase) for c in range(cols)]
                         for r in range(rows)])


def fmt(v):
    return ", ".join(f"{x:.17g}" for x in np.asarray(v, dtype=np.float64).ravel())


# ---- 1. loss --------------------------------------------------------------------------------
def kloss(z, y, label_max=1.0):
    B = len(y); S = z @ z.T; T = 1 - (y[:, None] - y[None, :]).abs() / label_max
    off = ~torch.eye(B, dtype=bool)
    lp = ((S - T)[off] ** 2).mean(); iu = torch.triu_indices(B, B, 1)
    d2 = ((z[iu[0]] - z[iu[1]]) ** 2).sum(-1); lu = torch.log(torch.exp(-2 * d2).mean() + 1e-8)
    return lp + 0.01 * lu, lp, lu


g = inputs(6, 4, 0.2).requires_grad_(True)
y = torch.tensor([0.1, 0.85, 0.4, 0.45, 1.0, 0.0])
loss, lp, lu = kloss(F.normalize(g, dim=-1), y)
loss.backward()
print("/* 1. prle_torch.py kloss on F.normalize(g), g = inputs(6, 4, 0.2) */")
print(f"static const double REF_LOSS = {loss.item():.17g}, REF_PAIR = {lp.item():.17g}, "
      f"REF_UNIF = {lu.item():.17g};")
print(f"static const double REF_DLDG[24] = {{{fmt(g.grad)}}};")


# ---- 2. heads -------------------------------------------------------------------------------
def load(module, prefix="projection_head."):
    sd = {}
    for k, v in module.state_dict().items():
        sd[k] = torch.tensor(fill(prefix + k, v.numel())).reshape(v.shape)
    module.load_state_dict(sd)


class ResMLP(nn.Module):
    def __init__(s, H, hid, D):
        super().__init__()
        s.net = nn.Sequential(nn.Linear(H, hid), nn.ReLU(), nn.Linear(hid, hid), nn.ReLU())
        s.out_proj = nn.Linear(hid, D); s.norm = nn.LayerNorm(D)

    def forward(s, x):
        return s.norm(s.out_proj(s.net(x)) + x)


class MLP(nn.Module):
    def __init__(s, H, hid, D):
        super().__init__()
        s.net = nn.Sequential(nn.Linear(H, hid), nn.GELU(), nn.Linear(hid, D))

    def forward(s, x):
        return s.net(x)


with torch.no_grad():
    r = ResMLP(6, 5, 6); load(r)
    zr = F.normalize(r(inputs(3, 6, 0.5)), dim=-1)
    m = MLP(5, 4, 3); load(m)
    zm = F.normalize(m(inputs(3, 5, 0.5)), dim=-1)
print("/* 2. z of ResMLP(6, hidden 5, 6) on inputs(3, 6, 0.5); MLP(5, 4, 3) GELU on inputs(3, 5, 0.5) */")
print(f"static const double REF_Z_RESMLP[18] = {{{fmt(zr)}}};")
print(f"static const double REF_Z_MLP[9] = {{{fmt(zm)}}};")


# ---- 3. report ------------------------------------------------------------------------------
n, d, npairs = 20, 4, 300
E = np.array([[math.sin(0.37 * (i * d + c)) + (0.5 if c == i % d else 0.0) for c in range(d)]
              for i in range(n)], dtype=np.float32)
Y = np.array([((i * 7) % 11) / 10.0 for i in range(n)], dtype=np.float32)
rng = Rng(7, "kernel.report", 0)
I, J = [], []
for _ in range(npairs):
    i = rng.below(n); j = rng.below(n - 1); j += j >= i
    I.append(i); J.append(j)
En = E.astype(np.float64) / np.maximum(np.linalg.norm(E.astype(np.float64), axis=1, keepdims=True), 1e-12)
dist = np.linalg.norm(En[I] - En[J], axis=1)
dy = np.abs(Y[I].astype(np.float64) - Y[J].astype(np.float64))
print("/* 3. report on E[i][c] = sin(0.37 (i d + c)) + 0.5 [c == i mod d], y_i = ((7 i) mod 11) / 10,"
      " n 20, d 4, 300 pairs, seed 7 */")
print(f"static const double REF_CORR_PEARSON = {np.corrcoef(dy, dist)[0, 1]:.17g};")
print(f"static const double REF_CORR_SPEARMAN = {scipy.stats.spearmanr(dy, dist).correlation:.17g};")
