#!/usr/bin/python3
"""Reference numbers for tests/test_model.c: the stage-2 training of src/prle/fit.c re-stated in
PyTorch (SPEC.md §5, include/prle/model.h) on a small synthetic problem with given prototypes,
initial weights and batch order. Writes tests/model_ref.h:

    /usr/bin/python3 tools/ref/model_ref.py > tests/model_ref.h

Semantics re-stated: labels standardised with the train mean and population sd; every epoch
tau = clip(tau * tau_anneal) first, then the batches of the fixed order, each one Adam step
(torch.optim.Adam, L2 weight decay) on [experts, tau], tau clipped to [tau_min, tau_max] after
the step; router W = softmax(-tau d), d = 1 - cos or |z - u|; experts nn.Linear per prototype
(linear) or Linear(D, h) -> ReLU -> Linear(h, 1) (mlp); v2 loss task + fit + anchor + balance +
entropy; v1 loss task + metric (no gradient) + proto_self + local + consistency, the weights
the means of the original's geometry and expert phases."""
import numpy as np
import torch

torch.set_default_dtype(torch.float32)
N, D, P, B = 12, 5, 3, 4
PROTO_ROWS = [1, 5, 9]
PERM = [3, 7, 0, 11, 5, 2, 9, 1, 10, 6, 4, 8]
TAU_MIN, TAU_MAX = 0.5, 50.0


def data():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(N, D))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    y = rng.uniform(0, 5, size=N)
    return z.astype(np.float32), y.astype(np.float32)


def init_params(kind, h, seed):
    rng = np.random.default_rng(seed)
    if kind == 'linear':
        return {'w': rng.uniform(-0.4, 0.4, size=(P, D)).astype(np.float32),
                'b': rng.uniform(-0.4, 0.4, size=P).astype(np.float32)}
    return {'w1': rng.uniform(-0.4, 0.4, size=(P, h, D)).astype(np.float32),
            'b1': rng.uniform(-0.4, 0.4, size=(P, h)).astype(np.float32),
            'w2': rng.uniform(-0.5, 0.5, size=(P, h)).astype(np.float32),
            'b2': rng.uniform(-0.5, 0.5, size=P).astype(np.float32)}


def run(kind, h, v2, lam, dist, tau_init, anneal, lr, wd, epochs, seed):
    z, y = data()
    mean = float(np.mean(y.astype(np.float64)))
    sd = float(np.std(y.astype(np.float64)))
    ys = torch.tensor(((y.astype(np.float64) - mean) / sd).astype(np.float32))
    yraw = torch.tensor(y)
    Z = torch.tensor(z)
    U = Z[PROTO_ROWS]
    init = init_params(kind, h, seed)
    prm = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    tau = torch.tensor(float(tau_init), requires_grad=True)
    opt = torch.optim.Adam(list(prm.values()) + [tau], lr=lr, weight_decay=wd)
    anchor = torch.full((N,), -1, dtype=torch.long)
    anchor[PROTO_ROWS] = torch.arange(P)

    def experts(x):
        if kind == 'linear':
            return x @ prm['w'].T + prm['b']
        hid = torch.relu(torch.einsum('nd,phd->nph', x, prm['w1']) + prm['b1'])
        return (hid * prm['w2']).sum(-1) + prm['b2']

    def router(x):
        if dist == 'cosine':
            d = 1 - torch.nn.functional.normalize(x, dim=-1) @ torch.nn.functional.normalize(U, dim=-1).T
        else:
            d = torch.cdist(x, U)
        return torch.softmax(-tau * d, -1)

    logs = []
    for ep in range(epochs):
        with torch.no_grad():
            tau.copy_(torch.clamp(tau * anneal, TAU_MIN, TAU_MAX))
        sums = np.zeros(7)
        nb = 0
        for i in range(0, N, B):
            b = torch.tensor(PERM[i:i + B])
            x, yb = Z[b], ys[b]
            W = router(x)
            E = experts(x)
            yh = (W * E).sum(-1)
            task = ((yh - yb) ** 2).mean()
            fit = (W * (E - yb[:, None]) ** 2).mean()
            if v2:
                ab = anchor[b]
                hit = ab >= 0
                anc = -torch.log(W[hit, ab[hit]] + 1e-8).mean() if hit.any() else torch.zeros(())
                u = W.mean(0)
                bal = P * (u ** 2).sum()
                ent = (-(W * torch.log(W)).sum(-1)).mean()
                loss = lam[0] * task + lam[1] * fit + lam[2] * anc + lam[3] * bal + lam[4] * ent
                terms = [loss, task, fit, anc, bal, ent, 0.0]
            else:
                cons = (W * ((x[:, None, :] - U[None, :, :]) ** 2).sum(-1)).mean()
                Epp = experts(U)
                pself = ((torch.diagonal(Epp) - ys[PROTO_ROWS]) ** 2).mean()
                with torch.no_grad():
                    zn = torch.nn.functional.normalize(x, dim=-1)
                    dd = torch.cdist(zn, zn)
                    ydiff = (yraw[b][:, None] - yraw[b][None, :]).abs()
                    eye = torch.eye(len(b), dtype=torch.bool)
                    pos, neg = (ydiff <= 0.1) & ~eye, (ydiff >= 0.3) & ~eye
                    met = (dd[pos] ** 2).mean() if pos.any() else torch.zeros(())
                    met = met + ((torch.relu(1 - dd[neg]) ** 2).mean() if neg.any() else 0)
                # means of the phase weights: task 1, metric 0.5, proto_self 0.5, local 0.5,
                # consistency 1
                loss = task + 0.5 * pself + 0.5 * fit + 1.0 * cons
                terms = [loss + 0.5 * met, task, fit, cons, pself, met, 0.0]
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                tau.clamp_(TAU_MIN, TAU_MAX)
            sums += np.array([float(t) for t in terms])
            nb += 1
        logs.append(sums / nb)
    out = {k: v.detach().numpy().ravel() for k, v in prm.items()}
    return init, out, float(tau), logs[-1], mean, sd


