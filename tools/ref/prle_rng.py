"""prle_rng (src/core/rng.c) in Python, for the reference scripts that replay PRLE's draws:
a stream (seed, purpose, index) seeds xoshiro256** through splitmix64 and FNV-1a of the
purpose; uniform() is the top 53 bits, below(n) rejects the biased tail, shuffle() is
Fisher-Yates from the end.

    from prle_rng import Rng
    perm = list(range(n)); Rng(42, "kernel.shuffle", 0).shuffle(perm)
"""
M64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def fnv1a(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed, purpose, index):
        x, z = splitmix64(seed)
        x, z = splitmix64(z ^ fnv1a(purpose))
        x = z ^ index
        self.s = []
        for _ in range(4):
            x, z = splitmix64(x)
            self.s.append(z)
        if not any(self.s):
            self.s[0] = 1

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def below(self, n):
        limit = M64 - (M64 % n + 1) % n
        while True:
            r = self.next()
            if r <= limit:
                return r % n

    def shuffle(self, idx):
        for i in range(len(idx), 1, -1):
            j = self.below(i)
            idx[i - 1], idx[j] = idx[j], idx[i - 1]
