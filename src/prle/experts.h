/* Stage 2 experts (SPEC.md §5): one small regressor per prototype, all in one flat parameter
 * buffer, forward and hand-written backward over a batch of value-space rows. */
#ifndef PRLE_PRLE_EXPERTS_H
#define PRLE_PRLE_EXPERTS_H

#include <stddef.h>
#include <stdint.h>

#include "prle/model.h"

/**
 * The layout of P experts over rows of width D (offsets into one flat float buffer):
 *
 * - linear: w (P, D) at `w1`, c (P) at `b1`; e_p(z) = w_p.z + c_p.
 * - mlp: W1 (P*h, D) at `w1` (expert p owns rows p*h .. p*h+h-1), b1 (P*h) at `b1`,
 *   w2 (P*h) at `w2`, b2 (P) at `b2`; e_p(z) = w2_p . relu(W1_p z + b1_p) + b2_p.
 *   Saved as "experts.0.weight" (P, h, D), "experts.0.bias" (P, h), "experts.2.weight"
 *   (P, 1, h), "experts.2.bias" (P, 1): PyTorch's Sequential(Linear, ReLU, Linear) stacked.
 */
typedef struct prle__experts {
    prle_expert_type type; /* PRLE_EXPERT_LINEAR or PRLE_EXPERT_MLP */
    size_t np, d, h;       /* h = 0 for linear */
    size_t w1, b1, w2, b2; /* offsets; w2 = b2 = 0 for linear */
    size_t n_params;       /* floats of the layout (tensors start on 16-float boundaries) */
} prle__experts;

/** The layout; PRLE_EINVAL for another type or a zero size, PRLE_ENOMEM if it overflows. */
int prle__experts_init(prle__experts *ex, prle_expert_type type, size_t np, size_t d, size_t h);

/**
 * PyTorch nn.Linear's default initialisation of every expert layer: weight and bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), tensors in layout order, from the stream
 * (seed, "experts.init", 0). Zeroes the padding.
 */
void prle__experts_init_weights(const prle__experts *ex, float *params, uint64_t seed);

/** Floats of forward activations for n rows (mlp: pre- and post-ReLU, 2 n P h; linear: 0),
 * then the first layer's packed weights (prle__gemm_rows). */
size_t prle__experts_act_floats(const prle__experts *ex, size_t n);

/** Floats of backward scratch for n rows (mlp: n P h; linear: 0). */
size_t prle__experts_work_floats(const prle__experts *ex, size_t n);

/**
 * e (n, P) = every expert on every row of z (n, D). `act` (prle__experts_act_floats) keeps
 * what the backward needs. Deterministic and independent of `nt`; row i of e depends on row i
 * of z only (the same bits in any batch).
 */
void prle__experts_forward(float *e, float *act, const prle__experts *ex, const float *params,
                           const float *z, size_t n, int nt);

/**
 * Accumulates dL/dparams into `grads` (the flat layout) given de = dL/de (n, P) and the
 * forward's `act` and rows z; `work` (prle__experts_work_floats) is scratch. No dL/dz: the
 * value space is frozen in stage 2. Independent of `nt` (outputs split, sums in row order).
 */
void prle__experts_backward(float *grads, float *work, const prle__experts *ex, const float *params,
                            const float *de, const float *act, const float *z, size_t n, int nt);

#endif
