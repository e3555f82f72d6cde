/* Layer normalisation over the last dimension (Ba et al. 2016; PyTorch nn.LayerNorm). */
#ifndef PRLE_NN_LAYERNORM_H
#define PRLE_NN_LAYERNORM_H

#include <stddef.h>

/** PyTorch's default epsilon. */
#define PRLE__LN_EPS 1e-5

/**
 * y (n, d) = (x - mean) / sqrt(var + 1e-5) * g + b per row, var biased (1/d); mean (n) and
 * rstd (n) keep what backward needs. Row statistics in double.
 */
void prle__layernorm_fwd(float *y, float *mean, float *rstd, const float *x, const float *g,
                         const float *b, size_t n, size_t d, int nt);

/**
 * Backward, accumulating: dx (n, d) +=, dg (d) += sum_rows dy * xhat, db (d) += sum_rows dy.
 * dx, dg, db may be NULL. Rows split over threads for dx, columns for dg and db.
 */
void prle__layernorm_bwd(float *dx, float *dg, float *db, const float *dy, const float *x,
                         const float *mean, const float *rstd, const float *g, size_t n, size_t d,
                         int nt);

#endif
