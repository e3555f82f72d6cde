#!/usr/bin/python3
"""Quality check of STS-B sentence vectors (not a test): scikit-learn Ridge on the pair features
[u, v, u+v, |u-v|, u*v], alpha from a grid on 0.1..100 chosen by validation Pearson, refit on
train + validation, Pearson on test. A careful GloVe-100 SIF reaches 0.683 (issue 3: >= 0.67).

usage: ridge_check.py DIR [STSB_DIR]
  DIR holds {train,validation,test}_embeds.npy, either [u, v] (n, 2d) or pair features (n, 5d)
  --peer GLOVE_DIR [mean|sif]: instead, the measuring harness's features
  (../shared/peers/glove_features.py: its regex tokenizer) from glove100.npy + vocab.txt."""
import csv, re, sys
import numpy as np
from scipy.stats import pearsonr
from sklearn.linear_model import Ridge

FILES = {'train': 'sts-train.csv', 'validation': 'sts-dev.csv', 'test': 'sts-test.csv'}
ALPHAS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]


def rows(stsb, split):
    with open(f'{stsb}/{FILES[split]}', encoding='utf-8') as f:
        return [(r[5], r[6], float(r[4])) for r in csv.reader(f, delimiter='\t', quoting=csv.QUOTE_NONE)]


def pair(uv, d):
    u, v = uv[:, :d].astype(np.float64), uv[:, d:2 * d].astype(np.float64)
    return np.hstack([u, v, u + v, np.abs(u - v), u * v])


def peer_uv(glove_dir, stsb, pooling):
    M = np.load(glove_dir + '/glove100.npy')
    words = open(glove_dir + '/vocab.txt', encoding='utf-8').read().split('\n')[:-1]
    idx = {w: i for i, w in enumerate(words)}
    tok = re.compile(r"n't|'s|'re|'ll|'ve|'d|'m|[a-z0-9]+(?:[-.][a-z0-9]+)*|[^\sa-z0-9]")
    a, V = 1e-3, len(words)
    pw = 1.0 / ((np.arange(V) + 1) * np.log(1.78 * V))

    def emb(s):
        ids = [idx[t] for t in tok.findall(s.lower()) if t in idx]
        if not ids:
            return np.zeros(M.shape[1])
        w = (a / (a + pw[ids])) if pooling == 'sif' else np.ones(len(ids))
        return (w[:, None] * M[ids]).sum(0) / w.sum()
    return {s: np.array([np.concatenate([emb(x), emb(y)]) for x, y, _ in rows(stsb, s)]) for s in FILES}


def main():
    args = sys.argv[1:]
    stsb = '/work/shared/data/stsb'
    if args[0] == '--peer':
        pooling = args[2] if len(args) > 2 else 'sif'
        uv = peer_uv(args[1], stsb, pooling)
        what = f'peer {args[1]} {pooling}'
    else:
        if len(args) > 1:
            stsb = args[1]
        uv = {s: np.load(f'{args[0]}/{s}_embeds.npy') for s in FILES}
        what = args[0]
    y = {s: np.array([r[2] for r in rows(stsb, s)]) for s in FILES}
    width = uv['train'].shape[1]
    T = uv['train'].astype(np.float64)
    d5 = width // 5  # pair features already when columns [2d, 3d) are u + v
    is_pairs = width % 5 == 0 and np.allclose(T[:, 2 * d5:3 * d5], T[:, :d5] + T[:, d5:2 * d5], atol=1e-5)
    d = d5 if is_pairs else width // 2
    X = {s: (uv[s].astype(np.float64) if is_pairs else pair(uv[s], d)) for s in FILES}
    for s in FILES:
        assert len(X[s]) == len(y[s]), (s, len(X[s]), len(y[s]))
    best = max(ALPHAS, key=lambda al: pearsonr(Ridge(alpha=al).fit(X['train'], y['train'])
                                               .predict(X['validation']), y['validation'])[0])
    val = pearsonr(Ridge(alpha=best).fit(X['train'], y['train']).predict(X['validation']), y['validation'])[0]
    m = Ridge(alpha=best).fit(np.vstack([X['train'], X['validation']]), np.concatenate([y['train'], y['validation']]))
    test = pearsonr(m.predict(X['test']), y['test'])[0]
    print(f'{what}: d={d} alpha={best} validation pearson={val:.4f} test pearson={test:.4f}')


if __name__ == '__main__':
    main()
