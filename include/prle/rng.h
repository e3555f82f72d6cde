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

PRLE_END_DECL

#endif
