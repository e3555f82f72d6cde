/* Internals of prototype selection shared by prototypes.c and kmedoids.c. */
#ifndef PRLE_PRLE_PROTOTYPES_INT_H
#define PRLE_PRLE_PROTOTYPES_INT_H

#include <math.h>
#include <stdbool.h>

#include "core/cpu.h"
#include "prle/prototypes.h"
#include "prle/rng.h"

/** Squared L2 norms of the rows of a (n, d), each summed in double. */
void prle__proto_sqnorms(float *sq_out, const float *a, size_t n, size_t d, int n_threads);

/** sum_t (a_t - b_t)^2 over d floats in double, the same bits with `avx` (four-lane doubles,
 *  only where prle__cpu_avx()) as without. */
double prle__proto_sqdist(const float *a, const float *b, size_t d, bool avx);

/**
 * Euclidean distances out (m, nb) between the rows of a (m, d) and b (nb, d), given their
 * squared norms, out's rows `ldo` apart: sqrt(|a|^2 + |b|^2 - 2 a.b) from one sgemm call (never
 * inside a parallel region), recomputed directly in double when the squared distance is below
 * 1e-2 (|a|^2 + |b|^2), where cancellation would dominate (identical rows give exactly 0), by
 * prle__proto_sqdist, rows of a in blocks whose close pairs meet each row of b once. n_threads
 * only splits the post-processing, so it cannot change the values.
 */
void prle__proto_dist(float *out, size_t ldo, const float *a, const float *sqa, size_t m,
                      const float *b, const float *sqb, size_t nb, size_t d, int n_threads);

/**
 * The full symmetric (n, n) distance matrix of the rows of x: the upper triangle computed by
 * prle__proto_dist in blocks of 1024 rows, then mirrored, so full[i][j] == full[j][i] exactly.
 */
void prle__proto_dist_full(float *full, const float *x, const float *sq, size_t n, size_t d,
                           int n_threads);

/**
 * The distance prle__proto_dist gives for rows a and b (d) from their Gram entry g = -2 a.b
 * (as sgemm returned it) and squared norms: sqrt(|a|^2 + |b|^2 - 2 a.b), or when that squared
 * distance is below 1e-2 (|a|^2 + |b|^2), sqrt of prle__proto_sqdist.
 */
static inline float prle__gram_dist(float g, float sqa, float sqb, const float *a, const float *b,
                                    size_t d)
{
    float base = sqa + sqb, v = g + base;
    if (!(v < 1e-2f * base))
        return sqrtf(v);
    return (float)sqrt(prle__proto_sqdist(a, b, d, prle__cpu_avx()));
}

/** What the k-medoids searches share: the data and the run's settings. */
typedef struct prle__kmed_ctx {
    const float *x;    /* (n, d) */
    const float *sq;   /* (n) squared norms */
    const float *full; /* (n, n) all distances, or NULL: computed on the fly in blocks */
    size_t n, d, p;
    size_t block_rows; /* FasterPAM candidate rows per Gram block; 0 = within 32 MiB */
    int max_iter;
    int n_threads;
    prle_progress_fn progress;
    void *progress_ud;
    double t0; /* when the selection began, for the progress' seconds; 0: when the passes did */
} prle__kmed_ctx;

/**
 * k-medoids++ seeding: the first medoid uniform, each next one the best (lowest sum of squared
 * distances) of 2 + floor(ln p) rows drawn with probability proportional to D(x)^2 (Arthur &
 * Vassilvitskii 2007, greedy variant). Writes med (p) and dm (p, n), the medoids' distance rows.
 */
int prle__kmedoids_seed(size_t *med, float *dm, const prle__kmed_ctx *c, prle_rng *rng);

/** FasterPAM (Schubert & Rousseeuw 2021, Alg. 3) from med/dm as left by the seeding. */
int prle__kmedoids_fasterpam(size_t *med, float *dm, const prle__kmed_ctx *c);

/** Alternate (Voronoi iteration, Park & Jun 2009) from med/dm as left by the seeding. */
int prle__kmedoids_alternate(size_t *med, float *dm, const prle__kmed_ctx *c);

#endif