def arr(name, v, typ='float'):
    body = ', '.join(f'{float(x):.9g}f' if typ == 'float' else f'{float(x):.17g}' for x in v)
    return f'static const {typ} {name}[{len(v)}] = {{{body}}};'


def main():
    z, y = data()
    lines = ['/* Generated by tools/ref/model_ref.py (torch %s, numpy %s); do not edit. */'
             % (torch.__version__, np.__version__),
             '#ifndef PRLE_TEST_MODEL_REF_H', '#define PRLE_TEST_MODEL_REF_H',
             f'#define MREF_N {N}', f'#define MREF_D {D}', f'#define MREF_P {P}', f'#define MREF_B {B}',
             arr('mref_z', z.ravel()), arr('mref_y', y),
             'static const size_t mref_protos[%d] = {%s};' % (P, ', '.join(map(str, PROTO_ROWS))),
             'static const size_t mref_perm[%d] = {%s};' % (N, ', '.join(map(str, PERM)))]
    cases = [
        # name, kind, h, v2, lambdas, dist, tau_init, anneal, lr, wd, epochs, seed
        ('lin', 'linear', 0, True, [1, 0.5, 0.5, 0.1, 0.0], 'cosine', 1.0, 1.0, 0.01, 5e-7, 1, 1),
        ('mlp', 'mlp', 3, True, [1, 0.5, 0.5, 0.1, 0.05], 'euclidean', 2.0, 1.2, 0.02, 1e-3, 2, 2),
        ('v1', 'linear', 0, False, None, 'cosine', 1.5, 1.0, 0.01, 5e-7, 2, 3),
    ]
    for name, kind, h, v2, lam, dist, tau_init, anneal, lr, wd, epochs, seed in cases:
        init, out, tau, log, mean, sd = run(kind, h, v2, lam, dist, tau_init, anneal, lr, wd,
                                            epochs, seed)
        keys = ['w', 'b'] if kind == 'linear' else ['w1', 'b1', 'w2', 'b2']
        for k in keys:
            lines.append(arr(f'mref_{name}_init_{k}', init[k].ravel()))
            lines.append(arr(f'mref_{name}_out_{k}', out[k]))
        lines.append(f'static const double mref_{name}_tau = {tau:.17g};')
        lines.append(arr(f'mref_{name}_log', log, 'double'))
        lines.append(f'static const double mref_label_mean = {mean:.17g};' if name == 'lin' else '')
        lines.append(f'static const double mref_label_sd = {sd:.17g};' if name == 'lin' else '')
    lines.append('#endif')
    print('\n'.join(l for l in lines if l))


if __name__ == '__main__':
    main()
