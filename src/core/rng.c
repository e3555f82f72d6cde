/* xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64 from (seed, purpose, index). */
#include "prle/rng.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/error.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void prle_rng_init(prle_rng *rng, uint64_t seed, const char *purpose, uint64_t index)
{
    /* Mix the three keys through splitmix64 so nearby seeds give unrelated streams. */
    uint64_t x = seed;
    uint64_t k = splitmix64(&x) ^ fnv1a(purpose);
    x = k;
    k = splitmix64(&x) ^ index;
    x = k;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]))
        rng->s[0] = 1; /* the all-zero state is the one xoshiro cannot leave */
}

uint64_t prle_rng_next(prle_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double prle_rng_uniform(prle_rng *rng)
{
    return (double)(prle_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t prle_rng_below(prle_rng *rng, uint64_t n)
{
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
    uint64_t r;
    do
        r = prle_rng_next(rng);
    while (r > limit);
    return r % n;
}

double prle_rng_normal(prle_rng *rng)
{
    double u1 = 1.0 - prle_rng_uniform(rng); /* (0, 1]: log stays finite */
    double u2 = prle_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void prle_rng_shuffle(prle_rng *rng, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)prle_rng_below(rng, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

int prle_rng_sample(prle_rng *rng, size_t *out, size_t n, size_t take)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    bool *keep = calloc(n ? n : 1, sizeof *keep);
    if (!idx || !keep) {
        free(idx), free(keep);
        return prle__error_nomem("random sample");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    prle_rng_shuffle(rng, idx, n);
    for (size_t i = 0; i < take; i++)
        keep[idx[i]] = true;
    for (size_t i = 0, at = 0; i < n; i++) /* ascending without a sort */
        if (keep[i])
            out[at++] = i;
    free(idx), free(keep);
    return 0;
}
