/* The kernel's metric-learning loss on one batch and its gradient w.r.t. z (SPEC.md §4). */
#ifndef PRLE_KERNEL_LOSS_H
#define PRLE_KERNEL_LOSS_H

#include <stddef.h>

#include "prle/rng.h"

typedef struct prle__loss_params {
    double lambda_pair, lambda_triplet, lambda_uniform;
    double label_range; /* M = label_max - label_min > 0 */
} prle__loss_params;

typedef struct prle__loss_terms {
    double total;     /* lambda-weighted sum */
    double pair;      /* mean_{i != j} (s_ij - t_ij)^2 */
    double triplet;   /* mean over anchors with both a positive and a negative; 0 if none */
    double uniform;   /* ln(mean_{i<j} exp(-2 |z_i - z_j|^2) + 1e-8) */
    size_t n_anchors; /* anchors that had a triplet */
} prle__loss_terms;

/** Floats of scratch prle__kernel_loss needs for a batch of n rows. */
static inline size_t prle__loss_work_floats(size_t n)
{
    return 2 * n * n;
}

/**
 * The loss of z (n, d), labels y (n), n >= 2: s_ij = z_i . z_j (one product), t_ij = 1 -
 * |y_i - y_j| / M, L = lp_pair L_pair + lp_triplet L_trip + lp_uniform L_unif. The triplet
 * term draws, per anchor i in row order with both kinds present, one j != i with
 * |y_i - y_j| <= 0.1 M and one k with |y_i - y_k| >= 0.3 M from `rng`; `rng` NULL skips it
 * (term 0). With `dz` non-NULL, dz (n, d) is overwritten with dL/dz = A z, A the symmetrised
 * dL/ds (one more product). `work` holds prle__loss_work_floats(n) floats (n * n when dz is
 * NULL). Sums in double;
 * the products run on `nt` threads (prle__gemm).
 */
void prle__kernel_loss(prle__loss_terms *out, float *dz, float *work, const float *z,
                       const float *y, size_t n, size_t d, const prle__loss_params *lp,
                       prle_rng *rng, int nt);

#endif
