#!/usr/bin/python3
"""Reference numbers for tests/test_router_mlp.c (issue 5): the mlp_sparse router's evaluation
forward in PyTorch, on given weights.

A small fixed problem (seeded numpy draws stored as float32, so C sees the same values):
z (3, 3) rows, u (4, 3) prototypes, and a gate nn.Sequential(Linear(10, 5), ReLU, Linear(5, 1))
whose weights are drawn here (not PyTorch's init). Features per (row, prototype) are
[z; u; |z - u|; d] with d = 1 - cos(z, u) (distance cosine) or |z - u| (euclidean, the
original SparseMLPRouter's feature); W = softmax over prototypes of the logits (evaluation: no
Gumbel noise). Computed in float64 from the float32 inputs. Prints C arrays to paste into the
test.

usage: /usr/bin/python3 tools/ref/router_mlp_ref.py"""
import numpy as np
import torch

rng = np.random.default_rng(5005)
n, P, D, H = 3, 4, 3, 5
z = rng.normal(size=(n, D)).astype(np.float32)
u = rng.normal(size=(P, D)).astype(np.float32)
w0 = rng.uniform(-0.8, 0.8, size=(H, 3 * D + 1)).astype(np.float32)
b0 = rng.uniform(-0.3, 0.3, size=H).astype(np.float32)
w2 = rng.uniform(-1.5, 1.5, size=(1, H)).astype(np.float32)
b2 = rng.uniform(-0.3, 0.3, size=1).astype(np.float32)

gate = torch.nn.Sequential(torch.nn.Linear(3 * D + 1, H), torch.nn.ReLU(), torch.nn.Linear(H, 1))
gate = gate.double()
with torch.no_grad():
    gate[0].weight.copy_(torch.from_numpy(w0.astype(np.float64)))
    gate[0].bias.copy_(torch.from_numpy(b0.astype(np.float64)))
    gate[2].weight.copy_(torch.from_numpy(w2.astype(np.float64)))
    gate[2].bias.copy_(torch.from_numpy(b2.astype(np.float64)))


def weights(metric):
    Z = torch.from_numpy(z.astype(np.float64))
    U = torch.from_numpy(u.astype(np.float64))
    x = Z.unsqueeze(1).expand(n, P, D)
    p = U.unsqueeze(0).expand(n, P, D)
    diff = (x - p).abs()
    if metric == 'cosine':
        d = 1.0 - torch.nn.functional.normalize(x, dim=2).mul(
            torch.nn.functional.normalize(p, dim=2)).sum(2, keepdim=True)
    else:
        d = torch.norm(diff, p=2, dim=2, keepdim=True)
    feat = torch.cat([x, p, diff, d], dim=2)
    with torch.no_grad():
        logits = gate(feat).squeeze(-1)
        return torch.softmax(logits, dim=1).numpy()


def arr(name, a, ctype='float'):
    a = np.asarray(a).ravel()
    body = ', '.join(('%.9g' % v) + ('f' if ctype == 'float' else '') for v in a)
    return f'static const {ctype} {name}[{len(a)}] = {{{body}}};'


print('/* tools/ref/router_mlp_ref.py (torch %s) */' % torch.__version__)
print(arr('ref_z', z))
print(arr('ref_u', u))
print(arr('ref_gate', np.concatenate([w0.ravel(), b0, w2.ravel(), b2])))
print(arr('ref_w_cosine', weights('cosine'), 'double'))
print(arr('ref_w_euclidean', weights('euclidean'), 'double'))
