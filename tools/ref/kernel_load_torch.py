#!/usr/bin/python3
"""Loads a kernel.safetensors written by `prle kernel` into the PyTorch modules of the original
PRLE (model/prototypes/projection_heads.py, rebuilt here with the same layer lists and names),
with load_state_dict(strict=True), and checks that F.normalize(head(e)) reproduces the value
space the C program wrote. A kernel trained with kernel.center_inputs: true has one more
buffer, `projection_head.input_mean`; the head then reads e - input_mean; with
kernel.standardize_inputs one more, `projection_head.input_scale`: (e - input_mean) * input_scale.

Run:  /usr/bin/python3 tools/ref/kernel_load_torch.py RUN_DIR EMB_DIR [split]
      e.g. RUN_DIR = runs/stsb-glove, EMB_DIR = cache/stsb-glove (needs python3-torch, numpy)

The safetensors file is parsed by tools/ref/safetensors_read.py (standard library and NumPy),
so the `safetensors` package is not needed.
"""
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors_read import read_safetensors


class ResMLP(nn.Module):  # ResMLPProjectionHead
    def __init__(s, H, D, hid, L, dropout, act):
        super().__init__()
        layers, last = [], H
        for _ in range(L):
            layers += [nn.Linear(last, hid), nn.ReLU() if act == "relu" else nn.GELU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            last = hid
        s.net = nn.Sequential(*layers)
        s.out_proj = nn.Linear(hid, D) if hid != D else nn.Identity()
        s.norm = nn.LayerNorm(D)

    def forward(s, x):
        h = s.out_proj(s.net(x))
        return s.norm(h + x if x.shape[-1] == h.shape[-1] else h)


class MLP(nn.Module):  # MLPProjectionHead
    def __init__(s, H, D, hid, L, act):
        super().__init__()
        layers, d = [], H
        for _ in range(L - 1):
            layers += [nn.Linear(d, hid), nn.ReLU() if act == "relu" else nn.GELU()]
            d = hid
        layers.append(nn.Linear(d, D))
        s.net = nn.Sequential(*layers)

    def forward(s, x):
        return s.net(x)


class Linear(nn.Module):  # LinearProjectionHead
    def __init__(s, H, D):
        super().__init__()
        s.proj = nn.Linear(H, D, bias=False)

    def forward(s, x):
        return s.proj(x)


class RFF(nn.Module):  # RBFRandomFourierProjectionHead (W, b as buffers or parameters alike)
    def __init__(s, H, D):
        super().__init__()
        s.register_buffer("W", torch.zeros(H, D // 2))
        s.register_buffer("b", torch.zeros(D // 2))
        s.scaling = math.sqrt(2.0 / D)

    def forward(s, x):
        p = x @ s.W + s.b
        return s.scaling * torch.cat([torch.cos(p), torch.sin(p)], dim=-1)


def main():
    run, emb = sys.argv[1], sys.argv[2]
    split = sys.argv[3] if len(sys.argv) > 3 else "train"
    arrays, meta = read_safetensors(f"{run}/kernel.safetensors", "projection_head.")
    sd = {k: torch.tensor(v) for k, v in arrays.items()}
    t, H, D = meta["projection_type"], int(meta["in_dim"]), int(meta["proj_dim"])
    hid, L = int(meta["hidden_dim"]), int(meta["num_layers"])
    if t == "resmlp":
        m = ResMLP(H, D, hid, L, float(meta["dropout"]), meta["activation"])
    elif t == "mlp":
        m = MLP(H, D, hid, L, meta["activation"])
    elif t == "linear":
        m = Linear(H, D)
    else:
        m = RFF(H, D)
    if "input_scale" in sd:  # kernel.standardize_inputs: (x - input_mean) * input_scale
        m.register_buffer("input_mean", torch.zeros(H))
        m.register_buffer("input_scale", torch.ones(H))
        m.forward = lambda x, f=m.forward: f((x - m.input_mean) * m.input_scale)
    elif "input_mean" in sd:  # kernel.center_inputs: a buffer of the head, subtracted first
        m.register_buffer("input_mean", torch.zeros(H))
        m.forward = lambda x, f=m.forward: f(x - m.input_mean)
    m.load_state_dict(sd, strict=True)
    m.eval()
    x = torch.tensor(np.load(f"{emb}/{split}_embeds.npy"))
    with torch.no_grad():
        z = F.normalize(m(x), dim=-1).numpy()
    ours = np.load(f"{run}/value/{split}_embeds.npy")
    diff = float(np.abs(z - ours).max())
    print(f"{t}: {len(sd)} tensors loaded strictly; {split} {ours.shape}: max |torch - prle| = {diff:.3g}")
    sys.exit(0 if diff < 1e-4 else 1)


if __name__ == "__main__":
    main()
