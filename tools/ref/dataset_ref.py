#!/usr/bin/python3
"""Reference numbers for tests/test_dataset.c, computed independently of the C loader
(standard library only).

Run:  /usr/bin/python3 tools/ref/dataset_ref.py [SHARED_DATA] [SEED]
      (defaults: ../shared/data next to the repository, seed 42)

For every preset split: row count, label mean (from Python's float(), i.e. the decimal text
read in double precision), label min / max, the 1-based line of the first and last row, and
rows_sha256: sha256 over the split's rows in order, each row = its texts, each followed by a
NUL byte, then the label as a little-endian float32 (what prle_dataset_info() reports).

Parsers follow the READMEs, not the C code: STS-B and MLQE-PE split each line on TAB (no
quoting); Ruddit goes through csv.reader (RFC 4180). Ruddit's split re-implements the scheme
of src/data/split.c / docs/config.md with a Python copy of prle_rng (xoshiro256** seeded by
splitmix64 from (seed, purpose, index)).

Texts are never printed (Ruddit content warning).
"""
import csv
import hashlib
import math
import os
import statistics
import struct
import sys

from prle_rng import Rng

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "data")
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 42
# ---- the split (src/data/split.c) ------------------------------------------------------

def counts(m, ratios):
    c = [math.floor(m * r) for r in ratios]
    frac = [m * r - f for r, f in zip(ratios, c)]
    while sum(c) > m:  # overshoot by rounding: take from the smallest fraction
        k = min((i for i in range(3) if c[i] > 0), key=lambda i: (frac[i], i))
        c[k] -= 1
        frac[k] = 2.0
    while sum(c) < m:
        k = max(range(3), key=lambda i: (frac[i], -i))
        c[k] += 1
        frac[k] = -1.0
    return c


def block_size(ratios):
    for b in range(1, 1001):
        if all(abs(b * r - round(b * r)) <= 1e-6 for r in ratios):
            return b
    return 1000


def split_assign(labels, ratios, stratify, seed):
    n = len(labels)
    order = list(range(n))
    bsize = n
    if stratify:
        order.sort(key=lambda i: (labels[i], i))
        bsize = block_size(ratios)
    rng = Rng(seed, "data.split", 0)
    which = [None] * n
    for start in range(0, n, bsize):
        block = order[start:start + bsize]
        rng.shuffle(block)
        c = counts(len(block), ratios)
        j = 0
        for s in range(3):
            for _ in range(c[s]):
                which[block[j]] = s
                j += 1
    return which


# ---- reporting -------------------------------------------------------------------------

def rows_sha(rows):
    h = hashlib.sha256()
    for texts, label, _line in rows:
        for t in texts:
            h.update(t.encode("utf-8") + b"\0")
        h.update(struct.pack("<f", label))
    return h.hexdigest()


def report(name, split, rows):
    labels = [r[1] for r in rows]
    print(f'    {{"{name}", {split}, {len(rows)}, {statistics.fmean(labels):.10f}, '
          f'{min(labels):.10g}, {max(labels):.10g}, {rows[0][2]}, {rows[-1][2]},\n'
          f'     "{rows_sha(rows)}"}},')


def tsv_lines(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def stsb():
    for s, stem in enumerate(("train", "dev", "test")):
        rows = []
        for i, line in enumerate(tsv_lines(os.path.join(DATA, "stsb", f"sts-{stem}.csv"))):
            f = line.split("\t")
            rows.append(((f[5], f[6]), float(f[4]), i + 1))
        report("stsb", s, rows)


def mlqe(pair):
    pp = pair.replace("-", "")
    for s, stem in enumerate(("train", "dev", "test20")):
        lines = tsv_lines(os.path.join(DATA, "mlqe-pe", pair, f"{stem}.{pp}.df.short.tsv"))
        head = lines[0].split("\t")
        io, it, im = head.index("original"), head.index("translation"), head.index("mean")
        rows = []
        for i, line in enumerate(lines[1:]):
            f = line.split("\t")
            assert len(f) == len(head)
            rows.append(((f[io], f[it]), float(f[im]), i + 2))
        report(f"mlqe-{pair}", s, rows)


def ruddit():
    path = os.path.join(DATA, "ruddit", "text-freddiehorn-2023", "ruddit_with_text.csv")
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    # csv.reader over lines that keep their '\n', so the physical start line is countable
    reader = csv.reader(text.splitlines(keepends=True))
    head = next(reader)
    ib, il = head.index("comment_body"), head.index("offensiveness_score")
    rows, line, dropped = [], 2, 0
    for rec in reader:
        start = line
        line = reader.line_num + 1
        body = rec[ib]
        if body in ("", "[deleted]", "[removed]"):
            dropped += 1
            continue
        rows.append(((body,), float(rec[il]), start))
    labels = [r[1] for r in rows]
    print(f"  ruddit usable={len(rows)} dropped={dropped} mean={statistics.fmean(labels):.10f} "
          f"(seed {SEED})")
    which = split_assign(labels, [0.7, 0.15, 0.15], True, SEED)
    for s in range(3):
        report("ruddit", s, [r for r, w in zip(rows, which) if w == s])


if __name__ == "__main__":
    print("/* name, split, n, mean, min, max, first line, last line, rows_sha256 */")
    stsb()
    for pair in ("en-de", "en-zh", "ro-en", "ru-en", "si-en"):
        mlqe(pair)
    ruddit()
