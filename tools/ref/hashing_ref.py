#!/usr/bin/python3
"""Reference numbers for tests/test_hashing.c: the hashing encoder of SPEC.md §3, written
again from its description (src/encode/hashing.h) in Python, with scikit-learn's
TfidfTransformer doing the TF-IDF and a SciPy sparse matrix doing the projection.

Reads tests/data/hashing/texts.txt (SPLIT<TAB>TEXT per line; '#' lines are comments), fits on
the train texts, encodes every text at a few (dim, seed) settings and writes
tests/data/hashing/ref.txt:

    # comment lines
    lower <cp> <lower cp>           every code point of the covered ranges that Python's
                                    str.lower maps to one other code point
    features <i> <n> <b:c>...       text i: n feature occurrences, sorted buckets with counts
    case <dim> <seed> <k>           then one line per text:
    row <i> <dim values>            float64 values as %.17g
    empty <count>                   texts with no feature
    end

Run with Debian's /usr/bin/python3 (numpy, scipy, scikit-learn):
    /usr/bin/python3 tools/ref/hashing_ref.py
"""
import math
import os
import sys

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfTransformer

from prle_rng import Rng, splitmix64

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', '..', 'tests', 'data', 'hashing')
BITS = 20
NNZ = 8
M64 = (1 << 64) - 1

# Code-point ranges whose lower case follows Python's str.lower (single code point results).
COVERED = [(0x0000, 0x017F), (0x0386, 0x03AB), (0x0400, 0x04FF), (0x0531, 0x0556),
           (0x1E00, 0x1EFF), (0xFF21, 0xFF3A)]


def covered(o):
    return any(a <= o <= b for a, b in COVERED)


def lower(ch):
    if covered(ord(ch)):
        lo = ch.lower()
        if len(lo) == 1:
            return lo
    return ch


def is_word(o):
    if o < 0x80:
        return chr(o).isascii() and chr(o).isalnum()
    if o <= 0xBF:
        return o in (0xAA, 0xB5, 0xBA)
    if o in (0xD7, 0xF7):
        return False
    for a, b in [(0x2000, 0x2BFF), (0x3000, 0x303F), (0xFE00, 0xFE6F), (0xFF01, 0xFF0F),
                 (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65), (0x1F000, 0x1FAFF),
                 (0xFFF0, 0xFFFF)]:
        if a <= o <= b:
            return False
    return o != 0xFEFF


def fnv(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def bucket(tag, s):
    return mix64(fnv(bytes([tag]) + s.encode('utf-8'))) >> (64 - BITS)


def features(text):
    """Bucket of every feature occurrence, in the order of hashing.h."""
    low = ''.join(lower(c) for c in text)
    words, cur = [], ''
    for c in low:
        if is_word(ord(c)):
            cur += c
        elif cur:
            words.append(cur)
            cur = ''
    if cur:
        words.append(cur)
    out = [bucket(1, w) for w in words]
    out += [bucket(2, a + ' ' + b) for a, b in zip(words, words[1:])]
    for w in words:  # scikit-learn's char_wb n-grams, 3..5
        p = ' ' + w + ' '
        for n in range(3, 6):
            if len(p) <= n:
                out.append(bucket(3, p))
                break
            out += [bucket(3, p[o:o + n]) for o in range(len(p) - n + 1)]
    return out


def pattern(key, b, dim, k):
    """k distinct dims by Lemire's multiply-shift with rejection on each draw's top 32 bits;
    the sign is bit 31 of the same draw."""
    x = mix64(key ^ b)
    reject = ((1 << 32) - dim) % dim
    dims, signs = [], []
    for _ in range(k):
        while True:
            x, r = splitmix64(x)
            m = (r >> 32) * dim
            if (m & 0xffffffff) < reject:
                continue
            d = m >> 32
            if d not in dims:
                break
        dims.append(d)
        signs.append(-1.0 if (r >> 31) & 1 else 1.0)
    return dims, signs


def counts_matrix(feats):
    rows, cols, vals = [], [], []
    for i, f in enumerate(feats):
        u, c = np.unique(np.array(f, dtype=np.int64), return_counts=True)
        rows += [i] * len(u)
        cols += list(u)
        vals += list(c)
    return sp.csr_matrix((np.array(vals, dtype=np.float64), (rows, cols)),
                         shape=(len(feats), 1 << BITS))


def main():
    texts = []
    for line in open(os.path.join(DATA, 'texts.txt'), encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('#'):
            continue
        split, text = line.split('\t', 1)
        texts.append((split, text))
    train = [t for s, t in texts if s == 'train']
    allt = [t for _, t in texts]
    ftrain = [features(t) for t in train]
    fall = [features(t) for t in allt]

    tfidf = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm='l2')
    tfidf.fit(counts_matrix(ftrain))
    X = tfidf.transform(counts_matrix(fall)).tocsr()  # (n, 2^20), rows L2-normalised

    out = open(os.path.join(DATA, 'ref.txt'), 'w')
    out.write('# made by tools/ref/hashing_ref.py (scikit-learn %s, numpy %s)\n'
              % (sklearn.__version__, np.__version__))
    for a, b in COVERED:
        for o in range(a, b + 1):
            lo = lower(chr(o))
            if ord(lo) != o:
                out.write('lower %d %d\n' % (o, ord(lo)))
    for i, f in enumerate(fall):
        u, c = np.unique(np.array(f, dtype=np.int64), return_counts=True)
        out.write('features %d %d %s\n' % (i, len(f), ' '.join('%d:%d' % x for x in zip(u, c))))
    used = np.unique(X.indices)
    for dim, seed in [(24, 7), (5, 7), (24, 8)]:
        k = min(NNZ, dim)
        key = Rng(seed, 'hashing.projection', 0).next()
        rows, cols, vals = [], [], []
        for b in used:
            d, s = pattern(key, int(b), dim, k)
            rows += [int(b)] * k
            cols += d
            vals += [v / math.sqrt(k) for v in s]
        P = sp.csr_matrix((vals, (rows, cols)), shape=(1 << BITS, dim))
        Y = (X @ P).toarray()
        out.write('case %d %d %d\n' % (dim, seed, k))
        for i in range(len(allt)):
            out.write('row %d %s\n' % (i, ' '.join('%.17g' % v for v in Y[i])))
        out.write('empty %d\n' % sum(1 for f in fall if not f))
    out.write('end\n')
    out.close()
    print('wrote', os.path.join(DATA, 'ref.txt'), file=sys.stderr)


if __name__ == '__main__':
    main()
