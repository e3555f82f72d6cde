#!/usr/bin/python3
"""Reference numbers for tests/test_glove.c: mean and SIF pooling of GloVe vectors and the
removal of the first principal component, computed independently with NumPy (float64; the
principal component from np.linalg.svd). The vocabulary and the sentences are the fixture
test_glove.c writes; each sentence's tokens are written out by hand here, so this checks the
pooling arithmetic, not the tokenizer (tests/test_tokenize.c does that).

SIF as the measuring harness (../shared/peers/glove_features.py): rank r (0-based, file order),
p = 1 / ((r + 1) ln(1.78 V)), weight a / (a + p), vector sum(w v) / sum(w); with counts,
p = count / sum(counts). PC: u = first right singular vector of the (n, d) matrix of pooled
train sentences, uncentred; x - (x . u) u.

usage: glove_ref.py    (prints the C arrays pasted into tests/test_glove.c)"""
import numpy as np

WORDS = ['the', ',', '.', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'well-known', 'park', 'blue']
VECS = np.array([
    [0.1, -0.2, 0.3, 0.05],
    [0.0, 0.5, -0.5, 0.25],
    [0.2, 0.2, 0.2, 0.2],
    [1.0, 0.5, -0.25, 0.75],
    [-0.5, 1.5, 0.125, -1.0],
    [0.3, -0.3, 0.6, 0.0],
    [0.9, 0.1, -0.7, 0.4],
    [1.1, 0.4, -0.2, 0.8],
    [-0.4, 1.2, 0.3, -0.9],
    [0.6, 0.6, 0.6, -0.6],
    [0.25, -1.25, 0.5, 1.5],
    [-1.0, 0.0, 1.0, 0.5],
], dtype=np.float32)  # the fixture file holds these decimals; float32 as imported
COUNTS = [1000, 900, 800, 50, 40, 300, 20, 60, 30, 5, 25, 10]
A = 1e-3
# (text given to the encoder, its tokens); unknown tokens are dropped
SENTS = [
    ("The cat sat on the mat.", ['the', 'cat', 'sat', 'on', 'the', 'mat', '.']),
    ("A dog ran, in the park!", ['a', 'dog', 'ran', ',', 'in', 'the', 'park', '!']),
    ("Well-known blue cats", ['well-known', 'blue', 'cats']),
    ("the blue-dog sat", ['the', 'blue', 'dog', 'sat']),  # unknown compound: its parts
    ("zzz qqq", ['zzz', 'qqq']),  # no known token: zero vector
]
TRAIN = [
    "The cat sat on the mat.", "A dog ran, in the park!", "Well-known blue cats",
    "the blue-dog sat", "cat dog cat", "blue mat on the park", "ran sat ran", "zzz qqq",
]
TRAIN_TOKENS = {
    "cat dog cat": ['cat', 'dog', 'cat'],
    "blue mat on the park": ['blue', 'mat', 'on', 'the', 'park'],
    "ran sat ran": ['ran', 'sat', 'ran'],
}


def pool(tokens, mode, counts=False):
    idx = {w: i for i, w in enumerate(WORDS)}
    ids = [idx[t] for t in tokens if t in idx]
    V = len(WORDS)
    if not ids:
        return np.zeros(VECS.shape[1])
    if mode == 'mean':
        w = np.ones(len(ids))
    elif counts:
        c = np.array(COUNTS, np.float64)
        w = A / (A + c[ids] / c.sum())
    else:
        p = 1.0 / ((np.arange(V) + 1) * np.log(1.78 * V))
        w = A / (A + p[ids])
    return (w[:, None] * VECS[ids].astype(np.float64)).sum(0) / w.sum()


def toks(text):
    for t, tk in SENTS:
        if t == text:
            return tk
    return TRAIN_TOKENS[text]


def carr(name, M):
    rows = ',\n    '.join('{' + ', '.join(f'{x:.12g}' for x in r) + '}' for r in np.atleast_2d(M))
    print(f'static const double {name}[][4] = {{\n    {rows}}};')


carr('ref_mean', [pool(t, 'mean') for _, t in SENTS])
carr('ref_sif', [pool(t, 'sif') for _, t in SENTS])
carr('ref_sif_counts', [pool(t, 'sif', True) for _, t in SENTS])
X = np.array([pool(toks(t), 'sif') for t in TRAIN])
u = np.linalg.svd(X, full_matrices=False)[2][0]
u = u if u[np.argmax(np.abs(u))] > 0 else -u
carr('ref_pc', [u])
S = np.array([pool(t, 'sif') for _, t in SENTS])
carr('ref_sif_pc', S - np.outer(S @ u, u))
