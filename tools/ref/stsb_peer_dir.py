#!/usr/bin/python3
"""Lays out a wrapperbox.py folder from PRLE's cached STS-B features: copies
{split}_embeds.npy from CACHE and writes {split}_labels.npy (STS-B column 4 / 5, float64).

usage: stsb_peer_dir.py CACHE OUT [STSB_DIR]   (STSB_DIR: ../shared/data/stsb beside the repository)"""
import csv, os, shutil, sys
import numpy as np

FILES = {'train': 'sts-train.csv', 'validation': 'sts-dev.csv', 'test': 'sts-test.csv'}


def main():
    cache, out = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))  # <repo>/tools/ref, ../shared beside <repo>
    stsb = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, '..', '..', '..', 'shared',
                                                              'data', 'stsb')
    os.makedirs(out, exist_ok=True)
    for s, f in FILES.items():
        with open(f'{stsb}/{f}', encoding='utf-8') as fp:
            y = np.array([float(r[4]) for r in csv.reader(fp, delimiter='\t', quoting=csv.QUOTE_NONE)])
        X = np.load(f'{cache}/{s}_embeds.npy')
        assert X.shape[0] == len(y), (s, X.shape, len(y))
        shutil.copyfile(f'{cache}/{s}_embeds.npy', f'{out}/{s}_embeds.npy')
        np.save(f'{out}/{s}_labels.npy', y / 5.0)
        print(s, X.shape, y.min(), y.max())


if __name__ == '__main__':
    main()
