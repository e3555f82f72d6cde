#!/usr/bin/python3
"""Independent check of a .pvec file (format: src/encode/vectors_internal.h) against the
measuring harness's conversion of the same vectors (../shared/peers/glove_from_wink.py writes
glove100.npy + vocab.txt): same words in the same order, bit-identical float32 rows, a
working stored hash table and the stored sha256.

usage: pvec_check.py FILE.pvec PEER_DIR"""
import hashlib, struct, sys
import numpy as np

path, peer = sys.argv[1], sys.argv[2]
raw = open(path, 'rb').read()
(magic, version, flags, V, d, moff, ooff, boff, blen, toff, tcap, coff, flen) = struct.unpack_from('<8sII10Q', raw, 0)
sha = raw[96:128]
assert magic == b'PRLEVEC\0' and version == 1, (magic, version)
assert flen == len(raw), 'file length'
assert hashlib.sha256(raw[128:]).digest() == sha, 'sha256'
M = np.frombuffer(raw, np.float32, V * d, moff).reshape(V, d)
offs = np.frombuffer(raw, np.uint64, V + 1, ooff).tolist()
blob = raw[boff:boff + blen]
words = [blob[offs[i]:offs[i + 1] - 1].decode('utf-8') for i in range(V)]

P = np.load(peer + '/glove100.npy')
pw = open(peer + '/vocab.txt', encoding='utf-8').read().split('\n')[:-1]
assert P.shape == (V, d), (P.shape, V, d)
assert words == pw, 'word order differs'
assert np.array_equal(M.view(np.uint32), P.view(np.uint32)), 'matrix differs (bits)'

def fnv(b):
    h = 0xcbf29ce484222325
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
T = np.frombuffer(raw, np.uint32, tcap, toff)
for i in list(range(0, V, max(1, V // 2000))) + [V - 1]:
    s = fnv(words[i].encode('utf-8')) & (tcap - 1)
    while T[s] != i + 1:
        assert T[s] != 0, 'hash table misses ' + words[i]
        s = (s + 1) & (tcap - 1)
print(f'ok: {V} words x {d}, matrix bit-identical to the peer conversion, sha256 {sha.hex()}')
