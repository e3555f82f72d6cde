/* Element-wise layers: ReLU, GELU (exact erf form) and inverted dropout. */
#ifndef PRLE_NN_ACT_H
#define PRLE_NN_ACT_H

#include <stddef.h>

#include "prle/rng.h"

typedef enum prle__act {
    PRLE__ACT_RELU = 0,
    PRLE__ACT_GELU = 1 /* x * Phi(x), Phi the normal CDF via erf (PyTorch nn.GELU default) */
} prle__act;

/** y[i] = act(x[i]) for i < n; y may equal x. */
void prle__act_fwd(float *y, const float *x, size_t n, prle__act act, int nt);

/** dx[i] += dy[i] * act'(x[i]), x the pre-activation input (ReLU'(0) = 0, as PyTorch). */
void prle__act_bwd(float *dx, const float *dy, const float *x, size_t n, prle__act act, int nt);

/**
 * An inverted-dropout mask (PyTorch nn.Dropout in training): mask[i] = 0 with probability p,
 * else 1 / (1 - p); draws one uniform per element from `rng`, in order. 0 <= p < 1.
 */
void prle__dropout_mask(float *mask, size_t n, float p, prle_rng *rng);

/** y[i] = x[i] * mask[i] (forward of dropout; y may equal x). */
void prle__dropout_fwd(float *y, const float *x, const float *mask, size_t n, int nt);

/** dx[i] += dy[i] * mask[i]. */
void prle__dropout_bwd(float *dx, const float *dy, const float *mask, size_t n, int nt);

#endif
