#!/usr/bin/python3
"""Out-of-vocabulary figures of the measuring harness's regex tokenizer on STS-B (both sides of
all 8,628 pairs), to set beside `tokenizer_oov` of bench/bench_vectors.c (our PTB tokenizer).

usage: stsb_oov.py VOCAB_TXT [STSB_DIR]   (vocab.txt from ../shared/peers/glove_from_wink.py)"""
import collections, csv, re, sys

vocab = set(open(sys.argv[1], encoding='utf-8').read().split('\n')[:-1])
stsb = sys.argv[2] if len(sys.argv) > 2 else '/work/shared/data/stsb'
tok = re.compile(r"n't|'s|'re|'ll|'ve|'d|'m|[a-z0-9]+(?:[-.][a-z0-9]+)*|[^\sa-z0-9]")
n = oov = empty = texts = 0
top = collections.Counter()
for f in ('sts-train.csv', 'sts-dev.csv', 'sts-test.csv'):
    with open(f'{stsb}/{f}', encoding='utf-8') as fh:
        for r in csv.reader(fh, delimiter='\t', quoting=csv.QUOTE_NONE):
            for s in (r[5], r[6]):
                t = tok.findall(s.lower())
                miss = [x for x in t if x not in vocab]
                texts += 1
                n += len(t)
                oov += len(miss)
                empty += len(miss) == len(t)
                top.update(miss)
print(f'peer regex: STS-B texts={texts} tokens={n} oov={oov} ({100 * oov / n:.2f}%) '
      f'texts without a known token={empty}')
print('most frequent:', ' '.join(f'{w}:{c}' for w, c in top.most_common(25)))
