/* The stage-2 loss (SPEC.md §5): the v2 terms (task, fit, anchor, balance, entropy) and the v1
 * terms of the original (task, metric, proto_self, local, consistency), with their gradients
 * with respect to the routing weights W and the expert outputs E. */
#ifndef PRLE_PRLE_MIX_LOSS_H
#define PRLE_PRLE_MIX_LOSS_H

#include <stdbool.h>
#include <stddef.h>

#include "prle/model.h"

/** v1 phases (train.em_alt_training): both at once (the mean of the two weights), or one. */
typedef enum prle__phase {
    PRLE__PHASE_BOTH = 0,
    PRLE__PHASE_GEOMETRY = 1, /* the original trains kernel and prototypes only */
    PRLE__PHASE_EXPERTS = 2
} prle__phase;

/** The lambda of every term for one phase (0 for terms the variant does not have). */
typedef struct prle__mix_coef {
    bool v2;
    double task, fit, anchor, balance, entropy;    /* v2 (task also v1) */
    double metric, proto_self, local, consistency; /* v1 */
} prle__mix_coef;

/** Values of the terms (unweighted) and the lambda-weighted total; NaN for absent terms. */
typedef struct prle__mix_terms {
    double total;
    double task, fit, anchor, balance, entropy;
    double metric, proto_self, local, consistency;
} prle__mix_terms;

/** The lambdas of `lw` for `phase` (v1: [0] geometry, [1] experts, their mean for both). */
prle__mix_coef prle__mix_coef_of(const prle_loss_weights *lw, prle__phase phase);

/** All terms NaN, total 0. */
prle__mix_terms prle__mix_terms_nan(void);

/**
 * The terms that depend on the batch rows, with y_hat_b = sum_p W_bp E_bp (n rows, P slots):
 *
 *   task        = mean_b (y_hat_b - y_b)^2
 *   fit, local  = mean_{b,p} W_bp (E_bp - y_b)^2              (v2 fit, v1 local)
 *   anchor      = -mean_{b: anchor[b] >= 0} ln(W_{b,anchor[b]} + 1e-8)   (0 without such rows)
 *   balance     = P sum_p u_p^2, u_p = mean_b W_bp
 *   entropy     = mean_b -sum_p W_bp ln W_bp                  (W_bp = 0 adds 0, no gradient)
 *   consistency = mean_{b,p} W_bp sqdist_bp                   (v1; sqdist = |z_b - u_p|^2)
 *
 * `anchor` (n) holds the prototype slot of rows that are prototypes, else -1; `sqdist` (n, P)
 * is needed for v1 only; `work` holds P doubles (v2). Writes the terms into `t` (adding their
 * weighted sum to t->total) and, when `dw`/`de` (n, P) are not NULL, overwrites them with
 * d(weighted sum)/dW and /dE. Sums in double, in row order.
 */
void prle__mix_loss_rows(prle__mix_terms *t, float *dw, float *de, const float *w, const float *e,
                         const float *y, const ptrdiff_t *anchor, const float *sqdist, double *work,
                         size_t n, size_t np, const prle__mix_coef *c);

/**
 * v1 prototype self-fit: mean_p (E_pp - a_p)^2 with e_pp (P, P) every expert on every
 * prototype and `a` (P) the prototypes' labels. Adds coef * value to t->total, sets
 * t->proto_self and, when `de_pp` (P, P) is not NULL, overwrites it with the gradient
 * (non-zero on the diagonal only).
 */
void prle__mix_proto_self(prle__mix_terms *t, float *de_pp, const float *e_pp, const float *a,
                          size_t np, double coef);

/**
 * v1 metric-learning term of the original's PrototypeManager on value rows z (n, D) and raw
 * labels y: with d_ij = |n(z_i) - n(z_j)|, mean over i != j with |y_i - y_j| <= 0.1 of d^2
 * plus mean over |y_i - y_j| >= 0.3 of max(0, 1 - d)^2 (an empty set adds 0; n < 2 gives 0).
 * The kernel is frozen in stage 2, so the term has no gradient here. Adds coef * value to
 * t->total and sets t->metric.
 */
void prle__mix_metric(prle__mix_terms *t, const float *z, const float *y, size_t n, size_t d,
                      double coef);

#endif
