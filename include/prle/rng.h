/* Seeded random numbers: xoshiro256** streams keyed by (seed, purpose, index). */
#ifndef PRLE_RNG_H
#define PRLE_RNG_H

#include "prle/common.h"

PRLE_BEGIN_DECL

/** Generator state; a plain value, copy it freely. Not shared between threads. */
typedef struct prle_rng {
    uint64_t s[4];
} prle_rng;

/**
 * Starts the stream for (seed, purpose, index). `purpose` names what the draws are for
 * ("kernel.init", "kmedoids", "split"...) so that adding draws for one purpose never shifts
 * another's; `index` separates streams of one purpose (a restart, a tree, a thread's block).
 */
PRLE_API void prle_rng_init(prle_rng *rng, uint64_t seed, const char *purpose, uint64_t index);

/** Next 64 random bits. */
PRLE_API uint64_t prle_rng_next(prle_rng *rng);

/** Uniform double in [0, 1) with 53 random bits. */
PRLE_API double prle_rng_uniform(prle_rng *rng);

/** Uniform integer in [0, n) by rejection (no modulo bias); n must be > 0. */
PRLE_API uint64_t prle_rng_below(prle_rng *rng, uint64_t n);

/** Standard normal draw (Box-Muller; uses two uniforms, keeps no cached value). */
PRLE_API double prle_rng_normal(prle_rng *rng);

/** Fisher-Yates shuffle of `idx[0..n)`. */
PRLE_API void prle_rng_shuffle(prle_rng *rng, size_t *idx, size_t n);

/**
 * `take` distinct indices of [0, n) drawn at random into out[0..take), ascending: the first
 * `take` of prle_rng_shuffle of 0..n-1, sorted. take <= n. 0, or PRLE_ENOMEM (n words of
 * scratch).
 */
PRLE_API int prle_rng_sample(prle_rng *rng, size_t *out, size_t n, size_t take);

PRLE_END_DECL

#endif
