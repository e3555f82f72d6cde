/* Row-wise L2 normalisation n(x) = x / max(||x||, 1e-12) (PyTorch F.normalize, SPEC.md §1). */
#ifndef PRLE_NN_L2NORM_H
#define PRLE_NN_L2NORM_H

#include <stddef.h>

/** The floor of the norm. */
#define PRLE__L2_EPS 1e-12

/** y (n, d) = x / max(||x||, 1e-12) per row; norm (n) keeps max(||x||, 1e-12). y may equal x. */
void prle__l2norm_fwd(float *y, float *norm, const float *x, size_t n, size_t d, int nt);

/**
 * Backward, accumulating: dx += (dy - y (y . dy)) / norm per row, or dx += dy / 1e-12 where
 * the floor was hit (the map is then linear).
 */
void prle__l2norm_bwd(float *dx, const float *dy, const float *y, const float *norm, size_t n,
                      size_t d, int nt);

#endif
